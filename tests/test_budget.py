"""预算执行 (dashboard/core/budget.py) on constructed databases with known answers: the rate, the
gap, the flags at the band's edges, pairs with only one side left out; the chart builder; the
结余分析 section in AppTest."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import constructed_db, start_app, texts

from dashboard.core import budget, charts, database
from dashboard.core.settings import settings

ALL = {"first_year": 2000, "last_year": 2100}
FUNDS = ["employee", "resident", "assistance", "department"]


def execution_of(db, regions=("431124", "621026")):
    con = database.open_database(str(db))
    try:
        values = database.run_query(
            con,
            "indicator_facts",
            views=list(budget.VIEWS),
            metrics=list(budget.METRICS),
            regions=list(regions),
            funds=FUNDS,
            **ALL,
        )
    finally:
        con.close()
    return values, budget.execution(values)


def pair(fund: str, metric: str, planned: float, done: float, year: int = 2024, **fields) -> list[dict]:
    """A budget figure and an outcome of one fund's measure."""
    word = "收入" if metric == "income" else "支出"
    return [
        {"metric": metric, "value": planned, "fund": fund, "year": year, "basis": "budget",
         "quote": f"{fund}{year}年预算{word}{planned / 1e4:.2f}万元", **fields},
        {"metric": metric, "value": done, "fund": fund, "year": year,
         "quote": f"{fund}{year}年实际{word}{done / 1e4:.2f}万元", **fields},
    ]  # fmt: skip


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    """Budgets of 1 亿元 (and 10 000 元) met at the band's edges and just beyond them."""
    figures = [
        *pair("resident", "income", 1e8, 0.9e8),  # 90.0 %: kept
        *pair("resident", "expenditure", 1e8, 1.1e8),  # 110.0 % (110.00000000000001): kept
        *pair("employee", "income", 1e8, 0.8994e8),  # 89.94 % → 89.9 %: below
        *pair("employee", "expenditure", 1e8, 1.1006e8),  # 110.06 % → 110.1 %: above
        *pair("assistance", "income", 1e8, 0.8996e8),  # 89.96 % → shown 90.0 %: kept
        *pair("assistance", "expenditure", 1e8, 1.1004e8),  # 110.04 % → shown 110.0 %: kept
        *pair("department", "expenditure", 10000, 7500),  # 75 %: below
    ]
    db = constructed_db(
        tmp_path_factory.mktemp("budget") / "edges.duckdb", {"道县2024年预算执行情况": figures}
    )
    return execution_of(db)


def row(rows, fund: str, metric: str) -> dict:
    found = [r for r in rows.iter_rows(named=True) if r["fund"] == fund and r["metric"] == metric]
    assert len(found) == 1, (fund, metric, found)
    return found[0]


def test_rate_and_gap(edges):
    _, rows = edges
    r = row(rows, "resident", "income")
    assert r["budget"] == 1e8 and r["actual"] == 0.9e8
    assert r["rate"] == 90.0
    assert r["gap"] == pytest.approx(-1e7)
    table = budget.execution_table(rows).row(0, named=True)  # the first row shown: employee income
    assert table["险种"] == "职工医保" and table["项目"] == "基金收入"
    # one unit for the whole table, from its largest amount (1 亿元 here): gaps never in another unit
    assert table["预算数（亿元）"] == "1.00"
    assert table["实际数（亿元）"] == "0.90"
    assert table["差额（亿元）"] == "-0.10"  # actual − budget
    small = budget.execution_table(rows.with_columns(pl.col("budget", "actual", "gap") / 100)).row(
        0, named=True
    )
    assert (small["预算数（万元）"], small["差额（万元）"]) == ("100.00", "-10.06")
    assert table["预算执行率"] == "89.9%"
    assert table["判断"] == "低于预算"


@pytest.mark.parametrize(
    ("fund", "metric", "rate", "status"),
    [
        ("resident", "income", 90.0, "within"),
        ("resident", "expenditure", 110.0, "within"),
        ("employee", "income", 89.9, "below"),
        ("employee", "expenditure", 110.1, "above"),
        ("assistance", "income", 90.0, "within"),
        ("assistance", "expenditure", 110.0, "within"),
        ("department", "expenditure", 75.0, "below"),
    ],
)
def test_flags_at_the_band_edges(edges, fund, metric, rate, status):
    r = row(edges[1], fund, metric)
    assert r["rate"] == rate
    assert r["status"] == status


def test_flagged_rows_are_named(edges):
    _, rows = edges
    assert budget.flagged(rows)["status"].to_list() == ["below", "above", "below"]
    text = budget.flagged_text(rows)
    assert "低于预算：道县 2024年 职工医保 基金收入 执行率 89.9%" in text
    assert "超出预算：道县 2024年 职工医保 基金支出 执行率 110.1%" in text
    assert "居民医保" not in text


def test_the_band_comes_from_the_settings(edges, monkeypatch):
    values, _ = edges
    cfg = settings()
    narrow = cfg.budget_execution.model_copy(update={"low": 95.0, "high": 105.0})
    monkeypatch.setattr(budget, "settings", lambda: cfg.model_copy(update={"budget_execution": narrow}))
    rows = budget.execution(values)
    assert row(rows, "resident", "income")["status"] == "below"  # 90 % is now outside
    assert row(rows, "resident", "expenditure")["status"] == "above"


def test_regions_with_only_one_side_are_left_out(tmp_path):
    db = constructed_db(
        tmp_path / "sides.duckdb",
        {
            "道县2024年预算执行情况": [
                *pair("resident", "income", 6e8, 6.3e8),
                {"metric": "expenditure", "value": 5e8, "basis": "budget", "quote": "支出预算5亿元"},
                {"metric": "income", "value": 1e8, "fund": "employee", "quote": "职工医保收入1亿元"},
                # a budget whose year has only an estimate (预计) of the outcome: no outcome
                {"metric": "income", "value": 2e7, "fund": "assistance", "basis": "budget", "quote": "救助预算2000万元"},
                {"metric": "income", "value": 1.9e7, "fund": "assistance", "basis": "estimate", "quote": "预计2000万元"},
            ],
            "宁县2024年预算": [
                {"metric": "income", "value": 3e8, "basis": "budget", "region_code": "621026", "quote": "预算收入3亿元"},
            ],
        },
    )  # fmt: skip
    _, rows = execution_of(db)
    assert rows.select("region_code", "fund", "metric").rows() == [("431124", "resident", "income")]
    assert rows["rate"][0] == 105.0
    assert rows["gap"][0] == pytest.approx(3e7)


def test_figures_waiting_for_review_are_no_side(tmp_path):
    waiting = {"confidence": "review", "confidence_reasons": ("unit_from_header",)}
    db = constructed_db(
        tmp_path / "review.duckdb",
        {
            "道县2024年": [
                *pair("resident", "income", 6e8, 6.3e8, **waiting),
                *pair("employee", "income", 1e8, 1e8),
            ]
        },
    )
    _, rows = execution_of(db)
    assert rows["fund"].to_list() == ["employee"]


def test_the_facts_behind_both_numbers_are_listed(edges):
    values, rows = edges
    behind = budget.facts_behind(values, rows.filter(rows["fund"] == "resident"))
    assert sorted(behind["basis"].to_list()) == ["actual", "actual", "budget", "budget"]
    assert set(behind["quote"]) == {
        "resident2024年预算收入10000.00万元",
        "resident2024年实际收入9000.00万元",
        "resident2024年预算支出10000.00万元",
        "resident2024年实际支出11000.00万元",
    }
    assert behind["report_name"].str.contains("道县2024年预算执行情况").all()


def test_chart_draws_each_rate_in_its_colour(edges):
    _, rows = edges
    fig = charts.budget_execution_chart(rows)
    (bars,) = [t for t in fig.data if t.type == "bar" and t.x is not None and t.x[0] is not None]
    assert list(bars.x) == rows["rate"].to_list()
    band = settings().budget_execution
    assert list(bars.marker.color) == [band.mark(s).color for s in rows["status"]]
    assert list(bars.text)[:2] == ["89.9%", "110.1%"]
    assert "道县 职工医保 2024年 基金收入" in bars.y
    shaded = fig.layout.shapes[0]
    assert (shaded.x0, shaded.x1) == (band.low, band.high)
    legend = {t.name for t in fig.data if t.showlegend is not False and t.name}
    assert legend == {band.below.label, band.within.label, band.above.label}


def test_balance_page_shows_the_section(tmp_path, entry, monkeypatch):
    db = constructed_db(
        tmp_path / "page.duckdb",
        {
            "道县2024年预算执行情况": [
                *pair("resident", "income", 1e8, 0.8e8),
                *pair("resident", "expenditure", 1e8, 1e8),
            ]
        },
    )
    monkeypatch.setenv("MEDFUND_DB", str(db))
    at = start_app(entry, "pages/balance.py", region="431124", fund="resident")
    assert "预算执行" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "预算执行率" in d.value.columns)
    assert table["预算执行率"].tolist() == ["80.0%", "100.0%"]
    assert table["判断"].tolist() == ["低于预算", "正常"]
    assert "低于预算：道县 2024年 居民医保 基金收入 执行率 80.0%" in texts(at)
    assert "预算执行数据来源（4 条）" in texts(at)


def test_balance_page_without_budgets_says_so(open_app):
    at = open_app("pages/balance.py", region="621026")
    assert "所选范围内没有同时披露预算数和实际数的基金收入或支出" in texts(at)
