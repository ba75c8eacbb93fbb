"""人均收支: income per insured person against expenditure per insured person, with the
national figures as a benchmark."""

import polars as pl
import streamlit as st

from dashboard.core import analysis, charts
from dashboard.core.settings import settings
from dashboard.web import data, filters, present, ui

cfg = settings()
f = filters.active()
ui.header("人均收支", f, "人均基金收入 = 基金收入 ÷ 参保人数；人均基金支出 = 基金支出 ÷ 参保人数。")

if ui.require_filters(f):
    # on the projector (present.control): the level with most regions, the first fund, national shown
    ind, (c1, c2) = ui.level_filter(
        data.query("indicators", basis=f.basis, **f.params), [2, 3], "per_capita_level"
    )
    both = analysis.per_capita(ind)
    national = analysis.national_reference().filter(
        pl.col("fund").is_in(list(f.funds)),
        pl.col("year").is_between(f.first_year, f.last_year),
        pl.col("income_per_capita").is_not_null(),
    )
    if both.is_empty():
        ui.empty("所选地区和险种未披露可计算人均收支的数据（需同时有基金收入、基金支出和参保人数）。")
    else:
        funds = [x for x in f.funds if x in set(both["fund"])]
        fund = present.control(
            funds[0], lambda: c1.selectbox("险种", funds, format_func=cfg.fund_name, key="per_capita_fund")
        )
        show_national = present.control(
            True, lambda: c2.toggle("显示全国水平（统计公报）", value=True, key="per_capita_national")
        )
        both = both.filter(pl.col("fund") == fund)
        national = national.filter(pl.col("fund") == fund)
        bench = national if show_national else national.clear()
        ui.chart(charts.per_capita_scatter(both, bench, f.regions), "per_capita_scatter")
        st.caption(
            "每个点为一个地区的一个年度：颜色为地区，形状为险种，大小表示参保人数（标出参保人数最多的几个点，其余悬停查看）；"
            "虚线为收支平衡线，线上方为支出大于收入。"
        )
        ui.marks_note()
        years = sorted(both["year"].unique().to_list(), reverse=True)
        year = present.control(
            years[0],
            lambda: st.selectbox("柱状图年度", years, format_func=lambda y: f"{y}年", key="per_capita_year"),
        )
        bars = both.filter(pl.col("year") == year)
        ui.chart(charts.per_capita_bars(bars, bench.filter(pl.col("year") == year)), "per_capita_bars")
        if show_national and national.is_empty():
            st.caption("所选年度和险种没有全国人均数据可作对比。")
        elif show_national:
            st.caption(
                "全国数据来源："
                + "；".join(sorted(set(national["source"].to_list())))
                + "。状态“单一来源”表示只找到一个出处。"
            )
        ui.sources(
            data.query(
                "indicator_sources",
                basis=f.basis,
                regions=both["region_code"].unique().to_list(),
                funds=both["fund"].unique().to_list(),
                metrics=["income", "expenditure", "insured"],
                first_year=f.first_year,
                last_year=f.last_year,
            )
        )
