"""A report's public address (documents.source_url): read at ingest from the file's sidecar
(pipelines/sidecar.py, the corpus's format), NULL for a file without one, the same after a
re-ingest; shown in 报告库, in a chart's sources, on the deck's sources slides and in the workbook."""

from __future__ import annotations

import io
import shutil
from functools import partial
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import SEEDS, run_cli, start_app
from pptx import Presentation

from dashboard.core import briefing, database, export
from dashboard.core.deck import DeckRequest, deck_bytes
from dashboard.core.scope import Filters
from dashboard.web import ui
from pipelines import sidecar
from pipelines.ingest import expand_paths

URL = "https://www.daoxian.gov.cn/art/2025/3/1/art_123_456789.html"
SOURCED = "002_2958b8ff77e9055f.txt"  # 道县 2024: its vouched figures reach the charts
DAOXIAN = "431124"
SIDECAR = f"""source_url: {URL}
retrieved: 2026-12-03
title: "道县医保局2024年部门整体支出绩效评价报告"
region: 道县
region_code: "431124"
level: county
genre: performance
years: [2023, 2024]
script: simplified
notes: "a test's sidecar"
"""


def _addresses(db: Path) -> dict[str, str | None]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT file_name, source_url FROM documents").fetchall())
    finally:
        con.close()


def _report_rows(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM report ORDER BY doc_id").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The five seeds, one of them with a sidecar beside it."""
    folder = tmp_path_factory.mktemp("sourced") / "reports"
    folder.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, folder / seed.name)
    (folder / SOURCED).with_suffix(".yaml").write_text(SIDECAR, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def sourced_db(folder, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("sourced_db") / "medfund.duckdb"
    result = run_cli("ingest", "--db", str(db), str(folder))
    assert result.returncode == 0, result.stderr
    assert "跳过" not in result.stderr  # the sidecar is passed over, not reported as a bad file
    return db


def test_the_address_is_read_from_the_sidecar_and_a_file_without_one_has_none(sourced_db):
    addresses = _addresses(sourced_db)
    assert addresses == {seed.name: (URL if seed.name == SOURCED else None) for seed in SEEDS}


def test_a_folders_sidecars_are_not_reports(folder):
    files, skipped = expand_paths([folder])
    assert sorted(p.name for p in files) == sorted(p.name for p in SEEDS)
    assert skipped == []
    # a lone .yaml (no report beside it) is still named as a file that is not a report
    lone = folder.parent / "lone"
    lone.mkdir()
    (lone / "notes.yaml").write_text("source_url: https://example.org/\n", encoding="utf-8")
    assert [s.name for s in expand_paths([lone])[1]] == ["notes.yaml"]


def test_reingesting_leaves_the_same_rows(folder, sourced_db, tmp_path):
    db = tmp_path / "again.duckdb"
    shutil.copy(sourced_db, db)
    before = _report_rows(db)
    again = run_cli("ingest", "-q", "--db", str(db), str(folder))
    assert again.returncode == 0, again.stderr
    assert _report_rows(db) == before
    assert _addresses(db)[SOURCED] == URL


def test_the_address_follows_the_sidecar_at_each_ingest(tmp_path):
    """The sidecar is read at every ingest: an address changed there is the report's next time,
    and a report whose sidecar is gone has none."""
    report = tmp_path / SOURCED
    shutil.copy(SEEDS[2], report)
    side = sidecar.sidecar_of(report)
    db = tmp_path / "x.duckdb"
    side.write_text(SIDECAR.replace(URL, URL + "?v=2"), encoding="utf-8")
    assert run_cli("ingest", "-q", "--db", str(db), str(report)).returncode == 0
    assert _addresses(db) == {SOURCED: URL + "?v=2"}
    side.unlink()
    assert run_cli("ingest", "-q", "--db", str(db), str(report)).returncode == 0
    assert _addresses(db) == {SOURCED: None}


@pytest.mark.parametrize(
    "content",
    [
        "source_url: javascript:alert(1)\n",
        "source_url: 'https://exa mple.org/a'\n",
        "source_url: ftp://example.org/a\n",
        "source_url: [https://example.org/]\n",
        "- https://example.org/\n",
        "source_url: 'https://example.org/\n  more'\n",
        "source_url: https://example.org/: [\n",  # not YAML
        "title: 无地址\n",
        "",
    ],
)
def test_a_sidecar_without_a_web_address_gives_none(tmp_path, content):
    report = tmp_path / "r.txt"
    report.write_text("某县医保局2024年报告", encoding="utf-8")
    sidecar.sidecar_of(report).write_text(content, encoding="utf-8")
    assert sidecar.source_url(report) is None


def test_an_oversized_or_undecodable_sidecar_gives_none(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text("某县医保局2024年报告", encoding="utf-8")
    side = sidecar.sidecar_of(report)
    side.write_text(f"source_url: {URL}\nnotes: '{'x' * sidecar.MAX_BYTES}'\n", encoding="utf-8")
    assert sidecar.source_url(report) is None
    side.write_bytes(b"source_url: \xff\xfe https://example.org/\n")
    assert sidecar.source_url(report) is None
    side.write_text(f"source_url: {URL}\n", encoding="utf-8")
    assert sidecar.source_url(report) == URL


# --- shown ----------------------------------------------------------------------------------


@pytest.fixture
def sourced_app(entry, sourced_db, tmp_path, monkeypatch):
    db = tmp_path / "medfund.duckdb"
    shutil.copy(sourced_db, db)
    monkeypatch.setenv("MEDFUND_DB", str(db))
    return partial(start_app, entry)


def test_the_library_links_each_report_to_its_address(sourced_app):
    at = sourced_app("pages/reports.py", region=DAOXIAN)
    (table,) = [d.value for d in at.dataframe if "来源网址" in d.value.columns]
    by_file = dict(zip(table["文件"], table["来源网址"], strict=True))
    assert by_file[SOURCED] == URL


def test_a_selected_report_opens_its_address_and_shows_it_as_plain_text(sourced_app):
    at = sourced_app("pages/reports.py", region=[DAOXIAN, "430903"])  # 道县 and 赫山区 (000, no sidecar)
    files = list(next(d.value for d in at.dataframe if "文件" in d.value.columns)["文件"])
    for name, url in ((SOURCED, URL), (SEEDS[0].name, None)):
        at.session_state["reports_table"] = {
            "selection": {"rows": [files.index(name)], "columns": [], "cells": []}
        }
        at.run()
        buttons = [b for b in at.get("link_button") if b.proto.label == "打开原网页"]
        captions = [c.value for c in at.caption if c.value.startswith("来源网址")]
        if url is None:  # a report without a sidecar: no link, no address
            assert buttons == [] and captions == []
        else:
            assert [b.proto.url for b in buttons] == [url]
            assert captions == ["来源网址：" + ui.plain(URL)]  # the address as text, never markdown


def test_a_charts_sources_name_the_reports_address(sourced_app):
    at = sourced_app("pages/trends.py", region=DAOXIAN, fund="resident")
    expander = next(e for e in at.expander if e.label.startswith("数据来源"))
    (table,) = [d.value for d in expander.dataframe]
    assert not table.empty
    assert set(table["来源网址"]) == {URL}  # every figure of 道县 here comes from the sourced report


@pytest.fixture(scope="module")
def sourced_con(sourced_db, tmp_path_factory):
    """The sourced seeds with every waiting figure confirmed, as decks and workbooks use them."""
    from pipelines import corrections, store

    db = tmp_path_factory.mktemp("sourced_vouched") / "medfund.duckdb"
    shutil.copy(sourced_db, db)
    writer = store.connect(db)
    try:
        for (fact_id,) in writer.execute(
            "SELECT fact_id FROM fund_facts WHERE confidence = 'review'"
        ).fetchall():
            corrections.confirm(writer, fact_id, "核对原文无误", "测试校核人")
    finally:
        writer.close()
    connection = database.open_database(str(db))
    yield connection
    connection.close()


def test_the_decks_sources_slide_gives_the_title_and_the_address_as_a_link(sourced_con):
    prs = Presentation(io.BytesIO(deck_bytes(sourced_con, DeckRequest(regions=(DAOXIAN,)))))
    cells = [
        cell
        for slide in prs.slides
        if slide.shapes.title.text_frame.text.startswith("数据来源")
        for shape in slide.shapes
        if shape.has_table
        for row in list(shape.table.rows)[1:]
        for cell in list(row.cells)[:1]
    ]
    texts = [c.text_frame.text for c in cells]
    assert any(
        t.startswith("道县 2024年 · 道县医保局2024年部门整体支出绩效") and t.endswith(URL) for t in texts
    ), texts
    links = [r.hyperlink.address for c in cells for p in c.text_frame.paragraphs for r in p.runs]
    assert URL in links


def test_the_workbook_gives_each_facts_report_title_and_address(sourced_con):
    scope = Filters(
        regions=(DAOXIAN,), funds=("employee", "resident"), first_year=2016, last_year=2024, basis="actual"
    )
    view = briefing.current_view(scope, partial(database.run_query, sourced_con))
    ws = openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(view)))["数据明细"]
    rows = list(ws.iter_rows())
    headers = [c.value for c in rows[0]]
    assert headers[headers.index("原文") + 1 : headers.index("原文") + 4] == ["报告", "报告文件", "来源网址"]
    records = [dict(zip(headers, row, strict=True)) for row in rows[1:]]
    sourced = [r for r in records if r["报告文件"].value == SOURCED]
    assert sourced and len(sourced) == len(records)
    for r in sourced:
        assert r["报告"].value.startswith("道县 2024年 · ")
        assert r["来源网址"].value == URL
        assert r["来源网址"].hyperlink is not None and r["来源网址"].hyperlink.target == URL
