"""Figures in lists: A、B分别X、Y (the i-th figure is the i-th fund's), 其中/包括 breakdowns
(a component of the figure before it; two items of one breakdown that cannot be told apart
are set aside), 均为基本支出 (the same figure named again as an item), the sub-regions a list
names, and statements of zero (无项目支出, 收支平衡没有结转结余).
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import replace

from pipelines.context import COORDINATOR, EXCLUDED, Candidate, Label, leading_space
from pipelines.numbers import Quantity, UnitClass
from pipelines.sentence_scope import SentenceScope
from pipelines.sentence_time import TimeBasisReader
from pipelines.vocab import Token


class ListReader:
    """The lists of one sentence: 分别, 其中, 均为, and its statements of zero."""

    def __init__(self, scope: SentenceScope, time: TimeBasisReader):
        self.scope = scope
        self.run = scope.run
        self.text = scope.text
        self.time = time

    # ---- 分别: 职工医保、居民医保分别X、Y

    def respective_fund(self, q: Quantity) -> str | None:
        """A、B…分别X、Y: the i-th value of a 、-joined run after 分别 belongs to the i-th fund."""
        cue = next(
            (t for t in reversed(self.scope.cues("respectively")) if t.end <= q.start),
            None,
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
        funds = [t for t in self.scope.tokens if t.kind == "fund" and t.end <= before and t.attr("fund")]
        run: list[Token] = []
        for t in funds:
            if run and COORDINATOR.match(self.text[run[-1].end : t.start]):
                run.append(t)
            else:
                run = [t]
        return [t.attr("fund") for t in run] if len(run) > 1 else []

    # ---- 其中：大病医疗基金支出319.88万元；…大病统筹基金支出292.58万元

    def component_parent(self, q: Quantity) -> Candidate | None:
        """The figure a 其中/包括 list breaks down, if ``q`` is in such a list."""
        markers = [t for t in self.scope.cues("component") if t.end <= q.start]
        if not markers:
            return None
        marker = markers[-1]
        before = [
            f for f in self.scope.facts if f.end <= marker.start and not f.derived and not f.previous_year
        ]
        if before:
            return before[-1]
        if marker.start - self.scope.sent.start <= 2 and self.scope.state.last_facts:
            return self.scope.state.last_facts[-1]
        return None

    def subject_of(self, fact: Candidate) -> int | None:
        """Where the sub-region this fact is about is named in its sentence, if any."""
        starts = self.run.subject_starts
        i = bisect.bisect_right(starts, fact.end) - 1
        return starts[i] if i >= 0 and starts[i] >= self.scope.sent.start else None

    def new_subject_between(self, start: int, end: int) -> bool:
        """其中阜阳市基金收入…: a sub-region named in a list makes its items figures of their own."""
        i = bisect.bisect_left(self.run.subject_starts, start)
        return i < len(self.run.subject_starts) and self.run.subject_starts[i] < end

    def set_aside_ambiguous_siblings(self) -> None:
        """Two items of one list read as the same figure with different values: neither can be chosen."""
        groups: dict[tuple, list[Candidate]] = {}
        for f in self.scope.facts:
            if f.listed_after is not None and not f.derived:
                groups.setdefault((f.listed_after, self.subject_of(f), f.year, *f.key), []).append(f)
        for rows in groups.values():
            if len({round(f.value, 2) for f in rows}) < 2:
                continue
            quotes = "、".join(f"“{self.text[f.start : f.end]}”" for f in rows)
            reason = f"同一列举中{quotes}都被读作同一基金的同一指标，无法判断哪一个属于该基金，请人工核对"
            for f in rows:
                _remove_last(self.run.candidates, f)  # from the end: this sentence's own (a linear scan
                self.scope.facts.remove(f)  # of every candidate per removal made long texts quadratic)
                self.run.ambiguous.append((f, reason))

    # ---- 均为基本支出

    def read_same_as(self, q: Quantity, lab: Label, fact: Candidate) -> None:
        nxt = [t for t in self.scope.tokens if t.start >= lab.clause_end][:2]
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
        self.scope.emit(
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
        if not self.run.vocab.may_state_zero(self.text, self.scope.sent.start, self.scope.sent.end):
            return
        for rule in self.run.vocab.zero_rules:
            for m in rule.regex.finditer(self.text, self.scope.sent.start, self.scope.sent.end):
                attrs = rule.entry.attrs
                fund = attrs.get("fund")
                if attrs.get("fund_from_context"):
                    fund = self.scope.state.fund or self.run.section.fund
                    specific = [t for t in self.scope.tokens if t.kind == "fund" and t.end <= m.start()]
                    if specific and specific[-1].attr("fund"):
                        fund = specific[-1].attr("fund")
                if fund in (None, EXCLUDED):
                    continue
                # the year and basis of the place, as for any figure there (预算草案 sections …)
                here = Quantity(m.start(), m.end(), m.group(0), 0.0, UnitClass.MONEY, "")
                lab = self.scope.label(here)
                year, _, _ = self.time.year_for(here, lab)
                basis, _ = self.time.basis_for(here, lab, None)
                period, _ = self.time.period_at(here.start)
                partial = basis == "actual" and period is not None and period.partial
                self.scope.emit(
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
