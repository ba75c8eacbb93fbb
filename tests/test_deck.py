"""The 汇报 deck (dashboard/deck.py): built from the bundled reports, read back with python-pptx
and compared with the database; the command line; one render through LibreOffice."""

from __future__ import annotations

import io
import math
import re
import subprocess

import polars as pl
import pytest
from conftest import run_dashboard_cli, run_process
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn

from dashboard.core import analysis, database
from dashboard.core.deck import SOURCE_ROWS, DeckRequest, build_deck, deck_bytes, write_deck
from dashboard.core.settings import settings
from dashboard.core.units import scale_for
from scripts import make_synthetic_db as synthetic
from scripts import render_deck

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
MONEY_UNITS = {"万元": 1e4, "亿元": 1e8}
HEADLINE_COLUMNS = settings().headline


# ---------------------------------------------------------------------------------------
# fixtures and independent expectations (from the named queries, not from the deck module)


@pytest.fixture(scope="module")
def con(vouched_con):
    """Decks and workbooks hold vouched figures only: the seeds after the queue is cleared."""
    return vouched_con


@pytest.fixture(scope="module")
def regions(con) -> tuple[str, ...]:
    return tuple(database.run_query(con, "region_options")["region_code"].to_list())


@pytest.fixture(scope="module")
def names(con) -> dict[str, str]:
    options = database.run_query(con, "region_options")
    return dict(zip(options["region_code"], options["region_name"], strict=True))


@pytest.fixture(scope="module")
def ind(con, regions) -> pl.DataFrame:
    """The indicators the deck covers: every bundled region, default funds, the data's span."""
    return database.run_query(
        con,
        "indicators",
        basis="actual",
        regions=list(regions),
        funds=list(settings().default_funds),
        first_year=0,
        last_year=9999,
    )


@pytest.fixture(scope="module")
def deck(con, regions):
    """The deck for every bundled region, saved and read back."""
    return Presentation(io.BytesIO(deck_bytes(con, DeckRequest(regions=regions))))


def title(slide) -> str:
    return slide.shapes.title.text_frame.text


def slides_titled(deck, prefix: str) -> list:
    return [s for s in deck.slides if title(s).startswith(prefix)]


def charts(slide) -> list:
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text_frame.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def fund_code(short: str) -> str:
    return {f.short: code for code, f in settings().funds.items()}[short]


def latest_year(ind: pl.DataFrame, region: str) -> int:
    rows = ind.filter(pl.col("region_code") == region)
    disclosed = rows.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in HEADLINE_COLUMNS))
    return int(disclosed["year"].max())


def trend_funds(ind: pl.DataFrame, region: str) -> list[str]:
    rows = ind.filter(pl.col("region_code") == region)
    have = rows.filter(pl.col("income").is_not_null() | pl.col("expenditure").is_not_null())
    return [f for f in settings().default_funds if f in set(have["fund"])]


def recent_reserves(rows: pl.DataFrame, years: int = 3) -> pl.DataFrame:
    """Months of reserves as the deck shows them: each fund's latest three years."""
    rows = rows.filter(pl.col("months_of_reserves").is_not_null())
    keep = pl.col("year").rank("ordinal", descending=True).over(["region_code", "fund"]) <= years
    return rows.filter(keep)


def values_equal(actual, expected) -> None:
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        if e is None:
            assert a is None
        else:
            assert a == pytest.approx(e, rel=1e-9)


# ---------------------------------------------------------------------------------------
# structure


def test_slide_titles_in_order(deck, ind, regions, names):
    expected = ["医保基金运行分析"]
    expected += [f"{names[r]} · 主要指标（{latest_year(ind, r)}年）" for r in regions]
    expected += [f"{names[r]} · 基金运行分析（{latest_year(ind, r)}年）" for r in regions]
    for r in regions:
        pages = max(1, math.ceil(len(trend_funds(ind, r)) / 4))
        expected += [f"{names[r]} · 基金收支趋势" + ("（续）" if i else "") for i in range(pages)]
    expected += [f"{names[r]} · 结余率与可支付月数" for r in regions]
    expected += ["预算执行"]  # 道县 2024: budgets beside outcomes (tests/test_narrative.py checks the slide)
    expected += ["人均收支与全国对比", "数据质量说明", "数据来源"]
    assert [title(s) for s in deck.slides] == expected
    assert deck.slide_width * 9 == deck.slide_height * 16  # 16:9


def test_title_slide_names_scope(deck, names, ind):
    text = slide_text(deck.slides[0])
    for name in names.values():
        assert name in text
    assert f"{ind['year'].min()}–{ind['year'].max()}年" in text
    assert "口径：实际" in text
    assert "生成日期" in text


def test_headline_tables_equal_database(deck, ind, regions, names):
    cfg = settings()
    by_name = {spec.name: key for key, spec in cfg.indicators.items()}
    for region in regions:
        year = latest_year(ind, region)
        (slide,) = slides_titled(deck, f"{names[region]} · 主要指标")
        (table,) = [s.table for s in slide.shapes if s.has_table]
        header = [cell.text_frame.text for cell in table.rows[0].cells]
        assert header[0] == "指标"
        funds = [fund_code(h) for h in header[1:]]
        shown = set()
        for row in list(table.rows)[1:]:
            key = by_name[row.cells[0].text_frame.text]
            values = []
            for fund in funds:
                match = ind.filter(
                    pl.col("region_code") == region, pl.col("fund") == fund, pl.col("year") == year
                )
                values.append(match[key][0] if match.height else None)
            # one unit a row: chosen from the largest figure across the funds
            scale = scale_for(cfg.indicators[key].kind, [v for v in values if v is not None])
            for fund, value, cell in zip(funds, values, list(row.cells)[1:], strict=True):
                first_line = cell.text_frame.paragraphs[0].text
                if value is None:
                    assert first_line == "—"
                else:
                    assert first_line == scale.text(value)
                    shown.add((key, fund))
        # every disclosed headline figure of that year is on the slide
        rows = ind.filter(pl.col("region_code") == region, pl.col("year") == year)
        disclosed = {
            (key, r["fund"])
            for r in rows.iter_rows(named=True)
            for key in HEADLINE_COLUMNS
            if r[key] is not None
        }
        assert shown == disclosed


# ---------------------------------------------------------------------------------------
# charts: types and series values equal the database's


def test_trend_charts_equal_database(deck, ind, regions, names):
    for region in regions:
        slides = slides_titled(deck, f"{names[region]} · 基金收支趋势")
        found = [chart for slide in slides for chart in charts(slide)]
        assert [fund_code(c.chart_title.text_frame.text) for c in found] == trend_funds(ind, region)
        for chart in found:
            fund = fund_code(chart.chart_title.text_frame.text)
            assert chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
            rows = ind.filter(pl.col("region_code") == region, pl.col("fund") == fund)
            money = [v for v in [*rows["income"], *rows["expenditure"]] if v is not None]
            unit = re.search(r"（(.+)）", chart.value_axis.axis_title.text_frame.text).group(1)
            assert unit == ("亿元" if max(abs(v) for v in money) >= settings().yi_threshold else "万元")
            years_with = rows.filter(pl.col("income").is_not_null() | pl.col("expenditure").is_not_null())
            years = list(range(years_with["year"].min(), years_with["year"].max() + 1))
            plot = chart.plots[0]
            assert list(plot.categories) == [f"{y}年" for y in years]
            expected = {}
            for metric, label in (("income", "基金收入"), ("expenditure", "基金支出")):
                by_year = {r["year"]: r[metric] for r in rows.iter_rows(named=True) if r[metric] is not None}
                if by_year:
                    expected[label] = [
                        by_year[y] / MONEY_UNITS[unit] if y in by_year else None for y in years
                    ]
            assert [s.name for s in plot.series] == list(expected)
            for series in plot.series:
                values_equal(series.values, expected[series.name])


def test_balance_rate_charts_equal_database(deck, ind, regions, names):
    for region in regions:
        (slide,) = slides_titled(deck, f"{names[region]} · 结余率")
        rows = ind.filter(pl.col("region_code") == region, pl.col("balance_rate").is_not_null())
        rate = [c for c in charts(slide) if c.chart_title.text_frame.text.startswith("当期结余率")]
        if rows.is_empty():
            assert not rate
            assert "未披露" in slide_text(slide)
            continue
        (chart,) = rate
        years = sorted(rows["year"].unique().to_list())
        # columns over a few years, lines over many
        kind = XL_CHART_TYPE.COLUMN_CLUSTERED if len(years) <= 5 else XL_CHART_TYPE.LINE_MARKERS
        assert chart.chart_type == kind
        plot = chart.plots[0]
        assert list(plot.categories) == [f"{y}年" for y in years]
        funds = [f for f in settings().default_funds if f in set(rows["fund"])]
        assert [s.name for s in plot.series] == [settings().fund_name(f) for f in funds]
        for series, fund in zip(plot.series, funds, strict=True):
            by_year = {
                r["year"]: r["balance_rate"]
                for r in rows.filter(pl.col("fund") == fund).iter_rows(named=True)
            }
            values_equal(series.values, [by_year.get(y) for y in years])


def test_reserve_charts_coloured_by_band(deck, ind, regions, names):
    cfg = settings()
    seen = 0
    for region in regions:
        (slide,) = slides_titled(deck, f"{names[region]} · 结余率")
        rows = recent_reserves(ind.filter(pl.col("region_code") == region))
        months = [c for c in charts(slide) if c.chart_title.text_frame.text == "累计结余可支付月数"]
        text = slide_text(slide)
        for band, _ in cfg.band_ranges():
            assert band.label in text  # the band legend
        if rows.is_empty():
            assert not months
            assert "未披露" in text
            continue
        (chart,) = months
        seen += 1
        assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
        order = {f: i for i, f in enumerate(cfg.default_funds)}
        ordered = sorted(rows.iter_rows(named=True), key=lambda r: (order[r["fund"]], r["year"]))
        plot = chart.plots[0]
        assert list(plot.categories) == [f"{cfg.fund_name(r['fund'])} {r['year']}年" for r in ordered]
        (series,) = plot.series
        values_equal(series.values, [r["months_of_reserves"] for r in ordered])
        for i, r in enumerate(ordered):
            color = str(series.points[i].format.fill.fore_color.rgb)
            assert color == cfg.band_for(r["months_of_reserves"]).color.lstrip("#").upper()
    assert seen, "the bundled reports give months of reserves for at least one region"


def test_per_capita_chart_equals_database(deck, ind, names):
    (slide,) = slides_titled(deck, "人均收支与全国对比")
    (chart,) = charts(slide)
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    plot = chart.plots[0]
    assert [s.name for s in plot.series] == ["人均收入", "人均支出", "全国人均支出"]
    both = ind.filter(
        pl.col("income_per_capita").is_not_null(), pl.col("expenditure_per_capita").is_not_null()
    )
    national = analysis.national_reference()
    national_by = {
        (r["year"], r["fund"]): r["expenditure_per_capita"] for r in national.iter_rows(named=True)
    }
    regions = list(names)
    order = {f: i for i, f in enumerate(settings().default_funds)}
    rows = sorted(
        both.iter_rows(named=True),
        key=lambda r: (regions.index(r["region_code"]), order[r["fund"]], r["year"]),
    )
    assert list(plot.categories) == [
        f"{r['region_name']} {settings().fund_name(r['fund'])} {r['year']}年" for r in rows
    ]
    values = {s.name: s.values for s in plot.series}
    values_equal(values["人均收入"], [r["income_per_capita"] for r in rows])
    values_equal(values["人均支出"], [r["expenditure_per_capita"] for r in rows])
    values_equal(values["全国人均支出"], [national_by.get((r["year"], r["fund"])) for r in rows])
    assert any(v is not None for v in values["全国人均支出"])
    lacking = [names[c] for c in regions if c not in set(both["region_code"])]
    for name in lacking:
        assert name in slide_text(slide)


def test_quality_slide_counts_checks(deck, con, regions, ind):
    (slide,) = slides_titled(deck, "数据质量说明")
    checks = database.run_query(
        con,
        "checks",
        regions=list(regions),
        first_year=int(ind["year"].min()),
        last_year=int(ind["year"].max()),
    )
    tiles = {}
    for shape in slide.shapes:
        if shape.has_text_frame and len(shape.text_frame.paragraphs) == 2:
            number, label = (p.text for p in shape.text_frame.paragraphs)
            if number.isdigit():
                tiles[label] = int(number)
    assert tiles["错误"] == checks.filter(pl.col("severity") == "error").height
    assert tiles["警告"] == checks.filter(pl.col("severity") == "warning").height
    assert tiles["未采用的数值"] == database.run_query(con, "rejections", regions=list(regions)).height
    text = slide_text(slide)
    first_error = checks.filter(pl.col("severity") == "error").row(0, named=True)
    assert first_error["message"][:20] in text
    estimated = ind.filter(pl.col("estimated_metrics").list.len() > 0)
    if estimated.height:
        assert "预计/预算数" in text


def test_sources_slide_lists_every_report_used(deck, con, regions, ind):
    cfg = settings()
    metrics = sorted(
        {
            m
            for key in (*cfg.headline, "income_per_capita", "expenditure_per_capita")
            for m in cfg.indicators[key].sources
        }
    )
    used = database.run_query(
        con,
        "indicator_sources",
        basis="actual",
        regions=list(regions),
        funds=list(cfg.default_funds),
        metrics=metrics,
        first_year=int(ind["year"].min()),
        last_year=int(ind["year"].max()),
    )
    expected = set(used["file_name"].drop_nulls())
    assert expected, "the bundled reports give figures"
    listed = {}
    for slide in slides_titled(deck, "数据来源"):
        for shape in slide.shapes:
            if shape.has_table:
                for row in list(shape.table.rows)[1:]:
                    cells = [c.text_frame.text for c in row.cells]
                    # a report's title, then its address, or its file where it has none
                    listed[cells[0].split("\n")[-1].removeprefix("文件 ")] = cells
    assert set(listed) == expected
    docs = database.run_query(con, "documents", regions=list(regions))
    assert docs.filter(pl.col("file_name").is_in(list(expected))).height == len(expected)
    for r in docs.filter(pl.col("file_name").is_in(list(expected))).iter_rows(named=True):
        assert listed[r["file_name"]][1:4] == [f"{r['report_year']}年", r["genre"], r["region_name"]]


@pytest.mark.slow
def test_many_years_stay_readable(tmp_path):
    """Eight years of six synthetic regions: lines for balance rates, recent months of reserves,
    per-capita bars of the latest year only, the report list over several slides."""
    path = tmp_path / "synthetic.duckdb"
    synthetic.generate(path, regions=6, years=8, first_year=2017, seed=5)
    connection = database.open_database(str(path))
    try:
        codes = tuple(database.run_query(connection, "region_options")["region_code"].to_list())
        prs = Presentation(io.BytesIO(deck_bytes(connection, DeckRequest(regions=codes))))
        ind = database.run_query(
            connection, "indicators", basis="actual", regions=list(codes),
            funds=list(settings().default_funds), first_year=0, last_year=9999,
        )  # fmt: skip
        n_reports = database.run_query(connection, "documents", regions=list(codes)).height
    finally:
        connection.close()
    titles = [title(s) for s in prs.slides]
    assert len(titles) < 40
    assert len(slides_titled(prs, "数据来源")) == math.ceil(n_reports / SOURCE_ROWS)
    assert slides_titled(prs, "人均收支与全国对比")
    for slide in slides_titled(prs, "人均收支与全国对比"):
        (chart,) = charts(slide)
        assert len(chart.plots[0].categories) > 0
        assert all(c.endswith(f"{ind['year'].max()}年") for c in chart.plots[0].categories)
        assert "仅列各地区、各险种的最近年度" in slide_text(slide)
    balance = slides_titled(prs, "东城区 · 结余率")[0]
    kinds = {c.chart_title.text_frame.text: c for c in charts(balance)}
    assert kinds["当期结余率（当期结余 ÷ 基金收入）"].chart_type == XL_CHART_TYPE.LINE_MARKERS
    months = kinds["累计结余可支付月数"].plots[0]
    expected = recent_reserves(ind.filter(pl.col("region_name") == "东城区"))
    assert len(months.categories) == expected.height
    assert "最近 3 年" in slide_text(balance)
    for slide in list(prs.slides)[1:]:
        assert len(charts(slide)) <= 6


# ---------------------------------------------------------------------------------------
# fonts: Chinese set in the East Asian slot everywhere


def _ea(rpr) -> str | None:
    if rpr is None:
        return None
    ea = rpr.find(qn("a:ea"))
    return ea.get("typeface") if ea is not None else None


def test_east_asian_font_on_every_chinese_run(deck):
    runs = 0
    for slide in deck.slides:
        for shape in slide.shapes:
            for run in shape._element.iter(qn("a:r")):
                text = run.findtext(qn("a:t")) or ""
                if CJK.search(text):
                    runs += 1
                    assert _ea(run.find(qn("a:rPr"))), f"{title(slide)}: {text!r} without a:ea"
            if shape.has_chart:
                space = shape.chart._chartSpace
                txpr = space.find(qn("c:txPr"))
                assert txpr is not None
                assert _ea(txpr.find(f".//{qn('a:defRPr')}")), f"{title(slide)}: chart txPr without a:ea"
                for run in space.iter(qn("a:r")):
                    if CJK.search(run.findtext(qn("a:t")) or ""):
                        assert _ea(run.find(qn("a:rPr")))
    assert runs > 100


def test_title_font_in_latin_and_east_asian_slots(deck):
    for slide in deck.slides:
        rpr = slide.shapes.title._element.find(f".//{qn('a:rPr')}")
        assert rpr.find(qn("a:latin")).get("typeface") == _ea(rpr) == "微软雅黑"


# ---------------------------------------------------------------------------------------
# requests: filters, errors, files


def test_filters_narrow_the_deck(con):
    prs = build_deck(
        con, DeckRequest(regions=("431124",), first_year=2024, last_year=2024, funds=("employee",))
    )
    titles = [title(s) for s in prs.slides]
    assert titles[1] == "道县 · 主要指标（2024年）"
    (chart,) = charts(slides_titled(prs, "道县 · 基金收支趋势")[0])
    assert list(chart.plots[0].categories) == ["2024年"]
    assert chart.chart_title.text_frame.text == "职工医保"
    assert "2024年" in slide_text(prs.slides[0])


def test_budget_basis(con):
    prs = build_deck(con, DeckRequest(regions=("431124",), basis="budget"))
    assert "口径：预算" in slide_text(prs.slides[0])
    (chart, *_) = charts(slides_titled(prs, "道县 · 基金收支趋势")[0])
    budget = database.run_query(
        con,
        "indicators",
        basis="budget",
        regions=["431124"],
        funds=["employee"],
        first_year=0,
        last_year=9999,
    )
    unit = re.search(r"（(.+)）", chart.value_axis.axis_title.text_frame.text).group(1)
    income = chart.plots[0].series[0]
    assert income.name == "基金收入"
    values_equal(income.values, [v / MONEY_UNITS[unit] for v in budget["income"]])


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (DeckRequest(regions=("999999",)), "未知的地区代码：999999"),
        (DeckRequest(regions=()), "请至少选择一个地区"),
        (DeckRequest(regions=("431124",), funds=("bogus",)), "未知的险种代码：bogus"),
        (DeckRequest(regions=("431124",), basis="bogus"), "未知的口径"),
        (DeckRequest(regions=("431124",), first_year=2024, last_year=2020), "晚于"),
        (DeckRequest(regions=("431124",), first_year=2010, last_year=2012), "没有实际口径"),
    ],
)
def test_bad_requests_raise_chinese_value_errors(con, request_, message):
    with pytest.raises(ValueError, match=message):
        build_deck(con, request_)


def test_write_deck(seeds_db, tmp_path):
    out = write_deck(seeds_db, DeckRequest(regions=("431124",)), tmp_path / "sub" / "道县.pptx")
    assert out.is_file()
    assert title(Presentation(str(out)).slides[0]) == "医保基金运行分析"
    assert [p.name for p in out.parent.iterdir()] == ["道县.pptx"]  # no temporary file left
    with pytest.raises(FileNotFoundError):
        write_deck(tmp_path / "missing.duckdb", DeckRequest(regions=("431124",)), tmp_path / "x.pptx")


# ---------------------------------------------------------------------------------------
# command line


def run_deck_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m dashboard deck ARGS…` in-process (dashboard.cli.main)."""
    return run_dashboard_cli("deck", *args)


def test_cli_writes_the_deck(vouched_db, tmp_path):
    out = tmp_path / "deck.pptx"
    result = run_deck_cli(
        "--db", str(vouched_db), "--region", "431124", "--region", "430900", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    slides = len(Presentation(str(out)).slides)
    assert str(out) in result.stdout
    assert f"{slides} 页" in result.stdout
    assert "No runtime" not in result.stderr


def test_cli_options(seeds_db, tmp_path):
    out = tmp_path / "deck.pptx"
    result = run_deck_cli(
        "--db", str(seeds_db), "--region", "431124", "--from", "2024", "--to", "2024",
        "--basis", "budget", "--fund", "resident", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = slide_text(Presentation(str(out)).slides[0])
    assert "2024年" in text and "口径：预算" in text and "居民医保" in text and "职工医保" not in text


def test_cli_unknown_region_exits_2(seeds_db, tmp_path):
    out = tmp_path / "deck.pptx"
    result = run_deck_cli("--db", str(seeds_db), "--region", "999999", "--out", str(out))
    assert result.returncode == 2
    assert "未知的地区代码：999999" in result.stderr
    assert not out.exists()


def test_cli_missing_database_exits_2_as_a_process(tmp_path):
    """The one real process: `python -m dashboard` passes main's exit status on."""
    result = run_process(
        "dashboard",
        "deck",
        "--db", str(tmp_path / "missing.duckdb"), "--region", "431124", "--out", str(tmp_path / "d.pptx"),
    )  # fmt: skip
    assert result.returncode == 2
    assert "数据库文件不存在" in result.stderr


def test_cli_usage_errors_exit_2(seeds_db, tmp_path):
    assert run_deck_cli("--db", str(seeds_db), "--out", str(tmp_path / "d.pptx")).returncode == 2
    no_data = run_deck_cli(
        "--db",
        str(seeds_db),
        "--region",
        "431124",
        "--from",
        "2010",
        "--to",
        "2011",
        "--out",
        str(tmp_path / "d.pptx"),
    )
    assert no_data.returncode == 2
    assert "没有" in no_data.stderr


# ---------------------------------------------------------------------------------------
# one render through LibreOffice and poppler (the CI installs libreoffice-impress and poppler-utils)


@pytest.mark.slow
def test_render_through_libreoffice(con, regions, tmp_path):
    from PIL import Image, ImageStat

    render = render_deck
    pptx_path = tmp_path / "deck.pptx"
    pptx_path.write_bytes(deck_bytes(con, DeckRequest(regions=regions)))
    n_slides = len(Presentation(str(pptx_path)).slides)
    pngs = render.render(pptx_path, tmp_path / "render")
    assert render.page_count(tmp_path / "render" / "deck.pdf") == n_slides
    assert len(pngs) == n_slides
    for png in pngs:
        with Image.open(png) as image:
            gray = image.convert("L")
            assert gray.size[0] > gray.size[1]  # landscape, 16:9
            dark = sum(gray.histogram()[:200])  # pixels clearly not white
            assert dark > 0.005 * gray.size[0] * gray.size[1], f"{png.name} looks blank"
            assert ImageStat.Stat(gray).stddev[0] > 5, f"{png.name} looks blank"
