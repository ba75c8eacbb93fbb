"""The stewards' correction forms and the history of a fact (数据明细 and 校核 pages)."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.core import auth, database, stewardship, trace
from dashboard.core.units import INPUT_UNITS
from dashboard.web import data, ui
from pipelines import codes
from pipelines.corrections import CorrectionError

ACTIONS = {"correct": "更正", "reject": "否决", "add": "补录", "restore": "恢复原值", "confirm": "确认"}
# the mark of a fact's origin in tables: none for a figure as extracted
ORIGINS = {code: "" if code == "extracted" else name for code, name in codes.names("origin").items()}
WRITE_ERRORS = (CorrectionError, auth.PermissionDenied, database.DatabaseBusy, KeyError)


def done(message: str) -> None:
    st.session_state["_correction_done"] = message
    st.rerun()


def flash() -> None:
    """The confirmation of the last saved correction, once."""
    message = st.session_state.pop("_correction_done", None)
    if message:
        st.success(message, icon=":material/check:")


def figure_inputs(key: str, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Year, fund, metric, item, basis and value (typed in 万元/亿元/万人… and stored in base units)."""
    current = current or {}
    c1, c2, c3 = st.columns(3)
    year = c1.number_input("年度", 1980, 2100, value=current.get("year") or 2024, step=1, key=f"{key}_year")
    fund = _code_box(c2, "险种", "fund", current.get("fund"), f"{key}_fund")
    metric = _code_box(c3, "指标", "metric", current.get("metric"), f"{key}_metric")
    c4, c5, c6, c7 = st.columns([2, 1, 2, 1])
    item = _code_box(c4, "分项", "item", current.get("item", "total"), f"{key}_item")
    basis = _code_box(c5, "口径", "basis", current.get("basis", "actual"), f"{key}_basis")
    unit_code = codes.METRIC_UNIT[metric]
    units = INPUT_UNITS.get(unit_code) or {codes.name("unit", unit_code): 1.0}
    unit = c7.selectbox("单位", list(units), key=f"{key}_unit_{metric}")
    shown = current["value"] / units[unit] if current.get("value") is not None else None
    value = c6.number_input("数值", value=shown, format="%.4f", key=f"{key}_value_{metric}_{unit}")
    figure = {
        "year": int(year),
        "fund": fund,
        "metric": metric,
        "item": item,
        "basis": basis,
        "value": None if value is None else float(value) * units[unit],
    }
    if basis == "partial":  # part of a year: which part, as the report writes it
        period = st.text_input(
            "期间", value=current.get("period") or "", placeholder="如：1-6月、一季度", key=f"{key}_period"
        )
        figure["period"] = period.strip() or None
    return figure


def _code_box(column: Any, label: str, kind: codes.Kind, code: str | None, key: str) -> str:
    """A select box over one kind of code (in display order), showing the Chinese names."""
    options = list(codes.names(kind))
    at = {"index": options.index(code)} if code in options else {}
    return column.selectbox(label, options, **at, format_func=lambda c: codes.name(kind, c), key=key)


def history(fact_id: str) -> None:
    """Every correction of a fact: when, who, what, why."""
    rows = data.query("fact_history", fact_id=fact_id)
    if rows.is_empty():
        st.caption("这条数据没有校核记录：它是按原文识别的。")
        return
    st.markdown("**校核记录**")
    st.dataframe(history_table(rows), hide_index=True, width="stretch")


def history_table(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        pl.col("created_at").dt.strftime("%Y-%m-%d %H:%M").alias("时间"),
        pl.col("author").alias("校核人"),
        pl.col("action").replace_strict(ACTIONS, default=pl.col("action")).alias("操作"),
        pl.struct("action", "year", "fund", "metric", "item", "basis", "value")
        .map_elements(_change_text, return_dtype=pl.String)
        .alias("内容"),
        pl.col("reason").alias("原因"),
        pl.when(pl.col("in_force"))
        .then(pl.lit("生效中"))
        .otherwise(pl.lit("已被后续校核取代"))
        .alias("状态"),
    )


def _change_text(row: dict[str, Any]) -> str:
    if row["action"] not in ("correct", "add"):
        return ""
    return (
        f"{row['year']}年 {codes.name('fund', row['fund'])} {codes.name('metric', row['metric'])}"
        f"（{codes.name('item', row['item'])}，{codes.name('basis', row['basis'])}）"
        f"= {row['value']:,.2f}"
    )


def fact_form(editor: auth.Editor | None, fact: dict[str, Any]) -> None:
    """Correct, reject or restore one fact (editors); viewers are told how."""
    if editor is None:
        st.caption("校核人登录后可更正、否决这条数据（左侧栏底部登录）。")
        return
    key = f"fix_{fact['fact_id']}"
    with st.expander("校核这条数据", icon=":material/edit:"):
        choices = ["correct", "reject"] + (["restore"] if fact.get("origin") == "corrected" else [])
        action = st.radio("操作", choices, format_func=ACTIONS.get, horizontal=True, key=f"{key}_action")
        figure = figure_inputs(key, fact) if action == "correct" else None
        reason = st.text_input(
            "原因（记入校核记录）", key=f"{key}_reason", placeholder="如：原文单位为万元，识别为元"
        )
        if st.button("保存", type="primary", key=f"{key}_save"):
            try:
                if action == "correct":
                    changes = {k: v for k, v in (figure or {}).items() if v != fact.get(k)}
                    stewardship.correct_fact(editor, fact["fact_id"], changes, reason)
                elif action == "reject":
                    stewardship.reject_fact(editor, fact["fact_id"], reason)
                else:
                    stewardship.restore_fact(editor, fact["fact_id"], reason)
            except WRITE_ERRORS as exc:
                st.error(ui.plain(str(exc)))
            else:
                done(f"已{ACTIONS[action]}，校核记录已保存。")


def add_form(editor: auth.Editor, documents: pl.DataFrame) -> None:
    """A figure the extractor missed, quoted from its report."""
    if documents.is_empty():
        ui.empty("所选地区没有报告。")
        return
    labels = dict(zip(documents["doc_id"], documents["report_name"], strict=True))
    doc_id = st.selectbox("报告", list(labels), format_func=labels.get, key="add_doc")
    quote = st.text_area(
        "原文（从报告中原样复制含这个数字的一句话）",
        key="add_quote",
        placeholder="如：全年基金支出12345.67万元",
    )
    text = data.query("document_text", doc_id=doc_id)["text"][0]
    if quote.strip():
        start = text.find(quote.strip())
        if start < 0:
            st.warning("这段文字在报告原文中找不到，请原样复制。")
        else:
            st.html(trace.quote_html(text, start, start + len(quote.strip())))
    figure = figure_inputs("add")
    reason = st.text_input("原因（记入校核记录）", key="add_reason", placeholder="如：表格中的数字未被识别")
    if st.button("补录", type="primary", key="add_save"):
        try:
            stewardship.add_fact(editor, doc_id, quote, figure, reason)
        except WRITE_ERRORS as exc:
            st.error(ui.plain(str(exc)))
        else:
            done("已补录，校核记录已保存。")


def log_table(log: pl.DataFrame) -> pl.DataFrame:
    """The corrections log for people: what was read, what the steward says, who, when, why."""
    return log.select(
        pl.col("created_at").dt.strftime("%Y-%m-%d %H:%M").alias("时间"),
        pl.col("author").alias("校核人"),
        pl.col("action").replace_strict(ACTIONS, default=pl.col("action")).alias("操作"),
        pl.col("reason").alias("原因"),  # who, what and why side by side
        pl.col("region_name").alias("地区"),
        pl.col("file_name").fill_null("（报告已移除）").alias("报告"),
        pl.struct(
            pl.col("extracted_year").alias("year"),
            pl.col("extracted_fund").alias("fund"),
            pl.col("extracted_metric").alias("metric"),
            pl.col("extracted_item").alias("item"),
            pl.col("extracted_basis").alias("basis"),
            pl.col("extracted_value").alias("value"),
            pl.lit("correct").alias("action"),
        )
        .map_elements(lambda r: _change_text(r) if r["value"] is not None else "", return_dtype=pl.String)
        .alias("原识别"),
        pl.struct("action", "year", "fund", "metric", "item", "basis", "value")
        .map_elements(_change_text, return_dtype=pl.String)
        .alias("校核后"),
        pl.coalesce("quote", "fact_quote").alias("原文"),
        pl.when(pl.col("current_fact_id").is_null())
        .then(pl.lit("未对应（报告已移除或重新识别后无此数据）"))
        .when(pl.col("in_force"))
        .then(pl.lit("生效中"))
        .otherwise(pl.lit("已被后续校核取代"))
        .alias("状态"),
    )


def removals_table(removals: pl.DataFrame) -> pl.DataFrame:
    return removals.select(
        pl.col("removed_at").dt.strftime("%Y-%m-%d %H:%M").alias("时间"),
        pl.col("author").alias("校核人"),
        pl.col("file_name").alias("报告"),
        pl.col("n_facts").alias("数据条数"),
        pl.col("reason").alias("原因"),
    )


def log_entry(editor: auth.Editor | None, entry: dict[str, Any]) -> None:
    """One correction: its quote in the report, and (for editors) undoing it while it is in force."""
    if entry["file_name"] is None:
        st.caption("这条校核所属的报告已从库中移除；重新导入该报告后它会继续生效。")
        return
    text = data.query("document_text", doc_id=entry["doc_id"])["text"][0]
    action = ACTIONS.get(entry["action"], entry["action"])
    st.caption(
        ui.plain(f"{entry['author']} {action}（{entry['created_at']:%Y-%m-%d %H:%M}）：{entry['reason']}")
    )
    st.html(trace.quote_html(text, entry["anchor_start"], entry["anchor_end"]))
    undoable = (
        entry["in_force"] and entry["action"] in ("correct", "reject", "confirm") and entry["current_fact_id"]
    )
    if editor is None or not undoable:
        return
    reason = st.text_input("撤销原因（记入校核记录）", key=f"undo_reason_{entry['correction_id']}")
    if st.button("撤销这次校核，恢复原识别结果", key=f"undo_{entry['correction_id']}"):
        try:
            stewardship.restore_fact(editor, entry["current_fact_id"], reason)
        except WRITE_ERRORS as exc:
            st.error(ui.plain(str(exc)))
        else:
            done("已恢复原识别结果，校核记录已保存。")


def remove_form(editor: auth.Editor | None, doc: dict[str, Any]) -> None:
    """Remove a report with its facts, after the steward confirms (editors only)."""
    if editor is None:
        return
    key = f"remove_{doc['doc_id'][:16]}"
    if not st.session_state.get(key):
        if st.button("移除这份报告…", key=f"{key}_ask", icon=":material/delete:"):
            st.session_state[key] = True
            st.rerun()
        return
    with st.container(border=True):
        st.warning(
            f"将从报告库移除《{ui.plain(doc['file_name'])}》及其 {doc['n_facts']} 条数据，所有图表随之更新。"
            "它的校核记录保留，重新导入这份报告后继续生效。",
            icon=":material/warning:",
        )
        reason = st.text_input(
            "移除原因（记入记录）", key=f"{key}_reason", placeholder="如：重复上传的旧版本"
        )
        c1, c2, _ = st.columns([1, 1, 4])
        if c1.button("确认移除", type="primary", key=f"{key}_confirm"):
            try:
                n = stewardship.remove_report(editor, doc["doc_id"], reason)
            except WRITE_ERRORS as exc:
                st.error(ui.plain(str(exc)))
            else:
                del st.session_state[key]
                done(f"已移除《{ui.plain(doc['file_name'])}》及其 {n} 条数据。")
        if c2.button("取消", key=f"{key}_cancel"):
            del st.session_state[key]
            st.rerun()


def fact_panel(editor: auth.Editor | None, fact_id: str) -> None:
    """One fact: its quote in the report, its correction history, and the correction form."""
    ui.quote_in_document(fact_id)
    found = data.query("facts_by_id", fact_ids=[fact_id])
    history(fact_id)
    if not found.is_empty():
        fact_form(editor, found.row(0, named=True))
