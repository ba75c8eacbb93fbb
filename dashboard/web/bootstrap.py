"""First start: build the database from the bundled reports when there is none."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.core import database
from dashboard.core.build import REPORTS_DIR, build_database
from dashboard.web import ui
from pipelines.ingest import Outcome


@st.cache_resource(show_spinner=False)
def _build_once(path: str) -> list[Outcome]:
    """One build per process, however many sessions open the first page at once."""
    target = Path(path)
    with st.status(
        f"首次启动：正在从 {REPORTS_DIR.name}/（含 public/ 中的公开文本）建立数据库…", expanded=True
    ) as status:
        bar = st.progress(0.0, text="准备中…")

        def show(n: int, total: int, outcome: Outcome) -> None:
            mark = "✓" if outcome.ok else "✗"
            bar.progress(n / max(total, 1), text=f"{mark} {outcome.path.name}（{n}/{total}）")

        def reviewing(listed: Path) -> None:
            bar.progress(1.0, text=f"应用 {listed.parent.name}/{listed.name} 中的人工标注（记为校核记录）…")

        outcomes = build_database(target, on_progress=show, on_review=reviewing)
        failed = [o for o in outcomes if not o.ok]
        for o in failed:
            st.warning(ui.plain(o.error or o.path.name))
        loaded = len(outcomes) - len(failed)
        status.update(label=f"数据库已建立：载入 {loaded} 份报告", state="complete", expanded=bool(failed))
    return outcomes


def ensure_database() -> None:
    path = database.database_path()
    if not path.exists():
        _build_once(str(path))
