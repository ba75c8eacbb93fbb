"""The pages' data access: the shared read connection and named queries, cached by Streamlit.

One connection per version of the database file (dashboard.core.database copies what the
pages read into memory and holds no lock on the file); each named query's result is cached
per version and parameters."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
import streamlit as st

from dashboard.core.database import (
    FILE_QUERIES,
    QUERIES,
    Version,
    open_database,
    run_file_query,
    run_query,
    version,
)


@st.cache_resource(max_entries=1, show_spinner="正在打开数据库…")
def _connection(ver: Version) -> duckdb.DuckDBPyConnection:
    return open_database(ver.path)


def connection() -> duckdb.DuckDBPyConnection:
    """The shared connection for the current version of the database file."""
    return _connection(version())


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(ver: Version, name: str, params: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    if name in FILE_QUERIES:
        return run_file_query(ver.path, name, **dict(params))
    return run_query(_connection(ver), name, **dict(params))


def query(name: str, **params: Any) -> pl.DataFrame:
    """A named query's result, cached per version of the database and parameters."""
    if name not in QUERIES:
        raise KeyError(f"no query named {name!r}")
    frozen = tuple(
        sorted((k, tuple(v) if isinstance(v, list | set | frozenset) else v) for k, v in params.items())
    )
    return _cached(version(), name, frozen)
