"""年内进度: outcomes for part of a year (basis `partial`: 一季度, 1-6月, 1-9月 …) as progress
through the year, never as a whole year (pure polars and Python; no Streamlit, no SQL).

A period, as the text gives it (the contract's `period` column; the words the extractor reads
are the `periods` of pipelines/rules/vocabulary.yaml), ends some months into the year.  Periods
from January (一季度, 1-9月, 上半年, 前三季度, 截至9月底, 前三个月) are cumulative: their income
and expenditure are drawn against last year's same period and against the year's budget:

    时序进度 = months elapsed ÷ 12        预算进度 = cumulative outcome ÷ whole-year budget

A period that does not start in January (第二季度, 下半年, a single month after January) is no
point on that line; it is listed apart with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import polars as pl

from dashboard.core.settings import settings
from dashboard.core.units import scale_for
from pipelines import codes
from pipelines.vocab import month_number

FLOWS = ("income", "expenditure")
_DASH = r"[-—–~至到]"
_MONTH = r"(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])"
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# 上旬 (1–10日) ends a third into the month, 中旬 (11–20日) two thirds; 底, 末, 下旬 (or nothing)
# at its end
_PART_OF_MONTH = {"上旬": 1 / 3, "中旬": 2 / 3}


@dataclass(frozen=True)
class Period:
    """Part of a year: its first month and how many months from 1 January it reaches (8.5 for
    截至9月中旬)."""

    text: str
    first_month: int
    months: float

    @property
    def cumulative(self) -> bool:
        """From January: a point on the year's progress line."""
        return self.first_month == 1


def _quarters(text: str) -> Period | None:
    if m := re.fullmatch(rf"[一1]{_DASH}([二三四234])季度", text):  # 一至三季度
        return Period(text, 1, 3.0 * _QUARTERS[m[1]])
    if m := re.fullmatch(
        r"(?:前|截[至止]到?(?:今年)?第?)([一二三四1-4])(?:个)?季度", text
    ):  # 前三季度, 截至二季度
        return Period(text, 1, 3.0 * _QUARTERS[m[1]])
    if m := re.fullmatch(r"第?([一二三四1-4])季度", text):  # 一季度; 第二季度 is the quarter alone
        quarter = _QUARTERS[m[1]]
        return Period(text, 3 * quarter - 2, 3.0 * quarter)
    return None


def _months(text: str) -> Period | None:
    if m := re.fullmatch(rf"[1一](?:月份?)?{_DASH}{_MONTH}月份?", text):  # 1-9月, 一至六月
        return _upto(text, m[1])
    if m := re.fullmatch(rf"前{_MONTH}个?月", text):  # 前三个月, 前九月
        return _upto(text, m[1])
    if m := re.fullmatch(
        rf"截[至止]到?(?:(?:19|20)\d\d年)?{_MONTH}月份?(底|末|上旬|中旬|下旬|\d{{1,2}}日)?", text
    ):
        month = month_number(m[1])
        return Period(text, 1, month - 1 + _part_of_month(m[2] or "")) if month else None
    if m := re.fullmatch(rf"{_MONTH}月份?", text):  # 2024年1月, : one month alone
        month = month_number(m[1])
        return Period(text, month, float(month)) if month else None
    return None


def _part_of_month(part: str) -> float:
    """How much of its month 截至9月15日 / 9月中旬 / 9月底 covers."""
    if part.endswith("日"):
        return min(int(part[:-1]) / 30, 1.0)
    return _PART_OF_MONTH.get(part, 1.0)


def _upto(text: str, word: str) -> Period | None:
    month = month_number(word)
    return Period(text, 1, float(month)) if month else None


def parse_period(text: str | None) -> Period | None:
    """A period as a report gives it (1-6月, 一季度, 前三季度, 上半年, 截至9月底, 前三个月 …);
    None when it is not recognised."""
    if not text:
        return None
    compact = re.sub(r"\s+", "", text)
    halves = {"上半年": Period(compact, 1, 6.0), "下半年": Period(compact, 7, 12.0)}
    found = halves.get(compact) or _quarters(compact) or _months(compact)
    return replace(found, text=text) if found else None


def with_periods(partial: pl.DataFrame) -> pl.DataFrame:
    """The partial facts with the month each period reaches (`months`), whether it runs from
    January (`cumulative`) and, when it is no point of progress, why (`set_aside`)."""
    parsed = [parse_period(p) for p in partial["period"].to_list()]
    reasons = []
    for row, period in zip(partial.iter_rows(named=True), parsed, strict=True):
        if period is None:
            reasons.append(f"期间“{row['period'] or '未注明'}”无法识别")
        elif not period.cumulative:
            reasons.append(f"“{row['period']}”不是自年初起的累计数")
        elif row["metric"] not in FLOWS or row["item"] != "total":
            reasons.append("不是基金收入或支出的合计")
        else:
            reasons.append(None)
    return partial.with_columns(
        months=pl.Series([p.months if p else None for p in parsed], dtype=pl.Float64),
        cumulative=pl.Series([bool(p and p.cumulative) for p in parsed], dtype=pl.Boolean),
        set_aside=pl.Series(reasons, dtype=pl.String),
    )


_KEYS = ("region_code", "fund", "year", "metric")


def progress_points(partial: pl.DataFrame) -> pl.DataFrame:
    """One cumulative income or expenditure figure per region, fund, year and month reached: of
    several reports giving the same point, the newest report's (then the earliest quote)."""
    points = with_periods(partial).filter(pl.col("set_aside").is_null())
    return (
        points.sort(
            ["report_year", "doc_id", "quote_start"], descending=[True, False, False], nulls_last=True
        )
        .unique([*_KEYS, "months"], keep="first", maintain_order=True)
        .sort([*_KEYS, "months"])
    )


def set_aside(partial: pl.DataFrame) -> pl.DataFrame:
    """The partial facts that are no point of progress, with the reason."""
    return with_periods(partial).filter(pl.col("set_aside").is_not_null())


def progress_table(points: pl.DataFrame, budgets: pl.DataFrame, actuals: pl.DataFrame) -> pl.DataFrame:
    """Per point: last year's same period, the whole-year budget and last year's whole-year
    outcome, with 时序进度, 预算进度 (percent) and their difference (percentage points).

    `budgets`: rows of `indicators` in the 预算 view; `actuals`: in the 实际 view (both with
    region_code, fund, year, income, expenditure)."""
    last = points.select(*_KEYS[:2], pl.col("year") + 1, "metric", "months", last_year_value=pl.col("value"))
    whole = [
        frame.select("region_code", "fund", pl.col("year") + shift, *FLOWS)
        .unpivot(
            index=["region_code", "fund", "year"], on=list(FLOWS), variable_name="metric", value_name=name
        )
        .filter(pl.col(name).is_not_null())
        for frame, shift, name in ((budgets, 0, "budget"), (actuals, 1, "last_year_total"))
    ]
    table = points.join(last, on=[*_KEYS, "months"], how="left")
    for frame in whole:
        table = table.join(frame, on=list(_KEYS), how="left")
    return table.with_columns(
        time_progress=100 * pl.col("months") / 12,
        budget_progress=100 * pl.col("value") / pl.col("budget"),
        growth=100 * (pl.col("value") / pl.col("last_year_value") - 1),
        share_of_last_year=100 * pl.col("value") / pl.col("last_year_total"),
    ).with_columns(gap=pl.col("budget_progress") - pl.col("time_progress"))


def worrying(row: dict) -> bool:
    """Income behind 时序进度, or expenditure ahead of it."""
    gap = row.get("gap")
    return gap is not None and (gap < 0 if row["metric"] == "income" else gap > 0)


def judgement(row: dict) -> str:
    """预算进度 against 时序进度, in words (income behind is the worry, expenditure ahead)."""
    gap = row.get("gap")
    if gap is None:
        return ""
    ahead = f"快于时序进度 {gap:.1f} 个百分点"
    behind = f"慢于时序进度 {-gap:.1f} 个百分点"
    if row["metric"] == "income":
        return ahead if gap >= 0 else f"{behind}（收入偏慢）"
    return f"{ahead}（支出偏快）" if gap > 0 else behind


def verdict_line(row: dict, year: int) -> str | None:
    """The sentence under the progress chart for one measure's latest period, or None."""
    verdict = judgement(row)
    if not verdict:
        return None
    measure = codes.name("metric", row["metric"])  # 基金收入, 基金支出
    return (
        f"{year}年{row['period']}{measure}预算进度 {row['budget_progress']:.1f}%，"
        f"时序进度 {row['time_progress']:.1f}%：{verdict}。"
    )


def _percent(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}%" if sign else f"{value:.1f}%"


def shown_table(table: pl.DataFrame) -> pl.DataFrame:
    """The progress table as the page shows it: Chinese headers, one money unit."""
    money = [*table["value"].to_list(), *table["budget"].to_list(), *table["last_year_value"].to_list()]
    scale = scale_for("money", money)
    cfg = settings()

    def amount(value: float | None) -> str:
        return "—" if value is None else format(scale.apply(value), scale.d3_format)

    rows = [
        {
            "地区": r["region_name"],
            "险种": cfg.fund_name(r["fund"]),
            "年度": r["year"],
            "期间": r["period"],
            "指标": codes.name("metric", r["metric"]),
            f"累计（{scale.unit}）": amount(r["value"]),
            f"上年同期（{scale.unit}）": amount(r["last_year_value"]),
            "同比": _percent(r["growth"], sign=True),
            f"全年预算（{scale.unit}）": amount(r["budget"]),
            "时序进度": _percent(r["time_progress"]),
            "预算进度": _percent(r["budget_progress"]),
            "判断": judgement(r),
            "占上年全年": _percent(r["share_of_last_year"]),
        }
        for r in table.sort(
            ["region_code", "fund", "year", "metric", "months"], descending=[False, False, True, True, False]
        ).iter_rows(named=True)
    ]
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def set_aside_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The partial facts not drawn, and why."""
    return rows.select(
        pl.col("region_name").alias("地区"),
        pl.col("year").alias("年度"),
        pl.col("fund").replace_strict(dict(codes.names("fund")), default=pl.col("fund")).alias("险种"),
        pl.col("metric").replace_strict(dict(codes.names("metric")), default=pl.col("metric")).alias("指标"),
        pl.col("period").alias("期间"),
        pl.col("set_aside").alias("未画入的原因"),
        pl.col("quote").alias("原文"),
    )


def sources(partial: pl.DataFrame) -> pl.DataFrame:
    """Partial facts in the shape of the pages' source list (ui.sources), the period in the basis."""
    basis = codes.name("basis", "partial")
    return partial.with_columns(
        basis=pl.format("{}（{}）", pl.lit(basis), pl.col("period").fill_null("未注明")),
    )


def latest(table: pl.DataFrame) -> pl.DataFrame:
    """Each region, fund, year and metric at its latest point (income before expenditure)."""
    last = table.sort("months").group_by(list(_KEYS), maintain_order=True).last()
    return last.sort(["region_code", "fund", "year", "metric"], descending=[False, False, False, True])


def choices(points: pl.DataFrame) -> list[tuple[str, str, int]]:
    """(region, fund, year) with progress points: the latest year first, then the one with the
    most points."""
    keys = (
        points.group_by("region_code", "fund", "year")
        .len()
        .sort(["year", "len", "region_code", "fund"], descending=[True, True, False, False])
    )
    return [(r, f, int(y)) for r, f, y, _ in keys.iter_rows()]


def one_year(
    table: pl.DataFrame, points: pl.DataFrame, region: str, fund: str, year: int
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, float]]:
    """One region's fund in one year, for its chart: the year's progress rows, last year's points
    for the same periods, and the whole-year budget by metric (where one is known)."""
    current = table.filter(pl.col("region_code") == region, pl.col("fund") == fund, pl.col("year") == year)
    previous = points.filter(
        pl.col("region_code") == region, pl.col("fund") == fund, pl.col("year") == year - 1
    )
    budget = {
        r["metric"]: r["budget"] for r in current.filter(pl.col("budget").is_not_null()).iter_rows(named=True)
    }
    return current, previous, budget
