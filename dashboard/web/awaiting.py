"""The 待核查 queue (校核 page): the figures the extractor was unsure of, each with its quote in
context and the reasons, and one-click 确认 / 驳回 (or 更正) for editors.  A confirmation is a
correction row like any other: kept across re-ingest, shown in the log, undone by 恢复."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.core import auth, display, export, stewardship, trace
from dashboard.core.scope import Filters
from dashboard.core.units import format_fact
from dashboard.web import correcting, data, ui
from pipelines import codes

CONFIRMED = "核对原文无误"  # the reason recorded by one-click 确认
REJECTED = "核对原文：不是这一数据或识别有误"  # … and by one-click 驳回
_TABLE = "awaiting_table"


def show(editor: auth.Editor | None, f: Filters) -> None:
    """The queue within the filters, and the chosen figure with its actions."""
    rows = data.query("awaiting_review", **f.params)
    st.subheader(f"待核查（{rows.height}）")
    if rows.is_empty():
        st.caption("所选范围内没有待核查的数据：识别出的数据均已可信或经校核人确认。")
        return
    st.caption(
        "识别把握不足的数据先在这里等待核查，确认或更正后才进入图表、卡片、排名和汇报材料。"
        "选中一行查看原文；校核人可一键确认（Y）或驳回（N），也可更正。"
    )
    picked = st.dataframe(
        display.awaiting_table(rows),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * rows.height, 320),
        on_select="rerun",
        selection_mode="single-row",
        key=_TABLE,
    )
    chosen = picked.selection.rows if picked else []
    fact = rows.row(chosen[0] if chosen else 0, named=True)
    _figure(editor, fact)


def _figure(editor: auth.Editor | None, fact: dict[str, Any]) -> None:
    with st.container(border=True):
        st.markdown(
            f"**{ui.plain(fact['region_name'])} {fact['year']}年 {codes.name('fund', fact['fund'])} "
            f"{export.metric_name(fact['fund'], fact['metric'])}（{codes.name('item', fact['item'])}）："
            f"{format_fact(fact['value'], fact['unit'])}**"
        )
        st.caption("待核查原因：" + ui.plain(fact["confidence_reasons"] or "未说明"))
        text = data.query("document_text", doc_id=fact["doc_id"])["text"][0]
        st.html(trace.quote_html(text, fact["quote_start"], fact["quote_end"]))
        if editor is None:
            st.caption("校核人登录后可确认、更正或驳回这条数据（左侧栏底部登录）。")
            return
        c1, c2, _ = st.columns([1, 1, 4])
        if c1.button("确认", type="primary", icon=":material/check:", shortcut="Y", key="awaiting_confirm"):
            _act(lambda: stewardship.confirm_fact(editor, fact["fact_id"], CONFIRMED), "已确认")
        if c2.button("驳回", icon=":material/block:", shortcut="N", key="awaiting_reject"):
            _act(lambda: stewardship.reject_fact(editor, fact["fact_id"], REJECTED), "已驳回")
        correcting.fact_form(editor, {**fact, "origin": "extracted"})


def _act(write, done: str) -> None:
    try:
        write()
    except correcting.WRITE_ERRORS as exc:
        st.error(ui.plain(str(exc)))
    else:
        st.session_state.pop(_TABLE, None)  # the next figure in the queue comes up
        correcting.done(f"{done}，校核记录已保存。")
