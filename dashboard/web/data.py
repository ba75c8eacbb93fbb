"""The pages' data access: the shared read connection and named queries, cached by Streamlit.

One connection per version of the database file (dashboard.core.database copies what the
pages read into memory and holds no lock on the file); each named query's result is cached
per version and parameters.  app.py runs every page inside :func:`guard`, the one place where a
database error (busy, missing, too new, any DuckDB error) becomes a calm message with a retry."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from dashboard.core import database
from dashboard.core.database import (
    DATABASE_ERRORS,
    FILE_QUERIES,
    QUERIES,
    Version,
    open_database,
    run_file_query,
    run_query,
    version,
)
from pipelines import store


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


RETRY_KEY = "database_retry"
_log = logging.getLogger(__name__)


@contextmanager
def guard() -> Iterator[None]:
    """Run a page; a database error anywhere in it is shown as a calm message, with a retry button,
    at the top of the page (never a traceback; the details go to the server's log only)."""
    slot = st.empty()  # shows nothing unless an error comes
    try:
        yield
    except DATABASE_ERRORS as exc:
        _log.warning("database error shown to the reader as a message: %r", exc, exc_info=True)
        headline, detail = _explain(exc)
        with slot.container():
            st.warning(headline, icon=":material/database:")
            if detail:
                st.text(detail)
            st.button("重试", key=RETRY_KEY, icon=":material/refresh:", type="primary")


def _explain(exc: Exception) -> tuple[str, str | None]:
    """What a reader is told about a database error: a headline, and a plain-text detail or None."""
    if isinstance(exc, database.DatabaseBusy):
        return "数据库正在更新（例如正在导入报告），暂时无法读取。请稍候片刻，再点“重试”。", None
    if isinstance(exc, database.DatabaseMissing):
        name = database.database_path().name
        return (
            "找不到数据库文件。请先导入报告（python -m pipelines ingest），再点“重试”。",
            f"数据库文件：{name}",
        )
    if isinstance(exc, store.SchemaTooNew):
        return "这个数据库由更新版本的 MedFund 写入，本程序无法读取。请升级 MedFund 后再点“重试”。", str(exc)
    return "读取数据库时出错，请稍后再点“重试”；如果一直出现，请联系管理员查看服务器日志。", None
