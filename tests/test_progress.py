"""年内进度 and 数据截至: periods read into the months they reach, progress rates on constructed
facts, the part-year facts kept out of every whole-year query, the 年内进度 page, and the newest
report period on every page, in the workbook and on the deck (dashboard/core/progress.py,
dashboard/core/freshness.py, pages/progress.py)."""

from __future__ import annotations

import io
import json
import shutil
from datetime import datetime

import polars as pl
import pytest
import yaml
from conftest import ROOT, run_cli, start_app, texts

from dashboard.core import briefing, database, export, freshness, progress
from dashboard.core.scope import Filters
from pipelines.vocab import VOCABULARY_FILE

REPORT = ROOT / "tests" / "fixtures" / "partial_year_report.txt"
DAOXIAN, NINGXIAN = "431124", "621026"


@pytest.mark.parametrize(
    ("text", "first_month", "months"),
    [
        ("一季度", 1, 3),
        ("第一季度", 1, 3),
        ("1-6月", 1, 6),
        ("1 - 6月", 1, 6),
        ("1—9月", 1, 9),
        ("一至六月", 1, 6),
        ("1月份-6月份", 1, 6),
        ("上半年", 1, 6),
        ("前三季度", 1, 9),
        ("一至三季度", 1, 9),
        ("截至今年二季度", 1, 6),
        ("前三个月", 1, 3),
        ("前九月", 1, 9),
        ("截至9月底", 1, 9),
        ("截止2016年9月30日", 1, 9),
        ("截至6月15日", 1, 5.5),
        ("截至9月上旬", 1, 8 + 1 / 3),
        ("截至9月中旬", 1, 8 + 2 / 3),
        ("1月", 1, 1),
        # not from January: no point on the year's progress line
        ("第二季度", 4, 6),
        ("三季度", 7, 9),
        ("第四季度", 10, 12),
        ("下半年", 7, 12),
        ("5月", 5, 5),
    ],
)
def test_a_period_reaches_its_months(text, first_month, months):
    period = progress.parse_period(text)
    assert period is not None and period.text == text
    assert (period.first_month, period.months) == (first_month, pytest.approx(months))
    assert period.cumulative == (first_month == 1)


@pytest.mark.parametrize("text", ["截至目前", "第一阶段", "7月3日", "", None])
def test_a_period_without_months_is_not_read(text):
    assert progress.parse_period(text) is None


def test_every_period_the_extractor_writes_is_read():
    """The vocabulary's examples of part-year figures (pipelines/rules/vocabulary.yaml `periods`)."""
    entries = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))["periods"]
    periods = [
        e["expect"]["period"]
        for entry in entries
        for e in entry.get("examples", [])
        if isinstance(e.get("expect"), dict) and e["expect"].get("period")
    ]
    assert len(periods) >= 7
    unread = [p for p in periods if progress.parse_period(p) is None]
    assert not unread, unread


def partial_rows(*facts: tuple) -> pl.DataFrame:
    """Rows of query `partial_facts`: (region, fund, year, metric, period, value[, report_year, item])."""
    rows = []
    for i, fact in enumerate(facts):
        region, fund, year, metric, period, value, *rest = fact
        report_year = rest[0] if rest else year
        rows.append(
            {
                "fact_id": f"f{i}",
                "region_code": region,
                "region_name": "道县",
                "year": year,
                "fund": fund,
                "metric": metric,
                "item": rest[1] if len(rest) > 1 else "total",
                "basis": "partial",
                "period": period,
                "value": float(value),
                "derived": False,
                "quote": f"{period}{metric}{value}",
                "quote_start": i,
                "doc_id": f"d{report_year}",
                "report_name": f"报告{report_year}",
                "report_year": report_year,
            }
        )
    return pl.DataFrame(rows)


def whole_year(*rows: tuple) -> pl.DataFrame:
    """Rows of `indicators`: (region, fund, year, income, expenditure)."""
    return pl.DataFrame(
        [dict(zip(("region_code", "fund", "year", "income", "expenditure"), r, strict=True)) for r in rows],
        schema={
            "region_code": pl.String,
            "fund": pl.String,
            "year": pl.Int64,
            "income": pl.Float64,
            "expenditure": pl.Float64,
        },
    )


def test_progress_rates_on_constructed_facts():
    partial = partial_rows(
        (DAOXIAN, "resident", 2025, "income", "1-9月", 75),
        (DAOXIAN, "resident", 2025, "expenditure", "1-6月", 60),
        (DAOXIAN, "resident", 2024, "income", "前三季度", 60),  # last year's same period, in other words
    )
    points = progress.progress_points(partial)
    table = progress.progress_table(
        points,
        budgets=whole_year((DAOXIAN, "resident", 2025, 100.0, 100.0)),
        actuals=whole_year((DAOXIAN, "resident", 2024, 90.0, 80.0)),
    )
    rows = {(r["year"], r["metric"]): r for r in table.iter_rows(named=True)}
    income = rows[(2025, "income")]
    # 9 of 12 months: 时序进度 75 %; 75 of a budget of 100: 预算进度 75 %; last year's 1-9月 60 → +25 %
    assert income["time_progress"] == pytest.approx(75) and income["budget_progress"] == pytest.approx(75)
    assert income["gap"] == pytest.approx(0) and income["growth"] == pytest.approx(25)
    assert income["share_of_last_year"] == pytest.approx(100 * 75 / 90)
    assert not progress.worrying(income)
    spending = rows[(2025, "expenditure")]
    # 6 of 12 months: 50 %; 60 of 100: 60 % — ten points ahead, spending too fast
    assert spending["time_progress"] == pytest.approx(50) and spending["budget_progress"] == pytest.approx(60)
    assert spending["gap"] == pytest.approx(10) and spending["last_year_value"] is None
    assert progress.worrying(spending)
    assert progress.judgement(spending) == "快于时序进度 10.0 个百分点（支出偏快）"
    assert rows[(2024, "income")]["budget"] is None  # no 2024 budget given
    shown = progress.shown_table(table).row(0, named=True)
    assert (shown["期间"], shown["时序进度"], shown["预算进度"], shown["同比"]) == (
        "1-9月",
        "75.0%",
        "75.0%",
        "+25.0%",
    )


def test_income_behind_time_is_the_worry_and_one_point_per_month():
    partial = partial_rows(
        (DAOXIAN, "resident", 2025, "income", "1-6月", 40, 2025),
        (DAOXIAN, "resident", 2025, "income", "上半年", 41, 2026),  # a newer report of the same months
        (DAOXIAN, "resident", 2025, "income", "第二季度", 20),
        (DAOXIAN, "resident", 2025, "insured", "截至6月底", 500000),
        (DAOXIAN, "resident", 2025, "expenditure", "1-6月", 30, 2025, "inpatient"),
    )
    points = progress.progress_points(partial)
    assert points["value"].to_list() == [41.0]  # the newer report's
    table = progress.progress_table(
        points, whole_year((DAOXIAN, "resident", 2025, 100.0, None)), whole_year()
    )
    row = table.row(0, named=True)
    assert row["budget_progress"] == pytest.approx(41) and row["gap"] == pytest.approx(-9)
    assert progress.worrying(row) and progress.judgement(row) == "慢于时序进度 9.0 个百分点（收入偏慢）"
    aside = progress.set_aside(partial)
    assert dict(zip(aside["period"], aside["set_aside"], strict=True)) == {
        "第二季度": "“第二季度”不是自年初起的累计数",
        "截至6月底": "不是基金收入或支出的合计",
        "1-6月": "不是基金收入或支出的合计",
    }


# ---- the database: part-year facts vouched, and never in a whole-year query


@pytest.fixture(scope="module")
def partial_db(vouched_db, tmp_path_factory):
    """The bundled reports (every figure confirmed) and a constructed 道县 report of 2025's first
    three quarters (tests/fixtures/partial_year_report.txt: 一季度, 1-6月, 1-9月, last year's
    1-9月 and the 2025 budget)."""
    path = tmp_path_factory.mktemp("partial") / "medfund.duckdb"
    shutil.copy(vouched_db, path)
    result = run_cli("ingest", "--db", str(path), str(REPORT))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def partial_con(partial_db):
    connection = database.open_database(str(partial_db))
    yield connection
    connection.close()


VIEW = {"regions": [DAOXIAN], "funds": ["employee", "resident"], "first_year": 2016, "last_year": 2025}


def test_the_part_year_query_holds_the_vouched_part_year_facts(partial_con):
    partial = database.run_query(partial_con, "partial_facts", **VIEW)
    assert set(partial["basis"]) == {"partial"} and partial.height == 10
    assert set(partial["period"]) == {"一季度", "1-6月", "1-9月"}
    resident = partial.filter(
        pl.col("fund") == "resident", pl.col("metric") == "income", pl.col("year") == 2025
    )
    assert dict(zip(resident["period"], resident["value"], strict=True)) == {
        "一季度": 162_000_000,
        "1-6月": 310_000_000,
        "1-9月": 468_000_000,
    }


def test_a_part_year_fact_waiting_for_a_steward_is_left_out_until_confirmed(partial_db, tmp_path):
    from pipelines import corrections, store

    path = tmp_path / "medfund.duckdb"
    shutil.copy(partial_db, path)
    con = store.connect(path)
    try:
        (fact_id,) = con.execute(
            "SELECT fact_id FROM fact WHERE basis = 'partial' AND period = '一季度' AND metric = 'income'"
        ).fetchone()
        con.execute(
            "UPDATE fact SET confidence = 'review', confidence_reasons = '测试' WHERE fact_id = ?", [fact_id]
        )
    finally:
        con.close()

    def listed() -> bool:
        memory = database.open_database(str(path))
        try:
            return fact_id in database.run_query(memory, "partial_facts", **VIEW)["fact_id"].to_list()
        finally:
            memory.close()

    assert not listed()
    con = store.connect(path)
    try:
        corrections.confirm(con, fact_id, "核对原文无误", "测试校核人")
    finally:
        con.close()
    assert listed()


def test_whole_year_queries_never_hold_a_part_year_fact(partial_con):
    partial = database.run_query(partial_con, "partial_facts", **VIEW)
    ids = set(partial["fact_id"])
    metrics = ["income", "expenditure", "balance", "cumulative_balance", "insured"]
    for basis in ("actual", "budget", "estimate"):
        sources = database.run_query(partial_con, "indicator_sources", basis=basis, metrics=metrics, **VIEW)
        assert not ids & set(sources["fact_id"]), basis
        assert "partial" not in set(sources["basis"])
    actual = database.run_query(partial_con, "indicators", basis="actual", **VIEW)
    assert 2025 not in set(actual["year"])  # 2025 has only part-year figures (and a budget)
    resident_2024 = actual.filter(pl.col("fund") == "resident", pl.col("year") == 2024).row(0, named=True)
    assert resident_2024["income"] not in (450_000_000, None)  # the whole year, not 2024's 1-9月
    budget = database.run_query(partial_con, "indicators", basis="budget", **VIEW)
    assert budget.filter(pl.col("year") == 2025, pl.col("fund") == "resident")["income"].to_list() == [
        640_000_000
    ]


def test_data_as_of_is_the_newest_period_in_view_and_the_last_ingest(partial_con):
    def as_of(regions, funds=("employee", "resident")) -> freshness.DataAsOf:
        rows = database.run_query(partial_con, "data_as_of", **freshness.query_params(regions, funds))
        return freshness.data_as_of(rows)

    last = database.run_query(partial_con, "documents", regions=[DAOXIAN, NINGXIAN])["ingested_at"].max()
    daoxian = as_of([DAOXIAN])
    assert daoxian.newest == "2025年1-9月" and daoxian.last_ingest == last
    assert as_of([NINGXIAN], ["resident"]).newest == "2019年"  # 宁县's own latest report: 2019
    assert as_of([]).newest == "2025年1-9月"  # no region chosen: the whole library
    assert daoxian.text == f"数据截至 2025年1-9月 · 最近导入 {last:%Y-%m-%d %H:%M}"


def test_a_whole_year_outranks_a_period_ending_in_december():
    rows = pl.DataFrame(
        {
            "year": [2024, 2024, 2023],
            "period": ["第四季度", None, None],
            "last_ingest": [datetime(2025, 1, 2)] * 3,
        }
    )
    assert freshness.data_as_of(rows).newest == "2024年"
    empty = pl.DataFrame(
        {"year": [None], "period": [None], "last_ingest": [None]}, schema_overrides={"year": pl.Int32}
    )
    assert freshness.data_as_of(empty).text == ""


def test_the_workbook_and_the_deck_say_how_new_the_data_is(partial_con):
    from openpyxl import load_workbook

    from dashboard.core import deck

    f = Filters(regions=(DAOXIAN,), funds=("resident",), first_year=2016, last_year=2025, basis="actual")
    view = briefing.current_view(f, lambda name, **p: database.run_query(partial_con, name, **p))
    sheet = load_workbook(io.BytesIO(export.workbook_bytes(view)))["说明"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert rows["数据截至"].startswith("2025年1-9月（所选地区和险种已核实的实际数")
    assert rows["最近导入"].startswith(f"{view.as_of.last_ingest:%Y-%m-%d %H:%M}")
    prs = deck.build_deck(partial_con, deck.DeckRequest(regions=(DAOXIAN,), funds=("resident",)))
    title = "\n".join(s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame)
    assert view.as_of.text in title and "数据截至 2025年1-9月" in title


# ---- the pages


def test_the_progress_page_draws_a_year_against_last_year_and_its_budget(partial_db, entry, monkeypatch):
    monkeypatch.setenv("MEDFUND_DB", str(partial_db))
    at = start_app(entry, "pages/progress.py", region=DAOXIAN, fund=["resident", "employee"])
    table = at.dataframe[0].value
    row = table[(table["年度"] == 2025) & (table["期间"] == "1-9月") & (table["险种"] == "居民医保")]
    income = row[row["指标"] == "基金收入"].iloc[0]
    # 46800 of a budget of 64000 万元 = 73.1 %; 9 months = 75.0 %; 2024年1-9月 45000 → +4.0 %
    assert (income["时序进度"], income["预算进度"], income["同比"]) == ("75.0%", "73.1%", "+4.0%")
    assert income["判断"] == "慢于时序进度 1.9 个百分点（收入偏慢）"
    assert at.selectbox(key="progress_pick").value == f"{DAOXIAN}|resident|2025"  # the most points first
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "道县 居民医保 2025年：累计收支与进度"
    drawn = {t["name"]: t for t in spec["data"]}
    assert drawn["本年累计基金收入"]["x"] == [0, 3, 6, 9] and drawn["本年累计基金收入"]["y"][
        -1
    ] == pytest.approx(4.68)
    assert drawn["上年同期基金收入"]["x"] == [0, 9]
    assert drawn["基金收入：时序进度线（全年预算 × 月数 ÷ 12）"]["y"] == [0, pytest.approx(6.4)]
    assert any("预算进度 73.1%，时序进度 75.0%" in w.value for w in at.warning)
    assert any(e.label == "年内数据与预算的原文（10 条）" for e in at.expander)  # 8 part-year + 2 budgets
    assert texts(at).count("数据截至 2025年1-9月") == 1


def test_part_year_figures_stay_out_of_the_trend_chart(partial_db, entry, monkeypatch):
    monkeypatch.setenv("MEDFUND_DB", str(partial_db))
    at = start_app(entry, "pages/trends.py", region=DAOXIAN, fund="resident")
    at.selectbox(key="trend_indicator").set_value("income").run()
    line = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    years = {x for t in line for x in (t.get("x") or []) if x is not None}
    assert years and 2025 not in years


def test_the_progress_page_says_when_there_is_nothing_to_draw(open_vouched):
    at = open_vouched("pages/progress.py")
    assert "没有已核实的年内（一季度、1-6月、1-9月等）基金收入或支出数据" in texts(at)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/upload.py", "pages/risk.py"])
def test_every_page_says_how_new_its_data_is(open_vouched, vouched_db, page):
    at = open_vouched(page)
    caption = next(c for c in at.caption if c.value.startswith("数据截至"))
    assert "· 最近导入 " in caption.value and caption.proto.help == freshness.HELP
