"""The Excel workbook of the current view (dashboard/export.py): read back with openpyxl, every
number compared with what the database holds (money in 万元)."""

from __future__ import annotations

import io
from datetime import datetime
from functools import partial

import openpyxl
import polars as pl
import pytest

from dashboard.core import briefing, database, export
from dashboard.core.scope import Filters

DAOXIAN, NINGXIAN = "431124", "621026"
SHEETS = ["说明", "指标", "数据明细", "校核结果"]


@pytest.fixture(scope="module")
def con(vouched_con):
    """Decks and workbooks hold vouched figures only: the seeds after the queue is cleared."""
    return vouched_con


@pytest.fixture(scope="module")
def scope() -> Filters:
    return Filters(
        regions=(DAOXIAN, NINGXIAN),
        funds=("employee", "resident", "assistance"),
        first_year=2016,
        last_year=2024,
        basis="actual",
    )


@pytest.fixture(scope="module")
def view(con, scope) -> export.View:
    return briefing.current_view(scope, partial(database.run_query, con))


@pytest.fixture(scope="module")
def book(view) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(view)))


def workbook(view: export.View):
    """The 数据明细 sheet of a view's workbook."""
    return openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(view)))["数据明细"]


def records(ws) -> list[dict]:
    """The rows of a sheet as dicts by header, with each cell (for values and formats)."""
    rows = list(ws.iter_rows())
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def test_sheets_in_order_with_frozen_headers(book):
    assert book.sheetnames == SHEETS
    for ws in book:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1]), f"{ws.title}: header not bold"


def test_scope_sheet_names_the_view(book, view):
    scope = {r["项目"].value: r["内容"].value for r in records(book["说明"])}
    assert scope["地区"] == "道县（湖南省永州市）、宁县（甘肃省庆阳市）"
    assert scope["年度"] == "2016–2024年"
    assert scope["险种"] == "职工基本医疗保险、城乡居民基本医疗保险、医疗救助"
    assert scope["口径"].startswith("实际")
    assert "万元" in scope["单位"] and "%" in scope["单位"]
    datetime.strptime(scope["生成时间"], "%Y-%m-%d %H:%M")
    assert f"{view.facts.height} 条" in scope["数据明细"]


def test_indicators_are_the_databases_values_in_wan_yuan(book, con, scope):
    ind = database.run_query(con, "indicators", basis=scope.basis, **scope.params)
    rows = records(book["指标"])
    assert [c.value for c in book["指标"][1]][:6] == [
        "地区",
        "区划代码",
        "年度",
        "险种",
        "参保人数（人）",
        "救助人数（人）",  # 医疗救助: people helped, never insured persons
    ]
    assert len(rows) == ind.height > 0
    by_key = {(r["区划代码"].value, r["年度"].value, r["险种"].value): r for r in rows}
    names = {"employee": "职工医保", "resident": "居民医保", "assistance": "医疗救助"}
    checked = 0
    for want in ind.iter_rows(named=True):
        row = by_key[(want["region_code"], want["year"], names[want["fund"]])]
        for column, header, kind in export.INDICATOR_COLUMNS:
            cell, value = row[header], want[column]
            if value is None:
                assert cell.value is None, (header, want["year"])
                continue
            expected = value / 10_000 if kind == "money" else value
            assert isinstance(cell.value, int | float), (header, cell.value)  # numbers, never text
            assert cell.value == pytest.approx(expected, rel=1e-9, abs=1e-9), header
            assert cell.number_format == export.FORMATS[kind], header
            checked += 1
    assert checked > 50


def test_known_figure_daoxian_resident_2024(book):
    """道县 2024 居民医保: 本年基金收入合计62389.85万元, 参保 592322 人 (the report's own words)."""
    rows = records(book["指标"])
    row = next(
        r
        for r in rows
        if r["区划代码"].value == DAOXIAN and r["年度"].value == 2024 and r["险种"].value == "居民医保"
    )
    assert row["基金收入（万元）"].value == pytest.approx(62389.85)
    assert row["基金收入（万元）"].number_format == "#,##0.00"
    assert row["参保人数（人）"].value == 592322
    assert row["当期结余率（%）"].number_format == "0.00"
    assert row["区划代码"].data_type == "s"  # a code stays text


def test_facts_keep_quotes_sources_and_values(book, con, scope):
    facts = database.run_query(con, "facts", **scope.params)
    rows = records(book["数据明细"])
    headers = [c.value for c in book["数据明细"][1]]
    assert {"原文", "报告文件", "口径", "推算", "数值", "单位", "数据编号"} <= set(headers)
    assert ("已校核" in headers) == ("corrected" in facts.columns)
    assert len(rows) == facts.height > 0
    by_id = {r["数据编号"].value: r for r in rows}
    units = {"yuan": ("万元", 1e4, "#,##0.00"), "person": ("人", 1, "#,##0"), "percent": ("%", 1, "0.00")}
    for want in facts.iter_rows(named=True):
        row = by_id[want["fact_id"]]
        assert row["原文"].value == want["quote"]
        assert row["报告文件"].value == want["file_name"]
        assert row["推算"].value == ("推算" if want["derived"] else None)
        assert isinstance(row["数值"].value, int | float)
        if want["unit"] in units:
            unit, divisor, fmt = units[want["unit"]]
            assert row["单位"].value == unit
            assert row["数值"].value == pytest.approx(want["value"] / divisor)
            assert row["数值"].number_format == fmt


def test_facts_sheet_with_and_without_corrections(view):
    facts = view.facts.drop([c for c in ("corrected", "correction_id", "origin") if c in view.facts.columns])
    plain = export.View(view.filters, view.region_names, view.indicators, facts, view.checks)
    headers = [
        c.value for c in openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(plain)))["数据明细"][1]
    ]
    assert "已校核" not in headers and "原文" in headers
    first = pl.int_range(pl.len()) == 0
    marked = facts.with_columns(corrected=first, correction_id=pl.when(first).then(pl.lit(7)))
    rows = records(
        workbook(export.View(view.filters, view.region_names, view.indicators, marked, view.checks))
    )
    assert [r["已校核"].value for r in rows[:2]] == ["已校核", None]
    assert rows[0]["校核编号"].value == 7
    # with the fact's origin: what the steward did
    added = marked.with_columns(origin=pl.when(first).then(pl.lit("added")).otherwise(pl.lit("extracted")))
    rows = records(
        workbook(export.View(view.filters, view.region_names, view.indicators, added, view.checks))
    )
    assert rows[0]["已校核"].value == "补录"


def test_checks_in_chinese_with_numbers(book, view):
    rows = records(book["校核结果"])
    assert len(rows) == view.checks.height > 0
    assert {r["严重程度"].value for r in rows} <= {"错误", "警告", "提示"}
    assert [r["严重程度"].value for r in rows] == sorted(
        (r["严重程度"].value for r in rows), key=["错误", "警告", "提示"].index
    )
    # 道县 2024 医疗救助: 收入4,484.76万元 − 支出4,752.20万元 = -267.44万元, stated -263.22万元
    identity = next(r for r in rows if r["检查项"].value == "收入−支出与结余" and r["地区"].value == "道县")
    assert identity["应为（计算值或上限）"].value == pytest.approx(-267.44, abs=0.005)
    assert identity["实际（报告所载）"].value == pytest.approx(-263.22, abs=0.005)
    assert identity["单位"].value == "万元"
    assert identity["实际（报告所载）"].number_format == "#,##0.00"
    assert identity["原文"].value and identity["报告文件"].value
    counted = next(r for r in rows if r["单位"].value == "人次")
    assert isinstance(counted["实际（报告所载）"].value, int | float)
    assert counted["实际（报告所载）"].number_format == "#,##0"


def test_no_number_is_stored_as_text(book):
    assert book.sheetnames == ["说明", "指标", "数据明细", "校核结果"]
    cells = 0
    for ws in book:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cells += 1
                if cell.data_type == "s" and ws.cell(1, cell.column).value not in ("区划代码", "数据编号"):
                    text = str(cell.value).replace(",", "")
                    assert not text.lstrip("-").replace(".", "", 1).isdigit(), (
                        ws.title,
                        cell.coordinate,
                        text,
                    )
    assert cells > 1000


def test_column_widths_are_set(book):
    ws = book["数据明细"]
    widths = {
        ws.cell(1, i).value: ws.column_dimensions[ws.cell(1, i).column_letter].width for i in range(1, 16)
    }
    assert widths["原文"] >= 50
    assert all(w and w >= export.MIN_WIDTH for w in widths.values() if w)


def test_an_empty_view_still_makes_a_workbook(view):
    empty = export.View(
        view.filters, view.region_names, view.indicators.clear(), view.facts.clear(), view.checks.clear()
    )
    wb = openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(empty)))
    assert wb.sheetnames == SHEETS and wb["指标"].max_row == 1


def test_file_names():
    f = Filters(regions=(DAOXIAN,), funds=("resident",), first_year=2023, last_year=2024, basis="actual")
    names = {DAOXIAN: "道县", NINGXIAN: "宁县"}
    assert briefing.file_name(f, names, "pptx") == "医保基金运行分析_道县_2023-2024.pptx"
    both = Filters(regions=(DAOXIAN, NINGXIAN), funds=(), first_year=2024, last_year=2024, basis="actual")
    assert briefing.file_name(both, names, "xlsx") == "医保基金运行分析_道县等2地_2024.xlsx"


def test_scope_table_counts_per_region(view):
    table = briefing.scope_table(view)
    assert table["地区"].to_list() == ["道县（湖南省永州市）", "宁县（甘肃省庆阳市）"]
    assert table["原文数据（条）"].sum() == view.facts.height
    assert table["指标（地区·年度·险种）"].sum() == view.indicators.height


def test_people_helped_by_medical_assistance_are_named_so_in_the_facts_table():
    facts = pl.DataFrame(
        {
            "region_name": ["益阳市"] * 2,
            "region_code": ["430900"] * 2,
            "year": [2020, 2020],
            "fund": ["assistance", "employee"],
            "metric": ["insured", "insured"],
            "item": ["total"] * 2,
            "basis": ["estimate", "actual"],
            "value": [328000.0, 388079.0],
            "unit": ["person"] * 2,
            "derived": [False, False],
            "confidence": ["review", "high"],
            "confidence_reasons": ["年份由正文推断", None],
            "quote": ["全市共纳入城乡居民医疗救助32.80万人", "参保人数388079人"],
            "file_name": ["004.txt"] * 2,
            "fact_id": ["a", "b"],
        }
    )
    assert list(export.facts_table(facts)["指标"]) == ["救助人数", "参保人数"]
