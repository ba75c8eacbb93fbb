"""What the pages show as text and tables: Chinese headings and formatted values built from
analysis results (pure functions; the pages only lay them out)."""

from __future__ import annotations

import polars as pl

from dashboard.core import export, source_links
from dashboard.core.settings import Indicator, settings
from dashboard.core.units import format_fact, format_value, scale_for, shared_scales
from pipelines import codes


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


# ---- 数据质量


def severity_counts(checks: pl.DataFrame) -> dict[str, int]:
    """How many checks of each severity code."""
    counts = checks.group_by("severity").len()
    return dict(zip(counts["severity"], counts["len"], strict=True))


def checks_by_report(checks: pl.DataFrame) -> pl.DataFrame:
    """Errors and warnings per report."""
    names = codes.names("severity")
    return (
        checks.group_by("report_name")
        .agg(
            *(
                pl.col("severity").filter(pl.col("severity") == s).len().alias(names[s])
                for s in ("error", "warning")
            )
        )
        .sort("report_name")
        .rename({"report_name": "报告"})
    )


def reports_table(docs: pl.DataFrame) -> pl.DataFrame:
    """The library: each report by its region, year and title, with its file and public address;
    errors apart from warnings (a check's warnings and the reading's own)."""
    return docs.select(
        pl.col("report_name").alias("报告"),
        source_links.address_column(),
        pl.col("region_name").alias("地区"),
        pl.col("report_year").alias("报告年度"),
        pl.col("genre").alias("类型"),
        pl.col("n_facts").alias("数据条数"),
        pl.col("n_errors").alias("错误"),
        (pl.col("n_check_warnings") + pl.col("n_warnings")).alias("警告"),
        pl.col("n_rejections").alias("未采用"),
        pl.col("file_name").alias("文件"),
    )


def checks_table(checks: pl.DataFrame) -> pl.DataFrame:
    return checks.select(
        pl.col("severity")
        .replace_strict(dict(codes.names("severity")), default=pl.col("severity"))
        .alias("严重程度"),
        pl.col("region_name").alias("地区"),
        pl.col("year").cast(pl.Utf8).fill_null("—").alias("年度"),
        pl.col("message").alias("说明"),
        pl.col("quote").alias("原文"),
        pl.col("report_name").alias("报告"),
    )


def rejections_table(rejections: pl.DataFrame) -> pl.DataFrame:
    return rejections.select(
        pl.col("report_name").alias("报告"),
        pl.col("region_name").alias("地区"),
        pl.col("reason").alias("原因"),
        pl.col("quote").alias("原文"),
    )


def dropped_table(dropped: pl.DataFrame) -> pl.DataFrame:
    """The number first, then its line and the reason (the line ends with the number)."""
    return dropped.select(
        pl.col("surface").alias("数值"),
        pl.col("quote").alias("原文"),
        pl.col("reason").alias("原因"),
        pl.col("report_name").alias("报告"),
        pl.col("region_name").alias("地区"),
    )


def facts_on_screen(table: pl.DataFrame) -> pl.DataFrame:
    """数据明细 as shown: money in 万元 like every other page (the unit column says so); people,
    visits and rates as they are.  Downloads keep the base units (元) of the data contract."""
    money = pl.col("单位") == codes.name("unit", "yuan")
    return table.with_columns(
        pl.when(money).then(pl.col("数值") / 1e4).otherwise(pl.col("数值")).alias("数值"),
        pl.when(money).then(pl.lit("万元")).otherwise(pl.col("单位")).alias("单位"),
    )


# the projector's one-screen overview: the figures a meeting looks at first
PROJECTOR_HEADLINE = ("insured", "income", "expenditure", "balance", "balance_rate", "months_of_reserves")


def headline_table(year_rows: pl.DataFrame, funds: list[str]) -> pl.DataFrame:
    """One region's year as a table for the projector: a row per fund, a column per headline
    figure, one unit per kind of figure (the 万元/亿元 of the largest amount)."""
    cfg = settings()
    rows = year_rows.filter(pl.col("fund").is_in(funds))
    order = {f: i for i, f in enumerate(funds)}
    rows = rows.sort(pl.col("fund").replace_strict(order, default=len(order)))
    keys = [k for k in PROJECTOR_HEADLINE if k in rows.columns and not rows[k].is_null().all()]
    # one unit per kind for the whole table: 1.48 亿元 beside −0.08 亿元, never −787.62 万元
    scales = shared_scales((cfg.indicators[k].kind, v) for k in keys for v in rows[k])
    columns = {"险种": [cfg.fund_name(f) for f in rows["fund"]]}
    for key in keys:
        spec = cfg.indicators[key]
        columns[spec.name] = [scales[spec.kind].text(v) if v is not None else "—" for v in rows[key]]
    return pl.DataFrame(columns)


def awaiting_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The 待核查 queue for people: where, what, the value in its unit, why it waits."""
    return rows.select(
        pl.col("region_name").alias("地区"),
        pl.col("year").alias("年度"),
        pl.col("fund").replace_strict(codes.names("fund"), default=pl.col("fund")).alias("险种"),
        export.metric_names().alias("指标"),
        *(
            pl.col(kind).replace_strict(codes.names(kind), default=pl.col(kind)).alias(name)
            for kind, name in (("item", "分项"), ("basis", "口径"))
        ),
        pl.struct("value", "unit")
        .map_elements(lambda r: format_fact(r["value"], r["unit"]), return_dtype=pl.String)
        .alias("数值"),
        pl.col("confidence_reasons").fill_null("").alias("待核查原因"),
        pl.col("quote").alias("原文"),
        pl.col("report_name").alias("报告"),
    )
