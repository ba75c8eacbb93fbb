"""Display settings (settings.yaml): funds, bases, indicators, reserve bands, thresholds."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

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
    name: str
    short: str
    color: str


class Basis(Strict):
    name: str
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

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        unknown = [f for f in self.default_funds if f not in self.funds]
        unknown += [i for i in self.headline if i not in self.indicators]
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


@cache
def settings() -> Settings:
    return Settings.model_validate(yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8")))
