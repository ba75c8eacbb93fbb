"""The synthetic benchmark database (scripts/make_synthetic_db.py), generated small."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.models import Fact
from scripts import make_synthetic_db as synthetic

REGIONS, YEARS, FIRST_YEAR = 12, 3, 2019


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthetic") / "small.duckdb"
    counts = synthetic.generate(path, regions=REGIONS, years=YEARS, first_year=FIRST_YEAR, seed=3)
    return path, counts


def _query(path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_counts_match_the_tables(small_db):
    path, counts = small_db
    for table, n in counts.items():
        assert _query(path, f"SELECT count(*) FROM {table}") == [(n,)]
    assert counts["report"] == REGIONS * YEARS
    assert counts["fact"] > 35 * counts["report"]
    assert not (path.parent / (path.name + ".tmp")).exists()


def test_every_quote_is_its_span_of_the_text(small_db):
    path, _ = small_db
    texts = dict(_query(path, "SELECT doc_id, text FROM documents"))
    spans = _query(path, "SELECT doc_id, quote, quote_start, quote_end FROM fund_facts")
    spans += _query(path, "SELECT doc_id, quote, quote_start, quote_end FROM rejections")
    assert len(texts) == REGIONS * YEARS and len(spans) > 35 * len(texts)
    assert all(texts[doc][start:end] == quote for doc, quote, start, end in spans)
    bad = _query(
        path,
        "SELECT count(*) FROM fund_facts f JOIN documents d USING (doc_id)"
        " WHERE substring(d.text, f.quote_start + 1, f.quote_end - f.quote_start) <> f.quote",
    )
    assert bad == [(0,)]
    assert all(600 <= len(text) <= 1500 for text in texts.values())


def test_facts_are_valid(small_db):
    path, _ = small_db
    con = duckdb.connect(str(path), read_only=True)
    result = con.execute(
        "SELECT * EXCLUDE (quote_start, quote_end, confidence_reasons), quote_start AS start, quote_end AS end "
        "FROM fact"
    )
    names = [column[0] for column in result.description]
    rows = result.fetchall()
    con.close()
    assert len(rows) > 35 * REGIONS * YEARS
    for row in rows:
        fact = Fact.model_validate(dict(zip(names, row, strict=True)))  # units, ranges, region code pattern
        assert fact.confidence == "high"


def test_documents_are_labelled_synthetic(small_db):
    path, _ = small_db
    rows = _query(path, "SELECT file_name, genre, reader, text, warnings, region_level FROM report")
    assert len(rows) == REGIONS * YEARS
    for file_name, genre, reader, text, warnings, level in rows:
        assert file_name.startswith("SYNTHETIC-")
        assert (genre, reader, level) == ("synthetic", "synthetic", "county")
        assert text.startswith("【合成数据】")
        assert warnings == [synthetic.WARNING]


def test_indicators_cover_every_region_year(small_db):
    path, _ = small_db
    for fund in ("employee", "resident", "maternity"):
        rows = _query(
            path,
            "SELECT count(*) FROM indicators WHERE fund = ?"
            " AND income IS NOT NULL AND expenditure IS NOT NULL AND insured IS NOT NULL",
            [fund],
        )
        assert rows == [(REGIONS * YEARS,)]
    code = _query(path, "SELECT min(region_code) FROM report")[0][0]
    assert len(_query(path, "SELECT * FROM indicators WHERE region_code = ?", [code])) > 0
    assert _query(path, "SELECT count(*) FROM indicators_by_basis")[0][0] > 0


def test_cumulative_balance_rolls_forward(small_db):
    path, _ = small_db
    rows = _query(
        path,
        "SELECT region_code, fund, year, cumulative_balance, balance FROM indicators"
        " WHERE cumulative_balance IS NOT NULL ORDER BY ALL",
    )
    by_key = {(code, fund, year): (cum, bal) for code, fund, year, cum, bal in rows}
    pairs = [(key, by_key.get((key[0], key[1], key[2] - 1))) for key in by_key]
    pairs = [(by_key[key], prev) for key, prev in pairs if prev]
    assert len(pairs) == REGIONS * (YEARS - 1) * 3  # employee, resident, maternity
    assert all(abs(cum - (prev_cum + bal)) < 1 for (cum, bal), (prev_cum, _) in pairs)
    assert _query(path, "SELECT count(*) FROM indicator_checks") == [(0,)]


def test_checks_cite_facts_that_disagree(small_db):
    path, _ = small_db
    rows = _query(
        path,
        "SELECT c.check_id, c.expected, c.actual, len(c.fact_ids),"
        " list_sort(c.fact_ids) = list_sort(list(f.fact_id)) AS cited"
        " FROM checks c JOIN fact f ON list_contains(c.fact_ids, f.fact_id)"
        " GROUP BY c.doc_id, c.seq, c.check_id, c.expected, c.actual, c.fact_ids",
    )
    assert rows  # seed 3 yields a few
    assert len(rows) == len(_query(path, "SELECT * FROM checks"))
    for check_id, expected, actual, n_facts, cited in rows:
        assert check_id in ("balance_identity", "stated_per_capita")
        assert n_facts == 3 and cited
        assert abs(expected - actual) > 1


def test_same_seed_same_database(tmp_path):
    def summary(path, seed):
        synthetic.generate(path, regions=4, years=2, seed=seed)
        doc_ids = [row[0] for row in _query(path, "SELECT doc_id FROM report ORDER BY doc_id")]
        return doc_ids, _query(path, "SELECT sum(value) FROM fact")[0][0]

    first = summary(tmp_path / "a.duckdb", 11)
    assert summary(tmp_path / "b.duckdb", 11) == first
    assert summary(tmp_path / "c.duckdb", 12) != first


def test_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "existing.duckdb"
    path.write_bytes(b"not a database")
    assert synthetic.main(["--out", str(path), "--regions", "2", "--years", "1"]) == 1
    assert path.read_bytes() == b"not a database"
    assert "--force" in capsys.readouterr().err
    with pytest.raises(FileExistsError):
        synthetic.generate(path, regions=2, years=1)

    assert synthetic.main(["--out", str(path), "--regions", "2", "--years", "1", "--force"]) == 0
    assert _query(path, "SELECT count(*) FROM report") == [(2,)]
    assert "wrote" in capsys.readouterr().out


def test_a_failed_run_leaves_no_file(tmp_path, monkeypatch):
    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(synthetic, "_insert", fail)
    path = tmp_path / "crash.duckdb"
    with pytest.raises(RuntimeError):
        synthetic.generate(path, regions=2, years=1)
    assert list(tmp_path.iterdir()) == []
