"""风险预警: each fund's cumulative balance (累计结余) projected from its recent growth (pure
polars and Python; no Streamlit, no SQL).

The method, stated beside every result (:func:`method_text`, :func:`assumptions_text`):

1. The base year is the latest year whose income, expenditure and cumulative balance are all
   known (vouched indicators of the 实际 view).
2. The years used are those with both income and expenditure among the ``max_years`` ending at
   the base year; at least ``min_years`` are needed (settings.yaml ``projection``).
3. Income and expenditure each grow at their compound annual growth between the first and the
   last year used: g = (X_base ÷ X_first)^(1 ÷ (base − first)) − 1.
4. From the base year on, X(t) = X(base)·(1 + g)^(t − base); 累计结余(t) = 累计结余(t−1) +
   收入(t) − 支出(t); 可支付月数(t) = 累计结余(t) ÷ (支出(t) ÷ 12).
5. Within ``horizon`` years: the first year with fewer than ``floor_months`` months of
   reserves, and the first year the cumulative balance is below zero (run out).

A fund whose 当期结余 was negative in its latest two years, consecutive, is in deficit two years
running and is listed first, projected or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from dashboard.core.settings import Projection, settings
from dashboard.core.units import format_value
from pipelines import codes

# one projected (or actual) year of a fund
PATH_SCHEMA = {
    "year": pl.Int64,
    "income": pl.Float64,
    "expenditure": pl.Float64,
    "cumulative_balance": pl.Float64,
    "months": pl.Float64,
}
_MONEY = ("income", "expenditure", "cumulative_balance")
NEVER = 9999  # sorts a year that does not come after every year that does


@dataclass(frozen=True)
class Outlook:
    """One region's fund: its projection, or why there is none (``reason``)."""

    region_code: str
    region_name: str
    fund: str
    reason: str | None = None
    years_used: tuple[int, ...] = ()
    base_year: int | None = None
    income_growth: float | None = None  # per year: 0.02 is 2 %
    expenditure_growth: float | None = None
    base_balance: float | None = None  # 累计结余 of the base year (元)
    base_months: float | None = None  # 可支付月数 of the base year
    below_floor: int | None = None  # first year below floor_months (the base year: already)
    exhausted: int | None = None  # first year 累计结余 < 0 (the base year: already)
    deficit_years: tuple[int, ...] = ()  # the two latest years, both 当期结余 < 0
    estimated_years: tuple[int, ...] = ()  # years used whose figures are estimates standing in
    later_years: tuple[int, ...] = ()  # years after the base with income or expenditure only
    horizon: int = 10
    floor_months: float = 3.0
    actual: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PATH_SCHEMA), compare=False)
    projected: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PATH_SCHEMA), compare=False)

    @property
    def latest_months(self) -> tuple[int, float] | None:
        """The latest reported year's 可支付月数 (with the year), projected or not."""
        known = self.actual.filter(pl.col("months").is_not_null())
        return (int(known["year"][-1]), float(known["months"][-1])) if known.height else None

    @property
    def has_projection(self) -> bool:
        return self.reason is None

    @property
    def deficit_two_years(self) -> bool:
        return len(self.deficit_years) == 2

    @property
    def fund_name(self) -> str:
        return settings().fund_name(self.fund)


def compound_growth(first: float, last: float, years: int) -> float | None:
    """(last ÷ first)^(1 ÷ years) − 1; None where it means nothing (a value ≤ 0, no years)."""
    if years <= 0 or first is None or last is None or first <= 0 or last <= 0:
        return None
    return (last / first) ** (1 / years) - 1


def roll_forward(
    base_year: int,
    income: float,
    expenditure: float,
    balance: float,
    income_growth: float,
    expenditure_growth: float,
    horizon: int,
) -> pl.DataFrame:
    """The years after ``base_year``: income and expenditure grown from the base year's, the
    cumulative balance rolled forward by each year's income − expenditure."""
    rows = []
    for t in range(1, horizon + 1):
        grown_income = income * (1 + income_growth) ** t
        grown_spending = expenditure * (1 + expenditure_growth) ** t
        balance += grown_income - grown_spending
        rows.append(
            {
                "year": base_year + t,
                "income": grown_income,
                "expenditure": grown_spending,
                "cumulative_balance": balance,
                "months": balance / (grown_spending / 12) if grown_spending > 0 else None,
            }
        )
    return pl.DataFrame(rows, schema=PATH_SCHEMA)


def deficit_run(rows: pl.DataFrame) -> tuple[int, ...]:
    """The latest two years with a known 当期结余 when they follow each other and both are
    negative; () otherwise."""
    known = rows.filter(pl.col("balance").is_not_null()).sort("year").tail(2)
    if known.height < 2:
        return ()
    (y1, y2), (b1, b2) = known["year"].to_list(), known["balance"].to_list()
    return (int(y1), int(y2)) if y2 == y1 + 1 and b1 < 0 and b2 < 0 else ()


def _first_year(path: pl.DataFrame, condition: pl.Expr) -> int | None:
    hit = path.filter(condition)
    return int(hit["year"][0]) if hit.height else None


def _estimated(row: dict, metrics: Iterable[str]) -> bool:
    return any(m in (row.get("estimated_metrics") or ()) for m in metrics)


def _actual_path(rows: pl.DataFrame) -> pl.DataFrame:
    """The years with a reported cumulative balance or expenditure, as the chart draws them."""
    return (
        rows.filter(pl.col("cumulative_balance").is_not_null() | pl.col("expenditure").is_not_null())
        .select(
            pl.col("year").cast(pl.Int64),
            *(pl.col(c).cast(pl.Float64) for c in _MONEY),
            months=(pl.col("cumulative_balance") / (pl.col("expenditure") / 12)).cast(pl.Float64),
        )
        .sort("year")
    )


def outlook(rows: pl.DataFrame, spec: Projection | None = None) -> Outlook:
    """The outlook of one region's fund from its rows of `indicators` (实际 view)."""
    spec = spec or settings().projection
    rows = rows.sort("year")
    first = rows.row(0, named=True)
    common = {
        "region_code": first["region_code"],
        "region_name": first["region_name"],
        "fund": first["fund"],
        "deficit_years": deficit_run(rows),
        "horizon": spec.horizon,
        "floor_months": spec.floor_months,
        "actual": _actual_path(rows),
    }
    flows = rows.filter(pl.col("income").is_not_null() & pl.col("expenditure").is_not_null())
    complete = flows.filter(pl.col("cumulative_balance").is_not_null())
    if complete.is_empty():
        if flows.height < spec.min_years:
            return Outlook(reason=_too_few(flows["year"].to_list(), spec), **common)
        return Outlook(reason="未披露累计结余（或与收支不在同一年），无法推算", **common)
    base = complete.row(-1, named=True)
    base_year = int(base["year"])
    window = flows.filter(pl.col("year").is_between(base_year - spec.max_years + 1, base_year))
    years = tuple(int(y) for y in window["year"])
    later = tuple(int(y) for y in rows.filter(pl.col("year") > base_year)["year"])
    if len(years) < spec.min_years:
        reason = _too_few(list(years), spec)
        if later:
            reason += f"（{_years(later)}未披露累计结余）"
        return Outlook(reason=reason, years_used=years, base_year=base_year, **common)
    start = window.row(0, named=True)
    span = base_year - years[0]
    growth_in = compound_growth(start["income"], base["income"], span)
    growth_out = compound_growth(start["expenditure"], base["expenditure"], span)
    if growth_in is None or growth_out is None:
        return Outlook(
            reason=f"{years[0]}年或{base_year}年收入、支出不为正，无法计算增长率",
            years_used=years,
            base_year=base_year,
            **common,
        )
    projected = roll_forward(
        base_year,
        base["income"],
        base["expenditure"],
        base["cumulative_balance"],
        growth_in,
        growth_out,
        spec.horizon,
    )
    base_months = base["cumulative_balance"] / (base["expenditure"] / 12) if base["expenditure"] > 0 else None
    below = base_year if base_months is not None and base_months < spec.floor_months else None
    gone = base_year if base["cumulative_balance"] < 0 else None
    used = window.to_dicts()
    return Outlook(
        years_used=years,
        base_year=base_year,
        income_growth=growth_in,
        expenditure_growth=growth_out,
        base_balance=base["cumulative_balance"],
        base_months=base_months,
        below_floor=below or _first_year(projected, pl.col("months") < spec.floor_months),
        exhausted=gone or _first_year(projected, pl.col("cumulative_balance") < 0),
        estimated_years=tuple(
            int(r["year"]) for r in used if _estimated(r, ("income", "expenditure", "cumulative_balance"))
        ),
        later_years=later,
        projected=projected,
        **common,
    )


def _too_few(years: list[int], spec: Projection) -> str:
    had = f"仅有{_years(years)}{len(years)}年" if years else "没有"
    return f"{had}同时披露收入和支出的数据（需至少{spec.min_years}年），无法推算"


def _years(years: Iterable[int]) -> str:
    listed = sorted(years)
    return "、".join(str(y) for y in listed) + "年" if listed else ""


def risk_key(o: Outlook) -> tuple:
    """Deficit two years running first; then the earliest year of running out, of falling below
    the floor; funds without a projection last; then by region and fund."""
    fund_order = codes.order("fund")
    return (
        not o.deficit_two_years,
        not o.has_projection,
        o.exhausted or NEVER,
        o.below_floor or NEVER,
        o.region_code,
        fund_order.get(o.fund, len(fund_order)),
    )


def outlooks(ind: pl.DataFrame, spec: Projection | None = None) -> list[Outlook]:
    """Every region's fund with any money figure in `ind` (query `indicators`, 实际 view), riskiest first."""
    money = ind.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in (*_MONEY, "balance")))
    found = [outlook(rows, spec) for _, rows in money.group_by("region_code", "fund", maintain_order=True)]
    return sorted(found, key=risk_key)


# ---- what the page says beside each result


def _percent(growth: float) -> str:
    return f"{100 * growth:+.1f}%/年"


def status_text(o: Outlook) -> str:
    """The warning in a few words: 连续两年收不抵支（2023–2024年）；2029年耗尽 …"""
    parts = []
    if o.deficit_two_years:
        parts.append(f"连续两年收不抵支（{o.deficit_years[0]}–{o.deficit_years[1]}年）")
    floor = f"{o.floor_months:g}个月"
    if not o.has_projection:
        parts.append("无法推算")
    elif o.exhausted is not None:
        parts.append("累计结余已为负" if o.exhausted == o.base_year else f"{o.exhausted}年耗尽")
    elif o.below_floor is not None:
        parts.append(f"已低于{floor}" if o.below_floor == o.base_year else f"{o.below_floor}年低于{floor}")
    else:
        parts.append(f"{o.horizon}年内不低于{floor}")
    return "；".join(parts)


def method_text(o: Outlook) -> str:
    """The method and the years used, with the growth rates they gave."""
    if not o.has_projection:
        return o.reason or ""
    first, last = o.years_used[0], o.years_used[-1]
    return (
        f"按{first}–{last}年（{len(o.years_used)}年：{'、'.join(str(y) for y in o.years_used)}）"
        f"收入、支出的复合年均增长率外推（收入 {_percent(o.income_growth)}，支出 {_percent(o.expenditure_growth)}），"
        f"以{o.base_year}年收支和累计结余为起点逐年滚存（累计结余 = 上年累计结余 + 收入 − 支出），"
        f"推算至{o.base_year + o.horizon}年"
    )


def method_short(o: Outlook) -> str:
    """The method and the years used in one line, for the list (method_text in full)."""
    if not o.has_projection:
        return o.reason or ""
    first, last = o.years_used[0], o.years_used[-1]
    return f"{first}–{last}年（{len(o.years_used)}年）复合增长率外推，起点{o.base_year}年"


def assumptions_text(o: Outlook) -> str:
    """What the projection takes for granted, and what in its inputs is not a plain outcome."""
    if not o.has_projection:
        return ""
    notes = ["增长率不变，不计政策调整与上级调剂"]
    missing = [y for y in range(o.years_used[0], o.years_used[-1] + 1) if y not in o.years_used]
    if missing:
        notes.append(f"{_years(missing)}未披露收支（增长率按首尾两年计算）")
    if o.estimated_years:
        notes.append(f"{_years(o.estimated_years)}含预计数（尚无决算）")
    if o.later_years:
        notes.append(f"{_years(o.later_years)}未披露累计结余，以{o.base_year}年为起点")
    return "；".join(notes)


def _months_text(latest: tuple[int, float] | None) -> str:
    if latest is None:
        return "—"
    year, months = latest
    return f"累计结余为负（{year}年）" if months < 0 else f"{months:.1f}（{year}年）"


def _year_or(year: int | None, base: int | None, when_none: str) -> str:
    if year is None:
        return when_none
    return f"{year}年（已发生）" if year == base else f"{year}年"


def outlook_table(found: list[Outlook]) -> pl.DataFrame:
    """The list across regions as the page shows it: the warning and its years first, the method,
    years used and assumptions beside them, then the figures the projection starts from."""
    rows = []
    for o in found:
        projected = o.has_projection
        beyond = f"{o.horizon}年内未出现" if projected else "—"
        rows.append(
            {
                "地区": o.region_name,
                "险种": o.fund_name,
                "预警": status_text(o),
                f"低于{o.floor_months:g}个月": _year_or(o.below_floor, o.base_year, beyond),
                "耗尽（累计结余 < 0）": _year_or(o.exhausted, o.base_year, beyond),
                "方法与所用年份": method_short(o),
                "假设": assumptions_text(o),
                "可支付月数（最近）": _months_text(o.latest_months),
                "起点累计结余": format_value(o.base_balance, "money") if projected else "—",
                "收入年均增长": _percent(o.income_growth) if projected else "—",
                "支出年均增长": _percent(o.expenditure_growth) if projected else "—",
            }
        )
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def table_widths(spec: Projection | None = None) -> dict[str, int]:
    """How wide the list's text columns are drawn (pixels)."""
    floor = (spec or settings().projection).floor_months
    return {
        "预警": 280,
        f"低于{floor:g}个月": 130,
        "耗尽（累计结余 < 0）": 150,
        "方法与所用年份": 300,
        "假设": 290,
    }


def choices(found: list[Outlook]) -> list[Outlook]:
    """The outlooks with a projection to draw, in the list's order."""
    return [o for o in found if o.has_projection]


def summary_text(found: list[Outlook], spec: Projection) -> str:
    """The line above the 风险预警 list: how many funds are in deficit, will fall low, can't be projected."""
    deficits = sum(o.deficit_two_years for o in found)
    warned = sum(o.has_projection and o.below_floor is not None for o in found)
    unprojected = sum(not o.has_projection for o in found)
    return (
        f"**{len(found)}** 个地区·险种：连续两年收不抵支 **{deficits}** 个，"
        f"{spec.horizon}年内可支付月数将低于{spec.floor_months:g}个月 **{warned}** 个，"
        f"无法推算 **{unprojected}** 个。"
    )


def warning_years(chosen: Outlook, spec: Projection) -> list[tuple[int, str]]:
    """The years a projection chart marks (below the floor, run out), past the base year."""
    marks = (
        (chosen.below_floor, f"{chosen.below_floor}年低于{spec.floor_months:g}个月"),
        (chosen.exhausted, f"{chosen.exhausted}年耗尽"),
    )
    return [(year, text) for year, text in marks if year is not None and year != chosen.base_year]
