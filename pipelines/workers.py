"""Reading report files in worker processes while one process writes: both cores used.

``readings(paths, read, workers)`` yields ``(path, read(path))`` in the order given.  With more
than one worker and enough files, ``read`` runs in a pool of processes started by a fork server
(never forked from a process holding database threads); at most a few files per worker are in
flight, so memory stays bounded however many files there are and however slowly they are
written.  A worker that dies (killed for memory, a crash in a parser) takes no other file down:
the files it may have held are read again one by one in a fresh process, and the one that kills
that too gets ``on_crash(path)`` as its result.  Where a worker would run the main script
again (a script run by path, such as Streamlit's app.py) the files are read in this process.  The
caller writes; nothing here touches a database.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# fewer files than this are read in the calling process (starting workers costs about a second)
PARALLEL_FROM = 12
IN_FLIGHT_PER_WORKER = 16  # enough that workers keep reading while a batch is written


def default_workers() -> int:
    """MEDFUND_WORKERS, else one per core this process may run on."""
    configured = os.environ.get("MEDFUND_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main_runs_again() -> bool:
    """Whether a worker would run the main script again before reading a file.

    A worker started by the fork server first imports the parent's main module: by name when it
    was run with ``python -m`` (safe: its ``__main__`` guard holds), but from its path when it was
    run as a script, and Streamlit runs app.py as ``__main__`` from its path — each worker would
    start the app (and its first-start ingest) again.  Files are then read in this process."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", None) is None and getattr(main, "__file__", None) is not None


def readings(
    paths: Sequence[Path],
    read: Callable[[Path], T],
    on_crash: Callable[[Path], T],
    workers: int | None = None,
) -> Iterator[tuple[Path, T]]:
    """``(path, read(path))`` for every path, in order; ``read`` must be a module-level function."""
    n = default_workers() if workers is None else workers
    if n <= 1 or len(paths) < PARALLEL_FROM or main_runs_again():
        for path in paths:
            yield path, read(path)
        return
    yield from _pooled(paths, read, on_crash, n)


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # the fork server imports the pipeline and compiles its rules once (pipelines/warm.py); each
    # worker starts from it with its modules loaded and its rules ready
    context.set_forkserver_preload(["pipelines.ingest", "pipelines.warm"])
    return ProcessPoolExecutor(workers, mp_context=context)


def _pooled(
    paths: Sequence[Path], read: Callable[[Path], T], on_crash: Callable[[Path], T], workers: int
) -> Iterator[tuple[Path, T]]:
    todo = iter(paths)
    pool = _pool(workers)
    window: deque[tuple[Path, Future[T] | None]] = deque()
    try:
        while True:
            try:
                while len(window) < workers * IN_FLIGHT_PER_WORKER and (path := next(todo, None)) is not None:
                    window.append((path, None))  # held before submitting: a broken pool loses no file
                    window[-1] = (path, pool.submit(read, path))
                if not window:
                    return
                path, future = window[0]
                result = future.result()  # type: ignore[union-attr]  (None only while submitting)
            except BrokenProcessPool:
                # some worker died: every file in flight is suspect; each is read alone
                held = [p for p, _ in window]
                window.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                for suspect in held:
                    yield suspect, _alone(suspect, read, on_crash)
                pool = _pool(workers)
                continue
            window.popleft()
            yield path, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _alone(path: Path, read: Callable[[Path], T], on_crash: Callable[[Path], T]) -> T:
    """``read(path)`` in a process of its own; ``on_crash(path)`` if that process dies."""
    with _pool(1) as pool:
        try:
            return pool.submit(read, path).result()
        except BrokenProcessPool:
            return on_crash(path)
