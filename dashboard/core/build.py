"""First start: build a database file from the bundled reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dashboard.core.database import ROOT
from pipelines import store
from pipelines.ingest import Outcome, expand_paths, ingest

REPORTS_DIR = ROOT / "data" / "reports"


def build_database(
    path: Path, reports_dir: Path, on_progress: Callable[[int, int, Outcome], None] | None = None
) -> list[Outcome]:
    """Ingest every report of a folder into a new database file at `path`.

    The file is built under a temporary name and renamed when complete, so an interrupted
    first start never leaves a half-built database behind.
    """
    files, _ = expand_paths([reports_dir]) if reports_dir.is_dir() else ([], [])
    building = path.with_name(path.name + ".building")
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    done: list[Outcome] = []

    def progress(outcome: Outcome) -> None:
        done.append(outcome)
        if on_progress:
            on_progress(len(done), len(files), outcome)

    con = store.connect(building)
    try:
        outcomes = ingest(con, files, progress=progress, batch_size=1)
    finally:
        con.close()
    building.replace(path)
    return outcomes
