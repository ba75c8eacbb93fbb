"""地区对比: rank regions on an indicator for one year, against the median."""

import polars as pl
import streamlit as st

from dashboard.core import analysis, charts, display
from dashboard.core.settings import settings
from dashboard.web import data, filters, ui
from dashboard.web import drill as drilling

cfg = settings()
f = filters.active()
ui.header("地区对比", f)

# a region's sub-regions (drilled down to here) instead of the sidebar's regions
if ui.require_filters(f) and (f := drilling.scope(f, "compare")) is not None:
    ind, (c1, c2, c3) = ui.level_filter(
        data.query("indicators", basis=f.basis, **f.params), [2, 2, 2], "compare_level"
    )
    indicator = c1.selectbox(
        "指标", list(cfg.indicators), format_func=lambda k: cfg.indicators[k].name, key="compare_indicator"
    )
    fund = c2.selectbox("险种", f.funds, format_func=cfg.fund_name, key="compare_fund")
    spec = cfg.indicators[indicator]
    s = analysis.series(ind.filter(pl.col("fund") == fund), indicator)
    years = sorted(s["year"].unique().to_list(), reverse=True)
    if not years:
        ui.empty(f"所选地区未披露{cfg.fund_name(fund)}的{spec.name}数据。")
    else:
        year = c3.selectbox(
            "年度",
            years,
            index=years.index(analysis.best_year(s)),
            format_func=lambda y: f"{y}年",
            key="compare_year",
        )
        ranked, median = analysis.ranking(s, year)
        ui.chart(charts.ranking_chart(ranked, indicator, median, year), "ranking")
        if ranked.height == 1:
            st.caption(f"{year}年只有一个地区披露了该指标，无法与其他地区比较。")
        table = display.ranking_table(ranked, spec)
        st.dataframe(table, hide_index=True, width="stretch")
        ui.marks_note()
        ui.sources(
            data.query(
                "indicator_sources",
                basis=f.basis,
                regions=ranked["region_code"].to_list(),
                funds=[fund],
                metrics=list(spec.sources),
                first_year=year,
                last_year=year,
            )
        )
