"""Tables for people: Chinese headers and readable codes, as CSV or Excel bytes.

`workbook_bytes` writes the current view as one Excel workbook for a meeting: 说明 (the
scope), 指标 (the indicators per region, year and fund), 数据明细 (every fact with its quote
and report) and 校核结果 (the checks).  Numbers stay numbers: money in 万元 with a
thousands format, rates in % with two decimals, people and visits as whole numbers.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import xlsxwriter

from dashboard.core import source_links
from dashboard.core.freshness import INGEST_MEANS, NEWEST_MEANS, DataAsOf
from dashboard.core.settings import settings
from pipelines import codes

if TYPE_CHECKING:
    from dashboard.core.scope import Filters

WAN = 10_000  # 元 per 万元
MAX_LINKS = 65_000  # Excel holds at most 65,530 hyperlinks a sheet; past that, plain text
CHECK_NAMES = {
    "balance_identity": "收入−支出与结余",
    "components_sum": "分项与合计",
    "components_exceed_total": "分项超过合计",
    "stated_rate": "结余率复核",
    "stated_per_capita": "人均值复核",
    "cumulative_roll_forward": "累计结余滚存",
    "duplicate_key_conflict": "同一数据数值不一",
    "implausible_magnitude": "金额数量级",
    "implausible_per_capita": "人均值数量级",
    "implausible_rate": "比率异常",
    "implausible_visits": "人次数量级",
}

# Excel number formats by kind of number
FORMATS = {
    "money": "#,##0.00",
    "rate": "0.00",
    "count": "#,##0",
    "months": "0.0",
    "per_capita": "#,##0.00",
    "plain": "General",
}
# the indicator sheet's columns: indicators.<column>, unit shown, format
_INDICATOR_UNITS = (
    ("insured", "人", "count"),
    ("assisted", "人", "count"),
    ("income", "万元", "money"),
    ("expenditure", "万元", "money"),
    ("balance", "万元", "money"),
    ("cumulative_balance", "万元", "money"),
    ("balance_rate", "%", "rate"),
    ("months_of_reserves", "个月", "months"),
    ("income_per_capita", "元", "per_capita"),
    ("expenditure_per_capita", "元", "per_capita"),
    ("financing_per_capita", "元", "per_capita"),
    ("visits", "人次", "count"),
    ("coverage_rate", "%", "rate"),
    ("income_growth", "%", "rate"),
    ("expenditure_growth", "%", "rate"),
)
# indicators.<column>, header (the indicator's name from settings, with the unit), format
INDICATOR_COLUMNS = tuple(
    (column, f"{settings().indicators[column].name}（{unit}）", fmt) for column, unit, fmt in _INDICATOR_UNITS
)
# an Excel column's width in characters: Chinese characters count double
MIN_WIDTH, MAX_WIDTH, QUOTE_WIDTH = 6, 40, 60


def _names(column: str, mapping: Mapping[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict(dict(mapping), default=pl.col(column))


def metric_name(fund: str, metric: str) -> str:
    """A fact's measure in Chinese; the people a 医疗救助 fund helps are 救助人数, never 参保人数."""
    if fund == "assistance" and metric == "insured":
        return settings().indicators["assisted"].name
    return codes.name("metric", metric)


def metric_names() -> pl.Expr:
    """metric_name of each row (its fund and metric columns)."""
    return pl.struct("fund", "metric").map_elements(
        lambda r: metric_name(r["fund"], r["metric"]), return_dtype=pl.String
    )


def facts_table(facts: pl.DataFrame) -> pl.DataFrame:
    """Facts with Chinese headers; values stay numbers in base units (元, 人, 人次, %); how sure
    the reading is (可信 / 待核查) with the reasons in Chinese."""
    return facts.select(
        pl.col("region_name").alias("地区"),
        pl.col("region_code").alias("区划代码"),
        pl.col("year").alias("年度"),
        _names("fund", codes.names("fund")).alias("险种"),
        metric_names().alias("指标"),
        _names("item", codes.names("item")).alias("分项"),
        _names("basis", codes.names("basis")).alias("口径"),
        pl.col("value").alias("数值"),
        _names("unit", codes.names("unit")).alias("单位"),
        pl.when(pl.col("derived")).then(pl.lit("推算")).otherwise(pl.lit("")).alias("推算"),
        _names("confidence", codes.names("confidence")).alias("可信度"),
        pl.col("confidence_reasons").fill_null("").alias("核查原因"),
        pl.col("quote").alias("原文"),
        *([pl.col("report_name").alias("报告")] if "report_name" in facts.columns else []),
        pl.col("file_name").alias("报告文件"),
        *([source_links.address_column()] if "source_url" in facts.columns else []),
        pl.col("fact_id").alias("数据编号"),
    )


def csv_bytes(table: pl.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel and WPS open the Chinese text correctly."""
    return "\ufeff".encode() + table.write_csv().encode("utf-8")


def excel_bytes(table: pl.DataFrame, sheet: str = "数据明细") -> bytes:
    buffer = io.BytesIO()
    table.write_excel(buffer, worksheet=sheet, autofit=True, float_precision=2, freeze_panes=(1, 0))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The workbook of the current view


@dataclass(frozen=True)
class View:
    """What the dashboard shows for the current filters, as the queries return it."""

    filters: Filters
    region_names: dict[str, str]  # code → name, e.g. from filters.region_label
    indicators: pl.DataFrame  # query `indicators`
    facts: pl.DataFrame  # query `facts` (with or without `corrected`, `correction_id`)
    checks: pl.DataFrame  # query `checks`
    generated: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    as_of: DataAsOf | None = None  # 数据截至 and the last ingest (query `data_as_of`)


@dataclass(frozen=True)
class Column:
    header: str
    fmt: str = "plain"  # a key of FORMATS; "row" takes each row's format from `row_formats`
    width: float | None = None  # None: fitted to the contents
    wrap: bool = False


@dataclass
class Sheet:
    name: str
    columns: list[Column]
    rows: list[list[Any]]
    row_formats: list[str] = field(default_factory=list)  # per row, for columns with fmt "row"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _wan(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else number / WAN


def _unit_kind(unit: str | None) -> tuple[str, str, Callable[[Any], float | None]]:
    """A base unit's shown unit, number format and conversion (元 → 万元)."""
    if unit == "yuan":
        return ("万元", "money", _wan)
    fmt = {
        "person": "count",
        "visit": "count",
        "percent": "rate",
        "yuan_per_person": "per_capita",
        "month": "months",
    }.get(unit or "", "plain")
    return (codes.name("unit", unit), fmt, _number)


def _list_names(metrics: Sequence[str] | None) -> str:
    return "、".join(codes.name("metric", m) for m in metrics or ())


def _indicator_note(row: dict) -> str:
    """Which values are not plain stated outcomes: estimates, derived, summed, computed."""
    parts = []
    if row.get("estimated_metrics"):
        parts.append(f"预计/预算：{_list_names(row['estimated_metrics'])}")
    if row.get("derived_metrics"):
        parts.append(f"推算：{_list_names(row['derived_metrics'])}")
    if row.get("summed_metrics"):
        parts.append(f"分项相加：{_list_names(row['summed_metrics'])}")
    if row.get("balance_computed"):
        parts.append("当期结余按收入−支出计算")
    return "；".join(parts)


def _scope_sheet(view: View) -> Sheet:
    cfg = settings()
    f = view.filters
    regions = "、".join(view.region_names.get(c, c) for c in f.regions) or "（未选地区）"
    funds = "、".join(codes.fund_full_name(x) for x in f.funds) or "（未选险种）"
    basis = cfg.bases.get(f.basis)
    rows = [
        ["标题", "医保基金运行分析 · 数据表"],
        ["地区", regions],
        ["年度", f.year_text],
        ["险种", funds],
        ["口径", f"{basis.name}（{basis.help}）" if basis else f.basis],
        ["生成时间", view.generated.strftime("%Y-%m-%d %H:%M")],
        *_as_of_rows(view.as_of),
        [
            "单位",
            "金额为万元（数值 = 元 ÷ 10000，保留两位小数）；人数为人；人次为人次；"
            "比率与增长率为 %（数值 65.3 即 65.3%）；人均值为元/人；可支付月数为个月。",
        ],
        ["指标", f"{view.indicators.height} 行：每个地区、年度、险种一行，按所选口径采用的数值。"],
        ["数据明细", f"{view.facts.height} 条：报告中提取的每一个数值，附原文和报告文件。"],
        ["校核结果", f"{view.checks.height} 条：报告内勾稽检查与跨报告检查。"],
        [
            "标注",
            "“预计/预算”表示当年尚无实际数、以预计或预算数补位；“推算”表示由报告中的增减数等推算，"
            "非直接披露；“分项相加”表示合计由分项（如城镇居民 + 农村居民）相加而得。",
        ],
        ["来源", "各地医保局公开的报告；每条数据的原文见“数据明细”表。"],
    ]
    return Sheet("说明", [Column("项目", width=12), Column("内容", width=100, wrap=True)], rows)


def _as_of_rows(as_of: DataAsOf | None) -> list[list[str]]:
    """数据截至 (the newest report period in view, how it is chosen) and the last ingest."""
    if as_of is None:
        return []
    rows = []
    if as_of.newest:
        rows.append(["数据截至", f"{as_of.newest}（{NEWEST_MEANS}）"])
    if as_of.last_ingest is not None:
        rows.append(["最近导入", f"{as_of.last_ingest:%Y-%m-%d %H:%M}（{INGEST_MEANS}）"])
    return rows


def _indicator_sheet(view: View) -> Sheet:
    converters = {"money": _wan}
    columns = [Column("地区"), Column("区划代码"), Column("年度"), Column("险种")]
    columns += [Column(header, fmt) for _, header, fmt in INDICATOR_COLUMNS]
    columns.append(Column("标注", width=48, wrap=True))
    fund_order = codes.order("fund")
    ind = view.indicators.sort(
        pl.col("region_code"), pl.col("fund").replace_strict(fund_order, default=99), pl.col("year")
    )
    rows = []
    for r in ind.iter_rows(named=True):
        values = [converters.get(fmt, _number)(r.get(col)) for col, _, fmt in INDICATOR_COLUMNS]
        rows.append(
            [
                r["region_name"],
                r["region_code"],
                r["year"],
                codes.name("fund", r["fund"]),
                *values,
                _indicator_note(r),
            ]
        )
    return Sheet("指标", columns, rows)


def _facts_sheet(view: View) -> Sheet:
    facts = view.facts
    corrected = "corrected" in facts.columns
    correction_id = "correction_id" in facts.columns
    columns = [
        Column("地区"),
        Column("区划代码"),
        Column("年度"),
        Column("险种"),
        Column("指标"),
        Column("分项"),
        Column("口径"),
        Column("数值", "row", width=16),
        Column("单位"),
        Column("推算"),
    ]
    if corrected:
        columns.append(Column("已校核"))
    if correction_id:
        columns.append(Column("校核编号"))
    columns += [
        Column("原文", width=QUOTE_WIDTH, wrap=True),
        Column("报告", width=40, wrap=True),
        Column("报告文件"),
        Column(source_links.HEADER, "link", width=40),
        Column("数据编号"),
    ]
    rows, formats = [], []
    for r in facts.iter_rows(named=True):
        unit, fmt, convert = _unit_kind(r["unit"])
        row = [
            r["region_name"],
            r["region_code"],
            r["year"],
            codes.name("fund", r["fund"]),
            codes.name("metric", r["metric"]),
            codes.name("item", r["item"]),
            codes.name("basis", r["basis"]),
            convert(r["value"]),
            unit,
            "推算" if r["derived"] else "",
        ]
        if corrected:
            row.append(_steward_mark(r.get("origin")) if r["corrected"] else "")
        if correction_id:
            row.append(r["correction_id"])
        row += [
            r["quote"],
            r.get("report_name"),
            r["file_name"],
            source_links.web_address(r.get("source_url")),
            r["fact_id"],
        ]
        rows.append(row)
        formats.append(fmt)
    return Sheet("数据明细", columns, rows, formats)


def _steward_mark(origin: str | None) -> str:
    """A corrected fact's mark: 已更正 or 补录 (its origin's name), 已校核 when not known."""
    return codes.name("origin", origin) if origin in ("corrected", "added") else "已校核"


def _check_unit(row: dict) -> tuple[str, str, Callable[[Any], float | None]]:
    """The unit a check's expected and actual values are in (money in 万元)."""
    if row["check_id"] == "implausible_magnitude":
        return _unit_kind("yuan")
    return _unit_kind(codes.METRIC_UNIT.get(row.get("metric") or ""))


def _checks_sheet(view: View) -> Sheet:
    order = codes.order("severity")
    checks = view.checks.sort(
        pl.col("severity").replace_strict(order, default=9),
        pl.col("region_code"),
        pl.col("year"),
        nulls_last=True,
    )
    columns = [
        Column("严重程度"),
        Column("检查项"),
        Column("说明", width=56, wrap=True),
        Column("地区"),
        Column("年度"),
        Column("险种"),
        Column("指标"),
        Column("应为（计算值或上限）", "row", width=18),
        Column("实际（报告所载）", "row", width=18),
        Column("单位"),
        Column("原文", width=QUOTE_WIDTH, wrap=True),
        Column("报告文件"),
    ]
    rows, formats = [], []
    for r in checks.iter_rows(named=True):
        unit, fmt, convert = _check_unit(r)
        has_values = r["expected"] is not None or r["actual"] is not None
        rows.append(
            [
                codes.name("severity", r["severity"]),
                CHECK_NAMES.get(r["check_id"], r["check_id"]),
                r["message"],
                r["region_name"] or view.region_names.get(r["region_code"], r["region_code"]),
                r["year"],
                codes.name("fund", r["fund"]) if r["fund"] else None,
                codes.name("metric", r["metric"]) if r["metric"] else None,
                convert(r["expected"]),
                convert(r["actual"]),
                unit if has_values else None,
                r["quote"],
                r["file_name"],
            ]
        )
        formats.append(fmt)
    return Sheet("校核结果", columns, rows, formats)


def _text_width(value: Any) -> float:
    """Roughly how many Excel character widths a value needs (CJK characters are wide)."""
    text = value if isinstance(value, str) else f"{value:,.2f}" if isinstance(value, float) else str(value)
    return sum(2.0 if ord(ch) > 0x2E7F else 1.1 for ch in text)


def _widths(sheet: Sheet) -> list[float]:
    widths = []
    for i, column in enumerate(sheet.columns):
        if column.width is not None:
            widths.append(column.width)
            continue
        sample = [r[i] for r in sheet.rows[:500] if r[i] is not None]
        longest = max([_text_width(column.header), *map(_text_width, sample)])
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))
    return widths


def _write(book: xlsxwriter.Workbook, sheet: Sheet) -> None:
    ws = book.add_worksheet(sheet.name)
    header = book.add_format(
        {"bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True, "valign": "vcenter"}
    )
    number = {key: book.add_format({"num_format": code, "valign": "top"}) for key, code in FORMATS.items()}
    text = book.add_format({"valign": "top"})
    wrapped = book.add_format({"valign": "top", "text_wrap": True})
    link = book.add_format({"valign": "top", "font_color": "#1F5FBF", "underline": 1})
    links = 0
    for c, (column, width) in enumerate(zip(sheet.columns, _widths(sheet), strict=True)):
        ws.write_string(0, c, column.header, header)
        ws.set_column(c, c, width)
    for r, row in enumerate(sheet.rows, start=1):
        for c, (column, value) in enumerate(zip(sheet.columns, row, strict=True)):
            if value is None or value == "":
                continue
            if column.fmt == "link" and links < MAX_LINKS:  # a report's public address, clickable
                ws.write_url(r, c, str(value), link, string=str(value))
                links += 1
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value, text)
            elif isinstance(value, int | float):
                fmt = sheet.row_formats[r - 1] if column.fmt == "row" else column.fmt
                # a year or a code is a plain number; measured values carry their format
                ws.write_number(r, c, value, number.get(fmt, text))
            else:
                ws.write_string(r, c, str(value), wrapped if column.wrap else text)
    ws.freeze_panes(1, 0)
    if sheet.rows and sheet.name != "说明":
        ws.autofilter(0, 0, len(sheet.rows), len(sheet.columns) - 1)


def workbook_bytes(view: View) -> bytes:
    """The current view as an .xlsx workbook: 说明, 指标, 数据明细, 校核结果."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties(
        {"title": "医保基金运行分析 · 数据表", "author": "MedFund", "created": view.generated}
    )
    for sheet in (_scope_sheet(view), _indicator_sheet(view), _facts_sheet(view), _checks_sheet(view)):
        _write(book, sheet)
    book.close()
    return buffer.getvalue()
