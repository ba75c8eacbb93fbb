"""The dashboard's read side without Streamlit: settings, units, queries, analysis, charts,
tracing and exports."""

from __future__ import annotations

import io
import re
import shutil

import duckdb
import openpyxl
import polars as pl
import pytest
import yaml
from pydantic import ValidationError

from dashboard.core import analysis, charts, database, export, trace
from dashboard.core.settings import SETTINGS_FILE, Settings, settings
from dashboard.core.units import format_change, format_value, scale_for

# ---------------------------------------------------------------- settings and units


@pytest.mark.parametrize(
    ("months", "label"),
    [
        (0, "结余不足"),
        (2.94, "结余不足"),
        (2.96, "偏低"),  # shown as 3.0 个月: judged as shown
        (3, "偏低"),
        (5.9, "偏低"),
        (6, "合理"),
        (8.94, "合理"),
        (8.99, "偏高"),  # 9.0 个月
        (9, "偏高"),
        (14.9, "偏高"),
        (15, "结余过多"),
        (40, "结余过多"),
        (-1, "结余不足"),
    ],
)
def test_reserve_bands_come_from_settings(months, label):
    assert settings().band_for(months).label == label


def test_settings_reject_bands_that_do_not_rise():
    raw = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    raw["reserve_bands"][1]["upto"] = 1
    with pytest.raises(ValidationError):
        Settings.model_validate(raw)
    raw = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    raw["headline"].append("no_such_indicator")
    with pytest.raises(ValidationError):
        Settings.model_validate(raw)


def test_every_fund_has_its_own_colour():
    colors = [f.color for f in settings().funds.values()]
    assert len(set(colors)) == len(colors)


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (1.51661e9, "money", "15.17 亿元"),
        (9261700, "money", "926.17 万元"),
        (-7876200, "money", "-787.62 万元"),
        (388079, "people", "38.81 万人"),
        (32542, "people", "32,542 人"),
        (4410, "visits", "4,410 人次"),
        (15.3, "rate", "15.3%"),
        (9.36, "months", "9.4 个月"),
        (3908.03, "per_capita", "3,908 元"),
        (None, "money", "—"),
    ],
)
def test_values_are_shown_in_chinese_units(value, kind, text):
    assert format_value(value, kind) == text


def test_one_unit_per_chart_from_the_largest_magnitude():
    assert scale_for("money", [5e6, 2e8]).unit == "亿元"
    assert scale_for("money", [5e6, 9e7]).unit == "万元"
    assert scale_for("people", [900, 120000]).unit == "万人"


def test_changes_are_points_for_rates_and_percent_for_amounts():
    assert format_change(-2.1, 15.3, "rate") == "-17.4 个百分点"
    assert format_change(9.4, 8.0, "months") == "+1.4 个月"
    assert format_change(2.2e8, 2e8, "money") == "+10.0%"
    assert format_change(1.0, None, "money") is None
    assert format_change(-7876200, -3213000, "money") == "-466.32 万元"  # a deeper deficit is a fall
    assert format_change(1726300, -2632200, "money") == "+435.85 万元"


# ---------------------------------------------------------------- queries


def test_queries_file_names_each_query_once(tmp_path):
    path = tmp_path / "q.sql"
    path.write_text("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n", encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice"):
        database.load_queries(path)


PARAMS = {
    "basis": "actual",
    "views": ["actual", "budget"],
    "regions": ["430900", "430903", "431124", "621026"],
    "funds": list(settings().funds),
    "metrics": ["income", "expenditure", "insured"],
    "first_year": 2000,
    "last_year": 2100,
    "fact_ids": [],
    "doc_id": "",
    "fact_id": "",
    "all_regions": True,
}


# no steward has corrected or removed anything in the seeds database; its reports give no part-year figures
EMPTY_ON_SEEDS = {"corrections", "fact_history", "removals", "partial_facts"}


@pytest.mark.parametrize("name", sorted(database.QUERIES))
def test_every_named_query_runs(con, seeds_db, name):
    sql = database.QUERIES[name]
    reader = duckdb.connect(str(seeds_db), read_only=True)
    try:
        fact_id, doc_id = reader.execute(
            "SELECT fact_id, doc_id FROM fund_facts ORDER BY fact_id LIMIT 1"
        ).fetchone()
    finally:
        reader.close()
    ids = {"fact_id": fact_id, "doc_id": doc_id, "fact_ids": [fact_id]}
    params = {k: ids.get(k, v) for k, v in PARAMS.items() if re.search(rf"\${k}\b", sql)}
    if name in database.FILE_QUERIES:
        frame = database.run_file_query(str(seeds_db), name, **params)
    else:
        frame = database.run_query(con, name, **params)
    assert isinstance(frame, pl.DataFrame) and frame.width > 0
    if name in EMPTY_ON_SEEDS:
        assert frame.is_empty(), frame
    else:
        assert frame.height > 0, f"{name} returned no row on the bundled reports"


def test_the_app_holds_no_lock_on_the_file(con, seeds_db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(seeds_db.read_bytes())
    loaded = database.open_database(str(copy))
    writer = duckdb.connect(str(copy))  # an ingest beside the running app
    writer.execute("DELETE FROM checks")
    writer.close()
    assert (
        database.run_query(
            loaded, "checks", regions=PARAMS["regions"], first_year=2000, last_year=2100
        ).height
        > 0
    )
    loaded.close()


def test_user_strings_are_parameters_not_sql(con, seeds_db):
    hostile = "431124') OR 1=1 --"
    params = {k: PARAMS[k] for k in ("basis", "funds", "first_year", "last_year")}
    frame = database.run_query(con, "indicators", regions=[hostile], **params)
    assert frame.is_empty()
    assert database.run_file_query(str(seeds_db), "document_text", doc_id="' OR ''='").is_empty()


def test_indicator_query_matches_the_pipeline_view(con, seeds_db):
    frame = database.run_query(
        con, "indicators", **{k: PARAMS[k] for k in ("basis", "regions", "funds", "first_year", "last_year")}
    )
    raw = duckdb.connect(str(seeds_db), read_only=True)
    expected = raw.execute("SELECT count(*) FROM indicators_by_basis WHERE view_basis = 'actual'").fetchone()[
        0
    ]
    raw.close()
    assert frame.height == expected
    assert set(frame["view_basis"]) == {"actual"}


def test_budget_view_holds_budget_figures_only(vouched_db):
    raw = duckdb.connect(str(vouched_db), read_only=True)
    rows = raw.execute(
        "SELECT DISTINCT v.basis FROM indicator_values_by_basis v WHERE view_basis = 'budget'"
    ).fetchall()
    filled = raw.execute(
        "SELECT count(*) FROM indicators_by_basis WHERE view_basis = 'actual' AND len(estimated_metrics) > 0"
    ).fetchone()[0]
    no_outcome = raw.execute(
        "SELECT count(*) FROM indicator_values_by_basis WHERE view_basis = 'actual' AND basis = 'budget'"
    ).fetchone()[0]
    raw.close()
    assert rows == [("budget",)]
    assert filled > 0  # estimates stand in for missing outcomes, and say so
    assert no_outcome == 0  # a budget never passes for an outcome


# ---------------------------------------------------------------- analysis


def _ind(**columns) -> pl.DataFrame:
    base = {
        "region_code": ["431124"],
        "region_name": ["道县"],
        "year": [2024],
        "fund": ["resident"],
        "insured": [592322.0],
        "income": [6.2e8],
        "expenditure": [6.4e8],
        "balance_stated": [None],
        "balance": [-2e7],
        "balance_computed": [True],
        "balance_rate": [-3.2],
        "cumulative_balance": [2.0e8],
        "months_of_reserves": [3.75],
        "income_per_capita": [1046.7],
        "expenditure_per_capita": [1080.5],
        "estimated_metrics": [["expenditure"]],
        "derived_metrics": [None],
        "summed_metrics": [None],
        "fact_ids": [["f1", "f2"]],
        "n_disagreeing_facts": [0],
    }
    base.update(columns)
    return pl.DataFrame(
        base,
        schema_overrides={
            "balance_stated": pl.Float64,
            "derived_metrics": pl.List(pl.Utf8),
            "summed_metrics": pl.List(pl.Utf8),
        },
    )


def test_series_marks_estimated_and_derived_values():
    s = analysis.series(_ind(), "balance")
    assert s["estimated"][0] and s["derived"][0]  # income − expenditure, with an estimated expenditure
    s = analysis.series(_ind(), "insured")
    assert not s["estimated"][0] and not s["derived"][0]
    s = analysis.series(_ind(summed_metrics=[["insured"]]), "income_per_capita")
    assert s["derived"][0]


def test_growth_only_between_consecutive_years():
    s = pl.DataFrame(
        {
            "region_code": ["a"] * 3,
            "fund": ["x"] * 3,
            "year": [2019, 2020, 2022],
            "value": [100.0, 110.0, 121.0],
        }
    )
    assert analysis.with_growth(s)["growth"].to_list() == [None, pytest.approx(10.0), None]


def test_ranking_against_the_median():
    s = pl.DataFrame(
        {
            "region_code": list("abc"),
            "region_name": list("甲乙丙"),
            "fund": ["x"] * 3,
            "year": [2024] * 3,
            "value": [3.0, 9.0, 5.0],
        }
    )
    ranked, median = analysis.ranking(s, 2024)
    assert median == 5.0
    assert ranked["region_name"].to_list() == ["乙", "丙", "甲"]
    assert ranked["diff"].to_list() == [4.0, 0.0, -2.0]
    assert analysis.ranking(s, 2000)[1] is None
    more = pl.concat([s, s.head(1).with_columns(year=pl.lit(2025, pl.Int64))])
    assert analysis.best_year(more) == 2024  # three regions report 2024, one 2025


def test_alerts_name_deficits_reserves_and_checks():
    checks = pl.DataFrame(
        {
            "severity": ["warning"],
            "check_id": ["balance_identity"],
            "message": ["收入减支出不等于结余"],
            "fact_ids": [["f9"]],
            "doc_id": ["d1"],
            "file_name": ["r.txt"],
        }
    )
    found = analysis.alerts(_ind(n_disagreeing_facts=[2]), checks)
    kinds = [a.kind for a in found]
    assert kinds.count("deficit") == 1 and kinds.count("reserves") == 1 and kinds.count("disagreement") == 2
    reserves = next(a for a in found if a.kind == "reserves")
    assert "偏低" in reserves.title and reserves.severity == "warning"
    assert found[0].severity == "error"  # errors first
    assert analysis.alerts(_ind(balance=[1e6], months_of_reserves=[7.0]), checks.clear()) == []


def test_an_alert_title_is_whole_and_alerts_come_in_groups():
    long = "2024年医疗救助当期结余：收入4,484.76万元 − 支出4,752.20万元 = -267.44万元，但文中所列结余为-300.00万元。"
    checks = pl.DataFrame(
        {
            "severity": ["error", "warning"],
            "check_id": ["balance_identity", "duplicate_key_conflict"],
            "message": [long, "2019年职工医保基金支出在文中有2个不同数值"],
            "fund": ["assistance", "employee"],
            "metric": ["balance", "expenditure"],
            "item": ["total", "total"],
            "year": [2024, 2019],
            "fact_ids": [["f1"], ["f2"]],
            "doc_id": ["d1", "d1"],
            "file_name": ["r.txt", "r.txt"],
        }
    )
    found = analysis.alerts(_ind(n_disagreeing_facts=[0]), checks)
    titles = [a.title for a in found]
    assert "2024年医疗救助当期结余：收入、支出与结余不符" in titles
    assert "2019年职工医保基金支出：文中有不同数值，口径可能不同" in titles
    assert not any("…" in t for t in titles)
    assert next(a for a in found if a.kind == "disagreement").detail.startswith(long)  # the whole message
    groups = [name for name, _ in analysis.grouped(found)]
    assert groups == ["基金运行", "数值核对", "数据质量"]


def test_national_per_capita_is_income_over_insured():
    nat = analysis.national_reference()
    raw = pl.read_csv(settings().national_path)
    pick = raw.filter(pl.col("year") == 2023, pl.col("fund") == "resident", pl.col("item") == "total")
    value = dict(zip(pick["metric"], pick["value"].cast(pl.Float64), strict=True))
    row = nat.filter(pl.col("year") == 2023, pl.col("fund") == "resident").row(0, named=True)
    assert row["income_per_capita"] == pytest.approx(value["income"] / value["insured"])
    assert row["status"] in ("已核实", "单一来源") and "统计公报" in row["source"]


# ---------------------------------------------------------------- charts


def _series() -> pl.DataFrame:
    return analysis.series(
        pl.concat([_ind(), _ind(year=[2023], estimated_metrics=[None], income=[2.1e8], fund=["employee"])]),
        "income",
    )


def test_trend_chart_marks_estimates_hollow_and_keeps_fund_colours():
    s = _series().with_columns(estimated=pl.Series([False, True]))
    fig = charts.trend_chart(s, "income", "fund")
    by_name = {t.name: t for t in fig.data}
    assert by_name["居民医保"].marker.color == settings().fund_color("resident")
    assert by_name["职工医保"].marker.color == settings().fund_color("employee")
    assert list(by_name["居民医保"].marker.symbol) == ["circle-open"]
    assert fig.layout.yaxis.title.text == "基金收入（亿元）"


def test_reserves_chart_draws_every_band():
    s = analysis.series(_ind(), "months_of_reserves")
    fig = charts.reserves_chart(s, "region")
    labels = [a.text for a in fig.layout.annotations]
    assert labels == [b.label for b in settings().reserve_bands]


def test_per_capita_scatter_has_break_even_line_and_national_points():
    s = analysis.series(_ind(), "income_per_capita").with_columns(
        income_per_capita=pl.lit(1046.7), expenditure_per_capita=pl.lit(1080.5)
    )
    national = analysis.national_reference().filter(
        pl.col("fund") == "resident", pl.col("income_per_capita").is_not_null()
    )
    fig = charts.per_capita_scatter(s, national)
    line = fig.data[0]
    assert list(line.x) == list(line.y)  # y = x
    assert any(t.name == "全国·居民医保" for t in fig.data)
    assert "来源" in next(t for t in fig.data if t.name == "全国·居民医保").hovertemplate


# ---------------------------------------------------------------- tracing and exports


def test_quote_is_highlighted_in_its_context_and_escaped():
    text = "第一段。\n\n2024年<居民>医保基金收入62389.85万元，支出62217.22万元。\n\n第三段。"
    start = text.index("基金收入")
    end = start + len("基金收入62389.85万元")
    html = trace.quote_html(text, start, end)
    assert "基金收入62389.85万元</mark>" in html
    assert "&lt;居民&gt;" in html and "第一段" not in html and "第三段" not in html


def test_document_marks_every_fact_once():
    text = "收入100万元，支出90万元。"
    html = trace.document_html(text, [(0, 7, "收入"), (8, 14, "支出"), (2, 5, "overlap")])
    assert html.count("<mark") == 2
    assert 'title="收入"' in html


def test_excel_and_csv_exports_keep_numbers_and_chinese_headers(seeds_db):
    facts = pl.DataFrame(
        {
            "fact_id": ["f1"],
            "region_code": ["431124"],
            "region_name": ["道县"],
            "year": [2024],
            "fund": ["resident"],
            "metric": ["income"],
            "item": ["total"],
            "basis": ["actual"],
            "value": [623898500.0],
            "unit": ["yuan"],
            "derived": [False],
            "quote": ["本年基金收入合计62389.85万元"],
            "doc_id": ["d"],
            "file_name": ["r.txt"],
            "confidence": ["review"],
            "confidence_reasons": ["单位来自表头"],
        }
    )
    table = export.facts_table(facts)
    assert table.columns[:4] == ["地区", "区划代码", "年度", "险种"]
    book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes(table)))
    sheet = book["数据明细"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["数值"] == 623898500.0 and row["险种"] == "居民医保" and row["指标"] == "基金收入"
    assert (row["可信度"], row["核查原因"]) == ("待核查", "单位来自表头")
    csv = export.csv_bytes(table)
    assert csv.startswith("\ufeff".encode()) and "本年基金收入合计62389.85万元" in csv.decode("utf-8-sig")


def test_region_label_puts_the_region_first():
    from dashboard.core.scope import region_label

    county = {"region_name": "道县", "province_name": "湖南省", "city_name": "永州市"}
    assert region_label(county) == "道县（湖南省永州市）"
    city = {"region_name": "益阳市", "province_name": "湖南省", "city_name": ""}
    assert region_label(city) == "益阳市（湖南省）"


def test_growth_gap_takes_the_latest_year_with_both_rates():
    ind = pl.DataFrame(
        {"year": [2022, 2023, 2024], "income_growth": [5.0, 2.0, None], "expenditure_growth": [3.0, 9.5, 4.0]}
    )
    assert analysis.growth_gap(ind) == (2023, 7.5)
    assert analysis.growth_gap(ind.head(0)) is None


def test_card_gives_value_last_year_and_trend():
    rows = pl.concat(
        [_ind(year=[2023], income=[5.9e8], estimated_metrics=[None], visits=[None]), _ind(visits=[None])],
        how="vertical_relaxed",
    )
    c = analysis.card(rows, "income", 2024)
    assert (c.value, c.previous, c.trend) == (6.2e8, 5.9e8, [5.9e8, 6.2e8])
    assert analysis.card(rows, "visits", 2024) is None  # not disclosed: no card
    assert analysis.card(rows, "income", 2023).previous is None


def test_alert_classes_name_checks_the_pipeline_emits():
    from conftest import ROOT

    emitted = (ROOT / "pipelines" / "checks.py").read_text(encoding="utf-8")
    emitted += (ROOT / "pipelines" / "sql" / "indicators.sql").read_text(encoding="utf-8")
    for check_id in analysis.STATED_VS_COMPUTED:
        assert f'"{check_id}"' in emitted or f"'{check_id}'" in emitted, check_id


def test_income_and_expenditure_keep_their_colours_in_every_bar_chart():
    ind = _ind(income_growth=[3.0], expenditure_growth=[8.0])
    growth = charts.income_expenditure_growth_chart(ind, "t")
    pairs = analysis.per_capita(_ind()).with_columns(fund_name=pl.lit("居民医保"))
    bars = charts.per_capita_bars(pairs, analysis.national_reference().clear())
    for fig in (growth, bars):
        assert [t.marker.color for t in fig.data] == [charts.INCOME_COLOR, charts.EXPENDITURE_COLOR]
    assert list(bars.data[0].y) == [1046.7] and list(growth.data[1].y) == [8.0]


def test_a_file_from_an_earlier_version_gets_the_new_schema_when_opened(seeds_db, tmp_path):
    old = tmp_path / "old.duckdb"
    old.write_bytes(seeds_db.read_bytes())
    raw = duckdb.connect(str(old))
    for view in ("correction_log", "fact_current", "correction_latest", "fact_base"):
        raw.execute(f"DROP VIEW {view} CASCADE")
    raw.execute("DROP TABLE correction")
    raw.execute("DROP TABLE schema_version")  # made before schema versions were recorded
    raw.close()
    loaded = database.open_database(str(old))
    assert database.run_query(loaded, "corrections", all_regions=True, regions=[]).height == 0
    assert database.run_query(
        loaded, "facts", **{k: PARAMS[k] for k in ("regions", "funds", "first_year", "last_year")}
    ).height
    loaded.close()


def test_the_read_connection_answers_what_the_files_views_answer(seeds_db, tmp_path):
    """open_database re-creates three indicator views in memory over copied values: the same
    rows as the file's own views (a cross-report check included)."""
    from pipelines import store
    from pipelines.ingest import ingest

    path = tmp_path / "m.duckdb"
    shutil.copyfile(seeds_db, path)
    reports = []
    for year, text in (
        (2022, "2022年益阳市医疗保障事业发展统计公报\n城乡居民基本医疗保险基金累计结余10亿元。"),
        (
            2023,
            "2023年益阳市医疗保障事业发展统计公报\n城乡居民基本医疗保险基金当期结余1亿元，累计结余20亿元。",
        ),
    ):
        reports.append(tmp_path / f"益阳{year}.txt")
        reports[-1].write_text(text, encoding="utf-8")
    con = store.connect(path)
    try:
        ingest(con, reports)
    finally:
        con.close()
    memory = database.open_database(str(path))
    on_file = duckdb.connect(str(path), read_only=True)
    try:
        for table, view in (
            ("ind", "indicators_by_basis"),
            ("ind_values", "indicator_values_by_basis"),
        ):
            mine = memory.sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            theirs = on_file.sql(f"SELECT * FROM {view} WHERE view_basis <> 'any' ORDER BY ALL").fetchall()
            assert mine == theirs and len(mine) > 20, table
        mine = memory.sql("SELECT * FROM cross_checks ORDER BY ALL").fetchall()
        assert mine == on_file.sql("SELECT * FROM indicator_checks ORDER BY ALL").fetchall()
        assert any(row[4] == "cumulative_roll_forward" for row in mine)
        # nothing is computed on open: the app's own catalog holds views over the snapshot (and the
        # region table), no indicator table or view of its own
        own = memory.sql(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = 'memory'"
        )
        kinds = dict(own.fetchall())
        assert kinds.pop("region_table") == "BASE TABLE"
        assert set(kinds.values()) == {"VIEW"} and "ind" in kinds and "indicator_values_by_basis" not in kinds
    finally:
        memory.close()
        on_file.close()


def test_the_alerts_strip_counts_each_group():
    found = analysis.alerts(_ind(n_disagreeing_facts=[2]), pl.DataFrame())
    strip = analysis.alerts_strip(found)
    assert f"提示 {len(found)} 项" in strip and "基金运行" in strip and "需关注" in strip
    assert "无赤字" in analysis.alerts_strip([])


def test_the_overview_opens_on_the_latest_year_that_is_full_enough():
    import polars as pl

    from dashboard.core import analysis

    rows = [("A", 2011, 1, 1, 1, 1), ("A", 2024, 1, 1, 1, None), ("A", 2025, 1, None, None, None)]
    rows += [("B", 2024, 1, 1, 1, None)]
    ind = pl.DataFrame(rows, schema=["region_code", "year", "a", "b", "c", "d"], orient="row")
    # A's fullest year is 2011 (4 of 4); 2024 has 3, at least half of it; 2025 has 1
    assert analysis.richest(ind, ["a", "b", "c", "d"]) == ("A", 2024)
    assert analysis.richest(ind.filter(pl.col("region_code") == "B"), ["a", "b", "c", "d"]) == ("B", 2024)
    assert analysis.richest(ind.clear(), ["a"]) is None
