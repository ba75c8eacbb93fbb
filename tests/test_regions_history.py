"""The region table's current regions and older codes (scripts/build_regions.py, pipelines.regions):
a report of 宁乡县 (2015) and one of 宁乡市 (2020) land on one region, older codes still resolve,
a merged region stays itself, and a name older in one place never takes a current one's mentions."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from pipelines import store
from pipelines.evaluate import CONTRACT_KEY, compare
from pipelines.ingest import ingest, report_region
from pipelines.regions import FigureRegions, RegionTable, detect_region
from scripts import build_regions as build

ROOT = Path(__file__).resolve().parents[1]
TABLE_CSV = ROOT / "data" / "regions" / "gb2260.csv"
CHANGES_CSV = ROOT / "data" / "regions" / "changes.csv"


@pytest.fixture(scope="module")
def table() -> RegionTable:
    return RegionTable.default()


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, str]]:
    with TABLE_CSV.open(encoding="utf-8", newline="") as fh:
        return {r["code"]: r for r in csv.DictReader(fh)}


# --- the build -------------------------------------------------------------------------------

CURRENT = {
    "provinces": {
        "湖南省": {
            "code": "430000000000",
            "cities": {
                "长沙市": {
                    "code": "430100000000",
                    "counties": {"长沙县": "430121000000", "宁乡市": "430182000000"},
                },
            },
        },
        "河北省": {
            "code": "130000000000",
            "cities": {"邢台市": {"code": "130500000000", "counties": {"襄都区": "130502000000"}}},
        },
        "湖北省": {
            "code": "420000000000",
            "cities": {"": {"code": None, "counties": {"仙桃市": "429004000000"}}},
        },
    }
}
OLDER = "\n".join(
    [
        "adcode,name,longitude,latitude",
        "430000000000,湖南省,,",
        "430100000000,长沙市,,",
        "430101000000,市辖区,,",
        "430121000000,长沙县,,",
        "430124000000,宁乡县,,",
        "430125000000,某合并县,,",
        "130000000000,河北省,,",
        "130500000000,邢台市,,",
        "130502000000,桥东区,,",
        "420000000000,湖北省,,",
        "429000000000,省直辖县级行政区划,,",
        "429004000000,仙桃市,,",
    ]
)
CHANGES = "\n".join(
    [
        "old_code,old_name,new_code,new_name,change",
        "430124,宁乡县,430182,宁乡市,renamed",
        "430125,某合并县,430121,长沙县,merged",
    ]
)


def _build(tmp: Path, name: str) -> bytes:
    rows = build.build_rows(
        build.current_names(json.dumps(CURRENT, ensure_ascii=False)),
        build.older_names(OLDER),
        build.read_changes(CHANGES),
    )
    build.write_rows(rows, tmp / name)
    return (tmp / name).read_bytes()


def test_the_build_is_deterministic_and_marks_older_codes(tmp_path):
    first = _build(tmp_path, "a.csv")
    assert first == _build(tmp_path, "b.csv")
    lines = first.decode("utf-8").splitlines()
    assert lines[0] == ",".join(build.COLUMNS)
    assert lines[1:] == [
        "100000,全国,national,,current,,",
        "130000,河北省,province,,current,,",
        "130500,邢台市,city,130000,current,,",
        "130502,襄都区,county,130500,current,,桥东区",  # same code, new name: the old one kept
        "420000,湖北省,province,,current,,",
        "429004,仙桃市,county,420000,current,,",
        "430000,湖南省,province,,current,,",
        "430100,长沙市,city,430000,current,,",
        "430121,长沙县,county,430100,current,,",
        "430124,宁乡县,county,430100,historic,430182,",  # renamed: its successor
        "430125,某合并县,county,430100,historic,,",  # merged: no successor
        "430182,宁乡市,county,430100,current,,",
    ]


def test_the_build_refuses_a_current_region_without_its_parent():
    current = build.current_names(json.dumps(CURRENT, ensure_ascii=False))
    del current["130000"]
    with pytest.raises(ValueError, match="130500 邢台市: parent 130000 missing"):
        build.build_rows(current, {}, {})


def test_the_build_refuses_an_older_code_nobody_explained():
    current = build.current_names(json.dumps(CURRENT, ensure_ascii=False))
    with pytest.raises(ValueError, match=re.escape("without a change in changes.csv: ['430124', '430125']")):
        build.build_rows(current, build.older_names(OLDER), {})
    bad = CHANGES.replace("430182,宁乡市", "430182,宁乡县")
    with pytest.raises(ValueError, match="new_name 宁乡县 is not 宁乡市"):
        build.build_rows(current, build.older_names(OLDER), build.read_changes(bad))


# --- the committed table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("430182", "宁乡市"),  # 宁乡县 made a city, 2017
        ("350112", "长乐区"),  # 长乐市 made a district, 2017
        ("540600", "那曲市"),  # 那曲地区 made a city, 2017
        ("370116", "莱芜区"),  # 莱芜市 merged into 济南, 2019
        ("330383", "龙港市"),  # new, 2019
        ("360783", "龙南市"),  # 龙南县 made a city, 2020
        ("330114", "钱塘区"),  # new, 2021
        ("431181", "祁阳市"),  # 祁阳县 made a city, 2021
        ("540481", "米林市"),  # 米林县 made a city, 2023
        ("500157", "两江新区"),  # 江北区 and 渝北区 merged, 2025
    ],
)
def test_the_table_holds_current_regions(rows, code, name):
    assert (rows[code]["name"], rows[code]["status"]) == (name, "current")


def test_older_codes_are_historic_with_their_successor_where_the_territory_stayed(rows):
    assert (rows["430124"]["name"], rows["430124"]["status"], rows["430124"]["successor_code"]) == (
        "宁乡县",
        "historic",
        "430182",
    )
    assert rows["510124"]["successor_code"] == "510117"  # 郫县 → 郫都区
    assert rows["542400"]["successor_code"] == "540600"  # 那曲地区 → 那曲市
    for merged_or_split in ("371200", "320611", "500105", "130421"):  # 莱芜市, 港闸区, 重庆's 江北区, 邯郸县
        assert (rows[merged_or_split]["status"], rows[merged_or_split]["successor_code"]) == ("historic", "")
    assert rows["130502"]["former_name"] == "桥东区"  # 邢台's 桥东区 is 襄都区 since 2020


def test_the_table_and_its_changes_agree(rows):
    with CHANGES_CSV.open(encoding="utf-8", newline="") as fh:
        changes = {r["old_code"]: r for r in csv.DictReader(fh)}
    historic = {code for code, r in rows.items() if r["status"] == "historic"}
    assert historic == set(changes)
    for code in historic:
        renamed = changes[code]["change"] == "renamed"
        assert rows[code]["successor_code"] == (changes[code]["new_code"] if renamed else "")
        if renamed:
            assert rows[rows[code]["successor_code"]]["status"] == "current"
        assert rows[code]["parent_code"] in rows


# --- lookups ---------------------------------------------------------------------------------


def test_an_older_code_resolves(table):
    old = table.get("430124")
    assert (old.name, old.is_current, old.parent_code) == ("宁乡县", False, "430100")
    assert table.resolve("430124").code == "430182"
    assert table.resolve("430182").code == "430182"
    assert table.resolve("371200").code == "371200"  # merged: stays itself
    assert table.resolve("999999") is None
    assert [r.code for r in table.by_name("宁乡县")] == ["430182"]
    # a steward's older code, or one in a stored file, is the region it is now
    assert report_region("", table, "430124").region.code == "430182"


def test_a_gold_label_with_an_older_code_is_the_same_region_and_nothing_else_is():
    fact = {"region_code": "430182", "year": 2016, "fund": "resident", "metric": "income"}
    fact |= {"item": "total", "basis": "actual", "value": 100.0}
    assert compare([fact | {"region_code": "430124"}], [fact], CONTRACT_KEY).counts["correct"] == 1
    # a merged region is not the one it went into (港闸区 320611 → 崇川区 320613)
    merged = compare([fact | {"region_code": "320611"}], [fact | {"region_code": "320613"}], CONTRACT_KEY)
    assert (merged.counts["correct"], merged.counts["extra"], merged.counts["missing"]) == (0, 1, 1)


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "宁乡县医疗保障局2015年工作总结\n全县城乡居民参保率97%。",
        "宁乡市医疗保障局2020年工作总结\n全市城乡居民参保率97%。",
        "长沙市宁乡县2016年医疗保险基金运行情况\n全县基金运行平稳。",
    ],
)
def test_old_and_new_names_land_on_the_current_region(table, text):
    guess = detect_region(text, table)
    assert (guess.region.code, guess.confidence) == ("430182", "high"), guess.evidence


def test_a_historic_region_without_successor_stays_itself(table):
    guess = detect_region("莱芜市医疗保障局2017年工作总结\n全市参保率97%。", table)
    assert (guess.region.code, guess.confidence) == ("371200", "high"), guess.evidence
    guess = detect_region("重庆市江北区医疗保障局2020年工作总结\n全区参保率97%。", table)
    assert guess.region.code == "500105", guess.evidence


def test_a_name_older_in_one_place_does_not_take_a_current_ones_mentions(table):
    # 江北区: 宁波's is current, 重庆's was merged in 2025
    guess = detect_region("江北区医疗保障局2024年工作总结\n全区参保率97%。", table)
    assert guess.region.code == "330205", guess.evidence
    assert detect_region("宁波市江北区医疗保障局2024年工作总结", table).region.code == "330205"
    # 桥东区: 张家口's is current; 邢台's is 襄都区 now, found where 邢台 says so
    assert detect_region("桥东区医疗保障局2021年工作总结\n全区参保率97%。", table).region.code == "130702"
    assert detect_region("邢台市桥东区医疗保障局2015年工作总结", table).region.code == "130502"
    # 崇川区: the current one, not the one merged into it in 2020
    assert detect_region("南通市崇川区医疗保障局2022年工作总结", table).region.code == "320613"
    text = "南通市2022年医疗保障工作总结。全市参保率97%。其中崇川区基金收入12亿元。"
    figures = FigureRegions.of_text(text, table.get("320600"), table)
    assert figures.region_of(text.index("亿元") + 2).code == "320613"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("南京市鼓楼区医疗保障局2023年工作总结\n全区参保率97%。", "320106"),
        ("福州市鼓楼区医疗保障局2023年工作总结\n全区参保率97%。", "350102"),
    ],
)
def test_duplicate_names_are_still_told_apart(table, text, code):
    guess = detect_region(text, table)
    assert (guess.region.code, guess.confidence) == (code, "high"), guess.evidence


def test_reports_of_the_old_and_the_new_name_join_into_one_trend(tmp_path):
    texts = {
        "ningxiang_2015.txt": "宁乡县医疗保障局2015年城乡居民基本医疗保险基金运行情况\n"
        "2015年全县城乡居民基本医疗保险基金收入52000万元，基金支出48000万元。\n",
        "ningxiang_2020.txt": "宁乡市医疗保障局2020年城乡居民基本医疗保险基金运行情况\n"
        "2020年全市城乡居民基本医疗保险基金收入72000万元，基金支出68000万元。\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    con = store.connect(tmp_path / "r.duckdb")
    try:
        ingest(con, [tmp_path / name for name in texts])
        docs = con.execute("SELECT DISTINCT region_code FROM documents").fetchall()
        facts = con.execute(
            "SELECT DISTINCT region_code, year FROM fund_facts WHERE metric = 'income' ORDER BY year"
        ).fetchall()
    finally:
        con.close()
    assert docs == [("430182",)]
    assert facts == [("430182", 2015), ("430182", 2020)]


def test_the_stewards_region_picker_offers_current_regions_and_marks_abolished_ones():
    from dashboard.web.review import region_choices

    choices = region_choices()
    assert choices["430182"] == "宁乡市（湖南省长沙市）"
    assert "430124" not in choices  # 宁乡县 was only renamed: 宁乡市 stands for it
    assert choices["371200"] == "莱芜市（山东省）（已撤销）"  # merged into 济南: kept for older reports
