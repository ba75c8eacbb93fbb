"""Stewards' corrections of the extracted facts: correct, reject, restore, add.

Corrections are rows of their own (table ``correction``); the extracted facts are never
changed.  The view ``fact_current`` applies them, and everything downstream (``fund_facts``,
the indicator views) reads that view.  A correction is anchored to where its fact was read
(document, quote span, and the fact's fund/metric/item/year/basis as extracted), so a
re-ingest of the document that reads the same figure again finds it again.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl
from pydantic import ValidationError

from pipelines import indicators
from pipelines.models import METRIC_UNIT, Correction, CorrectionAction, Fact, Metric
from pipelines.store import transaction

EDITABLE = ("year", "fund", "metric", "item", "basis", "value")
PERIOD = "period"  # also editable: a partial figure's part of the year (1-6月), required for one


class CorrectionError(ValueError):
    """A correction that cannot be made; the message says why, in Chinese."""


def anchor_key(fund: str, metric: str, item: str, year: int, basis: str) -> str:
    """The fact's identity within its quote, as fact_base computes it."""
    return "/".join((fund, metric, item, str(year), basis))


def _new_id() -> str:
    # time-ordered, so corrections made in the same instant still keep their order
    return f"c{time.time_ns():016x}{secrets.token_hex(3)}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> dict[str, Any] | None:
    cursor = con.execute(sql, params)
    rows = cursor.fetchall()  # fetch to the end: DuckDB keeps a result open until then
    if not rows:
        return None
    return dict(zip([d[0] for d in cursor.description], rows[0], strict=True))


def base_fact(con: duckdb.DuckDBPyConnection, fact_id: str) -> dict[str, Any]:
    """The fact as extracted (or as added), whatever corrections say."""
    row = _row(con, "SELECT * FROM fact_base WHERE fact_id = ?", [fact_id])
    if row is None:
        raise CorrectionError(f"找不到数据 {fact_id}（可能所在报告已被移除或重新导入）")
    return row


def current_fact(con: duckdb.DuckDBPyConnection, fact_id: str) -> dict[str, Any] | None:
    """The fact as corrected; None when it is rejected."""
    return _row(con, "SELECT * FROM fact_current WHERE fact_id = ?", [fact_id])


def _validated(fact: dict[str, Any]) -> Fact:
    """The corrected figure must be a valid fact (codes, unit, plausible range)."""
    if fact.get("value") is None:
        raise CorrectionError("请填写数值")
    try:
        return Fact(
            fact_id=fact["fact_id"],
            doc_id=fact["doc_id"],
            region_code=fact["region_code"],
            region_name=fact["region_name"],
            region_level=fact["region_level"],
            year=fact["year"],
            fund=fact["fund"],
            metric=fact["metric"],
            item=fact["item"],
            basis=fact["basis"],
            value=fact["value"],
            unit=METRIC_UNIT[Metric(fact["metric"])],
            derived=False,
            # a partial figure keeps its part of the year; another basis has none
            period=(fact.get(PERIOD) or None) if fact["basis"] == "partial" else None,
            quote=fact["quote"],
            start=fact["quote_start"],
            end=fact["quote_end"],
            rule_id="steward",
        )
    except (ValidationError, ValueError, KeyError) as exc:
        raise CorrectionError(f"数据无效：{_message(exc)}") from exc


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
    return str(exc)


def _insert(con: duckdb.DuckDBPyConnection, correction: Correction) -> Correction:
    row = correction.model_dump()
    columns = list(row)
    with transaction(con):
        con.execute(
            f"INSERT INTO correction ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )
        if id(con) in _TOGETHER:
            _TOGETHER[id(con)].add(correction.doc_id)
        else:
            indicators.refresh(con, indicators.regions_of_documents(con, [correction.doc_id]))
    return correction


_TOGETHER: dict[int, set[str]] = {}  # per connection (by id) inside together(): the documents corrected


@contextmanager
def together(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Corrections made inside are one transaction (all of them or none), and the indicators of
    their reports are refreshed once at its end rather than after each one."""
    if id(con) in _TOGETHER:
        yield
        return
    _TOGETHER[id(con)] = set()
    try:
        with transaction(con):
            yield
            indicators.refresh(con, indicators.regions_of_documents(con, _TOGETHER[id(con)]))
    finally:
        del _TOGETHER[id(con)]


def _anchored(base: dict[str, Any], action: CorrectionAction, reason: str, author: str, **stated: Any):
    try:
        return Correction(
            correction_id=_new_id(),
            action=action,
            doc_id=base["doc_id"],
            fact_id=base["fact_id"],
            anchor_start=base["anchor_start"],
            anchor_end=base["anchor_end"],
            anchor_key=base["anchor_key"],
            reason=reason.strip(),
            author=author,
            created_at=_now(),
            **stated,
        )
    except ValidationError as exc:
        raise CorrectionError(_message(exc)) from exc


def correct(
    con: duckdb.DuckDBPyConnection, fact_id: str, changes: dict[str, Any], reason: str, author: str
) -> Correction:
    """Change a fact's value, fund, metric, item, year or basis (the others stay as they are)."""
    unknown = set(changes) - {*EDITABLE, PERIOD}
    if unknown:
        raise CorrectionError(f"不能更正这些字段：{'、'.join(sorted(unknown))}")
    base = base_fact(con, fact_id)
    current = current_fact(con, fact_id)  # None: rejected, and this correction revives it
    before = current or base
    after = {**before, **changes}
    fact = _validated(after)
    unchanged = all(before[k] == after[k] for k in EDITABLE) and before.get(PERIOD) == fact.period
    if current is not None and unchanged:
        raise CorrectionError("没有任何改动")
    stated = {k: getattr(fact, k) for k in (*EDITABLE, PERIOD)}
    return _insert(con, _anchored(base, CorrectionAction.CORRECT, reason, author, unit=fact.unit, **stated))


def reject(con: duckdb.DuckDBPyConnection, fact_id: str, reason: str, author: str) -> Correction:
    """Leave a wrongly read figure out of every view (it stays in the extracted facts)."""
    base = base_fact(con, fact_id)
    if current_fact(con, fact_id) is None:
        raise CorrectionError("这个数据已经被否决")
    return _insert(con, _anchored(base, CorrectionAction.REJECT, reason, author))


def restore(con: duckdb.DuckDBPyConnection, fact_id: str, reason: str, author: str) -> Correction:
    """Undo the correction in force: the figure counts again as extracted (or as added)."""
    base = base_fact(con, fact_id)
    in_force = _row(
        con,
        "SELECT action FROM correction_latest WHERE doc_id = ? AND anchor_start = ? AND anchor_end = ? "
        "AND anchor_key = ?",
        [base["doc_id"], base["anchor_start"], base["anchor_end"], base["anchor_key"]],
    )
    if in_force is None or in_force["action"] == CorrectionAction.RESTORE:
        raise CorrectionError("这个数据没有生效中的更正，无需恢复")
    return _insert(con, _anchored(base, CorrectionAction.RESTORE, reason, author))


def confirm(con: duckdb.DuckDBPyConnection, fact_id: str, reason: str, author: str) -> Correction:
    """Vouch for a figure as read (a `review` one becomes `high` and reaches the indicators); kept
    across re-ingest like any correction."""
    current = current_fact(con, fact_id)
    if current is None:
        raise CorrectionError("这个数据已经被否决，不能确认；如需使用请先恢复或更正")
    if current["confidence"] == "high":
        raise CorrectionError("这个数据已经可信，无需确认")
    return _insert(con, _anchored(base_fact(con, fact_id), CorrectionAction.CONFIRM, reason, author))


def quote_positions(text: str, quote: str) -> list[int]:
    """Every start of ``quote`` in ``text``."""
    positions, i = [], text.find(quote)
    while quote and i >= 0:
        positions.append(i)
        i = text.find(quote, i + 1)
    return positions


def add(
    con: duckdb.DuckDBPyConnection,
    doc_id: str,
    quote: str,
    figure: dict[str, Any],
    reason: str,
    author: str,
    start: int | None = None,
) -> Correction:
    """A figure the extractor missed: ``figure`` gives year, fund, metric, item, basis, value.

    ``quote`` must occur verbatim in the report's text (the first occurrence unless ``start``
    says which)."""
    report = _row(
        con,
        "SELECT doc_id, text, region_code, region_name, region_level FROM report WHERE doc_id = ?",
        [doc_id],
    )
    if report is None:
        raise CorrectionError("找不到这份报告")
    if report["region_code"] is None:
        raise CorrectionError("这份报告还没有确定所属地区，请先在导入时指定地区")
    quote = quote.strip()
    positions = quote_positions(report["text"], quote)
    if not positions:
        raise CorrectionError("引文在报告原文中找不到，请从原文中原样复制")
    if start is not None and start not in positions:
        raise CorrectionError("引文不在指定的位置")
    begin = positions[0] if start is None else start
    missing = set(EDITABLE) - set(figure)
    if missing:
        raise CorrectionError(f"补录缺少：{'、'.join(sorted(missing))}")
    fact_id = f"add-{_new_id()}"
    fact = _validated(
        {
            **report,
            **{k: figure[k] for k in EDITABLE},
            PERIOD: figure.get(PERIOD),
            "fact_id": fact_id,
            "quote": quote,
            "quote_start": begin,
            "quote_end": begin + len(quote),
        }
    )
    key = anchor_key(fact.fund, fact.metric, fact.item, fact.year, fact.basis)
    existing = _row(
        con,
        "SELECT fact_id FROM fact_base WHERE doc_id = ? AND anchor_start = ? AND anchor_end = ? AND anchor_key = ?",
        [doc_id, fact.start, fact.end, key],
    )
    if existing is not None:
        raise CorrectionError(f"这个数据已经在库中（编号 {existing['fact_id']}），请直接更正它")
    base = {"doc_id": doc_id, "fact_id": fact_id, "anchor_start": fact.start, "anchor_end": fact.end}
    stated = {k: getattr(fact, k) for k in (*EDITABLE, PERIOD)}
    return _insert(
        con,
        _anchored(
            {**base, "anchor_key": key},
            CorrectionAction.ADD,
            reason,
            author,
            quote=quote,
            unit=fact.unit,
            **stated,
        ),
    )


def history(con: duckdb.DuckDBPyConnection, fact_id: str) -> pl.DataFrame:
    """Every correction of a fact, oldest first."""
    return con.sql(
        "SELECT * FROM correction_log WHERE current_fact_id = $fact_id OR fact_id = $fact_id "
        "ORDER BY created_at, correction_id",
        params={"fact_id": fact_id},
    ).pl()
