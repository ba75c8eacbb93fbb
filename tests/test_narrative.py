"""基金运行分析 (dashboard/core/narrative.py, narrative_files.py): every number of the text parsed
back out of it and compared with the facts it cites (recomputed here, in the unit shown); no
sentence for missing data; the Word file and the printable page; the overview section and the deck.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import date

import pytest
from conftest import constructed_db, start_app, texts
from docx import Document
from docx.oxml.ns import qn

from dashboard.core import database, narrative, narrative_files
from dashboard.core.settings import settings

FUNDS = ("employee", "resident", "maternity", "critical_illness", "assistance")
UNITS = {"亿元": 1e8, "万元": 1e4, "%": 1, "个月": 1, "个": 1, "处": 1}
NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)(亿元|万元|%|个月|个|处)")
NEGATIVE_WORDS = ("下降", "减少", "扩大", "收不抵支")
POSITIVE_WORDS = ("增长", "增加", "收窄")


def fact(metric: str, value: float, quote: str, **fields) -> dict:
    return {"metric": metric, "value": value, "quote": quote, **fields}


# 道县: 居民医保 two years (balance computed), 职工医保 in deficit both years (balance stated),
# 医疗救助 only an income, 生育保险 only insured people (no money: no sentence); budgets of the
# resident fund (one outside the band); a figure waiting for review; a check error.
REPORTS = {
    "道县2023年医保工作报告": [
        fact("income", 5.0e8, "2023年居民医保基金收入50000万元", year=2023),
        fact("expenditure", 4.6e8, "2023年居民医保基金支出46000万元", year=2023),
        fact("cumulative_balance", 2.0e8, "2023年末累计结余20000万元", year=2023),
        fact("balance", -0.05e8, "2023年职工医保当期结余-500万元", year=2023, fund="employee"),
    ],
    "道县2024年医保工作报告": [
        fact("income", 5.26e8, "居民医保基金收入52600万元"),
        fact("expenditure", 4.97e8, "居民医保基金支出49700万元"),
        fact("cumulative_balance", 2.29e8, "年末累计结余22900万元"),
        fact("income", 1.2e8, "职工医保基金收入12000万元", fund="employee"),
        fact("expenditure", 1.3e8, "职工医保基金支出13000万元", fund="employee"),
        fact("balance", -0.1e8, "职工医保当期结余-1000万元", fund="employee"),
        fact("cumulative_balance", 1.0e8, "职工医保累计结余10000万元", fund="employee"),
        fact("income", 3.0e7, "医疗救助资金3000万元", fund="assistance"),
        fact("insured", 12000, "生育保险参保12000人", fund="maternity"),
        fact("income", 5.0e8, "居民医保预算收入50000万元", basis="budget"),
        fact("expenditure", 4.5e8, "居民医保预算支出45000万元", basis="budget"),
        fact(
            "visits",
            91000,
            "享受待遇9.1万人次",
            confidence="review",
            confidence_reasons=("unit_from_header",),
        ),
    ],
}
CHECKS = {
    "道县2024年医保工作报告": [
        {
            "check_id": "balance_identity",
            "severity": "error",
            "message": "收入、支出与结余不符",
            "region_code": "431124",
            "year": 2024,
            "fund": "employee",
            "metric": "balance",
            "fact_ids": (),
            "quote": "职工医保当期结余-1000万元",
        }
    ]
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return constructed_db(tmp_path_factory.mktemp("narrative") / "n.duckdb", REPORTS, CHECKS)


@pytest.fixture(scope="module")
def dcon(built):
    connection = database.open_database(str(built))
    yield connection
    connection.close()


def run_on(connection):
    return functools.partial(database.run_query, connection)


@pytest.fixture(scope="module")
def text(dcon) -> narrative.Narrative:
    return narrative.build(run_on(dcon), "431124", 2024, FUNDS, "actual")


# ---------------------------------------------------------------------------------------
# every number equals what its facts give


def evaluate(figure: narrative.Figure, values: dict[str, float]) -> float:
    """The figure's value recomputed from the database's values of the facts it cites."""
    if figure.formula == "count":  # figures waiting, checks failed: one operand each
        return len(figure.operands)
    ops = [sum(t.sign * values[t.fact_id] for t in operand) for operand in figure.operands]
    match figure.formula:
        case "amount":
            return ops[0]
        case "growth":
            return 100 * (ops[0] / ops[1] - 1)
        case "change":
            return ops[0] - ops[1]
        case "percent":
            return 100 * ops[0] / ops[1]
        case "months":
            return ops[0] / (ops[1] / 12)
    raise AssertionError(figure.formula)


def assert_numbers_are_their_facts(connection, text: narrative.Narrative) -> int:
    """Parse every number (with its unit) out of each sentence; each must be one of the sentence's
    figures in order and equal, in the unit shown, what its cited facts give; a number shown
    without its sign must follow the word that says it.  Returns how many were checked."""
    ids = [i for s in text.sentences for f in s.figures if f.formula != "count" for i in f.fact_ids]
    rows = database.run_query(connection, "facts_by_id", fact_ids=ids)
    values = dict(zip(rows["fact_id"], rows["value"], strict=True))
    checked = 0
    for sentence in text.sentences:
        body = re.sub(r"\d{4}年", "", sentence.text)  # years are no figures
        found = list(NUMBER.finditer(body))
        assert len(found) == len(sentence.figures), (sentence.text, [f.text for f in sentence.figures])
        for match, figure in zip(found, sentence.figures, strict=True):
            shown, unit = float(match[1]), match[2]
            assert match[0] == figure.text
            expected = evaluate(figure, values) / UNITS[unit]
            decimals = len(match[1].partition(".")[2])
            if figure.unsigned:
                assert shown >= 0
                before = body[: match.start()]
                words = NEGATIVE_WORDS if expected < 0 else POSITIVE_WORDS
                assert before.endswith(words), (sentence.text, figure.text, expected)
                expected = abs(expected)
            assert abs(shown - expected) <= 0.5 * 10**-decimals + 1e-9, (sentence.text, figure.text, expected)
            checked += 1
    return checked


def test_every_number_is_its_facts(dcon, text):
    assert assert_numbers_are_their_facts(dcon, text) >= 25


def test_the_counts_are_the_queue_and_the_checks(dcon, text):
    waiting, errors = text.sentences[-1].figures
    queue = database.run_query(
        dcon, "awaiting_review", regions=["431124"], funds=list(FUNDS), first_year=2024, last_year=2024
    )
    assert waiting.text == f"{queue.height}个" and waiting.fact_ids == tuple(queue["fact_id"])
    checks = database.run_query(dcon, "checks", regions=["431124"], first_year=2024, last_year=2024)
    assert errors.text == f"{(checks['severity'] == 'error').sum()}处"


def test_the_text_reads_as_a_bureau_writes(text):
    sentences = [s.text for s in text.sentences]
    assert text.title == "道县2024年医保基金运行分析"
    assert sentences[0] == (
        "2024年，全县职工基本医疗保险基金收入1.20亿元；支出1.30亿元；当期收不抵支0.10亿元，结余率-8.3%，"
        "缺口比上年扩大0.05亿元；累计结余1.00亿元，可支付9.2个月，处于偏高区间。"
    )
    assert sentences[1] == (
        "城乡居民基本医疗保险基金收入5.26亿元，同比增长5.2%；支出4.97亿元，同比增长8.0%；"
        "当期结余0.29亿元，结余率5.5%，比上年减少0.11亿元；累计结余2.29亿元，比上年末增加0.29亿元，"
        "可支付5.5个月，处于偏低区间。"
    )
    assert sentences[2] == "医疗救助基金收入3000.00万元。"  # an income and nothing else
    assert sentences[3] == "需关注：职工医保当期收不抵支、累计结余偏高；居民医保累计结余偏低。"
    assert sentences[4].startswith("居民医保预算执行：")
    assert (
        sentences[5]
        == "本年度另有1个数据待核查，未计入以上分析；报告数值核对发现1处错误，相关数据请谨慎使用。"
    )
    assert len(sentences) == 6
    assert "未披露" not in text.text and "生育" not in text.text


def test_budget_sentence(text):
    (sentence,) = [s for s in text.sentences if s.topic == "budget"]
    assert sentence.text == (
        "居民医保预算执行：基金收入预算5.00亿元，实际5.26亿元，执行率105.2%；"
        "基金支出预算4.50亿元，实际4.97亿元，执行率110.4%，超出预算。"
    )


def test_each_number_carries_its_quotes(text):
    income = text.sentences[1].figures[0]
    assert income.text == "5.26亿元" and income.formula == "amount"
    assert [e.quote for e in income.evidence] == ["居民医保基金收入52600万元"]
    assert income.evidence[0].report.endswith("道县2024年医保工作报告")
    growth = text.sentences[1].figures[1]
    assert {e.quote for e in growth.evidence} == {
        "居民医保基金收入52600万元",
        "2023年居民医保基金收入50000万元",
    }
    balance = text.sentences[1].figures[4]  # computed: income − expenditure
    assert [t.sign for t in balance.operands[0]] == [1, -1]
    waiting = text.sentences[5].figures[0]
    assert waiting.evidence[0].quote == "享受待遇9.1万人次" and "单位来自表头" in waiting.evidence[0].what


def test_every_number_of_the_bundled_reports_is_its_facts(vouched_con):
    run = run_on(vouched_con)
    checked = 0
    for region, year in (("431124", 2024), ("621026", 2019), ("431124", 2023)):
        text = narrative.build(run, region, year, FUNDS, "actual")
        checked += assert_numbers_are_their_facts(vouched_con, text)
    assert checked >= 30


def test_bundled_daoxian_2024(vouched_con):
    text = narrative.build(run_on(vouched_con), "431124", 2024, FUNDS, "actual")
    first = text.sentences[0].text
    # 本年基金收入合计14794.43万元, 实际补偿支出15582.05万元, 当年基金结余-787.62万元
    assert first.startswith("2024年，全县职工基本医疗保险基金收入1.48亿元，同比下降3.4%；支出1.56亿元")
    assert "当期收不抵支0.08亿元" in first
    assert any(s.topic == "budget" for s in text.sentences)


# ---------------------------------------------------------------------------------------
# nothing written without its data


def only(tmp_path, figures: list[dict], name: str = "d") -> narrative.Narrative:
    db = constructed_db(tmp_path / f"{name}.duckdb", {"道县2024年报告": figures})
    connection = database.open_database(str(db))
    try:
        return narrative.build(run_on(connection), "431124", 2024, FUNDS, "actual")
    finally:
        connection.close()


def test_a_fund_with_only_income_gets_an_income_sentence(tmp_path):
    text = only(tmp_path, [fact("income", 6.24e8, "基金收入62400万元")])
    assert [s.text for s in text.sentences] == ["2024年，全县城乡居民基本医疗保险基金收入6.24亿元。"]


def test_no_last_year_no_change(tmp_path):
    text = only(
        tmp_path,
        [
            fact("income", 6e8, "收入6亿元"),
            fact("expenditure", 5e8, "支出5亿元"),
            fact("cumulative_balance", 3e8, "累计3亿元"),
        ],
    )
    assert "同比" not in text.text and "上年" not in text.text
    assert "预算" not in text.text and "待核查" not in text.text and "错误" not in text.text
    assert [s.topic for s in text.sentences] == ["resident", "risk"]
    assert text.sentences[1].text == "居民医保当期收大于支，累计结余处于合理区间。"  # 7.2 months


def test_without_money_figures_nothing_is_written(tmp_path):
    text = only(tmp_path, [fact("insured", 592322, "参保592322人")])
    assert text.sentences == ()


def test_expenditure_without_income_has_no_rate(tmp_path):
    text = only(tmp_path, [fact("expenditure", 2.0e7, "救助支出2000万元", fund="assistance")])
    assert [s.text for s in text.sentences] == ["2024年，全县医疗救助基金支出2000.00万元。"]


def test_a_deficit_after_a_surplus(tmp_path):
    text = only(
        tmp_path,
        [
            fact("balance", 3e6, "2023年当期结余300万元", year=2023),
            fact("balance", -2e6, "当期结余-200万元"),
        ],
    )
    assert (
        text.sentences[0].text
        == "2024年，全县城乡居民基本医疗保险基金当期收不抵支200.00万元，上年当期有结余。"
    )
    assert text.sentences[1].text == "需关注：居民医保当期收不抵支。"


def test_the_budget_view_says_so(dcon):
    text = narrative.build(run_on(dcon), "431124", 2024, FUNDS, "budget")
    assert text.sentences[0].text.startswith("按预算口径，2024年，全县城乡居民基本医疗保险基金收入5.00亿元")


# ---------------------------------------------------------------------------------------
# Word and the printable page


def test_docx_holds_the_text_in_east_asian_fonts(text):
    data = narrative_files.docx_bytes(text, date(2025, 1, 2))
    document = Document(io.BytesIO(data))
    body = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == "道县2024年医保基金运行分析"
    assert "生成日期：2025年01月02日" in body
    for sentence in text.sentences:
        assert sentence.text in body
    assert "资料来源" in body and "道县2024年医保工作报告" in body
    assert "「居民医保基金收入52600万元」" in body  # the notes quote the facts
    runs = list(document.element.body.iter(qn("w:r")))
    assert len(runs) > 30
    for run in runs:
        fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) in ("宋体", "微软雅黑"), run.xpath("string(.)")


HOSTILE_REPORT = "<script>alert(1)</script>报告"
HOSTILE_QUOTE = '基金收入<img src=x onerror="alert(2)">6亿元'


@pytest.fixture
def hostile(tmp_path) -> narrative.Narrative:
    db = constructed_db(tmp_path / "h.duckdb", {HOSTILE_REPORT: [fact("income", 6e8, HOSTILE_QUOTE)]})
    connection = database.open_database(str(db))
    try:
        return narrative.build(run_on(connection), "431124", 2024, FUNDS, "actual")
    finally:
        connection.close()


def test_html_page_escapes_user_text(hostile):
    page = narrative_files.page_html(hostile, date(2025, 1, 2))
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page and 'charset="utf-8"' in page
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;报告" in page
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
    assert "2024年，全县城乡居民基本医疗保险基金收入" in page and "生成日期：2025年01月02日" in page
    screen = narrative_files.screen_html(hostile)
    assert "<script" not in screen and "<img" not in screen and "&lt;img" in screen


def test_html_page_notes_every_number(text):
    page = narrative_files.page_html(text, date(2025, 1, 2))
    notes = re.findall(r'<li id="note-(\d+)">', page)
    assert notes == [str(i) for i in range(1, len(notes) + 1)]
    assert len(notes) == sum(1 for s in text.sentences if s.figures)
    for sentence in text.sentences:
        for figure in sentence.figures:
            assert f"<b>{figure.text}</b>" in page


# ---------------------------------------------------------------------------------------
# the overview and the deck


def test_overview_shows_the_analysis(built, entry, monkeypatch):
    monkeypatch.setenv("MEDFUND_DB", str(built))
    at = start_app(entry, None, region="431124", fund=list(FUNDS))
    assert "基金运行分析" in [s.value for s in at.subheader]
    html = "\n".join(h.proto.body for h in at.get("html"))
    assert "城乡居民基本医疗保险基金收入<span" in html
    assert "<details>" in html and "居民医保基金收入52600万元" in html
    labels = {b.label for b in at.get("download_button")}
    assert {"下载 Word", "下载网页（可打印）"} <= labels


def test_projector_overview_leaves_the_analysis_out(built, entry, monkeypatch):
    monkeypatch.setenv("MEDFUND_DB", str(built))
    at = start_app(entry, None, region="431124", fund=list(FUNDS), present="1")
    assert "基金运行分析" not in texts(at)


def test_deck_has_the_analysis_and_budget_slides(dcon):
    from pptx import Presentation

    from dashboard.core.deck import DeckRequest, deck_bytes

    prs = Presentation(io.BytesIO(deck_bytes(dcon, DeckRequest(regions=("431124",), funds=FUNDS))))
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert "道县 · 基金运行分析（2024年）" in titles and "预算执行" in titles
    slide = prs.slides[titles.index("道县 · 基金运行分析（2024年）")]
    shown = "".join(
        p.text for shape in slide.shapes if shape.has_text_frame for p in shape.text_frame.paragraphs
    )
    text = narrative.build(run_on(dcon), "431124", 2024, FUNDS, "actual")
    for sentence in text.sentences:
        assert sentence.text in shown
    table = next(s.table for s in prs.slides[titles.index("预算执行")].shapes if s.has_table)
    cells = [[c.text_frame.text for c in row.cells] for row in table.rows]
    # one unit for the table, from its largest amount (5.26 亿元): the gap in it too
    assert cells[0][4:8] == ["预算数（亿元）", "实际数（亿元）", "执行率", "差额（亿元）"]
    assert cells[1] == ["道县", "2024年", "居民医保", "基金收入", "5.00", "5.26", "105.2%", "+0.26", "正常"]
    assert cells[2][6:] == ["110.4%", "+0.47", settings().budget_execution.above.label]


def test_deck_without_budgets_has_no_budget_slide(vouched_con):
    from pptx import Presentation

    from dashboard.core.deck import DeckRequest, deck_bytes

    prs = Presentation(io.BytesIO(deck_bytes(vouched_con, DeckRequest(regions=("621026",)))))
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert "预算执行" not in titles
    assert "宁县 · 基金运行分析（2019年）" in titles
