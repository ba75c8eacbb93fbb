"""Every page in AppTest: loads on the bundled reports, follows the filters, shows empty states.

AppTest runs the real app.py, copied into a folder of its own (conftest's `entry`, which says
why); `open_app` opens it on the seeds database."""

from __future__ import annotations

import json

import duckdb
import pytest
from conftest import ROOT, texts
from streamlit.testing.v1 import AppTest

from dashboard.core.build import DEFAULT_FOLDERS, report_files
from dashboard.web.navigation import PAGES

CHART_PAGES = [p for p in PAGES if p.has_charts]


# what a viewer sees first on the pages that are not a chart or a table
FIRST_SIGHT = {
    "overview": lambda at: len(at.metric) >= 8,
    "briefing": lambda at: {b.label for b in at.get("download_button")} >= {"下载 PowerPoint", "下载 Excel"},
    "upload": lambda at: "需要校核人（编辑）权限" in texts(at) and not at.get("file_uploader"),
    "corrections": lambda at: "还没有校核记录" in texts(at) and "校核人登录后可补录" in texts(at),
    "progress": lambda at: "没有已核实的年内" in texts(at),  # the bundled reports give no part-year figures
}
# pages whose content does not depend on the chosen regions (the map shows every region)
REGION_FREE = {"upload", "map"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_page_loads_on_bundled_reports(open_app, page):
    at = open_app(page.path)
    assert at.title[0].value == page.title
    if page.has_charts:
        assert len(at.get("plotly_chart")) >= 1
    elif page.url_path in FIRST_SIGHT:
        assert FIRST_SIGHT[page.url_path](at)
    else:
        assert len(at.dataframe) >= 1
    # the sidebar filters are there on every page
    assert at.multiselect(key="region").value and at.multiselect(key="fund").value


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.url_path not in REGION_FREE], ids=lambda p: p.url_path
)
def test_page_without_regions_says_so(open_app, page):
    at = open_app(page.path)
    at.multiselect(key="region").set_value([]).run()
    assert not at.exception
    assert "请在左侧选择至少一个地区" in texts(at)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize(
    "page", [*CHART_PAGES, next(p for p in PAGES if p.url_path == "facts")], ids=lambda p: p.url_path
)
def test_region_and_fund_without_data_show_empty_state(open_app, page):
    # 宁县 published nothing on the supplementary employee fund
    at = open_app(page.path, region="621026", fund="employee_supplementary")
    assert not at.exception
    info = "\n".join(i.value for i in at.info)
    assert "未披露" in info or "没有" in info, info
    assert not at.get("plotly_chart")


def test_overview_cards_follow_the_chosen_region(open_vouched):
    at = open_vouched(region=["431124"], fund=["employee", "resident"])
    assert at.subheader[0].value == "道县 · 2024年"
    cards = {m.label: m.value for m in at.metric}
    # 居民医保 2024: 本年基金收入合计62389.85万元 → 6.24 亿元; 参保 592322 人
    assert cards["基金收入"] in ("6.24 亿元", "1.48 亿元")
    assert "59.23 万人" in [m.value for m in at.metric]
    assert "可支付月数" in cards and "当期结余率" in cards
    at.multiselect(key="region").set_value(["621026"]).run()
    assert at.subheader[0].value.startswith("宁县")


def test_overview_alerts_name_deficits_and_reserves(open_vouched):
    at = open_vouched(region=["431124"], fund=["employee", "resident"])
    alerts = [e.label for e in at.expander]
    assert any("职工医保当期收不抵支" in a for a in alerts), alerts
    # 居民医保 2024: 累计结余 20461.85万元 ÷ (62217.22万元 / 12) = 3.9465 个月 → 偏低, shown
    # rounded once (3.9; the views once rounded it to 3.95 and the page again to 4.0)
    assert "居民医保累计结余可支付 3.9 个月：偏低" in alerts, alerts
    # each alert shows its source quote in the document
    assert any("<mark" in h.proto.body for h in at.get("html")), "no quote highlighted"


def test_filters_come_from_the_link_and_persist_across_pages(open_app):
    at = open_app(
        region=["431124", "not-a-code"], fund="resident", **{"from": "2023", "to": "2024"}, basis="actual"
    )
    assert at.multiselect(key="region").value == ["431124"]
    assert at.multiselect(key="fund").value == ["resident"]
    assert at.slider(key="years").value == (2023, 2024)
    at.switch_page(str(ROOT / "pages/balance.py")).run()
    assert at.multiselect(key="region").value == ["431124"]
    assert at.query_params["region"] == ["431124"] or at.query_params["region"] == "431124"
    assert "道县" in texts(at) or at.get("plotly_chart")


def test_trends_follow_the_indicator(open_app):
    at = open_app("pages/trends.py", region=["431124"])

    def title() -> str:
        return json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]

    assert title() == "参保人数变化趋势"
    at.selectbox(key="trend_indicator").set_value("cumulative_balance").run()
    assert title() == "累计结余变化趋势"


def test_basis_switch_shows_budget_figures(open_app, seeds_db):
    at = open_app("pages/compare.py", region=["431124"], fund="resident", basis="budget")
    con = duckdb.connect(str(seeds_db), read_only=True)
    budget = con.execute(
        "SELECT value FROM fund_facts WHERE region_code = '431124' AND fund = 'resident' AND metric = 'insured'"
        " AND basis = 'budget' AND item = 'total'"
    ).fetchone()
    con.close()
    assert budget is not None
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert bars["x"] == [pytest.approx(budget[0] / 1e4)]  # 参保人数 in 万人, as the budget states it


def test_facts_page_shows_a_linked_fact_in_its_document(open_app, seeds_db):
    con = duckdb.connect(str(seeds_db), read_only=True)
    fact_id, quote = con.execute(
        "SELECT fact_id, quote FROM fund_facts WHERE region_code = '431124' ORDER BY fact_id LIMIT 1"
    ).fetchone()
    con.close()
    at = open_app("pages/facts.py", region=["431124"], fact=fact_id)
    html = "\n".join(h.proto.body for h in at.get("html"))
    assert f">{quote}</mark>" in html
    assert [b.proto.label for b in at.get("download_button")] == ["下载 CSV", "下载 Excel"]


def test_facts_page_search_narrows_the_table(open_app):
    at = open_app("pages/facts.py", region=["431124"])
    rows = at.dataframe[0].value.shape[0]
    at.text_input(key="facts_search").set_value("住院").run()
    narrowed = at.dataframe[0].value
    assert 0 < narrowed.shape[0] < rows
    assert all("住院" in q for q in narrowed["原文"])


def test_first_start_builds_the_database(entry, tmp_path, monkeypatch):
    db = tmp_path / "fresh" / "medfund.duckdb"
    db.parent.mkdir()
    monkeypatch.setenv("MEDFUND_DB", str(db))
    at = AppTest.from_file(str(entry), default_timeout=180)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert db.exists() and not db.with_name(db.name + ".building").exists()
    assert at.title[0].value == "总览" and at.metric
    con = duckdb.connect(str(db), read_only=True)
    # the default data set: the seeds and the public texts beside them (tests/test_default_data.py)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == len(report_files(DEFAULT_FOLDERS))
    con.close()


def test_quality_lists_the_numbers_set_aside_with_their_reasons(open_app, seeds_db):
    at = open_app("pages/quality.py")
    assert "按规则略去的数值" in [h.value for h in at.subheader]
    shown = next(d.value for d in at.dataframe if "数值" in d.value.columns and "原因" in d.value.columns)
    con = duckdb.connect(str(seeds_db), read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM dropped").fetchone()[0]
    finally:
        con.close()
    assert 0 < len(shown) <= stored
    assert shown["原因"].str.len().min() > 0
    assert all(quote.endswith(number) for quote, number in zip(shown["原文"], shown["数值"], strict=True))


def test_facts_page_says_how_sure_each_reading_is(open_app, seeds_db):
    at = open_app("pages/facts.py")
    shown = next(d.value for d in at.dataframe if "可信度" in d.value.columns)
    con = duckdb.connect(str(seeds_db), read_only=True)
    try:
        review = con.execute("SELECT count(*) FROM fund_facts WHERE confidence = 'review'").fetchone()[0]
    finally:
        con.close()
    assert set(shown["可信度"]) == {"可信", "待核查"} and review > 0
    flagged = shown[shown["可信度"] == "待核查"]
    assert (flagged["核查原因"].str.len() > 0).all()
    assert (shown[shown["可信度"] == "可信"]["核查原因"] == "").all()


def test_people_helped_by_medical_assistance_are_never_insured_persons(open_vouched):
    # 益阳市 2020: 全市共纳入城乡居民医疗救助32.80万人 — 救助人数, not 参保人数
    at = open_vouched(region=["430900"], fund=["assistance"])
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert any(label.startswith("救助人数") for label in labels), labels
    assert not any(label.startswith("参保人数") for label in labels), labels


def test_one_unit_per_fund_block(open_vouched):
    # 益阳市 2020 居民医保: 基金收入 31.93 亿元 and 当期结余 −9,054 万元 — shown in one unit
    at = open_vouched(region=["430900"], fund=["resident"])
    at.selectbox(key="overview_year").set_value(2020).run()
    money = {
        m.label: m.value for m in at.metric if m.label.split("（")[0] in ("基金收入", "基金支出", "当期结余")
    }
    assert money["基金收入"] == "31.93 亿元", money
    assert money["当期结余"] == "-0.91 亿元", money
    assert {v.split(" ")[-1] for v in money.values()} == {"亿元"}


def test_the_overview_opens_on_the_fullest_region_in_its_latest_full_enough_year(open_vouched, vouched_db):
    import duckdb

    from dashboard.core.settings import settings

    columns = settings().headline
    con = duckdb.connect(str(vouched_db), read_only=True)
    try:
        n = f"sum({' + '.join(f'({c} IS NOT NULL)::INT' for c in columns)})"
        region, most = con.execute(
            f"SELECT region_code, {n} AS n FROM indicators GROUP BY region_code, year "
            "ORDER BY n DESC, year DESC, region_code LIMIT 1"
        ).fetchone()
        (year,) = con.execute(
            f"SELECT max(year) FROM (SELECT year, {n} AS n FROM indicators WHERE region_code = ? GROUP BY year) "
            "WHERE 2 * n >= ?",
            [region, most],
        ).fetchone()
    finally:
        con.close()
    at = open_vouched()
    assert at.selectbox(key="overview_region").value == region
    assert at.selectbox(key="overview_year").value == year


def test_a_city_is_never_ranked_among_counties(open_vouched):
    at = open_vouched("pages/compare.py", region=["430900", "430903", "431124", "621026"])
    level = at.selectbox(key="compare_level")
    assert level.options == ["县级", "市级"] and level.value == "county"  # the level with most regions
    table = next(d for d in at.dataframe).value
    assert "益阳市" not in set(table["地区"]) and len(table) > 0
    level.set_value("city").run()
    table = next(d for d in at.dataframe).value
    assert set(table["地区"]) == {"益阳市"}


def test_income_and_expenditure_growth_opens_on_a_region_with_the_data(open_vouched):
    at = open_vouched("pages/trends.py", region=["430900", "430903", "431124", "621026"])
    assert not any("无法比较增长" in i.value for i in at.info), [i.value for i in at.info]
    assert at.get("plotly_chart")


def test_facts_page_shows_money_in_wan_yuan_and_downloads_keep_yuan(open_app):
    at = open_app("pages/facts.py", region=["431124"], fund=["resident"])
    table = next(d for d in at.dataframe).value
    money = table[table["单位"] == "万元"]
    assert len(money) > 0 and "元" not in set(table["单位"])
    # 道县 2024 居民医保 本年基金收入合计62389.85万元
    assert any(abs(v - 62389.85) < 1e-6 for v in money["数值"])
    assert "金额以万元显示" in texts(at)


def test_a_cards_change_is_in_the_unit_of_its_value(open_vouched):
    # 道县 2024 职工医保 当期结余 −0.08 亿元: its change on last year in 亿元 too, never 万元
    at = open_vouched(region=["431124"], fund=["employee"])
    card = next(m for m in at.metric if m.label.startswith("当期结余") and "率" not in m.label)
    assert card.value.endswith("亿元") and card.delta.endswith("亿元"), (card.value, card.delta)
