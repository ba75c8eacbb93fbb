"""Charts that agree with each other: a region keeps one colour on every chart, never a fund's;
an estimate is hatched (or hollow) on its bar or point, never in a legend swatch; at most
eight regions to a chart; yearly axes hold one tick per year drawn, bars one year wide, hover
texts with one 年; the plotly toolbar in Chinese; ticks without trailing zeros."""

from __future__ import annotations

import json
import re
import shutil
from itertools import pairwise
from pathlib import Path

import plotly
import plotly.graph_objects as go
import polars as pl
import pytest
import yaml
from pydantic import ValidationError

from dashboard.core import charts
from dashboard.core.settings import SETTINGS_FILE, Settings, color_distance, delta_e2000, settings

DAOXIAN, NINGXIAN, YIYANG, HESHAN = "431124", "621026", "430900", "430903"
NAMES = {DAOXIAN: "道县", NINGXIAN: "宁县", YIYANG: "益阳市", HESHAN: "赫山区"}


def series(
    values: dict[str, dict[int, float]],
    marked: set[tuple[str, int]] = frozenset(),
    fund: str = "resident",
    growth: bool = False,
) -> pl.DataFrame:
    """What analysis.series gives a chart: region → {year: value}; `marked` (code, year) are
    estimated; `growth` adds year-on-year growth as analysis.with_growth does."""
    rows = [
        {
            "region_code": code,
            "region_name": NAMES.get(code, f"地区{code}"),
            "year": year,
            "fund": fund,
            "fund_name": settings().fund_name(fund),
            "value": float(value),
            "estimated": (code, year) in marked,
            "derived": False,
        }
        for code, by_year in values.items()
        for year, value in by_year.items()
    ]
    s = pl.DataFrame(rows).sort(["region_code", "fund", "year"])
    if growth:
        prev = pl.col("value").shift(1).over(["region_code", "fund"])
        prev_year = pl.col("year").shift(1).over(["region_code", "fund"])
        s = s.with_columns(
            growth=pl.when(prev_year == pl.col("year") - 1).then(100 * (pl.col("value") / prev - 1))
        )
    return s


def drawn(fig: go.Figure) -> list:
    """The traces that carry data (not the legend's own entries)."""
    return [t for t in fig.data if t.x is not None and any(x is not None for x in t.x)]


def in_legend(fig: go.Figure) -> list:
    return [t for t in fig.data if t.showlegend is not False]


def colour_of(fig: go.Figure, name: str) -> str:
    (trace,) = [t for t in drawn(fig) if t.name == name]
    return trace.marker.color


def year_charts(regions: dict[str, dict[int, float]], marked=frozenset()) -> dict[str, go.Figure]:
    """Every yearly chart of one view, by region (as the 趋势 and 结余分析 pages draw them)."""
    s = series(regions, marked)
    return {
        "trend": charts.trend_chart(s, "income", "region"),
        "growth": charts.growth_chart(series(regions, marked, growth=True), "income", "region"),
        "balance_rate": charts.balance_rate_chart(s, "region"),
        "reserves": charts.reserves_chart(s, "region"),
    }


# ---------------------------------------------------------------- 1. one colour per region


def test_a_region_keeps_its_colour_whoever_else_is_in_the_chart():
    """道县 was blue beside 宁县 and green beside 益阳市 and 赫山区 (its rank among the regions present)."""
    views = [
        {DAOXIAN: {2023: 5e8, 2024: 6e8}, NINGXIAN: {2023: 3e8, 2024: 3.3e8}},
        {DAOXIAN: {2023: 5e8, 2024: 6e8}, YIYANG: {2023: 9e8, 2024: 9.9e8}, HESHAN: {2023: 2e8, 2024: 2.2e8}},
        {DAOXIAN: {2023: 5e8, 2024: 6e8}},
    ]
    seen = {colour_of(fig, "道县") for view in views for fig in year_charts(view).values()}
    assert seen == {settings().region_color(DAOXIAN)}


def test_colours_follow_the_selection_not_the_regions_with_data():
    """Two selected regions on one palette slot: the higher code moves, on every chart of the view,
    also on a chart where the lower one has no data."""
    lower = str(int(DAOXIAN) - len(settings().region_colors))  # the same slot as 道县
    selection = [lower, DAOXIAN]
    both = series({lower: {2023: 1e8, 2024: 1.1e8}, DAOXIAN: {2023: 5e8, 2024: 6e8}})
    alone = series({DAOXIAN: {2023: 5e8, 2024: 6e8}})
    colours = {
        colour_of(charts.trend_chart(both, "income", "region", regions=selection), "道县"),
        colour_of(charts.trend_chart(alone, "income", "region", regions=selection), "道县"),
        colour_of(charts.balance_rate_chart(alone, "region", regions=selection), "道县"),
        colour_of(charts.reserves_chart(alone, "region", regions=selection), "道县"),
    }
    assert len(colours) == 1
    assert colours != {settings().region_color(lower)}  # never two regions in one colour
    assert settings().region_colors_for(selection) == settings().region_colors_for(reversed(selection))


def test_regions_of_one_city_get_different_colours():
    codes = ["430902", "430903", "430921", "430922", "430923", "430981", "430900", "431124"]
    assert len(set(settings().region_colors_for(codes).values())) == len(codes)


def test_region_colours_are_never_fund_colours():
    cfg = settings()
    funds = {f.color.upper() for f in cfg.funds.values()}
    for fig in year_charts({DAOXIAN: {2024: 6e8}, NINGXIAN: {2024: 3e8}}).values():
        assert not {str(t.marker.color).upper() for t in fig.data} & funds
    for region in cfg.region_colors:
        for fund, spec in cfg.funds.items():
            assert color_distance(region, spec.color) >= 10, (region, fund)


def test_settings_reject_region_colours_like_a_fund_or_each_other():
    raw = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    assert Settings.model_validate(raw).region_colors  # the file as it is loads
    fund = raw["funds"]["employee"]["color"]
    for palette in (
        [fund, *raw["region_colors"][1:]],  # a fund's blue
        [raw["region_colors"][0], raw["region_colors"][0], *raw["region_colors"][2:]],  # twice
        raw["region_colors"][:3],  # fewer colours than regions in a chart
    ):
        with pytest.raises(ValidationError):
            Settings.model_validate({**raw, "region_colors": palette})


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu and Dalal (2005), the CIEDE2000 test data
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, -0.001, 2.49), (50.0, 0.0011, -2.49), 4.7461),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ],
)
def test_colour_distance_is_ciede2000(lab1, lab2, expected):
    assert delta_e2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_the_estimate_hatch_is_on_bars_never_in_a_legend_swatch():
    """A series that opens on an estimate: hatched (or hollow) there, a plain legend swatch."""
    regions = {DAOXIAN: {2022: 5e8, 2023: 5.5e8, 2024: 6e8}, NINGXIAN: {2022: 3e8, 2023: 3.1e8}}
    marked = {(DAOXIAN, 2022), (DAOXIAN, 2023), (NINGXIAN, 2022)}
    for name, fig in year_charts(regions, marked).items():
        assert sorted(t.name for t in in_legend(fig)) == ["宁县", "道县"], name
        for t in in_legend(fig):
            pattern = t.marker.pattern.shape if t.type == "bar" else None
            assert not pattern or not any(pattern), name
            symbols = None if t.type == "bar" else t.marker.symbol
            assert "circle-open" not in ([symbols] if isinstance(symbols, str) else list(symbols or [])), name
        for t in drawn(fig):
            assert t.showlegend is False, name  # its legend entry is drawn apart
    # on the bars: balance rates of estimated years, growth worked out from an estimate
    rate = year_charts(regions, marked)["balance_rate"]
    dao = next(t for t in drawn(rate) if t.name == "道县")
    assert list(dao.marker.pattern.shape) == ["/", "/", ""]
    growth = year_charts(regions, marked)["growth"]
    dao = next(t for t in drawn(growth) if t.name == "道县")
    assert list(dao.x) == [2023, 2024] and list(dao.marker.pattern.shape) == ["/", "/"]
    assert "预计" in dao.customdata[1][2]  # 2024 grows from the estimated 2023


def test_the_scatter_legend_is_plain_too():
    from dashboard.core import analysis

    s = series({DAOXIAN: {2024: 1.0}}, {(DAOXIAN, 2024)}).with_columns(
        income_per_capita=pl.lit(1046.7), expenditure_per_capita=pl.lit(1080.5), insured=pl.lit(592322.0)
    )
    fig = charts.per_capita_scatter(s, analysis.national_reference().clear())
    # the region's legend item is plain; its point (the fund as its shape) is hollow where marked
    (entry,) = [t for t in fig.data if t.legendgroup == DAOXIAN and t.showlegend is None]
    (point,) = [t for t in fig.data if t.legendgroup == DAOXIAN and t.showlegend is False]
    assert entry.marker.symbol == "circle" and entry.marker.color == point.marker.color
    assert list(point.marker.symbol) == ["square-open"]  # 居民医保 is a square
    assert entry.marker.color == settings().region_color(DAOXIAN)


def test_more_than_eight_regions_keeps_the_eight_largest_and_names_the_rest():
    codes = [f"4309{i:02d}" for i in range(1, 11)]  # ten regions, values rising with the code
    regions = {c: {2023: 1e8 * (i + 1), 2024: 1e8 * (i + 2)} for i, c in enumerate(codes)}
    regions[codes[-1]] = {2023: 50e8}  # the largest, but silent in 2024: ranked after the others
    for name, fig in year_charts(regions).items():
        shown = {t.name for t in in_legend(fig)}
        limit = settings().regions_per_chart
        assert len(shown) == limit, name
        left_out = {NAMES.get(c, f"地区{c}") for c in regions} - shown
        note = fig.layout.title.subtitle.text
        if name == "growth":  # 430910 has no growth; growth falls as the base rises
            assert left_out == {"地区430909", "地区430910"}
            assert note.endswith("另有1个地区未显示：地区430909")
        else:
            assert left_out == {"地区430901", "地区430910"}, name
            assert "2024年" in note and "地区430901" in note and "地区430910" in note
        assert fig.layout.legend.y < 0  # below the plot, clear of the title


def test_eight_regions_or_fewer_are_all_drawn_without_a_note():
    regions = {f"4309{i:02d}": {2024: 1e8 * i} for i in range(1, 9)}
    fig = charts.trend_chart(series(regions), "income", "region")
    assert len(in_legend(fig)) == 8 and not fig.layout.title.subtitle.text


# ---------------------------------------------------------------- 2. yearly axes


def test_growth_bars_are_one_year_wide_and_the_axis_holds_the_years_drawn():
    """道县 grows in 2020, 宁县 in 2022: each bar stayed 1.6 years wide (plotly sized them by the
    two-year gap), and the axis ran over years without a bar."""
    s = series(
        {DAOXIAN: {2019: 100, 2020: 110}, NINGXIAN: {2021: 200, 2022: 190}},
        growth=True,
    )
    fig = charts.growth_chart(s, "income", "region")
    assert list(fig.layout.xaxis.range) == [2019.5, 2022.5]
    assert list(fig.layout.xaxis.tickvals) == [2020, 2021, 2022]
    assert list(fig.layout.xaxis.ticktext) == ["2020年", "2021年", "2022年"]
    assert_bars_within_their_year(fig)


def assert_bars_within_their_year(fig: go.Figure) -> None:
    spans = []
    for t in drawn(fig):
        assert t.type == "bar" and t.width is not None and t.offset is not None, t.name
        assert t.offset >= -0.5 and t.offset + t.width <= 0.5, t.name
        spans.append((t.offset, t.offset + t.width))
    spans.sort()
    assert all(a[1] <= b[0] + 1e-9 for a, b in pairwise(spans))  # side by side


def test_every_yearly_axis_spans_exactly_its_years():
    one_year = {DAOXIAN: {2024: 6e8}}  # the months axis ran 2023–2025 for one point
    for name, fig in year_charts(one_year).items():
        if name == "growth":
            continue  # no growth from a single year
        assert list(fig.layout.xaxis.range) == [2023.5, 2024.5], name
        assert list(fig.layout.xaxis.tickvals) == [2024], name
    fig = charts.balance_rate_chart(series({DAOXIAN: {2022: 1.0}, NINGXIAN: {2024: -2.0}}), "region")
    assert list(fig.layout.xaxis.range) == [2021.5, 2024.5]
    assert list(fig.layout.xaxis.tickvals) == [2022, 2023, 2024]
    assert_bars_within_their_year(fig)


def test_income_and_expenditure_growth_bars_share_their_year():
    ind = pl.DataFrame(
        {
            "year": [2022, 2023, 2024],
            "income_growth": [None, 3.0, 5.0],
            "expenditure_growth": [None, 8.0, None],
        },
        schema_overrides={"income_growth": pl.Float64, "expenditure_growth": pl.Float64},
    )
    fig = charts.income_expenditure_growth_chart(ind, "道县 居民医保：收入增长与支出增长")
    assert list(fig.layout.xaxis.range) == [2022.5, 2024.5]
    assert_bars_within_their_year(fig)


def hover_texts(fig: go.Figure) -> list[str]:
    """Each point's hover text as plotly writes it: %{x} is the axis's tick text for x (or x with
    the tick suffix), %{customdata[i]} the point's customdata, %{y…} a number."""
    axis = fig.layout.xaxis
    ticks = dict(zip(axis.tickvals or (), axis.ticktext or (), strict=True))
    out = []
    for t in drawn(fig):
        for i, x in enumerate(t.x):
            text = t.hovertemplate or ""
            label = ticks.get(x, f"{x}{axis.ticksuffix or ''}")
            text = text.replace("%{x}", str(label))
            for j, v in enumerate(t.customdata[i] if t.customdata is not None else ()):
                text = re.sub(rf"%{{customdata\[{j}\](:[^}}]*)?}}", str(v), text)
            out.append(re.sub(r"%{y[^}]*}", "1.0", text))
    return out


def test_hover_texts_name_the_year_once():
    regions = {DAOXIAN: {2023: 5e8, 2024: 6e8}, NINGXIAN: {2023: 3e8, 2024: 3.3e8}}
    figs = list(year_charts(regions).values())
    ind = pl.DataFrame(
        {"year": [2023, 2024], "income_growth": [None, 3.0], "expenditure_growth": [None, 8.0]}
    )
    figs.append(charts.income_expenditure_growth_chart(ind, "t"))
    for fig in figs:
        texts = hover_texts(fig)
        assert texts and all("2024年" in t or "2023年" in t for t in texts), texts
        assert not [t for t in texts if "年年" in t], texts
        # plotly writes the axis's tick suffix or tick text into %{x}: the year comes from customdata
        assert not [t.hovertemplate for t in drawn(fig) if "%{x}" in t.hovertemplate]


# ---------------------------------------------------------------- 3. toolbar and ticks


MODEBAR_TEXTS = ("Download plot as a PNG", "Zoom", "Pan", "Zoom in", "Zoom out", "Autoscale", "Reset axes")
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_toolbar_speaks_chinese_and_downloads_under_a_chinese_name():
    config = charts.PLOTLY_CONFIG
    assert config["locale"] == "zh-CN"
    dictionary = config["locales"]["zh-CN"]["dictionary"]  # inline: no locale bundle on the page
    for text in MODEBAR_TEXTS:
        assert CJK.search(dictionary[text]), text
    assert dictionary["Download plot as a PNG"] == "下载为PNG"
    assert config["toImageButtonOptions"]["format"] == "png"
    assert CJK.search(config["toImageButtonOptions"]["filename"])
    json.dumps(config)  # it travels to the browser as JSON
    fig = charts.trend_chart(series({DAOXIAN: {2024: 6e8}}), "income", "region")
    assert charts.plotly_config(fig)["toImageButtonOptions"]["filename"] == "基金收入变化趋势"


@pytest.mark.parametrize(
    ("indicator", "values"), [("insured", [400000, 380000]), ("visits", [300000, 250000])]
)
def test_ticks_of_people_and_visits_drop_trailing_zeros(indicator, values):
    s = series({DAOXIAN: dict(zip([2023, 2024], values, strict=True))})
    fig = charts.trend_chart(s, indicator, "region")
    assert fig.layout.yaxis.tickformat == ",.2~f"  # 40 万人, 38.5 万人 — never 40.00
    assert fig.layout.yaxis.title.text.endswith("（万人）" if indicator == "insured" else "（万人次）")
    assert ":,.2f}" in drawn(fig)[0].hovertemplate  # the hover keeps the cards' 38.81 万人


# ---------------------------------------------------------------- in a browser


PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None, reason="no chromium")
def test_plotly_draws_them_as_the_figures_say(tmp_path):
    """plotly.js itself (the copy plotly.py ships; Streamlit bundles the same major version):
    Chinese toolbar from the inline locale, plain legend swatches beside hatched bars, hover
    texts with one 年, one tick per year, bars inside their year, ticks without .00."""
    from playwright.sync_api import sync_playwright

    regions = {DAOXIAN: {2022: 5e8, 2023: 5.5e8, 2024: 6e8}, NINGXIAN: {2022: 3e8, 2023: 3.1e8}}
    marked = {(DAOXIAN, 2022), (NINGXIAN, 2022)}
    figures = year_charts(regions, marked)
    people = series({DAOXIAN: {2022: 400000, 2023: 390000, 2024: 380000}})
    figures["people"] = charts.trend_chart(people, "insured", "region")
    page = tmp_path / "charts.html"
    divs = "".join(f'<div id="{k}" style="width:900px;height:500px"></div>' for k in figures)
    plots = ",".join(
        f"Plotly.newPlot({json.dumps(k)}, Object.assign({fig.to_json()}, {{config: {json.dumps(charts.PLOTLY_CONFIG)}}}))"
        for k, fig in figures.items()
    )
    page.write_text(
        f'<html><head><meta charset="utf-8"><script src="{PLOTLY_JS.as_uri()}"></script></head>'
        f"<body>{divs}<script>Promise.all([{plots}]).then(() => window.drawn = true)</script></body></html>",
        encoding="utf-8",
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            tab.wait_for_function("window.drawn === true", timeout=30_000)
            seen = tab.evaluate(
                """(ids) => Object.fromEntries(ids.map(id => {
                    const gd = document.getElementById(id);
                    const hovers = [];
                    gd.data.forEach((t, c) => (t.x || []).forEach((x, p) => {
                        if (x === null) return;
                        Plotly.Fx.hover(gd, [{curveNumber: c, pointNumber: p}]);
                        gd.querySelectorAll('.hoverlayer .hovertext').forEach(h => hovers.push(h.textContent));
                    }));
                    return [id, {
                        modebar: Array.from(gd.querySelectorAll('.modebar-btn')).map(b => b.getAttribute('data-title')),
                        legend: Array.from(gd.querySelectorAll('.legend .traces')).map(t => [
                            t.querySelector('.legendtext').textContent,
                            !!t.querySelector('.legendpoints path[style*="url("]'),
                            Array.from(t.querySelectorAll('.legendpoints path.point')).map(p => p.getAttribute('d')),
                        ]),
                        xticks: Array.from(gd.querySelectorAll('.xtick text')).map(t => t.textContent),
                        yticks: Array.from(gd.querySelectorAll('.ytick text')).map(t => t.textContent),
                        bars: gd.calcdata.filter(cd => cd[0].trace.type === 'bar')
                            .flatMap(cd => cd.filter(d => d.p !== undefined && !isNaN(d.p0)).map(d => [d.p, d.p0, d.p1])),
                        hatched: gd.querySelectorAll('.barlayer path[style*="url("]').length,
                        hovers,
                    }];
                }))""",
                list(figures),
            )
        finally:
            browser.close()
    for name, got in seen.items():
        assert got["modebar"] and all(CJK.search(t) for t in got["modebar"]), (name, got["modebar"])
        assert "下载为PNG" in got["modebar"]
        assert got["hovers"] and not [h for h in got["hovers"] if "年年" in h], (name, got["hovers"])
        assert got["xticks"] == sorted(set(got["xticks"])) and all(
            re.fullmatch(r"\d{4}年", t) for t in got["xticks"]
        )
        assert not any(hatched for _, hatched, _ in got["legend"]), (name, got["legend"])
        for p, p0, p1 in got["bars"]:
            assert p - 0.5 <= p0 < p1 <= p + 0.5, (name, p, p0, p1)
    assert seen["balance_rate"]["hatched"] >= 2  # the estimated years, on the bars
    assert seen["people"]["yticks"] and not [t for t in seen["people"]["yticks"] if t.endswith(".00")]


def test_the_scatter_names_only_its_largest_points_and_says_where_national_includes_maternity():
    from dashboard.core import analysis

    codes = [f"4309{i:02d}" for i in range(1, 11)]
    s = series({c: {2024: 1.0} for c in codes}, set()).with_columns(
        income_per_capita=pl.lit(1000.0),
        expenditure_per_capita=pl.lit(900.0),
        insured=pl.Series([1e4 * (i + 1) for i in range(len(codes))]),
    )
    national = analysis.national_reference().filter(pl.col("fund") == "employee", pl.col("year") >= 2019)
    fig = charts.per_capita_scatter(s, national)
    labels = [x for t in fig.data if t.showlegend is False for x in (t.text or ()) if x]
    assert len(labels) == charts.SCATTER_LABELS  # the largest by insured, the rest on hover
    # two years of one region: named once, at the latest
    two_years = series({codes[0]: {2023: 1.0, 2024: 1.0}}, set()).with_columns(
        income_per_capita=pl.lit(1000.0), expenditure_per_capita=pl.lit(900.0), insured=pl.lit(1e4)
    )
    named = [
        x for t in charts.per_capita_scatter(two_years, national.clear()).data for x in (t.text or ()) if x
    ]
    assert len(named) == 1 and named[0].endswith("2024")
    assert "含生育保险" in fig.layout.title.subtitle.text
