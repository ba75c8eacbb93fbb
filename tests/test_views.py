"""The contract views and the indicator views over a real DuckDB file."""

from __future__ import annotations

import duckdb
import pytest
from conftest import make_fact

from pipelines import store
from pipelines.models import Document, Fact

CONTRACT = [
    "region_code",
    "region_name",
    "region_level",
    "year",
    "fund",
    "metric",
    "item",
    "basis",
    "value",
    "unit",
    "derived",
    "doc_id",
    "quote",
]


def test_contract_views(seeds_db):
    con = duckdb.connect(str(seeds_db), read_only=True)
    cols = [r[0] for r in con.execute("DESCRIBE fund_facts").fetchall()]
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE fund_facts)").fetchall())
    doc_cols = [r[0] for r in con.execute("DESCRIBE documents").fetchall()]
    bad = con.execute(
        "SELECT count(*) FROM fund_facts f JOIN documents d USING (doc_id)"
        " WHERE substring(d.text, f.quote_start + 1, f.quote_end - f.quote_start) <> f.quote"
    ).fetchone()[0]
    con.close()
    assert cols[: len(CONTRACT)] == CONTRACT
    expected = {c: "VARCHAR" for c in CONTRACT} | {"year": "INTEGER", "value": "DOUBLE", "derived": "BOOLEAN"}
    assert {c: types[c] for c in CONTRACT} == expected
    assert {"doc_id", "file_name", "text"} <= set(doc_cols)
    assert bad == 0


def test_frames_match_the_tables(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    for table, schema in store.TABLE_COLUMNS.items():
        assert [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()] == list(schema)
    con.close()


def _doc(doc_id: str, year: int) -> Document:
    return Document(
        doc_id=doc_id * 64,
        file_name=f"{doc_id}.txt",
        source_path=f"/x/{doc_id}.txt",
        text="报告正文",
        reader="txt",
        encoding="utf-8",
        size_bytes=10,
        report_year=year,
        year_evidence="",
        genre="统计公报",
        region_code="421000",
        region_name="荆州市",
        region_level="city",
        region_parent_code="420000",
        region_confidence="high",
        region_evidence=(),
        n_facts=0,
        n_rejections=0,
    )


def _fact(doc: Document, n: int, metric: str, value: float, **fields) -> Fact:
    fields.setdefault("fund", "resident")
    return make_fact(
        metric, value, fact_id=f"{doc.doc_id[:4]}-{n}", doc_id=doc.doc_id, quote="报告", end=2, **fields
    )


@pytest.fixture
def db(tmp_path):
    con = store.connect(tmp_path / "v.duckdb")
    old, new = _doc("a", 2022), _doc("b", 2023)
    store.replace_documents(
        con,
        [
            store.DocumentRows(
                old,
                [
                    _fact(old, 1, "income", 40e8, year=2022),
                    _fact(old, 2, "expenditure", 38e8, year=2022),
                    _fact(old, 3, "income", 45e8, basis="budget"),
                    _fact(old, 4, "cumulative_balance", 20e8, year=2022),
                    _fact(old, 5, "income", 43e8),  # an older report's different actual figure
                ],
                [],
                [],
            )
        ],
        "t",
    )
    store.replace_documents(
        con,
        [
            store.DocumentRows(
                new,
                [
                    _fact(new, 1, "income", 46e8, basis="budget"),
                    _fact(new, 2, "income", 44e8),
                    _fact(new, 3, "expenditure", 42e8),
                    _fact(new, 4, "cumulative_balance", 22e8),
                    _fact(new, 5, "insured", 400000, item="rural"),
                    _fact(new, 6, "insured", 50000, item="urban"),
                    _fact(new, 7, "expenditure", 41e8, derived=True),
                    _fact(new, 8, "income", 41e8, year=2022, derived=True),
                ],
                [],
                [],
            )
        ],
        "t",
    )
    yield con
    con.close()


def test_precedence_actual_over_budget_and_stated_over_derived(db):
    rows = dict(
        db.execute(
            "SELECT metric || '/' || year, value FROM indicator_values WHERE fund = 'resident'"
        ).fetchall()
    )
    assert rows["income/2023"] == 44e8  # actual beats two budgets
    assert rows["expenditure/2023"] == 42e8  # stated beats derived
    assert rows["income/2022"] == 40e8  # stated (older report) beats derived (newer report)


def _chosen(con, metric: str, year: int) -> tuple[float, str]:
    return con.execute(
        "SELECT value, doc_id FROM indicator_values WHERE fund = 'resident' AND metric = ? AND year = ?",
        [metric, year],
    ).fetchone()


def test_a_final_report_beats_a_provisional_one_and_a_precise_figure_a_rounded_one(tmp_path):
    """A 统计公报 revises the 快报 published months before it, whichever is newer or ingested last;
    a figure beats a later report's rounding of it, even a 快报's; among equals, the newer."""
    con = store.connect(tmp_path / "p.duckdb")
    bulletin = _doc("d", 2022).model_copy(update={"standing": "final"})
    express = _doc("e", 2022).model_copy(update={"genre": "统计快报", "standing": "provisional"})
    news = _doc("f", 2023).model_copy(update={"genre": "其他"})
    for doc, facts in [
        (
            bulletin,
            [
                _fact(bulletin, 1, "income", 2079327e6, year=2022),
                _fact(bulletin, 2, "expenditure", 5e8, year=2022),
            ],
        ),
        (
            express,
            [
                _fact(express, 1, "income", 2063718e6, year=2022),
                _fact(express, 2, "expenditure", 6e8, year=2022),
            ],
        ),
        # a year later, news rounds the 快报's income (2.06万亿元) and restates its expenditure
        (news, [_fact(news, 1, "income", 206e10, year=2022), _fact(news, 2, "expenditure", 6e8, year=2022)]),
    ]:
        store.replace_documents(con, [store.DocumentRows(doc, facts, [], [])], "t")
    try:
        assert _chosen(con, "income", 2022) == (2079327e6, bulletin.doc_id)
        assert _chosen(con, "expenditure", 2022) == (5e8, bulletin.doc_id)
        # without the bulletin: the precise 快报 figure over the news rounding it; the newer among equals
        store.remove_document(con, bulletin.doc_id, "test", "test")
        assert _chosen(con, "income", 2022) == (2063718e6, express.doc_id)
        assert _chosen(con, "expenditure", 2022) == (6e8, news.doc_id)
    finally:
        con.close()


def test_sub_populations_sum_to_a_computed_total(db):
    value, computed = db.execute(
        "SELECT value, computed FROM indicator_values WHERE metric = 'insured' AND year = 2023"
    ).fetchone()
    assert value == 450000 and computed


def test_indicators_compute_ratios_and_growth(db):
    row = db.execute(
        "SELECT balance, balance_computed, balance_rate, months_of_reserves, income_growth, income_per_capita,"
        " estimated_metrics FROM indicators WHERE year = 2023 AND fund = 'resident'"
    ).fetchone()
    balance, computed, rate, months, growth, per_capita, estimated = row
    assert balance == pytest.approx(2e8) and computed
    assert rate == pytest.approx(100 * 2 / 44, abs=0.01)
    assert months == pytest.approx(22e8 / (42e8 / 12), abs=0.01)
    assert growth == pytest.approx(10.0)
    assert per_capita == pytest.approx(44e8 / 450000, abs=0.01)
    assert not estimated


def test_agreement_counts(db):
    n_candidates, n_disagree = db.execute(
        "SELECT n_candidates, n_disagree FROM indicator_values WHERE metric = 'income' AND year = 2023"
    ).fetchone()
    assert n_candidates == 4  # two budgets, two actuals
    assert n_disagree == 1  # only the other actual disagrees; budgets are not outcomes


def test_cumulative_roll_forward_across_reports(db):
    doc = _doc("c", 2023)
    store.replace_documents(
        db,
        [
            store.DocumentRows(
                doc, [_fact(doc, 1, "balance", 3e8), _fact(doc, 2, "cumulative_balance", 22e8)], [], []
            )
        ],
        "t",
    )
    # 2022 累计 20亿 (report a) + 2023 当期 3亿 (report c) ≠ 2023 累计 22亿 (report b, the newer)
    rows = db.execute("SELECT year, expected, actual, message, doc_ids FROM indicator_checks").fetchall()
    assert len(rows) == 1
    year, expected, actual, message, doc_ids = rows[0]
    assert (year, expected, actual) == (2023, 23e8, 22e8)
    # the two 2023 reports agree on 22亿, so the check does not depend on which one is chosen
    assert "累计结余" in message and doc_ids[0] == "a" * 64 and doc_ids[1] == "c" * 64


def test_partial_year_facts_are_in_fund_facts_but_never_in_whole_year_indicators(db):
    doc = _doc("e", 2024)
    partial = [
        _fact(doc, 1, "income", 9e8, year=2024, basis="partial", period="1-6月"),
        _fact(doc, 2, "expenditure", 7e8, year=2024, basis="partial", period="1-6月"),
        _fact(doc, 3, "income", 30e8, year=2023, basis="partial", period="1-9月"),  # beside 2023's 44亿
    ]
    store.replace_documents(db, [store.DocumentRows(doc, partial, [], [])], "t")
    periods = db.execute(
        "SELECT period FROM fund_facts WHERE doc_id = ? ORDER BY fact_id", [doc.doc_id]
    ).fetchall()
    assert [p for (p,) in periods] == ["1-6月", "1-6月", "1-9月"]
    assert (
        db.execute(
            "SELECT count(*) FROM fund_facts WHERE basis <> 'partial' AND period IS NOT NULL"
        ).fetchone()[0]
        == 0
    )
    for view in ("indicator_values_by_basis", "indicator_candidates_in(NULL)"):
        held = db.execute(f"SELECT count(*) FROM {view} WHERE doc_id = ?", [doc.doc_id]).fetchone()[0]
        assert held == 0, view
    assert db.execute("SELECT count(*) FROM indicators WHERE year = 2024").fetchone()[0] == 0
    income_2023 = db.execute(
        "SELECT value, n_candidates FROM indicator_values WHERE metric = 'income' AND year = 2023"
    ).fetchone()
    assert income_2023 == (44e8, 4)  # the 1-9月 figure neither wins nor counts as a candidate


def test_only_a_partial_fact_states_a_period():
    assert make_fact("income", 1e8, basis="partial").period is None  # the contract's period is optional
    with pytest.raises(ValueError, match="period"):
        make_fact("income", 1e8, basis="actual", period="1-6月")
    assert make_fact("income", 1e8, basis="partial", period="一季度").period == "一季度"


def test_ratios_are_rounded_once_where_they_are_shown(vouched_db):
    from dashboard.core import database
    from dashboard.core.units import format_change, format_value

    con = database.open_database(str(vouched_db))

    rows = con.execute(
        "SELECT year, months_of_reserves, balance_rate FROM ind "
        "WHERE region_code = '431124' AND fund = 'resident' AND view_basis = 'actual' ORDER BY year"
    ).fetchall()
    (y2023, _, rate_2023), (y2024, months_2024, _) = rows
    assert (y2023, y2024) == (2023, 2024)
    # the views keep every digit (3.9465…, −13.148…): bands and alerts judge these
    assert 3.946 < months_2024 < 3.947 and -13.149 < rate_2023 < -13.148
    # shown once, at one decimal: never 4.0 from a view's 3.95, never −13.2 from −13.15
    assert format_value(months_2024, "months") == "3.9 个月"
    assert format_value(rate_2023, "rate") == "-13.1%"
    assert format_change(months_2024, 3.85, "months") == "+0.1 个月"
