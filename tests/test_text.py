"""Numbers with units and text normalisation."""

from __future__ import annotations

import pytest
from conftest import REPORTS

from pipelines.normalize import normalize_text
from pipelines.numbers import UnitClass, find_quantities, parse_amount


@pytest.mark.parametrize(
    ("surface", "value", "unit"),
    [
        ("46334.01万元", 463340100, UnitClass.MONEY),
        ("12.3亿元", 1230000000, UnitClass.MONEY),
        ("1,234.56万元", 12345600, UnitClass.MONEY),
        ("288029198.21 元", 288029198.21, UnitClass.MONEY),
        ("-787.62万元", -7876200, UnitClass.MONEY),
        ("负300万元", -3000000, UnitClass.MONEY),
        ("12亿3456万元", 1234560000, UnitClass.MONEY),
        ("一千二百万元", 12000000, UnitClass.MONEY),
        ("三十二万人", 320000, UnitClass.PERSON),
        ("19400 名", 19400, UnitClass.PERSON),
        ("48.23万人次", 482300, UnitClass.VISIT),
        ("42.61亿人次", 4261000000, UnitClass.VISIT),
        ("1434起", 1434, UnitClass.VISIT),
        ("15.30%", 15.3, UnitClass.PERCENT),
        ("150元/人", 150, UnitClass.PER_CAPITA),
        ("2.1个百分点", 2.1, UnitClass.POINTS),
    ],
)
def test_quantities(surface, value, unit):
    parsed = parse_amount(surface)
    assert parsed is not None
    assert parsed[0] == pytest.approx(value)
    assert parsed[1] is unit


@pytest.mark.parametrize(
    "text", ["2019年12月31日", "一起开展", "（益赫财绩〔2022〕1号）", "第2位", "1-12月", "A3级"]
)
def test_not_quantities(text):
    assert find_quantities(text) == []


def test_normalisation_of_full_width_and_artefacts():
    raw = "[bookmark: ORG_SET]基金收入１２，３４５．６７万元，增长５．２％，结余－７８７．６２万元"
    assert normalize_text(raw) == "基金收入12,345.67万元，增长5.2%，结余-787.62万元"


def test_line_broken_by_a_page_break_is_joined():
    raw = "2.不断提标扩面，医疗保障工作达到新水平。2019年城乡居\n\n民人均筹资 740 元，较上年提高 30 元。"
    assert "城乡居民人均筹资 740 元" in normalize_text(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2019年度宁县医疗保障局整体支出绩效自评报告\n\n按照宁县财政局的要求，我局高度重视，开展自评工作。",
        "天水市医疗保障局关于2020年度城镇职工基本医疗保险基金收支情况的公示\n根据规定公示如下：",
        "项目\t2022年\t2023年\n基金收入\t512,684\t538,905",
        "城乡居民大病保险 | 48,316 | 21,573.46\n职工大额医疗费用补助 | 12,074 | 8,215.33",
    ],
)
def test_titles_and_table_rows_are_not_joined(raw):
    lines = [ln for ln in normalize_text(raw).split("\n") if ln]
    assert lines == [ln for ln in raw.split("\n") if ln]


def test_normalisation_is_idempotent():
    text = (REPORTS / "003_a15d490633ad3696.txt").read_text(encoding="utf-8")
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_a_blank_line_between_caption_and_table(extractor):
    from pipelines.normalize import normalize_text

    text = normalize_text(
        "居民医保基金运行情况\n单位：万元\n\n项目\t2022年\t2023年\n基金收入\t512,684\t538,905\n"
    )
    facts = extractor.extract(text, 2023).candidates
    assert sorted((f.year, f.fund, f.value) for f in facts) == [
        (2022, "resident", 5126840000.0),
        (2023, "resident", 5389050000.0),
    ]


def test_zero_statements_take_the_year_and_basis_of_their_section(extractor):
    from pipelines.normalize import normalize_text

    text = normalize_text(
        "一、2023年部门决算\n基本支出100万元，无项目支出。\n二、2024年部门预算草案\n基本支出120万元，无项目支出。"
    )
    zeros = [f for f in extractor.extract(text, 2023).candidates if f.value == 0]
    assert [(f.year, f.basis, f.quote(text)) for f in zeros] == [
        (2023, "actual", "无项目支出"),
        (2024, "budget", "无项目支出"),
    ]


def test_traditional_text_is_read_in_simplified_characters(extractor):
    from pipelines.normalize import is_traditional

    raw = "2019年醫療保障統計快報\n全國基本醫療保險參保人數135436萬人，基金總收入23334.87億元，累計結存26912.11億元。"
    assert is_traditional(raw)
    text = normalize_text(raw)
    assert "全国基本医疗保险参保人数135436万人" in text and "累计结存26912.11亿元" in text
    assert len(text) == len(raw)  # one character for one
    assert normalize_text(text) == text
    metrics = {c.metric for c in extractor.extract(text).candidates}
    assert {"insured", "income", "cumulative_balance"} <= metrics


@pytest.mark.parametrize(
    "text",
    [
        "2019年全县城乡居民医保基金收入1.2亿元。",
        # six traditional-only characters in a quoted name, but under 3% of the text's Han
        "《乾隆於後發誌》载：" + "全县城乡居民医保基金收入1.2亿元，基金支出1.1亿元，参保人数12万人。" * 8,
    ],
)
def test_simplified_text_stays_as_it_is(text):
    from pipelines.normalize import is_traditional

    assert not is_traditional(text)
    assert normalize_text(text) == text


def test_a_mirrors_pinyin_glosses_are_removed(extractor):
    from pipelines.normalize import normalize

    raw = "托里縣醫(yī)療保險(xiǎn)基金(jīn)收入3.2億元，職工(gōng)醫保(bǎo)參保1.37萬人。"
    done = normalize(raw)
    assert done.text == "托里县医疗保险基金收入3.2亿元，职工医保参保1.37万人。"
    assert done.glosses == 5 and done.converted
    assert normalize_text(done.text) == done.text
    # brackets that are no gloss stay: a Latin abbreviation, a unit, a plain syllable
    for kept in ("疾病诊断相关分组(DRG)付费", "基金支出(万元)", "名称(an)"):
        assert normalize_text(kept) == kept
    facts = {(c.fund, c.metric, c.value) for c in extractor.extract(done.text, 2023).candidates}
    assert ("employee", "insured", 13700) in facts


def test_traditional_decision_is_made_on_the_kept_text_so_normalising_twice_agrees():
    # a word-processor bookmark full of Han characters is removed before the decision
    raw = "[bookmark: " + "医" * 70 + "]" + "於是醫療後來" + "保" * 150 + "基金收入1.2亿元。"
    once = normalize_text(raw)
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("利息收入全年预算 138。86 234。88 471。21", "利息收入全年预算 138.86 234.88 471.21"),
        (
            "基金收入28163。52万元。2014年基金收入36539。82万元。",
            "基金收入28163.52万元。2014年基金收入36539.82万元。",
        ),
        ("参保人数为1500。2019年参保人数为1600。", "参保人数为1500。2019年参保人数为1600。"),
        ("于3。4月份完成征缴。", "于3。4月份完成征缴。"),
    ],
)
def test_a_full_stop_typed_for_the_decimal_point(raw, clean):
    assert normalize_text(raw) == clean


@pytest.mark.parametrize(
    ("text", "year"),
    [
        (
            "作者:东昌府新闻网 发表于:2017-12-09 18:36:27\n截至今年十一月底,参加城镇职工基本医疗保险65050人。",
            2017,
        ),
        ("发布时间：2021/03/05\n全县城乡居民医保基金收入1.2亿元。", 2021),
        ("全县城乡居民医保基金收入2017.12亿元。", None),  # a number, not a date
        ("2019年全县城乡居民医保基金收入1.2亿元。发表于:2020-01-09", 2019),  # a stated year wins
        # news of a bulletin, whose only year is in the bulletin's title: that year
        (
            "国家医保局近日发布《2020年全国医疗保障事业发展统计公报》。基本医保基金总收入24846亿元。"
            "发表于:2021-06-09",
            2020,
        ),
        ("依据《2019年度预算草案》，2021年全县城乡居民医保基金收入1.2亿元。", 2021),  # the text's own
        # a cited rule is not what the figures are about: the date line says
        ("发布日期：2024-03-01\n今年1-2月，按《2019年城乡居民医保实施办法》，全县基金支出900万元。", 2024),
    ],
)
def test_a_page_without_a_written_year_is_dated_by_its_date_line(text, year):
    from pipelines.extract import detect_report_year

    assert detect_report_year(text)[0] == year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a bare 亿/万: the measure before it says people or money
        ("截至9月底，全国参加新农合人口7.26亿，参合率为85.96%。", ("resident", "insured", 726000000)),
        ("2018年全国基本医疗保险基金总支出1.76万亿。", ("all", "expenditure", 1760000000000)),
        # before a noun for people it counts people
        ("今年全州筹集合作医疗基金2286.05万元，19.65万农牧民参合。", ("resident", "insured", 196500)),
    ],
)
def test_a_bare_wan_or_yi_takes_its_unit_from_the_words(extractor, text, expected):
    facts = {(c.fund, c.metric, c.value) for c in extractor.extract(normalize_text(text), 2018).candidates}
    assert expected in facts


def test_a_bare_wan_without_a_measure_is_set_aside_with_the_reason(extractor):
    extraction = extractor.extract("全县共计3.2万，同比增长5%。", 2018)
    assert not extraction.candidates
    assert any("只有“万”或“亿”" in d.reason for d in extraction.dropped)
