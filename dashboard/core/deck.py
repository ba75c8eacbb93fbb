"""The 汇报 deck: a PowerPoint presentation for chosen regions and years (python-pptx).

Slides: a title; per region the headline figures with their change on last year, the written
analysis of that year (narrative.py), income and expenditure over the years, balance rates and
months of reserves against their bands; budget execution where the view has budgets beside
outcomes (budget.py); the per-capita figures against the national ones; the data-quality
notes; the reports used.
Charts are native PowerPoint charts (their data inside the deck, editable); every piece of
text names 微软雅黑 in both the latin and the East Asian (`a:ea`) font slots, so Chinese renders
in PowerPoint, WPS and LibreOffice alike.

Public API (the 汇报 page and the command line use exactly these):
`DeckRequest`, `build_deck(con, request)`, `deck_bytes(con, request)`,
`write_deck(db_path, request, out)`.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from pptx.text.text import TextFrame
from pptx.util import Emu, Inches, Pt

from dashboard.core import analysis, budget, database, freshness, narrative, source_links
from dashboard.core.charts import EXPENDITURE_COLOR, INCOME_COLOR
from dashboard.core.scope import Filters, region_label
from dashboard.core.settings import Kind, settings
from dashboard.core.units import Scale, format_change, format_value, scale_for
from pipelines import codes

DECK_QUERIES = database.load_queries(Path(__file__).with_name("deck.sql"))

FONT = "微软雅黑"  # set in the latin and the East Asian slot of every run
WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 16:9, 13.333 × 7.5 in
MARGIN = Inches(0.5)
BODY_TOP, BODY_BOTTOM = Inches(1.3), Inches(6.85)
BODY_WIDTH = WIDTH - 2 * MARGIN
TEXT = RGBColor(0x26, 0x32, 0x38)
MUTED = RGBColor(0x60, 0x7D, 0x8B)
ACCENT = RGBColor(0x1F, 0x5F, 0xBF)
HEADER_FILL = RGBColor(0x37, 0x47, 0x4F)
ZEBRA_FILL = RGBColor(0xF3, 0xF6, 0xF8)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
NATIONAL_COLOR = "#9E9E9E"
DEFICIT_COLOR = "#C62828"
SEVERITY_COLORS = {"error": DEFICIT_COLOR, "warning": "#F9A825", "info": "#607D8B"}

CHARTS_PER_SLIDE = 6
PER_CAPITA_ROWS = 8  # categories per per-capita chart
PER_CAPITA_ALL_YEARS = 2 * PER_CAPITA_ROWS  # more rows than this: each region and fund's latest year
BALANCE_COLUMN_YEARS = 5  # balance rates as columns up to this many years, as lines beyond
MAX_LABELLED_BARS = 12  # value labels on column charts up to this many bars
RESERVE_YEARS = 3  # months of reserves: each fund's latest years
SOURCE_ROWS = 9  # reports per sources slide: a title and its address each
SOURCE_ROW_HEIGHT = Inches(0.56)
LIST_ITEMS = 8
MISSING = "未披露"


@dataclass(frozen=True)
class DeckRequest:
    """What the deck covers: region codes, a year range (None: the data's span for those
    regions), the basis view and fund codes (empty: the settings' default funds)."""

    regions: tuple[str, ...]
    first_year: int | None = None
    last_year: int | None = None
    basis: str = "actual"
    funds: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Scope(Filters):
    """The request checked against the database: known codes, a definite year range (the
    filters' own fields), and the regions' names."""

    names: dict[str, str]  # code → short name (赫山区)
    labels: dict[str, str]  # code → name with province and city (赫山区（湖南省益阳市）)

    @property
    def basis_name(self) -> str:
        return settings().bases[self.basis].name


@dataclass(frozen=True)
class _Data:
    """Everything the slides read, queried once."""

    ind: pl.DataFrame
    checks: pl.DataFrame
    rejections: pl.DataFrame
    sources: pl.DataFrame
    documents: pl.DataFrame
    national: pl.DataFrame
    corrections: pl.DataFrame | None
    execution: pl.DataFrame  # budget.execution rows of the scope
    narratives: dict[str, narrative.Narrative]  # region → the written analysis of its latest year


# ---------------------------------------------------------------------------------------
# public API


def build_deck(con: duckdb.DuckDBPyConnection, request: DeckRequest) -> PresentationType:
    """The deck for `request` from the dashboard's connection (database.open_database).

    Raises ValueError (a Chinese message) for unknown codes or when there is no data."""
    scope = _resolve(con, request)
    data = _gather(con, scope)
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    as_of = freshness.data_as_of(
        database.run_query(con, "data_as_of", **freshness.query_params(scope.regions, scope.funds))
    )
    _title_slide(prs, scope, as_of.text)
    for region in scope.regions:
        _summary_slide(prs, scope, data, region)
    for region in scope.regions:
        _narrative_slides(prs, scope, data, region)
    for region in scope.regions:
        _trend_slides(prs, scope, data, region)
    for region in scope.regions:
        _balance_slide(prs, scope, data, region)
    _budget_slides(prs, scope, data)
    _per_capita_slides(prs, scope, data)
    _quality_slide(prs, scope, data)
    _sources_slides(prs, scope, data)
    _footers(prs, scope)
    _east_asian_everywhere(prs)
    return prs


def deck_bytes(con: duckdb.DuckDBPyConnection, request: DeckRequest) -> bytes:
    """The deck as the bytes of a .pptx file (for a download button)."""
    buffer = io.BytesIO()
    build_deck(con, request).save(buffer)
    return buffer.getvalue()


def write_deck(db_path: Path, request: DeckRequest, out: Path) -> Path:
    """Open the MedFund file, write the deck to `out` (whole or not at all), close the file."""
    db_path, out = Path(db_path), Path(out)
    if not db_path.is_file():
        raise database.DatabaseMissing(f"数据库文件不存在：{db_path}")
    con = database.open_database(str(db_path))
    try:
        prs = build_deck(con, request)
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".pptx", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            prs.save(handle)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


# ---------------------------------------------------------------------------------------
# the request against the database


def _resolve(con: duckdb.DuckDBPyConnection, request: DeckRequest) -> _Scope:
    cfg = settings()
    regions = tuple(dict.fromkeys(request.regions))
    if not regions:
        raise ValueError("请至少选择一个地区。")
    options = database.run_query(con, "region_options")
    known = {r["region_code"]: r for r in options.iter_rows(named=True)}
    unknown = [r for r in regions if r not in known]
    if unknown:
        listed = "、".join(f"{c} {r['region_name']}" for c, r in list(known.items())[:12])
        more = "等" if len(known) > 12 else ""
        have = f"数据库中的地区：{listed}{more}" if known else "数据库中还没有任何地区的数据"
        raise ValueError(f"未知的地区代码：{'、'.join(unknown)}（{have}）。")
    funds = tuple(dict.fromkeys(request.funds)) or cfg.default_funds
    bad_funds = [f for f in funds if f not in cfg.funds]
    if bad_funds:
        raise ValueError(f"未知的险种代码：{'、'.join(bad_funds)}（可选：{'、'.join(cfg.funds)}）。")
    if request.basis not in cfg.bases:
        raise ValueError(f"未知的口径：{request.basis}（可选：{'、'.join(cfg.bases)}）。")
    first, last = request.first_year, request.last_year
    if first is not None and last is not None and first > last:
        raise ValueError(f"起始年度 {first} 晚于结束年度 {last}。")
    present = database.run_query(
        con,
        "indicators",
        basis=request.basis,
        regions=list(regions),
        funds=list(funds),
        first_year=first if first is not None else 0,
        last_year=last if last is not None else 9999,
    )
    names = {c: known[c]["region_name"] for c in regions}
    if present.is_empty():
        years = _years_text(first, last)
        raise ValueError(
            f"{'、'.join(names.values())}{years}没有{cfg.bases[request.basis].name}口径下"
            f"所选险种（{'、'.join(cfg.fund_name(f) for f in funds)}）的数据。"
        )
    return _Scope(
        regions=regions,
        names=names,
        labels={c: region_label(known[c]) for c in regions},
        funds=funds,
        first_year=first if first is not None else int(present["year"].min()),
        last_year=last if last is not None else int(present["year"].max()),
        basis=request.basis,
    )


def _years_text(first: int | None, last: int | None) -> str:
    if first is None and last is None:
        return ""
    if first == last:
        return f"在{first}年"
    return f"在{first or '…'}–{last or '…'}年"


def _deck_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """A named query of deck.sql, parametrised."""
    cursor = con.cursor()
    try:
        return cursor.sql(DECK_QUERIES[name], params=params or None).pl()
    finally:
        cursor.close()


def _gather(con: duckdb.DuckDBPyConnection, scope: _Scope) -> _Data:
    cfg = settings()
    # the metrics behind what the deck shows: headline cards and per-capita figures
    shown = (*cfg.headline, "income_per_capita", "expenditure_per_capita")
    metrics = list(dict.fromkeys(m for key in shown for m in cfg.indicators[key].sources))
    regions = list(scope.regions)
    years = {"first_year": scope.first_year, "last_year": scope.last_year}
    columns = set(_deck_query(con, "fact_columns")["column_name"])
    corrections = _deck_query(con, "corrected_facts", **scope.params) if "origin" in columns else None
    ind = database.run_query(con, "indicators", basis=scope.basis, **scope.params)
    run = functools.partial(database.run_query, con)
    narratives = {}
    for region in regions:
        year, _ = _latest_cards(ind.filter(pl.col("region_code") == region), scope.funds)
        if year is not None:
            narratives[region] = narrative.build(run, region, year, scope.funds, scope.basis)
    values = database.run_query(
        con, "indicator_facts", views=list(budget.VIEWS), metrics=list(budget.METRICS), **scope.params
    )
    return _Data(
        ind=ind,
        checks=database.run_query(con, "checks", regions=regions, **years),
        rejections=database.run_query(con, "rejections", regions=regions),
        sources=database.run_query(
            con, "indicator_sources", basis=scope.basis, metrics=metrics, **scope.params
        ),
        documents=database.run_query(con, "documents", regions=regions),
        national=analysis.national_reference(),
        corrections=corrections,
        execution=budget.execution(values),
        narratives=narratives,
    )


# ---------------------------------------------------------------------------------------
# text: every run in 微软雅黑, latin and East Asian slots


def _typeface(rpr: Any) -> None:
    """Name FONT in the latin and the East Asian slot of an a:rPr / a:defRPr / a:endParaRPr."""
    latin = rpr.get_or_add_latin()
    latin.set("typeface", FONT)
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = OxmlElement("a:ea")
        latin.addnext(ea)
    ea.set("typeface", FONT)
    rpr.set("lang", "zh-CN")
    rpr.set("altLang", "en-US")


def _run(paragraph, text: str, size: float = 14, bold: bool = False, color: RGBColor = TEXT):
    run = paragraph.add_run()
    run.text = text
    font = run.font
    font.size, font.bold = Pt(size), bold
    font.color.rgb = color
    _typeface(run._r.get_or_add_rPr())
    return run


def _paragraph(frame: TextFrame, first: bool, align=None, space_after: float = 4):
    paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.space_after = Pt(space_after)
    return paragraph


def _textbox(slide: Slide, left: int, top: int, width: int, height: int) -> TextFrame:
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = Inches(0.05)
    return frame


# a line of text: plain, or segments (text, size, bold, colour)
# text, size, bold, colour (and, for a link, the address it opens)
Segment = tuple[str, float, bool, RGBColor] | tuple[str, float, bool, RGBColor, str]


def _lines(
    frame: TextFrame, lines: Sequence[str | Sequence[Segment]], size: float = 14, space_after: float = 4
) -> None:
    for i, line in enumerate(lines):
        paragraph = _paragraph(frame, i == 0, space_after=space_after)
        for text, seg_size, bold, color in [(line, size, False, TEXT)] if isinstance(line, str) else line:
            _run(paragraph, text, seg_size, bold, color)


def _rgb(hex_color: str) -> RGBColor:
    return RGBColor.from_string(hex_color.lstrip("#").upper())


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listing(items: Sequence[str], limit: int, noun: str) -> str:
    """甲、乙、丙 — or the first `limit` of them and how many there are."""
    if len(items) <= limit:
        return "、".join(items)
    return "、".join(items[:limit]) + f"等 {len(items)} {noun}"


# ---------------------------------------------------------------------------------------
# slides


def _slide(prs: PresentationType, title: str) -> Slide:
    """A slide with its title across the top (a real title placeholder: the outline names it)."""
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # Title Only
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.3), BODY_WIDTH, Inches(0.8)
    frame = shape.text_frame
    frame.clear()
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    _run(paragraph, title, 28, True, TEXT)
    rule = slide.shapes.add_connector(1, MARGIN, Inches(1.12), WIDTH - MARGIN, Inches(1.12))
    rule.line.color.rgb = ACCENT
    rule.line.width = Pt(2)
    return slide


def _missing(slide: Slide, message: str, box: tuple[int, int, int, int] | None = None) -> None:
    """What a slide says where a region did not disclose what it would show."""
    left, top, width, height = box or (MARGIN, BODY_TOP, BODY_WIDTH, BODY_BOTTOM - BODY_TOP)
    frame = _textbox(slide, left, top + height // 3, width, Inches(1.2))
    paragraph = _paragraph(frame, True, PP_ALIGN.CENTER)
    _run(paragraph, MISSING, 24, True, MUTED)
    _run(_paragraph(frame, False, PP_ALIGN.CENTER), message, 14, False, MUTED)


def _title_slide(prs: PresentationType, scope: _Scope, as_of: str = "") -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])  # Title Slide
    cfg = settings()
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    title.left, title.top, title.width, title.height = MARGIN, Inches(1.9), BODY_WIDTH, Inches(1.4)
    subtitle.left, subtitle.top, subtitle.width = MARGIN, Inches(3.6), BODY_WIDTH
    subtitle.height = Inches(2.6)
    title.text_frame.clear()
    _run(title.text_frame.paragraphs[0], "医保基金运行分析", 44, True, TEXT)
    frame = subtitle.text_frame
    frame.clear()
    frame.word_wrap = True
    lines = [
        ("地区：" + _listing([scope.labels[c] for c in scope.regions], 6, "个地区"), 20, TEXT),
        (f"年度：{scope.year_text}　　口径：{scope.basis_name}", 20, TEXT),
        ("险种：" + "、".join(cfg.fund_name(f) for f in scope.funds), 16, MUTED),
        (f"生成日期：{date.today():%Y年%m月%d日}　　数据：MedFund（报告原文提取，逐项可追溯）", 14, MUTED),
        *([(as_of, 14, MUTED)] if as_of else []),
    ]
    for i, (text, size, color) in enumerate(lines):
        paragraph = _paragraph(frame, i == 0, PP_ALIGN.CENTER, space_after=6)
        _run(paragraph, text, size, False, color)


# -- headline summary ------------------------------------------------------------------


def _latest_cards(rows: pl.DataFrame, funds: Sequence[str]) -> tuple[int | None, dict]:
    """The region's latest year with any headline figure, and its cards by (indicator, fund)."""
    cfg = settings()
    for year in sorted(rows["year"].unique().to_list(), reverse=True):
        cards = {}
        for fund in funds:
            mine = rows.filter(pl.col("fund") == fund)
            for key in cfg.headline:
                card = analysis.card(mine, key, year) if mine.height else None
                if card is not None:
                    cards[(key, fund)] = card
        if cards:
            return int(year), cards
    return None, {}


def _summary_slide(prs: PresentationType, scope: _Scope, data: _Data, region: str) -> None:
    cfg = settings()
    name = scope.names[region]
    rows = data.ind.filter(pl.col("region_code") == region)
    year, cards = _latest_cards(rows, scope.funds)
    if year is None:
        slide = _slide(prs, f"{name} · 主要指标")
        _missing(slide, f"{name}在{scope.year_text}未披露所选险种的基金数据。")
        return
    slide = _slide(prs, f"{name} · 主要指标（{year}年）")
    funds = [f for f in scope.funds if any((k, f) in cards for k in cfg.headline)]
    keys = [k for k in cfg.headline if any((k, f) in cards for f in funds)]
    header = ["指标", *(cfg.fund_name(f) for f in funds)]
    body = [[[[(cfg.indicators[k].name, 13, True, TEXT)]], *_card_row(cards, k, funds)] for k in keys]
    first = Inches(1.9)
    widths = [first] + [int((BODY_WIDTH - first) / len(funds))] * len(funds)
    height = _table(slide, header, body, (MARGIN, BODY_TOP), widths, row_height=Inches(0.47))
    notes = _summary_notes(rows.filter(pl.col("year") == year), data.checks.clear())
    notes.append(
        [
            (
                "较上年：金额与人数为增长率，比率与月数为差值；“预计”“推算”为非报告直接披露的实际数。",
                11,
                False,
                MUTED,
            )
        ]
    )
    top = BODY_TOP + height + Inches(0.12)
    _lines(_textbox(slide, MARGIN, top, BODY_WIDTH, BODY_BOTTOM - top), notes, 11, space_after=1)


def _card_row(cards: dict, key: str, funds: Sequence[str]) -> list[list[list[Segment]]]:
    """One indicator's cells across the funds, in one unit (31.93 亿元 beside −0.91 亿元)."""
    kind = settings().indicators[key].kind
    row = [cards.get((key, f)) for f in funds]
    scale = scale_for(kind, [c.value for c in row if c is not None])
    return [_card_cell(c, kind, scale) for c in row]


def _card_cell(card: analysis.Card | None, kind: str, scale: Scale) -> list[list[Segment]]:
    """Two lines in a table cell: the value (and its mark), the change on last year."""
    if card is None:
        return [[("—", 13, False, MUTED)]]
    mark = "预计 · " if card.estimated else "推算 · " if card.derived else ""
    change = format_change(card.value, card.previous, kind)
    second = mark + (f"较上年 {change}" if change else "上年未披露")
    return [[(scale.text(card.value), 13, True, TEXT)], [(second, 9, False, MUTED)]]


def _summary_notes(rows_year: pl.DataFrame, no_checks: pl.DataFrame) -> list[str | Sequence[Segment]]:
    """Deficits and reserves outside the reasonable band (analysis.alerts), at most three."""
    found = [a for a in analysis.alerts(rows_year, no_checks) if a.kind in ("deficit", "reserves")]
    red = _rgb(DEFICIT_COLOR)
    notes: list[str | Sequence[Segment]] = [
        [
            ("● ", 11, True, red if a.severity == "error" else _rgb("#F9A825")),
            (_short(f"{a.title}：{a.detail}", 80), 11, False, TEXT),
        ]
        for a in found[:3]
    ]
    if len(found) > 3:
        notes.append([(f"另有 {len(found) - 3} 项提示，见仪表盘“总览”页。", 11, False, MUTED)])
    return notes


def _table(
    slide: Slide,
    header: Sequence[str],
    body: Sequence[Sequence[Sequence[Sequence[Segment]]]],
    at: tuple[int, int],
    widths: Sequence[int],
    size: float = 13,
    row_height: int = Inches(0.4),
) -> int:
    """A table of fixed row heights: a dark header row, then cells of lines of segments.
    Returns its height."""
    left, top = at
    height = Inches(0.4) + row_height * len(body)
    table = slide.shapes.add_table(len(body) + 1, len(header), left, top, sum(widths), height).table
    for i, w in enumerate(widths):
        table.columns[i].width = Emu(int(w))
    table.rows[0].height = Inches(0.4)
    for row in list(table.rows)[1:]:
        row.height = row_height
    for j, text in enumerate(header):
        cell = table.cell(0, j)
        cell.fill.solid()
        cell.fill.fore_color.rgb = HEADER_FILL
        cell.text_frame.clear()
        _run(cell.text_frame.paragraphs[0], text, size, True, WHITE)
    for i, row in enumerate(body, start=1):
        for j, lines in enumerate(row):
            cell = table.cell(i, j)
            cell.fill.solid()
            cell.fill.fore_color.rgb = ZEBRA_FILL if i % 2 == 0 else WHITE
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            frame = cell.text_frame
            frame.clear()
            frame.word_wrap = True
            for k, segments in enumerate(lines):
                paragraph = _paragraph(frame, k == 0, space_after=0)
                for text, seg_size, bold, color, *link in segments:
                    run = _run(paragraph, text, seg_size, bold, color)
                    if link:  # a segment's fifth element: the address it links to
                        run.hyperlink.address = link[0]
    return height


# -- charts ------------------------------------------------------------------------------


def _chart(
    slide: Slide,
    kind: XL_CHART_TYPE,
    data: CategoryChartData,
    box: tuple[int, int, int, int],
    title: str,
    axis_title: str,
    number_format: str,
    legend: bool = True,
) -> Chart:
    """A native chart with a title, a value-axis title with the unit, and Chinese text set
    in the East Asian slot of the chart's text properties."""
    chart = slide.shapes.add_chart(kind, *box, data).chart
    chart.font.size = Pt(12)
    chart.font.name = FONT
    chart.font.color.rgb = TEXT
    chart.has_title = True
    frame = chart.chart_title.text_frame
    frame.clear()
    _run(frame.paragraphs[0], title, 15, True, TEXT)
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE0, 0xE0, 0xE0)
    value_axis.tick_labels.number_format = number_format
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.has_title = True
    axis_frame = value_axis.axis_title.text_frame
    axis_frame.clear()
    _run(axis_frame.paragraphs[0], axis_title, 12, False, MUTED)
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # below negative bars
    _chart_east_asian(chart)
    return chart


def _chart_east_asian(chart: Chart) -> None:
    """FONT in both slots of every text property of the chart (txPr defRPr, rich-text runs)."""
    space = chart._chartSpace
    for rpr in [*space.iter(qn("a:defRPr")), *space.iter(qn("a:rPr")), *space.iter(qn("a:endParaRPr"))]:
        _typeface(rpr)


def _data_labels(chart: Chart, number_format: str, position: XL_LABEL_POSITION, size: float = 10) -> None:
    plot = chart.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = number_format
    labels.number_format_is_linked = False
    labels.position = position
    labels.font.size = Pt(size)
    _chart_east_asian(chart)


def _series_labels(series, number_format: str, position: XL_LABEL_POSITION, size: float = 10) -> None:
    labels = series.data_labels
    labels.show_value = True
    labels.number_format = number_format
    labels.number_format_is_linked = False
    labels.position = position
    labels.font.size = Pt(size)


def _grid(n: int) -> list[tuple[int, int, int, int]]:
    """Boxes for n (≤ 6) charts in the body: one, side by side, two by two or three by two."""
    gap = Inches(0.3)
    height = BODY_BOTTOM - BODY_TOP - Inches(0.35)
    cols, rows = {1: (1, 1), 2: (2, 1), 3: (2, 2), 4: (2, 2)}.get(n, (3, 2))
    width = int((BODY_WIDTH - gap * (cols - 1)) / cols)
    tall = int((height - gap * (rows - 1)) / rows)
    return [
        (MARGIN + col * (width + gap), BODY_TOP + row * (tall + gap), width, tall)
        for row in range(rows)
        for col in range(cols)
    ][:n]


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _number_format(scale: Scale) -> str:
    return "#,##0" if scale.decimals == 0 else "#,##0." + "0" * scale.decimals


def _note_line(slide: Slide, text: str) -> None:
    frame = _textbox(slide, MARGIN, BODY_BOTTOM - Inches(0.3), BODY_WIDTH, Inches(0.35))
    _lines(frame, [[(text, 11, False, MUTED)]])


# -- trends ------------------------------------------------------------------------------

_TREND_METRICS = (
    ("income", "基金收入", INCOME_COLOR, XL_LABEL_POSITION.BELOW),
    ("expenditure", "基金支出", EXPENDITURE_COLOR, XL_LABEL_POSITION.ABOVE),
)


def _trend_slides(prs: PresentationType, scope: _Scope, data: _Data, region: str) -> None:
    """Income and expenditure over the years, one native line chart per fund, up to six a slide."""
    name = scope.names[region]
    rows = data.ind.filter(pl.col("region_code") == region)
    panels = []
    for fund in scope.funds:
        mine = rows.filter(pl.col("fund") == fund)
        lines = {m: analysis.series(mine, m) for m, *_ in _TREND_METRICS}
        if any(s.height for s in lines.values()):
            panels.append((fund, lines))
    if not panels:
        slide = _slide(prs, f"{name} · 基金收支趋势")
        _missing(slide, f"{name}在{scope.year_text}未披露所选险种的基金收入或支出。")
        return
    for page, chunk in enumerate(_chunks(panels, CHARTS_PER_SLIDE)):
        slide = _slide(prs, f"{name} · 基金收支趋势" + ("（续）" if page else ""))
        for box, (fund, lines) in zip(_grid(len(chunk)), chunk, strict=True):
            _trend_chart(slide, box, fund, lines)
        _note_line(
            slide, "空心标记或“（预计）”“（推算）”：预计数、预算数或推算值。金额单位按数值大小取万元或亿元。"
        )


def _trend_chart(slide: Slide, box: tuple[int, int, int, int], fund: str, lines: dict) -> None:
    years = sorted({y for s in lines.values() for y in s["year"].to_list()})
    categories = list(range(years[0], years[-1] + 1))
    scale = scale_for(Kind.money, [v for s in lines.values() for v in s["value"].to_list()])
    data = CategoryChartData(number_format=_number_format(scale))
    data.categories = [f"{y}年" for y in categories]
    shown = []
    for metric, label, color, position in _TREND_METRICS:
        s = lines[metric]
        if s.height == 0:
            continue
        by_year = {r["year"]: r for r in s.iter_rows(named=True)}
        data.add_series(
            label, [scale.apply(by_year[y]["value"]) if y in by_year else None for y in categories]
        )
        shown.append((color, position, [_mark(by_year.get(y)) for y in categories]))
    fmt = _number_format(scale)
    chart = _chart(
        slide, XL_CHART_TYPE.LINE_MARKERS, data, box, settings().fund_name(fund), f"金额（{scale.unit}）", fmt
    )
    for series, (color, position, marks) in zip(chart.plots[0].series, shown, strict=True):
        _line_series(series, _rgb(color), [bool(m) for m in marks])
        if len(categories) <= 4:  # values on the points while they are few
            _series_labels(series, fmt, position)
            _marked_labels(series, scale, marks, position)
    _chart_east_asian(chart)


def _mark(row: dict | None) -> str:
    """预计 or 推算 for a value that is not a stated outcome; empty otherwise."""
    if row is None:
        return ""
    return "预计" if row["estimated"] else "推算" if row["derived"] else ""


def _marked_labels(series, scale: Scale, marks: Sequence[str], position: XL_LABEL_POSITION) -> None:
    """The mark written into the value label of marked points (hollow markers are not drawn
    by every renderer: LibreOffice paints markers in the line's colour)."""
    for i, (value, mark) in enumerate(zip(series.values, marks, strict=True)):
        if not mark or value is None:
            continue
        label = series.points[i].data_label
        label.position = position
        frame = label.text_frame
        frame.clear()
        frame.word_wrap = False  # LibreOffice otherwise wraps a custom label after a few characters
        _run(frame.paragraphs[0], f"{value:,.{scale.decimals}f}（{mark}）", 10, False, TEXT)


def _line_series(series, color: RGBColor, hollow: Sequence[bool]) -> None:
    """A thick line in `color`, round markers; hollow (white) markers for marked points."""
    series.smooth = False
    series.format.line.color.rgb = color
    series.format.line.width = Pt(2.5)
    series.marker.style = XL_MARKER_STYLE.CIRCLE
    series.marker.size = 9
    series.marker.format.fill.solid()
    series.marker.format.fill.fore_color.rgb = color
    series.marker.format.line.color.rgb = color
    for i, is_hollow in enumerate(hollow):
        if is_hollow:
            marker = series.points[i].marker
            marker.style = XL_MARKER_STYLE.CIRCLE
            marker.size = 9
            marker.format.fill.solid()
            marker.format.fill.fore_color.rgb = WHITE
            marker.format.line.color.rgb = color
            marker.format.line.width = Pt(2)


# -- balance rates and months of reserves -------------------------------------------------


def _balance_slide(prs: PresentationType, scope: _Scope, data: _Data, region: str) -> None:
    name = scope.names[region]
    rows = data.ind.filter(pl.col("region_code") == region)
    slide = _slide(prs, f"{name} · 结余率与可支付月数")
    gap = Inches(0.3)
    half = int((BODY_WIDTH - gap) / 2)
    height = BODY_BOTTOM - BODY_TOP - Inches(0.95)
    left_box = (MARGIN, BODY_TOP, half, height)
    right_box = (MARGIN + half + gap, BODY_TOP, half, height)
    rate = analysis.series(rows, "balance_rate")
    months, trimmed = _recent_reserves(analysis.series(rows, "months_of_reserves"))
    if rate.is_empty():
        _missing(slide, f"{name}未披露可计算当期结余率的数据（需要基金收入和当期结余或支出）。", left_box)
    else:
        _balance_rate_chart(slide, left_box, rate, scope.funds)
    if months.is_empty():
        _missing(slide, f"{name}未披露累计结余或基金支出，无法计算可支付月数。", right_box)
    else:
        _reserves_chart(slide, right_box, months, scope.funds)
    _balance_notes(slide, BODY_TOP + height + Inches(0.1), rate, months, trimmed)


def _recent_reserves(months: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """Months of reserves of each fund's latest RESERVE_YEARS years (True when some were left out)."""
    recent = months.filter(
        pl.col("year").rank("ordinal", descending=True).over(["region_code", "fund"]) <= RESERVE_YEARS
    )
    return recent, recent.height < months.height


def _balance_rate_chart(slide: Slide, box, rate: pl.DataFrame, funds: Sequence[str]) -> None:
    """当期结余率 per year (categories), a series per fund in its colour: columns over a few
    years, lines over many."""
    years = sorted(rate["year"].unique().to_list())
    data = CategoryChartData(number_format="0.0")
    data.categories = [f"{y}年" for y in years]
    order = [f for f in funds if f in set(rate["fund"])]
    for fund in order:
        by_year = dict(zip(*rate.filter(pl.col("fund") == fund).select("year", "value"), strict=True))
        data.add_series(settings().fund_name(fund), [by_year.get(y) for y in years])
    columns = len(years) <= BALANCE_COLUMN_YEARS
    kind = XL_CHART_TYPE.COLUMN_CLUSTERED if columns else XL_CHART_TYPE.LINE_MARKERS
    title = "当期结余率（当期结余 ÷ 基金收入）"
    chart = _chart(slide, kind, data, box, title, "当期结余率（%）", '0.0"%"')
    for series, fund in zip(chart.plots[0].series, order, strict=True):
        color = _rgb(settings().fund_color(fund))
        if columns:
            series.invert_if_negative = False
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = color
            for i, value in enumerate(series.values):
                if value is not None and value < 0:  # a deficit: outlined in red, as on the dashboard
                    point = series.points[i].format
                    point.fill.solid()  # a point's own fill (not inherited everywhere)
                    point.fill.fore_color.rgb = color
                    point.line.color.rgb = _rgb(DEFICIT_COLOR)
                    point.line.width = Pt(2.25)
        else:
            _line_series(series, color, ())
    if columns and len(years) * len(order) <= MAX_LABELLED_BARS:
        _data_labels(chart, '0.0"%"', XL_LABEL_POSITION.OUTSIDE_END)


def _reserves_chart(slide: Slide, box, months: pl.DataFrame, funds: Sequence[str]) -> None:
    """可支付月数 per fund and year: one column series, each point coloured by its band."""
    cfg = settings()
    rows = sorted(months.iter_rows(named=True), key=lambda r: (funds.index(r["fund"]), r["year"]))
    data = CategoryChartData(number_format="0.0")
    data.categories = [f"{cfg.fund_name(r['fund'])} {r['year']}年" for r in rows]
    data.add_series("可支付月数", [r["value"] for r in rows])
    chart = _chart(
        slide,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        data,
        box,
        "累计结余可支付月数",
        "可支付月数（个月）",
        "0.0",
        legend=False,
    )
    plot = chart.plots[0]
    plot.gap_width = 60
    series = plot.series[0]
    series.invert_if_negative = False
    few = len(rows) <= 6  # room for the band's name beside the value
    for i, row in enumerate(rows):
        band = cfg.band_for(row["value"])
        point = series.points[i]
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = _rgb(band.color)
        label = point.data_label
        label.position = XL_LABEL_POSITION.OUTSIDE_END
        frame = label.text_frame
        frame.clear()
        frame.word_wrap = False
        text = f"{row['value']:.1f}（{band.label}）" if few else f"{row['value']:.1f}"
        _run(frame.paragraphs[0], text, 11 if few else 9, True, _rgb(band.color))
    _chart_east_asian(chart)


def _balance_notes(slide: Slide, top: int, rate: pl.DataFrame, months: pl.DataFrame, trimmed: bool) -> None:
    cfg = settings()
    bands: list[Segment] = [("可支付月数判断区间：", 12, True, TEXT)]
    for band, text in cfg.band_ranges():
        bands += [("■ ", 12, False, _rgb(band.color)), (f"{band.label} {text} 个月　", 12, False, TEXT)]
    lines: list[Sequence[Segment]] = [bands]
    how = "可支付月数 = 累计结余 ÷（当年基金支出 ÷ 12）；结余率为负即当期收不抵支。"
    if trimmed:
        how += f"可支付月数仅列各险种最近 {RESERVE_YEARS} 年。"
    lines.append([(how, 11, False, MUTED)])
    marked: dict[str, list[int]] = {}
    for s in (rate, months):
        for r in s.filter(pl.col("estimated") | pl.col("derived")).iter_rows(named=True):
            marked.setdefault(r["fund_name"], []).append(r["year"])
    if marked:
        parts = [f"{fund} {'、'.join(str(y) for y in sorted(set(ys)))}年" for fund, ys in marked.items()]
        lines.append([(_short("含预计数或推算值：" + "；".join(parts), 85), 11, False, MUTED)])
    frame = _textbox(slide, MARGIN, top, BODY_WIDTH, BODY_BOTTOM - top)
    _lines(frame, lines, space_after=2)


# -- written analysis and budget execution ------------------------------------------------

NARRATIVE_CHARS = 760  # characters of text a slide holds at NARRATIVE_SIZE
NARRATIVE_SIZE = 14
BUDGET_ROWS = 10


def _narrative_pages(text: narrative.Narrative) -> list[list[tuple[str, list[narrative.Sentence]]]]:
    """The paragraphs (heading, sentences) split into slides of at most NARRATIVE_CHARS."""
    pages: list[list[tuple[str, list[narrative.Sentence]]]] = [[]]
    used = 0
    for name, sentences in text.paragraphs():
        for sentence in sentences:
            if used and used + len(sentence.text) > NARRATIVE_CHARS:
                pages.append([])
                used = 0
            page = pages[-1]
            if not page or page[-1][0] != name:
                page.append((name, []))
                used += 12
            page[-1][1].append(sentence)
            used += len(sentence.text)
    return pages


def _narrative_slides(prs: PresentationType, scope: _Scope, data: _Data, region: str) -> None:
    """基金运行分析 of the region's latest year (narrative.py): headed paragraphs, the numbers in
    bold; none where nothing could be written (no filler)."""
    text = data.narratives.get(region)
    if text is None or not text.sentences:
        return
    for page, paragraphs in enumerate(_narrative_pages(text)):
        slide = _slide(
            prs, f"{scope.names[region]} · 基金运行分析（{text.year}年）" + ("（续）" if page else "")
        )
        frame = _textbox(slide, MARGIN, BODY_TOP, BODY_WIDTH, BODY_BOTTOM - BODY_TOP - Inches(0.4))
        first = True
        for name, sentences in paragraphs:
            _run(_paragraph(frame, first, space_after=2), name, NARRATIVE_SIZE, True, ACCENT)
            first = False
            for i, sentence in enumerate(sentences):  # a sentence a paragraph: easier on a screen
                paragraph = _paragraph(frame, False, space_after=10 if i == len(sentences) - 1 else 4)
                paragraph.line_spacing = 1.2
                for part in sentence.parts:
                    if isinstance(part, str):
                        _run(paragraph, part, NARRATIVE_SIZE, False, TEXT)
                    else:
                        _run(paragraph, part.text, NARRATIVE_SIZE, True, TEXT)
        _note_line(
            slide, "每个数字均取自报告原文，计算方法和出处见仪表盘“总览”页的“基金运行分析”（可下载 Word）。"
        )


def _budget_slides(prs: PresentationType, scope: _Scope, data: _Data) -> None:
    """预算执行: budget against outcome (budget.py), flagged outside the band; only when the view
    has budget figures with outcomes beside them."""
    rows = data.execution
    if rows.is_empty():
        return
    band = settings().budget_execution
    money = budget.money_scale(rows)
    unit = money.unit
    header = [
        "地区",
        "年度",
        "险种",
        "项目",
        f"预算数（{unit}）",
        f"实际数（{unit}）",
        "执行率",
        f"差额（{unit}）",
        "判断",
    ]
    widths = [Inches(w) for w in (1.5, 0.9, 1.6, 1.3, 1.65, 1.65, 1.1, 1.45, 1.183)]
    body = []
    for r in rows.iter_rows(named=True):
        color = TEXT if r["status"] == "within" else _rgb(band.mark(r["status"]).color)
        cells = [
            r["region_name"],
            f"{r['year']}年",
            r["fund_name"],
            r["metric_name"],
            money.text(r["budget"]).removesuffix(f" {unit}"),
            money.text(r["actual"]).removesuffix(f" {unit}"),
        ]
        body.append(
            [[[(c, 12, False, TEXT)]] for c in cells]
            + [
                [[(f"{r['rate']:.1f}%", 12, True, color)]],
                [[(money.text(r["gap"], sign=True).removesuffix(f" {unit}"), 12, False, TEXT)]],
                [[(budget.status_label(r["status"]), 12, r["status"] != "within", color)]],
            ]
        )
    pages = list(_chunks(body, BUDGET_ROWS))
    for page, chunk in enumerate(pages):
        slide = _slide(prs, "预算执行" + ("（续）" if page else ""))
        height = _table(slide, header, chunk, (MARGIN, BODY_TOP), widths, 12, row_height=Inches(0.4))
        top = BODY_TOP + height + Inches(0.15)
        if page == len(pages) - 1 and BODY_BOTTOM - top - Inches(0.6) >= Inches(2.2):
            box = (MARGIN, top, BODY_WIDTH, BODY_BOTTOM - top - Inches(0.6))
            _budget_chart(slide, box, rows)
            top = box[1] + box[3] + Inches(0.05)
        if page == len(pages) - 1:
            lines = [
                [
                    (
                        f"预算执行率 = 实际数 ÷ 预算数，差额 = 实际数 − 预算数；执行率在 {budget.band_text()} 之外标为"
                        f"“{band.below.label}”或“{band.above.label}”。实际数只取决算或实际执行数（不含预计数）。",
                        11,
                        False,
                        MUTED,
                    )
                ]
            ]
            _lines(_textbox(slide, MARGIN, top, BODY_WIDTH, max(BODY_BOTTOM - top, Inches(0.6))), lines)


def _budget_chart(slide: Slide, box, rows: pl.DataFrame) -> None:
    """预算执行率 as bars, each coloured by where it falls (settings' budget_execution)."""
    band = settings().budget_execution
    data = CategoryChartData(number_format='0.0"%"')
    data.categories = [
        f"{r['region_name']} {r['fund_name']} {r['year']}年 {r['metric_name']}"
        for r in rows.iter_rows(named=True)
    ]
    data.add_series("预算执行率", rows["rate"].to_list())
    chart = _chart(
        slide,
        XL_CHART_TYPE.BAR_CLUSTERED,
        data,
        box,
        "预算执行率（实际 ÷ 预算）",
        "执行率（%）",
        '0"%"',
        legend=False,
    )
    chart.category_axis.reverse_order = True  # the table's order, top down
    chart.value_axis._element.find(qn("c:crosses")).set("val", "max")
    chart.value_axis.minimum_scale = 0
    plot = chart.plots[0]
    plot.gap_width = 50
    series = plot.series[0]
    series.invert_if_negative = False
    for i, status in enumerate(rows["status"]):
        point = series.points[i].format
        point.fill.solid()
        point.fill.fore_color.rgb = _rgb(band.mark(status).color)
    _data_labels(chart, '0.0"%"', XL_LABEL_POSITION.OUTSIDE_END, 10)


# -- per capita --------------------------------------------------------------------------


def _per_capita_rows(scope: _Scope, data: _Data) -> pl.DataFrame:
    """Per-capita income and expenditure (analysis.per_capita) with the national expenditure
    per insured person of the same fund and year, in the deck's region and fund order."""
    national = data.national.select(
        "year",
        "fund",
        national=pl.col("expenditure_per_capita"),
        national_status=pl.col("status"),
        national_source=pl.col("source"),
    ).with_columns(pl.col("year").cast(pl.Int32))
    rank_region = {c: i for i, c in enumerate(scope.regions)}
    rank_fund = {f: i for i, f in enumerate(scope.funds)}
    both = analysis.per_capita(data.ind).with_columns(pl.col("year").cast(pl.Int32))
    return (
        both.join(national, on=["year", "fund"], how="left")
        .with_columns(
            r=pl.col("region_code").replace_strict(rank_region, default=len(rank_region)),
            f=pl.col("fund").replace_strict(rank_fund, default=len(rank_fund)),
        )
        .sort(["r", "f", "year"])
        .drop("r", "f")
    )


def _per_capita_shown(scope: _Scope, data: _Data) -> tuple[pl.DataFrame, bool]:
    """The rows the per-capita slides show: every year while they fit on two slides, else
    each region and fund's latest year (True)."""
    rows = _per_capita_rows(scope, data)
    if rows.height <= PER_CAPITA_ALL_YEARS:
        return rows, False
    latest = pl.col("year") == pl.col("year").max().over(["region_code", "fund"])
    return rows.filter(latest), True


def _per_capita_slides(prs: PresentationType, scope: _Scope, data: _Data) -> None:
    title = "人均收支与全国对比"
    rows, latest_only = _per_capita_shown(scope, data)
    lacking = [scope.names[c] for c in scope.regions if c not in set(rows["region_code"])]
    if rows.is_empty():
        slide = _slide(prs, title)
        _missing(slide, "所选地区和险种未披露可计算人均收支的数据（需同时有基金收入、基金支出和参保人数）。")
        return
    for page, chunk in enumerate(_chunks(list(rows.iter_rows(named=True)), PER_CAPITA_ROWS)):
        slide = _slide(prs, title + ("（续）" if page else ""))
        box = (MARGIN, BODY_TOP, BODY_WIDTH, BODY_BOTTOM - BODY_TOP - Inches(1.0))
        _per_capita_chart(slide, box, chunk)
        notes = ["人均 = 基金收入或支出 ÷ 参保人数（元/人）；全国人均支出取统计公报同年同险种数据。"]
        if latest_only:
            notes.append("年度较多，仅列各地区、各险种的最近年度；历年数据见仪表盘“人均收支”页。")
        no_national = [f"{r['fund_name']} {r['year']}年" for r in chunk if r["national"] is None]
        if no_national:
            notes.append(_short("统计公报无全国数据：" + "、".join(dict.fromkeys(no_national)), 100))
        if lacking:
            notes.append(f"{MISSING}人均收支（需同时有基金收入、基金支出和参保人数）：{'、'.join(lacking)}")
        frame = _textbox(slide, MARGIN, BODY_BOTTOM - Inches(0.95), BODY_WIDTH, Inches(0.95))
        _lines(frame, [[(n, 11, False, MUTED)] for n in notes], space_after=1)


def _per_capita_label(row: dict) -> str:
    return f"{row['region_name']} {row['fund_name']} {row['year']}年"


def _per_capita_chart(slide: Slide, box, rows: Sequence[dict]) -> None:
    """Clustered bars: 人均收入, 人均支出, 全国人均支出 per region, fund and year (元/人)."""
    data = CategoryChartData(number_format="#,##0")
    data.categories = [_per_capita_label(r) for r in rows]
    series = (
        ("人均收入", "income_per_capita", INCOME_COLOR),
        ("人均支出", "expenditure_per_capita", EXPENDITURE_COLOR),
        ("全国人均支出", "national", NATIONAL_COLOR),
    )
    for name, column, _ in series:
        data.add_series(name, [r[column] for r in rows])
    chart = _chart(
        slide, XL_CHART_TYPE.BAR_CLUSTERED, data, box, "人均基金收入、支出与全国人均支出", "元/人", "#,##0"
    )
    chart.category_axis.reverse_order = True  # the first row on top …
    # … and the value axis still below: it crosses the categories at the last one
    chart.value_axis._element.find(qn("c:crosses")).set("val", "max")
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    for plotted, (_, _, color) in zip(chart.plots[0].series, series, strict=True):
        plotted.invert_if_negative = False
        plotted.format.fill.solid()
        plotted.format.fill.fore_color.rgb = _rgb(color)
    chart.plots[0].gap_width = 60
    _data_labels(chart, "#,##0", XL_LABEL_POSITION.OUTSIDE_END, 9)


# -- data quality ------------------------------------------------------------------------


def _quality_slide(prs: PresentationType, scope: _Scope, data: _Data) -> None:
    slide = _slide(prs, "数据质量说明")
    counts = dict(zip(*data.checks.group_by("severity").len().select("severity", "len"), strict=True))
    tiles = [
        (name, counts.get(severity, 0), _rgb(SEVERITY_COLORS[severity]))
        for severity, name in codes.names("severity").items()
    ]
    tiles.append(("未采用的数值", data.rejections.height, MUTED))
    gap = Inches(0.3)
    width = int((BODY_WIDTH - gap * (len(tiles) - 1)) / len(tiles))
    for i, (label, n, color) in enumerate(tiles):
        _tile(slide, MARGIN + i * (width + gap), BODY_TOP, width, label, n, color)
    top = BODY_TOP + Inches(1.25)
    half = int((BODY_WIDTH - Inches(0.4)) / 2)
    height = BODY_BOTTOM - top
    left = _textbox(slide, MARGIN, top, half, height)
    _lines(left, _check_lines(data.checks), 12)
    right = _textbox(slide, MARGIN + half + Inches(0.4), top, half, height)
    _lines(right, _marked_lines(data) + _correction_lines(data.corrections), 12)


def _tile(slide: Slide, left: int, top: int, width: int, label: str, n: int, color: RGBColor) -> None:
    shape = slide.shapes.add_shape(1, left, top, width, Inches(1.0))  # rectangle
    shape.fill.solid()
    shape.fill.fore_color.rgb = ZEBRA_FILL
    shape.line.color.rgb = RGBColor(0xCF, 0xD8, 0xDC)
    frame = shape.text_frame
    frame.clear()
    _run(_paragraph(frame, True, PP_ALIGN.CENTER, 0), str(n), 28, True, color)
    _run(_paragraph(frame, False, PP_ALIGN.CENTER, 0), label, 13, False, TEXT)


def _check_lines(checks: pl.DataFrame) -> list[str | Sequence[Segment]]:
    """The main findings: errors first, then warnings (at most LIST_ITEMS)."""
    lines: list[str | Sequence[Segment]] = [[("主要问题（报告内勾稽与跨报告检查）", 14, True, TEXT)]]
    main = checks.filter(pl.col("severity").is_in(["error", "warning"]))
    if main.is_empty():
        lines.append("所选地区和年度没有发现错误或警告。")
        return lines
    order = codes.order("severity")
    ranked = sorted(main.iter_rows(named=True), key=lambda r: order[r["severity"]])
    for row in ranked[:LIST_ITEMS]:
        where = row["region_name"] or row["region_code"]
        severity = codes.name("severity", row["severity"])
        lines.append(
            [
                (f"【{severity}】", 11, True, _rgb(SEVERITY_COLORS[row["severity"]])),
                (f"{where}：{_short(row['message'], 56)}", 11, False, TEXT),
                (f"（{row['file_name'] or '未知报告'}）", 9, False, MUTED),
            ]
        )
    if len(ranked) > LIST_ITEMS:
        lines.append([(f"另有 {len(ranked) - LIST_ITEMS} 条，见仪表盘“数据质量”页。", 11, False, MUTED)])
    return lines


def _marked_lines(data: _Data) -> list[str | Sequence[Segment]]:
    """Figures in the deck that are estimates or budgets standing in for outcomes, or derived."""
    cfg = settings()
    lines: list[str | Sequence[Segment]] = [[("采用的预计数与推算值", 14, True, TEXT)]]
    found = []
    for row in data.ind.iter_rows(named=True):
        where = f"{row['region_name']} {row['year']}年 {cfg.fund_name(row['fund'])}"
        estimated = _metric_names(row["estimated_metrics"])
        derived = _metric_names([*(row["derived_metrics"] or ()), *(row["summed_metrics"] or ())])
        if estimated:
            found.append(f"{where}：{estimated}为预计/预算数")
        if derived:
            found.append(f"{where}：{derived}为推算或加总值")
    if not found:
        lines.append("全部为报告直接披露的实际数。")
    for text in found[:LIST_ITEMS]:
        lines.append([("· " + _short(text, 60), 11, False, TEXT)])
    if len(found) > LIST_ITEMS:
        lines.append([(f"另有 {len(found) - LIST_ITEMS} 项。", 11, False, MUTED)])
    return lines


def _metric_names(metrics: Iterable[str] | None) -> str:
    return "、".join(codes.name("metric", m) for m in dict.fromkeys(metrics or ()))


def _correction_lines(corrections: pl.DataFrame | None) -> list[str | Sequence[Segment]]:
    """Figures stewards corrected or added (when the database records corrections)."""
    if corrections is None:
        return []
    cfg = settings()
    lines: list[str | Sequence[Segment]] = [[("人工更正与补录", 14, True, TEXT)]]
    if corrections.is_empty():
        lines.append("没有人工更正或补录的数值。")
        return lines
    for row in corrections.head(LIST_ITEMS // 2).iter_rows(named=True):
        spec = cfg.indicators.get(row["metric"])
        name = codes.name("metric", row["metric"])
        unit = codes.name("unit", row["unit"])
        value = format_value(row["value"], spec.kind) if spec else f"{row['value']:g} {unit}"
        lines.append(
            [
                (
                    f"· {row['region_name']} {row['year']}年 {cfg.fund_name(row['fund'])} {name}："
                    f"{codes.name('origin', row['origin'])}为 {value}",
                    11,
                    False,
                    TEXT,
                )
            ]
        )
    if corrections.height > LIST_ITEMS // 2:
        lines.append([(f"另有 {corrections.height - LIST_ITEMS // 2} 项。", 11, False, MUTED)])
    return lines


# -- sources -----------------------------------------------------------------------------


def _used_reports(data: _Data) -> pl.DataFrame:
    """Every report a figure of the deck was taken from, with how many of its figures."""
    used = (
        data.sources.filter(pl.col("doc_id").is_not_null())
        .group_by("doc_id")
        .agg(n_used=pl.col("fact_id").n_unique())
    )
    return (
        data.documents.join(used, on="doc_id", how="inner")
        .sort(["region_code", "report_year", "file_name"], descending=[False, True, False])
        .select("report_name", "file_name", "source_url", "report_year", "genre", "region_name", "n_used")
    )


def _report_cell(row: dict) -> list[list[Segment]]:
    """A report by its title (region, year and title), then its public address as a link, or its
    file where it has none."""
    url = source_links.web_address(row["source_url"])
    second = (
        (_short(url, 76), 9, False, ACCENT, url) if url else (f"文件 {row['file_name']}", 9, False, MUTED)
    )
    return [[(_short(row["report_name"] or row["file_name"], 34), 12, False, TEXT)], [second]]


def _national_sources(scope: _Scope, data: _Data) -> list[str]:
    """The 统计公报 behind the national per-capita figures the deck shows."""
    rows = _per_capita_shown(scope, data)[0].filter(pl.col("national").is_not_null())
    found = []
    for text in rows["national_source"].to_list():
        found += [s.strip() for s in text.split("；") if s.strip()]
    return list(dict.fromkeys(found))


def _sources_slides(prs: PresentationType, scope: _Scope, data: _Data) -> None:
    reports = _used_reports(data)
    national = _national_sources(scope, data)
    header = ["报告与来源", "报告年度", "类型", "地区", "采用数值"]
    widths = [Inches(6.1), Inches(1.2), Inches(2.0), Inches(1.7), Inches(1.333)]
    rows = [
        [
            _report_cell(r),
            [[(f"{r['report_year']}年" if r["report_year"] else "—", 12, False, TEXT)]],
            [[(r["genre"] or "—", 12, False, TEXT)]],
            [[(r["region_name"] or "—", 12, False, TEXT)]],
            [[(f"{r['n_used']} 个", 12, False, TEXT)]],
        ]
        for r in reports.iter_rows(named=True)
    ]
    pages = list(_chunks(rows, SOURCE_ROWS)) or [[]]
    for page, chunk in enumerate(pages):
        slide = _slide(prs, "数据来源" + ("（续）" if page else ""))
        height = 0
        if chunk:
            height = _table(slide, header, chunk, (MARGIN, BODY_TOP), widths, 12, SOURCE_ROW_HEIGHT)
        else:
            _missing(slide, "所选范围内的数值没有可追溯的报告。")
        if page == len(pages) - 1:
            lines = [
                [
                    (
                        f"共 {reports.height} 份报告；每个数值都保留报告原文，可在仪表盘“数据明细”页查看。",
                        11,
                        False,
                        MUTED,
                    )
                ]
            ]
            if national:
                lines.append([("全国数据：" + _short("；".join(national), 150), 11, False, MUTED)])
            top = BODY_TOP + height + Inches(0.15)
            _lines(_textbox(slide, MARGIN, top, BODY_WIDTH, max(BODY_BOTTOM - top, Inches(0.6))), lines)


# -- finishing ---------------------------------------------------------------------------


def _footers(prs: PresentationType, scope: _Scope) -> None:
    """Scope and page number at the foot of every slide but the first."""
    total = len(prs.slides)
    regions = _listing(list(scope.names.values()), 6, "个地区")
    scope_text = f"医保基金运行分析 · {regions} · {scope.year_text} · {scope.basis_name}"
    for number, slide in enumerate(prs.slides, start=1):
        if number == 1:
            continue
        frame = _textbox(slide, MARGIN, Inches(6.95), BODY_WIDTH - Inches(1.2), Inches(0.35))
        _run(frame.paragraphs[0], _short(scope_text, 90), 10, False, MUTED)
        page = _textbox(slide, WIDTH - MARGIN - Inches(1.2), Inches(6.95), Inches(1.2), Inches(0.35))
        paragraph = page.paragraphs[0]
        paragraph.alignment = PP_ALIGN.RIGHT
        _run(paragraph, f"{number} / {total}", 10, False, MUTED)


def _east_asian_everywhere(prs: PresentationType) -> None:
    """A last sweep: FONT in both slots of every run, paragraph end and chart text property."""
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_chart:
                _chart_east_asian(shape.chart)
            element = shape._element
            for rpr in [*element.iter(qn("a:rPr")), *element.iter(qn("a:endParaRPr"))]:
                _typeface(rpr)
            for run in element.iter(qn("a:r")):
                _typeface(run.get_or_add_rPr())
