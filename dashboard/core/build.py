"""First start: build a database file from the bundled reports, with the human review of the public
texts (data/reports/public/reviews.csv, pipelines/reviews.py) applied as a steward's corrections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from dashboard.core.database import ROOT
from pipelines import reviews, store
from pipelines.ingest import Outcome, expand_paths, ingest

REPORTS_DIR = ROOT / "data" / "reports"
# the default data set: the five bundled reports and the real public texts beside them (each with
# its sidecar holding its public address); a folder's ingest does not enter sub-folders
DEFAULT_FOLDERS = (REPORTS_DIR, REPORTS_DIR / "public")


def report_files(folders: Sequence[Path]) -> list[Path]:
    """Every report of the folders that exist, folder by folder."""
    existing = [folder for folder in folders if folder.is_dir()]
    return expand_paths(existing)[0] if existing else []


def review_files(folders: Sequence[Path]) -> list[Path]:
    """The reviews files of the folders (``reviews.csv`` beside the reports it reviews)."""
    return [folder / reviews.FILE_NAME for folder in folders if (folder / reviews.FILE_NAME).is_file()]


def build_database(
    path: Path,
    folders: Sequence[Path] = DEFAULT_FOLDERS,
    on_progress: Callable[[int, int, Outcome], None] | None = None,
    on_review: Callable[[Path], None] | None = None,
) -> list[Outcome]:
    """Ingest every report of the folders into a new database file at `path`, then apply each
    folder's reviews file (as ``./dev.sh run`` does; ``on_review`` is told which, before).

    The file is built under a temporary name and renamed when complete, so an interrupted
    first start never leaves a half-built database behind.
    """
    files = report_files(folders)
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
        for listed in review_files(folders):
            if on_review:
                on_review(listed)
            reviews.apply_file(con, listed)
    finally:
        con.close()
    building.replace(path)
    return outcomes
