"""Validated records: documents, fund facts, rejections and check results.

One strict base model; closed vocabularies are enums whose values are the codes of
``spec/fund-facts.md``, built from :mod:`pipelines.codes` (``rules/codes.yaml``).  A fact
that fails validation becomes a :class:`Rejection` (see :func:`validate_facts`) instead of
failing the batch.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines import codes


def _code_enum(name: str, values: tuple[str, ...]) -> type[StrEnum]:
    """An enum of codes from pipelines/codes.py: member ``EMPLOYEE`` has value ``"employee"``."""
    return StrEnum(name, [(value.upper(), value) for value in values], module=__name__)


Fund = _code_enum("Fund", codes.FUNDS)
Metric = _code_enum("Metric", codes.METRICS)
Item = _code_enum("Item", codes.ITEMS)
Basis = _code_enum("Basis", codes.BASES)
Unit = _code_enum("Unit", codes.UNITS)
Severity = _code_enum("Severity", codes.SEVERITIES)
Confidence = _code_enum("Confidence", codes.CONFIDENCES)
ConfidenceReason = _code_enum("ConfidenceReason", codes.CONFIDENCE_REASONS)


class RegionLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


METRIC_UNIT: dict[Metric, Unit] = {Metric(m): Unit(u) for m, u in codes.METRIC_UNIT.items()}

# Bounds beyond which a figure cannot be true anywhere (not mere implausibility, which
# the checks flag): more people than live in China, more money than China's GDP.
MAX_PEOPLE = 2_000_000_000
MAX_VISITS = 100_000_000_000
MAX_YUAN = 1e14
MAX_PER_CAPITA = 1e6
# Only a balance can be below zero (a deficit, and so its rate); a negative income,
# expenditure, count or per-capita amount is a misreading or a typo.
MAY_BE_NEGATIVE = frozenset({"balance", "cumulative_balance", "balance_rate"})
_MONEY_UNITS = frozenset({"yuan", "yuan_per_person"})


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Fact(StrictModel):
    fact_id: str
    doc_id: str
    region_code: str = Field(pattern=r"^\d{6}$")
    region_name: str = Field(min_length=1)
    region_level: RegionLevel
    year: int = Field(ge=1980, le=2100)
    fund: Fund
    metric: Metric
    item: Item
    basis: Basis
    value: float
    unit: Unit
    derived: bool
    quote: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int
    rule_id: str = Field(min_length=1)
    rules: tuple[str, ...] = ()
    period: str | None = None  # basis partial: the part of the year as the text gives it (1-6月)
    confidence: Confidence = Confidence.HIGH  # pipelines/confidence.py decides it after checking
    confidence_reasons: tuple[ConfidenceReason, ...] = ()  # codes; empty exactly when high

    @model_validator(mode="after")
    def _consistent(self) -> Fact:
        if self.end <= self.start:
            raise ValueError("引文位置无效（end ≤ start）")
        if (self.confidence == "review") != bool(self.confidence_reasons):
            raise ValueError("待核查（review）的数据须写明原因，可信（high）的数据没有原因")
        if self.period is not None and self.basis != "partial":
            raise ValueError("只有口径为部分期间（partial）的数据写明期间（period）")
        if not math.isfinite(self.value):
            raise ValueError("数值不是有限数")
        expected = METRIC_UNIT[Metric(self.metric)]
        if self.unit != expected:
            raise ValueError(f"指标 {self.metric} 的单位应为 {expected}，实际为 {self.unit}")
        _check_sign(Metric(self.metric), Unit(self.unit), self.value)
        _check_cents(Unit(self.unit), self.value)
        _check_range(Metric(self.metric), self.value)
        return self


def _check_sign(metric: Metric, unit: Unit, value: float) -> None:
    if value < 0 and metric.value not in MAY_BE_NEGATIVE:
        shown = f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"
        raise ValueError(
            f"{codes.name('metric', metric.value)} {shown}{codes.name('unit', unit.value)} 超出可能范围："
            "不可能为负数（只有结余可以为负），可能是符号或连字符误读，请人工核对"
        )


def _check_cents(unit: Unit, value: float) -> None:
    """An amount in 元 is whole cents: 0.0000001万元 (0.001 元) is no real amount."""
    if unit.value not in _MONEY_UNITS:
        return
    cents = value * 100
    if abs(cents - round(cents)) > max(1e-3, abs(cents) * 1e-12):
        raise ValueError(f"金额 {value:g} 元精确到分以下，不是真实的金额（可能是单位或小数点有误）")


def _check_range(metric: Metric, value: float) -> None:
    if metric is Metric.INSURED and not 0 <= value <= MAX_PEOPLE:
        raise ValueError(f"参保人数 {value:g} 超出可能范围（0–{MAX_PEOPLE:g}）")
    if metric is Metric.VISITS and not 0 <= value <= MAX_VISITS:
        raise ValueError(f"人次 {value:g} 超出可能范围")
    if metric in (Metric.INCOME, Metric.EXPENDITURE) and not 0 <= value <= MAX_YUAN:
        raise ValueError(f"收支金额 {value:g} 元超出可能范围（不应为负，且不超过 {MAX_YUAN:g} 元）")
    if metric in (Metric.BALANCE, Metric.CUMULATIVE_BALANCE) and abs(value) > MAX_YUAN:
        raise ValueError(f"结余金额 {value:g} 元超出可能范围")
    if metric in (Metric.BALANCE_RATE, Metric.COVERAGE_RATE) and not -100 <= value <= 1000:
        raise ValueError(f"比率 {value:g}% 超出可能范围（-100%–1000%）")
    per_capita = (Metric.INCOME_PER_CAPITA, Metric.EXPENDITURE_PER_CAPITA, Metric.FINANCING_PER_CAPITA)
    if metric in per_capita and not 0 <= value <= MAX_PER_CAPITA:
        raise ValueError(f"人均金额 {value:g} 元超出可能范围")


class Document(StrictModel):
    doc_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    file_name: str
    source_path: str
    text: str
    reader: str
    encoding: str | None
    size_bytes: int = Field(ge=0)
    report_year: int | None
    year_evidence: str
    title: str | None = None  # the title its text gives (pipelines.ingest.report_title)
    source_url: str | None = None  # the public address its sidecar gives (pipelines.sidecar)
    genre: str
    # how final its figures are beside another report's (rules/documents.yaml): the indicators
    # take a 统计公报's over a 快报's
    standing: Literal["final", "ordinary", "provisional"] = "ordinary"
    region_code: str | None
    region_name: str | None
    region_level: RegionLevel | None
    region_parent_code: str | None
    region_confidence: str
    region_evidence: tuple[str, ...]
    n_facts: int = Field(ge=0)
    n_rejections: int = Field(ge=0)
    warnings: tuple[str, ...] = ()


class Rejection(StrictModel):
    doc_id: str
    reason: str
    quote: str
    start: int
    end: int
    rule_id: str
    candidate: dict[str, Any]


class DroppedFigure(StrictModel):
    """A number read and set aside for a reason (a bound, a target, a bin, not a fund figure)."""

    doc_id: str
    reason: str = Field(min_length=1)
    quote: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int
    value: float
    surface: str  # the number with its unit as written (50亿元)


class CorrectionAction(StrEnum):
    CORRECT = "correct"  # the figure is read wrongly: value, fund, metric, item, year or basis
    REJECT = "reject"  # not a fund figure at all, or not this report's
    ADD = "add"  # a figure the extractor missed, quoted from the text
    RESTORE = "restore"  # back to the figure as extracted
    CONFIRM = "confirm"  # the figure is read rightly: a steward vouches for it (review → high)


class Correction(StrictModel):
    """A steward's correction; stored apart from the extracted facts, never overwriting them."""

    correction_id: str = Field(min_length=1)
    action: CorrectionAction
    doc_id: str = Field(min_length=1)
    fact_id: str = Field(min_length=1)
    anchor_start: int = Field(ge=0)
    anchor_end: int
    anchor_key: str = Field(min_length=1)
    year: int | None = Field(default=None, ge=1980, le=2100)
    fund: Fund | None = None
    metric: Metric | None = None
    item: Item | None = None
    basis: Basis | None = None
    value: float | None = None
    unit: Unit | None = None
    quote: str | None = None
    period: str | None = None  # a partial figure's part of the year (1-6月), as for a fact
    reason: str = Field(min_length=2, description="why; shown in the history")
    author: str = Field(min_length=1)
    created_at: datetime

    @model_validator(mode="after")
    def _complete(self) -> Correction:
        stated = (self.year, self.fund, self.metric, self.item, self.basis, self.value, self.unit)
        if self.action in (CorrectionAction.CORRECT, CorrectionAction.ADD) and None in stated:
            raise ValueError("更正和补录须给出年度、险种、指标、分项、口径和数值")
        if self.action == CorrectionAction.ADD and not self.quote:
            raise ValueError("补录须引用报告原文")
        if self.action in (CorrectionAction.CORRECT, CorrectionAction.ADD) and (
            (self.basis == "partial") != bool(self.period)
        ):
            raise ValueError("口径为部分期间（partial）的数据须写明期间（如 1-6月），其他口径不写期间")
        if self.anchor_end <= self.anchor_start:
            raise ValueError("引文位置无效（end ≤ start）")
        return self


class CheckResult(StrictModel):
    doc_id: str
    check_id: str
    severity: Severity
    message: str
    region_code: str | None = None
    year: int | None = None
    fund: str | None = None
    metric: str | None = None
    item: str | None = None
    basis: str | None = None
    expected: float | None = None
    actual: float | None = None
    fact_ids: tuple[str, ...] = ()
    quote: str | None = None


def validate_facts(candidates: list[dict[str, Any]]) -> tuple[list[Fact], list[Rejection]]:
    """Validate candidate facts; each invalid one becomes a rejection with its reason."""
    facts: list[Fact] = []
    rejections: list[Rejection] = []
    for cand in candidates:
        try:
            facts.append(Fact.model_validate(cand))
        except ValidationError as exc:
            rejections.append(
                Rejection(
                    doc_id=cand.get("doc_id", ""),
                    reason="；".join(_reason(e) for e in exc.errors()),
                    quote=str(cand.get("quote", "")),
                    start=int(cand.get("start", 0)),
                    end=int(cand.get("end", 0)),
                    rule_id=str(cand.get("rule_id", "")),
                    candidate={k: v for k, v in cand.items() if k not in ("quote",)},
                )
            )
    return facts, rejections


def _reason(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg
