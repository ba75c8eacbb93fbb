"""The contract's codes and their Chinese names, from ``rules/codes.yaml`` (loaded once).

Every other module reads codes and names from here: the models' enums, the checks'
messages, the dashboard's settings, the deck and the exports.  Orders are display orders.

    codes.FUNDS                      # ('all', 'employee', …)
    codes.name("fund", "resident")   # '居民医保' (short; codes.fund_full_name gives the full name)
    codes.names("severity")          # {'error': '错误', 'warning': '警告', 'info': '提示'}
    codes.METRIC_UNIT["income"]      # 'yuan'
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

CODES_FILE = Path(__file__).with_name("rules") / "codes.yaml"

Kind = Literal[
    "fund",
    "metric",
    "item",
    "basis",
    "unit",
    "severity",
    "origin",
    "confidence",
    "confidence_reason",
    "level",
]
_CODE = re.compile(r"^[a-z][a-z_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FundCode(_Strict):
    name: str = Field(min_length=1)
    short: str = Field(min_length=1)


class MetricCode(_Strict):
    name: str = Field(min_length=1)
    unit: str


class CodeTables(_Strict):
    funds: dict[str, FundCode]
    metrics: dict[str, MetricCode]
    items: dict[str, str]
    bases: dict[str, str]
    units: dict[str, str]
    severities: dict[str, str]
    origins: dict[str, str]
    confidences: dict[str, str]
    confidence_reasons: dict[str, str]
    levels: dict[str, str]

    @model_validator(mode="after")
    def _consistent(self) -> CodeTables:
        tables = (
            self.funds,
            self.metrics,
            self.items,
            self.bases,
            self.units,
            self.severities,
            self.origins,
            self.confidences,
            self.confidence_reasons,
            self.levels,
        )
        bad = [code for table in tables for code in table if not _CODE.match(code)]
        if bad:
            raise ValueError(f"codes must be lower_snake_case: {bad}")
        empty = [
            code for table in tables for code, name in table.items() if isinstance(name, str) and not name
        ]
        if empty:
            raise ValueError(f"codes without a name: {empty}")
        units = [f"{m}: {spec.unit}" for m, spec in self.metrics.items() if spec.unit not in self.units]
        if units:
            raise ValueError(f"metrics with a unit that is not a unit code: {units}")
        if next(iter(self.items), None) != "total":
            raise ValueError("the first item must be `total`")
        return self

    def names(self, kind: Kind) -> dict[str, str]:
        if kind == "fund":
            return {code: spec.short for code, spec in self.funds.items()}
        if kind == "metric":
            return {code: spec.name for code, spec in self.metrics.items()}
        return dict(getattr(self, _TABLE[kind]))


_TABLE: dict[str, str] = {
    "fund": "funds",
    "metric": "metrics",
    "item": "items",
    "basis": "bases",
    "unit": "units",
    "severity": "severities",
    "origin": "origins",
    "confidence": "confidences",
    "confidence_reason": "confidence_reasons",
    "level": "levels",
}


def load(path: Path = CODES_FILE) -> CodeTables:
    return CodeTables.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


TABLES = load()

FUNDS: tuple[str, ...] = tuple(TABLES.funds)
METRICS: tuple[str, ...] = tuple(TABLES.metrics)
ITEMS: tuple[str, ...] = tuple(TABLES.items)
BASES: tuple[str, ...] = tuple(TABLES.bases)
UNITS: tuple[str, ...] = tuple(TABLES.units)
SEVERITIES: tuple[str, ...] = tuple(TABLES.severities)  # most severe first
ORIGINS: tuple[str, ...] = tuple(TABLES.origins)
CONFIDENCES: tuple[str, ...] = tuple(TABLES.confidences)
CONFIDENCE_REASONS: tuple[str, ...] = tuple(TABLES.confidence_reasons)
LEVELS: tuple[str, ...] = tuple(TABLES.levels)  # the nation first, counties last
METRIC_UNIT = MappingProxyType({code: spec.unit for code, spec in TABLES.metrics.items()})

_NAMES = {kind: MappingProxyType(TABLES.names(kind)) for kind in _TABLE}


def names(kind: Kind) -> MappingProxyType[str, str]:
    """code → Chinese display name for one kind of code, in display order (funds: short names)."""
    return _NAMES[kind]


def name(kind: Kind, code: str | None) -> str:
    """The Chinese display name of a code; an unknown code (or None, as '') is shown as it is."""
    if code is None:
        return ""
    return _NAMES[kind].get(code, code)


def fund_full_name(code: str) -> str:
    """A fund's full name (职工基本医疗保险); :func:`name` gives the short one (职工医保)."""
    spec = TABLES.funds.get(code)
    return spec.name if spec else code


def order(kind: Kind) -> dict[str, int]:
    """code → its position in display order (severities: 0 is the most severe)."""
    return {code: i for i, code in enumerate(_NAMES[kind])}
