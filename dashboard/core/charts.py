"""Chart builders: pure functions from polars frames to plotly figures.

Every figure uses the same look (large type for projectors, Chinese labels), a fixed colour
per fund, units chosen from the magnitudes in view, and hollow markers for figures that are
estimated or derived rather than stated outcomes.
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import polars as pl

from dashboard.core.settings import Kind, settings
from dashboard.core.units import Scale, scale_for

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, Source Han Sans SC, sans-serif"
REGION_COLORS = ("#1F5FBF", "#E8710A", "#2E7D32", "#C2185B", "#7B3FB5", "#00897B", "#8D6E63", "#546E7A")
DEFICIT_COLOR = "#C62828"
LABELLED_POINTS = 12
NATIONAL_COLOR = "#212121"
PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "medfund-chart"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def base_layout(fig: go.Figure, title: str, height: int = 460) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 20}},
        template="plotly_white",
        font={"family": FONT, "size": 15},
        height=height,
        margin={"l": 60, "r": 24, "t": 72, "b": 48},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hoverlabel={"font": {"family": FONT, "size": 14}},
        separators=".,",
    )
    return fig


def _note(row: dict) -> str:
    marks = []
    if row.get("estimated"):
        marks.append("预计/预算数")
    if row.get("derived"):
        marks.append("推算值")
    return f"（{'，'.join(marks)}）" if marks else ""


def _symbols(frame: pl.DataFrame) -> list[str]:
    return [
        "circle-open" if (e or d) else "circle"
        for e, d in zip(frame["estimated"], frame["derived"], strict=True)
    ]


def _line_style(color: str, rows: pl.DataFrame, size: int) -> dict:
    """A thick line in the group's colour; markers hollow where the value is estimated or derived."""
    return {
        "line": {"color": color, "width": 3},
        "marker": {
            "symbol": _symbols(rows),
            "size": size,
            "color": color,
            "line": {"width": 2.5, "color": color},
        },
    }


def _colors(frame: pl.DataFrame, by: str) -> dict[str, str]:
    """A colour per line: the fund's own, or one per region in code order (stable within a page)."""
    key = "fund" if by == "fund" else "region_code"
    keys = sorted(str(k) for k in frame[key].unique())
    if by == "fund":
        return {k: settings().fund_color(k) for k in keys}
    return {k: REGION_COLORS[i % len(REGION_COLORS)] for i, k in enumerate(keys)}


def _groups(frame: pl.DataFrame, by: str) -> list[tuple[str, str, pl.DataFrame]]:
    """(key, label, rows) per line: by fund (label = fund name) or by region."""
    key, label = ("fund", "fund_name") if by == "fund" else ("region_code", "region_name")
    out = []
    for (k,), rows in frame.sort([key, "year"]).group_by([key], maintain_order=True):
        out.append((str(k), str(rows[label][0]), rows))
    return out


def _year_range(frame: pl.DataFrame) -> list[float]:
    """The x range of a yearly chart: every year in view, half a year of margin."""
    return [frame["year"].min() - 0.5, frame["year"].max() + 0.5]


def axis_title(name: str, scale: Scale) -> str:
    return f"{name}（{scale.unit}）"


def trend_chart(s: pl.DataFrame, indicator: str, by: str) -> go.Figure:
    """One line per fund or region over the years; hollow markers for estimated/derived values."""
    spec = settings().indicators[indicator]
    scale = scale_for(spec.kind, s["value"].to_list())
    fig = go.Figure()
    colors = _colors(s, by)
    for key, label, rows in _groups(s, by):
        color = colors[key]
        notes = [_note(r) for r in rows.iter_rows(named=True)]
        fig.add_trace(
            go.Scatter(
                x=rows["year"].to_list(),
                y=[scale.apply(v) for v in rows["value"]],
                mode="lines+markers",
                name=label,
                **_line_style(color, rows, 11),
                customdata=[[label, n] for n in notes],
                hovertemplate=f"%{{customdata[0]}}<br>%{{x}}年：%{{y:{scale.d3_format}}} {scale.unit}%{{customdata[1]}}"
                "<extra></extra>",
            )
        )
    if spec.kind is Kind.rate:
        fig.add_hline(y=0, line={"color": "#9E9E9E", "width": 1})
    fig.update_xaxes(title="年度", dtick=1, tickformat="d", ticksuffix="年")
    fig.update_yaxes(title=axis_title(spec.name, scale), tickformat=scale.d3_format)
    return base_layout(fig, f"{spec.name}变化趋势")


def growth_chart(s: pl.DataFrame, indicator: str, by: str) -> go.Figure:
    """Year-on-year growth (%) as grouped bars; s must carry a `growth` column."""
    spec = settings().indicators[indicator]
    fig = go.Figure()
    colors = _colors(s, by)
    grown = s.filter(pl.col("growth").is_not_null())
    for key, label, rows in _groups(grown, by):
        fig.add_trace(
            go.Bar(
                x=rows["year"].to_list(),
                y=rows["growth"].to_list(),
                name=label,
                marker={"color": colors[key]},
                hovertemplate=f"{label}<br>%{{x}}年：%{{y:+.1f}}%<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#9E9E9E", "width": 1})
    fig.update_xaxes(title="年度", dtick=1, tickformat="d", ticksuffix="年", range=_year_range(s))
    fig.update_yaxes(title="同比增长（%）", ticksuffix="%", tickformat=".1f")
    return base_layout(fig.update_layout(barmode="group"), f"{spec.name}同比增长")


INCOME_COLOR, EXPENDITURE_COLOR = "#1F5FBF", "#E8710A"


def _income_expenditure_bars(
    x: list,
    rows: pl.DataFrame,
    columns: tuple[str, str],
    names: tuple[str, str],
    hover: str,
    text: Callable[[float], str] | None = None,
) -> go.Figure:
    """Income beside expenditure: two bar series over the same x, always in the same colours."""
    fig = go.Figure()
    for column, name, color in zip(columns, names, (INCOME_COLOR, EXPENDITURE_COLOR), strict=True):
        values = rows[column].to_list()
        fig.add_trace(
            go.Bar(
                x=x,
                y=values,
                name=name,
                marker={"color": color},
                text=[text(v) if v is not None else "" for v in values] if text else None,
                textposition="outside" if text else None,
                hovertemplate=f"{name}<br>{hover}<extra></extra>",
            )
        )
    return fig


def income_expenditure_growth_chart(ind: pl.DataFrame, title: str) -> go.Figure:
    """Income growth against expenditure growth per year (one region and fund)."""
    rows = ind.sort("year")
    fig = _income_expenditure_bars(
        rows["year"].to_list(),
        rows,
        ("income_growth", "expenditure_growth"),
        ("基金收入增长率", "基金支出增长率"),
        hover="%{x}年：%{y:+.1f}%",
    )
    fig.add_hline(y=0, line={"color": "#9E9E9E", "width": 1})
    fig.update_xaxes(title="年度", dtick=1, tickformat="d", ticksuffix="年", range=_year_range(rows))
    fig.update_yaxes(title="同比增长（%）", ticksuffix="%")
    return base_layout(fig.update_layout(barmode="group"), title)


def balance_rate_chart(s: pl.DataFrame, by: str) -> go.Figure:
    """Balance rate per year as bars; deficits (negative rates) in red with a red outline."""
    fig = go.Figure()
    colors = _colors(s, by)
    for key, label, rows in _groups(s, by):
        color = colors[key]
        values = rows["value"].to_list()
        notes = [_note(r) for r in rows.iter_rows(named=True)]
        fig.add_trace(
            go.Bar(
                x=rows["year"].to_list(),
                y=values,
                name=label,
                marker={
                    "color": color,
                    "line": {"color": [DEFICIT_COLOR if v < 0 else color for v in values], "width": 3},
                    "pattern": {
                        "shape": [
                            "/" if (e or d) else ""
                            for e, d in zip(rows["estimated"], rows["derived"], strict=True)
                        ]
                    },
                },
                text=[f"{v:.1f}%" for v in values],
                textposition="outside",
                textfont={"color": [DEFICIT_COLOR if v < 0 else "#424242" for v in values], "size": 15},
                customdata=[
                    [label, "（收不抵支）" if v < 0 else "", n] for v, n in zip(values, notes, strict=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{x}年：%{y:.1f}%%{customdata[1]}%{customdata[2]}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#424242", "width": 1.5})
    fig.update_xaxes(title="年度", dtick=1, tickformat="d", ticksuffix="年", range=_year_range(s))
    fig.update_yaxes(title="当期结余率（%）", ticksuffix="%")
    return base_layout(fig.update_layout(barmode="group"), "当期结余率（当期结余 ÷ 基金收入）")


def reserves_chart(s: pl.DataFrame, by: str) -> go.Figure:
    """Months of reserves against the configured bands (shaded, labelled)."""
    bands = settings().reserve_bands
    top = max([*s["value"].to_list(), 18.0]) * 1.1
    fig = go.Figure()
    lower = 0.0
    for band in bands:
        upper = band.upto if band.upto is not None else top
        fig.add_hrect(
            y0=lower,
            y1=upper,
            fillcolor=band.color,
            opacity=0.12,
            line_width=0,
            annotation_text=band.label,
            annotation_position="top left",
            annotation={"font": {"size": 13, "color": band.color}},
        )
        lower = upper
    colors = _colors(s, by)
    for key, label, rows in _groups(s, by):
        color = colors[key]
        fig.add_trace(
            go.Scatter(
                x=rows["year"].to_list(),
                y=rows["value"].to_list(),
                mode="lines+markers+text",
                name=label,
                **_line_style(color, rows, 12),
                text=[f"{v:.1f}" for v in rows["value"]],
                textposition="top center",
                customdata=[
                    [label, settings().band_for(v).label, _note(r)]
                    for v, r in zip(rows["value"], rows.iter_rows(named=True), strict=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{x}年：可支付 %{y:.1f} 个月（%{customdata[1]}）%{customdata[2]}<extra></extra>",
            )
        )
    fig.update_xaxes(title="年度", dtick=1, tickformat="d", ticksuffix="年")
    fig.update_yaxes(title="可支付月数（个月）", range=[0, top])
    return base_layout(fig, "累计结余可支付月数（累计结余 ÷ 月均支出）")


def per_capita_scatter(s: pl.DataFrame, national: pl.DataFrame) -> go.Figure:
    """Income per insured person (x) against expenditure per insured person (y), one point per
    region-year sized by insured count, with the break-even line y = x and the national figures."""
    fig = go.Figure()
    values = [*s["income_per_capita"].to_list(), *s["expenditure_per_capita"].to_list()]
    values += [*national["income_per_capita"].to_list(), *national["expenditure_per_capita"].to_list()]
    finite = [v for v in values if v is not None]
    low, high = (min(finite) * 0.85, max(finite) * 1.12) if finite else (0, 1)
    fig.add_trace(
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            name="收支平衡线（y = x）",
            line={"color": "#757575", "dash": "dash", "width": 2},
            hoverinfo="skip",
        )
    )
    biggest = max([v for v in s["insured"].to_list() if v] or [1])
    for fund, rows in s.group_by("fund", maintain_order=True):
        code = str(fund[0])
        color = settings().fund_color(code)
        name = settings().fund_name(code)
        open_ = _symbols(rows)
        fig.add_trace(
            go.Scatter(
                x=rows["income_per_capita"].to_list(),
                y=rows["expenditure_per_capita"].to_list(),
                # name each point while they are few enough to read on a projector
                mode="markers+text" if s.height <= LABELLED_POINTS else "markers",
                text=[f"{r['region_name']}{r['year']}" for r in rows.iter_rows(named=True)],
                textposition="top center",
                name=name,
                marker={
                    "size": [14 + 36 * (v / biggest) ** 0.5 for v in rows["insured"]],
                    "color": color,
                    "opacity": 0.8,
                    "symbol": open_,
                    "line": {"width": 2, "color": color},
                },
                customdata=[
                    [r["region_name"], r["year"], r["insured"] / 1e4, _note(r)]
                    for r in rows.iter_rows(named=True)
                ],
                hovertemplate="%{customdata[0]} %{customdata[1]}年 "
                + name
                + "<br>人均收入 %{x:,.0f} 元<br>人均支出 %{y:,.0f} 元<br>参保 %{customdata[2]:,.2f} 万人%{customdata[3]}"
                "<extra></extra>",
            )
        )
    for fund, rows in national.group_by("fund", maintain_order=True):
        code = str(fund[0])
        fig.add_trace(
            go.Scatter(
                x=rows["income_per_capita"].to_list(),
                y=rows["expenditure_per_capita"].to_list(),
                mode="markers+text",
                name=f"全国·{settings().fund_name(code)}",
                text=[f"全国{y}年" if y == rows["year"].max() else "" for y in rows["year"]],
                textposition="bottom right",
                marker={
                    "symbol": "star",
                    "size": 16,
                    "color": settings().fund_color(code),
                    "line": {"width": 1.5, "color": NATIONAL_COLOR},
                },
                customdata=[[r["year"], r["status"], r["source"]] for r in rows.iter_rows(named=True)],
                hovertemplate="全国 %{customdata[0]}年<br>人均收入 %{x:,.0f} 元<br>人均支出 %{y:,.0f} 元"
                "<br>状态：%{customdata[1]}<br>来源：%{customdata[2]}<extra></extra>",
            )
        )
    fig.update_xaxes(title="人均基金收入（元/人）", tickformat=",.0f", range=[low, high])
    fig.update_yaxes(title="人均基金支出（元/人）", tickformat=",.0f", range=[low, high])
    fig.add_annotation(
        x=high,
        y=low,
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        text="线下方：收大于支",
        font={"color": "#2E7D32"},
    )
    fig.add_annotation(
        x=low,
        y=high,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        text="线上方：支大于收",
        font={"color": DEFICIT_COLOR},
    )
    return base_layout(fig, "人均基金收入与人均基金支出", height=560)


def per_capita_bars(s: pl.DataFrame, national: pl.DataFrame) -> go.Figure:
    """Grouped bars of per-capita income and expenditure per region-year-fund, national as lines."""
    labels = [f"{r['region_name']}·{r['year']}·{r['fund_name']}" for r in s.iter_rows(named=True)]
    fig = _income_expenditure_bars(
        labels,
        s,
        ("income_per_capita", "expenditure_per_capita"),
        ("人均基金收入", "人均基金支出"),
        hover="%{x}：%{y:,.0f} 元",
        text=lambda v: f"{v:,.0f}",
    )
    for r in national.iter_rows(named=True):
        fig.add_hline(
            y=r["expenditure_per_capita"],
            line={"dash": "dot", "color": settings().fund_color(r["fund"]), "width": 1.5},
            annotation_text=f"全国{r['year']}{settings().fund_name(r['fund'])}人均支出 {r['expenditure_per_capita']:,.0f}（{r['status']}）",
            annotation_position="top left",
            annotation={"font": {"size": 12}},
        )
    fig.update_yaxes(title="元/人", tickformat=",.0f")
    return base_layout(fig.update_layout(barmode="group"), "人均收支对比（元/人）", height=520)


def ranking_chart(ranked: pl.DataFrame, indicator: str, median: float | None, year: int) -> go.Figure:
    """Horizontal bars, highest on top, with the median line; hover gives the difference."""
    spec = settings().indicators[indicator]
    scale = scale_for(spec.kind, ranked["value"].to_list())
    rows = ranked.reverse()  # plotly draws the first bar at the bottom
    labels = [r["region_name"] for r in rows.iter_rows(named=True)]
    colors = [settings().fund_color(f) for f in rows["fund"]]
    values = [scale.apply(v) for v in rows["value"]]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=values,
            orientation="h",
            marker={
                "color": colors,
                "pattern": {
                    "shape": [
                        "/" if (e or d) else ""
                        for e, d in zip(rows["estimated"], rows["derived"], strict=True)
                    ]
                },
            },
            text=[scale.text(v) for v in rows["value"]],
            textposition="auto",
            textangle=0,
            customdata=[
                [scale.text(d, sign=True), _note(r)]
                for d, r in zip(rows["diff"], rows.iter_rows(named=True), strict=True)
            ],
            hovertemplate=f"%{{y}}<br>{spec.name}：%{{x:{scale.d3_format}}} {scale.unit}<br>与中位数之差：%{{customdata[0]}}%{{customdata[1]}}<extra></extra>",
        )
    )
    if median is not None:
        fig.add_vline(
            x=scale.apply(median),
            line={"color": NATIONAL_COLOR, "dash": "dash", "width": 2},
            annotation_text=f"中位数 {scale.text(median)}",
            annotation_position="top",
        )
    fig.update_xaxes(title=axis_title(spec.name, scale), tickformat=scale.d3_format)
    height = max(360, 40 * len(labels) + 140)
    return base_layout(fig.update_layout(showlegend=False), f"{year}年{spec.name}地区排名", height=height)
