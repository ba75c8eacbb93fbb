"""汇报: materials for a meeting from the current filters — the PowerPoint deck, the Excel
workbook, and the presentation mode for the projector."""

import streamlit as st

from dashboard.core import briefing
from dashboard.web import data, filters, present, ui

f = filters.active()
ui.header("汇报", f, "汇报材料按左侧筛选生成：修改地区、险种、年度或口径，材料随之更新。")

if ui.require_filters(f):
    view = briefing.current_view(f, data.query)
    names = filters.region_names()
    st.markdown("**汇报范围**：" + "、".join(view.region_names.get(c, c) for c in f.regions))
    st.dataframe(briefing.scope_table(view), hide_index=True, width="stretch")

    deck, book, show = st.columns(3)
    with deck.container(border=True, height="stretch"):
        st.markdown("#### :material/co_present: PowerPoint 汇报稿")
        st.caption(
            "标题页；每个地区的主要指标及较上年变化、收支趋势、结余率与可支付月数、人均收支与全国对比；"
            "数据质量提示和所用报告。图表可在 PowerPoint 或 WPS 中编辑。"
        )
        st.download_button(
            "下载 PowerPoint",
            briefing.deck_maker(f, data.connection()),  # built when the button is pressed
            briefing.file_name(f, names, "pptx"),
            briefing.PPTX,
            key="briefing_deck",
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )
    with book.container(border=True, height="stretch"):
        st.markdown("#### :material/table_view: Excel 数据表")
        st.caption(
            "四张表：说明、指标、数据明细（附原文和报告文件）、校核结果。"
            "金额以万元为单位，比率以 % 为单位，均为可计算的数值。"
        )
        st.download_button(
            "下载 Excel",
            briefing.workbook_maker(view),
            briefing.file_name(f, names, "xlsx"),
            briefing.XLSX,
            key="briefing_workbook",
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )
    with show.container(border=True, height="stretch"):
        st.markdown("#### :material/slideshow: 演示模式")
        st.caption(
            f"宽屏大字，隐藏侧栏和页面控件，依次展示 {present.step_titles()}；"
            "用 ← → 键或顶部按钮翻页。在链接后加上 present=1 也可直接打开演示。"
        )
        region = st.selectbox(
            "演示地区", f.regions, format_func=lambda c: names.get(c, c), key="briefing_region"
        )
        if st.button("开始演示", key="briefing_present", type="primary", icon=":material/play_arrow:"):
            present.start(region)
