"""Every fact is `high` or `review` with Chinese reasons (pipelines/confidence.py), decided at
ingest from what the extractor recorded, and stored in fund_facts as the contract says."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import make_fact
from fixture_files import write_text

from pipelines import codes, store
from pipelines.confidence import DocumentContext, assess, reasons_for
from pipelines.ingest import ingest
from pipelines.models import CheckResult, Fact

SURE = DocumentContext(region_code="421000", region_confidence="high", year_source="title")


def test_a_plain_reading_is_high():
    fact = make_fact("income", 4.6e9, rules=("metric.income", "grammar.explicit_year"))
    assert reasons_for(fact, SURE) == []
    assert assess([fact], [], SURE)[0].confidence == "high"


@pytest.mark.parametrize(
    ("fact_fields", "doc", "flagged", "reason"),
    [
        ({"rules": ("metric.income",)}, {"year_source": "body"}, (), "year_from_body"),
        ({"rules": ("metric.income",)}, {"year_source": "none"}, (), "year_from_body"),
        ({}, {"region_confidence": "low"}, (), "region_unsure"),
        (
            {"region_code": "421002", "region_name": "沙市区", "region_level": "county"},
            {},
            (),
            "other_region",
        ),
        ({}, {}, ("duplicate_key_conflict",), "conflict"),
        ({"rules": ("grammar.previous_metric", "grammar.explicit_year")}, {}, (), "metric_from_context"),
        ({"metric": "coverage_rate"}, {}, (), "rate_population"),
        ({"rules": ("table.cell", "table.unit_header", "table.year_stated")}, {}, (), "unit_from_header"),
        ({}, {}, ("balance_identity",), "check_failed"),
        ({"rules": ("metric.income", "grammar.explicit_year")}, {"year_source": "body"}, (), "untitled_text"),
        ({"metric": "financing_per_capita"}, {}, (), "financing_standard"),
        ({"fund": "critical_illness"}, {}, (), "critical_illness_scope"),
        (
            {"fund": "resident", "rules": ("fund.resident_rural_scheme", "metric.insured")},
            {},
            (),
            "rural_scheme",
        ),
        (
            {"fund": "department"},
            {"title": "2024年焦作市基本医疗保险基金收支结余情况公开"},
            (),
            "department_in_fund_report",
        ),
    ],
)
def test_each_reason(fact_fields, doc, flagged, reason):
    metric = fact_fields.pop("metric", "income")
    fact = make_fact(
        metric, {"coverage_rate": 99.0, "financing_per_capita": 380.0}.get(metric, 4.6e9), **fact_fields
    )
    context = DocumentContext(**{**SURE.__dict__, **doc})
    assert reasons_for(fact, context, flagged) == [reason]


@pytest.mark.parametrize(
    "title",
    ["2017年度部门整体支出绩效评价报告", "某县医疗保障局2020年部门决算说明", "医疗救助基金单位预算", None],
)
def test_a_department_figure_in_a_department_report_is_no_doubt(title):
    fact = make_fact("expenditure", 9.1e6, fund="department", rules=("metric.department_expenditure",))
    assert reasons_for(fact, DocumentContext("421000", "high", "title", title)) == []


def test_a_count_beside_its_amount_is_no_doubt():
    # 住院92019人次305779600元: measured on the corpus (tests/corpus/, batches 01–15), the pairing
    # marks no class read wrongly more often than the rest (2 facts) — it earns no reason
    fact = make_fact("income", 4.6e9, rules=("grammar.count_amount_pair", "grammar.explicit_year"))
    assert reasons_for(fact, SURE) == []


def test_a_stated_year_is_no_counted_year_but_an_untitled_text_is_still_reviewed():
    for rules in (("grammar.explicit_year",), ("table.cell", "table.year_stated")):
        fact = make_fact("income", 4.6e9, rules=rules)
        assert reasons_for(fact, DocumentContext("421000", "high", "body")) == ["untitled_text"]
        assert reasons_for(fact, DocumentContext("421000", "high", "title")) == []


def test_only_failed_checks_naming_the_fact_count():
    fact, other = make_fact("income", 4.6e9), make_fact("expenditure", 4.4e9)

    def check(severity: str, *facts: Fact) -> CheckResult:
        return CheckResult(
            doc_id="d",
            check_id="balance_identity",
            severity=severity,
            message="m",
            fact_ids=tuple(f.fact_id for f in facts),
        )

    assessed = assess([fact, other], [check("info", fact), check("warning", other)], SURE)
    assert [f.confidence for f in assessed] == ["high", "review"]
    assert assessed[1].confidence_reasons == ("check_failed",)


def test_review_without_reasons_is_refused():
    with pytest.raises(ValueError, match="须写明原因"):
        make_fact("income", 4.6e9, confidence="review")
    with pytest.raises(ValueError, match="须写明原因"):
        make_fact("income", 4.6e9, confidence_reasons=("conflict",))


def test_every_reason_has_a_chinese_name():
    names = codes.names("confidence_reason")
    assert set(names) == set(codes.CONFIDENCE_REASONS) and all(names.values())
    assert names["unit_from_header"] == "单位来自表头"


def test_stored_in_fund_facts_with_chinese_reasons(tmp_path):
    report = write_text(
        tmp_path / "荆州.txt",
        "2023年荆州市医疗保障事业发展统计公报\n"
        "城乡居民基本医疗保险基金收入46.03亿元，基金支出44.86亿元。\n"
        "城乡居民基本医疗保险基金收入47.00亿元。\n",
        "utf-8",
    )
    con = store.connect(tmp_path / "m.duckdb")
    try:
        ingest(con, [report])
        rows = con.execute(
            "SELECT metric, value, confidence, confidence_reasons FROM fund_facts ORDER BY metric, value"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("expenditure", 4_486_000_000.0, "high", None),
        ("income", 4_603_000_000.0, "review", "同一指标两处数值不同"),
        ("income", 4_700_000_000.0, "review", "同一指标两处数值不同"),
    ]


def test_a_stewards_correction_is_high(tmp_path):
    from pipelines import corrections

    report = write_text(
        tmp_path / "荆州.txt",
        "2023年荆州市医疗保障事业发展统计公报\n城乡居民基本医疗保险基金收入46.03亿元。\n城乡居民基本医疗保险基金收入47.00亿元。\n",
        "utf-8",
    )
    path = tmp_path / "m.duckdb"
    con = store.connect(path)
    try:
        ingest(con, [report])
        fact_id = con.execute("SELECT fact_id FROM fund_facts WHERE value = 4.7e9").fetchone()[0]
        corrections.correct(con, fact_id, {"value": 4.61e9}, reason="原文笔误", author="alice")
        rows = con.execute("SELECT value, confidence, origin FROM fund_facts ORDER BY value").fetchall()
    finally:
        con.close()
    assert rows == [(4_603_000_000.0, "review", "extracted"), (4_610_000_000.0, "high", "corrected")]


def test_a_stewards_restore_vouches_for_the_figure(tmp_path):
    from pipelines import corrections

    report = write_text(
        tmp_path / "荆州.txt",
        "2023年荆州市医疗保障事业发展统计公报\n城乡居民基本医疗保险基金收入46.03亿元。\n城乡居民基本医疗保险基金收入47.00亿元。\n",
        "utf-8",
    )
    con = store.connect(tmp_path / "m.duckdb")
    try:
        ingest(con, [report])
        fact_id = con.execute("SELECT fact_id FROM fund_facts WHERE value = 4.7e9").fetchone()[0]
        corrections.reject(con, fact_id, reason="重复", author="alice")
        corrections.restore(con, fact_id, reason="核对原文，数值无误", author="alice")
        row = con.execute(
            "SELECT confidence, confidence_reasons FROM fund_facts WHERE fact_id = ?", [fact_id]
        ).fetchone()
    finally:
        con.close()
    assert row == ("high", None)


# Made by the code of commit 39892d6 (schema version 3, before confidence and the dropped
# table): `python -m pipelines ingest --db schema_v3.duckdb` on two of data/reports.
FIXTURE_V3 = Path(__file__).with_name("fixtures") / "schema_v3.duckdb"


def test_a_file_from_before_confidence_is_upgraded_keeping_its_facts_for_review(tmp_path):
    path = tmp_path / "v3.duckdb"
    shutil.copyfile(FIXTURE_V3, path)
    con = duckdb.connect(str(path), read_only=True)
    before = con.execute("SELECT fact_id, value FROM fact ORDER BY fact_id").fetchall()
    con.close()
    assert len(before) > 20
    con = store.connect(path)
    try:
        version = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        after = con.execute(
            "SELECT fact_id, value, confidence, confidence_reasons FROM fund_facts ORDER BY fact_id"
        ).fetchall()
        dropped = con.execute("SELECT count(*) FROM dropped").fetchone()[0]
    finally:
        con.close()
    assert version == store.latest_version()
    assert [(i, v) for i, v, *_ in after] == before
    assert {(c, r) for *_, c, r in after} == {("review", codes.name("confidence_reason", "not_assessed"))}
    assert dropped == 0  # filled when the reports are ingested again


def test_numbers_set_aside_are_kept_with_their_reason(tmp_path):
    report = write_text(
        tmp_path / "荆州.txt",
        "2023年荆州市医疗保障事业发展统计公报\n"
        "城乡居民基本医疗保险基金收入46.03亿元，参保率超过95%，比上年提高0.5个百分点。\n"
        "力争2024年基金收入达到50亿元以上。\n",
        "utf-8",
    )
    con = store.connect(tmp_path / "m.duckdb")
    try:
        for _ in range(2):  # a re-ingest replaces them, never adds
            ingest(con, [report])
        facts = con.execute("SELECT quote FROM fund_facts").fetchall()
        dropped = con.execute("SELECT reason, quote, value, surface FROM dropped ORDER BY seq").fetchall()
        text = con.execute("SELECT text FROM documents").fetchone()[0]
        spans = con.execute("SELECT quote, quote_start, quote_end FROM dropped").fetchall()
    finally:
        con.close()
    assert facts == [("城乡居民基本医疗保险基金收入46.03亿元",)]
    assert [(reason, surface, value) for reason, _, value, surface in dropped] == [
        ("上下限（超过、逾、近、突破、控制在…以内），不是确切数值（“超过”）", "95%", 95.0),
        ("个百分点是变化量", "0.5个百分点", 0.5),
        ("不是基金收支结余（经费、拨付、平均数、目标或下限等）（“力争”）", "50亿元", 5_000_000_000.0),
    ]
    assert all(quote.endswith(surface) for _, quote, _, surface in dropped)
    assert all(text[start:end] == quote for quote, start, end in spans)
