"""Schema versions and migrations (pipelines/store.py): old files upgraded, newer ones refused.

tests/fixtures/schema_v1.duckdb is a file made by the code from before schema versions were
recorded (commit 121f9ee717f1, which has no schema_version table), by ingesting one bundled
report through that checkout's command line:

    git worktree add /tmp/medfund-v1 121f9ee717f1
    cd /tmp/medfund-v1
    /work/main/.venv/bin/python -m pipelines ingest --db /tmp/schema_v1.duckdb \\
        data/reports/002_2958b8ff77e9055f.txt
    cp /tmp/schema_v1.duckdb /work/main/tests/fixtures/schema_v1.duckdb
    cd /work/main && git worktree remove /tmp/medfund-v1

It holds that report, its 70 facts and 3 checks (1.8 MB: DuckDB's 256 KiB blocks make it no
smaller).  Tests open copies of it, never the fixture itself.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboard.core import database
from pipelines import corrections, indicators, store

FIXTURE_V1 = Path(__file__).with_name("fixtures") / "schema_v1.duckdb"

# The view files as of the latest migration.  Views are re-created only when migrations run, so a
# change to views.sql or indicators.sql reaches files already at the latest version only with a new
# migration (pipelines/store.py): add pipelines/sql/migrations/NNNN_<what>.sql (a comment is
# enough), then update this pair.
VIEWS_AT_LATEST = (13, "a386e754a3d0df87597c48717cfcb73c4f235e362816e14cf260f1f3316774e3")


def _rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _versions(path: Path) -> list[tuple]:
    return _rows(path, "SELECT version, name, applied_at FROM schema_version ORDER BY version")


def _catalog(path: Path) -> tuple[list[tuple], list[tuple]]:
    """Every table's and view's definition, without the version table."""
    tables = _rows(
        path, "SELECT table_name, sql FROM duckdb_tables() WHERE table_name <> 'schema_version' ORDER BY 1"
    )
    views = _rows(path, "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1")
    return tables, views


_SNAPSHOT = {
    "fact": "SELECT * FROM fact ORDER BY fact_id",
    "report": "SELECT * FROM report ORDER BY doc_id",
    "checks": "SELECT * FROM checks ORDER BY doc_id, seq",
    "documents": "SELECT * FROM documents ORDER BY doc_id",
    "fund_facts": "SELECT * FROM fund_facts ORDER BY fact_id",
    "indicators": "SELECT * FROM indicators ORDER BY region_code, year, fund",
}


def _snapshot(path: Path) -> dict[str, list[dict]]:
    """Every row of the tables and views that hold data, as column → value."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for name, sql in _SNAPSHOT.items():
            cursor = con.execute(sql)
            columns = [c[0] for c in cursor.description]
            out[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return out
    finally:
        con.close()


_RATIOS = {
    "balance_rate",
    "income_per_capita",
    "expenditure_per_capita",
    "months_of_reserves",
    "income_growth",
    "expenditure_growth",
}


def _kept(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> None:
    """Every row and value the old file had is still there; columns added since are empty."""
    for name, rows in before.items():
        assert len(after[name]) == len(rows), name
        for old, new in zip(rows, after[name], strict=True):
            if name == "indicators":  # migration 0006: the ratios are no longer rounded in the views
                new = {k: round(v, 2) if k in _RATIOS and v is not None else v for k, v in new.items()}
            assert {k: new[k] for k in old} == old, name
            if name in ("fact", "fund_facts"):
                added = {k: new[k] for k in new.keys() - old.keys()}
                # never assessed: confidence asks a steward (or a re-ingest) to look
                assert added.pop("confidence") == "review", name
                assert added.pop("confidence_reasons") == "导入时尚未评估，请重新导入", name
                assert all(v is None for v in added.values()), name


@pytest.fixture
def old_file(tmp_path) -> Path:
    """A copy of the file made before schema versions."""
    path = tmp_path / "v1.duckdb"
    shutil.copyfile(FIXTURE_V1, path)
    return path


def test_the_fixture_is_a_file_from_before_versions():
    assert FIXTURE_V1.stat().st_size < 2 * 1024 * 1024
    names = {r[0] for r in _rows(FIXTURE_V1, "SELECT table_name FROM duckdb_tables()")}
    assert "schema_version" not in names and {"report", "fact", "correction"} <= names
    assert store.file_version(FIXTURE_V1) == 0


def test_a_file_from_before_versions_is_upgraded_by_a_read_only_open_keeping_every_row(old_file, tmp_path):
    before = _snapshot(old_file)
    assert len(before["fact"]) == 70 and len(before["report"]) == 1 and before["indicators"]

    con = store.connect(old_file, read_only=True)  # upgrades through a read-write connection first
    assert con.execute("SELECT count(*) FROM fund_facts").fetchone()[0] == 70
    # never assessed, so every figure waits for a steward (or a re-ingest): no indicator yet
    assert con.execute("SELECT count(*) FROM indicators").fetchone()[0] == 0
    con.close()

    assert store.file_version(old_file) == store.latest_version()
    assert [r[:2] for r in _versions(old_file)] == [(m.version, m.name) for m in store.MIGRATIONS]
    after = _snapshot(old_file)
    vouched = before.pop("indicators")
    _kept(before, after)  # no row lost or changed
    # once a steward has confirmed the figures, the views answer as before
    con = store.connect(old_file)
    for (fact_id,) in con.execute("SELECT fact_id FROM fund_facts").fetchall():
        corrections.confirm(con, fact_id, "核对原文无误", "校核人")
    con.close()
    _kept({"indicators": vouched}, _snapshot(old_file))
    # 0001 (with the views) is exactly the schema the file already had: same tables, same views
    new = tmp_path / "new.duckdb"
    store.connect(new).close()
    assert _catalog(old_file) == _catalog(new)


def test_the_dashboard_opens_a_file_from_before_versions(old_file):
    con = database.open_database(str(old_file))
    try:
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == 70
        assert con.execute("SELECT count(*) FROM docs").fetchone()[0] == 1
        # never assessed: every figure waits in the 待核查 queue, none reaches an indicator yet
        assert con.execute("SELECT count(*) FROM facts WHERE confidence = 'review'").fetchone()[0] == 70
        assert con.execute("SELECT count(*) FROM ind").fetchone()[0] == 0
    finally:
        con.close()
    assert store.file_version(old_file) == store.latest_version()


def test_a_new_file_gets_every_migration_once(tmp_path):
    path = tmp_path / "new.duckdb"
    store.connect(path).close()
    rows = _versions(path)
    assert [r[:2] for r in rows] == [(m.version, m.name) for m in store.MIGRATIONS]
    assert store.file_version(path) == store.latest_version() == rows[-1][0]
    views = {r[0] for r in _rows(path, "SELECT view_name FROM duckdb_views() WHERE NOT internal")}
    assert {"documents", "fund_facts", "correction_log", "indicators", "indicators_by_basis"} <= views


def test_reopening_a_current_file_changes_nothing(tmp_path):
    path = tmp_path / "db.duckdb"
    store.connect(path).close()
    versions, catalog = _versions(path), _catalog(path)
    con = store.connect(path)
    assert store.migrate(con) == []
    con.close()
    assert store.ensure_current(path) is False  # read the version only: no read-write open
    store.connect(path, read_only=True).close()
    database.open_database(str(path)).close()
    assert _versions(path) == versions and _catalog(path) == catalog


def test_a_file_newer_than_the_code_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "future.duckdb"
    store.connect(path).close()
    newer = store.latest_version() + 1
    raw = duckdb.connect(str(path))
    raw.execute("INSERT INTO schema_version VALUES (?, 'from_the_future', now())", [newer])
    raw.close()
    versions = _versions(path)
    opens = (
        lambda: store.connect(path),
        lambda: store.connect(path, read_only=True),
        lambda: database.open_database(str(path)),
    )
    for open_ in opens:
        with pytest.raises(store.SchemaTooNew) as refused:
            open_()
        message = str(refused.value)
        assert "future.duckdb" in message and f"版本为 {newer}" in message
        assert f"版本 {store.latest_version()}" in message and "升级 MedFund" in message
    assert _versions(path) == versions


def _with(monkeypatch, *extra: tuple[str, str]) -> None:
    """The code's migrations followed by `extra` (name, sql), numbered on from the latest."""
    latest = store.latest_version()
    added = [store.Migration(latest + i, name, sql) for i, (name, sql) in enumerate(extra, 1)]
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, *added))


def test_pending_migrations_run_in_order_on_an_old_file(old_file, monkeypatch):
    latest = store.latest_version()
    _with(
        monkeypatch,
        ("fact_note", "ALTER TABLE fact ADD COLUMN note VARCHAR;"),
        ("fill_note", "UPDATE fact SET note = 'n' || quote_start;"),  # needs the column added just before
    )
    con = store.connect(old_file)
    assert con.execute("SELECT count(*) FROM fact WHERE note IS NOT NULL").fetchone()[0] == 70
    con.close()
    assert [r[:2] for r in _versions(old_file)][-2:] == [(latest + 1, "fact_note"), (latest + 2, "fill_note")]
    assert store.file_version(old_file) == latest + 2


_BROKEN = (
    "broken",
    "CREATE TABLE extra (x INTEGER); ALTER TABLE fact ADD COLUMN note VARCHAR; SELECT * FROM no_such_table;",
)


def test_a_failed_migration_leaves_the_file_at_its_old_version(tmp_path, monkeypatch):
    path = tmp_path / "db.duckdb"
    store.connect(path).close()
    latest, versions, catalog = store.latest_version(), _versions(path), _catalog(path)
    _with(monkeypatch, ("fine", "CREATE TABLE fine (x INTEGER);"), _BROKEN)
    with pytest.raises(duckdb.CatalogException):
        store.connect(path)
    with pytest.raises(duckdb.CatalogException):
        store.connect(path, read_only=True)
    assert _versions(path) == versions and _catalog(path) == catalog  # neither `fine` nor `extra`
    assert store.file_version(path) == latest


def test_a_failed_migration_keeps_every_row_of_an_old_file(old_file, monkeypatch):
    before = _snapshot(old_file)
    _with(monkeypatch, _BROKEN)
    with pytest.raises(duckdb.CatalogException):
        database.open_database(str(old_file))
    assert store.file_version(old_file) == 0
    assert _snapshot(old_file) == before


def test_a_new_file_gets_its_whole_schema_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / "new.duckdb"
    _with(monkeypatch, _BROKEN)
    with pytest.raises(duckdb.CatalogException):
        store.connect(path)
    # a new file is built under a temporary name and renamed only when its schema is whole
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_migrations_are_numbered_without_gaps(tmp_path):
    assert [m.version for m in store.load_migrations()] == list(range(1, store.latest_version() + 1))
    (tmp_path / "0001_a.sql").write_text("SELECT 1;", encoding="utf-8")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(ValueError, match="without gaps"):
        store.load_migrations(tmp_path)
    (tmp_path / "2_b.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(ValueError, match="NNNN_name"):
        store.load_migrations(tmp_path)


def test_a_change_to_a_view_comes_with_a_migration():
    digest = hashlib.sha256()
    for file in (*(store.SQL_DIR / name for name in store.VIEW_FILES), indicators.VIEWS_FILE):
        digest.update(file.read_text(encoding="utf-8").encode("utf-8"))
    assert (store.latest_version(), digest.hexdigest()) == VIEWS_AT_LATEST, (
        "a view file changed: add a migration so that files at the latest version get the new views "
        "(see pipelines/store.py), then update VIEWS_AT_LATEST"
    )


def test_a_version_10_file_without_a_stored_table_is_rebuilt_and_takes_writes(seeds_db, tmp_path):
    # files written while version 9 was being made reached version 10 without indicator_held_store
    path = tmp_path / "v10.duckdb"
    shutil.copy(seeds_db, path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE indicator_held_store")
    con.execute("DELETE FROM schema_version WHERE version > 10")
    con.close()
    assert store.file_version(path) == 10

    con = store.connect(path)
    try:
        assert not indicators.differences(con)  # every stored table back, equal to a recomputation
        fact_id = con.execute("SELECT fact_id FROM fund_facts ORDER BY fact_id LIMIT 1").fetchone()[0]
        corrections.confirm(con, fact_id, "核对原文无误", "校核人")  # a write refreshes all four tables
        assert not indicators.differences(con)
    finally:
        con.close()
    assert store.file_version(path) == store.latest_version()
