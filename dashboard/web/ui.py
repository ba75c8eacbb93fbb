"""Streamlit pieces the pages share: style, chart display, empty states, cards and sources."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard.core import analysis, freshness, source_links, trace
from dashboard.core.charts import plotly_config
from dashboard.core.scope import Filters
from dashboard.core.settings import settings
from dashboard.core.units import format_value
from dashboard.web import data, present
from dashboard.web.navigation import page_path
from pipelines import codes

_STYLE = """
<style>
[data-testid="stMetricValue"] { font-size: 1.9rem; }
[data-testid="stMetricLabel"] p { font-size: 1.0rem; }
.medfund-scope { color: #546E7A; font-size: 0.95rem; margin-top: -0.6rem; }
</style>
"""


# what markdown (CommonMark, GFM, Streamlit's :color[…], :material/…:, $math$) gives a meaning to;
# a backslash before any ASCII punctuation makes it a literal character
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+!|~$:@])")
_LINE_START = re.compile(r"(?m)^(\s*)([-=]|\d+(?=\.))")  # list items, setext headings, "1." lists
_WWW = re.compile(r"(?i)(www)\.")  # GFM's www.… autolinks


def plain(value: object) -> str:
    """A user-supplied string (file name, quote, reason, user name, title) as literal text inside
    markdown: no image, link, HTML, emphasis or heading can come out of it.  Every st.markdown,
    caption, alert, subheader, expander or metric label that shows such a string passes it here."""
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", str(value))
    text = _WWW.sub(r"\1\\.", text)
    return _LINE_START.sub(lambda m: m[1] + ("\\" + m[2] if m[2] in "-=" else m[2] + "\\"), text)


def apply_style() -> None:
    st.html(_STYLE)


def header(title: str, f: Filters | None, note: str | None = None, basis: bool = True) -> None:
    """Page title and the scope the filters give it (the basis only where the page uses it)."""
    st.title(title)
    if f is not None:
        funds = "、".join(settings().fund_name(x) for x in f.funds) or "未选险种"
        scope = f"{f.year_text} · {funds}"
        if basis:
            scope += f" · 口径：{settings().bases[f.basis].name}"
        st.html(f'<div class="medfund-scope">{scope}</div>')
    data_as_of(f)
    if note:
        st.caption(note)
    if f is not None and f.regions and not present.active():
        awaiting_review(f)


def data_as_of(f: Filters | None) -> None:
    """数据截至 (the newest report period of the view) and the last ingest, as a small caption
    under every page's title (ui.header); nothing when the library is empty."""
    params = freshness.query_params(f.regions if f else (), f.funds if f else ())
    text = freshness.data_as_of(data.query("data_as_of", **params)).text
    if text:
        st.caption(text, help=freshness.HELP)


def awaiting_review(f: Filters) -> None:
    """How many figures of the view wait for a steward, with the way to the 待核查 queue: until
    confirmed they are in no chart, card, ranking, deck or workbook."""
    n = data.query("awaiting_review", **f.params).height
    if n == 0:
        return
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.caption(
        f"所选范围内有 {n} 个数据待核查（识别把握不足）：校核人确认前不进入图表、卡片、排名和汇报材料。"
    )
    c2.page_link(page_path("corrections"), label=f"去核查（{n}）", icon=":material/fact_check:")


def level_filter(
    ind: pl.DataFrame, widths: list[int], key: str, levels: list[str] | None = None
) -> tuple[pl.DataFrame, list]:
    """The regions of one level (省级 / 市级 / 县级), chosen where the view holds several (the
    level with the most regions first, or ``levels``' order), and the row of columns of
    ``widths`` for the page's other controls — with a narrow first one for the choice only when
    there is one to make."""
    present_levels = analysis.levels(ind) if levels is None else levels
    if len(present_levels) <= 1 or present.active():
        level = present_levels[0] if present_levels else None
        return (ind if level is None else ind.filter(pl.col("region_level") == level)), st.columns(widths)
    first, *rest = st.columns([1, *widths])
    level = first.selectbox("级别", present_levels, format_func=codes.names("level").get, key=key)
    return ind.filter(pl.col("region_level") == level), rest


def empty(message: str) -> None:
    """An empty state that says what is missing."""
    st.info(message, icon=":material/info:")


def table_or_note(table: pl.DataFrame, when_empty: str) -> None:
    """A full-width table, or a quiet note when it has no rows."""
    if table.is_empty():
        st.caption(when_empty)
    else:
        show_table(table)


def show_table(
    table: pl.DataFrame, width: str = "stretch", widths: dict[str, str | int] | None = None
) -> None:
    """A table: interactive on a desk (``widths``: column → small, medium, large or pixels); on the
    projector a plain one in large type (at most PROJECTOR_ROWS rows, the count of the rest said
    below it)."""
    if not present.active():
        config = {c: st.column_config.TextColumn(width=w) for c, w in (widths or {}).items()}
        st.dataframe(table, hide_index=True, width=width, column_config=config or None)
        return
    st.html(_PROJECTOR_TABLE_STYLE)
    st.table(table.head(PROJECTOR_ROWS).to_pandas().set_index(table.columns[0]))
    if table.height > PROJECTOR_ROWS:
        st.caption(f"另有 {table.height - PROJECTOR_ROWS} 行，见仪表盘。")


PROJECTOR_ROWS = 12
_PROJECTOR_TABLE_STYLE = (
    '<style>[data-testid="stTable"] table { font-size: 1.35rem; }'
    ' [data-testid="stTable"] th { font-size: 1.2rem; }</style>'
)


def require_filters(f: Filters | None) -> bool:
    """False (after saying why) when the filters leave nothing to show."""
    if f is None:
        empty("数据库中还没有数据。请先用 `python -m pipelines ingest` 导入报告。")
        return False
    if not f.regions:
        empty("请在左侧选择至少一个地区。")
        return False
    if not f.funds:
        empty("请在左侧选择至少一个险种。")
        return False
    return True


def chart(fig: go.Figure, key: str, projector: bool | None = None) -> None:
    """A chart at full width; `projector` (by default: while presenting) enlarges its type."""
    if present.active() if projector is None else projector:
        fig = projector_figure(fig)
    config = plotly_config(fig)  # the toolbar in Chinese, the PNG named after the chart's title
    st.plotly_chart(fig, config=config, key=key, width="stretch")


PROJECTOR_FONT = 20  # base size of chart text on the projector (charts.base_layout uses 15)
PROJECTOR_SCALE = PROJECTOR_FONT / 15


def projector_figure(fig: go.Figure) -> go.Figure:
    """A copy of a chart for the projector: every text about a third larger, the plot taller."""
    big = go.Figure(fig)
    layout = big.layout

    def bigger(size: float | None, default: float) -> float:
        return round((size or default) * PROJECTOR_SCALE, 1)

    big.update_layout(
        font_size=PROJECTOR_FONT,
        title_font_size=bigger(layout.title.font.size, 20),
        legend_font_size=bigger(layout.legend.font.size, 15),
        hoverlabel_font_size=bigger(layout.hoverlabel.font.size, 14),
        height=round((layout.height or 460) * 1.2),
    )
    big.update_xaxes(tickfont_size=PROJECTOR_FONT - 1, title_font_size=PROJECTOR_FONT)
    big.update_yaxes(tickfont_size=PROJECTOR_FONT - 1, title_font_size=PROJECTOR_FONT)
    big.for_each_annotation(lambda a: a.update(font_size=bigger(a.font.size, 15)))
    for trace_ in big.data:
        textfont = getattr(trace_, "textfont", None)
        if textfont is not None and isinstance(textfont.size, int | float):
            trace_.textfont.size = bigger(textfont.size, 15)
    return big


def marks_note() -> None:
    st.caption(
        "空心标记 / 斜线填充：预计、预算数或推算值（非报告直接披露的实际数）。比率与人均值按公式计算。"
    )


def fact_label(row: dict) -> str:
    cfg = settings()
    spec = cfg.indicators.get(row["metric"])
    name = spec.name if spec else row["metric"]
    return f"{row['region_name']} {row['year']}年 {cfg.fund_name(row['fund'])} {name}"


def sources(fact_frame: pl.DataFrame, title: str = "数据来源") -> None:
    """The facts behind what is shown: value, quote and report, in an expander."""
    with st.expander(f"{title}（{fact_frame.height} 条）"):
        if fact_frame.is_empty():
            st.caption("没有可追溯的原文数据。")
            return
        cfg = settings()
        table = fact_frame.select(
            pl.col("region_name").alias("地区"),
            pl.col("year").alias("年度"),
            pl.col("fund")
            .replace_strict({k: f.short for k, f in cfg.funds.items()}, default=pl.col("fund"))
            .alias("险种"),
            pl.col("metric")
            .replace_strict({k: i.name for k, i in cfg.indicators.items()}, default=pl.col("metric"))
            .alias("指标"),
            pl.col("value").alias("数值（元/人/人次）"),
            pl.col("basis")
            .replace_strict({k: b.name for k, b in cfg.bases.items()}, default=pl.col("basis"))
            .alias("口径"),
            pl.col("quote").alias("原文"),
            pl.col("report_name").alias("报告"),
            *([source_links.address_column()] if "source_url" in fact_frame.columns else []),
        )
        st.dataframe(table, hide_index=True, width="stretch", column_config=link_columns())


def link_columns() -> dict[str, st.column_config.LinkColumn]:
    """A table's 来源网址 column as links showing the site's host (the address itself is data)."""
    return {source_links.HEADER: st.column_config.LinkColumn(display_text=r"https?://([^/?#]+)")}


def quote_in_document(fact_id: str) -> None:
    """One fact's quote highlighted in the surrounding text of its report."""
    rows = data.query("facts_by_id", fact_ids=[fact_id])
    if rows.is_empty():
        empty("找不到这条数据的原文（可能已重新导入）。")
        return
    fact = rows.row(0, named=True)
    doc = data.query("document_text", doc_id=fact["doc_id"])
    if doc.is_empty():
        empty("找不到这条数据所在的报告。")
        return
    text = doc["text"][0]
    st.markdown(
        f"**{fact_label(fact)}：{format_value(fact['value'], _kind(fact['unit']))}**"
        f" — 来自《{plain(fact['file_name'])}》"
    )
    st.html(trace.quote_html(text, fact["quote_start"], fact["quote_end"]))


def _kind(unit: str) -> str:
    return {"yuan": "money", "person": "people", "visit": "visits", "percent": "rate"}.get(unit, "per_capita")
