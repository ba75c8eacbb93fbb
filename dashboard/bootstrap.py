"""First start: build the database from the bundled reports when there is none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from dashboard import db
from pipelines import store
from pipelines.ingest import Outcome, expand_paths, ingest

REPORTS_DIR = db.ROOT / "data" / "reports"


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


@st.cache_resource(show_spinner=False)
def _build_once(path: str) -> list[Outcome]:
    """One build per process, however many sessions open the first page at once."""
    target = Path(path)
    with st.status(f"首次启动：正在从 {REPORTS_DIR.name}/ 中的报告建立数据库…", expanded=True) as status:
        bar = st.progress(0.0, text="准备中…")

        def show(n: int, total: int, outcome: Outcome) -> None:
            mark = "✓" if outcome.ok else "✗"
            bar.progress(n / max(total, 1), text=f"{mark} {outcome.path.name}（{n}/{total}）")

        outcomes = build_database(target, REPORTS_DIR, show)
        failed = [o for o in outcomes if not o.ok]
        for o in failed:
            st.warning(o.error or o.path.name)
        loaded = len(outcomes) - len(failed)
        status.update(label=f"数据库已建立：载入 {loaded} 份报告", state="complete", expanded=bool(failed))
    return outcomes


def ensure_database() -> None:
    path = db.database_path()
    if not path.exists():
        _build_once(str(path))
