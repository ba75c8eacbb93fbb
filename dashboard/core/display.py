"""What the pages show as text and tables: Chinese headings and formatted values built from
analysis results (pure functions; the pages only lay them out)."""

from __future__ import annotations

import polars as pl

from dashboard.core.settings import Indicator, settings
from dashboard.core.units import format_value, scale_for


def deficits_text(rate: pl.DataFrame) -> str | None:
    """收不抵支：道县 2024年 城乡居民医保 当期结余 −9,054.00万元（−13.1%）; None without deficits."""
    deficits = rate.filter(pl.col("value") < 0)
    if deficits.is_empty():
        return None
    return "收不抵支：" + "；".join(
        f"{r['region_name']} {r['year']}年 {r['fund_name']} 当期结余 "
        f"{format_value(r['balance'], 'money')}（{r['value']:.1f}%）"
        for r in deficits.iter_rows(named=True)
    )


def reserves_table(months: pl.DataFrame) -> pl.DataFrame:
    """Months of reserves per region, year and fund, with the band each falls in."""
    cfg = settings()
    return months.select(
        pl.col("region_name").alias("地区"),
        pl.col("year").alias("年度"),
        pl.col("fund_name").alias("险种"),
        pl.col("value").round(1).alias("可支付月数"),
        pl.col("value").map_elements(lambda v: cfg.band_for(v).label, return_dtype=pl.Utf8).alias("判断"),
    )


def ranking_table(ranked: pl.DataFrame, spec: Indicator) -> pl.DataFrame:
    """The ranking with each value and its difference to the median in one unit."""
    scale = scale_for(spec.kind, ranked["value"].to_list())
    return ranked.select(
        pl.col("rank").alias("排名"),
        pl.col("region_name").alias("地区"),
        pl.col("value").map_elements(scale.text, return_dtype=pl.Utf8).alias(spec.name),
        pl.col("diff")
        .map_elements(lambda d: scale.text(d, sign=True), return_dtype=pl.Utf8)
        .alias("与中位数之差"),
        pl.when(pl.col("estimated") | pl.col("derived"))
        .then(pl.lit("预计/推算"))
        .otherwise(pl.lit(""))
        .alias("说明"),
    )
