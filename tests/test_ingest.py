"""Loading files into the database: idempotent, all-or-nothing, clear errors for bad input."""

from __future__ import annotations

import duckdb
import pytest
from conftest import REPORTS, SEEDS, run_cli, run_process
from fixture_files import (
    make_docx,
    make_image_pdf,
    make_text_pdf,
    make_truncated_docx,
    write_random_bytes,
    write_text,
)

from pipelines import store
from pipelines.ingest import ingest

TABLES = ("report", "fact", "rejections", "checks", "dropped")
PASSAGE = (
    "2023年荆州市医疗保障事业发展统计公报\n"
    "一、基本医疗保险\n"
    "2023年末，全市基本医疗保险参保人数达到541.26万人，比上年末增加3.18万人。\n"
    "城乡居民基本医疗保险基金收入46.03亿元，基金支出44.86亿元，当期结余1.17亿元，累计结存22.51亿元。\n"
)


def snapshot(db) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def test_ingesting_twice_leaves_identical_tables(tmp_path):
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", "--db", str(db), *map(str, SEEDS)).returncode == 0
    first = snapshot(db)
    again = run_cli("ingest", "--db", str(db), *map(str, SEEDS))
    assert again.returncode == 0
    assert "已替换" in again.stdout
    assert snapshot(db) == first
    assert len(first["report"]) == 5 and len(first["fact"]) > 150


def test_a_failing_file_leaves_nothing_and_others_load(tmp_path, report_copy):
    write_text(report_copy / "empty.txt", "", "utf-8")
    make_truncated_docx(report_copy / "broken.docx")
    db = tmp_path / "x.duckdb"
    result = run_cli("ingest", "--db", str(db), str(report_copy))
    assert result.returncode == 1
    assert "empty.txt" in result.stderr and "broken.docx" in result.stderr
    names = {r[1] for r in snapshot(db)["report"]}
    assert names == {p.name for p in SEEDS}


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.txt", lambda p: write_text(p, "", "utf-8"), "空"),
        ("junk.txt", lambda p: write_random_bytes(p, 4096), "文本"),
        ("cut.docx", make_truncated_docx, "docx"),
        ("scan.pdf", make_image_pdf, "文字层"),
        ("table.xls", lambda p: p.write_bytes(b"not really"), "不支持"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(tmp_path, name, make, reason):
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", "--db", str(db), str(REPORTS / "002_2958b8ff77e9055f.txt")).returncode == 0
    before = snapshot(db)
    bad = tmp_path / name
    make(bad)
    result = run_cli("ingest", "--db", str(db), str(bad))
    assert result.returncode == 1
    assert name in result.stderr and reason in result.stderr, result.stderr
    assert snapshot(db) == before


def test_a_50_mb_text_file_is_refused_quickly(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.write(("医保基金收入12.3亿元。" * 10).encode() * 180_000)
    assert big.stat().st_size > 50_000_000
    db = tmp_path / "x.duckdb"
    result = run_cli("ingest", "--db", str(db), str(big))
    assert result.returncode == 1
    assert "big.txt" in result.stderr and "MB" in result.stderr
    assert snapshot(db)["report"] == []


def test_usage_error_exits_2(tmp_path):
    assert run_cli("ingest").returncode == 2
    assert run_cli("frobnicate", "--db", str(tmp_path / "x.duckdb")).returncode == 2


def test_the_process_exit_status(tmp_path):
    """`python -m pipelines` as a real process: 2 for a usage error, 1 when a file failed (the
    other tests call pipelines.cli.main in-process)."""
    usage = run_process("pipelines", "ingest")
    assert usage.returncode == 2 and "--db" in usage.stderr
    bad = write_random_bytes(tmp_path / "bad.txt")
    db = tmp_path / "x.duckdb"
    failed = run_process("pipelines", "ingest", "--db", str(db), str(bad))
    assert failed.returncode == 1 and "bad.txt" in failed.stderr


def test_a_report_without_figures_loads_with_a_warning(tmp_path):
    note = tmp_path / "note.txt"
    write_text(
        note, "益阳市医疗保障局关于开展医保政策宣传月活动的通知\n各县市区医保局：请认真组织宣传。", "utf-8"
    )
    result = run_cli("ingest", "--db", str(tmp_path / "x.duckdb"), str(note))
    assert result.returncode == 0
    assert "未识别出任何医保基金数据" in result.stdout
    assert len(snapshot(tmp_path / "x.duckdb")["report"]) == 1


def test_one_document_the_database_refuses_fails_alone(tmp_path, monkeypatch):
    """A batch that fails to write is retried per document: only the document at fault fails."""
    bad = (REPORTS / "003_a15d490633ad3696.txt").read_bytes()
    import hashlib

    bad_id = hashlib.sha256(bad).hexdigest()
    real = store._insert_frame

    def fail_for_one(con, table, frame):
        if table == "fact" and bad_id in frame["doc_id"].to_list():
            raise ValueError("simulated failure for one document")
        return real(con, table, frame)

    monkeypatch.setattr(store, "_insert_frame", fail_for_one)
    con = store.connect(tmp_path / "x.duckdb")
    outcomes = ingest(con, sorted(REPORTS.glob("*.txt")), batch_size=10)
    con.close()
    assert [o.path.name[:3] for o in outcomes if not o.ok] == ["003"]
    assert "回滚" in next(o.error for o in outcomes if not o.ok)
    names = {r[1] for r in snapshot(tmp_path / "x.duckdb")["report"]}
    assert names == {p.name for p in REPORTS.glob("*.txt")} - {"003_a15d490633ad3696.txt"}


def test_batches_and_repeated_files_give_the_same_tables(tmp_path):
    files = sorted(REPORTS.glob("*.txt"))
    con = store.connect(tmp_path / "one.duckdb")
    ingest(con, files)
    con.close()
    con = store.connect(tmp_path / "many.duckdb")
    outcomes = ingest(con, [*files, files[0], files[3]], batch_size=2)  # small batches, a file twice
    con.close()
    assert all(o.ok for o in outcomes) and [o.replaced for o in outcomes][-2:] == [True, True]

    def content(db):  # all but the ingest time
        snap = snapshot(db)
        snap["report"] = [row[:-4] + row[-3:] for row in snap["report"]]  # ingested_at (title, url, standing)
        return snap

    assert content(tmp_path / "one.duckdb") == content(tmp_path / "many.duckdb")


def test_unusable_database_or_no_files_is_a_usage_error(tmp_path):
    folder = tmp_path / "adir"
    folder.mkdir()
    result = run_cli("ingest", "--db", str(folder), str(REPORTS / "000_1745bc2bbbdaa61a.txt"))
    assert result.returncode == 2 and "数据库" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("ingest", "--db", str(tmp_path / "x.duckdb"), str(empty)).returncode == 2


def test_figures_of_a_report_without_a_year_are_set_aside_with_the_reason(tmp_path):
    news = tmp_path / "news.txt"
    write_text(
        news, "上半年我市医保基金运行平稳\n全市基本医疗保险基金总收入68.42亿元，总支出52.17亿元。", "utf-8"
    )
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", "--db", str(db), str(news)).returncode == 0
    snap = snapshot(db)
    assert snap["fact"] == []
    assert len(snap["rejections"]) == 2 and all("年度" in r[2] for r in snap["rejections"])


def test_a_database_error_rolls_the_document_back(tmp_path, monkeypatch):
    db = tmp_path / "x.duckdb"
    con = store.connect(db)
    ingest(con, [REPORTS / "000_1745bc2bbbdaa61a.txt"])
    con.close()
    before = snapshot(db)

    def fail(con, table, frame):
        if table == "checks":
            raise duckdb.Error("disk full (simulated)")
        return real(con, table, frame)

    real = store._insert_frame
    monkeypatch.setattr(store, "_insert_frame", fail)
    con = store.connect(db)
    outcomes = ingest(con, [REPORTS / "004_53bbde0474885cbd.txt", REPORTS / "000_1745bc2bbbdaa61a.txt"])
    con.close()
    assert [o.ok for o in outcomes] == [False, False]
    assert "回滚" in outcomes[0].error
    assert snapshot(db) == before  # neither the new nor the replaced document was half-written


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings_give_the_same_facts(tmp_path, encoding):
    path = tmp_path / f"bulletin-{encoding}.txt"
    write_text(path, PASSAGE, encoding)
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", "--db", str(db), str(path)).returncode == 0
    facts = snapshot(db)["fact"]
    values = sorted(round(r[10]) for r in facts)
    assert values == sorted([5412600, 5380800, 4603000000, 4486000000, 117000000, 2251000000])


def test_docx_pdf_and_html_reports(tmp_path):
    lines = PASSAGE.strip().split("\n")
    make_docx(tmp_path / "b.docx", lines)
    make_text_pdf(tmp_path / "c.pdf", lines)
    html = (
        "<html><head><title>x</title><script>var a=1;</script></head><body>"
        + "".join(f"<p>{line}</p>" for line in lines)
        + "</body></html>"
    )
    (tmp_path / "d.html").write_text(html, encoding="utf-8")
    db = tmp_path / "x.duckdb"
    files = [str(tmp_path / n) for n in ("b.docx", "c.pdf", "d.html")]
    result = run_cli("ingest", "--db", str(db), *files)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    per_doc = dict(
        con.execute(
            "SELECT d.reader, count(f.fact_id) FROM documents d LEFT JOIN fund_facts f USING (doc_id) GROUP BY 1"
        ).fetchall()
    )
    quotes_ok = con.execute(
        "SELECT bool_and(contains(d.text, f.quote)) FROM fund_facts f JOIN documents d USING (doc_id)"
    ).fetchone()[0]
    con.close()
    assert per_doc == {"docx": 6, "pdf": 6, "html": 6}
    assert quotes_ok


def test_docx_tables_are_read_as_rows(tmp_path):
    from fixture_files import DocxTable

    table = DocxTable(
        rows=[
            ["项目", "职工基本医疗保险", "城乡居民基本医疗保险"],
            ["基金收入", "628,415.37", "352,106.84"],
            ["基金支出", "541,027.62", "347,918.25"],
        ],
        position=2,
    )
    make_docx(tmp_path / "t.docx", ["2023年芜湖市基本医疗保险基金收支决算表", "单位：万元"], tables=[table])
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", "--db", str(db), str(tmp_path / "t.docx")).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT fund, metric, value FROM fund_facts ORDER BY fund, metric").fetchall()
    con.close()
    assert rows == [
        ("employee", "expenditure", 5410276200.0),
        ("employee", "income", 6284153700.0),
        ("resident", "expenditure", 3479182500.0),
        ("resident", "income", 3521068400.0),
    ]


def test_figures_about_a_named_sub_region_belong_to_it(tmp_path):
    bulletin = tmp_path / "anhui.txt"
    write_text(
        bulletin,
        "安徽省医疗保障局关于2021年度全省城乡居民基本医疗保险基金运行情况的通报\n"
        "2021年，全省城乡居民医保基金收入535.62亿元，支出541.38亿元。"
        "其中阜阳市基金收入72.85亿元、支出76.31亿元，当期缺口3.46亿元；宿州市当期结余-1.92亿元。\n",
        "utf-8",
    )
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", "--db", str(db), str(bulletin)).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT region_name, metric, value FROM fund_facts ORDER BY quote_start").fetchall()
    con.close()
    checks = snapshot(db)["checks"]
    assert not [c for c in checks if c[2] in ("duplicate_key_conflict", "balance_identity")], checks
    assert rows == [
        ("安徽省", "income", 53562000000.0),
        ("安徽省", "expenditure", 54138000000.0),
        ("阜阳市", "income", 7285000000.0),
        ("阜阳市", "expenditure", 7631000000.0),
        ("阜阳市", "balance", -346000000.0),
        ("宿州市", "balance", -192000000.0),
    ]


def test_level_words_bring_a_figure_back_to_the_covered_region(tmp_path):
    report = tmp_path / "city.txt"
    write_text(
        report,
        "益阳市医疗保障局2020年工作总结\n在赫山区召开现场会后，全市城乡居民医保基金收入30.5亿元，支出28.1亿元。\n",
        "utf-8",
    )
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", "--db", str(db), str(report)).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    regions = {r[0] for r in con.execute("SELECT region_name FROM fund_facts").fetchall()}
    con.close()
    assert regions == {"益阳市"}


def test_a_figure_stated_twice_is_one_figure_and_the_repeat_is_set_aside(tmp_path):
    paragraph = "2019年宁县新农合住院92019人次305779600元；城镇居民住院2467人次7940000元。\n"
    report = tmp_path / "repeat.txt"
    report.write_text(
        "宁县2019年城乡居民医保基金运行情况\n" + paragraph + "附：\n" + paragraph, encoding="utf-8"
    )
    con = store.connect(tmp_path / "db.duckdb")
    ingest(con, [report])
    values = [
        r[0]
        for r in con.execute("SELECT value FROM fund_facts WHERE metric = 'visits' ORDER BY 1").fetchall()
    ]
    assert values == [2467, 92019]
    repeats = con.execute(
        "SELECT quote FROM dropped WHERE reason LIKE '同一数字在报告中已出现过%'"
    ).fetchall()
    assert len(repeats) == 4  # two counts and two amounts, each once more
    # the first statements are the ones kept: every quote is in the first paragraph
    first = con.execute("SELECT max(quote_start) FROM fund_facts").fetchone()[0]
    assert first < len("宁县2019年城乡居民医保基金运行情况\n" + paragraph)
