"""The dashboard's database access, without Streamlit: the read connection and named queries.

A private snapshot of the MedFund file is attached read-only and what the pages read (the
indicators stored at ingest, facts, checks, rejections, numbers set aside, reports without their
text) is offered as views over it: the app holds no lock on the file itself, so a command-line
ingest can run beside it.  Each version of the file (its size and
modification time) is loaded once; a re-ingest changes the file and the next query reloads
it.  A report's full text is read on demand through a short read-only connection.  The
Streamlit layer (dashboard.web.data) caches one connection per version and each query.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl

from pipelines import store

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "medfund.duckdb"
REGIONS_CSV = ROOT / "data" / "regions" / "gb2260.csv"
QUERIES_FILE = Path(__file__).with_name("queries.sql")

# What the pages read, as views over a private snapshot of the file (attached as `src`).
_READ_VIEWS = (
    # the indicators as stored at ingest (pipelines/indicators.py): read, never computed here
    "CREATE VIEW ind AS SELECT * FROM src.indicator_store WHERE view_basis <> 'any'",
    "CREATE VIEW ind_values AS SELECT * FROM src.indicator_value_store WHERE view_basis <> 'any'",
    # a report is named by its region, year and title (from its text; else its kind), never by
    # its file name alone (often a hash)
    "CREATE VIEW docs AS SELECT * EXCLUDE (text), "
    "concat_ws(' · ', concat_ws(' ', region_name, report_year || '年'), coalesce(title, genre)) AS report_name "
    "FROM src.documents",
    "CREATE VIEW facts AS SELECT * FROM src.fund_facts",
    # facts held out of the indicators until a steward confirms them (a magnitude error)
    "CREATE VIEW held_facts AS SELECT DISTINCT fact_id FROM src.indicator_held_facts",
    "CREATE VIEW checks AS SELECT * FROM src.checks",
    "CREATE VIEW cross_checks AS SELECT * FROM src.indicator_check_store",
    "CREATE VIEW rejections AS SELECT * FROM src.rejections",
    "CREATE VIEW dropped AS SELECT * FROM src.dropped",
    "CREATE VIEW corrections AS SELECT * FROM src.correction_log",
    "CREATE VIEW removals AS SELECT * FROM src.report_removal",
    "CREATE TABLE region_table AS SELECT * FROM read_csv($csv, all_varchar = true)",
)
# this user's own folder (0700): a snapshot is a whole copy of the database
SNAPSHOT_DIR = Path(tempfile.gettempdir()) / f"medfund-snapshots-{os.getuid()}"
# In one process DuckDB refuses a read-only and a read-write connection to the same file at once:
# the app's short read-only connections (the snapshot's copy, a report's text) and a steward's
# writes (dashboard/core/stewardship.py) take turns.
FILE_LOCK = threading.RLock()
# queries that read the file itself (large columns not copied into memory)
FILE_QUERIES = frozenset({"document_text", "document_by_id"})


class DatabaseMissing(FileNotFoundError):
    """The database file does not exist (yet)."""


class DatabaseBusy(RuntimeError):
    """The file is being written by another process (an ingest) just now."""


class SnapshotFailed(RuntimeError):
    """The private copy the app reads could not be taken (e.g. no space left in the temp folder)."""


# what reading the file can raise: written just now, not there, written by a newer MedFund, or any
# other DuckDB error; the app shows each as a message with a retry (dashboard.web.data.guard)
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DatabaseBusy,
    DatabaseMissing,
    SnapshotFailed,
    store.SchemaTooNew,
    duckdb.Error,
)


class Version(NamedTuple):
    path: str
    size: int
    mtime_ns: int
    wal: tuple[int, int] | None = None  # the write-ahead log's size and time: data not yet checkpointed


def load_queries(path: Path = QUERIES_FILE) -> dict[str, str]:
    """Named queries from a .sql file: each starts at a `-- name: NAME` line."""
    queries: dict[str, str] = {}
    parts = re.split(r"^-- name: (\w+)\s*$", path.read_text(encoding="utf-8"), flags=re.M)
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name} is defined twice in {path.name}")
        queries[name] = body.strip().rstrip(";")
    return queries


QUERIES = load_queries()


def database_path() -> Path:
    return Path(os.environ.get("MEDFUND_DB") or DEFAULT_DB)


def version(path: Path | None = None) -> Version:
    path = path or database_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DatabaseMissing(f"数据库文件不存在：{path}") from None
    try:
        log = _wal(path).stat()
        wal = (log.st_size, log.st_mtime_ns)
    except FileNotFoundError:
        wal = None
    return Version(str(path.resolve()), stat.st_size, stat.st_mtime_ns, wal)


def _busy(path: str, exc: duckdb.Error) -> DatabaseBusy:
    # DuckDB's own words (kept as the cause, for the log) name the other process's interpreter path
    return DatabaseBusy(f"数据库 {Path(path).name} 正在被其他程序写入（例如正在导入报告），请稍后刷新页面。")


def open_database(path: str) -> duckdb.DuckDBPyConnection:
    """A connection that reads a private snapshot of the file: what the pages read, as views.

    Opening costs a file copy, no computing: the indicators were stored at ingest.  The copy is
    taken while a read-only connection holds the file (so no writer is half-way through it), then
    attached read-only and unlinked at once: the app holds no lock on the file itself, and the
    snapshot's space is freed when the connection closes.  A file made by an earlier version is
    first migrated to the latest schema version (its version is read read-only; only an old file is
    opened read-write); a file written by a newer MedFund is refused with store.SchemaTooNew."""
    try:
        store.ensure_current(path)
        snapshot = _snapshot(path)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        raise _busy(path, exc) from exc
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(snapshot)])
        for statement in _READ_VIEWS:
            con.execute(statement, {"csv": str(REGIONS_CSV)} if "$csv" in statement else None)
    except BaseException:
        con.close()
        raise
    finally:
        for file in (snapshot, _wal(snapshot)):
            file.unlink(missing_ok=True)
    return con


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _sweep_snapshots() -> None:
    """Remove snapshots left by processes that were killed between copying and attaching."""
    for left in SNAPSHOT_DIR.glob("*.duckdb*"):
        pid = left.name.split("-", 1)[0]
        if pid.isdigit() and not store.process_alive(int(pid)):
            left.unlink(missing_ok=True)


def _snapshot(path: str) -> Path:
    """A copy of the database file (and its write-ahead log, if any) in this user's SNAPSHOT_DIR."""
    SNAPSHOT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if SNAPSHOT_DIR.stat().st_uid != os.getuid() or SNAPSHOT_DIR.stat().st_mode & 0o077:
        raise SnapshotFailed(f"临时文件夹 {SNAPSHOT_DIR} 不属于当前用户或对他人开放，拒绝在其中复制数据库")
    _sweep_snapshots()
    target = SNAPSHOT_DIR / f"{os.getpid()}-{uuid.uuid4().hex}.duckdb"
    with FILE_LOCK:
        holder = duckdb.connect(path, read_only=True)  # no writer while the copy is taken
        try:
            _copy(Path(path), target)
            if _wal(Path(path)).exists():
                _copy(_wal(Path(path)), _wal(target))
        except OSError as exc:
            for file in (target, _wal(target)):
                file.unlink(missing_ok=True)
            raise SnapshotFailed(f"无法为读取复制数据库 {Path(path).name}：{exc.strerror or exc}") from exc
        finally:
            holder.close()
    return target


def _copy(source: Path, target: Path) -> None:
    """``source``'s bytes into a new file ``target`` readable by this user only."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    shutil.copyfile(source, target)  # into the file just made (its mode stays): the kernel's fast copy


def run_file_query(path: str, name: str, **params: Any) -> pl.DataFrame:
    """A named query on the file itself, through a short read-only connection."""
    with FILE_LOCK:
        try:
            con = duckdb.connect(path, read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            raise _busy(path, exc) from exc
        try:
            return con.sql(QUERIES[name], params=listify(params) or None).pl()
        finally:
            con.close()


def listify(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple | frozenset | set) else v for k, v in params.items()}


def run_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run a named query (uncached; for scripts and tests)."""
    sql = QUERIES[name]
    cursor = con.cursor()  # a cursor per call: safe from several sessions' threads
    try:
        return cursor.sql(sql, params=listify(params) or None).pl()
    finally:
        cursor.close()
