"""预算执行: budget against outcome, per region, fund, year and measure (pure polars).

For each region, fund and year with both a budget figure (the `budget` view's chosen value) and
an outcome (the `actual` view's chosen value whose basis is `actual`: an estimate standing in for
a missing outcome is no outcome) of income or expenditure:

    预算执行率 = actual ÷ budget (%),  差额 = actual − budget,

flagged below or above the band of settings.yaml (`budget_execution`, judged on the rate as
shown, one decimal).  Input: the rows of the named query `indicator_facts` for the views
budget and actual (one row per fact behind a value; a computed total has two).
"""

from __future__ import annotations

import polars as pl

from dashboard.core.settings import Kind, settings
from dashboard.core.units import Scale, scale_for
from pipelines import codes

VIEWS = ("budget", "actual")
METRICS = ("income", "expenditure")
RATE_DECIMALS = 1  # as shown; the band is judged on the shown rate (110.04% reads 110.0%: kept)

KEYS = ["region_code", "fund", "year", "metric"]


def _side(values: pl.DataFrame, view: str) -> pl.DataFrame:
    """One row per value of `view`: its amount and the facts (ids, quotes) behind it."""
    rows = values.filter(pl.col("view_basis") == view, pl.col("value_basis") == view)
    return rows.group_by(KEYS, maintain_order=True).agg(
        pl.col("region_name").first(),
        pl.col("indicator_value").first().alias(view),
        pl.col("derived").first().alias(f"{view}_derived"),
        pl.col("fact_id").alias(f"{view}_fact_ids"),
    )


def execution(values: pl.DataFrame) -> pl.DataFrame:
    """Budget execution rows: region_code, region_name, fund, year, metric, budget, actual (元),
    rate (%, rounded as shown), gap (元), status (below | within | above), the fact ids behind
    each side, and whether either side is derived.  Only where both sides exist."""
    band = settings().budget_execution
    values = values.filter(pl.col("metric").is_in(METRICS))
    budget, actual = _side(values, "budget"), _side(values, "actual").drop("region_name")
    both = budget.join(actual, on=KEYS, how="inner").filter(pl.col("budget") != 0)
    order = {f: i for i, f in enumerate(codes.FUNDS)}
    return (
        both.with_columns(
            rate=(100 * pl.col("actual") / pl.col("budget")).round(RATE_DECIMALS),
            gap=pl.col("actual") - pl.col("budget"),
            derived=pl.col("budget_derived") | pl.col("actual_derived"),
        )
        .with_columns(
            status=pl.col("rate").map_elements(band.status, return_dtype=pl.String),
            fund_name=pl.col("fund").replace_strict(dict(codes.names("fund")), default=pl.col("fund")),
            metric_name=pl.col("metric").replace_strict(
                dict(codes.names("metric")), default=pl.col("metric")
            ),
        )
        .sort(
            "region_code",
            pl.col("fund").replace_strict(order, default=len(order)),
            "year",
            pl.col("metric").replace_strict({m: i for i, m in enumerate(METRICS)}),
        )
        .select(
            *KEYS[:1],
            "region_name",
            "fund",
            "fund_name",
            "year",
            "metric",
            "metric_name",
            "budget",
            "actual",
            "rate",
            "gap",
            "status",
            "derived",
            "budget_derived",
            "actual_derived",
            "budget_fact_ids",
            "actual_fact_ids",
        )
    )


def flagged(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows outside the band."""
    return rows.filter(pl.col("status") != "within")


def flagged_text(rows: pl.DataFrame) -> str | None:
    """超出预算：道县 2024年 职工医保 基金支出 执行率 112.3%；… — None when every row is kept."""
    out = flagged(rows)
    if out.is_empty():
        return None
    return "；".join(
        f"{status_label(r['status'])}：{r['region_name']} {r['year']}年 {r['fund_name']} {r['metric_name']} "
        f"执行率 {r['rate']:.1f}%"
        for r in out.iter_rows(named=True)
    )


def status_label(status: str) -> str:
    return settings().budget_execution.mark(status).label


def band_text() -> str:
    """The band in words: 90%–110%."""
    band = settings().budget_execution
    return f"{band.low:g}%–{band.high:g}%"


def money_scale(rows: pl.DataFrame) -> Scale:
    """One unit for the budgets, outcomes and gaps of a table or chart (万元 or 亿元, from the
    largest amount), so a gap in 万元 never sits beside amounts in 亿元."""
    return scale_for(Kind.money, [*rows["budget"].to_list(), *rows["actual"].to_list()])


def execution_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows as the page shows them: amounts and the gap in one unit (two decimals), the rate
    in % (one), the judgement."""
    scale = money_scale(rows)

    def money(column: str, sign: bool = False) -> pl.Expr:
        return pl.col(column).map_elements(
            lambda v: scale.text(v, sign=sign).removesuffix(f" {scale.unit}"), return_dtype=pl.String
        )

    return rows.select(
        pl.col("region_name").alias("地区"),
        pl.col("year").alias("年度"),
        pl.col("fund_name").alias("险种"),
        pl.col("metric_name").alias("项目"),
        money("budget").alias(f"预算数（{scale.unit}）"),
        money("actual").alias(f"实际数（{scale.unit}）"),
        pl.col("rate").map_elements(lambda v: f"{v:.1f}%", return_dtype=pl.String).alias("预算执行率"),
        money("gap", sign=True).alias(f"差额（{scale.unit}）"),
        pl.col("status").map_elements(status_label, return_dtype=pl.String).alias("判断"),
    )


def facts_behind(values: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The facts behind the execution rows (budget and outcome), for a sources list: the
    indicator_facts rows whose fact is named by a row."""
    ids = set(rows["budget_fact_ids"].explode().to_list()) | set(rows["actual_fact_ids"].explode().to_list())
    return (
        values.filter(pl.col("fact_id").is_in(list(ids)))
        .unique("fact_id", maintain_order=True)
        .sort("region_code", "year", "fund", "metric", "basis")
    )
