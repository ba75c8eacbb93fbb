"""The DuckDB file: its schema version and migrations, and writing one document's rows all-or-nothing.

Schema versions.  A file records its version in ``schema_version``, one row per migration
applied (``version``, ``name``, ``applied_at``); its version is the highest, 0 when the table is
missing (a new file, or one made before versions were recorded).  Migrations are the numbered
files ``sql/migrations/NNNN_name.sql``, 0001 upwards without gaps.  Opening a file read-write
applies every migration above its version in order, each with its ``schema_version`` row, then
re-creates the views, all in one transaction: the file moves from its version to the latest or
stays as it was (a new file gets its whole schema or nothing).  A current file is left alone.

* Tables hold rows: they change only through a new migration, and an applied migration is never
  edited.  0001 is ``CREATE TABLE IF NOT EXISTS`` throughout, so it adopts a file made before
  versions existed (version 0: today's tables, or older ones lacking some) keeping every row.
* Views are pure definitions: ``sql/views.sql`` then ``sql/indicators.sql`` hold the current ones
  and are re-created (``CREATE OR REPLACE``) after the migrations whenever migrations run.  A
  change to a view file therefore comes with a new migration (one holding only a comment will
  do), or files already at the latest version keep the old view; tests/test_migrations.py pins
  the view files to the latest version to catch a forgotten one.
* A file whose version is above the latest migration was written by newer code: it is refused
  (:class:`SchemaTooNew`) and left untouched.
* A read-only open reads the version through a read-only connection first (cheap); a file behind
  the code is upgraded through a short read-write connection before it is opened read-only.

New files and the lock.  A new file (or an empty one, as a disk-full start of older code left) is
built under a temporary name beside it (``NAME.building-PID``), its schema committed and
checkpointed, and only then linked into place, so a kill or a full disk during creation leaves no
file at ``NAME`` (only a temporary one, removed by the next open once its process is gone); the
documents then go into the file in place, each batch in its own transaction.  Two creators racing
keep the first file linked.  DuckDB lets one process open a file read-write: a read-write open may
wait ``wait`` seconds for another process to let go (:class:`DatabaseLocked` after that).
"""

from __future__ import annotations

import glob
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl

from pipelines import confidence, indicators
from pipelines.models import CheckResult, Document, DroppedFigure, Fact, Rejection

SQL_DIR = Path(__file__).with_name("sql")
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEW_FILES = ("views.sql", "indicators.sql")
_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
)"""

_REPORT_COLUMNS = {
    "doc_id": pl.String,
    "file_name": pl.String,
    "source_path": pl.String,
    "text": pl.String,
    "reader": pl.String,
    "encoding": pl.String,
    "size_bytes": pl.Int64,
    "report_year": pl.Int32,
    "year_evidence": pl.String,
    "genre": pl.String,
    "region_code": pl.String,
    "region_name": pl.String,
    "region_level": pl.String,
    "region_parent_code": pl.String,
    "region_confidence": pl.String,
    "region_evidence": pl.List(pl.String),
    "n_facts": pl.Int32,
    "n_rejections": pl.Int32,
    "warnings": pl.List(pl.String),
    "extractor_version": pl.String,
    "ingested_at": pl.Datetime("us"),
    "title": pl.String,
    "source_url": pl.String,
    "standing": pl.String,
}
_FACT_COLUMNS = {
    "fact_id": pl.String,
    "doc_id": pl.String,
    "region_code": pl.String,
    "region_name": pl.String,
    "region_level": pl.String,
    "year": pl.Int32,
    "fund": pl.String,
    "metric": pl.String,
    "item": pl.String,
    "basis": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "derived": pl.Boolean,
    "quote": pl.String,
    "quote_start": pl.Int32,
    "quote_end": pl.Int32,
    "rule_id": pl.String,
    "rules": pl.List(pl.String),
    "period": pl.String,
    "confidence": pl.String,
    "confidence_reasons": pl.String,  # Chinese names joined with "；" (spec/fund-facts.md); NULL when high
}
_CHECK_COLUMNS = {
    "doc_id": pl.String,
    "seq": pl.Int32,
    "check_id": pl.String,
    "severity": pl.String,
    "message": pl.String,
    "region_code": pl.String,
    "year": pl.Int32,
    "fund": pl.String,
    "metric": pl.String,
    "item": pl.String,
    "basis": pl.String,
    "expected": pl.Float64,
    "actual": pl.Float64,
    "fact_ids": pl.List(pl.String),
    "quote": pl.String,
}


class Migration(NamedTuple):
    version: int
    name: str
    sql: str


class SchemaTooNew(ValueError):
    """The file was written by a newer MedFund: its schema version is above the latest migration."""

    def __init__(self, name: str, version: int, latest: int) -> None:
        super().__init__(
            f"数据库 {name} 的结构版本为 {version}，本程序只支持到版本 {latest}：它由更新版本的 MedFund "
            "写入，请升级 MedFund 后再打开（文件未被改动）。"
        )
        self.version = version
        self.latest = latest


def load_migrations(folder: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """The migrations ``NNNN_name.sql`` in a folder, in order; numbered 1, 2, 3 … without gaps."""
    found = []
    for file in sorted(folder.glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", file.name)
        if match is None:
            raise ValueError(f"a migration's file name is NNNN_name.sql, not {file.name}")
        found.append(Migration(int(match[1]), match[2], file.read_text(encoding="utf-8")))
    numbers = [m.version for m in found]
    if not numbers or numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3 … without gaps: {numbers}")
    return tuple(found)


MIGRATIONS = load_migrations()


def latest_version() -> int:
    return MIGRATIONS[-1].version


def stored_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in an open file; 0 for a new file or one made before versions."""
    recorded = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND table_name = 'schema_version'"
    ).fetchone()
    if not recorded or not recorded[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def _checked_version(con: duckdb.DuckDBPyConnection) -> int:
    version = stored_version(con)
    if version > latest_version():
        row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
        path = (row.fetchone() or ("",))[0] or ""
        raise SchemaTooNew(Path(path).name or "(内存)", version, latest_version())
    return version


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations above the file's version and re-create the views, in one transaction.

    Returns the versions applied; none (and nothing done) when the file is current."""
    version = _checked_version(con)
    pending = [m for m in MIGRATIONS if m.version > version]
    if not pending:
        return []
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        con.execute(_VERSION_TABLE)
        for migration in pending:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)", [migration.version, migration.name, now]
            )
        for name in VIEW_FILES:
            con.execute((SQL_DIR / name).read_text(encoding="utf-8"))
        indicators.rebuild(con)  # definitions may have changed: the stored indicators whole
    return [m.version for m in pending]


class DatabaseLocked(duckdb.IOException):
    """Another process held the file's write lock for longer than the caller would wait.

    A duckdb.IOException, as DuckDB's own refusal is, so callers that catch that keep working."""

    def __init__(self, path: Path, waited: float) -> None:
        super().__init__(
            f"数据库 {path} 正被另一个程序使用（例如另一个导入），等待 {waited:g} 秒后仍未释放；"
            f"本次未写入任何内容，请待其结束后重试（等待时间可用 --wait 或 {LOCK_WAIT_ENV} 设置）。"
        )
        self.path = path
        self.waited = waited


LOCK_WAIT_ENV = "MEDFUND_LOCK_WAIT"  # seconds an ingest waits for another process's write lock
DEFAULT_LOCK_WAIT = 60.0


def connect(
    path: str | Path,
    read_only: bool = False,
    *,
    wait: float = 0.0,
    on_wait: Callable[[Path], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a MedFund database at the latest schema version.

    Read-write, a new file is built whole under a temporary name first (:func:`_create`), and
    the pending migrations are applied.  While another process holds the file, a read-write open
    retries for up to `wait` seconds (calling `on_wait` once when it starts waiting), then raises
    :class:`DatabaseLocked`.  Read-only, a file behind the code is first upgraded through a short
    read-write connection (see :func:`ensure_current`).  A file written by newer code is refused
    with :class:`SchemaTooNew`."""
    path = Path(path)
    if read_only:
        ensure_current(path)
        return duckdb.connect(str(path), read_only=True)
    if not str(path).startswith(":memory:"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.stat().st_size == 0:
            _create(path)
    con = _open_waiting(path, wait, on_wait)
    try:
        migrate(con)
    except BaseException:
        con.close()
        raise
    return con


def _create(path: Path) -> None:
    """Build a new file's whole schema under a temporary name beside `path`, then link it there.

    The link never replaces a file: if another process created `path` meanwhile, that one stays
    (and this one is dropped).  An empty file at `path` (never a database) is replaced."""
    for leftover in path.parent.glob(f"{glob.escape(path.name)}.building-*"):
        pid = leftover.name.rsplit("-", 1)[1].removesuffix(".wal")
        if pid.isdigit() and not process_alive(int(pid)):  # left by a process that was killed
            leftover.unlink(missing_ok=True)
    building = path.with_name(f"{path.name}.building-{os.getpid()}")
    try:
        for stale in (building, _wal(building)):
            stale.unlink(missing_ok=True)
        con = duckdb.connect(str(building))
        try:
            migrate(con)
            con.execute("CHECKPOINT")  # everything in the file itself, none in its WAL
        finally:
            con.close()
        if path.exists() and path.stat().st_size == 0:
            path.unlink()
        try:
            os.link(building, path)
        except FileExistsError:
            pass  # another process created it first: open theirs
        except OSError:  # a file system without hard links
            if not path.exists():
                building.replace(path)
    finally:
        for temporary in (building, _wal(building)):
            temporary.unlink(missing_ok=True)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_locked(exc: duckdb.Error) -> bool:
    """Whether DuckDB refused to open a file because another process holds its lock."""
    return isinstance(exc, duckdb.IOException) and "Could not set lock" in str(exc)


def _open_waiting(
    path: Path, wait: float, on_wait: Callable[[Path], None] | None
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    waiting = False
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            left = deadline - time.monotonic()
            if not is_locked(exc):
                raise
            if left <= 0:
                raise DatabaseLocked(path, wait) from exc
            if not waiting and on_wait is not None:
                on_wait(path)
            waiting = True
            time.sleep(min(0.2, left))


def file_version(path: str | Path) -> int:
    """A file's schema version, read through a short read-only connection."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return stored_version(con)
    finally:
        con.close()


def ensure_current(path: str | Path) -> bool:
    """Bring an existing file to the latest version; whether it had to be upgraded.

    The version is read read-only (cheap, and no write lock while the file is current); only a
    file behind the code is opened read-write to migrate it.  A newer file raises SchemaTooNew."""
    version = file_version(path)
    if version > latest_version():
        raise SchemaTooNew(Path(path).name, version, latest_version())
    if version == latest_version():
        return False
    connect(path).close()
    return True


_IN_TRANSACTION: set[int] = set()  # connections (by id) inside transaction()


@contextmanager
def one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread for a while: when worker processes already keep every core busy,
    its own threads only add overhead (a write costs about a fifth less CPU on one thread)."""
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(threads)}")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    if id(con) in _IN_TRANSACTION:  # nested: part of the caller's transaction, all or nothing with it
        yield
        return
    con.execute("BEGIN TRANSACTION")
    _IN_TRANSACTION.add(id(con))
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _IN_TRANSACTION.discard(id(con))
    con.execute("COMMIT")


@dataclass(frozen=True)
class DocumentRows:
    """One document and everything read from it."""

    doc: Document
    facts: list[Fact]
    rejections: list[Rejection]
    checks: list[CheckResult]
    dropped: list[DroppedFigure] = field(default_factory=list)


def replace_documents(
    con: duckdb.DuckDBPyConnection, batch: list[DocumentRows], extractor_version: str
) -> None:
    """Write documents in one transaction, each replacing any earlier copy of itself.

    Either every document of the batch is written whole or nothing is; callers that want
    one document's failure not to affect others retry the batch one document at a time.
    """
    if not batch:
        return
    ids = [rows.doc.doc_id for rows in batch]
    if len(set(ids)) != len(ids):
        raise ValueError("a batch must not hold the same document twice")
    previous = dict(
        con.execute("SELECT doc_id, ingested_at FROM report WHERE list_contains(?, doc_id)", [ids]).fetchall()
    )
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        touched = indicators.regions_of_documents(con, ids)
        if previous:  # re-ingest: the new reading replaces the old one whole
            for table in DOCUMENT_TABLES:
                con.execute(f"DELETE FROM {table} WHERE list_contains(?, doc_id)", [list(previous)])
        for table, frame in batch_frames(batch, extractor_version, previous, now).items():
            _insert_frame(con, table, frame)
        indicators.refresh(con, touched | indicators.regions_of_documents(con, ids))


def batch_frames(
    batch: list[DocumentRows], version: str, previous: dict[str, datetime], now: datetime
) -> dict[str, pl.DataFrame]:
    """The batch's rows of each table, one frame per table (not one per document: building a
    frame costs more than its rows), in the order they are inserted."""
    return {
        "report": pl.DataFrame(
            [_report_row(r.doc, version, previous.get(r.doc.doc_id, now)) for r in batch],
            schema=_REPORT_COLUMNS,
        ),
        "fact": _fact_frame([f for r in batch for f in r.facts]),
        "rejections": pl.DataFrame(
            [row for r in batch for row in _rejection_rows(r.rejections)], schema=_REJECTION_COLUMNS
        ),
        "checks": pl.DataFrame([row for r in batch for row in _check_rows(r.checks)], schema=_CHECK_COLUMNS),
        "dropped": pl.DataFrame(
            [row for r in batch for row in _dropped_rows(r.dropped)], schema=_DROPPED_COLUMNS
        ),
    }


def _report_row(doc: Document, version: str, ingested_at: datetime) -> dict[str, Any]:
    row = doc.model_dump(exclude={"region_evidence", "warnings"})
    row.update(
        region_evidence=list(doc.region_evidence),
        warnings=list(doc.warnings),
        extractor_version=version,
        ingested_at=ingested_at,
    )
    return {name: row[name] for name in _REPORT_COLUMNS}


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a frame whose columns are the table's, in the table's order."""
    if frame.height:  # positional: tests/test_views.py checks the frames match schema.sql
        con.from_arrow(frame.to_arrow()).insert_into(table)


def _fact_frame(facts: list[Fact]) -> pl.DataFrame:
    rows = []
    for f in facts:
        d = f.model_dump()
        d["quote_start"] = d.pop("start")
        d["quote_end"] = d.pop("end")
        d["rules"] = list(d["rules"])
        d["confidence_reasons"] = confidence.reasons_text(d["confidence_reasons"])
        rows.append(d)
    return pl.DataFrame(rows, schema=_FACT_COLUMNS)


# a number read and not taken as a fact: where it is and why
_SET_ASIDE_COLUMNS = {
    "doc_id": pl.String,
    "seq": pl.Int32,
    "reason": pl.String,
    "quote": pl.String,
    "quote_start": pl.Int32,
    "quote_end": pl.Int32,
}
_REJECTION_COLUMNS = {**_SET_ASIDE_COLUMNS, "rule_id": pl.String, "candidate": pl.String}
_DROPPED_COLUMNS = {**_SET_ASIDE_COLUMNS, "value": pl.Float64, "surface": pl.String}
TABLE_COLUMNS = {
    "report": _REPORT_COLUMNS,
    "fact": _FACT_COLUMNS,
    "rejections": _REJECTION_COLUMNS,
    "checks": _CHECK_COLUMNS,
    "dropped": _DROPPED_COLUMNS,
}
# every table holding what was read from one report, the report itself last
DOCUMENT_TABLES = ("fact", "rejections", "checks", "dropped", "report")


def _rejection_rows(rejections: list[Rejection]) -> list[dict[str, Any]]:
    return [
        {
            "doc_id": r.doc_id,
            "seq": i,
            "reason": r.reason,
            "quote": r.quote,
            "quote_start": r.start,
            "quote_end": r.end,
            "rule_id": r.rule_id,
            "candidate": json.dumps(r.candidate, ensure_ascii=False, default=str),
        }
        for i, r in enumerate(rejections)
    ]


def _dropped_rows(dropped: list[DroppedFigure]) -> list[dict[str, Any]]:
    return [
        {
            "doc_id": d.doc_id,
            "seq": i,
            "reason": d.reason,
            "quote": d.quote,
            "quote_start": d.start,
            "quote_end": d.end,
            "value": d.value,
            "surface": d.surface,
        }
        for i, d in enumerate(dropped)
    ]


def _check_rows(checks: list[CheckResult]) -> list[dict[str, Any]]:
    rows = []
    for i, c in enumerate(checks):
        d = c.model_dump()
        d["seq"] = i
        d["fact_ids"] = list(d["fact_ids"])
        rows.append(d)
    return rows


def document_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT doc_id FROM report").fetchall()}


@dataclass(frozen=True)
class ReportOverride:
    """Region and report year a steward set for a document; None keeps the detected one."""

    region_code: str | None = None
    report_year: int | None = None


def report_overrides(con: duckdb.DuckDBPyConnection) -> dict[str, ReportOverride]:
    rows = con.execute("SELECT doc_id, region_code, report_year FROM report_override").fetchall()
    return {doc_id: ReportOverride(code, year) for doc_id, code, year in rows}


def set_override(con: duckdb.DuckDBPyConnection, doc_id: str, override: ReportOverride, author: str) -> None:
    """Remember a steward's region/year for a document (used by every later ingest of it)."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        con.execute("DELETE FROM report_override WHERE doc_id = ?", [doc_id])
        if override != ReportOverride():
            con.execute(
                "INSERT INTO report_override VALUES (?, ?, ?, ?, ?)",
                [doc_id, override.region_code, override.report_year, author, now],
            )


def set_file_name(con: duckdb.DuckDBPyConnection, doc_id: str, file_name: str) -> None:
    """The name a report is shown by, where the file on disk had to be named otherwise."""
    con.execute("UPDATE report SET file_name = ? WHERE doc_id = ?", [file_name, doc_id])


def remove_document(con: duckdb.DuckDBPyConnection, doc_id: str, reason: str, author: str) -> int:
    """Remove a report and everything read from it, in one transaction; returns its number of facts.

    Its corrections stay (with who and why), and apply again if the report is brought back."""
    rows = con.execute("SELECT file_name, n_facts FROM report WHERE doc_id = ?", [doc_id]).fetchall()
    if not rows:
        raise KeyError(f"报告 {doc_id[:12]} 不在库中")
    file_name, n_facts = rows[0]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        touched = indicators.regions_of_documents(con, [doc_id])
        for table in DOCUMENT_TABLES:
            con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])
        indicators.refresh(con, touched)
        con.execute(
            "INSERT INTO report_removal VALUES (?, ?, ?, ?, ?, ?)",
            [doc_id, file_name, n_facts, reason, author, now],
        )
    return int(n_facts or 0)
