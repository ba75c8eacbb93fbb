"""报告库: the ingested reports; open one to read it with its facts highlighted."""

import streamlit as st

from dashboard.core import display, source_links, trace
from dashboard.core.settings import settings
from dashboard.web import correcting, data, filters, session, ui

cfg = settings()
f = filters.active()
ui.header("报告库", f, basis=False)
correcting.flash()

if ui.require_filters(f):
    docs = data.query("documents", regions=list(f.regions))
    if docs.is_empty():
        ui.empty("所选地区还没有导入任何报告。")
    else:
        table = display.reports_table(docs)
        picked = st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key="reports_table",
            column_config=ui.link_columns(),
        )
        rows = picked.selection.rows if picked else []
        if not rows:
            st.caption("选中一份报告，阅读全文并查看其中被提取的数据（黄色标出）。")
        else:
            doc = docs.row(rows[0], named=True)
            st.subheader(ui.plain(doc["report_name"]))
            st.caption(
                f"文件 {ui.plain(doc['file_name'])} · "
                f"{doc['region_name'] or '地区未识别'} · {doc['report_year'] or '年度未识别'}年 · "
                f"读取方式 {ui.plain(doc['reader'])}{'（' + ui.plain(doc['encoding']) + '）' if doc['encoding'] else ''} · "
                f"{doc['n_facts']} 条数据"
            )
            if url := source_links.web_address(doc["source_url"]):
                st.link_button("打开原网页", url, icon=":material/open_in_new:")
                st.caption(f"来源网址：{ui.plain(url)}")
            for warning in doc["warnings"] or []:
                st.warning(ui.plain(warning))
            text = data.query("document_text", doc_id=doc["doc_id"])["text"][0]
            facts = data.query("document_facts", doc_id=doc["doc_id"])
            spans = [
                (r["quote_start"], r["quote_end"], f"{ui.fact_label(r)}：{r['value']:,.2f}")
                for r in facts.iter_rows(named=True)
            ]
            with st.container(height=560, border=True):
                st.html(trace.document_html(text, spans))
            correcting.remove_form(session.editor(), doc)
