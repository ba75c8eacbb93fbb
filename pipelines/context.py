"""What the extractor keeps while it reads: candidate facts, outline and paragraph context.

Shared by :mod:`pipelines.run` (one document's run state), :mod:`pipelines.extract` (the
walk over a document), :mod:`pipelines.sentence` (reading one sentence's figures) and
:mod:`pipelines.tables`; it imports none of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.models import METRIC_UNIT, Metric
from pipelines.numbers import Quantity, UnitClass
from pipelines.vocab import Token

YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年|年度)")
FILLER = re.compile(r"^(?:[\s\d年度全本当实际的共计为是达到约总额合计累计、初末]|预计|预算|执行|完成)*$")
COORDINATOR = re.compile(r"^\s*[、和及与]\s*$")
DEPARTMENT = "department"
EXCLUDED = "excluded"
CHANGE_UNITS = (UnitClass.MONEY, UnitClass.PERSON, UnitClass.VISIT, UnitClass.PER_CAPITA)
# a standard set for the year (人均筹资…元) is no outcome of part of it, whatever period is named
NEVER_PARTIAL = frozenset({"financing_per_capita"})


@dataclass
class Candidate:
    """A figure as the extractor reads it: what it measures, its value and where it is quoted.

    It stays typed up to storage: :func:`pipelines.ingest.read_figures` places it in its
    region and :func:`pipelines.ingest.process_file` turns it into a validated Fact."""

    year: int
    fund: str
    metric: str
    item: str
    basis: str
    value: float
    derived: bool
    start: int
    end: int
    rule_id: str
    rules: list[str]
    unit_class: UnitClass
    quantity: Quantity | None = None
    previous_year: bool = False
    listed_after: int | None = None  # position of the 其中/包括 that lists it, if any
    period: str | None = None  # basis partial: the part of the year (1-6月, 一季度)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.fund, self.metric, self.item, self.basis)

    @property
    def unit(self) -> str:
        """The unit the measure is stored in (yuan, person …)."""
        return METRIC_UNIT[Metric(self.metric)].value

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule that took part in reading it, each once, in order."""
        return tuple(dict.fromkeys(self.rules))

    def quote(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class Period:
    """The part of a year figures are about, where a text names it: ``text`` as the text gives
    it (``1-6月``) or None for the whole year (全年, 1-12月); ``year`` the year it was named with."""

    text: str | None
    year: int | None
    rule: str

    @property
    def partial(self) -> bool:
        return self.text is not None


@dataclass
class Dropped:
    quantity: Quantity
    reason: str


@dataclass
class Section:
    """Outline context: the fund governed by the enclosing headings."""

    levels: dict[str, int] = field(default_factory=dict)
    stack: list[tuple[int, str | None]] = field(default_factory=list)
    schemes: dict[int, str | None] = field(default_factory=dict)
    years: dict[int, int | None] = field(default_factory=dict)
    budgets: dict[int, str | None] = field(default_factory=dict)  # the heading cue's rule id
    periods: dict[int, Period | None] = field(default_factory=dict)  # （一）2023年一季度…

    def enter(
        self,
        style: str | None,
        state: str | None,
        scheme: str | None = None,
        year: int | None = None,
        budget: str | None = None,
        period: Period | None = None,
    ) -> None:
        if style is None:
            if state is None:
                return
            level = (self.stack[-1][0] if self.stack else 0) + 1
        else:
            level = self.levels.setdefault(style, len(self.levels) + 1)
        while self.stack and self.stack[-1][0] >= level:
            popped = self.stack.pop()[0]
            self.schemes.pop(popped, None)
            self.years.pop(popped, None)
            self.budgets.pop(popped, None)
            self.periods.pop(popped, None)
        self.stack.append((level, state))
        self.schemes[level] = scheme
        self.years[level] = year
        self.budgets[level] = budget
        self.periods[level] = period

    @property
    def period(self) -> Period | None:
        """（一）2023年一季度基金收支: the period a heading names governs its section."""
        return next((self.periods[lv] for lv, _ in reversed(self.stack) if self.periods.get(lv)), None)

    @property
    def budget(self) -> str | None:
        """（二）2024年预算草案: every figure of the section is budgeted (the rule that says so)."""
        return next((self.budgets[lv] for lv, _ in reversed(self.stack) if self.budgets.get(lv)), None)

    @property
    def year(self) -> int | None:
        """（二）2024年预算草案: the year a heading names governs its section."""
        for level, _ in reversed(self.stack):
            if self.years.get(level):
                return self.years[level]
        return None

    @property
    def scheme(self) -> str | None:
        for level, state in reversed(self.stack):
            if state is not None:
                return self.schemes.get(level)
        return None

    @property
    def fund(self) -> str | None:
        for _, state in reversed(self.stack):
            if state is not None:
                return state
        return None


@dataclass
class Label:
    """The tokens around one quantity."""

    before: list[Token]  # clause tokens before the quantity, nearest last
    after: list[Token]  # clause tokens after it
    sentence_before: list[Token]  # sentence tokens before the clause
    clause_start: int
    clause_end: int


@dataclass
class ParagraphState:
    fund: str | None = None  # last specific fund named in the paragraph
    scheme: str | None = None  # rural / urban when the last resident fund named was a scheme
    generic: bool = False  # a generic 医保/基本医疗保险 was named
    period: Period | None = None  # the period the last sentence spoke of (2022年1-10月，…。…)
    last_facts: list[Candidate] = field(default_factory=list)  # facts of the previous sentence

    def absorb(self, tokens: list[Token]) -> None:
        for t in tokens:
            if t.kind == "fund" and t.attr("strength") != "generic":
                self.fund = fund_of(t, self.fund) or EXCLUDED
                self.scheme = t.attr("scheme_item")
            elif t.kind == "fund":
                self.generic = True


def fund_of(token: Token, context: str | None) -> str | None:
    """The fund a fund word names where ``context`` is the fund around it (in an employee
    context some words name the employee fund's own part)."""
    fund = token.attr("fund")
    if fund and context in ("employee", "employee_supplementary") and token.attr("in_employee_context"):
        return token.attr("in_employee_context")
    return fund


def leading_space(text: str, pos: int) -> int:
    return len(text[pos:]) - len(text[pos:].lstrip(" \t"))


def item_fits(token: Token, fund: str, metric: str) -> bool:
    """An item word applies only to the funds and measures its vocabulary entry names
    (统筹基金 is a part of the employee fund only; 个人自缴 of a financing standard only)."""
    funds, metrics = token.attr("funds"), token.attr("metrics")
    return (not funds or fund in funds) and (not metrics or metric in metrics)


def decided_by(fact: Candidate, *prefixes: str) -> list[str]:
    """The rules of ``fact`` that decided what a later figure inherits from it."""
    return [r for r in fact.rules if r.startswith(prefixes)]
