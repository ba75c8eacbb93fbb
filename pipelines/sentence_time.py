"""When a figure is about and on what basis: its year, the part of the year (period) and its
basis (actual, budget, estimate, partial), and last year's figures a change gives
(比上年增加13921人).

Years come from the sentence (2023年…, 比2022年…, 由…提高到…), the section's heading or the
report; periods from period words (一季度, 1-6月) in the sentence, the paragraph, the section
or the report's title; bases from cue words in the clause, the sentence or the section.
"""

from __future__ import annotations

from dataclasses import replace

from pipelines.context import CHANGE_UNITS, Candidate, Label, Period
from pipelines.numbers import Quantity
from pipelines.sentence_scope import SentenceScope, once
from pipelines.vocab import Token


class TimeBasisReader:
    """Year, period and basis of the figures of one sentence; changes against last year."""

    def __init__(self, scope: SentenceScope):
        self.scope = scope
        self.run = scope.run
        self.text = scope.text

    @once
    def budget(self) -> Token | None:
        """A basis word that makes the whole sentence a budget (worked out when first asked for)."""
        return next(
            (
                c
                for c in self.scope.basis_cues
                if c.attr("basis") == "budget" and c.attr("scope") == "sentence"
            ),
            None,
        )

    # ---- year

    def year_for(self, q: Quantity, lab: Label, token: Token | None = None) -> tuple[int, list[str], bool]:
        current = self.run.section.year or self.run.report_year
        explicit = [(p, y) for p, y in self.scope.years if p < q.start and self.scope.same_parens(p, q.start)]
        base = explicit[-1][1] if explicit else current
        rules = ["grammar.explicit_year"] if explicit else []
        cues = {t.attr("cue"): t for t in lab.before if t.kind == "cue"}
        sentence_cues = [t for t in self.scope.tokens if t.kind == "cue" and t.end <= q.start]
        from_cue = next((t for t in reversed(sentence_cues) if t.attr("cue") == "from"), None)
        if "target" in cues and from_cue is not None:
            target = cues["target"]
            stated = [y for p, y in self.scope.years if target.start <= p < q.start]
            if stated:  # 提高到2020年的550元
                return stated[-1], ["cue.target", "grammar.explicit_year"], False
            years_before = [y for p, y in self.scope.years if p < from_cue.start]
            year = years_before[-1] if years_before else self.run.report_year
            return year, ["cue.target"], False
        if from_cue is not None and not any(
            t.attr("cue") == "target" and t.start > from_cue.start for t in sentence_cues
        ):
            inner = [y for p, y in self.scope.years if from_cue.start < p < q.start]
            years_before = [y for p, y in self.scope.years if p < from_cue.start]
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

    # ---- basis

    def basis_for(
        self, q: Quantity, lab: Label, token: Token | None, previous: bool = False
    ) -> tuple[str, list[str]]:
        for c in reversed(self.scope.basis_cues):
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
        for c in self.scope.basis_cues:
            if c.attr("basis") == "estimate" and c.start < q.start:
                return "estimate", [c.entry.id]
        return "actual", []

    # ---- period

    def period_at(self, pos: int) -> tuple[Period | None, list[str]]:
        """The part of the year a figure at ``pos`` covers: the last period word before it in the
        sentence (2023年一季度…), else the period the paragraph, the section or the report's title
        named.  A year named after that (2022年…) speaks of its own whole year, unless it is the
        same year or its 同期."""
        cues = [c for c in self.scope.period_cues if c.end <= pos and self.scope.same_parens(c.start, pos)]
        last = cues[-1] if cues else None
        named: Period | None = None
        if last is not None:
            year_of_cue = [
                y for p, y in self.scope.years if p < last.end and self.scope.year_ends[p] >= last.start - 2
            ]
            stated = [y for p, y in self.scope.years if p < last.start]
            year = (year_of_cue or stated or [self.run.section.year or self.run.report_year])[-1]
            named = Period(last.period, year, last.entry.id)
            title = self.run.period
            if title is not None and title.rule == last.entry.id and last.entry.get("whole_year_in_title"):
                # the sentence restates the title's 第四季度: the release's whole-year totals
                named = Period(None, year, last.entry.id)
        base = named or self.inherited_period()
        later = [
            (p, y)
            for p, y in self.scope.years
            if p < pos and self.scope.same_parens(p, pos) and (last is None or p >= last.end)
        ]
        if later:
            p, y = later[-1]
            same_time = self.text.startswith("同期", self.scope.year_ends[p]) or (
                base is not None and base.year == y
            )
            if base is None or not base.partial or not same_time:
                return Period(None, y, "grammar.explicit_year"), []
        if base is None:
            return None, []
        return base, [base.rule] if base is named or base.partial else []

    def inherited_period(self) -> Period | None:
        if self.scope.state.period is not None:
            return self.scope.state.period
        return self.run.section.period or self.run.period

    # ---- changes: 比上年增加13921人

    def is_change(self, q: Quantity, lab: Label) -> bool:
        """A change word right before the number (增加13921人, 减少20.82万元)."""
        if not lab.before:
            return False
        last = lab.before[-1]
        return last.attr("cue") == "change" and self.scope.touches(last, q)

    def read_change(self, q: Quantity, lab: Label) -> None:
        """比上年增加13921人: last year's figure, derived from this year's and the change."""
        self.scope.previous = (q, None, False)
        if q.unit_class not in CHANGE_UNITS:
            return
        cues = [t for t in self.scope.cues("previous_year") if t.end <= q.start]
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
        named = [y for p, y in self.scope.years if cue.start <= p < q.start]
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
        self.scope.emit(fact)

    def change_subject(self, q: Quantity, lab: Label) -> Candidate | None:
        own = [t for t in lab.before[:-1] if t.kind == "metric"]
        same_unit = [f for f in self.scope.facts if f.unit_class is q.unit_class]
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
