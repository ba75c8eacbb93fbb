"""Tables for people: Chinese headers and readable codes, as CSV or Excel bytes."""

from __future__ import annotations

import io

import polars as pl

from dashboard.config import settings

UNIT_NAMES = {"yuan": "元", "person": "人", "visit": "人次", "percent": "%", "yuan_per_person": "元/人"}


def _names(column: str, mapping: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict(mapping, default=pl.col(column))


def facts_table(facts: pl.DataFrame) -> pl.DataFrame:
    """Facts with Chinese headers; values stay numbers in base units (元, 人, 人次, %)."""
    from pipelines.checks import ITEM_NAMES, METRIC_NAMES

    cfg = settings()
    return facts.select(
        pl.col("region_name").alias("地区"),
        pl.col("region_code").alias("区划代码"),
        pl.col("year").alias("年度"),
        _names("fund", {k: f.short for k, f in cfg.funds.items()}).alias("险种"),
        _names("metric", METRIC_NAMES).alias("指标"),
        _names("item", ITEM_NAMES).alias("分项"),
        _names("basis", {k: b.name for k, b in cfg.bases.items()}).alias("口径"),
        pl.col("value").alias("数值"),
        _names("unit", UNIT_NAMES).alias("单位"),
        pl.when(pl.col("derived")).then(pl.lit("推算")).otherwise(pl.lit("")).alias("推算"),
        pl.col("quote").alias("原文"),
        pl.col("file_name").alias("报告文件"),
        pl.col("fact_id").alias("数据编号"),
    )


def csv_bytes(table: pl.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel and WPS open the Chinese text correctly."""
    return "\ufeff".encode() + table.write_csv().encode("utf-8")


def excel_bytes(table: pl.DataFrame, sheet: str = "数据明细") -> bytes:
    buffer = io.BytesIO()
    table.write_excel(buffer, worksheet=sheet, autofit=True, float_precision=2, freeze_panes=(1, 0))
    return buffer.getvalue()
