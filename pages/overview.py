"""总览: one region and year — headline cards per fund, with alerts and their sources."""

import polars as pl
import streamlit as st

from dashboard.core import analysis, display, narrative, narrative_files
from dashboard.core.settings import settings
from dashboard.core.units import format_change, shared_scales
from dashboard.web import data, filters, present, ui
from dashboard.web.navigation import page_path

cfg = settings()
f = filters.active()


def written_analysis(region: str, year: int) -> None:
    """基金运行分析: the year in sentences, each opening to its numbers' quotes; Word and HTML."""
    st.subheader("基金运行分析", anchor="analysis")
    text = narrative.build(data.query, region, year, list(f.funds), f.basis)
    if not text.sentences:
        ui.empty(f"{year}年所选险种没有可写入分析的基金收支数据。")
        return
    st.caption(
        "依据本页口径下已核实的数据生成。点击一句展开其中每个数字的计算方法和原文；鼠标停在数字上可看原文。"
    )
    st.html(narrative_files.screen_html(text))
    with st.container(horizontal=True):
        st.download_button(
            "下载 Word",
            lambda: narrative_files.docx_bytes(text),  # built when pressed
            narrative_files.file_name(text, "docx"),
            narrative_files.DOCX,
            key="analysis_docx",
            on_click="ignore",
            icon=":material/description:",
        )
        st.download_button(
            "下载网页（可打印）",
            lambda: narrative_files.page_html(text).encode("utf-8"),
            narrative_files.file_name(text, "html"),
            narrative_files.HTML,
            key="analysis_html",
            on_click="ignore",
            icon=":material/print:",
        )


ui.header("总览", f)

if ui.require_filters(f):
    ind = data.query("indicators", basis=f.basis, **f.params)
    labels = filters.region_names()
    left, right = st.columns(2)  # on the projector (present.control): the region's latest year
    # it opens on the region that discloses the most headline figures, in its latest full-enough year
    opening = analysis.richest(ind, cfg.headline) or (f.regions[0], None)
    region = present.control(
        f.regions[0],
        lambda: left.selectbox(
            "地区",
            f.regions,
            index=f.regions.index(opening[0]),
            format_func=lambda c: labels.get(c, c),
            key="overview_region",
        ),
    )
    mine = ind.filter(pl.col("region_code") == region)
    years = sorted(mine["year"].unique().to_list(), reverse=True)
    if not years:
        ui.empty(f"{labels.get(region, region)}在{f.year_text}未披露所选险种的基金数据。")
    else:
        richest_year = (analysis.richest(mine, cfg.headline) or (region, years[0]))[1]
        year = present.control(
            years[0],
            lambda: right.selectbox(
                "年度",
                years,
                index=years.index(richest_year),
                format_func=lambda y: f"{y}年",
                key="overview_year",
            ),
        )
        st.subheader(f"{labels.get(region, region)} · {year}年")
        checks = data.query("checks", regions=[region], first_year=year, last_year=year)
        alerts = analysis.alerts(mine.filter(pl.col("year") == year), checks)
        st.markdown(analysis.alerts_strip(alerts))  # on the first screen
        sources = data.query(
            "indicator_sources",
            basis=f.basis,
            regions=[region],
            funds=list(f.funds),
            metrics=list(dict.fromkeys(m for k in cfg.headline for m in cfg.indicators[k].sources)),
            first_year=year - 1,
            last_year=year,
        )
        # the projector: the year's figures in one table, on one screen; a desk: cards by fund
        if present.active():
            ui.show_table(display.headline_table(mine.filter(pl.col("year") == year), list(f.funds)))
        else:
            for fund in [x for x in cfg.funds if x in f.funds]:
                rows = mine.filter(pl.col("fund") == fund).sort("year")
                now = rows.filter(pl.col("year") == year)
                if now.is_empty():
                    continue
                st.markdown(f"#### {cfg.funds[fund].name}")
                cards = st.columns(4)
                found = [(k, c) for k in cfg.headline if (c := analysis.card(rows, k, year)) is not None]
                scales = shared_scales(
                    (cfg.indicators[k].kind, c.value) for k, c in found
                )  # one unit a block
                shown = 0
                for key, c in found:
                    spec = cfg.indicators[key]
                    flag = "（预计）" if c.estimated else "（推算）" if c.derived else ""
                    change = format_change(c.value, c.previous, spec.kind, scales[spec.kind])
                    cards[shown % 4].metric(
                        spec.name + flag,
                        scales[spec.kind].text(c.value),
                        delta=change,
                        delta_color="off" if key == "expenditure" else "normal",
                        delta_description="较上年" if change else None,
                        chart_data=c.trend if len(c.trend) > 1 else None,
                        border=True,
                        help="较上年变化：比率与月数为差值，其余为增长率。"
                        + ("" if c.previous is not None else "上年未披露。"),
                    )
                    shown += 1
                if shown == 0:
                    ui.empty(f"{year}年{cfg.fund_name(fund)}没有可显示的指标。")
                ui.sources(sources.filter(pl.col("fund") == fund), f"{cfg.fund_name(fund)}数据来源")
        ui.marks_note()
        if not present.active():  # the projector keeps its one-screen table
            written_analysis(region, year)

        st.subheader("提示", anchor="alerts")
        if not alerts:
            st.success(f"{year}年没有赤字、结余异常或数据质量问题。", icon=":material/check_circle:")
        icons = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}
        for group, members in analysis.grouped(alerts):  # 基金运行, 数值核对, 数据质量
            st.markdown(f"**{group}**（{len(members)} 项）")
            for alert in members:
                with st.expander(ui.plain(alert.title), icon=icons.get(alert.severity)):
                    st.markdown(ui.plain(alert.detail))
                    for fact_id in alert.fact_ids[:3] if alert.kind != "deficit" else alert.fact_ids[:2]:
                        ui.quote_in_document(fact_id)
                    if alert.fact_ids:
                        st.page_link(
                            page_path("facts"),
                            label="在数据明细中查看来源",
                            icon=":material/open_in_new:",
                            query_params={"fact": alert.fact_ids[0]},
                        )
