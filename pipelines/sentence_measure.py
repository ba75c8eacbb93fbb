"""What a figure measures: its fund, its measure (metric) and its item, read from its label —
the words before it in its clause, then the sentence, the paragraph and the section.

The fund: a fund or population word in the sentence, a 分别 list, the previous figure's, the
paragraph's or the section's, a measure's default.  The measure: a metric word of the label
that fits the unit, else one inferred (a word after the number, the previous figure's, the
figure a 其中 list breaks down, an item's only measure …).  The item: the part of the fund
(统筹基金, 个人账户, 住院, 在职 …), or the whole (``total``).
"""

from __future__ import annotations

import re

from pipelines.context import (
    COORDINATOR,
    DEPARTMENT,
    EXCLUDED,
    FILLER,
    Candidate,
    Label,
    decided_by,
    fund_of,
    item_fits,
)
from pipelines.numbers import Quantity, UnitClass
from pipelines.sentence_lists import ListReader
from pipelines.sentence_scope import SentenceScope
from pipelines.vocab import Token


class MeasureReader:
    """Fund, measure and item of the figures of one sentence."""

    def __init__(self, scope: SentenceScope, lists: ListReader):
        self.scope = scope
        self.run = scope.run
        self.text = scope.text
        self.lists = lists

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
        respective = self.lists.respective_fund(q)
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
            for t in self.scope.tokens
            if t.kind in ("fund", "population")
            and t.end <= q.start
            and self.scope.live(t)
            and self.scope.same_parens(t.start, q.start)
        ]
        # a fund named right after the number (为4410人次参保职工支付待遇) belongs to it too
        if not in_sentence:
            in_sentence = [t for t in lab.after if t.kind == "fund"]
        specific = [t for t in in_sentence if t.attr("strength") != "generic"]
        if specific:
            last = specific[-1]
            if self.ambiguous_fund(last, specific, q):
                return None, ["grammar.ambiguous_fund"]
            context = section
            for t in specific[:-1]:
                context = fund_of(t, context) or context
            fund = fund_of(last, context)
            return (fund or EXCLUDED), [last.entry.id]
        if in_sentence:  # only a generic 医保 / 基本医疗保险
            return (section or "all"), [in_sentence[-1].entry.id]
        if self.scope.state.fund:
            return self.scope.state.fund, ["grammar.paragraph_fund"]
        if section:
            return section, ["grammar.section_fund"]
        if self.scope.state.generic:
            return "all", ["grammar.paragraph_fund"]
        for t in metric_tokens:
            if t.attr("default_fund"):
                return t.attr("default_fund"), [t.entry.id]
        return None, []

    def fund_of_previous_figure(self, q: Quantity, lab: Label) -> Candidate | None:
        """实施住院救助1.86万人次，支出1512.33万元: a clause naming no fund goes on with the last figure's."""
        before = self.scope.facts_outside_asides(q)  # a fund named in (含生育保险待遇支出…) stays inside
        if not before or any(t.kind in ("fund", "population") for t in lab.before):
            return None
        prev = before[-1]
        between = [
            t for t in self.scope.tokens if prev.end <= t.start < q.start and t.kind in ("fund", "population")
        ]
        return None if between or prev.derived else prev

    def ambiguous_fund(self, last: Token, specific: list[Token], q: Quantity) -> bool:
        """城镇职工、城乡居民的基本医疗保险… : two funds joined by 、/和 name neither."""
        before = [t for t in specific if t is not last and t.end <= last.start]
        if not before:
            return False
        prev = before[-1]
        gap = self.text[prev.end : last.start]
        return bool(COORDINATOR.match(gap)) and prev.attr("fund") != last.attr("fund")

    def peek_fund(self, q: Quantity) -> str | None:
        lab = self.scope.label(q)
        fund, _ = self.fund_for(q, lab, [])
        return fund

    def names_medical_fund(self, lab: Label, metric_tokens: list[Token]) -> bool:
        if any(t.attr("department") == "only" for t in metric_tokens):
            return False
        return any(t.kind == "fund" and t.attr("fund") not in (None, DEPARTMENT) for t in lab.before)

    # ---- measure

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
        if metric is None and adjacent and self.scope.touches(t, q):
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

    def bound_left(self, t: Token, left: list[Token]) -> bool:
        """A bare 收入/支出 counts only right after a known word (not after 教育, 工资…), a year or
        a period (1-12月支出), or as a new list item after a figure (收入10.82亿元、支出10.65亿元)."""
        start = left[-1].end if left else self.scope.clause_of(t.start)[0]
        figures = self.run.quantities_in(start, t.start)
        if figures:
            start = figures[-1].end
        gap = self.text[start : t.start]
        # a period before it is no word of its own (2023年1-12月支出184818440.33元)
        for cue in reversed(self.run.vocab.period_cues(self.text, start, t.start)):
            gap = gap[: cue.start - start] + gap[cue.end - start :]
        return bool(FILLER.match(gap))

    def bound_to_department(self, t: Token, left: list[Token]) -> bool:
        if left and left[-1].kind == "fund" and left[-1].attr("fund") == DEPARTMENT:
            return bool(FILLER.match(self.text[left[-1].end : t.start]))
        c_start = self.scope.clause_of(t.start)[0]
        return not left and bool(FILLER.match(self.text[c_start : t.start]))

    def modifies_fund_noun(self, right: list[Token]) -> bool:
        """住院补偿统筹基金31270万元: the verb qualifies a fund, the number is an allocation."""
        return any(t.attr("cue") == "fund_noun" or t.entry.id == "item.pooled" for t in right) and not any(
            t.kind == "metric" for t in right
        )

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
        if any(lab.clause_start <= t.start < q.start for t in self.scope.noise):
            return []  # 完成年度预算的101.36%: a ratio or process named in the label, nothing to inherit
        if q.unit_class is UnitClass.PERSON and any(
            t.kind == "metric" and t.attr("verb") for t in lab.before + lab.after
        ):
            return []  # 享受护理待遇1.92万人, 为480082名参合农民补助…: people paid are no insured count
        # 2. the measure of the figure just before it in the sentence (…收入34.58亿元，上年同期为32.91亿元)
        before = self.scope.facts_outside_asides(q)
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
        for prev in reversed(self.scope.facts):
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

    # ---- item

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
        prev = self.scope.previous[1] if self.scope.previous else None
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
        before = self.scope.facts_outside_asides(q)
        if token is None and self.bare_label(q, lab) and before and before[-1].metric == metric:
            return before[-1].item, ["grammar.previous_item"], True
        # 住院补偿153219人次，统筹支出50345.54万元: the money pairs with the count before it
        if self.scope.previous and self.scope.previous[1] is not None:
            prev = self.scope.previous[1]
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
        scheme = (self.scope.state.scheme or self.run.section.scheme) if self.run.split_schemes else None
        return (scheme, ["grammar.scheme_part"], True) if scheme else None

    def coordinated_items(self, before: list[Token], best: Token) -> bool:
        items = [t for t in before if t.kind == "item"]
        i = items.index(best)
        return i > 0 and bool(COORDINATOR.match(self.text[items[i - 1].end : best.start]))

    def fund_part(self, lab: Label, fund: str, metric: str) -> str | None:
        """统筹基金收入…，统筹基金支出…，当期亏损9054万元: the part carries until the next ；."""
        if not self.scope.facts or metric == self.scope.facts[-1].metric:
            return None
        prev = self.scope.facts[-1]
        parts = ("pooled", "personal_account")
        if prev.fund != fund or prev.item not in parts or prev.derived:
            return None
        gap = self.text[prev.end : lab.clause_start]
        return None if re.search(r"[；;]", gap) else prev.item

    def bare_label(self, q: Quantity, lab: Label) -> bool:
        """Nothing but cues and filler before the number (执行110.94亿元, 上年同期为32.91亿元)."""
        words = list(self.text[lab.clause_start : q.start])
        for t in lab.before:
            if t.kind not in ("cue",):
                return False
            words[t.start - lab.clause_start : t.end - lab.clause_start] = [" "] * (t.end - t.start)
        for c in self.scope.basis_cues:
            if lab.clause_start <= c.start and c.end <= q.start:
                words[c.start - lab.clause_start : c.end - lab.clause_start] = [" "] * (c.end - c.start)
        return bool(FILLER.match("".join(words)))
