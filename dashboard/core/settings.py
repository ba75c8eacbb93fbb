"""Display settings (settings.yaml): fund colours, bases, indicators, reserve bands, thresholds.

The Chinese names of funds, bases and metric indicators are not written in settings.yaml:
they come from :mod:`pipelines.codes` (``pipelines/rules/codes.yaml``) and are filled in at
load.  A fund in settings without a code, or a fund code without a colour, is an error.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from pipelines import codes

SETTINGS_FILE = Path(__file__).with_name("settings.yaml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(StrEnum):
    money = "money"
    people = "people"
    visits = "visits"
    rate = "rate"
    months = "months"
    per_capita = "per_capita"


class Fund(Strict):
    name: str  # full name, from codes
    short: str  # short name, from codes
    color: str


class Basis(Strict):
    name: str  # from codes
    help: str


class Indicator(Strict):
    name: str
    kind: Kind
    sources: tuple[str, ...]


class Band(Strict):
    upto: float | None
    label: str
    color: str
    status: str


class Settings(Strict):
    funds: dict[str, Fund]
    default_funds: tuple[str, ...]
    bases: dict[str, Basis]
    indicators: dict[str, Indicator]
    headline: tuple[str, ...]
    reserve_bands: tuple[Band, ...]
    yi_threshold: float
    wan_threshold: float
    national_reference: str

    @model_validator(mode="before")
    @classmethod
    def _names_from_codes(cls, raw: Any) -> Any:
        """Fill in the names of funds, bases and metric indicators from pipelines.codes."""
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        funds = raw.get("funds") or {}
        unknown = [c for c in funds if c not in codes.FUNDS]
        uncoloured = [c for c in codes.FUNDS if c not in funds]
        if unknown or uncoloured:
            raise ValueError(
                f"settings funds must be exactly the fund codes of codes.yaml: "
                f"not codes {unknown}, codes without a colour {uncoloured}"
            )
        raw["funds"] = {
            c: _named(funds[c], f"funds.{c}", name=codes.fund_full_name(c), short=codes.name("fund", c))
            for c in codes.FUNDS
        }
        bases = raw.get("bases") or {}
        unknown = [b for b in bases if b not in codes.BASES]
        if unknown:
            raise ValueError(f"settings bases that are not basis codes: {unknown}")
        raw["bases"] = {
            b: _named(spec, f"bases.{b}", name=codes.name("basis", b)) for b, spec in bases.items()
        }
        raw["indicators"] = {
            key: _named(spec, f"indicators.{key}", name=codes.name("metric", key))
            if key in codes.METRICS
            else spec
            for key, spec in (raw.get("indicators") or {}).items()
        }
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        unknown = [f for f in self.default_funds if f not in self.funds]
        unknown += [i for i in self.headline if i not in self.indicators]
        unknown += [m for i in self.indicators.values() for m in i.sources if m not in codes.METRICS]
        if unknown:
            raise ValueError(f"unknown codes in settings: {unknown}")
        bounds = [b.upto for b in self.reserve_bands]
        if (
            bounds[-1] is not None
            or any(b is None for b in bounds[:-1])
            or bounds[:-1] != sorted(bounds[:-1])
        ):
            raise ValueError("reserve_bands must rise and end with one open band (upto: null)")
        return self

    def fund_name(self, code: str) -> str:
        fund = self.funds.get(code)
        return fund.short if fund else code

    def fund_color(self, code: str) -> str:
        fund = self.funds.get(code)
        return fund.color if fund else "#607D8B"

    def band_for(self, months: float) -> Band:
        """The reserve band a number of months falls in."""
        for band in self.reserve_bands:
            if band.upto is None or months < band.upto:
                return band
        raise AssertionError("the last band is open")

    def band_ranges(self) -> list[tuple[Band, str]]:
        """Each band with its range in words: <3, 3–6, …, ≥15 (months)."""
        out, lower = [], None
        for band in self.reserve_bands:
            if lower is None:
                text = f"<{band.upto:g}"
            elif band.upto is None:
                text = f"≥{lower:g}"
            else:
                text = f"{lower:g}–{band.upto:g}"
            out.append((band, text))
            lower = band.upto
        return out

    @property
    def national_path(self) -> Path:
        return (SETTINGS_FILE.parent / self.national_reference).resolve()


def _named(spec: Any, where: str, **names: str) -> Any:
    """``spec`` with the names from codes; a name written in settings.yaml must not differ."""
    if not isinstance(spec, dict):
        return spec
    drifted = [k for k, v in names.items() if k in spec and spec[k] != v]
    if drifted:
        raise ValueError(f"{where}: {drifted} come from pipelines/rules/codes.yaml, not settings.yaml")
    return spec | names


@cache
def settings() -> Settings:
    return Settings.model_validate(yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8")))
