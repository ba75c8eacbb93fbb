"""Stewards' corrections in the database: stored apart, applied by the views, kept on re-ingest."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from pipelines import corrections, store
from pipelines.corrections import CorrectionError
from pipelines.ingest import ingest
from pipelines.store import ReportOverride


def one(writable_con, sql, *params):
    rows = writable_con.execute(sql, list(params)).fetchall()
    return rows[0] if rows else None


def income_fact(writable_con):
    """An extracted income total that the indicator views chose."""
    return one(
        writable_con,
        "SELECT f.fact_id, f.value FROM fund_facts f JOIN indicator_values v USING (fact_id) "
        "WHERE f.metric = 'income' AND f.item = 'total' AND f.basis = 'actual' ORDER BY f.fact_id LIMIT 1",
    )


def reingest(writable_con):
    assert all(o.ok for o in ingest(writable_con, list(SEEDS)))


def test_a_correction_changes_the_views_but_not_the_extracted_fact(writable_con):
    fact_id, value = income_fact(writable_con)
    corrections.correct(writable_con, fact_id, {"value": value + 10_000}, "原文为万元，识别有误", "alice")
    assert one(writable_con, "SELECT value FROM fact WHERE fact_id = ?", fact_id) == (value,)
    assert one(writable_con, "SELECT value, origin FROM fund_facts WHERE fact_id = ?", fact_id) == (
        value + 10_000,
        "corrected",
    )
    assert one(writable_con, "SELECT value FROM indicator_values WHERE fact_id = ?", fact_id) == (
        value + 10_000,
    )
    row = one(writable_con, "SELECT author, reason, action, created_at IS NOT NULL FROM correction")
    assert row == ("alice", "原文为万元，识别有误", "correct", True)


def test_a_correction_can_move_a_fact_to_another_fund_and_year(writable_con):
    fact_id, _ = income_fact(writable_con)
    corrections.correct(
        writable_con, fact_id, {"fund": "maternity", "year": 2001, "basis": "budget"}, "险种错配", "bob"
    )
    assert one(writable_con, "SELECT fund, year, basis FROM fund_facts WHERE fact_id = ?", fact_id) == (
        "maternity",
        2001,
        "budget",
    )
    assert (
        one(
            writable_con, "SELECT count(*) FROM indicators_by_basis WHERE year = 2001 AND fund = 'maternity'"
        )[0]
        > 0
    )


def test_a_rejected_fact_leaves_every_view_and_can_be_restored(writable_con):
    fact_id, value = income_fact(writable_con)
    corrections.reject(writable_con, fact_id, "不是基金收入", "alice")
    assert one(writable_con, "SELECT count(*) FROM fund_facts WHERE fact_id = ?", fact_id) == (0,)
    assert one(writable_con, "SELECT count(*) FROM indicator_values WHERE fact_id = ?", fact_id) == (0,)
    with pytest.raises(CorrectionError, match="已经被否决"):
        corrections.reject(writable_con, fact_id, "再次否决", "alice")
    corrections.restore(writable_con, fact_id, "否决有误", "bob")
    assert one(writable_con, "SELECT value, origin FROM fund_facts WHERE fact_id = ?", fact_id) == (
        value,
        "extracted",
    )
    history = corrections.history(writable_con, fact_id)
    assert history["action"].to_list() == ["reject", "restore"]
    assert history["in_force"].to_list() == [False, True]


def test_the_latest_correction_decides(writable_con):
    fact_id, value = income_fact(writable_con)
    corrections.correct(writable_con, fact_id, {"value": value * 2}, "第一次", "alice")
    corrections.correct(writable_con, fact_id, {"value": value * 3}, "第二次", "bob")
    assert one(writable_con, "SELECT value FROM fund_facts WHERE fact_id = ?", fact_id) == (value * 3,)
    assert corrections.history(writable_con, fact_id)["author"].to_list() == ["alice", "bob"]


def test_corrections_survive_a_reingest_of_the_document(writable_con):
    fact_id, value = income_fact(writable_con)
    corrections.correct(writable_con, fact_id, {"value": value + 1}, "更正", "alice")
    other, _ = one(
        writable_con,
        "SELECT fact_id, value FROM fund_facts WHERE metric = 'expenditure' AND item = 'total' ORDER BY fact_id LIMIT 1",
    )
    corrections.reject(writable_con, other, "否决", "alice")
    reingest(writable_con)
    assert one(writable_con, "SELECT value, origin FROM fund_facts WHERE fact_id = ?", fact_id) == (
        value + 1,
        "corrected",
    )
    assert one(writable_con, "SELECT count(*) FROM fund_facts WHERE fact_id = ?", other) == (0,)
    assert one(writable_con, "SELECT count(*) FROM correction_log WHERE current_fact_id IS NULL") == (0,)


def test_a_correction_finds_its_fact_when_ids_shift(writable_con):
    """Ids are positional; the anchor (document, quote span, what was read) is what matters."""
    fact_id, value = income_fact(writable_con)
    corrections.correct(writable_con, fact_id, {"value": value + 1}, "更正", "alice")
    writable_con.execute("UPDATE fact SET fact_id = fact_id || '-new'")
    assert one(writable_con, "SELECT value, origin FROM fund_facts WHERE fact_id = ?", fact_id + "-new") == (
        value + 1,
        "corrected",
    )


def test_a_correction_whose_figure_is_no_longer_read_is_kept_and_shown_unattached(writable_con):
    fact_id, value = income_fact(writable_con)
    corrections.correct(writable_con, fact_id, {"value": value + 1}, "更正", "alice")
    writable_con.execute("DELETE FROM fact WHERE fact_id = ?", [fact_id])
    assert one(writable_con, "SELECT current_fact_id, action FROM correction_log") == (None, "correct")


def test_adding_a_missed_figure_quotes_the_text(writable_con):
    doc_id, text, code = one(
        writable_con, "SELECT doc_id, text, region_code FROM report WHERE region_code = '431124'"
    )
    quote = text[200:230]
    figure = {
        "year": 2019,
        "fund": "resident",
        "metric": "visits",
        "item": "total",
        "basis": "actual",
        "value": 1234,
    }
    added = corrections.add(writable_con, doc_id, quote, figure, "表格中的数未识别", "alice")
    row = one(
        writable_con,
        "SELECT region_code, year, metric, value, quote, quote_start, origin FROM fund_facts WHERE fact_id = ?",
        added.fact_id,
    )
    assert row == (code, 2019, "visits", 1234.0, quote, 200, "added")
    assert text[row[5] : row[5] + len(quote)] == quote
    with pytest.raises(CorrectionError, match="已经在库中"):
        corrections.add(writable_con, doc_id, quote, figure, "重复补录", "alice")
    reingest(writable_con)
    assert one(writable_con, "SELECT value FROM fund_facts WHERE fact_id = ?", added.fact_id) == (1234.0,)


@pytest.mark.parametrize(
    ("quote", "figure", "message"),
    [
        ("这句话不在报告里", {}, "找不到"),
        (None, {"value": -5.0, "metric": "income"}, "超出可能范围"),
        (None, {"value": None}, "请填写数值"),
        (None, {"fund": "pension"}, "数据无效"),
    ],
)
def test_an_invalid_addition_is_refused_with_a_reason(writable_con, quote, figure, message):
    doc_id, text = one(writable_con, "SELECT doc_id, text FROM report LIMIT 1")
    base = {
        "year": 2019,
        "fund": "resident",
        "metric": "visits",
        "item": "total",
        "basis": "actual",
        "value": 1,
    }
    with pytest.raises(CorrectionError, match=message):
        corrections.add(writable_con, doc_id, quote or text[10:30], base | figure, "原因", "alice")
    assert one(writable_con, "SELECT count(*) FROM correction") == (0,)


def test_a_correction_needs_a_change_and_valid_fields(writable_con):
    fact_id, value = income_fact(writable_con)
    with pytest.raises(CorrectionError, match="没有任何改动"):
        corrections.correct(writable_con, fact_id, {"value": value}, "原因", "alice")
    with pytest.raises(CorrectionError, match="不能更正"):
        corrections.correct(writable_con, fact_id, {"quote": "x"}, "原因", "alice")
    with pytest.raises(CorrectionError, match="找不到数据"):
        corrections.correct(writable_con, "no-such-fact", {"value": 1}, "原因", "alice")
    with pytest.raises(CorrectionError, match="没有生效中的更正"):
        corrections.restore(writable_con, fact_id, "原因", "alice")


def test_removing_a_report_takes_its_facts_and_keeps_a_record(writable_con):
    doc_id, n = one(writable_con, "SELECT doc_id, n_facts FROM report ORDER BY doc_id LIMIT 1")
    before = one(writable_con, "SELECT count(*) FROM fund_facts")[0]
    assert one(writable_con, "SELECT count(*) FROM dropped WHERE doc_id = ?", doc_id)[0] > 0
    assert store.remove_document(writable_con, doc_id, "旧版本", "alice") == n
    for table in store.DOCUMENT_TABLES:
        assert one(writable_con, f"SELECT count(*) FROM {table} WHERE doc_id = ?", doc_id) == (0,)
    assert one(writable_con, "SELECT count(*) FROM fund_facts")[0] == before - n
    assert one(writable_con, "SELECT author, reason, n_facts FROM report_removal") == ("alice", "旧版本", n)
    with pytest.raises(KeyError):
        store.remove_document(writable_con, doc_id, "再次", "alice")


def test_a_stewards_region_and_year_apply_to_every_later_ingest(writable_con, tmp_path):
    report = tmp_path / "无地区报告.txt"
    report.write_text(
        "2023年基金运行情况\n全年城乡居民医保基金收入12345.6万元，基金支出11000万元，当期结余1345.6万元。\n",
        encoding="utf-8",
    )
    [outcome] = ingest(writable_con, [report])
    assert one(writable_con, "SELECT region_code FROM report WHERE doc_id = ?", outcome.doc_id) == (None,)
    assert one(writable_con, "SELECT count(*) FROM fact WHERE doc_id = ?", outcome.doc_id) == (0,)
    override = ReportOverride(region_code="431124", report_year=2023)
    ingest(writable_con, [report], overrides={outcome.doc_id: override})
    store.set_override(writable_con, outcome.doc_id, override, "alice")
    ingest(writable_con, [report])  # a later re-ingest, e.g. from the command line
    assert one(
        writable_con, "SELECT region_code, region_confidence FROM report WHERE doc_id = ?", outcome.doc_id
    ) == (
        "431124",
        "steward",
    )
    values = writable_con.execute(
        "SELECT metric, value FROM fund_facts WHERE doc_id = ? ORDER BY metric", [outcome.doc_id]
    ).fetchall()
    assert ("income", 123456000.0) in values
    assert one(
        writable_con, "SELECT DISTINCT region_name FROM fund_facts WHERE doc_id = ?", outcome.doc_id
    ) == ("道县",)


def test_a_figure_of_part_of_a_year_is_added_and_corrected_with_its_period(writable_con):
    doc_id, text = one(writable_con, "SELECT doc_id, text FROM report WHERE region_code = '431124'")
    figure = {"year": 2024, "fund": "resident", "metric": "income", "item": "total", "basis": "partial"}
    figure["value"] = 5_000_000.0
    with pytest.raises(CorrectionError, match="须写明期间"):
        corrections.add(writable_con, doc_id, text[300:330], figure, "季度数未识别", "alice")
    added = corrections.add(
        writable_con, doc_id, text[300:330], figure | {"period": "1-6月"}, "季度数", "alice"
    )
    period_of = "SELECT basis, period FROM fund_facts WHERE fact_id = ?"
    assert one(writable_con, period_of, added.fact_id) == ("partial", "1-6月")

    corrections.correct(writable_con, added.fact_id, {"period": "1-9月"}, "期间应为前三季度", "bob")
    assert one(writable_con, period_of, added.fact_id) == ("partial", "1-9月")
    corrections.correct(writable_con, added.fact_id, {"basis": "actual"}, "实为全年数", "bob")
    assert one(writable_con, period_of, added.fact_id) == ("actual", None)  # a whole year has no period
    with pytest.raises(CorrectionError, match="须写明期间"):
        corrections.correct(writable_con, added.fact_id, {"basis": "partial"}, "又改回", "bob")
    whole = figure | {"basis": "actual", "period": "1-6月"}  # a period left in a form for a whole year
    added = corrections.add(writable_con, doc_id, text[400:430], whole, "全年数", "alice")
    assert one(writable_con, period_of, added.fact_id) == ("actual", None)
