"""What editors (data stewards) do to the database: import, correct, remove.

Every function here takes the caller's :class:`~dashboard.core.auth.Editor` and refuses without
a live editor session (``auth.require_editor``), whatever the page did before calling it.
Writes go through the pipeline's own code (the same ingest as the command line; the
corrections module) on a short read-write connection to the MedFund file; the dashboard's
cached copy notices the file changed and reloads on the next query.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from dashboard.core import auth, database
from pipelines import corrections, limits, store
from pipelines.ingest import Outcome, ingest, process_file
from pipelines.models import Correction
from pipelines.readers import SUPPORTED_SUFFIXES, ReadError
from pipelines.store import DocumentRows, ReportOverride

UPLOADS_DIR = "uploads"  # beside the database file: the originals of the imported reports, kept
STAGING_DIR = ".upload-staging"  # beside it: uploads being previewed, removed unless imported
STALE_STAGING = 24 * 3600  # seconds after which an abandoned staging folder is removed
# the reader's own limit, so the page states (and the uploader enforces) the one that applies
MAX_UPLOAD_BYTES = limits.MAX_FILE_BYTES
MAX_UPLOAD_MB = max(1, MAX_UPLOAD_BYTES // (1024 * 1024))
UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
NAME_CHARS = 120  # a report's file name as kept (longer ones are cut before their extension)
NAME_BYTES = 200  # a stored file's name on disk, in UTF-8 (file systems allow 255)


@contextmanager
def _writable() -> Iterator[duckdb.DuckDBPyConnection]:
    path = database.database_path()
    with database.FILE_LOCK:  # not while this process reads the file (a snapshot, a report's text)
        try:
            con = store.connect(path)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            # DuckDB's own words (kept as the cause) name the other process's interpreter path
            raise database.DatabaseBusy(
                f"数据库 {path.name} 正被其他程序使用（例如命令行导入），请稍后再试。"
            ) from exc
        try:
            yield con
        finally:
            con.close()


# --- bringing reports in --------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """An uploaded file waiting for the steward's decision."""

    name: str  # the name it was uploaded under (made safe): the report's file name
    path: Path  # where it waits, under a name that fits any file system


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


def _split(name: str) -> tuple[str, str]:
    suffix = Path(name).suffix
    if not 1 < len(suffix) <= 10:
        return name, ""
    return name[: -len(suffix)], suffix


def _shorten(name: str, chars: int, max_bytes: int | None = None) -> str:
    """`name` cut (with …) before its extension until it fits `chars` characters and `max_bytes`."""

    def fits(candidate: str) -> bool:
        return len(candidate) <= chars and (max_bytes is None or len(candidate.encode()) <= max_bytes)

    if fits(name):
        return name
    stem, suffix = _split(name)
    while stem and not fits(stem + "…" + suffix):
        stem = stem[:-1]
    return stem + "…" + suffix


def report_name(name: str) -> str:
    """An uploaded file's name as kept: its last path part, control characters replaced, at most
    NAME_CHARS characters with its extension."""
    base = re.sub(r"[\x00-\x1f\x7f]", "_", Path(name.replace("\\", "/")).name).strip()
    return _shorten(base or "report", NAME_CHARS)


def disk_name(name: str) -> str:
    """The name an upload is stored under: the report's name, not hidden, within NAME_BYTES."""
    return _shorten(report_name(name).lstrip(".") or "report", NAME_CHARS, NAME_BYTES)


def _staging(editor: auth.Editor) -> Path:
    """This editor session's staging folder (beside the database, not in uploads/)."""
    session = hashlib.sha256(editor.token.encode()).hexdigest()[:16]
    return database.database_path().parent / STAGING_DIR / session


def _sweep_stale(root: Path, now: float | None = None) -> None:
    """Staging folders of sessions long gone (a closed browser, a stopped server) are removed."""
    now = time.time() if now is None else now
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            if now - folder.stat().st_mtime > STALE_STAGING:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def stage_upload(editor: auth.Editor | None, name: str, data: bytes) -> Staged:
    """Keep an uploaded file in this session's staging folder (by content) to preview it; only
    :func:`import_reports` moves it into uploads/, and :func:`discard_staged` removes the rest."""
    who = auth.require_editor(editor)
    digest = hashlib.sha256(data).hexdigest()
    root = _staging(who)
    _sweep_stale(root.parent)
    folder = root / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(root)  # in use: not stale
    path = folder / disk_name(name)
    if not path.exists():
        partial = path.with_name(f".{digest[:16]}.part")
        partial.write_bytes(data)
        os.replace(partial, path)
    return Staged(report_name(name), path)


def discard_staged(editor: auth.Editor | None, keep: Iterable[Staged] = ()) -> None:
    """Remove this session's staged files except `keep` (the uploads still shown for import)."""
    who = auth.require_editor(editor)
    root = _staging(who)
    if not root.is_dir():
        return
    kept = {s.path for s in keep}
    for folder in list(root.iterdir()):
        for path in list(folder.iterdir()) if folder.is_dir() else [folder]:
            if path not in kept:
                path.unlink(missing_ok=True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if not any(root.iterdir()):
        root.rmdir()


def preview(editor: auth.Editor | None, staged: Staged, override: ReportOverride | None = None) -> Preview:
    """Read, extract and check a staged file without writing anything."""
    auth.require_editor(editor)
    if staged.path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kinds = "、".join(sorted(SUPPORTED_SUFFIXES))
        return Preview(staged, error=f"{staged.name}：不支持的文件类型（支持 {kinds}）")
    try:
        rows = _read(staged.path, override)
    except ReadError as exc:
        return Preview(staged, error=f"{staged.name}: {exc.reason}")
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
) -> list[tuple[str, Outcome]]:
    """Write the previewed files through the command line's ingest, in one transaction; each
    outcome with the file's name.

    Only what is written stays: the files move from staging into uploads/ (named by content);
    the others staged in this session, and any whose writing failed, are removed.  A steward's
    region/year for a file is remembered, so later re-ingests keep it."""
    who = auth.require_editor(editor)
    previews = [(p, o) for p, o in items if p.ok]
    if not previews:
        discard_staged(who)
        return []
    overrides = {p.rows.doc.doc_id: o for p, o in previews if o and p.rows}
    uploads = database.database_path().parent / UPLOADS_DIR
    names: dict[Path, str] = {}
    created: set[Path] = set()
    for p, _ in previews:
        target = uploads / p.rows.doc.doc_id[:16] / p.staged.path.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p.staged.path, target)
            created.add(target)
        names[target] = p.staged.name
    try:
        with _writable() as con:
            outcomes = ingest(con, list(names), batch_size=len(names), overrides=overrides)
            for outcome in outcomes:
                if not outcome.ok:
                    continue
                if outcome.doc_id in overrides:
                    store.set_override(con, outcome.doc_id, overrides[outcome.doc_id], who.name)
                if names[outcome.path] != outcome.path.name:  # a name too long for the file system
                    store.set_file_name(con, outcome.doc_id, names[outcome.path])
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    else:
        for outcome in outcomes:
            if not outcome.ok and outcome.path in created:
                outcome.path.unlink(missing_ok=True)
    finally:  # no empty folders left behind, whether the import went through or not
        for path in created:
            if path.parent.is_dir() and not any(path.parent.iterdir()):
                path.parent.rmdir()
    discard_staged(who)
    return [(names[o.path], o) for o in outcomes]


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


def confirm_fact(editor: auth.Editor | None, fact_id: str, reason: str = "核对原文无误") -> Correction:
    """Vouch for a `review` figure as read: it reaches the indicators (one click in 待核查)."""
    who = auth.require_editor(editor)
    _require_reason(reason)
    with _writable() as con:
        return corrections.confirm(con, fact_id, reason, who.name)


def add_fact(
    editor: auth.Editor | None, doc_id: str, quote: str, figure: dict[str, Any], reason: str
) -> Correction:
    who = auth.require_editor(editor)
    _require_reason(reason)
    with _writable() as con:
        return corrections.add(con, doc_id, quote, figure, reason, who.name)
