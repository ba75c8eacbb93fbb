"""Chart builders: pure functions from polars frames to plotly figures.

Every figure uses the same look (large type for projectors, Chinese labels), a fixed colour
per fund and per region (settings.yaml), units chosen from the magnitudes in view, and hollow
markers or hatched bars for figures that are estimated or derived rather than stated outcomes
(on the data only: a legend swatch is always plain).  Yearly charts have one tick per year, an
x range of exactly the years drawn, and bars one year wide at most.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard.core.budget import money_scale as budget_money_scale
from dashboard.core.settings import Kind, settings
from dashboard.core.units import Scale, scale_for

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, Source Han Sans SC, sans-serif"
DEFICIT_COLOR = "#C62828"
LABELLED_POINTS = 12
SCATTER_LABELS = 6  # the per-capita scatter names its largest regions only (the rest on hover)
# the fund as a marker's shape where a chart's colour is the region's
FUND_SYMBOLS = {"employee": "circle", "resident": "square", "all": "triangle-up", "maternity": "star-square"}
NATIONAL_COLOR = "#212121"
BAR_SPAN = 0.8  # of a year: the bars of one year side by side, a gap of 0.2 year between years
ESTIMATE_HATCH = "/"
LEGEND_ABOVE = 4  # legend items that fit beside the title; more go below the plot

# The plotly toolbar in Chinese.  plotly.js looks a text up in config["locales"][locale] before
# its registered locale bundles, so this dictionary works in st.plotly_chart without any script
# on the page (Streamlit's bundle registers no zh-CN; config={"locale": "zh-CN"} alone stays
# English).  Keys are plotly.js's own texts (4.x: "Download plot as a PNG", capital PNG).  Not
# translatable from here: the 全屏 button Streamlit adds to the toolbar ("Fullscreen" / "Close
# fullscreen", its own literal title) and Streamlit's element toolbar around the chart.
ZH_CN_LOCALE = {
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "框选",
        "Lasso Select": "套索选择",
        "Compare data on hover": "悬停时对比各项数据",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Toggle show closest data on hover": "切换悬停显示方式",
        "Toggle Spike Lines": "显示或隐藏辅助线",
        "Download plot": "下载图表",
        "Download plot as a PNG": "下载为PNG",
        "Download plot as JSON": "下载为JSON",
        "Share chart...": "分享图表…",
        "Preparing image - this may take a few seconds": "正在生成图片，请稍候",
        "Image download succeeded": "图片已下载",
        "Sorry, there was a problem downloading your image!": "抱歉，图片下载失败！",
        "JSON download succeeded": "JSON 已下载",
        "Sorry, there was a problem downloading your JSON file!": "抱歉，JSON 下载失败！",
        "Pan": "平移",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "Reset": "还原",
        "Reset axes": "还原坐标轴",
        "Reset view": "还原视图",
        "Reset views": "还原视图",
        "Double-click to zoom back out": "双击恢复原始大小",
        "Double-click on legend to isolate one trace": "双击图例可只看这一项",
        "Produced with Plotly.js": "由 Plotly.js 绘制",
        "trace": "系列",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "date": "%Y-%m-%d",
    },
}
CHART_FILE = "医保基金图表"  # the PNG's name when a chart has no title
PLOTLY_CONFIG = {
    "displaylogo": False,
    "locale": "zh-CN",
    "locales": {"zh-CN": ZH_CN_LOCALE},
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": CHART_FILE},
    # selection and spike-line tools mean nothing on these charts: fewer buttons, all in Chinese
    "modeBarButtonsToRemove": [
        "lasso2d",
        "select2d",
        "toggleSpikelines",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
        "sendChartToCloud",
    ],
    "showSendToCloud": False,
}


def plotly_config(fig: go.Figure | None = None) -> dict:
    """PLOTLY_CONFIG with the PNG named after the chart's (Chinese) title."""
    title = (fig.layout.title.text if fig is not None else None) or CHART_FILE
    name = re.sub(r"<[^>]*>|[\\/:*?\"<>|\s]+", "", title)[:60] or CHART_FILE
    return {
        **PLOTLY_CONFIG,
        "toImageButtonOptions": {**PLOTLY_CONFIG["toImageButtonOptions"], "filename": name},
    }


def base_layout(fig: go.Figure, title: str, height: int = 460, note: str | None = None) -> go.Figure:
    """The common look; `note` (what the chart leaves out) goes in a subtitle under the title.
    A legend of a few items sits above the plot on the right; a longer one (or one beside a
    subtitle) below the plot, where it can wrap without running into the title."""
    heading: dict = {"text": title, "x": 0, "font": {"size": 20}}
    if note:
        heading["subtitle"] = {"text": note, "font": {"size": 14, "color": "#616161"}}
    entries = sum(1 for t in fig.data if t.showlegend is not False and t.name)
    below = bool(note) or entries > LEGEND_ABOVE
    fig.update_layout(
        title=heading,
        template="plotly_white",
        font={"family": FONT, "size": 15},
        height=height + (40 if below else 0),
        margin={"l": 60, "r": 24, "t": 96 if note else 72, "b": 48},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0}
        if below
        else {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
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


def _marked(frame: pl.DataFrame) -> list[bool]:
    """Per row: is the value estimated or derived (drawn hollow or hatched)?"""
    return [bool(e or d) for e, d in zip(frame["estimated"], frame["derived"], strict=True)]


def _symbols(frame: pl.DataFrame) -> list[str]:
    return ["circle-open" if m else "circle" for m in _marked(frame)]


def _hatch(marked: Sequence[bool]) -> dict:
    """A bar's hatch where its value is estimated or derived (on the bar only: see _legend_entry)."""
    return {"shape": [ESTIMATE_HATCH if m else "" for m in marked]}


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


def _legend_entry(key: str, label: str, color: str, kind: str) -> go.Bar | go.Scatter:
    """The legend item of one line or bar series, drawn apart from its data (which is then left
    out of the legend, in the same legend group so a click still hides it): plotly draws a
    legend swatch like the series' first point, so a series that opens on an estimate showed a
    hatched or hollow swatch, as if the whole series were estimated."""
    common = {"x": [None], "y": [None], "name": label, "legendgroup": key, "hoverinfo": "skip"}
    if kind == "bar":
        return go.Bar(marker={"color": color}, **common)
    marker = {"symbol": "circle", "size": 10, "color": color}
    if kind == "markers":
        return go.Scatter(mode="markers", marker=marker, **common)
    return go.Scatter(mode="lines+markers", line={"color": color, "width": 3}, marker=marker, **common)


def _colors(frame: pl.DataFrame, by: str, regions: Iterable[str] | None = None) -> dict[str, str]:
    """A colour per line: the fund's own, or the region's own (a function of its code; see
    Settings.region_colors_for), resolved over `regions` (the view's selection) and the frame's."""
    if by == "fund":
        return {str(k): settings().fund_color(str(k)) for k in frame["fund"].unique()}
    codes = {str(c) for c in frame["region_code"].unique()} | {str(c) for c in regions or ()}
    return settings().region_colors_for(codes)


def _groups(frame: pl.DataFrame, by: str) -> list[tuple[str, str, pl.DataFrame]]:
    """(key, label, rows) per line: by fund (label = fund name) or by region."""
    key, label = ("fund", "fund_name") if by == "fund" else ("region_code", "region_name")
    out = []
    for (k,), rows in frame.sort([key, "year"]).group_by([key], maintain_order=True):
        out.append((str(k), str(rows[label][0]), rows))
    return out


def _top_regions(frame: pl.DataFrame, by: str, column: str, what: str) -> tuple[pl.DataFrame, str | None]:
    """At most settings().regions_per_chart regions in a line or bar chart: the largest by
    `column` in the chart's latest year (a region with no figure that year after those with one,
    by its own latest figure), with a note naming the ones left out.

    The others are left out and named, not folded into one 其他 series: every figure this
    dashboard draws is one a report states (or is marked as estimated or derived) and traces to
    its source, and a 其他 line would be none of these — a sum that jumps whenever a region
    skips a year, mixes estimates in, flattens the eight kept beside it, and means nothing for
    rates, months of reserves or growth.  Leaders read the largest eight; the note says who
    else is selected (narrowing the selection shows them)."""
    limit = settings().regions_per_chart
    if by != "region" or frame.is_empty() or frame["region_code"].n_unique() <= limit:
        return frame, None
    latest = int(frame["year"].max())
    ranked = (
        frame.filter(pl.col(column).is_not_null())
        .sort("year")
        .group_by("region_code", maintain_order=True)
        .agg(pl.col("region_name").last(), pl.col("year").last().alias("y"), pl.col(column).last().alias("v"))
        .sort(["y", "v", "region_code"], descending=[True, True, False])
    )
    kept = ranked["region_code"].head(limit).to_list()
    hidden = [str(n) for n in ranked["region_name"].slice(limit).to_list()]
    names = "、".join(hidden[:6]) + ("等" if len(hidden) > 6 else "")
    note = f"显示{latest}年{what}最高的{limit}个地区；另有{len(hidden)}个地区未显示：{names}"
    return frame.filter(pl.col("region_code").is_in(kept)), note


def _year_text(year: int) -> str:
    return f"{int(year)}年"


def _year_axis(fig: go.Figure, years: Iterable[int | None]) -> None:
    """A yearly x axis: one tick per year (2019年, 2020年 …), its range exactly the years drawn
    with half a year on each side.  Hover texts take their year from customdata, never from
    %{x}: plotly writes an axis's tick suffix or tick text into %{x} ("%{x}年" read 2024年年)."""
    drawn = sorted({int(y) for y in years if y is not None})
    if not drawn:
        return
    ticks = list(range(drawn[0], drawn[-1] + 1))
    fig.update_xaxes(
        title="年度",
        type="linear",
        range=[drawn[0] - 0.5, drawn[-1] + 0.5],
        tickmode="array",
        tickvals=ticks,
        ticktext=[_year_text(y) for y in ticks],
    )


def _bar_slots(n: int) -> list[dict]:
    """Width and offset (in years) of each of n bar series drawn side by side in every year,
    BAR_SPAN of a year between them: a bar is never wider than its year.  (Left to plotly, a
    bar is as wide as the smallest gap between the years drawn: two years apart, two years wide.)"""
    width = BAR_SPAN / max(n, 1)
    return [{"width": width, "offset": -BAR_SPAN / 2 + i * width} for i in range(n)]


def _tick_format(scale: Scale) -> str:
    """Axis ticks: the scale's decimals without trailing zeros (40 万人, 38.5 万人; never 40.00)."""
    return f",.{scale.decimals}~f"


def axis_title(name: str, scale: Scale) -> str:
    return f"{name}（{scale.unit}）"


def trend_chart(s: pl.DataFrame, indicator: str, by: str, regions: Sequence[str] | None = None) -> go.Figure:
    """One line per fund or region over the years; hollow markers for estimated/derived values.
    `regions`: every region of the view (the filters' selection), for their colours."""
    spec = settings().indicators[indicator]
    colors = _colors(s, by, regions)
    s, note = _top_regions(s, by, "value", spec.name)
    scale = scale_for(spec.kind, s["value"].to_list())
    fig = go.Figure()
    for key, label, rows in _groups(s, by):
        color = colors[key]
        fig.add_trace(_legend_entry(key, label, color, "line"))
        fig.add_trace(
            go.Scatter(
                x=rows["year"].to_list(),
                y=[scale.apply(v) for v in rows["value"]],
                mode="lines+markers",
                name=label,
                legendgroup=key,
                showlegend=False,
                **_line_style(color, rows, 11),
                customdata=[[label, _year_text(r["year"]), _note(r)] for r in rows.iter_rows(named=True)],
                hovertemplate=f"%{{customdata[0]}}<br>%{{customdata[1]}}：%{{y:{scale.d3_format}}} {scale.unit}%{{customdata[2]}}"
                "<extra></extra>",
            )
        )
    if spec.kind is Kind.rate:
        fig.add_hline(y=0, line={"color": "#9E9E9E", "width": 1})
    _year_axis(fig, s["year"])
    fig.update_yaxes(title=axis_title(spec.name, scale), tickformat=_tick_format(scale))
    return base_layout(fig, f"{spec.name}变化趋势", note=note)


def growth_chart(s: pl.DataFrame, indicator: str, by: str, regions: Sequence[str] | None = None) -> go.Figure:
    """Year-on-year growth (%) as bars side by side; s must carry a `growth` column.  A growth
    worked out from an estimated or derived value (this year's or last year's) is hatched."""
    spec = settings().indicators[indicator]
    colors = _colors(s, by, regions)
    flags = [pl.col(c).fill_null(False) for c in ("estimated", "derived") if c in s.columns]
    own = pl.any_horizontal(flags) if flags else pl.lit(False)
    keys = [c for c in ("region_code", "fund") if c in s.columns]
    grown = (
        s.sort([*keys, "year"])
        .with_columns(marked=own | own.shift(1).over(keys).fill_null(False))
        .filter(pl.col("growth").is_not_null())
    )
    grown, note = _top_regions(grown, by, "growth", f"{spec.name}同比增长")
    groups = _groups(grown, by)
    fig = go.Figure()
    for (key, label, rows), slot in zip(groups, _bar_slots(len(groups)), strict=True):
        marked = rows["marked"].to_list()
        fig.add_trace(_legend_entry(key, label, colors[key], "bar"))
        fig.add_trace(
            go.Bar(
                x=rows["year"].to_list(),
                y=rows["growth"].to_list(),
                name=label,
                legendgroup=key,
                showlegend=False,
                **slot,
                marker={"color": colors[key], "pattern": _hatch(marked)},
                customdata=[
                    [label, _year_text(y), "（按预计/预算数或推算值计算）" if m else ""]
                    for y, m in zip(rows["year"], marked, strict=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}：%{y:+.1f}%%{customdata[2]}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#9E9E9E", "width": 1})
    _year_axis(fig, grown["year"])
    fig.update_yaxes(title="同比增长（%）", ticksuffix="%", tickformat=".1~f")
    return base_layout(fig.update_layout(barmode="overlay"), f"{spec.name}同比增长", note=note)


INCOME_COLOR, EXPENDITURE_COLOR = "#1F5FBF", "#E8710A"


def _income_expenditure_bars(
    x: list,
    rows: pl.DataFrame,
    columns: tuple[str, str],
    names: tuple[str, str],
    hover: str,
    text: Callable[[float], str] | None = None,
    customdata: list | None = None,
    slots: bool = False,
) -> go.Figure:
    """Income beside expenditure: two bar series over the same x, always in the same colours
    (`slots`: each half of BAR_SPAN wide at its year, for a yearly axis)."""
    fig = go.Figure()
    widths = _bar_slots(len(columns)) if slots else [{}] * len(columns)
    for column, name, color, slot in zip(
        columns, names, (INCOME_COLOR, EXPENDITURE_COLOR), widths, strict=True
    ):
        values = rows[column].to_list()
        fig.add_trace(
            go.Bar(
                x=x,
                y=values,
                name=name,
                **slot,
                marker={"color": color},
                text=[text(v) if v is not None else "" for v in values] if text else None,
                textposition="outside" if text else None,
                customdata=customdata,
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
        hover="%{customdata[0]}：%{y:+.1f}%",
        customdata=[[_year_text(y)] for y in rows["year"]],
        slots=True,
    )
    fig.add_hline(y=0, line={"color": "#9E9E9E", "width": 1})
    known = rows.filter(pl.col("income_growth").is_not_null() | pl.col("expenditure_growth").is_not_null())
    _year_axis(fig, (known if known.height else rows)["year"])
    fig.update_yaxes(title="同比增长（%）", ticksuffix="%", tickformat=".1~f")
    return base_layout(fig.update_layout(barmode="overlay"), title)


def balance_rate_chart(s: pl.DataFrame, by: str, regions: Sequence[str] | None = None) -> go.Figure:
    """Balance rate per year as bars; deficits (negative rates) in red with a red outline;
    estimated or derived rates hatched."""
    colors = _colors(s, by, regions)
    s, note = _top_regions(s, by, "value", "当期结余率")
    groups = _groups(s, by)
    fig = go.Figure()
    for (key, label, rows), slot in zip(groups, _bar_slots(len(groups)), strict=True):
        color = colors[key]
        values = rows["value"].to_list()
        fig.add_trace(_legend_entry(key, label, color, "bar"))
        fig.add_trace(
            go.Bar(
                x=rows["year"].to_list(),
                y=values,
                name=label,
                legendgroup=key,
                showlegend=False,
                **slot,
                marker={
                    "color": color,
                    "line": {"color": [DEFICIT_COLOR if v < 0 else color for v in values], "width": 3},
                    "pattern": _hatch(_marked(rows)),
                },
                text=[f"{v:.1f}%" for v in values],
                textposition="outside",
                textfont={"color": [DEFICIT_COLOR if v < 0 else "#424242" for v in values], "size": 15},
                customdata=[
                    [label, _year_text(r["year"]), "（收不抵支）" if r["value"] < 0 else "", _note(r)]
                    for r in rows.iter_rows(named=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}：%{y:.1f}%%{customdata[2]}%{customdata[3]}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#424242", "width": 1.5})
    _year_axis(fig, s["year"])
    fig.update_yaxes(title="当期结余率（%）", ticksuffix="%", tickformat=".1~f")
    return base_layout(fig.update_layout(barmode="overlay"), "当期结余率（当期结余 ÷ 基金收入）", note=note)


def reserves_chart(s: pl.DataFrame, by: str, regions: Sequence[str] | None = None) -> go.Figure:
    """Months of reserves against the configured bands (shaded, labelled)."""
    colors = _colors(s, by, regions)
    s, note = _top_regions(s, by, "value", "可支付月数")
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
    for key, label, rows in _groups(s, by):
        color = colors[key]
        fig.add_trace(_legend_entry(key, label, color, "line"))
        fig.add_trace(
            go.Scatter(
                x=rows["year"].to_list(),
                y=rows["value"].to_list(),
                mode="lines+markers+text",
                name=label,
                legendgroup=key,
                showlegend=False,
                **_line_style(color, rows, 12),
                text=[f"{v:.1f}" for v in rows["value"]],
                textposition="top center",
                customdata=[
                    [label, _year_text(r["year"]), settings().band_for(r["value"]).label, _note(r)]
                    for r in rows.iter_rows(named=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}：可支付 %{y:.1f} 个月（%{customdata[2]}）%{customdata[3]}<extra></extra>",
            )
        )
    _year_axis(fig, s["year"])
    fig.update_yaxes(title="可支付月数（个月）", range=[0, top])
    return base_layout(fig, "累计结余可支付月数（累计结余 ÷ 月均支出）", note=note)


PROJECTED_DASH = "dash"  # a projected (estimated) line: dashed, with hollow markers
FLOOR_DASH = "dot"


def projection_chart(
    actual: pl.DataFrame,
    projected: pl.DataFrame,
    base_year: int,
    floor_months: float,
    warnings: Sequence[tuple[int, str]],
    title: str,
    color: str,
) -> go.Figure:
    """风险预警: the reported cumulative balance (solid) and its projection from `base_year` (dashed,
    hollow markers, on a shaded band: estimates), the line of `floor_months` months of expenditure
    (dotted red) and zero; `warnings` (year, text) are marked on the projection.  Frames have
    year, expenditure, cumulative_balance and months (projection.PATH_SCHEMA)."""
    reported = actual.filter(pl.col("cumulative_balance").is_not_null())
    start = reported.filter(pl.col("year") == base_year)
    ahead = pl.concat([start, projected], how="vertical_relaxed")
    floor = (
        pl.concat([actual.filter(pl.col("year") <= base_year), projected], how="vertical_relaxed")
        .filter(pl.col("expenditure").is_not_null())
        .with_columns(line=floor_months * pl.col("expenditure") / 12)
    )
    scale = scale_for(
        Kind.money, [*ahead["cumulative_balance"].to_list(), *reported["cumulative_balance"].to_list()]
    )

    def hover(frame: pl.DataFrame, what: str) -> list[list[str]]:
        return [
            [_year_text(r["year"]), what, f"{r['months']:.1f}" if r["months"] is not None else "—"]
            for r in frame.iter_rows(named=True)
        ]

    fig = go.Figure()
    last = int(ahead["year"].max()) if ahead.height else base_year
    fig.add_vrect(
        x0=base_year + 0.5,
        x1=last + 0.5,
        fillcolor="#ECEFF1",
        opacity=0.7,
        line_width=0,
        layer="below",
        annotation_text="推算（估计值）",
        annotation_position="bottom right",
        annotation={"font": {"size": 13, "color": "#546E7A"}},
    )
    template = (
        f"%{{customdata[0]}}%{{customdata[1]}}<br>累计结余 %{{y:{scale.d3_format}}} {scale.unit}"
        "<br>可支付 %{customdata[2]} 个月<extra></extra>"
    )
    fig.add_trace(
        go.Scatter(
            x=reported["year"].to_list(),
            y=[scale.apply(v) for v in reported["cumulative_balance"]],
            mode="lines+markers",
            name="累计结余（报告数）",
            line={"color": color, "width": 3},
            marker={"symbol": "circle", "size": 11, "color": color},
            customdata=hover(reported, "（报告数）"),
            hovertemplate=template,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=ahead["year"].to_list(),
            y=[scale.apply(v) for v in ahead["cumulative_balance"]],
            mode="lines+markers",
            name="累计结余（推算）",
            line={"color": color, "width": 3, "dash": PROJECTED_DASH},
            marker={
                "symbol": "circle-open",
                "size": 10,
                "color": color,
                "line": {"width": 2.5, "color": color},
            },
            customdata=hover(ahead, "（推算）"),
            hovertemplate=template,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=floor["year"].to_list(),
            y=[scale.apply(v) for v in floor["line"]],
            mode="lines",
            name=f"{floor_months:g}个月支出（预警线）",
            line={"color": DEFICIT_COLOR, "width": 2, "dash": FLOOR_DASH},
            customdata=[[_year_text(y)] for y in floor["year"]],
            hovertemplate=f"%{{customdata[0]}}<br>{floor_months:g}个月支出 %{{y:{scale.d3_format}}} {scale.unit}"
            "<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": "#424242", "width": 1.5})
    points = {int(r["year"]): r["cumulative_balance"] for r in ahead.iter_rows(named=True)}
    for i, (year, text) in enumerate(warnings):
        if year in points:
            fig.add_annotation(
                x=year,
                y=scale.apply(points[year]),
                text=text,
                showarrow=True,
                arrowhead=2,
                arrowcolor=DEFICIT_COLOR,
                ax=0,
                ay=-48 - 30 * i,
                font={"color": DEFICIT_COLOR, "size": 14},
                bgcolor="rgba(255,255,255,0.85)",
            )
    _year_axis(fig, [*reported["year"].to_list(), *ahead["year"].to_list()])
    fig.update_yaxes(title=axis_title("累计结余", scale), tickformat=_tick_format(scale))
    return base_layout(fig, title)


MONTH_TICKS = [0, 3, 6, 9, 12]  # the year start and each quarter's end


def progress_chart(
    current: pl.DataFrame,
    previous: pl.DataFrame,
    budgets: dict[str, float],
    title: str,
) -> go.Figure:
    """年内进度: cumulative income (left) and expenditure (right) by the month a period ends,
    from 0 at the year's start; last year's same periods dotted; the whole-year budget reached
    evenly over twelve months dashed (where 时序进度 puts it).  Frames have metric (income or
    expenditure), months, value, period and year; `budgets` metric → whole-year budget."""
    from plotly.subplots import make_subplots

    panels = {"income": ("基金收入", INCOME_COLOR), "expenditure": ("基金支出", EXPENDITURE_COLOR)}
    values = [*current["value"].to_list(), *previous["value"].to_list(), *budgets.values()]
    scale = scale_for(Kind.money, values)
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.05,
        subplot_titles=[n for n, _ in panels.values()],
    )
    for col, (metric, (name, color)) in enumerate(panels.items(), start=1):
        budget = budgets.get(metric)
        if budget is not None:
            fig.add_trace(
                go.Scatter(
                    x=[0, 12],
                    y=[0, scale.apply(budget)],
                    mode="lines+markers+text",
                    name=f"{name}：时序进度线（全年预算 × 月数 ÷ 12）",
                    line={"color": color, "width": 1.5, "dash": "dash"},
                    marker={"symbol": ["circle", "diamond"], "size": [0, 12], "color": color},
                    text=["", f"全年预算 {format(scale.apply(budget), scale.d3_format)}"],
                    textposition="top left",
                    hovertemplate=f"全年预算{name} %{{y:{scale.d3_format}}} {scale.unit}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        for frame, label, dash, symbol in (
            (previous, f"上年同期{name}", FLOOR_DASH, "square-open"),
            (current, f"本年累计{name}", None, "circle"),
        ):
            rows = frame.filter(pl.col("metric") == metric).sort("months")
            if rows.is_empty():
                continue
            fig.add_trace(
                go.Scatter(
                    x=[0.0, *rows["months"].to_list()],
                    y=[0.0, *(scale.apply(v) for v in rows["value"])],
                    mode="lines+markers+text",
                    name=label,
                    line={"color": color, "width": 3 if dash is None else 2, "dash": dash},
                    marker={
                        "symbol": symbol,
                        "size": [0] + [11] * rows.height,
                        "color": color,
                        "line": {"width": 2, "color": color},
                    },
                    text=[""]
                    + (
                        [scale.text(v).split(" ")[0] for v in rows["value"]]
                        if dash is None
                        else [""] * rows.height
                    ),
                    textposition="top left",
                    customdata=["年初", *(f"{r['year']}年{r['period']}" for r in rows.iter_rows(named=True))],
                    hovertemplate=f"{name} %{{customdata}}<br>累计 %{{y:{scale.d3_format}}} {scale.unit}"
                    "<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(
            title="截至月末",
            range=[-0.3, 12.5],
            tickmode="array",
            tickvals=MONTH_TICKS,
            ticktext=["年初" if m == 0 else f"{m}月" for m in MONTH_TICKS],
            row=1,
            col=col,
        )
    fig.update_yaxes(title=f"累计金额（{scale.unit}）", tickformat=_tick_format(scale), row=1, col=1)
    fig.update_yaxes(tickformat=_tick_format(scale), row=1, col=2)
    return base_layout(fig, title, height=500)


def per_capita_scatter(
    s: pl.DataFrame, national: pl.DataFrame, regions: Sequence[str] | None = None
) -> go.Figure:
    """Income per insured person (x) against expenditure per insured person (y), one point per
    region-year sized by insured count, with the break-even line y = x and the national figures.
    A region keeps its colour (as on every chart), the fund is the marker's shape; only the
    SCATTER_LABELS largest regions are named, once each at their latest year (the other points on
    hover), so labels never pile up."""
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
    # a region is named once, at its latest year (its other years sit close by: hover for them),
    # and only the SCATTER_LABELS largest regions are
    latest = s.with_row_index("_i").sort("year").group_by("region_code", maintain_order=True).last()
    named = set(latest.sort("insured", descending=True, nulls_last=True).head(SCATTER_LABELS)["_i"].to_list())
    colors = _colors(s, "region", regions)
    indexed = s.with_row_index("_i")
    for region, rows in indexed.group_by("region_code", maintain_order=True):
        code = str(region[0])
        color = colors[code]
        fig.add_trace(_legend_entry(code, str(rows["region_name"][0]), color, "markers"))
        for fund, part in rows.group_by("fund", maintain_order=True):
            fund_code = str(fund[0])
            shape = FUND_SYMBOLS.get(fund_code, "diamond")
            name = settings().fund_name(fund_code)
            fig.add_trace(
                go.Scatter(
                    x=part["income_per_capita"].to_list(),
                    y=part["expenditure_per_capita"].to_list(),
                    mode="markers+text",
                    text=[
                        f"{r['region_name']}{r['year']}" if r["_i"] in named else ""
                        for r in part.iter_rows(named=True)
                    ],
                    textposition="top center",
                    name=f"{rows['region_name'][0]}·{name}",
                    legendgroup=code,
                    showlegend=False,
                    marker={
                        "size": [14 + 36 * (v / biggest) ** 0.5 for v in part["insured"]],
                        "color": color,
                        "opacity": 0.8,
                        "symbol": [f"{shape}-open" if m else shape for m in _marked(part)],
                        "line": {"width": 2, "color": color},
                    },
                    customdata=[
                        [r["region_name"], r["year"], r["insured"] / 1e4, _note(r)]
                        for r in part.iter_rows(named=True)
                    ],
                    hovertemplate="%{customdata[0]} %{customdata[1]}年 "
                    + name
                    + "<br>人均收入 %{x:,.0f} 元<br>人均支出 %{y:,.0f} 元<br>参保 %{customdata[2]:,.2f} 万人%{customdata[3]}"
                    "<extra></extra>",
                )
            )
    for fund_code in dict.fromkeys(s["fund"].to_list()):  # the shapes' key
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"{settings().fund_name(fund_code)}（形状）",
                marker={"symbol": FUND_SYMBOLS.get(fund_code, "diamond"), "size": 10, "color": "#616161"},
                hoverinfo="skip",
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
    return base_layout(fig, "人均基金收入与人均基金支出", height=560, note=maternity_note(national))


def maternity_note(national: pl.DataFrame) -> str | None:
    """Where the national figures drawn include 生育保险 (the 统计公报 say so from 2019, when the
    two funds were merged), a line saying so."""
    if national.is_empty():
        return None
    if "includes_maternity" not in national.columns:
        return None
    merged = national.filter(pl.col("includes_maternity"))
    years = sorted(set(merged["year"].to_list()))
    if not years:
        return None
    span = f"{years[0]}年" if len(years) == 1 else f"{years[0]}–{years[-1]}年"
    return f"全国职工医保{span}数据含生育保险（统计公报口径）"


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
            marker={"color": colors, "pattern": _hatch(_marked(rows))},
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
    fig.update_xaxes(title=axis_title(spec.name, scale), tickformat=_tick_format(scale))
    height = max(360, 40 * len(labels) + 140)
    return base_layout(fig.update_layout(showlegend=False), f"{year}年{spec.name}地区排名", height=height)


def budget_execution_chart(rows: pl.DataFrame) -> go.Figure:
    """预算执行率 (budget.execution rows): a horizontal bar per region, fund, year and measure,
    coloured by where it falls against the band of settings.yaml (shaded), a line at 100%;
    budget, outcome and gap on hover; hatched where a figure behind it is derived."""
    band = settings().budget_execution
    labels = [
        f"{r['region_name']} {r['fund_name']} {_year_text(r['year'])} {r['metric_name']}"
        for r in rows.iter_rows(named=True)
    ]
    scale = budget_money_scale(rows)
    fig = go.Figure()
    top = max([*rows["rate"].to_list(), band.high + 10.0]) * 1.12
    fig.add_vrect(
        x0=band.low,
        x1=band.high,
        fillcolor=band.within.color,
        opacity=0.10,
        line_width=0,
    )
    fig.add_vline(x=100, line={"color": "#424242", "width": 1.5, "dash": "dot"}, layer="below")
    for status in ("below", "within", "above"):
        if (rows["status"] == status).any():
            mark = band.mark(status)
            fig.add_trace(_legend_entry(status, mark.label, mark.color, "bar"))
    fig.add_trace(
        go.Bar(
            x=rows["rate"].to_list(),
            y=labels,
            orientation="h",
            marker={
                "color": [band.mark(s).color for s in rows["status"]],
                "pattern": _hatch(rows["derived"].to_list()),
            },
            text=[f"{v:.1f}%" for v in rows["rate"]],
            textposition="inside",
            insidetextanchor="end",
            textfont={"color": "#FFFFFF"},
            showlegend=False,
            customdata=[
                [
                    scale.text(r["budget"]),
                    scale.text(r["actual"]),
                    scale.text(r["gap"], sign=True),
                    band.mark(r["status"]).label,
                    "（含推算值）" if r["derived"] else "",
                ]
                for r in rows.iter_rows(named=True)
            ],
            hovertemplate="%{y}<br>预算 %{customdata[0]}，实际 %{customdata[1]}<br>"
            "执行率 %{x:.1f}%（%{customdata[3]}），差额 %{customdata[2]}%{customdata[4]}<extra></extra>",
        )
    )
    fig.update_xaxes(title="预算执行率（实际 ÷ 预算，%）", ticksuffix="%", range=[0, top])
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    height = 180 + 44 * rows.height
    note = f"阴影：{band.within.label}区间 {band.low:g}%–{band.high:g}%；虚线：100%（与预算持平）"
    return base_layout(fig, "预算执行率（实际 ÷ 预算）", height=max(height, 320), note=note)
