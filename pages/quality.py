"""数据质量: checks, rejections and the numbers set aside, by severity and by document."""

import polars as pl
import streamlit as st

from dashboard.core import display
from dashboard.web import data, filters, present, ui
from pipelines import codes

SEVERITY = dict(codes.names("severity"))

f = filters.active()
ui.header(
    "数据质量",
    f,
    "报告内的勾稽检查（收入−支出=结余、分项合计、比率复核、数量级）和跨报告检查（累计结余滚存）。",
    basis=False,
)

if ui.require_filters(f):
    checks = data.query("checks", regions=list(f.regions), first_year=f.first_year, last_year=f.last_year)
    rejections = data.query("rejections", regions=list(f.regions))
    dropped = data.query("dropped", regions=list(f.regions))
    count = display.severity_counts(checks)
    c = st.columns(len(SEVERITY) + 1)
    for column, (severity, name) in zip(c, SEVERITY.items(), strict=False):
        column.metric(name, count.get(severity, 0), border=True)
    c[-1].metric("未采用的数值", rejections.height, border=True, help="读到但未通过校验、无法判定归属的数值")

    st.subheader("检查结果")
    if checks.is_empty():
        st.success("所选地区和年度没有发现勾稽问题。", icon=":material/check_circle:")
    else:
        severities = present.control(  # on the projector: errors and warnings, no control
            ["error", "warning"],
            lambda: st.segmented_control(
                "严重程度",
                list(SEVERITY),
                selection_mode="multi",
                default=["error", "warning"],
                format_func=SEVERITY.__getitem__,
                key="quality_severity",
            ),
        )
        shown = checks.filter(pl.col("severity").is_in(severities or list(SEVERITY)))
        ui.show_table(display.checks_by_report(shown), width="content")
        ui.show_table(display.checks_table(shown))

    st.subheader("未采用的数值")
    ui.table_or_note(display.rejections_table(rejections), "所选地区的报告中没有未采用的数值。")

    st.subheader("按规则略去的数值")
    st.caption("读到但按规则不作为基金数据的数值（上下限、目标、百分点变化、经费等），供核对是否漏读。")
    ui.table_or_note(display.dropped_table(dropped), "所选地区的报告中没有按规则略去的数值。")
