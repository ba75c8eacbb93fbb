"""校核: the 待核查 queue, the stewards' corrections (who, when, why), adding a missed figure,
removed reports."""

import streamlit as st

from dashboard.web import awaiting, correcting, data, filters, session, ui

f = filters.active()
ui.header(
    "校核", None, "校核人对识别结果的更正、否决和补录；原始识别结果保留不变，重新导入报告后校核继续生效。"
)
correcting.flash()

if f is not None and f.regions:
    awaiting.show(session.editor(), f)
    st.subheader("校核记录")

mine = st.toggle("只看所选地区", value=True, key="corrections_scope") and f is not None
log = data.query("corrections", all_regions=not mine, regions=list(f.regions) if f else [])
if mine and not f.regions:
    ui.empty("请在左侧选择至少一个地区，或关闭“只看所选地区”查看全部校核记录。")
elif log.is_empty():
    ui.empty("还没有校核记录。" if not mine else "所选地区还没有校核记录。")
else:
    st.caption(f"共 {log.height} 条校核记录（最新的在前）；选中一行查看原文，校核人可撤销生效中的校核。")
    picked = st.dataframe(
        correcting.log_table(log),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="corrections_table",
    )
    if picked and picked.selection.rows:
        correcting.log_entry(session.editor(), log.row(picked.selection.rows[0], named=True))

editor = session.editor()
st.subheader("补录漏识别的数据")
if editor is None:
    st.caption("校核人登录后可补录报告中漏识别的数据（左侧栏底部登录）。")
elif f is None or not f.regions:
    ui.empty("请在左侧选择地区，再选择其中的报告补录。")
else:
    correcting.add_form(editor, data.query("documents", regions=list(f.regions)))

removals = data.query("removals")
if not removals.is_empty():
    st.subheader("已移除的报告")
    st.dataframe(correcting.removals_table(removals), hide_index=True, width="stretch")
