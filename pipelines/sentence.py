"""Reading the figures of one sentence against the words around them.

For each number with a unit the reader decides, from its clause and the sentence's
context, which fund, measure, item, year and basis it is about, and records the rules
that decided each (see :class:`pipelines.context.Candidate`).

:class:`SentenceReader` coordinates: it sets a figure aside (an exclusion word, an excluded
section), hands a change (比上年增加…) to the time reader, and otherwise builds the figure from
what the concern readers decide —

- :mod:`pipelines.sentence_measure`: fund, measure and item (the figure's label);
- :mod:`pipelines.sentence_time`: year, period, basis, and changes against last year;
- :mod:`pipelines.sentence_lists`: 分别 lists, 其中 breakdowns, 均为, statements of zero;

all of which share one :class:`pipelines.sentence_scope.SentenceScope` (the sentence's words,
clauses and the figures read from it so far).
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipelines.context import DEPARTMENT, EXCLUDED, FILLER, NEVER_PARTIAL, Candidate, Label, ParagraphState
from pipelines.numbers import Quantity, UnitClass
from pipelines.run import DocumentRun
from pipelines.segment import Sentence
from pipelines.sentence_lists import ListReader
from pipelines.sentence_measure import MeasureReader
from pipelines.sentence_scope import SentenceScope
from pipelines.sentence_time import TimeBasisReader
from pipelines.vocab import Token


class SentenceReader:
    """Reads the quantities of one sentence in order (:meth:`read`), then what the sentence
    says as a whole (:meth:`finish`)."""

    def __init__(self, run: DocumentRun, sent: Sentence, tokens: list[Token], state: ParagraphState):
        self.run = run
        self.text = run.text
        self.scope = SentenceScope(run, sent, tokens, state)
        self.time = TimeBasisReader(self.scope)
        self.lists = ListReader(self.scope, self.time)
        self.measure = MeasureReader(self.scope, self.lists)

    @property
    def facts(self) -> list[Candidate]:
        """The figures read from this sentence, in order."""
        return self.scope.facts

    def finish(self) -> None:
        """After the last figure: statements of zero (无项目支出), then the items of one list that
        cannot be told apart are set aside."""
        self.lists.read_zero_statements()
        self.lists.set_aside_ambiguous_siblings()

    # ---- one quantity

    def read(self, q: Quantity) -> None:
        if q.unit_class is UnitClass.POINTS:
            self.run.drop(q, "个百分点是变化量")
            return
        lab = self.scope.label(q)
        if q.unit_class is UnitClass.BARE:
            resolved = self.bare_unit(q, lab)
            if resolved is None:
                self.run.drop(q, "数字后只有“万”或“亿”，看不出是人数还是金额")
                return
            q = resolved
        reason = self.excluded(q, lab)
        if reason:
            self.run.drop(q, reason)
            self.scope.previous = (q, None, True)
            return
        if self.time.is_change(q, lab):
            self.time.read_change(q, lab)
            return
        facts = self.resolve(q, lab)
        if not facts:
            self.scope.previous = (q, None, False)
            return
        for fact in facts:
            self.scope.emit(fact)
        self.lists.read_same_as(q, lab, facts[0])
        self.scope.previous = (q, facts[-1], False)

    def bare_unit(self, q: Quantity, lab: Label) -> Quantity | None:
        """A number with a bare 万/亿 (参加新农合人口7.26亿): people or money as the measure named
        right before it in its clause says, when it names only one of them."""
        metrics = [t for t in lab.before if t.kind == "metric"]
        if not metrics:
            return None
        kinds = set(metrics[-1].attr("metrics") or {}) & {UnitClass.PERSON.value, UnitClass.MONEY.value}
        if len(kinds) != 1:
            return None
        return replace(q, unit_class=UnitClass(kinds.pop()))

    def excluded(self, q: Quantity, lab: Label) -> str | None:
        for t in self.scope.exclusions:
            if t.start >= q.start and t.attr("scope") == "sentence":
                continue
            if t.attr("scope") == "sentence":
                limit = self.scope.sent.end if t.attr("whole_sentence") else self.paren_end(t.start)
                applies = t.start < q.start < limit
            else:
                applies = lab.clause_start <= t.start < lab.clause_end
            if applies:
                return f"{t.attr('reason')}（“{self.text[t.start : t.end]}”）"
        if self.run.section.fund == EXCLUDED:
            return "所在章节不属于医保基金"
        bare = not any(t.kind in ("metric", "fund", "item", "population") for t in lab.before)
        if self.scope.previous and self.scope.previous[2] and bare:
            return "承接上一个被排除的数字"
        return None

    def paren_end(self, pos: int) -> int:
        """Where a sentence-wide exclusion stops: its parenthesis, else the next ；."""
        inner = [e for s, e in self.scope.parens if s <= pos < e]
        if inner:
            return min(inner)
        semicolon = re.compile(r"[；;]").search(self.text, pos, self.scope.sent.end)
        return semicolon.start() if semicolon else self.scope.sent.end

    # ---- what it is: measure, fund, then the figure

    def resolve(self, q: Quantity, lab: Label) -> list[Candidate]:
        fund_guess = (
            self.run.section.fund if self.run.section.fund == DEPARTMENT else self.measure.peek_fund(q)
        )
        found = self.measure.metric_candidates(q, lab, fund_guess)
        rules: list[str] = []
        parent = self.lists.component_parent(q)
        if not found:
            found = self.measure.inferred_metric(q, lab, parent, fund_guess, rules)
        if not found:
            self.run.drop(q, "没有可识别的指标词")
            return []
        metric_tokens = [t for t, _ in found if t is not None]
        fund, fund_rules = self.measure.fund_for(q, lab, metric_tokens)
        if fund == DEPARTMENT and self.measure.names_medical_fund(lab, metric_tokens):
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
        item, item_rules, component_ok = self.measure.item_for(q, lab, fund, metric, token)
        rules += item_rules
        year, year_rules, previous = self.time.year_for(q, lab, token)
        component = (
            parent is not None
            and parent.fund == fund
            and parent.metric == metric
            and not previous
            and year == parent.year  # …；2016年基金支出为12104万元 is no part of 2017's total
            and not self.lists.new_subject_between(parent.end, q.start)
        )
        if component and q.start > parent.end:
            qualified = token is not None and not FILLER.match(self.text[lab.clause_start : token.start])
            # 财政补贴收入…，其中县级财政补助4368万元: a further split of the same part has no code
            split_again = item != "total" and item == parent.item
            if (item == "total" and (token is None or qualified)) or not component_ok or split_again:
                self.run.drop(q, "其中所列组成部分没有可识别的分项")
                return None
            rules.append("cue.component")
        if (
            token is not None
            and token.attr("part_only")
            and item == token.attr("item")
            and fund == "maternity"
        ):
            item = "total"  # 生育保险待遇支出702.13亿元: the maternity fund's spending is its benefits
        if item in ("active", "retired") and not any(
            f.metric == "insured" and f.item == "total" and f.fund == fund
            for f in self.scope.facts + self.scope.state.last_facts
        ):
            self.run.drop(q, "在职/退休人数前没有参保总人数，可能是单位人员")
            return None
        basis, basis_rules = self.time.basis_for(q, lab, token, previous)
        period, period_rules = self.time.period_at(q.start)
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
        markers = [t.start for t in self.scope.cues("component") if t.end <= q.start]
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

    def quote_start(self, q: Quantity, lab: Label) -> int:
        start = lab.clause_start
        while start < q.start and self.text[start] in " \t":
            start += 1
        facts = self.scope.facts
        if q.start - start < 4 and facts and facts[-1].start < start:
            # 金额为3280.12万元: too short to stand alone, quote from the previous clause
            prev_clause = self.scope.clause_of(facts[-1].quantity.start if facts[-1].quantity else start)[0]
            start = max(prev_clause, self.scope.sent.start)
            while start < q.start and self.text[start] in " \t":
                start += 1
        return start
