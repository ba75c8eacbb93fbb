"""What editors (data stewards) do to the database: import, correct, remove.

Every function here takes the caller's :class:`~dashboard.core.auth.Editor` and refuses without
a live editor session (``auth.require_editor``), whatever the page did before calling it.
Writes go through the pipeline's own code (the same ingest as the command line; the
corrections module) on a short read-write connection to the MedFund file; the dashboard's
cached copy notices the file changed and reloads on the next query.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from dashboard.core import auth, database
from pipelines import corrections, store
from pipelines.ingest import Outcome, ingest, process_file
from pipelines.models import Correction
from pipelines.readers import SUPPORTED_SUFFIXES, ReadError
from pipelines.store import DocumentRows, ReportOverride

UPLOADS_DIR = "uploads"  # beside the database file: the original files, kept
MAX_UPLOAD_MB = 50
UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)


@contextmanager
def _writable() -> Iterator[duckdb.DuckDBPyConnection]:
    path = database.database_path()
    try:
        con = store.connect(path)
    except duckdb.IOException as exc:
        raise database.DatabaseBusy(
            f"数据库 {path.name} 正被其他程序使用（例如命令行导入），请稍后再试。（{exc}）"
        ) from exc
    try:
        yield con
    finally:
        con.close()


# --- bringing reports in --------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """An uploaded file saved for import."""

    name: str
    path: Path


@dataclass(frozen=True)
class Preview:
    """What importing a file would write, before anything is written."""

    staged: Staged
    rows: DocumentRows | None = None
    error: str | None = None
    existing: dict[str, Any] | None = None  # the library's copy, when the file is already in it

    @property
    def ok(self) -> bool:
        return self.rows is not None


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip() or "report"
    return re.sub(r"[\x00-\x1f/]", "_", base)[:120]


def stage_upload(editor: auth.Editor | None, name: str, data: bytes) -> Staged:
    """Keep an uploaded file beside the database (by content), to read and import it from there."""
    auth.require_editor(editor)
    digest = hashlib.sha256(data).hexdigest()
    folder = database.database_path().parent / UPLOADS_DIR / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe_name(name)
    if not path.exists():
        path.write_bytes(data)
    return Staged(name, path)


def preview(editor: auth.Editor | None, staged: Staged, override: ReportOverride | None = None) -> Preview:
    """Read, extract and check a staged file without writing anything."""
    auth.require_editor(editor)
    if staged.path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kinds = "、".join(sorted(SUPPORTED_SUFFIXES))
        return Preview(staged, error=f"{staged.name}：不支持的文件类型（支持 {kinds}）")
    try:
        rows = _read(staged.path, override)
    except ReadError as exc:
        return Preview(staged, error=str(exc))
    except Exception as exc:  # an extractor failure on this file must not take the page down
        return Preview(staged, error=f"{staged.name}：处理时出错（{type(exc).__name__}: {exc}）")
    return Preview(staged, rows=rows, existing=existing_report(rows.doc.doc_id))


@lru_cache(maxsize=32)
def _read(path: Path, override: ReportOverride | None) -> DocumentRows:
    """A staged file's reading (staged files are named by their content, so never change)."""
    first = process_file(path)
    if override is None:
        return first
    return process_file(path, overrides={first.doc.doc_id: override})


def existing_report(doc_id: str) -> dict[str, Any] | None:
    if not database.database_path().exists():
        return None
    found = database.run_file_query(str(database.database_path()), "document_by_id", doc_id=doc_id)
    return found.row(0, named=True) if found.height else None


def import_reports(
    editor: auth.Editor | None, items: list[tuple[Preview, ReportOverride | None]]
) -> list[Outcome]:
    """Write the previewed files through the command line's ingest, in one transaction.

    A steward's region/year for a file is remembered, so later re-ingests keep it."""
    who = auth.require_editor(editor)
    previews = [(p, o) for p, o in items if p.ok]
    if not previews:
        return []
    overrides = {p.rows.doc.doc_id: o for p, o in previews if o and p.rows}
    with _writable() as con:
        outcomes = ingest(
            con, [p.staged.path for p, _ in previews], batch_size=len(previews), overrides=overrides
        )
        for outcome in outcomes:
            if outcome.ok and outcome.doc_id in overrides:
                store.set_override(con, outcome.doc_id, overrides[outcome.doc_id], who.name)
    return outcomes


def remove_report(editor: auth.Editor | None, doc_id: str, reason: str) -> int:
    """Remove a report and its facts from the library; returns how many facts went with it."""
    who = auth.require_editor(editor)
    _require_reason(reason)
    with _writable() as con:
        return store.remove_document(con, doc_id, reason.strip(), who.name)


# --- correcting figures ---------------------------------------------------------------------


def _require_reason(reason: str) -> None:
    if len(reason.strip()) < 2:
        raise corrections.CorrectionError("请写明原因（至少两个字），它会记入校核记录")


def correct_fact(
    editor: auth.Editor | None, fact_id: str, changes: dict[str, Any], reason: str
) -> Correction:
    who = auth.require_editor(editor)
    _require_reason(reason)
    with _writable() as con:
        return corrections.correct(con, fact_id, changes, reason, who.name)


def reject_fact(editor: auth.Editor | None, fact_id: str, reason: str) -> Correction:
    who = auth.require_editor(editor)
    _require_reason(reason)
    with _writable() as con:
        return corrections.reject(con, fact_id, reason, who.name)


def restore_fact(editor: auth.Editor | None, fact_id: str, reason: str) -> Correction:
    who = auth.require_editor(editor)
    _require_reason(reason)
    with _writable() as con:
        return corrections.restore(con, fact_id, reason, who.name)


def add_fact(
    editor: auth.Editor | None, doc_id: str, quote: str, figure: dict[str, Any], reason: str
) -> Correction:
    who = auth.require_editor(editor)
    _require_reason(reason)
    with _writable() as con:
        return corrections.add(con, doc_id, quote, figure, reason, who.name)
