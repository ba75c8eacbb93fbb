"""地图: provinces, cities or counties coloured by one indicator for one year; a click shows a
region's sub-regions, the breadcrumb goes back up."""

import polars as pl
import streamlit as st

from dashboard.core import analysis, drill, geo, map_chart
from dashboard.core.charts import plotly_config
from dashboard.core.drill import Drill
from dashboard.core.settings import settings
from dashboard.web import data, filters, present, ui
from dashboard.web import drill as drilling

cfg = settings()
f = filters.active()
ui.header("地图", f)

if f is None:
    ui.require_filters(f)
elif not f.funds:
    ui.empty("请在左侧选择至少一个险种。")
else:
    tree = geo.shape_tree()
    state = drilling.current(tree)
    drilling.breadcrumb(state, tree, "map")
    if state.parent is None:  # the whole country: at which level
        c0, c1, c2, c3 = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
        level = c0.segmented_control(
            "全国",
            list(drill.LEVEL_NAMES),
            default=state.level,
            required=True,
            format_func=lambda lv: drill.scope_text(Drill(lv), tree).removeprefix(drill.NATION),
            key=f"map_level_{state.level}",
        )
        if level != state.level:
            drilling.go(Drill(level))
    else:
        c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    indicator = c1.selectbox(
        "指标", list(cfg.map.indicators), format_func=lambda k: cfg.indicators[k].name, key="map_indicator"
    )
    fund = c2.selectbox("险种", f.funds, format_func=cfg.fund_name, key="map_fund")
    spec = cfg.indicators[indicator]
    scope = drill.scope_text(state, tree)
    codes = geo.within(data.query("region_options")["region_code"].to_list(), state.parent)
    ind = data.query(
        "indicators",
        basis=f.basis,
        regions=codes,
        funds=[fund],
        first_year=f.first_year,
        last_year=f.last_year,
    )
    s = analysis.series(ind, indicator)
    if s.is_empty():
        ui.empty(f"{scope}及其下级地区在{f.year_text}均未披露{cfg.fund_name(fund)}的{spec.name}数据。")
    else:
        years = sorted(s["year"].unique().to_list(), reverse=True)
        drawn = geo.view(tree, state.level, state.parent)
        year = c3.selectbox(
            "年度",
            years,
            index=years.index(geo.opening_year(s, drawn)),
            format_func=lambda y: f"{y}年",
            key="map_year",
        )
        rows = s.filter(pl.col("year") == year)
        coloured = geo.drawn_rows(rows, drawn)
        first, last = map_chart.source_years(indicator, year)
        sources = data.query(
            "indicator_sources",
            basis=f.basis,
            regions=coloured["region_code"].to_list(),
            funds=[fund],
            metrics=list(spec.sources),
            first_year=first,
            last_year=last,
        )
        regions = geo.joined(drawn, rows, sources)
        drillable = {shape.code for shape in drawn if tree.child_level(shape.code)}
        fig = map_chart.region_map(
            drawn,
            regions,
            indicator,
            year,
            f"{year}年{scope}{cfg.fund_name(fund)}{spec.name}",
            drillable=drillable,
            lines=geo.boundary_lines() if state.parent is None else None,
            inset=geo.south_sea() if state.parent is None else None,
        )
        if present.active():
            fig = ui.projector_figure(fig)
        event = st.plotly_chart(
            fig,
            config=plotly_config(fig),
            key=f"map_{state.level}_{state.parent}",
            width="stretch",
            on_select="rerun",
            selection_mode="points",
        )
        code = drilling.clicked(event)
        if code is not None and (below := drill.down(state, code, tree)) is not None:
            drilling.go(below)
        st.caption(map_chart.summary(regions, drillable))
        st.caption(
            "悬停显示数值、年度和来源报告数；预计、预算数或推算值在数值后注明。比率与人均值按公式计算。"
        )
        chosen = [shape for shape in drawn if shape.code == code]  # a region without sub-regions, clicked
        if chosen:
            st.caption(f"已选中{chosen[0].name}：下方只列出它的数据来源；双击地图取消选择。")
            ui.sources(geo.drawn_rows(sources, chosen), f"{chosen[0].name}的数据来源")
        else:
            ui.sources(sources, "地图数据来源")
