"""Reviews applied as a steward's corrections (pipelines/reviews.py), on constructed reports with
their labels; the committed data/reports/public/reviews.csv against the corpus it is built from;
the corpus scoring still measuring the raw extractor."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import duckdb
import pytest
from conftest import REPORTS, ROOT, SEEDS

from pipelines import corpus, corrections, indicators, reviews, store
from pipelines.cli import main
from pipelines.evaluate import region_now
from pipelines.ingest import ingest, process_file
from pipelines.regions import RegionTable
from scripts import build_reviews, score_corpus

DAOXIAN = """道县医疗保障局工作动态

2023年，道县城乡居民基本医疗保险基金收入12345.67万元，基金支出11000.50万元。职工基本医疗保险参保人数32000人。\
全年城乡医疗救助支出560万元。我局本年度为群众报销医疗费用四千万元。永州市本年度为群众报销医疗费用九千万元。
"""
# no region the detector can tell: a steward sets 宁县 (621026)
UNKNOWN = """关于2023年度城乡居民医保基金运行情况的报告

2023年，全县城乡居民基本医疗保险基金收入5000万元，基金支出4800万元。
"""
SOURCE = "tests/corpus/batch99/gold.csv"


def label(
    file: str, doc_id: str, report_region: str, region: str, fund: str, metric: str, value, quote: str, **kw
):
    unit = {"insured": "person"}.get(metric, "yuan")
    return {
        "file": file,
        "doc_id": doc_id,
        "report_region_code": report_region,
        "region_code": region,
        "region_name": "",
        "region_level": "county",
        "year": kw.get("year", 2023),
        "fund": fund,
        "metric": metric,
        "item": kw.get("item", "total"),
        "basis": "actual",
        "period": "",
        "value": value,
        "unit": unit,
        "derived": kw.get("derived", "false"),
        "quote": quote,
        "source": SOURCE,
    }


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def library(tmp_path) -> tuple[Path, Path]:
    """A folder of two constructed reports with their reviews file, and a database holding them
    beside the five bundled reports (which no review lists)."""
    folder = tmp_path / "public"
    folder.mkdir()
    a, b = folder / "a_daoxian.txt", folder / "b_unknown.txt"
    a.write_text(DAOXIAN, encoding="utf-8")
    b.write_text(UNKNOWN, encoding="utf-8")
    da, db_ = sha(a), sha(b)
    rows = [
        # matched: confirmed
        label(
            a.name,
            da,
            "431124",
            "431124",
            "resident",
            "income",
            123456700,
            "城乡居民基本医疗保险基金收入12345.67万元",
        ),
        label(a.name, da, "431124", "431124", "resident", "expenditure", 110005000, "基金支出11000.50万元"),
        label(
            a.name,
            da,
            "431124",
            "431124",
            "assistance",
            "expenditure",
            5600000,
            "全年城乡医疗救助支出560万元",
        ),
        # (职工参保人数 32000 is not labelled: rejected)
        # missed by the extractor (医疗费用 is set aside): added
        label(
            a.name,
            da,
            "431124",
            "431124",
            "all",
            "expenditure",
            40000000,
            "我局本年度为群众报销医疗费用四千万元",
        ),
        # another region than the report's: counted, not applied
        label(
            a.name,
            da,
            "431124",
            "431100",
            "all",
            "expenditure",
            90000000,
            "永州市本年度为群众报销医疗费用九千万元",
        ),
        # a quote the text does not hold: counted, not applied
        label(a.name, da, "431124", "431124", "resident", "cumulative_balance", 80000000, "累计结余8000万元"),
        # a derived figure: counted, not applied
        label(
            a.name,
            da,
            "431124",
            "431124",
            "resident",
            "income",
            1,
            "基金支出11000.50万元",
            year=2022,
            derived="true",
        ),
        # the report whose region was not detected: only its income is labelled
        label(
            b.name,
            db_,
            "621026",
            "621026",
            "resident",
            "income",
            50000000,
            "全县城乡居民基本医疗保险基金收入5000万元",
        ),
    ]
    with (folder / reviews.FILE_NAME).open("w", encoding="utf-8", newline="") as f:
        reviews.write_to(f, rows)
    path = tmp_path / "medfund.duckdb"
    con = store.connect(path)
    try:
        assert all(o.ok for o in ingest(con, [*SEEDS, a, b], n_workers=1))
    finally:
        con.close()
    return path, folder / reviews.FILE_NAME


def rows(con, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def snapshot(con) -> dict[str, list[tuple]]:
    """Everything a review may write."""
    return {
        "correction": rows(con, "SELECT * EXCLUDE (created_at) FROM correction ORDER BY correction_id"),
        "override": rows(
            con, "SELECT doc_id, region_code, report_year, author FROM report_override ORDER BY doc_id"
        ),
        "report": rows(
            con, "SELECT doc_id, region_code, region_confidence, n_facts FROM report ORDER BY doc_id"
        ),
        "fact": rows(con, "SELECT * FROM fact ORDER BY fact_id"),
        "indicators": rows(con, "SELECT * FROM indicator_store ORDER BY ALL"),
    }


def test_a_review_confirms_rejects_adds_and_sets_the_region(library):
    path, file = library
    con = store.connect(path)
    try:
        seeds_before = rows(
            con, "SELECT * FROM fact WHERE doc_id IN (SELECT doc_id FROM report WHERE file_name LIKE '00%')"
        )
        summary = reviews.apply_file(con, file)
        assert not summary.failed
        assert summary.actions == {"region": 1, "confirm": 3, "reject": 2, "add": 1}
        assert summary.not_applied == {
            reviews.OTHER_REGION: 1,
            reviews.QUOTE_NOT_FOUND: 1,
            reviews.DERIVED: 1,
        }
        a, b = (sha(file.parent / n) for n in ("a_daoxian.txt", "b_unknown.txt"))
        # 道县: the labelled figures vouched (high), the unlabelled one gone, the missed one added
        facts = rows(
            con,
            "SELECT fund, metric, value, confidence, origin FROM fund_facts WHERE doc_id = ? ORDER BY quote_start",
            a,
        )
        assert facts == [
            ("resident", "income", 123456700.0, "high", "extracted"),
            ("resident", "expenditure", 110005000.0, "high", "extracted"),
            ("assistance", "expenditure", 5600000.0, "high", "extracted"),
            ("all", "expenditure", 40000000.0, "high", "added"),
        ]
        added = rows(con, "SELECT quote FROM fund_facts WHERE doc_id = ? AND origin = 'added'", a)[0][0]
        text = rows(con, "SELECT text FROM documents WHERE doc_id = ?", a)[0][0]
        assert added == "我局本年度为群众报销医疗费用四千万元" and added in text
        # the unknown report: 宁县 as a steward sets it (remembered for every later ingest), read again
        assert rows(con, "SELECT region_code, region_confidence FROM documents WHERE doc_id = ?", b) == [
            ("621026", "steward")
        ]
        assert rows(con, "SELECT region_code, author FROM report_override") == [("621026", reviews.AUTHOR)]
        # its high expenditure no label lists is rejected too; its income was high already
        assert rows(con, "SELECT metric, confidence FROM fund_facts WHERE doc_id = ?", b) == [
            ("income", "high")
        ]
        # every correction by 语料标注, with a Chinese reason naming the labels' source
        log = rows(con, "SELECT action, author, reason FROM correction_log ORDER BY action")
        assert {author for _, author, _ in log} == {reviews.AUTHOR}
        assert all(SOURCE in reason for _, _, reason in log)
        reasons = {action: reason for action, _, reason in log}
        assert reasons["confirm"].startswith("与人工标注一致")
        assert reasons["reject"].startswith("人工标注未列出这个数字")
        assert reasons["add"].startswith("提取遗漏")
        # the bundled reports (no review lists them) untouched, the stored indicators current
        seeds = rows(con, "SELECT doc_id FROM report WHERE file_name LIKE '00%'")
        assert len(seeds) == len(SEEDS)
        assert not rows(
            con,
            "SELECT * FROM correction WHERE doc_id IN (SELECT doc_id FROM report WHERE file_name LIKE '00%')",
        )
        assert (
            rows(
                con,
                "SELECT * FROM fact WHERE doc_id IN (SELECT doc_id FROM report WHERE file_name LIKE '00%')",
            )
            == seeds_before
        )
        assert indicators.differences(con) == {}
        # the vouched figures reach the indicators
        assert rows(
            con,
            "SELECT income FROM indicators WHERE region_code = '621026' AND fund = 'resident' AND year = 2023",
        ) == [(5e7,)]
    finally:
        con.close()


def test_a_second_application_changes_nothing(library):
    path, file = library
    con = store.connect(path)
    try:
        reviews.apply_file(con, file)
        before = snapshot(con)
        again = reviews.apply_file(con, file)
        assert sum(again.actions.values()) == 0 and not again.failed
        assert snapshot(con) == before
        # and a re-ingest (dev.sh run) keeps the region and the corrections: still nothing to do
        assert all(o.ok for o in ingest(con, sorted(file.parent.glob("*.txt")), n_workers=1))
        assert sum(reviews.apply_file(con, file).actions.values()) == 0
        assert snapshot(con)["correction"] == before["correction"]
    finally:
        con.close()


def test_a_figure_read_anew_that_repeats_a_reviewed_one_is_rejected_not_doubled(library):
    path, file = library
    con = store.connect(path)
    try:
        reviews.apply_file(con, file)
        vouched = "SELECT count(*) FROM fund_facts WHERE fund = 'resident' AND metric = 'income'"
        (before,) = con.execute(vouched).fetchone()
        # a later extractor reads the same figure again, earlier in the text than the reviewed one
        con.execute(
            "INSERT INTO fact BY NAME SELECT * REPLACE ('again-1' AS fact_id, 0 AS quote_start, "
            "quote_end - quote_start AS quote_end, 'review' AS confidence) FROM fact "
            "WHERE fund = 'resident' AND metric = 'income' AND value = 123456700"
        )
        summary = reviews.apply_file(con, file)
        assert summary.actions["reject"] == 1 and summary.actions["confirm"] == 0
        assert con.execute(vouched).fetchone() == (before,)  # one figure per label, as before
        assert rows(con, "SELECT count(*) FROM fund_facts WHERE fact_id = 'again-1'") == [(0,)]
    finally:
        con.close()


def test_a_figure_read_at_the_labels_quote_with_another_value_is_corrected(library):
    path, file = library
    text = file.read_text(encoding="utf-8").replace(",5600000,", ",5700000,")  # the label says 570万元
    file.write_text(text, encoding="utf-8")
    con = store.connect(path)
    try:
        summary = reviews.apply_file(con, file)
        assert summary.actions["correct"] == 1 and summary.actions["confirm"] == 2
        assert rows(
            con,
            "SELECT value, origin FROM fund_facts WHERE fund = 'assistance' AND quote LIKE '全年城乡医疗救助%'",
        ) == [(5700000.0, "corrected")]
        assert rows(con, "SELECT reason FROM correction WHERE action = 'correct'")[0][0].startswith(
            "数值读错"
        )
    finally:
        con.close()


def test_a_label_a_correction_refuses_is_counted_and_the_rest_of_its_report_applies(library):
    path, file = library
    text = file.read_text(encoding="utf-8").replace(",5600000,", ",-5600000,")  # no fund spends below 0
    file.write_text(text, encoding="utf-8")
    con = store.connect(path)
    try:
        summary = reviews.apply_file(con, file)
        assert summary.actions["correct"] == 0 and summary.actions["confirm"] == 2
        refused = {why: n for why, n in summary.not_applied.items() if "数据无效" in why or "范围" in why}
        assert sum(refused.values()) == 1, summary.not_applied
        assert summary.actions["region"] == 1 and summary.actions["reject"] >= 1  # the report went on
    finally:
        con.close()


def test_a_report_that_fails_is_left_as_it_was_and_the_others_apply(library, monkeypatch):
    path, file = library
    con = store.connect(path)
    try:
        before = snapshot(con)
        a = sha(file.parent / "a_daoxian.txt")
        real_add = corrections.add

        def failing_add(con_, doc_id, *args, **kwargs):  # after 道县's confirmations and rejection
            if doc_id == a:
                raise RuntimeError("磁盘已满")
            return real_add(con_, doc_id, *args, **kwargs)

        monkeypatch.setattr(corrections, "add", failing_add)
        summary = reviews.apply_file(con, file)
        assert [r.file for r in summary.failed] == ["a_daoxian.txt"]
        assert "磁盘已满" in summary.failed[0].error
        # nothing of 道县's review stays: no correction, its facts still waiting
        assert not rows(con, "SELECT * FROM correction WHERE doc_id = ?", a)
        assert rows(con, "SELECT DISTINCT confidence FROM fund_facts WHERE doc_id = ?", a) == [("review",)]
        # the other report applied whole
        b = sha(file.parent / "b_unknown.txt")
        assert rows(con, "SELECT action FROM correction WHERE doc_id = ?", b) == [("reject",)]
        assert snapshot(con)["override"] != before["override"]
        assert indicators.differences(con) == {}
    finally:
        con.close()


def test_a_failure_in_the_region_step_leaves_no_region_behind(library, monkeypatch):
    path, file = library
    con = store.connect(path)
    try:
        before = snapshot(con)

        def broken(*args, **kwargs):
            raise OSError("坏块")

        monkeypatch.setattr(store, "replace_documents", broken)
        summary = reviews.apply_file(con, file)
        assert [r.file for r in summary.failed] == ["b_unknown.txt"]  # 道县 needs no new reading
        b = sha(file.parent / "b_unknown.txt")
        assert not rows(con, "SELECT * FROM report_override")
        assert rows(con, "SELECT region_code FROM report WHERE doc_id = ?", b) == [(None,)]
        assert not rows(con, "SELECT * FROM correction WHERE doc_id = ?", b)
        assert snapshot(con)["fact"] == before["fact"]
    finally:
        con.close()


def test_the_command_line_applies_a_reviews_file(library, capsys):
    path, file = library
    assert main(["review", "--db", str(path), str(file), "-v"]) == 0
    out = capsys.readouterr().out
    assert "设定地区 1，确认 3，否决 2，更正 0，补录 1；未应用的标注 3" in out
    assert reviews.QUOTE_NOT_FOUND in out and "累计结余8000万元" in out
    assert main(["review", "--db", str(path.with_name("none.duckdb")), str(file)]) == 2
    assert main(["review", "--db", str(path), str(file.with_name("none.csv"))]) == 2
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT author) FROM correction").fetchone() == (1,)
    finally:
        con.close()


# --- the default data set's reviews -------------------------------------------------------------

PUBLIC = REPORTS / "public"


def test_the_committed_reviews_are_what_the_corpus_gives():
    """data/reports/public/reviews.csv never drifts from tests/corpus (rebuild: python -m scripts.build_reviews)."""
    committed = (PUBLIC / reviews.FILE_NAME).read_text(encoding="utf-8")
    assert committed == build_reviews.render(build_reviews.build())


def test_the_reviews_cover_the_labelled_public_texts_and_no_other():
    listed = {r.file: r for r in reviews.read(PUBLIC / reviews.FILE_NAME)}
    labelled = {g["file"]: batch for batch in corpus.batches(ROOT / "tests" / "corpus") for g in batch.gold}
    public = {p.name for p in PUBLIC.glob("*.txt")}
    assert set(listed) == public & set(labelled)
    assert len(listed) >= 280
    for name, review in listed.items():
        assert review.doc_id == sha(PUBLIC / name)  # the very text that was labelled
        assert (labelled[name].path / name).read_bytes() == (PUBLIC / name).read_bytes()
        # a renamed region under its current code (宁乡县 430124 → 宁乡市 430182), as reports are stored
        assert review.region_code == region_now(str(labelled[name].sidecars[name]["region_code"]))
        table = RegionTable.default()
        assert all(table.get(lb.region_code).successor_code is None for lb in review.labels)
        assert table.get(review.region_code).successor_code is None
        gold = [g for g in labelled[name].gold if g["file"] == name]
        assert len(review.labels) == len(gold)
    assert not {p.name for p in SEEDS} & set(listed)


def test_the_corpus_score_measures_the_raw_extractor():
    """The corpus scoring reads its own fresh database of the batch's texts, where no review is
    applied: its facts are the extractor's, and score below the reviewed data of the same texts."""
    batch = next(b for b in corpus.batches(ROOT / "tests" / "corpus") if b.name == "batch04")
    scored = score_corpus._facts(batch)
    raw = []
    for name in batch.texts:
        read = process_file(batch.path / name)
        raw += [
            (name, f.region_code, f.year, f.fund, f.metric, f.item, f.basis, f.value, f.quote)
            for f in read.facts
        ]
    keys = ("file", "region_code", "year", "fund", "metric", "item", "basis", "value", "quote")
    assert sorted(tuple(f[k] for k in keys) for f in scored) == sorted(raw)
    # the same texts with their reviews applied score otherwise: the scorer would notice
    listed = [r for r in reviews.read(PUBLIC / reviews.FILE_NAME) if r.file in batch.texts]
    files = [r.file for r in listed]
    assert files
    gold = [g for g in batch.gold if g["file"] in files]
    raw_score = score_corpus._score(gold, scored, files)
    reviewed_score = score_corpus._score(gold, _reviewed_facts(listed), files)
    assert reviewed_score.precision > raw_score.precision
    assert reviewed_score.counts["extra"] == 0  # every figure no label lists was rejected


def _reviewed_facts(listed: list[reviews.ReportReview]) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "reviewed.duckdb")
        try:
            ingest(con, [PUBLIC / r.file for r in listed], n_workers=1)
            reviews.apply_reports(con, listed, PUBLIC)
            cursor = con.execute(
                "SELECT d.file_name AS file, f.region_code, f.year, f.fund, f.metric, f.item, f.basis, f.value "
                "FROM fund_facts f JOIN documents d USING (doc_id)"
            )
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()
