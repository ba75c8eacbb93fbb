"""Presentation mode (dashboard/present.py) and the 汇报 page in AppTest.

The app runs as in tests/test_pages.py (conftest's `open_app`: a copy of app.py in a folder of its own).
AppTest renders hidden elements too: that the sidebar and header are hidden is seen in the
projector style the page carries (the real browser shows it: tests/test_browser.py's way)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import openpyxl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard.web import present

DAOXIAN, NINGXIAN = "431124", "621026"
STEP_TITLES = ["总览", "趋势", "结余分析", "人均收支", "数据质量"]


def presenting(at: AppTest) -> bool:
    """The projector style is on the page (it hides the sidebar, its toggle and the header)."""
    return any(
        '[data-testid="stSidebar"]' in h.proto.body and "display: none" in h.proto.body
        for h in at.get("html")
    )


def step_text(at: AppTest) -> str:
    return next(h.proto.body for h in at.get("html") if "medfund-step" in h.proto.body)


def keys(widgets) -> set[str]:
    return {w.key for w in widgets}


def shown_filters(at: AppTest):
    return at.session_state["_active_filters"]


def test_link_opens_presentation_on_one_region(open_app):
    at = open_app(present="1", region=[DAOXIAN, NINGXIAN], fund=["employee", "resident"])
    assert presenting(at)
    assert at.title[0].value == "总览"
    assert "第 1/5 页 · 总览" in step_text(at)
    # one region: the first selected, although two are
    assert shown_filters(at).regions == (DAOXIAN,)
    assert at.selectbox(key=present.REGION_KEY).value == DAOXIAN
    assert at.subheader[0].value == "道县 · 2024年"
    # the sidebar keeps the user's choice (hidden), the page's own pickers are gone
    assert at.multiselect(key="region").value == [DAOXIAN, NINGXIAN]
    assert not {"overview_region", "overview_year"} & keys(at.selectbox)
    assert at.query_params["present"] in ("1", ["1"])


def test_normal_view_has_no_projector_style(open_app):
    at = open_app(region=[DAOXIAN])
    assert not presenting(at)
    assert {"overview_region", "overview_year"} <= keys(at.selectbox)
    assert not {"present_prev", "present_next", "present_exit"} & keys(at.button)  # no step bar


def test_next_and_previous_step_through_the_pages(open_app):
    at = open_app(present="1", region=[DAOXIAN, NINGXIAN])
    assert at.button(key="present_prev").disabled
    seen = [at.title[0].value]
    for n in range(2, 6):
        at.button(key="present_next").click().run()
        assert not at.exception, [e.message for e in at.exception]
        seen.append(at.title[0].value)
        assert f"第 {n}/5 页" in step_text(at)
        assert presenting(at)
        # the filters survive the page switch, and still one region is shown
        assert at.multiselect(key="region").value == [DAOXIAN, NINGXIAN]
        assert shown_filters(at).regions == (DAOXIAN,)
    assert seen == STEP_TITLES
    assert at.button(key="present_next").disabled
    at.button(key="present_prev").click().run()
    assert at.title[0].value == "人均收支"


def test_trends_hide_their_controls_and_draw_large(open_app):
    at = open_app("pages/trends.py", present="1", region=[DAOXIAN, NINGXIAN])
    controls = keys(at.selectbox) | keys(at.get("segmented_control"))
    assert not {"trend_indicator", "trend_by", "trend_region", "growth_region", "growth_fund"} & controls
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert layout["title"]["text"] == "参保人数变化趋势"
    assert layout["font"]["size"] >= 20 and layout["title"]["font"]["size"] > 20
    # one line per fund of the one region
    names = {t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
    assert not any("宁县" in n for n in names), names


def test_region_chosen_in_the_step_bar_stays_across_pages(open_app):
    at = open_app(present="1", region=[DAOXIAN, NINGXIAN])
    at.selectbox(key=present.REGION_KEY).set_value(NINGXIAN).run()
    assert at.subheader[0].value.startswith("宁县")
    at.button(key="present_next").click().run()
    assert at.title[0].value == "趋势"
    assert at.selectbox(key=present.REGION_KEY).value == NINGXIAN
    assert shown_filters(at).regions == (NINGXIAN,)


def test_exit_leaves_the_mode_on_the_same_page(open_app):
    at = open_app(present="1", region=[DAOXIAN, NINGXIAN])
    at.button(key="present_next").click().run()
    at.button(key="present_exit").click().run()
    assert not at.exception
    assert not presenting(at)
    assert at.title[0].value == "趋势"
    assert "present" not in at.query_params
    assert {"trend_indicator", "growth_region"} <= keys(at.selectbox)
    assert shown_filters(at).regions == (DAOXIAN, NINGXIAN)
    at.run()  # and stays left
    assert not presenting(at)


@pytest.fixture
def made(monkeypatch) -> dict[str, Callable[[], bytes]]:
    """File name → what a download button makes when pressed (deferred until the click)."""
    made: dict[str, Callable[[], bytes]] = {}
    register = MediaFileManager.add_deferred

    def remember(self, make, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = make
        return register(self, make, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return made


def test_briefing_page_offers_deck_workbook_and_presentation(open_app, made):
    at = open_app("pages/briefing.py", region=[DAOXIAN], fund=["employee", "resident"], **{"from": "2023"})
    assert at.title[0].value == "汇报"
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert list(buttons) == ["下载 PowerPoint", "下载 Excel"]
    # both files are made when their button is pressed, not on every run
    assert all(b.deferred_file_id and not b.url for b in buttons.values())
    # (the overview, run first, offers its written analysis: 道县2024年医保基金运行分析.docx / .html)
    assert sorted(n for n in made if n.startswith("医保基金运行分析_")) == [
        "医保基金运行分析_道县_2023-2024.pptx",
        "医保基金运行分析_道县_2023-2024.xlsx",
    ]
    assert "道县（湖南省永州市）" in at.markdown[0].value
    assert at.dataframe[0].value["地区"].to_list() == ["道县（湖南省永州市）"]
    # the Excel button's file is the workbook of this view
    book = openpyxl.load_workbook(io.BytesIO(made["医保基金运行分析_道县_2023-2024.xlsx"]()))
    assert book.sheetnames == ["说明", "指标", "数据明细", "校核结果"]
    assert {c.value for c in book["指标"]["A"][1:]} == {"道县"}


def test_deck_button_makes_the_deck(open_app, made):
    open_app("pages/briefing.py", region=[DAOXIAN], fund=["employee", "resident"], **{"from": "2023"})
    deck = made["医保基金运行分析_道县_2023-2024.pptx"]()
    assert deck[:2] == b"PK" and b"ppt/slides/slide1.xml" in deck


def test_start_presentation_from_the_briefing_page(open_app):
    at = open_app("pages/briefing.py", region=[DAOXIAN, NINGXIAN])
    at.selectbox(key="briefing_region").set_value(NINGXIAN).run()
    at.button(key="briefing_present").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert presenting(at)
    assert at.title[0].value == "总览"
    assert at.subheader[0].value.startswith("宁县")
    assert at.multiselect(key="region").value == [DAOXIAN, NINGXIAN]


def test_a_page_outside_the_steps_can_be_presented(open_app):
    at = open_app("pages/facts.py", present="1", region=[DAOXIAN])
    assert presenting(at)
    assert "不在演示顺序中" in step_text(at)
    at.button(key="present_next").click().run()
    assert at.title[0].value == "总览"


def test_the_projector_shows_quality_tables_large_and_no_severity_control(entry, seeds_db, monkeypatch):
    from conftest import start_app

    monkeypatch.setenv("MEDFUND_DB", str(seeds_db))
    at = start_app(entry, "pages/quality.py", present="1", region="621026")
    assert not [c for c in at.get("button_group") if c.label == "严重程度"]
    assert at.table, "on the projector the checks are a plain table in large type"
    assert any("font-size: 1.35rem" in h.proto.body for h in at.get("html"))


def test_the_projector_overview_is_one_table_of_the_years_figures(entry, vouched_db, monkeypatch):
    from conftest import start_app

    monkeypatch.setenv("MEDFUND_DB", str(vouched_db))
    at = start_app(entry, "pages/overview.py", present="1", region="431124")
    assert not at.metric, "no cards on the projector: one table that fits the screen"
    (table,) = at.table
    frame = table.value
    assert {"职工医保", "居民医保"} <= set(frame.index) and "可支付月数" in frame.columns
    assert frame.loc["居民医保", "可支付月数"] == "3.9 个月"
    money = [v for c in ("基金收入", "基金支出", "当期结余") for v in frame[c] if v != "—"]
    assert {v.split(" ")[-1] for v in money} == {"亿元"}  # one unit for every amount
