"""Display settings (settings.yaml): fund and region colours, bases, indicators, reserve bands,
thresholds.

The Chinese names of funds, bases and metric indicators are not written in settings.yaml:
they come from :mod:`pipelines.codes` (``pipelines/rules/codes.yaml``) and are filled in at
load.  A fund in settings without a code, or a fund code without a colour, is an error.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from pipelines import codes

SETTINGS_FILE = Path(__file__).with_name("settings.yaml")
# How far apart (CIEDE2000 ΔE) a region's colour must be from every fund colour, and two region
# colours from each other: about the distance at which two lines are told apart at a glance.
REGION_FUND_DISTANCE = 10.0
REGION_REGION_DISTANCE = 15.0


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


class Projection(Strict):
    """风险预警: the years a projection uses, how far it looks and the reserve floor it warns at."""

    min_years: int
    max_years: int
    horizon: int
    floor_months: float

    @model_validator(mode="after")
    def _sane(self) -> Projection:
        if not 2 <= self.min_years <= self.max_years or self.horizon < 1 or self.floor_months <= 0:
            raise ValueError("projection: need 2 ≤ min_years ≤ max_years, horizon ≥ 1, floor_months > 0")
        return self


class Mark(Strict):
    label: str
    color: str


class BudgetExecution(Strict):
    """预算执行率 bands: within [low, high] % (both edges included) a budget is kept."""

    low: float
    high: float
    below: Mark
    within: Mark
    above: Mark

    @model_validator(mode="after")
    def _ordered(self) -> BudgetExecution:
        if not 0 < self.low < self.high:
            raise ValueError("budget_execution needs 0 < low < high")
        return self

    def status(self, rate: float) -> str:
        """below, within or above: where a rate (%, as shown) falls."""
        return "below" if rate < self.low else "above" if rate > self.high else "within"

    def mark(self, status: str) -> Mark:
        return {"below": self.below, "within": self.within, "above": self.above}[status]


class MapIndicator(Strict):
    scale: str | None = None
    midpoint: float | None = None
    bands: bool = False


class MapSettings(Strict):
    """The 地图 page's colours (settings.yaml: map)."""

    indicators: dict[str, MapIndicator]
    no_data_color: str
    below_color: str
    border_color: str


class Settings(Strict):
    funds: dict[str, Fund]
    region_colors: tuple[str, ...]
    regions_per_chart: int
    default_funds: tuple[str, ...]
    bases: dict[str, Basis]
    indicators: dict[str, Indicator]
    headline: tuple[str, ...]
    reserve_bands: tuple[Band, ...]
    projection: Projection
    budget_execution: BudgetExecution
    yi_threshold: float
    wan_threshold: float
    national_reference: str
    map: MapSettings

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
        unknown += [i for i in self.map.indicators if i not in self.indicators]
        if unknown:
            raise ValueError(f"unknown codes in settings: {unknown}")
        bounds = [b.upto for b in self.reserve_bands]
        if (
            bounds[-1] is not None
            or any(b is None for b in bounds[:-1])
            or bounds[:-1] != sorted(bounds[:-1])
        ):
            raise ValueError("reserve_bands must rise and end with one open band (upto: null)")
        self._distinct_region_colors()
        uncoloured = [k for k, m in self.map.indicators.items() if m.bands == bool(m.scale)]
        if uncoloured:
            raise ValueError(f"map indicators need either a colour scale or bands: {uncoloured}")
        return self

    def _distinct_region_colors(self) -> None:
        """Enough region colours for a chart, none mistakable for a fund's or for each other."""
        regions, funds = self.region_colors, {c: f.color for c, f in self.funds.items()}
        if self.regions_per_chart < 1 or len(regions) < self.regions_per_chart:
            raise ValueError(
                f"region_colors needs at least regions_per_chart ({self.regions_per_chart}) colours"
            )
        near = [
            f"{r} ~ {fund} {c}"
            for r in regions
            for fund, c in funds.items()
            if color_distance(r, c) < REGION_FUND_DISTANCE
        ]
        near += [
            f"{a} ~ {b}"
            for i, a in enumerate(regions)
            for b in regions[i + 1 :]
            if color_distance(a, b) < REGION_REGION_DISTANCE
        ]
        if near:
            raise ValueError(f"region_colors too close to a fund colour or to each other: {near}")

    def fund_name(self, code: str) -> str:
        fund = self.funds.get(code)
        return fund.short if fund else code

    def fund_color(self, code: str) -> str:
        fund = self.funds.get(code)
        return fund.color if fund else "#607D8B"

    def region_color(self, code: str) -> str:
        """A region's own colour: a function of its 6-digit code alone (see settings.yaml)."""
        return self.region_colors[_region_slot(code, len(self.region_colors))]

    def region_colors_for(self, codes: Iterable[str]) -> dict[str, str]:
        """The colour of each region shown together: its own colour, except that where two of
        them share one, the higher code takes the next colour no region here has (while any is
        left).  Pass every region of the view (the filters' selection), not only those with data
        in one chart, and a region keeps its colour on every chart of the view."""
        n = len(self.region_colors)
        out: dict[str, str] = {}
        taken: set[int] = set()
        for code in sorted({str(c) for c in codes}):
            home = _region_slot(code, n)
            slot = next((s % n for s in range(home, home + n) if s % n not in taken), home)
            taken.add(slot)
            out[code] = self.region_colors[slot]
        return out

    def band_for(self, months: float) -> Band:
        """The reserve band a number of months falls in, judged as it is shown (one decimal): a
        reader never sees "3.0 个月" called 结余不足 (<3)."""
        shown = round(months, 1)
        for band in self.reserve_bands:
            if band.upto is None or shown < band.upto:
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


def _region_slot(code: str, n: int) -> int:
    """The palette slot of a region code: the code modulo the palette size, so the counties of one
    city (neighbouring codes) differ; a code that is not a number by its CRC-32 (never hash(),
    which changes from run to run)."""
    code = str(code).strip()
    return int(code) % n if code.isdigit() else zlib.crc32(code.encode("utf-8")) % n


def _lab(color: str) -> tuple[float, float, float]:
    """CIELAB (D65) of a #RRGGBB colour."""
    rgb = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference of two CIELAB colours (Sharma, Wu and Dalal 2005)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1 = math.degrees(math.atan2(b1, a1)) % 360 if c1 else 0.0
    h2 = math.degrees(math.atan2(b2, a2)) % 360 if c2 else 0.0
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_l, d_c = l2 - l1, c2 - c1
    d_h = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_bar, c_bar = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = (h1 + h2) / 2
    else:
        h_bar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar
    s_h = 1 + 0.015 * c_bar * t
    r_t = (
        -2
        * math.sqrt(c_bar**7 / (c_bar**7 + 25**7))
        * math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2))))
    )
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def color_distance(a: str, b: str) -> float:
    """How different two #RRGGBB colours look (CIEDE2000 ΔE: about 2 is just noticeable)."""
    return delta_e2000(_lab(a), _lab(b))


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
