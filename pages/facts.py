"""数据明细: every fact behind the charts, filterable, each with its quote in context."""

import polars as pl
import streamlit as st

from dashboard.core import display, export
from dashboard.core.settings import settings
from dashboard.web import correcting, data, filters, session, ui
from pipelines import codes

cfg = settings()
f = filters.active()
ui.header("数据明细", f, "每一条数据都来自报告原文；选中一行可查看原文上下文和校核记录。", basis=False)
correcting.flash()

linked = st.query_params.get("fact")
if linked:
    st.markdown("##### 链接所指的数据")
    correcting.fact_panel(session.editor(), linked)
    st.divider()

if ui.require_filters(f):
    facts = data.query("facts", **f.params)
    c1, c2, c3 = st.columns([2, 1, 2])
    metrics = c1.multiselect(
        "指标",
        sorted(facts["metric"].unique().to_list()),
        format_func=lambda m: codes.name("metric", m),
        key="facts_metric",
        placeholder="全部指标",
    )
    bases = c2.multiselect(
        "口径",
        list(cfg.bases),
        format_func=lambda b: cfg.bases[b].name,
        key="facts_basis",
        placeholder="全部口径",
    )
    search = c3.text_input("原文包含", key="facts_search", placeholder="如：住院、统筹基金")
    if metrics:
        facts = facts.filter(pl.col("metric").is_in(metrics))
    if bases:
        facts = facts.filter(pl.col("basis").is_in(bases))
    if search:
        facts = facts.filter(pl.col("quote").str.contains(search, literal=True))
    if facts.is_empty():
        ui.empty("所选地区、险种和年度中没有符合条件的数据。")
    else:
        table = export.facts_table(facts).with_columns(
            facts["origin"].replace_strict(correcting.ORIGINS, default="").alias("已校核")
        )
        n_corrected = int(facts["corrected"].sum())
        st.caption(
            f"共 {table.height} 条数据；金额以万元显示（下载文件为元）。"
            + (f"其中 {n_corrected} 条经校核人更正或补录（“已校核”列）。" if n_corrected else "")
        )
        picked = st.dataframe(
            display.facts_on_screen(table).drop("数据编号"),
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key="facts_table",
            column_config={"数值": st.column_config.NumberColumn(format="localized")},
        )
        rows = picked.selection.rows if picked else []
        if rows:
            correcting.fact_panel(session.editor(), facts["fact_id"][rows[0]])
        else:
            st.caption("选中表格中的一行，查看该数据在报告中的原文位置。")
        d1, d2, _ = st.columns([1, 1, 4])
        # the files are made when a button is pressed, not on every rerun
        d1.download_button(
            "下载 CSV",
            lambda: export.csv_bytes(table),
            "medfund-facts.csv",
            "text/csv",
            icon=":material/download:",
        )
        d2.download_button(
            "下载 Excel",
            lambda: export.excel_bytes(table),
            "medfund-facts.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
        )
