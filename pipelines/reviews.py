"""Reviews of a folder's reports, applied as a steward's corrections.

A reviews file (``reviews.csv`` beside the reports it reviews; data/reports/public/ has one built by
``scripts/build_reviews.py`` from the corpus's blind labels, tests/corpus/batchNN/gold.csv) lists,
per report (by file name and content hash ``doc_id``), the region the report covers and every fund
figure the text states, in the contract's terms.  Applying it does to each report, in one
transaction, what a steward with that list in hand would do:

* the report's region, when it was not detected or detected otherwise, is set as a steward sets it
  (``report_override``) and the report is read again with it;
* an extracted figure a label matches (the scorer's key and tolerance, :mod:`pipelines.evaluate`)
  and still ``review`` is confirmed; one no label matches is rejected, whatever its confidence
  (the labels list every figure of the text); one read at a label's very quote for the label's
  measure but with another value is corrected to the label's value;
* a label no figure matches is added (quoting the text) when it is about the report's region; the
  others are counted with why they could not be applied.

Figures a steward already decided (a correction in force, an addition) are left as they are, and
reports the file does not list are never touched.  Everything is recorded under one author
(``语料标注``) with a reason naming the labels' source, so the correction log says who and why;
a second application finds nothing left to do and writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import duckdb

from pipelines import corpus, corrections, store
from pipelines.evaluate import CONTRACT_KEY, close, key_of
from pipelines.ingest import extractor_version, process_file
from pipelines.normalize import normalize, to_simplified
from pipelines.store import ReportOverride

AUTHOR = "语料标注"
FILE_NAME = "reviews.csv"
# a gold label's columns (pipelines/corpus.py) but its note, after the text's file, hash and region,
# and before the labels' source
COLUMNS = (
    "file",
    "doc_id",
    "report_region_code",
    *(c for c in corpus.GOLD_COLUMNS if c not in ("file", "note")),
    "source",
)

# why a label was not applied (counted by these; the details go with each label)
OTHER_REGION = "属于另一地区（补录只能记入报告所属地区）"
DERIVED = "推算的数字（补录只记原文写明的数字）"
REPORT_ABSENT = "报告不在库中"
READ_FOR_OTHER_REGION = "同一引文已读作另一地区的数据（已否决）；校核不能更改数据的地区"
UNSURE = frozenset({"none", "low"})  # region_confidence of a report whose region a steward should set
QUOTE_NOT_FOUND = "引文在报告原文（规范化后的文字）中找不到"


class ReviewError(ValueError):
    """A reviews file that cannot be read, or a report it cannot be applied to; says why in Chinese."""


@dataclass(frozen=True)
class Label:
    """One figure of a report as its reviewer recorded it."""

    region_code: str
    year: int
    fund: str
    metric: str
    item: str
    basis: str
    period: str | None
    value: float
    unit: str
    derived: bool
    quote: str
    source: str

    def key(self) -> tuple[str, ...]:
        return key_of(self.__dict__, CONTRACT_KEY)

    def figure(self) -> dict[str, Any]:
        """What :func:`pipelines.corrections.add` records."""
        return {k: getattr(self, k) for k in (*corrections.EDITABLE, corrections.PERIOD)}

    def __str__(self) -> str:
        return (
            f"{self.region_code} {self.year} {self.fund}/{self.metric}/{self.item}/{self.basis} = {self.value:g}"
            f"  «{self.quote[:40]}»"
        )


@dataclass(frozen=True)
class ReportReview:
    file: str
    doc_id: str
    region_code: str
    labels: tuple[Label, ...]


@dataclass
class ReportResult:
    """What applying one report's review did (nothing of it stays when ``error`` is set)."""

    file: str
    actions: Counter = field(default_factory=Counter)  # region, confirm, reject, correct, add
    not_applied: list[tuple[Label, str, str]] = field(default_factory=list)  # label, reason, details
    error: str | None = None


@dataclass
class Summary:
    reports: list[ReportResult] = field(default_factory=list)

    @property
    def actions(self) -> Counter:
        total: Counter = Counter()
        for r in self.reports:
            if r.error is None:
                total.update(r.actions)
        return total

    @property
    def not_applied(self) -> Counter:
        return Counter(reason for r in self.reports if r.error is None for _, reason, _ in r.not_applied)

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.reports if r.error is not None]


# --- the file ---------------------------------------------------------------------------------


def _label(row: dict[str, str]) -> Label:
    return Label(
        region_code=row["region_code"],
        year=int(row["year"]),
        fund=row["fund"],
        metric=row["metric"],
        item=row["item"],
        basis=row["basis"],
        period=row["period"] or None,
        value=float(row["value"]),
        unit=row["unit"],
        derived=row["derived"] == "true",
        quote=row["quote"],
        source=row["source"],
    )


def read(path: Path) -> list[ReportReview]:
    """The reviews of a file, one per report, in the file's order."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ReviewError(f"{path.name} 的列应为：{','.join(COLUMNS)}")
        rows = list(reader)
    grouped: dict[str, list[dict[str, str]]] = {}
    for n, row in enumerate(rows, start=2):
        if row["doc_id"] in grouped and grouped[row["doc_id"]][0]["file"] != row["file"]:
            raise ReviewError(f"{path.name} 第 {n} 行：同一份报告（{row['doc_id'][:12]}）有两个文件名")
        grouped.setdefault(row["doc_id"], []).append(row)
    try:
        return [
            ReportReview(
                rows[0]["file"], doc_id, rows[0]["report_region_code"], tuple(_label(r) for r in rows)
            )
            for doc_id, rows in grouped.items()
        ]
    except (KeyError, ValueError) as exc:
        raise ReviewError(f"{path.name} 无法读取：{exc}") from exc


def write_to(stream: TextIO, rows: Iterable[dict[str, Any]]) -> None:
    """Rows in the file's format (its columns, in order; ``\n`` line ends)."""
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


# --- applying ---------------------------------------------------------------------------------


def apply_file(con: duckdb.DuckDBPyConnection, path: Path, author: str = AUTHOR) -> Summary:
    """Apply every report's review of the file (the reports are the files beside it) to the reports
    in the database; those it lists that are not there are counted, never added."""
    listed = read(path)
    present = store.document_ids(con)
    absent = [
        ReportResult(r.file, not_applied=[(label, REPORT_ABSENT, r.file) for label in r.labels])
        for r in listed
        if r.doc_id not in present
    ]
    applied = apply_reports(con, [r for r in listed if r.doc_id in present], path.parent, author)
    return Summary([*applied, *absent])


def apply_reports(
    con: duckdb.DuckDBPyConnection, listed: list[ReportReview], folder: Path, author: str = AUTHOR
) -> list[ReportResult]:
    """The reviews applied, each report whole or not at all.

    Like an ingest's batches: all of them in one transaction (the indicators refreshed once);
    when that fails, one transaction per report, so only the reports that cannot be applied are
    left as they were (with the error)."""
    try:
        with corrections.together(con):
            return _apply_all(con, listed, folder, author)
    except Exception:
        pass
    out = []
    for review in listed:
        try:
            with corrections.together(con):
                out.extend(_apply_all(con, [review], folder, author))
        except Exception as exc:  # rolled back: this report as it was, the others still go
            out.append(ReportResult(review.file, error=f"{type(exc).__name__}: {exc}"))
    return out


def _apply_all(
    con: duckdb.DuckDBPyConnection, listed: list[ReportReview], folder: Path, author: str
) -> list[ReportResult]:
    results = [ReportResult(r.file) for r in listed]
    unsure = [r for r in listed if _needs_region(_report(con, r.doc_id), r)]
    if unsure:
        _set_regions(con, unsure, folder, author)
    facts = _facts(con, [r.doc_id for r in listed])
    for review, result in zip(listed, results, strict=True):
        if review.doc_id in {r.doc_id for r in unsure}:
            result.actions["region"] += 1
        report = _report(con, review.doc_id)
        left = _decide_facts(con, review, facts.get(review.doc_id, []), report["text"], author, result)
        _add_labels(con, review, left, report, facts.get(review.doc_id, []), author, result)
    return results


def _needs_region(report: dict[str, Any], review: ReportReview) -> bool:
    """Not detected, detected otherwise, or detected without confidence (地区把握不大)."""
    return report["region_code"] != review.region_code or report["region_confidence"] in UNSURE


def _decide_facts(
    con: duckdb.DuckDBPyConnection,
    review: ReportReview,
    facts: list[dict[str, Any]],
    text: str,
    author: str,
    result: ReportResult,
) -> list[Label]:
    """Confirm, correct or reject each extracted figure no steward decided; the labels left over."""
    matched, left = _match(facts, review.labels)
    for fact in facts:
        if fact["decided"]:  # a steward's decision (or addition) stands
            continue
        if fact["fact_id"] in matched:
            if fact["confidence"] != "high":
                label = matched[fact["fact_id"]]
                try:  # refused before anything is written: this label is counted, the rest go on
                    corrections.confirm(con, fact["fact_id"], _reason("与人工标注一致", label), author)
                except corrections.CorrectionError as exc:
                    result.not_applied.append((label, str(exc), ""))
                    continue
                result.actions["confirm"] += 1
            continue
        misread = next((lb for lb in left if _misread(fact, lb, text)), None)
        if misread is not None:
            left.remove(misread)
            why = _reason("数值读错，按人工标注更正", misread)
            changes = {"value": misread.value, corrections.PERIOD: misread.period}
            try:
                corrections.correct(con, fact["fact_id"], changes, why, author)
            except corrections.CorrectionError as exc:
                result.not_applied.append((misread, str(exc), ""))
                continue
            result.actions["correct"] += 1
            continue
        why = _reason("人工标注未列出这个数字（标注列出了本文全部基金数据）", review.labels[0])
        corrections.reject(con, fact["fact_id"], why, author)
        result.actions["reject"] += 1
    return left


def _add_labels(
    con: duckdb.DuckDBPyConnection,
    review: ReportReview,
    labels: list[Label],
    report: dict[str, Any],
    facts: list[dict[str, Any]],
    author: str,
    result: ReportResult,
) -> None:
    """Add the labels no figure matched where a steward can; count the others with why not."""
    for label in labels:
        if label.region_code != report["region_code"]:
            details = f"{label.region_code}，报告为 {report['region_code']}"
            result.not_applied.append((label, OTHER_REGION, details))
        elif label.derived:
            result.not_applied.append((label, DERIVED, ""))
        elif (quote := stored_quote(label.quote, report["text"])) is None:
            result.not_applied.append((label, QUOTE_NOT_FOUND, ""))
        else:
            why = _reason("提取遗漏，按人工标注补录", label)
            try:
                corrections.add(con, review.doc_id, quote, label.figure(), why, author)
            except corrections.CorrectionError as exc:
                other = next(
                    (f for f in facts if f["quote"] == quote and key_of(f) == key_of(label.__dict__)), None
                )
                if other is not None and other["region_code"] != label.region_code:
                    result.not_applied.append((label, READ_FOR_OTHER_REGION, other["region_code"]))
                else:
                    result.not_applied.append((label, str(exc), ""))
                continue
            result.actions["add"] += 1


def stored_quote(quote: str, text: str) -> str | None:
    """The label's quote as the stored text has it: the text is the report normalised
    (pipelines/normalize.py: full-width digits, pinyin glosses removed, traditional characters
    made simplified …), so the quote is too when it is not found as it is."""
    cleaned = normalize(quote).text.strip()
    for candidate in (quote.strip(), cleaned, to_simplified(cleaned)):
        if candidate and candidate in text:
            return candidate
    return None


def _reason(what: str, label: Label) -> str:
    return f"{what}（{label.source}）"


def _report(con: duckdb.DuckDBPyConnection, doc_id: str) -> dict[str, Any]:
    row = con.execute(
        "SELECT region_code, region_confidence, text FROM report WHERE doc_id = ?", [doc_id]
    ).fetchone()
    if row is None:
        raise ReviewError(f"报告 {doc_id[:12]} 不在库中")
    return {"region_code": row[0], "region_confidence": row[1], "text": row[2]}


def _set_regions(
    con: duckdb.DuckDBPyConnection, listed: list[ReportReview], folder: Path, author: str
) -> None:
    """Set each report's labelled region the way a steward does on 导入, and read them again with it."""
    kept = store.report_overrides(con)
    read = []
    for review in listed:
        path = folder / review.file
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != review.doc_id:
            raise ReviewError(f"{review.file} 不在评审文件旁，或内容已与评审的文本不同")
        override = ReportOverride(review.region_code, kept.get(review.doc_id, ReportOverride()).report_year)
        store.set_override(con, review.doc_id, override, author)
        read.append(process_file(path, overrides={review.doc_id: override}))
    store.replace_documents(con, read, extractor_version())


_FACTS = """
SELECT f.fact_id, f.doc_id, f.region_code, f.year, f.fund, f.metric, f.item, f.basis, f.value, f.quote, f.confidence,
       f.origin = 'added' OR c.action IS NOT NULL AS decided
FROM fact_current f
JOIN fact_base b USING (fact_id)
LEFT JOIN correction_latest c
  ON c.doc_id = b.doc_id AND c.anchor_start = b.anchor_start AND c.anchor_end = b.anchor_end
 AND c.anchor_key = b.anchor_key
WHERE list_contains($ids, f.doc_id)
ORDER BY f.doc_id, f.quote_start, f.quote_end, f.fact_id
"""


def _facts(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The documents' figures as the stewards vouch for them now, each with whether a steward
    decided it (a correction in force, or an addition), in quote order."""
    cursor = con.execute(_FACTS, {"ids": doc_ids})
    names = [d[0] for d in cursor.description]
    out: dict[str, list[dict[str, Any]]] = {}
    for row in cursor.fetchall():
        fact = dict(zip(names, row, strict=True))
        out.setdefault(fact["doc_id"], []).append(fact)
    return out


def _match(facts: list[dict[str, Any]], labels: tuple[Label, ...]) -> tuple[dict[str, Label], list[Label]]:
    """Each fact's label, as :func:`pipelines.evaluate.compare` pairs them (the first unused label
    of the same key within tolerance; decided figures first, then in quote order); and the
    labels left over."""
    left = list(labels)
    matched: dict[str, Label] = {}
    # figures a steward already decided or added take their labels first: a figure read anew
    # (a better extractor, a re-ingest) that repeats one of them finds none left, and is rejected
    for fact in sorted(facts, key=lambda f: not f["decided"]):
        key = key_of(fact, CONTRACT_KEY)
        hit = next((lb for lb in left if lb.key() == key and close(float(fact["value"]), lb.value)), None)
        if hit is not None:
            left.remove(hit)
            matched[fact["fact_id"]] = hit
    return matched, left


def _misread(fact: dict[str, Any], label: Label, text: str) -> bool:
    """The fact was read at the label's very quote for the label's measure, with another value."""
    return label.key() == key_of(fact, CONTRACT_KEY) and stored_quote(label.quote, text) == fact["quote"]
