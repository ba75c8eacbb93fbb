"""All database access of the dashboard: one shared connection, named cached queries.

The MedFund file is attached read-only to an in-memory database, and the indicator views
are materialised there once per version of the file (its size and modification time), so
pages read small tables.  A re-ingest changes the file and the next query reopens it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "medfund.duckdb"
REGIONS_CSV = ROOT / "data" / "regions" / "gb2260.csv"
QUERIES_FILE = Path(__file__).with_name("queries.sql")

_MATERIALISE = (
    "CREATE TABLE ind AS SELECT * FROM src.indicators_by_basis WHERE view_basis <> 'any'",
    "CREATE TABLE ind_values AS SELECT * FROM src.indicator_values_by_basis WHERE view_basis <> 'any'",
    "CREATE TABLE docs AS SELECT * EXCLUDE (text) FROM src.documents",
    "CREATE TABLE region_table AS SELECT * FROM read_csv($csv, all_varchar = true)",
)


class DatabaseMissing(FileNotFoundError):
    """The database file does not exist (yet)."""


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


def open_database(path: str) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the file attached read-only and the indicators materialised."""
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ? AS src (READ_ONLY)", [path])
    for statement in _MATERIALISE:
        con.execute(statement, {"csv": str(REGIONS_CSV)} if "$csv" in statement else None)
    return con


@st.cache_resource(max_entries=1, show_spinner="正在打开数据库…")
def _connection(ver: Version) -> duckdb.DuckDBPyConnection:
    return open_database(ver.path)


def connection() -> duckdb.DuckDBPyConnection:
    """The shared connection for the current version of the database file."""
    return _connection(version())


def _listify(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple | frozenset | set) else v for k, v in params.items()}


def run_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run a named query (uncached; for scripts and tests)."""
    sql = QUERIES[name]
    cursor = con.cursor()  # a cursor per call: safe from several sessions' threads
    try:
        return cursor.sql(sql, params=_listify(params) or None).pl()
    finally:
        cursor.close()


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(ver: Version, name: str, params: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    return run_query(_connection(ver), name, **dict(params))


def query(name: str, **params: Any) -> pl.DataFrame:
    """A named query's result, cached per version of the database and parameters."""
    if name not in QUERIES:
        raise KeyError(f"no query named {name!r}")
    frozen = tuple(
        sorted((k, tuple(v) if isinstance(v, list | set | frozenset) else v) for k, v in params.items())
    )
    return _cached(version(), name, frozen)
