"""A database someone else is using: a second ingest waits for DuckDB's lock for a bounded time and
then fails with exit status 3; the app's pages show a calm message with a retry, never a traceback.

The lock is held by a real second process (`held_lock`, a fixture of this module): DuckDB shares one
database instance between the connections of a process, so only another process conflicts."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import REPORTS, ROOT, run_cli, texts
from streamlit.testing.v1 import AppTest

from dashboard.core import database
from pipelines import store

REPORT = REPORTS / "002_2958b8ff77e9055f.txt"
_HOLDER = (
    "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()"
)


@pytest.fixture
def held_lock() -> Iterator[Callable[[Path], Callable[[], None]]]:
    """held_lock(path): another process opens `path` read-write (holding DuckDB's lock on it) until
    the returned release() is called (or the test ends)."""
    holders: list[subprocess.Popen[str]] = []

    def hold(path: Path) -> Callable[[], None]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"

        def release() -> None:
            if proc.poll() is None:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=30)

        return release

    yield hold
    for proc in holders:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _documents(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        con.close()


def _waiting_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "正在等待" in line]


def test_a_second_ingest_waits_then_fails_with_its_own_status(db_path, held_lock):
    before = _documents(db_path)
    release = held_lock(db_path)
    started = time.monotonic()
    result = run_cli("ingest", "--db", str(db_path), "--wait", "0.6", str(REPORT))
    waited = time.monotonic() - started
    release()
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert 0.6 <= waited < 10
    assert len(_waiting_lines(result.stderr)) == 1, result.stderr
    assert db_path.name in _waiting_lines(result.stderr)[0]
    last = result.stderr.strip().splitlines()[-1]
    assert str(db_path) in last and "0.6 秒" in last and "Traceback" not in result.stderr
    assert _documents(db_path) == before  # nothing written


def test_the_wait_comes_from_the_environment(db_path, held_lock, monkeypatch):
    monkeypatch.setenv(store.LOCK_WAIT_ENV, "0.3")
    release = held_lock(db_path)
    started = time.monotonic()
    result = run_cli("ingest", "-q", "--db", str(db_path), str(REPORT))
    release()
    assert result.returncode == 3, result.stderr
    assert 0.3 <= time.monotonic() - started < 10
    assert len(_waiting_lines(result.stderr)) == 1  # said even with --quiet: it explains the pause


def test_a_waiting_ingest_goes_on_once_the_lock_is_released(db_path, held_lock):
    release = held_lock(db_path)
    timer = threading.Timer(0.8, release)
    timer.start()
    try:
        result = run_cli("ingest", "--db", str(db_path), "--wait", "60", str(REPORT))
    finally:
        timer.cancel()
        release()
    assert result.returncode == 0, result.stderr
    assert len(_waiting_lines(result.stderr)) == 1
    assert "已载入 002_2958b8ff77e9055f.txt（已存在，已替换）" in result.stdout


@pytest.mark.parametrize("wait", ["-1", "soon", "nan"])
def test_a_bad_wait_is_a_usage_error(tmp_path, wait, monkeypatch):
    result = run_cli("ingest", "--db", str(tmp_path / "x.duckdb"), "--wait", wait, str(REPORT))
    assert result.returncode == 2 and "--wait" in result.stderr
    monkeypatch.setenv(store.LOCK_WAIT_ENV, wait)
    result = run_cli("ingest", "--db", str(tmp_path / "x.duckdb"), str(REPORT))
    assert result.returncode == 2 and store.LOCK_WAIT_ENV in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


# --- the app -----------------------------------------------------------------------------------------


def _app(entry: Path) -> AppTest:
    at = AppTest.from_file(str(entry), default_timeout=60)
    at.run()
    return at


def test_a_page_while_an_ingest_writes_shows_a_calm_message_and_a_retry(entry, db_path, held_lock):
    release = held_lock(db_path)  # a fresh copy: no version of it is cached yet
    at = _app(entry)
    assert not at.exception, [e.message for e in at.exception]
    shown = texts(at)
    assert "数据库正在更新" in shown and "Traceback" not in shown and str(db_path.parent) not in shown
    retry = at.button(key="database_retry")
    assert retry.label == "重试"
    release()
    retry.click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "数据库正在更新" not in texts(at)
    assert at.title[0].value == "总览" and at.metric


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (database.DatabaseMissing("数据库文件不存在：/srv/x.duckdb"), "找不到数据库文件"),
        (store.SchemaTooNew("medfund.duckdb", 9, 2), "升级 MedFund"),
        (duckdb.IOException("IO Error: Could not read from file /srv/x.duckdb"), "读取数据库时出错"),
    ],
    ids=["missing", "too_new", "duckdb_error"],
)
def test_every_database_error_reaches_the_page_as_a_message(entry, db_path, monkeypatch, error, message):
    from dashboard.web import data

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(data, "version", fail)
    at = _app(entry)
    at.switch_page(str(ROOT / "pages/trends.py")).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = texts(at)
    assert message in shown and "/srv" not in shown
    assert at.button(key="database_retry").label == "重试"


def test_a_query_failing_inside_a_page_is_caught_too(entry, db_path, monkeypatch):
    from dashboard.web import data

    query = data.query

    def busy_for_indicators(name, **params):
        if name == "indicators":  # the page's own query, after the shared sidebar read fine
            raise database.DatabaseBusy("数据库 medfund.duckdb 正在被其他程序写入")
        return query(name, **params)

    monkeypatch.setattr(data, "query", busy_for_indicators)
    at = _app(entry)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "总览" and "数据库正在更新" in texts(at)
    assert at.multiselect(key="region").value  # the sidebar filters are there
    assert at.button(key="database_retry").label == "重试"


def test_no_traceback_reaches_a_browser():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
