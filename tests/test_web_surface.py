"""The web surface under hostile input (AppTest): user-supplied strings never become markdown, the
login backs off, and the upload page survives revoked sessions and odd names, keeping only what
was imported."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb
import pytest
from conftest import STEWARD, STEWARD_PASSWORD, run_cli, start_app
from streamlit.testing.v1 import AppTest

from dashboard.core import stewardship
from dashboard.web import ui
from pipelines import readers

HOSTILE_NAME = "![p](https:HOST).txt"
HOSTILE_TEXT = "![q](https:QUOTEHOST)<img src=https://IMGHOST/x.png>"  # in the report's text
REPORT = (
    "道县医疗保障局2025年医保基金运行情况\n"
    "截至2025年底，全县城乡居民基本医疗保险参保人数为61.2万人。\n"
    "{prefix}2025年城乡居民医保基金收入6.02亿元，基金支出5.71亿元，当期结余1亿元，累计结余4.3亿元。\n"
)


@pytest.fixture
def surface_app(entry, steward, monkeypatch):
    """start(page, **params): the app on MEDFUND_DB (set by the test's database fixture), run once."""

    return functools.partial(start_app, entry)


@pytest.fixture
def hostile_db(db_path, tmp_path) -> tuple[Path, str]:
    """The seeds plus a 道县 2025 report whose file name is a markdown image (and its text holds
    markdown and HTML images); with the id of its income figure."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / HOSTILE_NAME).write_text(REPORT.format(prefix=HOSTILE_TEXT), encoding="utf-8")
    assert run_cli("ingest", "--db", str(db_path), str(folder)).returncode == 0
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        [(fact_id,)] = con.execute(
            "SELECT fact_id FROM fund_facts f JOIN report r USING (doc_id) "
            "WHERE r.file_name = ? AND f.metric = 'income'",
            [HOSTILE_NAME],
        ).fetchall()
    finally:
        con.close()
    return db_path, fact_id


def log_in(at: AppTest, password: str = STEWARD_PASSWORD) -> AppTest:
    at.text_input(key="login_name_sidebar").input(STEWARD)
    at.text_input(key="login_password_sidebar").input(password)
    next(b for b in at.button if b.label == "登录" and "login_sidebar" in b.form_id).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def bodies(at: AppTest) -> list[str]:
    """Every string the browser renders as markdown: texts, alerts, headings, labels, toasts."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "error", "warning", "success")
    out = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    out += [str(t.proto.body) for t in at.toast]
    out += [e.label for e in at.expander] + [m.label for m in at.metric] + [t.label for t in at.tabs]
    return out


def live_markdown(body: str) -> list[str]:
    """The markdown constructs that would fetch or link something, once escapes are set aside."""
    bare = re.sub(r"\\.", "", body)
    return re.findall(r"!\[|\]\(|\]\[|<[A-Za-z/!]|https?:|www\.", bare)


def assert_plain(at: AppTest, *shown: str) -> None:
    """Nothing on the page is a live image or link, and each of `shown` appears (escaped)."""
    assert not at.exception, [e.message for e in at.exception]
    rendered = bodies(at)
    assert not at.get("imgs") and not at.get("image")
    for body in rendered:
        assert not live_markdown(body), body
    for text in shown:
        assert any(ui.plain(text) in body for body in rendered), (text, rendered)
    for html in at.get("html"):  # the report's text, quotes: escaped HTML
        assert "<img" not in html.proto.body and "<a " not in html.proto.body


def upload_files(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader[0].set_value([(name, data, "text/plain") for name, data in files]).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def db_names(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name for (name,) in con.execute("SELECT file_name FROM report").fetchall()}
    finally:
        con.close()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- user-supplied strings are plain text ---------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        HOSTILE_NAME,
        "[x](javascript:alert(1))",
        "<img src=https://HOST/x.png>",
        "**粗体** _斜体_ `代码` $x^2$ :red[红] :material/home: ~~删~~",
        "# 标题\n- 列表\n1. 编号",
        "www.HOST.com a@HOST.com https://HOST",
        "\\![p](https:HOST)",
    ],
)
def test_plain_leaves_no_markdown(hostile):
    escaped = ui.plain(hostile)
    assert not live_markdown(escaped)
    # every character is still there, in order: the escapes only add backslashes
    assert re.sub(r"\\(.)", r"\1", escaped) == hostile
    for special in "*_`$[<#":
        assert special not in re.sub(r"\\.", "", escaped)
    assert not re.search(r"(?m)^\s*(?:[-=]|\d+\.)", re.sub(r"\\.", "", escaped))


def test_hostile_file_name_stays_plain_in_the_report_library_and_removal(surface_app, hostile_db):
    db_path, _ = hostile_db
    at = log_in(surface_app("pages/reports.py", region="431124"))
    names = list(at.dataframe[0].value["文件"])
    at.session_state["reports_table"] = {
        "selection": {"rows": [names.index(HOSTILE_NAME)], "columns": [], "cells": []}
    }
    at.run()
    assert_plain(at, HOSTILE_NAME)
    button(at, "移除这份报告").click().run()
    assert "将从报告库移除" in "\n".join(bodies(at))
    assert_plain(at, HOSTILE_NAME)
    at.text_input(key=next(t.key for t in at.text_input if t.key.endswith("_reason"))).input("测试移除").run()
    button(at, "确认移除").click().run()
    assert_plain(at, HOSTILE_NAME)  # the confirmation names it too
    assert HOSTILE_NAME not in db_names(db_path)


def test_hostile_quote_in_facts_and_overview_alerts(surface_app, hostile_db):
    _, fact_id = hostile_db
    at = surface_app("pages/facts.py", region="431124", fact=fact_id)
    assert_plain(at, HOSTILE_NAME)
    at = surface_app("pages/overview.py", region="431124", **{"from": "2025", "to": "2025"})
    expanders = [e.label for e in at.expander]
    assert any("不符" in label for label in expanders), expanders  # the balance check's alert
    assert_plain(at, HOSTILE_NAME)


def test_hostile_names_on_the_upload_page(surface_app, db_path):
    at = log_in(surface_app("pages/upload.py"))
    upload_files(
        at,
        [
            (HOSTILE_NAME, REPORT.format(prefix=HOSTILE_TEXT).encode()),
            ("![e](https:ERRHOST).txt", b""),
            ("[x](https:DUPHOST).txt", REPORT.format(prefix=HOSTILE_TEXT).encode()),
        ],
    )
    assert_plain(at, HOSTILE_NAME, "![e](https:ERRHOST).txt", "[x](https:DUPHOST).txt")


# --- login throttling in the page -----------------------------------------------------------


def test_the_login_form_backs_off_and_says_how_long(surface_app, db_path):
    at = surface_app()
    for _ in range(5):
        log_in(at, password="wrong-password")
    log_in(at)  # the right password, during the back-off
    shown = "\n".join(bodies(at))
    assert re.search(r"请在 \d+ 秒后再试", shown), shown
    assert "已登录" not in shown
    other = log_in(surface_app())  # another browser, another account state: alice is backing off
    assert "秒后再试" in "\n".join(bodies(other))


# --- the upload page ------------------------------------------------------------------------


def test_the_upload_page_states_the_readers_size_limit(surface_app, db_path):
    at = log_in(surface_app("pages/upload.py"))
    limit_mb = readers.MAX_BYTES_DEFAULT // (1024 * 1024)
    shown = "\n".join(bodies(at))
    assert f"{limit_mb} MB" in shown
    assert len(set(re.findall(r"(\d+) MB", shown))) == 1  # one limit, not two
    assert at.file_uploader[0].proto.max_upload_size_mb == limit_mb


def test_a_revoked_session_gets_a_calm_message(surface_app, db_path, steward):
    at = log_in(surface_app("pages/upload.py"))
    assert at.file_uploader
    steward.write_text('{"users": []}', encoding="utf-8")  # the account is removed meanwhile
    at.file_uploader[0].set_value([("道县.txt", REPORT.format(prefix="").encode(), "text/plain")]).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = "\n".join(bodies(at))
    assert "不再有编辑权限" in shown and "重新登录" in shown
    assert not at.get("file_uploader")
    assert "已登录" not in shown
    assert not files_under(db_path.parent / stewardship.UPLOADS_DIR)
    assert not files_under(db_path.parent / stewardship.STAGING_DIR)  # nothing staged for a refused editor


def test_long_chinese_names_are_kept_with_their_extension(surface_app, db_path):
    ninety = "湖南省永州市道县医疗保障局关于二〇二五年度城乡居民基本医疗保险基金运行情况的分析报告" * 2
    ninety = (ninety * 2)[:90] + ".txt"
    very_long = "道县医保基金运行情况" * 13 + ".txt"  # 134 characters
    at = log_in(surface_app("pages/upload.py"))
    upload_files(
        at,
        [
            (ninety, REPORT.format(prefix="").encode()),
            (very_long, REPORT.format(prefix="全县").encode()),
        ],
    )
    assert not at.error, [e.value for e in at.error]
    button(at, "确认导入 2").click().run()
    assert not at.exception, [e.message for e in at.exception]
    names = db_names(db_path)
    assert ninety in names  # the whole name, though too long for the file system
    [cut] = [n for n in names if n.startswith("道县医保基金运行情况道县")]
    assert cut.endswith(".txt") and len(cut) <= 120 and cut.startswith(very_long[:100])
    stored = files_under(db_path.parent / stewardship.UPLOADS_DIR)
    assert len(stored) == 2 and all(p.suffix == ".txt" and len(p.name.encode()) <= 255 for p in stored)


def test_only_imported_files_are_kept(surface_app, db_path):
    uploads = db_path.parent / stewardship.UPLOADS_DIR
    staging = db_path.parent / stewardship.STAGING_DIR
    at = log_in(surface_app("pages/upload.py"))
    # abandoned: uploaded, previewed, then taken out of the list
    upload_files(at, [("放弃的.txt", REPORT.format(prefix="本年").encode())])
    assert files_under(staging)
    upload_files(at, [])
    assert not files_under(staging) and not files_under(uploads)
    # rejected beside good: only the good one is kept, and only once confirmed
    upload_files(
        at,
        [
            ("坏文件.docx", b"PK\x03\x04 not really a docx"),
            ("空文件.txt", b""),
            ("道县2025.txt", REPORT.format(prefix="").encode()),
        ],
    )
    assert not files_under(uploads)
    button(at, "确认导入 1").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert [p.name for p in files_under(uploads)] == ["道县2025.txt"]
    assert not files_under(staging)
