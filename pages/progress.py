"""年内进度: outcomes for part of a year (一季度, 1-6月, 1-9月 …) as progress through the year,
against last year's same period and the year's budget (dashboard/core/progress.py)."""

import polars as pl
import streamlit as st

from dashboard.core import charts, progress
from dashboard.core.settings import settings
from dashboard.web import data, filters, present, ui

SOURCE_COLUMNS = ("region_name", "year", "fund", "metric", "value", "basis", "quote", "report_name")

cfg = settings()
f = filters.active()
ui.header(
    "年内进度",
    f,
    "一季度、1-6月、1-9月等年内数据不进入全年图表，这里按年内累计进度展示："
    "时序进度 = 已过月数 ÷ 12，预算进度 = 累计实际数 ÷ 全年预算。",
    basis=False,
)

if ui.require_filters(f):
    window = {**f.params, "first_year": f.first_year - 1}  # last year's same period too
    partial = data.query("partial_facts", **window)
    points = progress.progress_points(partial)
    in_view = points.filter(pl.col("year") >= f.first_year)
    if in_view.is_empty():
        ui.empty(
            f"所选地区和险种在{f.year_text}没有已核实的年内（一季度、1-6月、1-9月等）基金收入或支出数据。"
        )
    else:
        budgets = data.query("indicators", basis="budget", **f.params)
        actuals = data.query("indicators", basis="actual", **window)
        table = progress.progress_table(points, budgets, actuals).filter(pl.col("year") >= f.first_year)
        ui.show_table(progress.shown_table(table))

        labels = filters.region_names()
        keys = progress.choices(in_view)
        by_key = {f"{r}|{fund}|{y}": (r, fund, y) for r, fund, y in keys}
        pick = present.control(
            next(iter(by_key)),
            lambda: st.selectbox(
                "地区 · 险种 · 年度",
                list(by_key),
                format_func=lambda k: (
                    f"{labels.get(by_key[k][0], by_key[k][0])} · "
                    f"{cfg.fund_name(by_key[k][1])} · {by_key[k][2]}年"
                ),
                key="progress_pick",
            ),
        )
        region, fund, year = by_key[pick]
        current, previous, budget = progress.one_year(table, points, region, fund, year)
        name = f"{labels.get(region, region)} {cfg.fund_name(fund)} {year}年"
        ui.chart(
            charts.progress_chart(current, previous, budget, f"{name}：累计收支与进度"), "progress_chart"
        )
        for row in progress.latest(current).iter_rows(named=True):
            line = progress.verdict_line(row, year)
            if line:
                line = ui.plain(line)  # the period is the report's own words
                if progress.worrying(row):
                    st.warning(line, icon=":material/trending_down:")
                else:
                    st.caption(line)
        if not budget:
            st.caption(f"{name}未披露已核实的全年预算，无法计算预算进度。")
        used = partial.filter(
            pl.col("region_code") == region, pl.col("fund") == fund, pl.col("year").is_in([year, year - 1])
        )
        budget_sources = data.query(
            "indicator_sources",
            basis="budget",
            regions=[region],
            funds=[fund],
            metrics=list(progress.FLOWS),
            first_year=year,
            last_year=year,
        )
        ui.sources(
            pl.concat(
                [progress.sources(used).select(SOURCE_COLUMNS), budget_sources.select(SOURCE_COLUMNS)],
                how="vertical_relaxed",
            ),
            "年内数据与预算的原文",
        )

    aside = progress.set_aside(partial.filter(pl.col("year") >= f.first_year))
    if not aside.is_empty():
        with st.expander(f"未画入进度的年内数据（{aside.height} 条）"):
            st.dataframe(progress.set_aside_table(aside), hide_index=True, width="stretch")
