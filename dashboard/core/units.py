"""Units and number formatting: money in 万元 or 亿元, people in 人 or 万人, rates in %."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.core.settings import Kind, settings


@dataclass(frozen=True)
class Scale:
    """How to show one kind of number: divide by `divisor`, `decimals` places, then `unit`."""

    divisor: float
    unit: str
    decimals: int

    def apply(self, value: float) -> float:
        return value / self.divisor

    def text(self, value: float | None, sign: bool = False) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        spec = f"{'+' if sign else ''},.{self.decimals}f"
        number = format(self.apply(value), spec)
        return f"{number}{self.unit}" if self.unit in ("%",) else f"{number} {self.unit}"

    @property
    def d3_format(self) -> str:
        """The same format for plotly hover templates and ticks."""
        return f",.{self.decimals}f"


_FIXED = {
    Kind.rate: Scale(1, "%", 1),
    Kind.months: Scale(1, "个月", 1),
    Kind.per_capita: Scale(1, "元", 0),
}


def _largest(values: Iterable[float | None]) -> float:
    finite = [abs(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return max(finite, default=0.0)


def scale_for(kind: Kind | str, values: Iterable[float | None] = ()) -> Scale:
    """The unit for a chart or table: chosen once from the largest magnitude in view."""
    kind = Kind(kind)
    if kind in _FIXED:
        return _FIXED[kind]
    largest = _largest(values)
    cfg = settings()
    if kind is Kind.money:
        return Scale(1e8, "亿元", 2) if largest >= cfg.yi_threshold else Scale(1e4, "万元", 2)
    noun = "人" if kind is Kind.people else "人次"
    return Scale(1e4, f"万{noun}", 2) if largest >= cfg.wan_threshold else Scale(1, noun, 0)


def shared_scales(figures: Iterable[tuple[Kind | str, float | None]]) -> dict[Kind, Scale]:
    """One unit per kind for a block of figures (a fund's cards, a row of a table): chosen once
    from the largest magnitude of each kind, so 31.93 亿元 never sits beside −9,054.00 万元."""
    by_kind: dict[Kind, list[float | None]] = {}
    for kind, value in figures:
        by_kind.setdefault(Kind(kind), []).append(value)
    return {kind: scale_for(kind, values) for kind, values in by_kind.items()}


def format_value(value: float | None, kind: Kind | str) -> str:
    """One number on its own (a card, a table cell): its unit chosen from its own size."""
    return scale_for(kind, [value]).text(value)


def format_change(
    current: float | None, previous: float | None, kind: Kind | str, scale: Scale | None = None
) -> str | None:
    """Change on last year: points for rates and months, percent for amounts and counts
    (the difference itself where a value is negative or zero, in ``scale`` — the unit of the
    value beside it — when given)."""
    if current is None or previous is None:
        return None
    kind = Kind(kind)
    if kind is Kind.rate:
        return f"{current - previous:+.1f} 个百分点"
    if kind is Kind.months:
        return f"{current - previous:+.1f} 个月"
    if previous <= 0 or current < 0:
        # a percentage of a deficit misleads (−321 → −788 万元 is not "+145%"): give the difference
        return (scale or scale_for(kind, [current - previous])).text(current - previous, sign=True)
    return f"{100 * (current / previous - 1):+.1f}%"


# The kind of number each stored unit (codes.yaml units) holds, for showing a fact's value.
UNIT_KIND: dict[str, Kind] = {
    "yuan": Kind.money,
    "person": Kind.people,
    "visit": Kind.visits,
    "percent": Kind.rate,
    "month": Kind.months,
    "yuan_per_person": Kind.per_capita,
}


def format_fact(value: float | None, unit: str) -> str:
    """A fact's value on its own, in the unit its size calls for (32.80万人, 6.24 亿元, 380 元)."""
    return format_value(value, UNIT_KIND[unit])


# Units a steward may type a figure in, per stored unit (factor to the base unit).
INPUT_UNITS: dict[str, dict[str, float]] = {
    "yuan": {"万元": 1e4, "亿元": 1e8, "元": 1.0},
    "person": {"人": 1.0, "万人": 1e4},
    "visit": {"人次": 1.0, "万人次": 1e4},
    "percent": {"%": 1.0},
    "yuan_per_person": {"元/人": 1.0},
}
