"""Reading files in worker processes (pipelines/workers.py) while one process writes.

The parallel path keeps every guarantee of the serial one: results in the order given, a bad file
failing alone, a database equal to a one-core ingest — and a worker that dies takes no other file
down."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import types
from pathlib import Path

import duckdb
import pytest

from pipelines import store, workers
from pipelines.ingest import ingest

REPORTS = Path(__file__).resolve().parents[1] / "data" / "reports"


def _length(path: Path) -> int:
    return len(path.read_text(encoding="utf-8"))


def _dies_on_seven(path: Path) -> int:
    if path.stem.endswith("07"):
        os._exit(3)  # as if the worker were killed for memory
    return _length(path)


def _pid(path: Path) -> int:
    return os.getpid()


def _crashed(path: Path) -> int:
    return -1


def _rules_ready(path: Path) -> bool:
    """Whether this worker had its extractor before reading anything (the fork server's warm-up)."""
    from pipelines import ingest as ingest_module

    return ingest_module._extractor.cache_info().currsize == 1


def _files(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"f{i:02d}.txt"
        path.write_text("字" * (i + 1), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def plain_main(monkeypatch):
    """A main module workers need not run again (pytest-xdist's own is a ``-c`` string, which
    workers.main_runs_again treats as a script: files would be read in the test's process)."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


def test_workers_start_with_the_rules_compiled(tmp_path, plain_main):
    # pipelines/warm.py, imported by the fork server: no worker compiles the rules on its first file
    paths = _files(tmp_path, workers.PARALLEL_FROM)
    assert [ready for _, ready in workers.readings(paths, _rules_ready, _crashed, 2)] == [True] * len(paths)


def test_files_are_read_by_workers_in_the_order_given(tmp_path, plain_main):
    paths = _files(tmp_path, workers.PARALLEL_FROM + 9)
    got = list(workers.readings(paths, _length, _crashed, workers=2))
    assert got == [(p, i + 1) for i, p in enumerate(paths)]
    pids = {pid for _, pid in workers.readings(paths, _pid, _crashed, workers=2)}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2  # read by the workers


def test_a_worker_that_dies_fails_its_own_file_only(tmp_path, plain_main):
    paths = _files(tmp_path, workers.PARALLEL_FROM + 4)
    got = dict(workers.readings(paths, _dies_on_seven, _crashed, workers=2))
    assert got.pop(tmp_path / "f07.txt") == -1
    assert got == {p: int(p.stem[1:]) + 1 for p in paths if p.stem != "f07"}


def test_a_worker_that_dies_while_the_writer_is_busy_loses_no_file(tmp_path, plain_main):
    paths = _files(tmp_path, workers.PARALLEL_FROM + 12)
    got = {}
    for path, result in workers.readings(paths, _dies_on_seven, _crashed, workers=2):
        time.sleep(0.2)  # a slow writer: the pool breaks while files wait to be submitted
        got[path] = result
    assert list(got) == paths
    assert got[tmp_path / "f07.txt"] == -1
    assert all(r == int(p.stem[1:]) + 1 for p, r in got.items() if p.stem != "f07")


def test_a_main_script_run_by_path_is_never_run_again_by_workers(tmp_path, monkeypatch):
    """Streamlit runs app.py as __main__ from its path: workers would start the app again."""
    app = types.ModuleType("__main__")
    app.__file__ = str(tmp_path / "app.py")
    monkeypatch.setitem(sys.modules, "__main__", app)
    assert workers.main_runs_again()
    paths = _files(tmp_path, workers.PARALLEL_FROM + 2)
    pids = {pid for _, pid in workers.readings(paths, _pid, _crashed, workers=2)}
    assert pids == {os.getpid()}


def test_a_module_run_with_dash_m_is_safe_for_workers(monkeypatch):
    main = types.ModuleType("__main__")
    main.__file__ = "/somewhere/pipelines/__main__.py"
    main.__spec__ = importlib.util.spec_from_loader("pipelines.__main__", loader=None)
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert not workers.main_runs_again()


def test_few_files_or_one_worker_are_read_in_this_process(tmp_path):
    paths = _files(tmp_path, 3)
    assert [r for _, r in workers.readings(paths, _length, _crashed, workers=2)] == [1, 2, 3]
    assert [r for _, r in workers.readings(paths, _length, _crashed, workers=1)] == [1, 2, 3]


def test_workers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEDFUND_WORKERS", "3")
    assert workers.default_workers() == 3
    monkeypatch.setenv("MEDFUND_WORKERS", "zero")
    assert workers.default_workers() == (os.cpu_count() or 1)


def _rows(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "facts": con.execute("SELECT * EXCLUDE (fact_id) FROM fund_facts ORDER BY ALL").fetchall(),
            "reports": con.execute(
                "SELECT * EXCLUDE (ingested_at, source_path) FROM report ORDER BY doc_id"
            ).fetchall(),
            "indicators": con.execute("SELECT * FROM indicators_by_basis ORDER BY ALL").fetchall(),
            "rejections": con.execute("SELECT count(*) FROM rejections").fetchall(),
        }
    finally:
        con.close()


@pytest.mark.slow
def test_an_ingest_on_two_cores_writes_what_one_core_writes(tmp_path, plain_main):
    folder = tmp_path / "reports"
    folder.mkdir()
    seeds = sorted(REPORTS.glob("*.txt"))
    for i in range(workers.PARALLEL_FROM + 3):
        (folder / f"{i:02d}.txt").write_text(
            f"副本{i}\n" + seeds[i % len(seeds)].read_text(encoding="utf-8"), encoding="utf-8"
        )
    (folder / "bad.docx").write_bytes(b"not a zip")
    (folder / "empty.txt").write_bytes(b"")
    files = sorted(folder.iterdir())
    outcomes = {}
    for n in (1, 2):
        con = store.connect(tmp_path / f"w{n}.duckdb")
        try:
            outcomes[n] = [(o.path.name, o.ok, o.n_facts) for o in ingest(con, files, n_workers=n)]
        finally:
            con.close()
    assert outcomes[1] == outcomes[2]
    assert [name for name, ok, _ in outcomes[2] if not ok] == ["bad.docx", "empty.txt"]
    assert _rows(tmp_path / "w1.duckdb") == _rows(tmp_path / "w2.duckdb")


def test_the_writer_runs_duckdb_on_one_thread_while_workers_read_and_gives_its_threads_back(tmp_path):
    # worker processes keep the cores busy: the writer's own DuckDB threads would only add overhead
    folder = tmp_path / "reports"
    folder.mkdir()
    seed = sorted(REPORTS.glob("*.txt"))[0].read_text(encoding="utf-8")
    files = []
    for i in range(3):
        files.append(folder / f"{i}.txt")
        files[-1].write_text(f"副本{i}\n{seed}", encoding="utf-8")
    con = store.connect(tmp_path / "t.duckdb")
    try:
        con.execute("SET threads = 2")
        threads = lambda: con.execute("SELECT current_setting('threads')").fetchone()[0]  # noqa: E731
        during: list[int] = []
        ingest(con, files, progress=lambda _: during.append(threads()), n_workers=2)
        assert during == [1, 1, 1]
        assert threads() == 2
        ingest(con, files, progress=lambda _: during.append(threads()), n_workers=1)
        assert during[3:] == [2, 2, 2]  # one worker: this process reads, DuckDB keeps its threads
    finally:
        con.close()
