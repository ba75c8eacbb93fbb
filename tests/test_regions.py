"""Region table (data/regions/gb2260.csv) and region detection (pipelines.regions)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.regions import FigureRegions, Region, RegionGuess, RegionTable, detect_region
from scripts import build_regions as build

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "data" / "regions" / "gb2260.csv"
REPORTS = ROOT / "data" / "reports"


@pytest.fixture(scope="module")
def table() -> RegionTable:
    return RegionTable.default()


# --- the CSV ---------------------------------------------------------------------------------


def test_csv_shape_and_parents():
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(build.COLUMNS)
    assert rows[0] == dict(zip(build.COLUMNS, build.NATIONAL, strict=True))
    codes = {r["code"] for r in rows}
    assert len(codes) == len(rows) > 3000
    for r in rows:
        assert len(r["code"]) == 6 and r["code"].isdigit()
        assert r["level"] in {"national", "province", "city", "county"}
        assert r["name"] not in {"市辖区", "县"} and "直辖县级行政区划" not in r["name"]
        if r["level"] in {"national", "province"}:
            assert r["parent_code"] == ""
        else:
            assert r["parent_code"] in codes
        assert r["status"] in {"current", "historic"}
    levels = {r["level"] for r in rows}
    assert levels == {"national", "province", "city", "county"}


def test_build_rows_normalises_placeholders():
    source = "\n".join(
        [
            "adcode,name,longitude,latitude",
            "110000000000,北京市,116.4,39.9",
            "110100000000,市辖区,116.4,39.9",
            "110105000000,朝阳区,116.4,39.9",
            "420000000000,湖北省,114.3,30.5",
            "429000000000,省直辖县级行政区划,,",
            "429004000000,仙桃市,113.4,30.3",
            "430000000000,湖南省,112.9,28.2",
            "430900000000,益阳市,112.3,28.5",
            "430901000000,市辖区,,",
            "430903000000,赫山区,112.3,28.5",
        ]
    )
    assert [
        row[:4] for row in build.build_rows(build.older_names(source), build.older_names(source), {})
    ] == [
        ("100000", "全国", "national", ""),
        ("110000", "北京市", "province", ""),
        ("110105", "朝阳区", "county", "110000"),
        ("420000", "湖北省", "province", ""),
        ("429004", "仙桃市", "county", "420000"),
        ("430000", "湖南省", "province", ""),
        ("430900", "益阳市", "city", "430000"),
        ("430903", "赫山区", "county", "430900"),
    ]


# --- the table -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "level", "parent"),
    [
        ("430903", "赫山区", "county", "430900"),
        ("430900", "益阳市", "city", "430000"),
        ("430000", "湖南省", "province", None),
        ("621026", "宁县", "county", "621000"),
        ("431124", "道县", "county", "431100"),
        ("110105", "朝阳区", "county", "110000"),  # municipality districts hang off the municipality
        ("500101", "万州区", "county", "500000"),
        ("429004", "仙桃市", "county", "420000"),  # 省直辖县级行政区划 → province
        ("430181", "浏阳市", "county", "430100"),
    ],
)
def test_get(table: RegionTable, code, name, level, parent):
    region = table.get(code)
    assert region == Region(code, name, level, parent)


def test_get_unknown(table: RegionTable):
    assert table.get("999999") is None
    assert table.get("110100") is None  # 市辖区 placeholder is not a region


def test_parent_ancestors_is_within(table: RegionTable):
    heshan = table.get("430903")
    yiyang = table.get("430900")
    hunan = table.get("430000")
    nation = table.get("100000")
    assert table.parent(heshan) == yiyang
    assert table.parent(hunan) == nation
    assert table.parent(nation) is None
    assert table.ancestors(heshan) == [yiyang, hunan, nation]
    assert table.ancestors(nation) == []
    assert table.ancestors(table.get("110105")) == [table.get("110000"), nation]
    assert table.is_within(heshan, hunan)
    assert table.is_within(heshan, heshan)
    assert table.is_within(heshan, nation)
    assert not table.is_within(hunan, heshan)
    assert not table.is_within(table.get("621026"), hunan)


@pytest.mark.parametrize(
    ("code", "short"),
    [
        ("430900", "益阳"),
        ("430903", "赫山"),
        ("430000", "湖南"),
        ("621026", "宁县"),
        ("431124", "道县"),
        ("430921", "南县"),
        ("150000", "内蒙古"),
        ("450000", "广西"),
        ("540000", "西藏"),
        ("640000", "宁夏"),
        ("650000", "新疆"),
        ("810000", "香港"),
        ("110000", "北京"),
        ("222400", "延边"),
        ("433100", "湘西"),
        ("652800", "巴音郭楞"),
        ("542400", "那曲"),
        ("152900", "阿拉善"),
        ("429021", "神农架"),
        ("431129", "江华"),
        ("450328", "龙胜"),
        ("150723", "鄂伦春"),
        ("152921", "阿拉善左旗"),
        ("140402", "城区"),
    ],
)
def test_short_name(table: RegionTable, code, short):
    assert table.get(code).short_name == short


def test_short_names_never_one_character(table: RegionTable):
    assert all(len(r.short_name) >= 2 for r in table)


# --- find_mentions ---------------------------------------------------------------------------


def _surfaces(table: RegionTable, text: str) -> list[str]:
    return [m.surface for m in table.find_mentions(text)]


def test_find_mentions_leftmost_longest(table: RegionTable):
    text = "正宁县、会宁县和宁县同属甘肃省庆阳市或白银市"
    mentions = table.find_mentions(text)
    assert [m.surface for m in mentions] == ["正宁县", "会宁县", "宁县", "甘肃省", "庆阳市", "白银市"]
    ning = mentions[2]
    assert text[ning.start : ning.end] == "宁县"
    assert [c.code for c in ning.candidates] == ["621026"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("湖南省益阳市赫山区", ["湖南省", "益阳市", "赫山区"]),
        ("湖南益阳医保", ["湖南", "益阳"]),
        ("赫山、南县试点", ["南县"]),  # county short names are not searched
        ("市和县级医院", []),  # 县级, not 和县
        ("河南县级医院", ["河南"]),  # 河南 (province), not 河南县
        ("推进示范县域建设", []),
        ("湘西州、江华县、鄂伦春旗", ["湘西州", "江华县", "鄂伦春旗"]),
        ("全国医保", []),
    ],
)
def test_find_mentions_surfaces(table: RegionTable, text, expected):
    assert _surfaces(table, text) == expected


def test_find_mentions_duplicate_names(table: RegionTable):
    (gulou,) = table.find_mentions("鼓楼区")
    assert gulou.ambiguous
    assert {c.code for c in gulou.candidates} == {"320106", "320302", "350102", "410204"}
    (jilin,) = table.find_mentions("吉林")
    assert {c.code for c in jilin.candidates} == {"220000", "220200"}


# --- detect_region on synthetic passages -------------------------------------------------------

PASSAGES = {
    "province": (
        "湖北省医疗保障局2022年部门整体支出绩效自评报告\n"
        "一、部门基本情况\n"
        "湖北省医疗保障局是省政府直属机构，负责全省医疗保障工作。2022年全省基本医疗保险参保人数"
        "5600万人，武汉市、宜昌市、襄阳市参保人数位居前列，仙桃市、潜江市、天门市稳步增长。\n"
        "二、全省基金运行情况\n全省职工医保基金收入持续增长，全省居民医保基金运行平稳。\n"
    ),
    "national": (
        "2022年全国医疗保障事业发展统计公报\n"
        "国家医疗保障局\n"
        "2022年，全国基本医疗保险参保人数134592万人，参保率稳定在95%以上。全国基本医疗保险基金"
        "总收入30922.17亿元。北京市、上海市、广东省等地推进DRG支付方式改革，我国医疗保障体系"
        "更加健全。全国职工医保基金运行平稳。\n"
    ),
    "gulou_nanjing": (
        "鼓楼区医疗保障局2021年度部门整体支出绩效自评报告\n"
        "一、基本情况\n"
        "根据南京市财政局要求，我局对2021年度部门整体支出开展绩效自评。全区职工医保参保人数"
        "稳步增长，全区居民医保基金运行平稳。\n"
    ),
    "gulou_fuzhou": (
        "鼓楼区医疗保障局2021年度部门整体支出绩效自评报告\n"
        "一、基本情况\n"
        "根据福州市财政局要求，我局对2021年度部门整体支出开展绩效自评。全区职工医保参保人数"
        "稳步增长，全区居民医保基金运行平稳。\n"
    ),
    "chaoyang_beijing": (
        "北京市朝阳区医疗保障局2020年部门决算说明\n"
        "一、部门职责\n全区基本医疗保险参保登记、基金征缴和待遇支付；全区定点医药机构协议管理。\n"
    ),
    "chaoyang_changchun": (
        "朝阳区医疗保障局2021年工作总结\n"
        "今年以来，在长春市医疗保障局的指导下，全区医保工作稳步推进，全区参保率达到97%。\n"
    ),
    "county_level_city": (
        "浏阳市医疗保障局2021年部门整体支出绩效评价报告\n"
        "浏阳市是长沙市代管的县级市。根据《长沙市医疗保障局关于做好绩效自评工作的通知》，"
        "对全市医保基金运行情况进行评价，全市参保人数128万人。\n"
    ),
    "autonomous_county": (
        "江华瑶族自治县医疗保障局2022年部门整体支出绩效自评报告\n"
        "一、基本情况\n"
        "我县地处湖南省永州市南部，全县基本医疗保险参保人数42万人，全县医保基金运行平稳。\n"
    ),
    "banner_alias": (
        "鄂伦春旗医疗保障局2021年度部门决算说明\n"
        "全旗城乡居民医保参保人数稳步增长，全旗医保基金收支平衡，呼伦贝尔市考核优秀。\n"
    ),
    "prefecture_alias": (
        "湘西州医疗保障局2022年部门整体支出绩效自评报告\n"
        "全州基本医疗保险参保人数245万人，全州医保基金运行平稳，我州获评先进。\n"
    ),
    "no_region": (
        "医疗保障基金运行情况分析\n"
        "本年度基本医疗保险基金收入稳步增长，支出结构持续优化。各地加强医保定点医疗机构管理，"
        "推进示范县建设，市和县级医疗机构实现直接结算，完成县委部署的各项任务。\n"
    ),
    "city_names_counties": (
        "常德市医疗保障局2021年部门整体支出绩效自评报告\n"
        "一、基本情况\n"
        "全市基本医疗保险参保人数500万人。鼎城区、汉寿县、澧县、桃源县、津市市推进支付方式改革，"
        "澧县医疗保障局获评先进单位，桃源县医疗保障局完成基金审计。澧县、桃源县参保率均超过97%。"
        "市本级职工医保基金收入增长，全市居民医保基金运行平稳。\n"
    ),
    "city_without_title": (
        "一、部门职能\n"
        "负责全市医疗保障工作。\n"
        "二、工作成效\n"
        "全市参保率达到96%。赫山区、南县、安化县医疗保障局完成基金审计，益阳市医疗保障局组织"
        "开展专项检查，全市追回医保基金1200万元。\n"
    ),
    "short_city": (
        "湖南益阳医保局2023年工作总结\n今年以来，全市医保系统围绕中心工作，益阳医保服务满意度持续提升，全市参保率稳定。\n"
    ),
    "short_province": (
        "湖南医保局关于2022年全省医疗保障基金运行情况的报告\n全省基本医疗保险基金运行平稳，全省参保率保持在95%以上。\n"
    ),
    "zhengning_not_ning": (
        "正宁县医疗保障局2020年度部门整体支出绩效自评报告\n"
        "一、基本情况\n全县参保人数20万人，全县医保基金运行平稳，与会宁县开展经验交流。\n"
    ),
    "province_administered_city": (
        "仙桃市医疗保障局2021年部门决算说明\n"
        "全市参保人数110万人。根据湖北省医疗保障局部署，全市医保基金运行平稳。\n"
    ),
    "municipality": (
        "上海市医疗保障局2022年部门预算\n全市基本医疗保险参保人数稳定增长，浦东新区、闵行区扩大试点，全市基金运行平稳。\n"
    ),
    "two_char_county": (
        "和县医疗保障局2021年工作总结\n今年以来，我县在马鞍山市医疗保障局的指导下，全县参保率达到97%。\n"
    ),
    "counts_only": (
        "医保基金运行分析\n今年桃江县职工医保基金收入增长，桃江县居民医保基金运行平稳，全县参保率稳定。\n"
    ),
}

# name -> (expected code or None, allowed confidences, evidence fragment expected in some line)
EXPECTED = {
    "province": ("420000", {"high"}, "“全省”"),
    "national": ("100000", {"high"}, "国家医疗保障局"),
    "gulou_nanjing": ("320106", {"high"}, "同名地区4个，依据文中出现的“南京市”选定"),
    "gulou_fuzhou": ("350102", {"high"}, "同名地区4个，依据文中出现的“福州市”选定"),
    "chaoyang_beijing": ("110105", {"high"}, "北京市朝阳区医疗保障局"),
    "chaoyang_changchun": ("220104", {"high"}, "依据文中出现的“长春市”选定"),
    "county_level_city": ("430181", {"high"}, "浏阳市医疗保障局"),
    "autonomous_county": ("431129", {"high"}, "上级地区"),
    "banner_alias": ("150723", {"high"}, "“全旗”"),
    "prefecture_alias": ("433100", {"high"}, "“全州”"),
    "no_region": (None, {"none"}, "未发现"),
    "city_names_counties": ("430700", {"high"}, "与市级一致"),
    "city_without_title": ("430900", {"high"}, "机构名“益阳市医疗保障局”"),
    "short_city": ("430900", {"high"}, "湖南益阳医保局"),
    "short_province": ("430000", {"high"}, "湖南医保局"),
    "zhengning_not_ning": ("621025", {"high"}, "正宁县"),
    "province_administered_city": ("429004", {"high"}, "仙桃市医疗保障局"),
    "municipality": ("310000", {"high"}, "上海市医疗保障局"),
    "two_char_county": ("340523", {"high"}, "和县医疗保障局"),
    "counts_only": ("430922", {"medium"}, "“桃江县”出现2次"),
}


@pytest.mark.parametrize("name", sorted(PASSAGES))
def test_detect_region_synthetic(table: RegionTable, name):
    code, confidences, fragment = EXPECTED[name]
    guess = detect_region(PASSAGES[name], table)
    assert isinstance(guess, RegionGuess)
    got = guess.region.code if guess.region else None
    assert got == code, guess.evidence
    assert guess.confidence in confidences, guess.evidence
    assert any(fragment in e for e in guess.evidence), guess.evidence
    assert guess.evidence and all(isinstance(e, str) for e in guess.evidence)


def test_ambiguous_without_ancestor_is_not_high(table: RegionTable):
    text = "朝阳区医疗保障局2021年工作总结\n今年以来，全区医保工作稳步推进，全区参保率达到97%。\n"
    guess = detect_region(text, table)
    assert guess.region is not None and guess.region.code in {"110105", "220104"}
    assert guess.confidence == "medium"
    assert any("同名地区2个" in e for e in guess.evidence)


def test_short_name_resolved_by_full_name(table: RegionTable):
    text = "吉林省医疗保障局2021年工作总结\n全省参保人数稳定，吉林医保改革持续推进，全省基金平稳。\n"
    guess = detect_region(text, table)
    assert guess.region.code == "220000" and guess.confidence == "high"


def test_unknown_title_agency_lowers_confidence(table: RegionTable):
    # a 国家级新区 is no administrative division: the title agency is unknown to the table
    text = "2023年赣江新区医疗保障局工作总结\n全区参保率97%，南昌市医保局考核优秀。\n"
    guess = detect_region(text, table)
    assert guess.confidence == "low"
    assert any("赣江新区医疗保障局" in e and "不在地区表中" in e for e in guess.evidence)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2023年宁乡市医疗保障局工作总结\n全市参保率97%。", "430182"),
        ("2022年1-9月龙南市医疗保障基金运行情况公示表", "360783"),
    ],
)
def test_a_county_made_a_city_is_found_by_its_new_name(table: RegionTable, text, code):
    # 宁乡县 became 宁乡市 in 2017, 龙南县 龙南市 in 2020: the table has both names
    assert detect_region(text, table).region.code == code


def test_a_renamed_county_never_hides_a_region_of_that_name(table: RegionTable):
    assert [r.code for r in table.by_name("南昌市")] == ["360100"]


def test_level_words_without_name(table: RegionTable):
    guess = detect_region("上半年全市医保基金运行平稳，全市参保率稳定。", table)
    assert guess.region is None and guess.confidence == "none"
    assert any("市级" in e for e in guess.evidence)


def test_quan_inside_words_is_not_a_level_word(table: RegionTable):
    text = "桃江县医疗保障局2021年工作总结\n健全县乡村三级医疗服务网络，全县参保率稳定，建设安全区域。\n"
    guess = detect_region(text, table)
    assert guess.region.code == "430922"
    assert "“全县”出现1次，与县级一致" in guess.evidence


def test_empty_text(table: RegionTable):
    assert detect_region("", table) == RegionGuess(None, "none", ("文中未发现可识别的地区名称",))


def test_default_table_is_cached():
    assert RegionTable.default() is RegionTable.default()
    assert detect_region("益阳市医疗保障局\n全市参保。").region.code == "430900"


# --- detect_region on the real reports ------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "code", "parent"),
    [
        ("000_", "430903", "430900"),
        ("001_", "430903", "430900"),
        ("002_", "431124", "431100"),
        ("003_", "621026", "621000"),
        ("004_", "430900", "430000"),
    ],
)
def test_detect_region_reports(table: RegionTable, prefix, code, parent):
    (path,) = sorted(REPORTS.glob(f"{prefix}*.txt"))
    guess = detect_region(path.read_text(encoding="utf-8"), table)
    assert guess.region is not None, guess.evidence
    assert (guess.region.code, guess.region.parent_code) == (code, parent), guess.evidence
    assert guess.confidence == "high", guess.evidence


# texts whose region a careless reading gets wrong: the page around them, a paper's name, a
# national body cited in passing
PLACED = [
    pytest.param(
        "中新网7月11日电 民政部近日印发《2015年社会服务发展统计公报》。2015年直接医疗救助2889.1万人次。",
        "100000",
        id="a national body in a news lead",
    ),
    pytest.param(
        "梧州市医疗保障局2024年部门整体支出绩效自评报告\n"
        "一、部门基本情况\n本部门严格按照财政部关于预算绩效管理的要求，全年项目支出385.58万元。",
        "450400",
        id="a national body cited in a local text",
    ),
    pytest.param(
        "2023年前3个季度基本医保基金收入同比增长9.2%\n版次:04\n淮南日报社严正声明\n"
        "长期以来,淮南市部分自媒体未经授权转载淮南日报社稿件。\n"
        "新华社北京10月25日电 国家医保局25日发布数据显示,2023年1至9月,基本医疗保险基金总收入23468.3亿元。",
        "100000",
        id="a local paper reprinting national figures",
    ),
    pytest.param(
        "重庆日报讯 记者昨日获悉,2009年全市新型农村合作医疗参合率达到了92.63%。全市参合农民达2179.2万人。",
        "500000",
        id="a local paper's own city when nothing else names one",
    ),
    pytest.param(
        "您好:北京泰茂科技股份有限公司\n\n欢迎来到泰茂医疗器械招标网\n\n当前位置: 行业动态> 政府动态\n"
        "喀什地区2023年度医疗保险基金运行分析报告\n2023年,喀什地区基本医疗保险参保449.5万人。",
        "653100",
        id="a site's banner naming a company",
    ),
    pytest.param(
        "• 问政河北\n  • 古莲花池\n  • 白石山风景区\n当前位置: 健康新闻\n\n全国基本医疗保险参保率稳定在95%以上\n"
        "来源: 人民网\n截至2022年底,全国基本医疗保险参保人数134592万人。",
        "100000",
        id="a site's navigation bullets",
    ),
    pytest.param(
        "我爱江苏网_江苏网_大苏网_江苏资讯-江苏头条\n\n基本医保参保人数逾13.6亿人\n\n"
        "国家医保局近日发布《2020年全国医疗保障事业发展统计公报》。去年全国基本医疗保险参保人数达136131万人。",
        "100000",
        id="a portal's page title listing its names",
    ),
]


@pytest.mark.parametrize(("text", "code"), PLACED)
def test_a_text_is_placed_by_what_it_is_about_not_the_page_around_it(table: RegionTable, text, code):
    assert detect_region(text, table).region.code == code


@pytest.mark.parametrize(
    "lead",
    [
        "人民网北京6月7日电 (记者孙红丽)据国家医保局网站消息,",
        "新华社北京9月15日电 据国家医保局发布的数据显示,",
    ],
)
def test_a_news_dateline_is_not_a_region_the_figures_are_about(table: RegionTable, lead):
    """北京 in 北京6月7日电 is where the news was filed: the national figures stay national."""
    text = lead + "2023年1-4月,基本医疗保险基金(含生育保险)总收入11403.13亿元。"
    figures = FigureRegions.of_text(text, table.get("100000"), table)
    assert figures.region_of(text.index("亿元") + 2).code == "100000"
    assert figures.named_at == []


def test_a_region_named_before_its_figures_is_still_theirs(table: RegionTable):
    text = "2023年,全国基本医疗保险基金总收入3.3万亿元,其中北京市基金收入1200亿元。"
    figures = FigureRegions.of_text(text, table.get("100000"), table)
    assert figures.region_of(text.rindex("亿元") + 2).code == "110000"
