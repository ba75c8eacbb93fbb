"""风险预警: each region's fund projected from its recent income and expenditure growth; when its
reserves would fall below the floor and run out (dashboard/core/projection.py)."""

import polars as pl
import streamlit as st

from dashboard.core import charts, projection
from dashboard.core.settings import settings
from dashboard.web import data, filters, present, ui

cfg = settings()
spec = cfg.projection
f = filters.active()
ui.header(
    "风险预警",
    f,
    f"按实际数推算：收入、支出按最近{spec.min_years}–{spec.max_years}年的复合年均增长率外推，逐年滚存累计结余，"
    f"找出{spec.horizon}年内可支付月数低于{spec.floor_months:g}个月、累计结余耗尽（小于0）的年份。"
    "推算是估计，不是预测：增长率不变，不计政策调整和上级调剂。",
    basis=False,
)

if ui.require_filters(f):
    ind = data.query("indicators", basis="actual", **f.params)  # vouched figures, 实际 view
    found = projection.outlooks(ind, spec)
    if not found:
        ui.empty(f"所选地区和险种在{f.year_text}未披露基金收入、支出或累计结余，无法推算。")
    else:
        st.markdown(projection.summary_text(found, spec))
        ui.show_table(projection.outlook_table(found), widths=projection.table_widths(spec))

        drawable = projection.choices(found)
        if not drawable:
            ui.empty(
                f"所选范围内没有可推算的基金：需要至少{spec.min_years}年同时披露收入和支出、"
                "且最近一年披露累计结余（原因见上表）。"
            )
        else:
            by_key = {f"{o.region_code}|{o.fund}": o for o in drawable}
            pick = present.control(
                next(iter(by_key)),
                lambda: st.selectbox(
                    "地区 · 险种",
                    list(by_key),
                    format_func=lambda k: (
                        f"{by_key[k].region_name} · {by_key[k].fund_name}"
                        f"（{projection.status_text(by_key[k])}）"
                    ),
                    key="risk_pick",
                ),
            )
            chosen = by_key[pick]
            title = f"{chosen.region_name} {chosen.fund_name}：累计结余推算"
            ui.chart(
                charts.projection_chart(
                    chosen.actual,
                    chosen.projected,
                    chosen.base_year,
                    spec.floor_months,
                    projection.warning_years(chosen, spec),
                    title,
                    cfg.fund_color(chosen.fund),
                ),
                "risk_projection",
            )
            st.caption(
                f"方法：{projection.method_text(chosen)}。假设：{projection.assumptions_text(chosen)}。"
            )
            ui.sources(
                data.query(
                    "indicator_sources",
                    basis="actual",
                    regions=[chosen.region_code],
                    funds=[chosen.fund],
                    metrics=["income", "expenditure", "balance", "cumulative_balance"],
                    first_year=min(chosen.years_used),
                    last_year=chosen.base_year,
                ).filter(pl.col("year").is_in(list(chosen.years_used))),
                "推算所用的数据（原文）",
            )
