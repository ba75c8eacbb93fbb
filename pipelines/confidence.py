"""How sure the extractor is of each figure: `high`, or `review` with the reasons a steward
should look at before the figure is used (``fund_facts.confidence`` / ``confidence_reasons``).

Each reason is a question a careful reader would still ask about the reading, decided from
what the extractor recorded while reading (the fact's rule ids), where the report's year and
region came from, and the document's checks.  The reasons and their Chinese names are the
closed vocabulary ``confidence_reasons`` of ``rules/codes.yaml``.  Which signals earn a reason
was measured on the real-text corpus (tests/corpus/): each marks a class of figures read
wrongly far more often than the rest (see tests/corpus/README.md for the figures).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines import codes
from pipelines.models import CheckResult, Fact

# the sentence or the table cell states the figure's own year
_YEAR_STATED = frozenset({"grammar.explicit_year", "table.year_stated"})
_METRIC_FROM_CONTEXT = frozenset({"grammar.previous_metric"})
_UNIT_FROM_HEADER = frozenset({"table.unit_header"})
# rates whose population a text often narrows (少数民族人口参合率, 贫困人口参保率, 受益面)
_RATES = frozenset({"coverage_rate"})
# 新农合 / 新型农村合作医疗 named as the figure's fund
_RURAL_SCHEME = frozenset({"fund.resident_rural_scheme"})
# a title about a fund, and one about a department's own accounts
_FUND_TITLE = re.compile(r"基金")
_DEPARTMENT_TITLE = re.compile(r"部门|单位|整体支出")
# checks that say the figure itself is doubtful (not an info note)
_FLAGGING = frozenset({"error", "warning"})
_DUPLICATE_CHECK = "duplicate_key_conflict"


@dataclass(frozen=True)
class DocumentContext:
    """What the whole report says about a figure's place: its region and year, and how sure."""

    region_code: str | None
    region_confidence: str  # high | medium | low (pipelines.regions)
    year_source: str  # caller | title | body | none (pipelines.extract.detect_report_year)
    title: str | None = None  # the report's title (pipelines.ingest.report_title)

    @property
    def about_a_fund(self) -> bool:
        """The title names a fund's report (基本医疗保险基金收支结余情况, 社会保险基金预算编制说明),
        not a department's (部门决算, 整体支出绩效)."""
        return bool(
            self.title and _FUND_TITLE.search(self.title) and not _DEPARTMENT_TITLE.search(self.title)
        )


def reasons_for(fact: Fact, doc: DocumentContext, flagged_by: Iterable[str] = ()) -> list[str]:
    """The reason codes that make `fact` a figure to review (empty: high confidence).

    ``flagged_by``: the ids of the document's failed checks (error or warning) naming it."""
    rules = set(fact.rules)
    reasons: list[str] = []
    if doc.year_source in ("body", "none") and not rules & _YEAR_STATED:
        reasons.append("year_from_body")  # the report's year only from counting years in the text
    elif doc.year_source in ("body", "none"):
        # a text whose title names no year is news or an excerpt: its figures are read wrongly
        # far more often (corpus batches 13–16: 30% of such `high` facts), even with a stated year
        reasons.append("untitled_text")
    if fact.region_code == doc.region_code and doc.region_confidence == "low":
        reasons.append("region_unsure")
    if doc.region_code is not None and fact.region_code != doc.region_code:
        reasons.append("other_region")
    checks = set(flagged_by)
    if _DUPLICATE_CHECK in checks:
        reasons.append("conflict")
    if rules & _METRIC_FROM_CONTEXT:
        reasons.append("metric_from_context")
    if fact.metric in _RATES:
        reasons.append("rate_population")
    if fact.metric == "financing_per_capita":
        reasons.append("financing_standard")  # 个人缴费 / 财政补助 / 人均筹资: which part (41% wrong)
    if fact.fund == "critical_illness":
        reasons.append("critical_illness_scope")  # the fund, or a purchase of it (69% wrong)
    if rules & _RURAL_SCHEME:
        # 新农合 wording: the scheme's whole or the resident fund's rural part, 参合 counts, several
        # schemes summed in one sentence (corpus batches 01–18: 48% of such figures right, 3 of 13 `high`)
        reasons.append("rural_scheme")
    if fact.fund == "department" and doc.about_a_fund:
        # a department figure in a fund's report: a fund's lines read as the bureau's own budget
        # (corpus batches 01–18: none of 15 such figures right)
        reasons.append("department_in_fund_report")
    if rules & _UNIT_FROM_HEADER:
        reasons.append("unit_from_header")
    if checks - {_DUPLICATE_CHECK}:
        reasons.append("check_failed")
    return reasons


def assess(facts: list[Fact], checks: list[CheckResult], doc: DocumentContext) -> list[Fact]:
    """`facts` with their confidence and reasons set, in the same order."""
    flagged: dict[str, set[str]] = defaultdict(set)
    for check in checks:
        if check.severity in _FLAGGING:
            for fact_id in check.fact_ids:
                flagged[fact_id].add(check.check_id)
    out = []
    for fact in facts:
        reasons = reasons_for(fact, doc, flagged.get(fact.fact_id, ()))
        # both fields set together, as the model requires (model_copy does not validate again)
        verdict = {"confidence": "review" if reasons else "high", "confidence_reasons": tuple(reasons)}
        out.append(fact.model_copy(update=verdict))
    return out


def reasons_text(reasons: Iterable[str]) -> str | None:
    """Reason codes as stored and shown: their Chinese names joined with "；" (None for none)."""
    return "；".join(codes.name("confidence_reason", r) for r in reasons) or None
