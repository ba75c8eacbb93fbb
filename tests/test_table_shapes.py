"""Tables as real pages flatten them, read through the whole extractor: one cell per line
(with or without ``|``), a row written without separators (基本医疗保险万人360.46), group
labels that name the measure of the rows below (一、参保人数), bilingual yearbook tables."""

from __future__ import annotations

import pytest

from pipelines.normalize import normalize_text


def _read(extractor, text: str, year: int = 2025):
    extraction = extractor.extract(normalize_text(text), report_year=year)
    return {(f.year, f.fund, f.metric, f.item, f.basis, f.value) for f in extraction.candidates}


ONE_CELL_PER_LINE = """2025年1-4月某县基本医疗保险和生育保险主要指标
| 2025年1-4月某县基本医疗保险和生育保险主要指标 |
|
|
| 指标名称 |
单位 |
指标数据 |
| 一、参保人数 |
人 |
714699 |
| 1.职工基本医疗保险(含生育保险) |
人 |
39364 |
| 2.城乡居民基本医疗保险 |
人 |
675335 |
| 二、统筹基金收入 |
万元 |
23294.92 |
| 1.职工基本医疗保险(含生育保险) |
万元 |
4475.40 |
| 注:1.自2024年起,公布数据为基本医疗保险统筹基金收入、支出。 |
"""


def test_a_table_written_one_cell_per_line_is_read_row_by_row(extractor):
    facts = _read(extractor, ONE_CELL_PER_LINE)
    assert (2025, "all", "insured", "total", "partial", 714699) in facts
    assert (2025, "employee", "insured", "total", "partial", 39364) in facts
    assert (2025, "resident", "insured", "total", "partial", 675335) in facts
    # a new top-level row (二、…) is not of the fund the row above it named
    assert (2025, "all", "income", "pooled", "partial", 232949200) in facts
    assert (2025, "employee", "income", "pooled", "partial", 44754000) in facts
    assert len(facts) == 5


def test_a_quote_of_a_one_cell_per_line_row_spans_its_lines(extractor):
    text = normalize_text(ONE_CELL_PER_LINE)
    extraction = extractor.extract(text, report_year=2025)
    first = min(extraction.candidates, key=lambda f: f.start)
    assert extraction.quote(first) == "一、参保人数 |\n人 |\n714699"


def test_one_cell_lines_without_a_header_are_not_a_table(extractor):
    text = "2024年基金运行情况\n基金收入\n12345\n基金支出\n6789\n"
    assert _read(extractor, text, 2024) == set()


def test_blank_lines_between_cells_and_several_tables_on_one_page(extractor):
    text = (
        "一、参保人数(截止12月底):\n\n指标名称\n\n单位\n\n数量\n\n基本医疗保险参保人数\n\n万人\n\n139.9\n\n"
        "其中:1、职工基本医疗保险\n\n万人\n\n57.4\n\n基本医疗保险参保单位\n\n42269\n\n其中:1、街道(村居)\n\n1329\n\n"
        "二、基本医疗保险待遇支付:\n\n指标名称\n\n人次\n\n金额(万元)\n\n住院\n\n35611\n\n19837.33\n\n"
        "门诊统筹\n\n1245541\n\n3156.37\n"
    )
    facts = _read(extractor, text, 2020)
    # the caption's 截止12月底 is the year's end: the whole year
    assert (2020, "all", "insured", "total", "actual", 1399000) in facts
    assert (2020, "employee", "insured", "total", "actual", 574000) in facts
    # employers (参保单位) are no fund figure, and neither are the rows under them
    assert not {f for f in facts if f[-1] in (42269, 1329)}
    assert (2020, "all", "visits", "inpatient", "actual", 35611) in facts
    assert (2020, "all", "expenditure", "inpatient", "actual", 198373300) in facts


ROWS_WITHOUT_SEPARATORS = """2023年一季度医疗保险和生育保险主要指标
来源: 某市医疗保障局
指标名称单位本期
一、参保人数
      基本医疗保险万人360.46
    职工基本医疗保险万人93.57
三、基金收入
      基本医疗保险(含生育保险)亿元14.29
    城乡居民基本医疗保险亿元1.93
五、当期结余
    城乡居民基本医疗保险亿元-3.81
"""


def test_a_row_written_without_separators_takes_its_measure_from_the_group_label(extractor):
    facts = _read(extractor, ROWS_WITHOUT_SEPARATORS, 2023)
    assert facts == {
        (2023, "all", "insured", "total", "partial", 3604600),
        (2023, "employee", "insured", "total", "partial", 935700),
        (2023, "all", "income", "total", "partial", 1429000000),
        (2023, "resident", "income", "total", "partial", 193000000),
        (2023, "resident", "balance", "total", "partial", -381000000),
    }


# (text, report year, facts it must give): one shape of table each
SHAPES = [
    pytest.param(
        "某市医保基金2024年财务公开\n单位:万元\n城乡居民医疗 | |\n指标名称 | 金额 |\n"
        "一、上年结余 | 354.15 |\n二、收入合计 | 8689.16 |\n1、基本医疗保险费收入 | 3646.49 |\n",
        2024,
        {
            (2024, "resident", "income", "total", "actual", 86891600),
            (2024, "resident", "income", "premium", "actual", 36464900),
        },
        id="a group label naming a fund governs the rows below",
    ),
    pytest.param(
        "2017-2021年城镇职工参加基本医疗保险人员情况\n单位:人\n(person) |\n项 目 |\nItem |\n"
        "2020 |\n2021 |\n|\n|\n城镇职工参加医疗保险人数 |\nNumber of Contributors of Urban Staff and Workers |\n"
        "1085375 |\n1148343 |\n在职职工人数 |\nNumber of Staff and Workers Contributors |\n748000 |\n790000 |\n",
        2021,
        {
            (2020, "employee", "insured", "total", "actual", 1085375),
            (2021, "employee", "insured", "total", "actual", 1148343),
            (2021, "employee", "insured", "active", "actual", 790000),
        },
        id="a bilingual yearbook table without its English cells",
    ),
    pytest.param(
        "2025年1-3月某县基本医疗保险和生育保险主要指标\n指标名称 单位 指标数据\n一、参保人数 714385\n"
        "1.职工基本医疗保险(含生育保险) 39412\n2.城乡居民基本医疗保险 674973\n"
        "二、统筹基金收入 万元 22073.01\n1.职工基本医疗保险(含生育保险) 万元 3295.86\n",
        2025,
        {
            (2025, "all", "insured", "total", "partial", 714385),
            (2025, "resident", "insured", "total", "partial", 674973),
            (2025, "employee", "income", "pooled", "partial", 32958600),
        },
        id="single spaces between cells",
    ),
]


@pytest.mark.parametrize(("text", "year", "expected"), SHAPES)
def test_a_table_shape_gives_its_figures(extractor, text, year, expected):
    assert expected <= _read(extractor, text, year)


def test_a_row_naming_nothing_under_a_total_row_is_no_second_total(extractor):
    text = (
        "2021年城镇职工参加基本医疗保险人员情况\n"
        "| 项目 | 2020 | 2021 |\n"
        "| 城镇职工参加医疗保险人数 | 1085375 | 1148343 |\n"
        "| 实施统帐结合 | 1047492 | 1108598 |\n"
    )
    facts = _read(extractor, text, 2021)
    assert (2021, "employee", "insured", "total", "actual", 1148343) in facts
    assert not any(f[-1] in (1047492, 1108598) for f in facts)
