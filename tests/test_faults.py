"""An ingest killed with SIGKILL at a chosen point leaves a database that opens, holds only whole
documents, and that a re-run of the same ingest brings to exactly what a clean run gives.

The ingest runs in a subprocess (`_KILLER`) whose `store.transaction` sends the process SIGKILL at
the end of its n-th transaction, after every statement of it ran and before its COMMIT: the first
transaction of a new file is its schema (the migrations), the next ones are the batches of
documents.  No timing is involved.  The clean run is conftest's `seeds_db` (the same five reports
through the same command line)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import duckdb
from conftest import REPORTS, ROOT, SEEDS, run_cli

from pipelines import store

_KILLER = """
import functools, os, signal, sys
from contextlib import contextmanager
from pipelines import cli, ingest, store

kill_at, batch_size = int(sys.argv[1]), int(sys.argv[2])
real_transaction, seen = store.transaction, []

@contextmanager
def transaction(con):
    seen.append(con)
    with real_transaction(con):
        yield
        if len(seen) == kill_at:  # every statement ran; the COMMIT has not
            os.kill(os.getpid(), signal.SIGKILL)

store.transaction = transaction
cli.ingest = functools.partial(ingest.ingest, batch_size=batch_size)
sys.exit(cli.main(sys.argv[3:]))
"""
COMPARED = ("documents", "fund_facts", "checks", "rejections", "dropped")


def _killed_ingest(db: Path, kill_at: int, batch_size: int) -> subprocess.CompletedProcess[str]:
    """`python -m pipelines ingest --db DB` the seeds, killed at the end of its kill_at-th transaction."""
    args = [str(kill_at), str(batch_size), "ingest", "-q", "--db", str(db), *map(str, SEEDS)]
    result = subprocess.run(
        [sys.executable, "-c", _KILLER, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr)
    return result


def _tables(path: Path, doc_ids: list[str] | None = None) -> dict[str, list[tuple]]:
    """The compared tables' rows, ordered, without time columns (only `doc_ids`' rows if given)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for table in COMPARED:
            columns = [
                f'"{name}"'
                for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()
                if "TIME" not in kind and kind != "DATE"
            ]
            where = "" if doc_ids is None else " WHERE list_contains($ids, doc_id)"
            sql = f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY ALL"
            out[table] = con.execute(sql, None if doc_ids is None else {"ids": doc_ids}).fetchall()
        return out
    finally:
        con.close()


def _document_ids(path: Path) -> list[str]:
    con = store.connect(path, read_only=True)  # opens (and would refuse a broken file)
    try:
        return [r[0] for r in con.execute("SELECT doc_id FROM documents ORDER BY doc_id").fetchall()]
    finally:
        con.close()


def _rerun_equals_a_clean_run(db: Path, seeds_db: Path) -> None:
    rerun = run_cli("ingest", "-q", "--db", str(db), *map(str, SEEDS))
    assert rerun.returncode == 0, rerun.stderr
    assert _tables(db) == _tables(seeds_db)
    assert run_cli("summary", "--db", str(db)).returncode == 0


def test_killed_during_schema_creation_leaves_no_database(tmp_path, seeds_db):
    db = tmp_path / "data" / "medfund.duckdb"
    _killed_ingest(db, kill_at=1, batch_size=50)  # inside the new file's migration transaction
    assert not db.exists()  # only the temporary file beside it, which nothing opens
    leftovers = [p.name for p in db.parent.iterdir()]
    assert leftovers and all(name.startswith(db.name + ".building-") for name in leftovers), leftovers
    _rerun_equals_a_clean_run(db, seeds_db)
    assert [p.name for p in db.parent.iterdir()] == [db.name]  # the dead run's temporary file is gone


def test_killed_during_a_batch_commit_keeps_only_whole_documents(tmp_path, seeds_db):
    db = tmp_path / "medfund.duckdb"
    # transactions: 1 the schema, 2 the first batch of two reports (committed, in the WAL),
    # 3 the second batch (killed before its COMMIT)
    _killed_ingest(db, kill_at=3, batch_size=2)
    kept = _document_ids(db)
    assert len(kept) == 2  # the first batch, and nothing of the second
    # each kept document is whole: its rows are exactly a clean run's rows for it
    assert _tables(db, kept) == _tables(seeds_db, kept)
    con = duckdb.connect(str(db), read_only=True)
    whole = con.execute(
        "SELECT bool_and(n_facts = (SELECT count(*) FROM fact f WHERE f.doc_id = r.doc_id)) FROM report r"
    ).fetchone()[0]
    strays = con.execute(
        "SELECT count(*) FROM (SELECT doc_id FROM fact UNION ALL SELECT doc_id FROM rejections"
        " UNION ALL SELECT doc_id FROM checks) WHERE doc_id NOT IN (SELECT doc_id FROM report)"
    ).fetchone()[0]
    con.close()
    assert whole and strays == 0
    _rerun_equals_a_clean_run(db, seeds_db)


def test_a_failed_creation_leaves_no_file(tmp_path, monkeypatch):
    """A new file whose schema cannot be written (a full disk) is not left behind, half-made or empty."""

    def disk_full(con):
        raise duckdb.IOException('IO Error: Could not write file "medfund.duckdb": No space left on device')

    monkeypatch.setattr(store, "migrate", disk_full)
    db = tmp_path / "medfund.duckdb"
    result = run_cli("ingest", "--db", str(db), str(REPORTS / "002_2958b8ff77e9055f.txt"))
    assert result.returncode == 2 and "No space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_from_an_interrupted_start_is_rebuilt(tmp_path):
    """The 0-byte file an older version left after a disk-full start no longer blocks every ingest."""
    db = tmp_path / "medfund.duckdb"
    db.touch()
    result = run_cli("ingest", "--db", str(db), str(REPORTS / "002_2958b8ff77e9055f.txt"))
    assert result.returncode == 0, result.stderr
    assert len(_document_ids(db)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [db.name]
