"""趋势: any indicator over the years, per fund or per region; growth year on year."""

import polars as pl
import streamlit as st

from dashboard.core import analysis, charts
from dashboard.core.settings import settings
from dashboard.web import data, filters, present, ui
from dashboard.web import drill as drilling

cfg = settings()
f = filters.active()
ui.header("趋势", f)

# a region's sub-regions (drilled down to here) instead of the sidebar's regions
if ui.require_filters(f) and (f := drilling.scope(f, "trends")) is not None:
    ind = data.query("indicators", basis=f.basis, **f.params)
    labels = filters.region_names()
    # on the projector (present.control): the first indicator, one line per fund, no pickers
    c1, c2, c3 = st.columns([2, 1, 2])
    indicator = present.control(
        next(iter(cfg.indicators)),
        lambda: c1.selectbox(
            "指标", list(cfg.indicators), format_func=lambda k: cfg.indicators[k].name, key="trend_indicator"
        ),
    )
    by = present.control(
        "fund",
        lambda: c2.segmented_control(
            "每条线代表",
            ["region", "fund"],
            default="region" if len(f.regions) > 1 else "fund",
            required=True,
            format_func={"region": "地区", "fund": "险种"}.__getitem__,
            key="trend_by",
        ),
    )
    if by == "fund":
        region = present.control(
            f.regions[0],
            lambda: c3.selectbox(
                "地区", f.regions, format_func=lambda c: labels.get(c, c), key="trend_region"
            ),
        )
        rows, scope = ind.filter(pl.col("region_code") == region), labels.get(region, region)
    else:
        fund = c3.selectbox("险种", f.funds, format_func=cfg.fund_name, key="trend_fund")
        rows, scope = ind.filter(pl.col("fund") == fund), cfg.fund_name(fund)
    name = cfg.indicators[indicator].name
    s = analysis.series(rows, indicator)
    if by == "region":  # one level on one axis: beside the nation's line a county's lies flat on zero
        s, _ = ui.level_filter(s, [4], "trend_level", analysis.levels_by_points(s))
    if s.is_empty():
        ui.empty(f"{scope}在{f.year_text}未披露{name}数据（或无法计算）。")
    else:
        ui.chart(charts.trend_chart(s, indicator, by, f.regions), "trend")
        if s["year"].n_unique() == 1:
            st.caption(f"仅有 {s['year'][0]} 年一年的数据，无法显示变化趋势。")
        ui.marks_note()
        grown = analysis.with_growth(s)
        if grown["growth"].is_not_null().any():
            ui.chart(charts.growth_chart(grown, indicator, by, f.regions), "trend_growth")
        else:
            ui.empty(f"{scope}的{name}没有连续两年的数据，无法计算同比增长。")
        ui.sources(
            data.query(
                "indicator_sources",
                basis=f.basis,
                regions=s["region_code"].unique().to_list(),
                funds=s["fund"].unique().to_list(),
                metrics=list(cfg.indicators[indicator].sources),
                first_year=f.first_year,
                last_year=f.last_year,
            )
        )

    st.subheader("收入增长与支出增长")
    g1, g2 = st.columns(2)
    first_region, first_fund = analysis.with_growth_data(ind, f.regions, f.funds)  # opens on data
    g_region = present.control(
        f.regions[0],
        lambda: g1.selectbox(
            "地区",
            f.regions,
            index=f.regions.index(first_region),
            format_func=lambda c: labels.get(c, c),
            key="growth_region",
        ),
    )
    g_fund = present.control(
        f.funds[0],
        lambda: g2.selectbox(
            "险种", f.funds, index=f.funds.index(first_fund), format_func=cfg.fund_name, key="growth_fund"
        ),
    )
    pair = ind.filter(pl.col("region_code") == g_region, pl.col("fund") == g_fund)
    if pair.filter(
        pl.col("income_growth").is_not_null() | pl.col("expenditure_growth").is_not_null()
    ).is_empty():
        ui.empty(
            f"{labels.get(g_region, g_region)}{cfg.fund_name(g_fund)}没有连续两年的收入或支出数据，无法比较增长。"
        )
    else:
        title = f"{labels.get(g_region, g_region)} {cfg.fund_name(g_fund)}：收入增长与支出增长"
        ui.chart(charts.income_expenditure_growth_chart(pair, title), "growth_pair")
        gap = analysis.growth_gap(pair)
        if gap is not None and gap[1] > 0:
            st.warning(
                f"{gap[0]}年支出增速高于收入增速 {gap[1]:.1f} 个百分点，当期结余将收窄。",
                icon=":material/trending_down:",
            )
        elif gap is not None:
            st.caption(f"{gap[0]}年收入增速不低于支出增速（差 {-gap[1]:.1f} 个百分点）。")
