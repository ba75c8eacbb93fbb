"""Stewards in the app (AppTest): logging in, uploading, correcting, removing — and viewers refused."""

from __future__ import annotations

import duckdb
import pytest
from conftest import SEEDS, STEWARD_PASSWORD, run_cli, start_app, texts
from streamlit.testing.v1 import AppTest

from dashboard.core import auth, stewardship

PASSWORD = STEWARD_PASSWORD
NEW_REPORT = (
    "道县医疗保障局2025年医保基金运行情况\n"
    "截至2025年底，全县城乡居民基本医疗保险参保人数为61.2万人。"
    "2025年城乡居民医保基金收入6.02亿元，基金支出5.71亿元，当期结余3100万元，累计结余4.3亿元。\n"
)


start = start_app


def log_in(at: AppTest, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login_name_sidebar").input("alice")
    at.text_input(key="login_password_sidebar").input(password)
    next(b for b in at.button if b.label == "登录" and "login_sidebar" in b.form_id).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def query(path, sql, *params):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def some_fact(path):
    return query(
        path,
        "SELECT f.fact_id, f.value FROM fund_facts f JOIN indicator_values v USING (fact_id) "
        "WHERE f.metric = 'income' AND f.item = 'total' ORDER BY f.fact_id LIMIT 1",
    )[0]


# --- who may do what -------------------------------------------------------------------------


def test_a_viewer_sees_no_upload_and_is_offered_the_login(entry, db_path, steward):
    at = start(entry, "pages/upload.py")
    assert "需要校核人（编辑）权限" in texts(at)
    assert not at.get("file_uploader")


def test_a_viewer_gets_no_correction_form(entry, db_path, steward):
    fact_id, _ = some_fact(db_path)
    at = start(entry, "pages/facts.py", fact=fact_id)
    assert "校核人登录后可更正" in texts(at)
    assert not [b for b in at.button if b.label == "保存"]


def test_a_wrong_password_logs_nobody_in(entry, db_path, steward):
    at = log_in(start(entry), password="wrong-password")
    assert "用户名或密码不正确" in texts(at)
    assert "已登录" not in texts(at)


def test_the_code_below_the_page_refuses_without_an_editor_session(db_path, steward):
    fact_id, value = some_fact(db_path)
    forged = auth.Editor("alice", "made-up-token")
    for who in (None, forged, "alice"):
        with pytest.raises(auth.PermissionDenied):
            stewardship.correct_fact(who, fact_id, {"value": value + 1}, "越权更正")
        with pytest.raises(auth.PermissionDenied):
            stewardship.remove_report(who, query(db_path, "SELECT doc_id FROM report LIMIT 1")[0][0], "越权")
        with pytest.raises(auth.PermissionDenied):
            stewardship.stage_upload(who, "x.txt", b"x")
    assert query(db_path, "SELECT count(*) FROM correction") == [(0,)]
    editor = auth.login("alice", PASSWORD)
    auth.logout(editor)
    with pytest.raises(auth.PermissionDenied):
        stewardship.reject_fact(editor, fact_id, "登出后")


def test_an_account_removed_from_the_file_loses_its_session(db_path, steward):
    editor = auth.login("alice", PASSWORD)
    steward.write_text('{"users": []}', encoding="utf-8")
    fact_id, _ = some_fact(db_path)
    with pytest.raises(auth.PermissionDenied, match="不再有编辑权限"):
        stewardship.reject_fact(editor, fact_id, "原因")


# --- uploading -------------------------------------------------------------------------------


def test_upload_previews_then_imports_on_confirmation(entry, db_path, steward):
    at = log_in(start(entry, "pages/upload.py"))
    assert f"{stewardship.MAX_UPLOAD_MB} MB" in texts(at)
    at.file_uploader[0].set_value(("道县2025年基金运行.txt", NEW_REPORT.encode("utf-8"), "text/plain")).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = texts(at)
    assert "道县" in shown and "2025" in shown
    assert any(m.label == "识别出的数据" and int(m.value) >= 5 for m in at.metric)
    assert query(db_path, "SELECT count(*) FROM report WHERE file_name = '道县2025年基金运行.txt'") == [(0,)]

    button(at, "确认导入").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "已导入" in texts(at)
    [(region, year, n)] = query(
        db_path,
        "SELECT region_code, report_year, n_facts FROM report WHERE file_name = '道县2025年基金运行.txt'",
    )
    assert (region, year) == ("431124", 2025) and n >= 5
    assert query(
        db_path,
        "SELECT value FROM fund_facts WHERE region_code = '431124' AND year = 2025 AND metric = 'income'",
    ) == [(602_000_000.0,)]
    # the same file again is recognised
    at.file_uploader[0].set_value(("再次上传.txt", NEW_REPORT.encode("utf-8"), "text/plain")).run()
    assert "已在库中" in texts(at)


def test_an_unsure_region_is_set_by_the_steward(entry, db_path, steward):
    text = "基金运行情况\n2024年城乡居民医保基金收入1.5亿元，基金支出1.2亿元。\n"
    at = log_in(start(entry, "pages/upload.py"))
    at.file_uploader[0].set_value(("无地区.txt", text.encode("utf-8"), "text/plain")).run()
    assert "未识别" in texts(at)
    at.selectbox(key="upload_0_0_region").set_value("621026").run()
    at.number_input(key="upload_0_0_year").set_value(2024).run()
    assert not at.exception, [e.message for e in at.exception]
    button(at, "确认导入").click().run()
    [(region, confidence, year)] = query(
        db_path,
        "SELECT region_code, region_confidence, report_year FROM report WHERE file_name = '无地区.txt'",
    )
    assert (region, confidence, year) == ("621026", "steward", 2024)
    # remembered for later ingests (the year was detected, so only the region is the steward's)
    assert query(db_path, "SELECT region_code, report_year, author FROM report_override") == [
        ("621026", None, "alice")
    ]


def test_unreadable_and_good_files_together(entry, db_path, steward):
    at = log_in(start(entry, "pages/upload.py"))
    at.file_uploader[0].set_value(
        [
            ("坏文件.docx", b"PK\x03\x04 not really a docx", "application/octet-stream"),
            ("空文件.txt", b"", "text/plain"),
            ("道县2025.txt", NEW_REPORT.encode("gbk"), "text/plain"),
        ]
    ).run()
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("坏文件.docx" in e for e in errors) and any("空文件.txt" in e for e in errors)
    button(at, "确认导入 1 份").click().run()
    assert query(db_path, "SELECT count(*) FROM report WHERE file_name = '道县2025.txt'") == [(1,)]
    assert query(db_path, "SELECT count(*) FROM report WHERE file_name IN ('坏文件.docx', '空文件.txt')") == [
        (0,)
    ]


# --- correcting ------------------------------------------------------------------------------


def test_a_corrected_figure_survives_reingest_and_shows_its_history(entry, db_path, steward):
    fact_id, value = some_fact(db_path)
    at = log_in(start(entry, "pages/facts.py", fact=fact_id))
    at.number_input(key=f"fix_{fact_id}_value_income_万元").set_value(value / 1e4 + 100).run()
    at.text_input(key=f"fix_{fact_id}_reason").input("原文为万元，小数点识别有误").run()
    button(at, "保存").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "已更正" in texts(at)
    assert query(db_path, "SELECT value, origin FROM fund_facts WHERE fact_id = ?", fact_id) == [
        (pytest.approx(value + 1_000_000), "corrected")
    ]

    # the command line re-ingests the bundled reports: the correction stays in force
    done = run_cli("ingest", "-q", "--db", str(db_path), *map(str, SEEDS))
    assert done.returncode == 0, done.stderr
    at = start(entry, "pages/facts.py", fact=fact_id)
    assert query(db_path, "SELECT value FROM fund_facts WHERE fact_id = ?", fact_id) == [
        (pytest.approx(value + 1_000_000),)
    ]
    history = next(d for d in at.dataframe if "校核人" in d.value.columns).value
    assert list(history["校核人"]) == ["alice"] and list(history["操作"]) == ["更正"]
    assert "小数点" in history["原因"][0]


def test_rejecting_needs_a_reason_and_then_removes_the_figure(entry, db_path, steward):
    fact_id, _ = some_fact(db_path)
    at = log_in(start(entry, "pages/facts.py", fact=fact_id))
    at.radio(key=f"fix_{fact_id}_action").set_value("reject").run()
    button(at, "保存").click().run()
    assert any("请写明原因" in e.value for e in at.error)
    at.text_input(key=f"fix_{fact_id}_reason").input("这是预算数，不是决算数").run()
    button(at, "保存").click().run()
    assert query(db_path, "SELECT count(*) FROM fund_facts WHERE fact_id = ?", fact_id) == [(0,)]
    at = start(entry, "pages/corrections.py")
    log = next(d for d in at.dataframe if "操作" in d.value.columns).value
    assert list(log["操作"]) == ["否决"] and list(log["状态"]) == ["生效中"]


def test_adding_a_missed_figure_from_the_corrections_page(entry, db_path, steward):
    doc_id, text = query(db_path, "SELECT doc_id, text FROM report WHERE region_code = '431124' LIMIT 1")[0]
    quote = text[120:150]
    at = log_in(start(entry, "pages/corrections.py", region="431124"))
    at.selectbox(key="add_doc").set_value(doc_id).run()
    at.text_area(key="add_quote").input(quote).run()
    at.selectbox(key="add_metric").set_value("visits").run()
    at.number_input(key="add_value_visits_人次").set_value(4321).run()
    at.text_input(key="add_reason").input("表格中的数未识别").run()
    button(at, "补录").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert query(db_path, "SELECT metric, value, quote, origin FROM fund_facts WHERE origin = 'added'") == [
        ("visits", 4321.0, quote, "added")
    ]


def test_adding_a_figure_of_part_of_a_year_asks_for_its_period(entry, db_path, steward):
    doc_id, text = query(db_path, "SELECT doc_id, text FROM report WHERE region_code = '431124' LIMIT 1")[0]
    quote = text[120:150]
    at = log_in(start(entry, "pages/corrections.py", region="431124"))
    assert not [t for t in at.text_input if t.key == "add_period"]  # a whole year has no period
    at.selectbox(key="add_doc").set_value(doc_id).run()
    at.text_area(key="add_quote").input(quote).run()
    at.selectbox(key="add_metric").set_value("visits").run()
    at.selectbox(key="add_basis").set_value("partial").run()
    at.number_input(key="add_value_visits_人次").set_value(1234).run()
    at.text_input(key="add_reason").input("季度数未识别").run()
    button(at, "补录").click().run()
    assert "须写明期间" in " ".join(e.value for e in at.error)  # refused without one, nothing written
    assert query(db_path, "SELECT count(*) FROM fund_facts WHERE origin = 'added'") == [(0,)]
    at.text_input(key="add_period").input("1-6月").run()
    button(at, "补录").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert query(db_path, "SELECT basis, period, value FROM fund_facts WHERE origin = 'added'") == [
        ("partial", "1-6月", 1234.0)
    ]


# --- removing --------------------------------------------------------------------------------


def test_removing_a_report_asks_first(entry, db_path, steward):
    at = log_in(start(entry, "pages/reports.py", region="431124"))
    at.session_state["reports_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    (n_before,) = query(db_path, "SELECT count(*) FROM report")[0]
    button(at, "移除这份报告").click().run()
    assert "将从报告库移除" in texts(at)
    assert query(db_path, "SELECT count(*) FROM report") == [(n_before,)]
    at.text_input(key=next(t.key for t in at.text_input if t.key.endswith("_reason"))).input(
        "重复的旧版本"
    ).run()
    button(at, "确认移除").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert query(db_path, "SELECT count(*) FROM report") == [(n_before - 1,)]
    assert query(db_path, "SELECT author, reason FROM report_removal") == [("alice", "重复的旧版本")]


# --- the 待核查 queue -------------------------------------------------------------------------

# 益阳市 2019 职工医保 参保人数 374158 人: the report names no year in its title (年份由正文推断)
WAITING = ("430900", "employee", 2019, "insured", 374158.0)


def _cards(at: AppTest) -> dict[str, str]:
    """Card label (without its （推算）/（预计） mark) → value."""
    return {m.label.split("（")[0]: m.value for m in at.metric}


def _overview(entry, region: str, fund: str, year: int) -> AppTest | None:
    """The overview of one region, fund and year; None when the year has no figure to show."""
    at = start(entry, "pages/overview.py", region=region, fund=fund)
    years = [b for b in at.selectbox if b.key == "overview_year"]
    if not years or f"{year}年" not in years[0].options:
        return None
    at.selectbox(key="overview_year").set_value(year).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_figure_to_review_stays_out_of_the_cards_until_a_steward_confirms_it(entry, db_path, steward):
    region, fund, year, metric, value = WAITING
    ((fact_id, confidence),) = query(
        db_path,
        "SELECT fact_id, confidence FROM fund_facts WHERE region_code = ? AND fund = ? AND year = ? "
        "AND metric = ? AND item = 'total' AND value = ?",
        region,
        fund,
        year,
        metric,
        value,
    )
    assert confidence == "review"
    # 2019 has no other 职工医保 figure: the year is not offered while its one figure waits
    assert _overview(entry, region, fund, year) is None
    at = start(entry, "pages/overview.py", region=region, fund=fund)
    assert "待核查" in texts(at)  # the page says figures wait, with the way to the queue

    # the steward clears the queue of that view, one click a figure
    at = log_in(start(entry, "pages/corrections.py", region=region, fund=fund, **{"from": year, "to": year}))
    queue = next(d for d in at.dataframe if "待核查原因" in d.value.columns).value
    assert "年份由正文推断" in " ".join(queue["待核查原因"])
    for _ in range(len(queue)):
        button(at, "确认").click().run()
        assert not at.exception, [e.message for e in at.exception]
    assert query(db_path, "SELECT confidence FROM fund_facts WHERE fact_id = ?", fact_id) == [("high",)]
    assert query(db_path, "SELECT action, author, reason FROM correction WHERE fact_id = ?", fact_id) == [
        ("confirm", "alice", "核对原文无误")
    ]
    assert "所选范围内没有待核查的数据" in texts(at)

    at = _overview(entry, region, fund, year)
    assert _cards(at).get("参保人数") == "37.42 万人", _cards(at)

    # a re-ingest reads the figure again as review; the confirmation stays in force
    done = run_cli("ingest", "-q", "--db", str(db_path), *map(str, SEEDS))
    assert done.returncode == 0, done.stderr
    assert query(db_path, "SELECT confidence FROM fund_facts WHERE fact_id = ?", fact_id) == [("high",)]
    assert _cards(_overview(entry, region, fund, year)).get("参保人数") == "37.42 万人"


def test_a_viewer_sees_the_queue_but_no_buttons(entry, db_path, steward):
    at = start(entry, "pages/corrections.py", region=WAITING[0])
    assert any("待核查原因" in d.value.columns for d in at.dataframe)
    assert not [b for b in at.button if b.label in ("确认", "驳回")]
    assert "校核人登录后可确认、更正或驳回" in texts(at)


def test_a_viewer_sees_no_server_path_or_command_line(entry, db_path, users):
    at = start(entry, "pages/upload.py")
    shown = texts(at)
    assert "请联系系统管理员" in shown
    assert "python" not in shown and "users.json" not in shown and "/" not in shown.split("请联系")[0][-40:]
