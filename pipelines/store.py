"""The DuckDB file: schema, and writing one document's rows all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.models import CheckResult, Document, Fact, Rejection

SQL_DIR = Path(__file__).with_name("sql")
SCHEMA_FILES = ("schema.sql", "indicators.sql")

_REPORT_COLUMNS = {
    "doc_id": pl.String,
    "file_name": pl.String,
    "source_path": pl.String,
    "text": pl.String,
    "reader": pl.String,
    "encoding": pl.String,
    "size_bytes": pl.Int64,
    "report_year": pl.Int32,
    "year_evidence": pl.String,
    "genre": pl.String,
    "region_code": pl.String,
    "region_name": pl.String,
    "region_level": pl.String,
    "region_parent_code": pl.String,
    "region_confidence": pl.String,
    "region_evidence": pl.List(pl.String),
    "n_facts": pl.Int32,
    "n_rejections": pl.Int32,
    "warnings": pl.List(pl.String),
    "extractor_version": pl.String,
    "ingested_at": pl.Datetime("us"),
}
_FACT_COLUMNS = {
    "fact_id": pl.String,
    "doc_id": pl.String,
    "region_code": pl.String,
    "region_name": pl.String,
    "region_level": pl.String,
    "year": pl.Int32,
    "fund": pl.String,
    "metric": pl.String,
    "item": pl.String,
    "basis": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "derived": pl.Boolean,
    "quote": pl.String,
    "quote_start": pl.Int32,
    "quote_end": pl.Int32,
    "rule_id": pl.String,
    "rules": pl.List(pl.String),
}
_CHECK_COLUMNS = {
    "doc_id": pl.String,
    "seq": pl.Int32,
    "check_id": pl.String,
    "severity": pl.String,
    "message": pl.String,
    "region_code": pl.String,
    "year": pl.Int32,
    "fund": pl.String,
    "metric": pl.String,
    "item": pl.String,
    "basis": pl.String,
    "expected": pl.Float64,
    "actual": pl.Float64,
    "fact_ids": pl.List(pl.String),
    "quote": pl.String,
}


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a MedFund database with its schema in place."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name in SCHEMA_FILES:
        con.execute((SQL_DIR / name).read_text(encoding="utf-8"))


def schema_current(path: Path) -> bool:
    """Whether a database file already has every table and view of this version's schema."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = {
            r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
    finally:
        con.close()
    return {"correction_log", "fund_facts", "indicators_by_basis"} <= names


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@dataclass(frozen=True)
class DocumentRows:
    """One document and everything read from it."""

    doc: Document
    facts: list[Fact]
    rejections: list[Rejection]
    checks: list[CheckResult]


def replace_documents(
    con: duckdb.DuckDBPyConnection, batch: list[DocumentRows], extractor_version: str
) -> None:
    """Write documents in one transaction, each replacing any earlier copy of itself.

    Either every document of the batch is written whole or nothing is; callers that want
    one document's failure not to affect others retry the batch one document at a time.
    """
    if not batch:
        return
    ids = [rows.doc.doc_id for rows in batch]
    if len(set(ids)) != len(ids):
        raise ValueError("a batch must not hold the same document twice")
    previous = dict(
        con.execute("SELECT doc_id, ingested_at FROM report WHERE list_contains(?, doc_id)", [ids]).fetchall()
    )
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        if previous:  # re-ingest: the new reading replaces the old one whole
            for table in ("fact", "rejections", "checks", "report"):
                con.execute(f"DELETE FROM {table} WHERE list_contains(?, doc_id)", [list(previous)])
        reports = [_report_row(r.doc, extractor_version, previous.get(r.doc.doc_id, now)) for r in batch]
        _insert_frame(con, "report", pl.DataFrame(reports, schema=_REPORT_COLUMNS))
        _insert_frame(con, "fact", _fact_frame([f for r in batch for f in r.facts]))
        _insert_frame(con, "rejections", pl.concat([_rejection_frame(r.rejections) for r in batch]))
        _insert_frame(con, "checks", pl.concat([_check_frame(r.checks) for r in batch]))


def _report_row(doc: Document, version: str, ingested_at: datetime) -> dict[str, Any]:
    row = doc.model_dump(exclude={"region_evidence", "warnings"})
    row.update(
        region_evidence=list(doc.region_evidence),
        warnings=list(doc.warnings),
        extractor_version=version,
        ingested_at=ingested_at,
    )
    return {name: row[name] for name in _REPORT_COLUMNS}


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a frame whose columns are the table's, in the table's order."""
    if frame.height:  # positional: tests/test_views.py checks the frames match schema.sql
        con.from_arrow(frame.to_arrow()).insert_into(table)


def _fact_frame(facts: list[Fact]) -> pl.DataFrame:
    rows = []
    for f in facts:
        d = f.model_dump()
        d["quote_start"] = d.pop("start")
        d["quote_end"] = d.pop("end")
        d["rules"] = list(d["rules"])
        rows.append(d)
    return pl.DataFrame(rows, schema=_FACT_COLUMNS)


_REJECTION_COLUMNS = {
    "doc_id": pl.String,
    "seq": pl.Int32,
    "reason": pl.String,
    "quote": pl.String,
    "quote_start": pl.Int32,
    "quote_end": pl.Int32,
    "rule_id": pl.String,
    "candidate": pl.String,
}
TABLE_COLUMNS = {
    "report": _REPORT_COLUMNS,
    "fact": _FACT_COLUMNS,
    "rejections": _REJECTION_COLUMNS,
    "checks": _CHECK_COLUMNS,
}


def _rejection_frame(rejections: list[Rejection]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = [
        {
            "doc_id": r.doc_id,
            "seq": i,
            "reason": r.reason,
            "quote": r.quote,
            "quote_start": r.start,
            "quote_end": r.end,
            "rule_id": r.rule_id,
            "candidate": json.dumps(r.candidate, ensure_ascii=False, default=str),
        }
        for i, r in enumerate(rejections)
    ]
    return pl.DataFrame(rows, schema=_REJECTION_COLUMNS)


def _check_frame(checks: list[CheckResult]) -> pl.DataFrame:
    rows = []
    for i, c in enumerate(checks):
        d = c.model_dump()
        d["seq"] = i
        d["fact_ids"] = list(d["fact_ids"])
        rows.append(d)
    return pl.DataFrame(rows, schema=_CHECK_COLUMNS)


def document_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT doc_id FROM report").fetchall()}


@dataclass(frozen=True)
class ReportOverride:
    """Region and report year a steward set for a document; None keeps the detected one."""

    region_code: str | None = None
    report_year: int | None = None


def report_overrides(con: duckdb.DuckDBPyConnection) -> dict[str, ReportOverride]:
    rows = con.execute("SELECT doc_id, region_code, report_year FROM report_override").fetchall()
    return {doc_id: ReportOverride(code, year) for doc_id, code, year in rows}


def set_override(con: duckdb.DuckDBPyConnection, doc_id: str, override: ReportOverride, author: str) -> None:
    """Remember a steward's region/year for a document (used by every later ingest of it)."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        con.execute("DELETE FROM report_override WHERE doc_id = ?", [doc_id])
        if override != ReportOverride():
            con.execute(
                "INSERT INTO report_override VALUES (?, ?, ?, ?, ?)",
                [doc_id, override.region_code, override.report_year, author, now],
            )


def remove_document(con: duckdb.DuckDBPyConnection, doc_id: str, reason: str, author: str) -> int:
    """Remove a report and everything read from it, in one transaction; returns its number of facts.

    Its corrections stay (with who and why), and apply again if the report is brought back."""
    rows = con.execute("SELECT file_name, n_facts FROM report WHERE doc_id = ?", [doc_id]).fetchall()
    if not rows:
        raise KeyError(f"报告 {doc_id[:12]} 不在库中")
    file_name, n_facts = rows[0]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        for table in ("fact", "rejections", "checks", "report"):
            con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])
        con.execute(
            "INSERT INTO report_removal VALUES (?, ?, ?, ?, ?, ?)",
            [doc_id, file_name, n_facts, reason, author, now],
        )
    return int(n_facts or 0)
