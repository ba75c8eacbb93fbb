"""Contract v2 readings (../shared/spec/fund-facts.md) on short texts through the whole extractor:
partial-year outcomes and their period, fund `all`, long-term care, financing standards,
bounds and targets, the items of transfers and remittances, and 新农合-era wording."""

from __future__ import annotations

import pytest

from pipelines.normalize import normalize_text


def _read(extractor, text: str, year: int = 2023):
    extraction = extractor.extract(normalize_text(text), report_year=year)
    return [(f.year, f.fund, f.metric, f.item, f.basis, f.period, f.value) for f in extraction.candidates]


# ---- basis partial and its period


def test_a_period_named_in_a_sentence_speaks_for_the_rest_of_its_paragraph(extractor):
    facts = _read(
        extractor,
        "2022年1-10月,全国基本医疗保险参保率稳定在95%以上。职工医保基金收入16251.6亿元。"
        "城乡居民医保基金支出7268.57亿元。",
        2022,
    )
    assert (2022, "employee", "income", "total", "partial", "1-10月", 1625160000000) in facts
    assert (2022, "resident", "expenditure", "total", "partial", "1-10月", 726857000000) in facts


def test_the_next_paragraph_goes_on_with_the_months_of_the_one_before(extractor):
    text = (
        "今年上半年,基本医疗保险基金收入15200.51亿元。\n"
        "基本医疗保险基金支出11030.88亿元。\n"
        "2021年,全国基本医疗保险基金支出2.4万亿元。\n"
    )
    facts = _read(extractor, text, 2022)
    assert (2022, "all", "expenditure", "total", "partial", "上半年", 1103088000000) in facts
    assert (2021, "all", "expenditure", "total", "actual", None, 2400000000000) in facts


def test_a_heading_or_a_gap_ends_the_months_of_the_paragraph_before(extractor):
    text = "今年上半年,基本医疗保险基金收入15200.51亿元。\n\n二、基金支出\n基本医疗保险基金支出2.4万亿元。\n"
    facts = _read(extractor, text, 2022)
    assert (2022, "all", "expenditure", "total", "actual", None, 2400000000000) in facts


def test_the_title_names_the_period_of_the_whole_report(extractor):
    text = "2021年1-9月基本医疗保险基金运行情况\n一、职工基本医疗保险\n全市职工医保基金总收入54.1亿元。\n"
    assert _read(extractor, text, 2021) == [
        (2021, "employee", "income", "total", "partial", "1-9月", 5410000000)
    ]


def test_a_date_line_under_the_title_names_no_period(extractor):
    text = "关于2023年社会保险基金预算执行情况的报告\n——2024年1月在第四次会议上\n职工医保基金收入6.5亿元。\n"
    assert _read(extractor, text) == [(2023, "employee", "income", "total", "actual", None, 650000000)]


@pytest.mark.parametrize("period", ["1-11月", "1-12月", "截至12月中旬", "全年"])
def test_a_period_from_january_to_november_or_later_is_the_whole_year(extractor, period):
    facts = _read(extractor, f"2023年{period}，城乡居民医保基金支出12.5亿元。")
    assert facts == [(2023, "resident", "expenditure", "total", "actual", None, 1250000000)]


def test_the_same_period_of_last_year_is_partial_too(extractor):
    facts = _read(extractor, "2023年上半年，职工医保基金收入34.58亿元，上年同期为32.91亿元。")
    assert (2022, "employee", "income", "total", "partial", "上半年", 3291000000) in facts


def test_another_year_named_after_the_period_is_a_whole_year(extractor):
    facts = _read(extractor, "2023年一季度职工医保基金收入4563万元；2022年职工医保基金收入1.8亿元。")
    assert (2023, "employee", "income", "total", "partial", "一季度", 45630000) in facts
    assert (2022, "employee", "income", "total", "actual", None, 180000000) in facts


def test_a_financing_standard_is_never_partial(extractor):
    facts = _read(extractor, "2023年上半年，城乡居民医保个人缴费标准为380元。")
    assert facts == [(2023, "resident", "financing_per_capita", "premium", "actual", None, 380)]


def test_table_cells_under_a_partial_title_are_partial(extractor):
    text = (
        "2025年1-3月某县基本医疗保险主要指标\n"
        "指标名称\t单位\t指标数据\n"
        "城乡居民基本医疗保险基金收入\t万元\t18777.15\n"
    )
    facts = _read(extractor, text, 2025)
    assert facts == [(2025, "resident", "income", "total", "partial", "1-3月", 187771500)]


def test_a_month_that_dates_an_event_is_no_period(extractor):
    facts = _read(extractor, "从2024年3月扩面政策实施至今，长期护理保险共享受政策待遇118.69万元。", 2024)
    assert facts == [(2024, "long_term_care", "expenditure", "total", "actual", None, 1186900)]


# ---- fund `all` and long-term care


def test_a_heading_naming_basic_insurance_and_maternity_governs_neither(extractor):
    text = (
        "2024年1月天津市基本医疗保险和生育保险运行情况\n"
        "2024年1月,天津市基本医疗保险参保人数1168.69万人。生育保险参保人数419.64万人。\n"
        "2024年1月,天津市基本医疗保险基金(含生育保险)总收入45.56亿元。"
        "其中,职工基本医疗保险基金(含生育保险)收入45.32亿元。\n"
    )
    facts = _read(extractor, text, 2024)
    assert (2024, "all", "insured", "total", "partial", "1月", 11686900) in facts
    assert (2024, "maternity", "insured", "total", "partial", "1月", 4196400) in facts
    assert (2024, "all", "income", "total", "partial", "1月", 4556000000) in facts
    assert (2024, "employee", "income", "total", "partial", "1月", 4532000000) in facts


def test_a_dateline_above_the_title_is_not_the_report_year(extractor):
    extraction = extractor.extract(
        normalize_text("天津政务网 2019年12月3日星期二\n\n2024年1月天津市医保运行情况\n")
    )
    assert extraction.report_year == 2024


# ---- financing standards, approximate figures, bounds and targets


def test_approximate_figures_are_facts(extractor):
    facts = _read(extractor, "城乡居民医保基金支出约12亿元，人均缴费标准120元左右。")
    assert (2023, "resident", "expenditure", "total", "actual", None, 1200000000) in facts
    assert (2023, "resident", "financing_per_capita", "premium", "actual", None, 120) in facts


@pytest.mark.parametrize(
    "text",
    [
        "全国基本医疗保险参保人数超过13亿人。",
        "基金累计支付逾50亿元。",
        "力争居民医保参保人数达到300万人。",
        "全年职工医保基金支出控制在12亿元以内。",
        "城乡居民医保参保率不低于95%。",
        "参保人数达到50万人以上。",
    ],
)
def test_bounds_and_targets_are_not_facts(extractor, text):
    assert _read(extractor, text) == []


def test_from_x_to_y_gives_both_years(extractor):
    facts = _read(extractor, "2011年，各级财政对新农合的补助标准从每人每年120元提高到200元。", 2011)
    assert (2011, "resident", "financing_per_capita", "fiscal_subsidy", "actual", None, 200) in facts
    assert (2010, "resident", "financing_per_capita", "fiscal_subsidy", "actual", None, 120) in facts


def test_a_portals_metadata_lines_are_not_the_title(extractor):
    text = (
        "-\n索引号hkxylbzj/2024-00003\n-\n发布机构某县医疗保障局\n-\n文号\n-\n发布日期2024-07-05\n时效性有效\n"
        "2024年第二季度医疗保险各险种基金收支结余公示\n截至2024年6月30日某县医保中心各险种基金收支结余情况公示如下:\n"
        "1、城镇职工医疗保险基金总收入4799.27万元。\n"
    )
    assert _read(extractor, text, 2024) == [
        (2024, "employee", "income", "total", "partial", "第二季度", 47992700)
    ]


def test_a_title_names_its_period_without_a_year(extractor):
    text = (
        "热议:1-5月基本医疗保险基金总收入13709.91亿元\n来源:中国新闻网\n"
        "2023年1-5月,基本医疗保险基金(含生育保险)总收入13709.91亿元,同比增长8.2%。\n"
        "其中职工基本医疗保险基金(含生育保险)收入9231.26亿元,同比增长12.7%。\n"
    )
    facts = _read(extractor, text)
    assert (2023, "employee", "income", "total", "partial", "1-5月", 923126000000) in facts


def test_a_fourth_quarter_release_in_a_title_is_the_whole_year(extractor):
    text = (
        "2025年第四季度某市医疗保险有关情况\n"
        "2025年第四季度全市职工医保基金累计收入108719万元,基金累计支出77751万元。\n"
    )
    facts = _read(extractor, text, 2025)
    assert (2025, "employee", "income", "total", "actual", None, 1087190000) in facts
    # in a sentence the fourth quarter is the quarter alone
    facts = _read(
        extractor, "2025年全市医保基金运行情况\n2025年第四季度，全市职工医保基金支出1200万元。\n", 2025
    )
    assert facts == [(2025, "employee", "expenditure", "total", "partial", "第四季度", 12000000)]


def test_a_budget_compared_with_is_the_budget_alone(extractor):
    facts = _read(
        extractor, "2024年度全市职工医保基金收入93261.05万元，占预算收入81139.88万元的114.94%。", 2024
    )
    assert (2024, "employee", "income", "total", "actual", None, 932610500) in facts
    assert (2024, "employee", "income", "total", "budget", None, 811398800) in facts
