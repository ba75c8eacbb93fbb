"""Reading the figures of one sentence against the words around them.

For each number with a unit the reader decides, from its clause and the sentence's
context, which fund, measure, item, year and basis it is about, and records the rules
that decided each (see :class:`pipelines.context.Candidate`).
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import replace

from pipelines import segment
from pipelines.context import (
    CHANGE_UNITS,
    COORDINATOR,
    DEPARTMENT,
    EXCLUDED,
    FILLER,
    NEVER_PARTIAL,
    YEAR_RE,
    Candidate,
    Label,
    ParagraphState,
    Period,
    decided_by,
    fund_of,
    item_fits,
    leading_space,
)
from pipelines.numbers import Quantity, UnitClass
from pipelines.run import DocumentRun
from pipelines.segment import Sentence
from pipelines.vocab import Token

_LABEL_COLON = re.compile(r"[：:]\s*-?\d")


class SentenceReader:
    """Reads the quantities of one sentence in order."""

    def __init__(self, run: DocumentRun, sent: Sentence, tokens: list[Token], state: ParagraphState):
        self.run = run
        self.text = run.text
        self.sent = sent
        self.tokens = [t for t in tokens if t.kind != "noise"]
        self.noise = [t for t in tokens if t.kind == "noise"]
        self.asides = [(t.start, t.end) for t in tokens if t.attr("cue") == "aside"]
        self.state = state
        # （含生育保险） is an aside: it does not end the clause it sits in
        # 医保基金支出:8360万元: a colon between a label and its number does not end the clause
        self.bounds = [
            b
            for b in segment.clause_bounds(self.text, sent)
            if not any(s < b <= e for s, e in self.asides) and not _LABEL_COLON.match(self.text, b - 1)
        ]
        self.parens = segment.paren_spans(self.text, sent.start, sent.end)
        self.facts: list[Candidate] = []  # facts read from this sentence, in order
        self.previous: tuple[Quantity, Candidate | None, bool] | None = None  # last quantity, fact, excluded
        # 预算 inside 一般公共预算 (a fund's name) or 预算执行率 (noise) is no basis word
        noise = [(t.start, t.end) for t in tokens if t.kind in ("noise", "fund")]
        self.basis_cues = [
            c
            for c in run.vocab.basis_cues(self.text, sent.start, sent.end)
            if not any(s < c.end and c.start < e for s, e in noise)
        ]
        self.budget = next(
            (c for c in self.basis_cues if c.attr("basis") == "budget" and c.attr("scope") == "sentence"),
            None,
        )
        years = [
            m for m in YEAR_RE.finditer(self.text, sent.start, sent.end) if not run.in_brackets(m.start())
        ]
        self.years = [(m.start(), int(m.group(1))) for m in years]
        self.year_ends = {m.start(): m.end() for m in years}
        self.period_cues = [
            c for c in run.vocab.period_cues(self.text, sent.start, sent.end) if not run.in_brackets(c.start)
        ]

    # ---- helpers

    def clause_of(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.bounds, pos) - 1
        start = self.bounds[i]
        end = self.bounds[i + 1] - 1 if i + 1 < len(self.bounds) else self.sent.end
        return start, end

    def live(self, t: Token) -> bool:
        """False for words inside an aside such as （含生育保险）."""
        return t.attr("cue") == "aside" or not any(s <= t.start < e for s, e in self.asides)

    def label(self, q: Quantity) -> Label:
        c_start, c_end = self.clause_of(q.start)
        before = [t for t in self.tokens if c_start <= t.start and t.end <= q.start and self.live(t)]
        after = [t for t in self.tokens if q.end <= t.start and t.end <= c_end and self.live(t)]
        earlier = [t for t in self.tokens if t.end <= c_start and self.live(t)]
        return Label(before, after, earlier, c_start, c_end)

    # ---- one quantity

    def read(self, q: Quantity) -> None:
        if q.unit_class is UnitClass.POINTS:
            self.run.drop(q, "个百分点是变化量")
            return
        lab = self.label(q)
        reason = self.excluded(q, lab)
        if reason:
            self.run.drop(q, reason)
            self.previous = (q, None, True)
            return
        if self.is_change(q, lab):
            self.read_change(q, lab)
            return
        facts = self.resolve(q, lab)
        if not facts:
            self.previous = (q, None, False)
            return
        for fact in facts:
            self.emit(fact)
        self.read_same_as(q, lab, facts[0])
        self.previous = (q, facts[-1], False)

    def emit(self, fact: Candidate) -> None:
        self.run.candidates.append(fact)
        self.facts.append(fact)

    def excluded(self, q: Quantity, lab: Label) -> str | None:
        for t in self.tokens:
            if t.kind != "exclusion" or (t.start >= q.start and t.attr("scope") == "sentence"):
                continue
            if t.attr("scope") == "sentence":
                limit = self.sent.end if t.attr("whole_sentence") else self.paren_end(t.start)
                applies = t.start < q.start < limit
            else:
                applies = lab.clause_start <= t.start < lab.clause_end
            if applies:
                return f"{t.attr('reason')}（“{self.text[t.start : t.end]}”）"
        if self.run.section.fund == EXCLUDED:
            return "所在章节不属于医保基金"
        bare = not any(t.kind in ("metric", "fund", "item", "population") for t in lab.before)
        if self.previous and self.previous[2] and bare:
            return "承接上一个被排除的数字"
        return None

    def paren_end(self, pos: int) -> int:
        """Where a sentence-wide exclusion stops: its parenthesis, else the next ；."""
        inner = [e for s, e in self.parens if s <= pos < e]
        if inner:
            return min(inner)
        semicolon = re.compile(r"[；;]").search(self.text, pos, self.sent.end)
        return semicolon.start() if semicolon else self.sent.end

    # ---- fund

    def fund_for(self, q: Quantity, lab: Label, metric_tokens: list[Token]) -> tuple[str | None, list[str]]:
        section = self.run.section.fund
        if section == DEPARTMENT and q.unit_class in (UnitClass.MONEY, UnitClass.PER_CAPITA):
            return DEPARTMENT, ["grammar.section_fund"]  # department accounts count money only
        if section == DEPARTMENT:
            section = None
        if section == EXCLUDED:
            return None, []
        for t in metric_tokens:  # 基本支出, 项目支出 exist only in a department's accounts
            if t.kind == "metric" and t.attr("department") == "only" and t.attr("default_fund"):
                return DEPARTMENT, [t.entry.id]
        respective = self.respective_fund(q)
        if respective is not None:
            return respective, ["cue.respectively"]
        for t in metric_tokens:  # 直接救助62.35万人次: 救助 is the assistance fund's own verb
            if t.attr("implies_fund") and not any(x.kind == "fund" for x in lab.before):
                return t.attr("implies_fund"), [t.entry.id]
        carried = self.fund_of_previous_figure(q, lab)
        if carried is not None:
            return carried.fund, [
                "grammar.previous_fund",
                *decided_by(carried, "fund.", "population.", "cue."),
            ]
        in_sentence = [
            t
            for t in self.tokens
            if t.kind in ("fund", "population")
            and t.end <= q.start
            and self.live(t)
            and self.same_parens(t.start, q.start)
        ]
        # a fund named right after the number (为4410人次参保职工支付待遇) belongs to it too
        if not in_sentence:
            in_sentence = [t for t in lab.after if t.kind == "fund"]
        specific = [t for t in in_sentence if t.attr("strength") != "generic"]
        if specific:
            last = specific[-1]
            if self.ambiguous(last, specific, q):
                return None, ["grammar.ambiguous_fund"]
            context = section
            for t in specific[:-1]:
                context = fund_of(t, context) or context
            fund = fund_of(last, context)
            return (fund or EXCLUDED), [last.entry.id]
        if in_sentence:  # only a generic 医保 / 基本医疗保险
            return (section or "all"), [in_sentence[-1].entry.id]
        if self.state.fund:
            return self.state.fund, ["grammar.paragraph_fund"]
        if section:
            return section, ["grammar.section_fund"]
        if self.state.generic:
            return "all", ["grammar.paragraph_fund"]
        for t in metric_tokens:
            if t.attr("default_fund"):
                return t.attr("default_fund"), [t.entry.id]
        return None, []

    def fund_of_previous_figure(self, q: Quantity, lab: Label) -> Candidate | None:
        """实施住院救助1.86万人次，支出1512.33万元: a clause naming no fund goes on with the last figure's."""
        before = self.facts_outside_asides(q)  # a fund named in (含生育保险待遇支出…) stays inside
        if not before or any(t.kind in ("fund", "population") for t in lab.before):
            return None
        prev = before[-1]
        between = [
            t for t in self.tokens if prev.end <= t.start < q.start and t.kind in ("fund", "population")
        ]
        return None if between or prev.derived else prev

    def respective_fund(self, q: Quantity) -> str | None:
        """A、B…分别X、Y: the i-th value of a 、-joined run after 分别 belongs to the i-th fund."""
        cue = next(
            (t for t in reversed(self.tokens) if t.attr("cue") == "respectively" and t.end <= q.start), None
        )
        if cue is None:
            return None
        funds = self.coordinated_funds(cue.start)
        if len(funds) < 2:
            return None
        run = self.run.quantities_in(cue.end, q.end)
        index = 0
        for prev, nxt in itertools.pairwise(run):
            if self.text[prev.end : nxt.start].strip() in ("、", "和", "与", "及"):
                index += 1
            else:
                index = 0
        return funds[index] if index < len(funds) else None

    def coordinated_funds(self, before: int) -> list[str]:
        """The funds of the last 职工医保、居民医保 run before ``before``."""
        funds = [t for t in self.tokens if t.kind == "fund" and t.end <= before and t.attr("fund")]
        run: list[Token] = []
        for t in funds:
            if run and COORDINATOR.match(self.text[run[-1].end : t.start]):
                run.append(t)
            else:
                run = [t]
        return [t.attr("fund") for t in run] if len(run) > 1 else []

    def ambiguous(self, last: Token, specific: list[Token], q: Quantity) -> bool:
        """城镇职工、城乡居民的基本医疗保险… : two funds joined by 、/和 name neither."""
        before = [t for t in specific if t is not last and t.end <= last.start]
        if not before:
            return False
        prev = before[-1]
        gap = self.text[prev.end : last.start]
        return bool(COORDINATOR.match(gap)) and prev.attr("fund") != last.attr("fund")

    # ---- metric

    def metric_candidates(self, q: Quantity, lab: Label, fund: str | None) -> list[tuple[Token, str]]:
        """Metric tokens of the label that fit the quantity, nearest first."""
        found: list[tuple[Token, str]] = []
        for idx in range(len(lab.before) - 1, -1, -1):
            t = lab.before[idx]
            if t.kind != "metric":
                continue
            metric = self.metric_of(t, q, fund, lab.before[:idx], adjacent=idx == len(lab.before) - 1)
            if metric is None:
                continue
            if t.attr("verb") and self.modifies_fund_noun(lab.before[idx + 1 :]):
                continue
            earlier = self.renamed(lab.before, idx, q, fund)
            if earlier is not None:
                found.append(earlier)
                break
            found.append((t, metric))
            # 总收入、总支出都是46334.01万元: coordinated metrics share the number
            nxt = self.coordinated(lab.before, idx)
            if nxt is None:
                break
        return found

    def renamed(
        self, before: list[Token], idx: int, q: Quantity, fund: str | None
    ) -> tuple[Token, str] | None:
        """项目支出即各医疗基金支出为45828万元: 即 restates; the figure belongs to the first name."""
        for j in range(idx - 1, -1, -1):
            t = before[j]
            if t.kind != "metric":
                continue
            if "即" not in self.text[t.end : before[idx].start]:
                return None
            metric = self.metric_of(t, q, fund, before[:j], adjacent=False)
            return (t, metric) if metric else None
        return None

    def coordinated(self, before: list[Token], idx: int) -> int | None:
        if idx == 0:
            return None
        prev = before[idx - 1]
        if prev.kind == "metric" and COORDINATOR.match(self.text[prev.end : before[idx].start]):
            return idx - 1
        return None

    def metric_of(
        self, t: Token, q: Quantity, fund: str | None, left: list[Token], adjacent: bool
    ) -> str | None:
        uc = q.unit_class.value
        metrics = t.attr("metrics") or {}
        metric = metrics.get(uc)
        if metric is None and adjacent and self.touches(t, q):
            metric = (t.attr("adjacent_metrics") or {}).get(uc)
        if metric is None:
            return None
        dept = t.attr("department", "no")
        if fund == DEPARTMENT:
            if dept == "no":
                return None
            if t.attr("generic") and not self.bound_to_department(t, left):
                return None
            if metric == "cumulative_balance" and t.attr("department_metric"):
                metric = t.attr("department_metric")
        elif dept == "only" and t.attr("default_fund") != DEPARTMENT:
            return None
        if t.attr("generic") and not self.bound_left(t, left):
            return None
        return metric

    def touches(self, t: Token, q: Quantity) -> bool:
        return not self.text[t.end : q.start].strip(" 为是达共计约")

    def bound_left(self, t: Token, left: list[Token]) -> bool:
        """A bare 收入/支出 counts only right after a known word (not after 教育, 工资…), or as
        a new list item after a figure (收入10.82亿元、支出10.65亿元)."""
        start = left[-1].end if left else self.clause_of(t.start)[0]
        figures = self.run.quantities_in(start, t.start)
        if figures:
            start = figures[-1].end
        return bool(FILLER.match(self.text[start : t.start]))

    def bound_to_department(self, t: Token, left: list[Token]) -> bool:
        if left and left[-1].kind == "fund" and left[-1].attr("fund") == DEPARTMENT:
            return bool(FILLER.match(self.text[left[-1].end : t.start]))
        c_start = self.clause_of(t.start)[0]
        return not left and bool(FILLER.match(self.text[c_start : t.start]))

    def modifies_fund_noun(self, right: list[Token]) -> bool:
        """住院补偿统筹基金31270万元: the verb qualifies a fund, the number is an allocation."""
        return any(t.attr("cue") == "fund_noun" or t.entry.id == "item.pooled" for t in right) and not any(
            t.kind == "metric" for t in right
        )

    def resolve(self, q: Quantity, lab: Label) -> list[Candidate]:
        fund_guess = self.run.section.fund if self.run.section.fund == DEPARTMENT else self.peek_fund(q)
        found = self.metric_candidates(q, lab, fund_guess)
        rules: list[str] = []
        parent = self.component_parent(q)
        if not found:
            found = self.inferred_metric(q, lab, parent, fund_guess, rules)
        if not found:
            self.run.drop(q, "没有可识别的指标词")
            return []
        metric_tokens = [t for t, _ in found if t is not None]
        fund, fund_rules = self.fund_for(q, lab, metric_tokens)
        if fund == DEPARTMENT and self.names_medical_fund(lab, metric_tokens):
            self.run.drop(q, "部门预算中列示的医保基金拨款，不作为部门数据")
            return []
        if fund is None or fund == EXCLUDED:
            self.run.drop(q, "无法确定所属基金或属于非基金项目")
            return []
        out: list[Candidate] = []
        for token, metric in found:
            fact = self.build(q, lab, fund, metric, token, parent, rules + fund_rules)
            if fact is not None:
                out.append(fact)
        return out

    def subject_of(self, fact: Candidate) -> int | None:
        """Where the sub-region this fact is about is named in its sentence, if any."""
        starts = self.run.subject_starts
        i = bisect.bisect_right(starts, fact.end) - 1
        return starts[i] if i >= 0 and starts[i] >= self.sent.start else None

    def new_subject_between(self, start: int, end: int) -> bool:
        """其中阜阳市基金收入…: a sub-region named in a list makes its items figures of their own."""
        i = bisect.bisect_left(self.run.subject_starts, start)
        return i < len(self.run.subject_starts) and self.run.subject_starts[i] < end

    def names_medical_fund(self, lab: Label, metric_tokens: list[Token]) -> bool:
        if any(t.attr("department") == "only" for t in metric_tokens):
            return False
        return any(t.kind == "fund" and t.attr("fund") not in (None, DEPARTMENT) for t in lab.before)

    def peek_fund(self, q: Quantity) -> str | None:
        lab = self.label(q)
        fund, _ = self.fund_for(q, lab, [])
        return fund

    def inferred_metric(
        self, q: Quantity, lab: Label, parent: Candidate | None, fund: str | None, rules: list[str]
    ) -> list[tuple[Token | None, str]]:
        uc = q.unit_class.value
        # 1. a metric word right after the number (为4410人次参保职工支付待遇)
        for t in lab.after:
            if self.labels_next_figure(t, lab, q):
                break  # 财政补助610元、个人缴费350元: 个人缴费 names the next figure
            if t.kind == "metric" and (metric := self.metric_of(t, q, fund, [], adjacent=False)):
                return [(t, metric)]
        if any(lab.clause_start <= t.start < q.start for t in self.noise):
            return []  # 完成年度预算的101.36%: a ratio or process named in the label, nothing to inherit
        if q.unit_class is UnitClass.PERSON and any(
            t.kind == "metric" and t.attr("verb") for t in lab.before + lab.after
        ):
            return []  # 享受护理待遇1.92万人, 为480082名参合农民补助…: people paid are no insured count
        # 2. the measure of the figure just before it in the sentence (…收入34.58亿元，上年同期为32.91亿元)
        before = self.facts_outside_asides(q)
        if before and before[-1].unit_class is q.unit_class and not before[-1].derived:
            rules.append("grammar.previous_metric")
            return [(None, before[-1].metric)]
        # 3. a component of the figure before 其中 has that figure's measure
        if parent is not None and parent.unit_class is q.unit_class:
            rules.append("grammar.component_metric")
            return [(None, parent.metric)]
        # 3. an item that only ever goes with one measure (住院 8759 人次 -> visits)
        for t in reversed(lab.before):
            implied = (t.attr("implies") or {}).get(uc)
            if t.kind in ("item", "population", "fund") and implied:
                rules.append(t.entry.id)
                return [(None, implied)]
        # 4. the measure of the previous figure in the sentence with the same unit
        for prev in reversed(self.facts):
            if prev.unit_class is q.unit_class and not prev.derived:
                rules.append("grammar.previous_metric")
                return [(None, prev.metric)]
        # 5. a verb earlier in the sentence (全年补偿参保农民…住院92019人次305779600元)
        for t in reversed(lab.sentence_before):
            if t.kind == "metric" and t.attr("verb") and (metric := (t.attr("metrics") or {}).get(uc)):
                rules.append("grammar.sentence_verb")
                return [(t, metric)]
        # 6. 150元/人 with no other word is a financing standard
        if q.unit_class is UnitClass.PER_CAPITA:
            rules.append("grammar.per_capita_default")
            return [(None, "financing_per_capita")]
        return []

    def labels_next_figure(self, t: Token, lab: Label, q: Quantity) -> bool:
        """A word right before another figure of the same kind is that figure's label
        (为4410人次参保职工支付待遇24650000元: 支付待遇 names the money, and the count too)."""
        nxt = self.run.quantities_in(t.end, lab.clause_end)
        return (
            bool(nxt)
            and nxt[0].unit_class is q.unit_class
            and not self.text[t.end : nxt[0].start].strip(" 为是达到共计约")
        )

    def component_parent(self, q: Quantity) -> Candidate | None:
        """The figure a 其中/包括 list breaks down, if ``q`` is in such a list."""
        markers = [t for t in self.tokens if t.attr("cue") == "component" and t.end <= q.start]
        if not markers:
            return None
        marker = markers[-1]
        before = [f for f in self.facts if f.end <= marker.start and not f.derived and not f.previous_year]
        if before:
            return before[-1]
        if marker.start - self.sent.start <= 2 and self.state.last_facts:
            return self.state.last_facts[-1]
        return None

    # ---- item, year, basis

    def build(
        self,
        q: Quantity,
        lab: Label,
        fund: str,
        metric: str,
        token: Token | None,
        parent: Candidate | None,
        rules: list[str],
    ) -> Candidate | None:
        rules = list(rules)
        if token is not None:
            rules.insert(0, token.entry.id)
        item, item_rules, component_ok = self.item_for(q, lab, fund, metric, token)
        rules += item_rules
        year, year_rules, previous = self.year_for(q, lab, token)
        component = (
            parent is not None
            and parent.fund == fund
            and parent.metric == metric
            and not previous
            and year == parent.year  # …；2016年基金支出为12104万元 is no part of 2017's total
            and not self.new_subject_between(parent.end, q.start)
        )
        if component and q.start > parent.end:
            qualified = token is not None and not FILLER.match(self.text[lab.clause_start : token.start])
            # 财政补贴收入…，其中县级财政补助4368万元: a further split of the same part has no code
            split_again = item != "total" and item == parent.item
            if (item == "total" and (token is None or qualified)) or not component_ok or split_again:
                self.run.drop(q, "其中所列组成部分没有可识别的分项")
                return None
            rules.append("cue.component")
        if token is not None and token.attr("part_only") and item == token.attr("item") and not component:
            item = "total"  # 生育保险待遇支出702.13亿元: said of a fund on its own, the whole of it
        if item in ("active", "retired") and not any(
            f.metric == "insured" and f.item == "total" and f.fund == fund
            for f in self.facts + self.state.last_facts
        ):
            self.run.drop(q, "在职/退休人数前没有参保总人数，可能是单位人员")
            return None
        basis, basis_rules = self.basis_for(q, lab, token, previous)
        period, period_rules = self.period_at(q.start)
        basis_rules += period_rules
        if basis == "actual" and period is not None and period.partial and metric not in NEVER_PARTIAL:
            basis = "partial"  # 2023年一季度…收入4563万元: an outcome for part of the year
        value = q.value
        if token is not None and token.attr("sign") == -1:
            value = -abs(value)
        # a negative income, expenditure, count … is read as it stands: validation refuses it
        # with its reason (models.Fact), so it lands in rejections instead of vanishing
        start = self.quote_start(q, lab)
        end = q.end
        if token is not None and token.start >= q.end:
            end = token.end
        markers = [t.start for t in self.tokens if t.attr("cue") == "component" and t.end <= q.start]
        unit_class = UnitClass.PERSON if metric == "insured" else q.unit_class  # 参保389245人次 counts people
        return Candidate(
            year=year,
            fund=fund,
            metric=metric,
            item=item,
            basis=basis,
            value=value,
            derived=False,
            start=start,
            end=end,
            rule_id=rules[0] if rules else "grammar.unlabelled",
            rules=rules + year_rules + basis_rules,
            unit_class=unit_class,
            quantity=q,
            previous_year=previous,
            listed_after=markers[-1] if markers else None,
            period=period.text if basis == "partial" and period is not None else None,
        )

    def item_for(
        self, q: Quantity, lab: Label, fund: str, metric: str, token: Token | None
    ) -> tuple[str, list[str], bool]:
        # …个人缴费380元、各级财政补助810元: an item word after the measure's own names this figure
        # (住院待遇支出9683.40万元: an item word before a part-only measure names it too)
        nearer = token is not None and any(
            t.kind == "item"
            and (t.start >= token.end or token.attr("part_only"))
            and item_fits(t, fund, metric)
            for t in lab.before
        )
        if token is not None and token.attr("item") and not nearer:
            return token.attr("item"), [], True
        uc = q.unit_class.value
        for t in reversed(lab.before):  # 个人缴费标准为每人每年250元: the item rides on the other name
            if t.kind == "item" and item_fits(t, fund, metric):
                break  # …人均财政补助640元、个人缴费380元: a nearer item word names this one
            if (
                t is not token
                and t.kind == "metric"
                and t.attr("item")
                and (t.attr("metrics") or {}).get(uc) == metric
            ):
                return t.attr("item"), [t.entry.id], True
        best: Token | None = None
        for t in reversed(lab.before):
            if t.kind != "item" or not item_fits(t, fund, metric):
                continue
            if best is None or (best.attr("priority", 1) < t.attr("priority", 1)):
                best = t
        prev = self.previous[1] if self.previous else None
        pair = prev is not None and prev.metric == "visits" and metric == "expenditure" and prev.fund == fund
        if best is not None and best.attr("priority", 1) == 0 and pair and prev.item != "total":
            # 住院12.86万人次，统筹基金支出18.47亿元
            return prev.item, ["grammar.count_amount_pair", *decided_by(prev, "item.", "population.")], True
        if best is not None and self.coordinated_items(lab.before, best):
            return "total", ["grammar.coordinated_items"], True  # 门诊和住院救助11829万人次
        if best is not None:
            return best.attr("item"), [best.entry.id], True
        carried = self.fund_part(lab, fund, metric)
        if carried:
            return carried, ["grammar.fund_part_carry"], True
        unfit = any(t.kind == "item" for t in lab.before)
        before = self.facts_outside_asides(q)
        if token is None and self.bare_label(q, lab) and before and before[-1].metric == metric:
            return before[-1].item, ["grammar.previous_item"], True
        # 住院补偿153219人次，统筹支出50345.54万元: the money pairs with the count before it
        if self.previous and self.previous[1] is not None:
            prev = self.previous[1]
            if prev.metric == "visits" and metric == "expenditure" and prev.fund == fund:
                return (
                    prev.item,
                    ["grammar.count_amount_pair", *decided_by(prev, "item.", "population.")],
                    True,
                )
        part = self.resident_part(q, lab, fund)
        if part:
            return part
        return "total", [], not unfit

    def resident_part(self, q: Quantity, lab: Label, fund: str) -> tuple[str, list[str], bool] | None:
        """农村居民 / 城镇居民, or a pre-2016 scheme when both are given: whichever is named last."""
        if fund != "resident":
            return None
        for t in reversed(lab.sentence_before + lab.before):
            if t.kind == "population" and t.attr("item") == "rural" and self.run.rural_scheme_only:
                return "total", [t.entry.id], True  # 新农合参合农民受益7.59亿人次: all of the fund
            if t.kind == "population":
                return t.attr("item"), [t.entry.id], True
            if t.kind == "fund" and t.attr("fund") == "resident":
                scheme = t.attr("scheme_item") if self.run.split_schemes else None
                return (scheme, ["grammar.scheme_part", t.entry.id], True) if scheme else None
        scheme = (self.state.scheme or self.run.section.scheme) if self.run.split_schemes else None
        return (scheme, ["grammar.scheme_part"], True) if scheme else None

    def coordinated_items(self, before: list[Token], best: Token) -> bool:
        items = [t for t in before if t.kind == "item"]
        i = items.index(best)
        return i > 0 and bool(COORDINATOR.match(self.text[items[i - 1].end : best.start]))

    def fund_part(self, lab: Label, fund: str, metric: str) -> str | None:
        """统筹基金收入…，统筹基金支出…，当期亏损9054万元: the part carries until the next ；."""
        if not self.facts or metric == self.facts[-1].metric:
            return None
        prev = self.facts[-1]
        parts = ("pooled", "personal_account")
        if prev.fund != fund or prev.item not in parts or prev.derived:
            return None
        gap = self.text[prev.end : lab.clause_start]
        return None if re.search(r"[；;]", gap) else prev.item

    def facts_outside_asides(self, q: Quantity) -> list[Candidate]:
        """Facts read so far, less those inside parentheses that ``q`` is not in:
        …770元（其中个人缴费250元、财政补助520元），比上年710元 compares with 770元."""
        closed = [(s, e) for s, e in self.parens if not s <= q.start < e]
        return [f for f in self.facts if not any(s <= f.start < e for s, e in closed)]

    def bare_label(self, q: Quantity, lab: Label) -> bool:
        """Nothing but cues and filler before the number (执行110.94亿元, 上年同期为32.91亿元)."""
        words = list(self.text[lab.clause_start : q.start])
        for t in lab.before:
            if t.kind not in ("cue",):
                return False
            words[t.start - lab.clause_start : t.end - lab.clause_start] = [" "] * (t.end - t.start)
        for c in self.basis_cues:
            if lab.clause_start <= c.start and c.end <= q.start:
                words[c.start - lab.clause_start : c.end - lab.clause_start] = [" "] * (c.end - c.start)
        return bool(FILLER.match("".join(words)))

    def year_for(self, q: Quantity, lab: Label, token: Token | None = None) -> tuple[int, list[str], bool]:
        current = self.run.section.year or self.run.report_year
        explicit = [(p, y) for p, y in self.years if p < q.start and self.same_parens(p, q.start)]
        base = explicit[-1][1] if explicit else current
        rules = ["grammar.explicit_year"] if explicit else []
        cues = {t.attr("cue"): t for t in lab.before if t.kind == "cue"}
        sentence_cues = [t for t in self.tokens if t.kind == "cue" and t.end <= q.start]
        from_cue = next((t for t in reversed(sentence_cues) if t.attr("cue") == "from"), None)
        if "target" in cues and from_cue is not None:
            target = cues["target"]
            stated = [y for p, y in self.years if target.start <= p < q.start]
            if stated:  # 提高到2020年的550元
                return stated[-1], ["cue.target", "grammar.explicit_year"], False
            years_before = [y for p, y in self.years if p < from_cue.start]
            year = years_before[-1] if years_before else self.run.report_year
            return year, ["cue.target"], False
        if from_cue is not None and not any(
            t.attr("cue") == "target" and t.start > from_cue.start for t in sentence_cues
        ):
            inner = [y for p, y in self.years if from_cue.start < p < q.start]
            years_before = [y for p, y in self.years if p < from_cue.start]
            target_year = years_before[-1] if years_before else self.run.report_year
            if inner:
                return inner[-1], ["cue.from", "grammar.explicit_year"], inner[-1] < target_year
            return target_year - 1, ["cue.from"], True
        if token is not None and token.attr("previous_year"):  # 上年结余 names last year itself
            return base - 1, [token.entry.id], True
        prev_cue = cues.get("previous_year")
        if prev_cue is not None and (not explicit or explicit[-1][0] < prev_cue.start):
            return base - 1, [prev_cue.entry.id], True
        return base, rules, "previous_year" in cues  # 比2022年的44,207万元: a comparison figure

    def basis_for(
        self, q: Quantity, lab: Label, token: Token | None, previous: bool = False
    ) -> tuple[str, list[str]]:
        for c in reversed(self.basis_cues):
            if lab.clause_start <= c.start and c.end <= q.start and c.attr("scope") == "clause":
                return c.attr("basis"), [c.entry.id]
        if token is not None and token.attr("basis"):
            return token.attr("basis"), []
        if previous:  # 比2022年的44,207万元 in a budget sentence: last year's outcome
            return "actual", []
        if self.budget is not None:
            return "budget", [self.budget.entry.id]
        if self.run.section.budget:
            return "budget", [self.run.section.budget]
        for c in self.basis_cues:
            if c.attr("basis") == "estimate" and c.start < q.start:
                return "estimate", [c.entry.id]
        return "actual", []

    def period_at(self, pos: int) -> tuple[Period | None, list[str]]:
        """The part of the year a figure at ``pos`` covers: the last period word before it in the
        sentence (2023年一季度…), else the period the paragraph, the section or the report's title
        named.  A year named after that (2022年…) speaks of its own whole year, unless it is the
        same year or its 同期."""
        cues = [c for c in self.period_cues if c.end <= pos and self.same_parens(c.start, pos)]
        last = cues[-1] if cues else None
        named: Period | None = None
        if last is not None:
            year_of_cue = [y for p, y in self.years if p < last.end and self.year_ends[p] >= last.start - 2]
            stated = [y for p, y in self.years if p < last.start]
            year = (year_of_cue or stated or [self.run.section.year or self.run.report_year])[-1]
            named = Period(last.period, year, last.entry.id)
        base = named or self.inherited_period()
        later = [
            (p, y)
            for p, y in self.years
            if p < pos and self.same_parens(p, pos) and (last is None or p >= last.end)
        ]
        if later:
            p, y = later[-1]
            same_time = self.text.startswith("同期", self.year_ends[p]) or (
                base is not None and base.year == y
            )
            if base is None or not base.partial or not same_time:
                return Period(None, y, "grammar.explicit_year"), []
        if base is None:
            return None, []
        return base, [base.rule] if base is named or base.partial else []

    def inherited_period(self) -> Period | None:
        if self.state.period is not None:
            return self.state.period
        return self.run.section.period or self.run.period

    def same_parens(self, pos: int, q_pos: int) -> bool:
        """A year inside （2021年为…） speaks only inside its parentheses."""
        return all(s <= q_pos < e for s, e in self.parens if s <= pos < e)

    def quote_start(self, q: Quantity, lab: Label) -> int:
        start = lab.clause_start
        while start < q.start and self.text[start] in " \t":
            start += 1
        if q.start - start < 4 and self.facts and self.facts[-1].start < start:
            # 金额为3280.12万元: too short to stand alone, quote from the previous clause
            prev_clause = self.clause_of(self.facts[-1].quantity.start if self.facts[-1].quantity else start)[
                0
            ]
            start = max(prev_clause, self.sent.start)
            while start < q.start and self.text[start] in " \t":
                start += 1
        return start

    # ---- changes: 比上年增加13921人

    def is_change(self, q: Quantity, lab: Label) -> bool:
        if not lab.before:
            return False
        last = lab.before[-1]
        return last.attr("cue") == "change" and self.touches(last, q)

    def read_change(self, q: Quantity, lab: Label) -> None:
        self.previous = (q, None, False)
        if q.unit_class not in CHANGE_UNITS:
            return
        cues = [t for t in self.tokens if t.attr("cue") == "previous_year" and t.end <= q.start]
        if not cues:
            self.run.drop(q, "变化量没有比较对象（比上年/同比）")
            return
        subject = self.change_subject(q, lab)
        if subject is None:
            self.run.drop(q, "变化量找不到本年数值")
            return
        if subject.quantity is not None and subject.quantity.problem:
            self.run.drop(q, "本年数值未被采用（见待核查），变化量无从推算")
            return
        value = subject.value - lab.before[-1].attr("direction", 1) * q.value
        cue = cues[-1]
        start = cue.start if cue.start >= lab.clause_start else lab.clause_start
        named = [y for p, y in self.years if cue.start <= p < q.start]
        fact = replace(
            subject,
            year=named[0] if named else subject.year - 1,
            value=round(value, 6),
            derived=True,
            start=start,
            end=q.end,
            rule_id="grammar.derived_from_change",
            rules=["grammar.derived_from_change", cue.entry.id, lab.before[-1].entry.id],
            quantity=q,
            previous_year=True,
        )
        self.emit(fact)

    def change_subject(self, q: Quantity, lab: Label) -> Candidate | None:
        own = [t for t in lab.before[:-1] if t.kind == "metric"]
        same_unit = [f for f in self.facts if f.unit_class is q.unit_class]
        if same_unit and same_unit[-1].previous_year:
            return None  # 较上年506.53万元，减少20.82万元: both years are stated
        if own:
            metric_token = own[-1]
            metric = (metric_token.attr("metrics") or {}).get(q.unit_class.value)
            pool = [
                f for f in self.run.candidates if f.metric == metric and not f.previous_year and not f.derived
            ]
        else:
            pool = [f for f in same_unit if not f.derived and not f.previous_year]
        totals = [f for f in pool if f.item == "total"]
        if totals:
            return totals[-1]
        return pool[-1] if pool else None

    # ---- 其中：大病医疗基金支出319.88万元；…大病统筹基金支出292.58万元

    def set_aside_ambiguous_siblings(self) -> None:
        """Two items of one list read as the same figure with different values: neither can be chosen."""
        groups: dict[tuple, list[Candidate]] = {}
        for f in self.facts:
            if f.listed_after is not None and not f.derived:
                groups.setdefault((f.listed_after, self.subject_of(f), f.year, *f.key), []).append(f)
        for rows in groups.values():
            if len({round(f.value, 2) for f in rows}) < 2:
                continue
            quotes = "、".join(f"“{self.text[f.start : f.end]}”" for f in rows)
            reason = f"同一列举中{quotes}都被读作同一基金的同一指标，无法判断哪一个属于该基金，请人工核对"
            for f in rows:
                _remove_last(self.run.candidates, f)  # from the end: this sentence's own (a linear scan
                self.facts.remove(f)  # of every candidate per removal made long texts quadratic)
                self.run.ambiguous.append((f, reason))

    # ---- 均为基本支出

    def read_same_as(self, q: Quantity, lab: Label, fact: Candidate) -> None:
        nxt = [t for t in self.tokens if t.start >= lab.clause_end][:2]
        if len(nxt) < 2 or nxt[0].attr("cue") != "same_as":
            return
        target = nxt[1]
        fits = (
            target.kind == "metric"
            and target.attr("item")
            and target.attr("metrics", {}).get(q.unit_class.value)
        )
        if not fits or self.text[lab.clause_end : nxt[0].start].strip(" ，,"):
            return
        self.emit(
            replace(
                fact,
                item=target.attr("item"),
                end=target.end,
                rule_id=nxt[0].entry.id,
                rules=[nxt[0].entry.id, target.entry.id, *fact.rules],
            )
        )

    # ---- 无项目支出 / 收支平衡没有结转结余

    def read_zero_statements(self) -> None:
        for rule in self.run.vocab.zero_rules:
            for m in rule.regex.finditer(self.text, self.sent.start, self.sent.end):
                attrs = rule.entry.attrs
                fund = attrs.get("fund")
                if attrs.get("fund_from_context"):
                    fund = self.state.fund or self.run.section.fund
                    specific = [t for t in self.tokens if t.kind == "fund" and t.end <= m.start()]
                    if specific and specific[-1].attr("fund"):
                        fund = specific[-1].attr("fund")
                if fund in (None, EXCLUDED):
                    continue
                # the year and basis of the place, as for any figure there (预算草案 sections …)
                here = Quantity(m.start(), m.end(), m.group(0), 0.0, UnitClass.MONEY, "")
                lab = self.label(here)
                year, _, _ = self.year_for(here, lab)
                basis, _ = self.basis_for(here, lab, None)
                period, _ = self.period_at(here.start)
                partial = basis == "actual" and period is not None and period.partial
                self.emit(
                    Candidate(
                        year=year,
                        fund=fund,
                        metric=attrs["metric"],
                        item=attrs.get("item", "total"),
                        basis="partial" if partial else basis,
                        value=0.0,
                        derived=False,
                        start=min(m.start(), lab.clause_start + leading_space(self.text, lab.clause_start)),
                        end=m.end(),
                        rule_id=rule.entry.id,
                        rules=[rule.entry.id],
                        unit_class=UnitClass.MONEY,
                        period=period.text if partial and period is not None else None,
                    )
                )


def _remove_last(items: list, item: object) -> None:
    """Remove ``item`` (this very object) searching from the end of ``items``."""
    for i in range(len(items) - 1, -1, -1):
        if items[i] is item:
            del items[i]
            return
    items.remove(item)
