"""结余分析: balance rate per region and year; months of reserves against the bands."""

import polars as pl
import streamlit as st

from dashboard.core import analysis, budget, charts, display
from dashboard.core.settings import settings
from dashboard.web import data, filters, present, ui

cfg = settings()
f = filters.active()
ui.header("结余分析", f)

if ui.require_filters(f):
    ind = data.query("indicators", basis=f.basis, **f.params)
    c1, c2 = st.columns([1, 1])  # on the projector (present.control): every fund of the region
    by = present.control(
        "fund",
        lambda: c1.segmented_control(
            "分组",
            ["region", "fund"],
            default="region",
            required=True,
            format_func={"region": "按地区", "fund": "按险种"}.__getitem__,
            help="按地区：一个险种，各地区对比；按险种：一个地区，各险种对比。",
            key="balance_by",
        ),
    )
    labels = filters.region_names()
    if by == "region":
        fund = c2.selectbox("险种", f.funds, format_func=cfg.fund_name, key="balance_fund")
        rows, scope = ind.filter(pl.col("fund") == fund), cfg.fund_name(fund)
    else:
        region = present.control(
            f.regions[0],
            lambda: c2.selectbox(
                "地区", f.regions, format_func=lambda c: labels.get(c, c), key="balance_region"
            ),
        )
        rows, scope = ind.filter(pl.col("region_code") == region), labels.get(region, region)

    rate = analysis.series(rows, "balance_rate")
    if rate.is_empty():
        ui.empty(f"{scope}未披露可计算当期结余率的数据（需要基金收入和当期结余或支出）。")
    else:
        ui.chart(charts.balance_rate_chart(rate, by, f.regions), "balance_rate")
        deficits = display.deficits_text(rate)
        if deficits:
            st.error(deficits, icon=":material/trending_down:")
        ui.marks_note()

    st.subheader("累计结余可支付月数")
    bands = "，".join(f"{band.label} {text}" for band, text in cfg.band_ranges())
    st.caption(f"可支付月数 = 累计结余 ÷（当年基金支出 ÷ 12）。判断区间：{bands} 个月。")
    months = analysis.series(rows, "months_of_reserves")
    if months.is_empty():
        ui.empty(f"{scope}未披露累计结余或基金支出，无法计算可支付月数。")
    else:
        ui.chart(charts.reserves_chart(months, by, f.regions), "reserves")
        table = display.reserves_table(months)
        st.dataframe(table, hide_index=True, width="stretch")
    sources = data.query(
        "indicator_sources",
        basis=f.basis,
        regions=rows["region_code"].unique().to_list(),
        funds=rows["fund"].unique().to_list(),
        metrics=["income", "expenditure", "balance", "cumulative_balance"],
        first_year=f.first_year,
        last_year=f.last_year,
    )
    ui.sources(sources)

    st.subheader("预算执行")
    band = cfg.budget_execution
    st.caption(
        f"预算执行率 = 实际数 ÷ 预算数（基金收入、基金支出），差额 = 实际数 − 预算数。"
        f"执行率在 {budget.band_text()} 之外标为“{band.below.label}”或“{band.above.label}”。"
        "实际数只取决算或实际执行数（不含预计数）；所选地区和险种全部列出。"
    )
    values = data.query("indicator_facts", views=list(budget.VIEWS), metrics=list(budget.METRICS), **f.params)
    execution = budget.execution(values)
    if execution.is_empty():
        ui.empty("所选范围内没有同时披露预算数和实际数的基金收入或支出。")
    else:
        ui.chart(charts.budget_execution_chart(execution), "budget_execution")
        off = budget.flagged_text(execution)
        if off:
            st.warning(ui.plain(off), icon=":material/rule:")
        ui.show_table(budget.execution_table(execution))
        ui.sources(budget.facts_behind(values, execution), "预算执行数据来源")
