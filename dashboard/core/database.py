"""The dashboard's database access, without Streamlit: the read connection and named queries.

The MedFund file is attached read-only, what the pages read (the indicator views
materialised, facts, checks, rejections, numbers set aside, reports without their text) is copied into an
in-memory database, and the file is detached again: the app holds no lock on it while it
is idle, so a command-line ingest can run beside it.  Each version of the file (its size and
modification time) is loaded once; a re-ingest changes the file and the next query reloads
it.  A report's full text is read on demand through a short read-only connection.  The
Streamlit layer (dashboard.web.data) caches one connection per version and each query.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl

from pipelines import store

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "medfund.duckdb"
REGIONS_CSV = ROOT / "data" / "regions" / "gb2260.csv"
QUERIES_FILE = Path(__file__).with_name("queries.sql")

# The indicator views that only read indicator_values_by_basis, re-created in memory over its
# rows copied once (the file's views would each compute it again: three times for the checks).
_OVER_VALUES = ("indicator_values", "indicators_by_basis", "indicator_checks")


def _indicator_views(names: tuple[str, ...] = _OVER_VALUES) -> tuple[str, ...]:
    """The CREATE statements of ``names`` as pipelines/sql/indicators.sql writes them."""
    text = (store.SQL_DIR / "indicators.sql").read_text(encoding="utf-8")
    found = list(re.finditer(r"CREATE OR REPLACE VIEW (\w+)", text))
    ends = [m.start() for m in found[1:]] + [len(text)]
    statements = {m.group(1): text[m.start() : end] for m, end in zip(found, ends, strict=True)}
    return tuple(statements[name] for name in names)


_MATERIALISE = (
    "CREATE TABLE indicator_values_by_basis AS SELECT * FROM src.indicator_values_by_basis",
    *_indicator_views(),
    "CREATE TABLE ind AS SELECT * FROM indicators_by_basis WHERE view_basis <> 'any'",
    "CREATE TABLE ind_values AS SELECT * FROM indicator_values_by_basis WHERE view_basis <> 'any'",
    # a report is named by its region, year and title (from its text; else its kind), never by
    # its file name alone (often a hash)
    "CREATE TABLE docs AS SELECT * EXCLUDE (text), "
    "concat_ws(' · ', concat_ws(' ', region_name, report_year || '年'), coalesce(title, genre)) AS report_name "
    "FROM src.documents",
    "CREATE TABLE facts AS SELECT * FROM src.fund_facts",
    # facts held out of the indicators until a steward confirms them (a magnitude error)
    "CREATE TABLE held_facts AS SELECT DISTINCT fact_id FROM src.indicator_held_facts",
    "CREATE TABLE checks AS SELECT * FROM src.checks",
    "CREATE TABLE cross_checks AS SELECT * FROM indicator_checks",
    "CREATE TABLE rejections AS SELECT * FROM src.rejections",
    "CREATE TABLE dropped AS SELECT * FROM src.dropped",
    "CREATE TABLE corrections AS SELECT * FROM src.correction_log",
    "CREATE TABLE removals AS SELECT * FROM src.report_removal",
    "CREATE TABLE region_table AS SELECT * FROM read_csv($csv, all_varchar = true)",
    *(f"DROP VIEW {name}" for name in reversed(_OVER_VALUES)),
    "DROP TABLE indicator_values_by_basis",
)
# queries that read the file itself (large columns not copied into memory)
FILE_QUERIES = frozenset({"document_text", "document_by_id"})


class DatabaseMissing(FileNotFoundError):
    """The database file does not exist (yet)."""


class DatabaseBusy(RuntimeError):
    """The file is being written by another process (an ingest) just now."""


# what reading the file can raise: written just now, not there, written by a newer MedFund, or any
# other DuckDB error; the app shows each as a message with a retry (dashboard.web.data.guard)
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DatabaseBusy,
    DatabaseMissing,
    store.SchemaTooNew,
    duckdb.Error,
)


class Version(NamedTuple):
    path: str
    size: int
    mtime_ns: int


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
    return Version(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _busy(path: str, exc: duckdb.Error) -> DatabaseBusy:
    # DuckDB's own words (kept as the cause, for the log) name the other process's interpreter path
    return DatabaseBusy(f"数据库 {Path(path).name} 正在被其他程序写入（例如正在导入报告），请稍后刷新页面。")


def open_database(path: str) -> duckdb.DuckDBPyConnection:
    """An in-memory copy of what the pages read, with the indicator views materialised.

    A file made by an earlier version is first migrated to the latest schema version (its
    version is read read-only; only an old file is opened read-write); a file written by a newer
    MedFund is refused with store.SchemaTooNew."""
    try:
        store.ensure_current(path)
    except duckdb.IOException as exc:
        raise _busy(path, exc) from exc
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS src (READ_ONLY)", [path])
    except duckdb.IOException as exc:
        con.close()
        raise _busy(path, exc) from exc
    try:
        for statement in _MATERIALISE:
            con.execute(statement, {"csv": str(REGIONS_CSV)} if "$csv" in statement else None)
    finally:
        con.execute("DETACH src")
    return con


def run_file_query(path: str, name: str, **params: Any) -> pl.DataFrame:
    """A named query on the file itself, through a short read-only connection."""
    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.IOException as exc:
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
