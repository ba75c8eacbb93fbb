"""Numbers that must never be stored quietly wrong (issue 11), through the real ingest.

* A number no report writes — scientific notation, an amount finer than a cent — and an
  impossible sign (a negative income, expenditure, insured count …; only a balance may be
  negative) end up in ``rejections`` with a Chinese reason, never in ``fact``; a number glued
  to an exponent is never re-read as its tail (1.0E+30万元 as 30万元).
* A fact the magnitude check flags as an error (11777000万元 in a county report) stays in
  ``fund_facts`` with its check but is kept out of ``indicator_values``/``indicators`` until a
  steward confirms it with a correction in force (correct, or restore).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import corrections, store
from pipelines.ingest import ingest
from pipelines.numbers import find_quantities

TITLE = "道县医疗保障局2024年度医保基金运行情况报告\n一、城乡居民基本医疗保险\n"
ORDINARY = "2024年，道县城乡居民基本医疗保险基金支出62217.22万元。\n"


def load(tmp_path: Path, body: str, name: str = "report.txt") -> duckdb.DuckDBPyConnection:
    """A new database holding one 道县 report whose text is ``body`` (after a title)."""
    path = tmp_path / name
    path.write_text(TITLE + ORDINARY + body + "\n", encoding="utf-8")
    con = store.connect(tmp_path / "db.duckdb")
    [outcome] = ingest(con, [path])
    assert outcome.ok, outcome.error
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


HOSTILE = [
    # (sentence, the number as written, what the reason says)
    ("2024年，道县城乡居民基本医疗保险累计结余1.0E+30万元。", "1.0E+30万元", "科学计数法"),
    ("2024年，道县城乡居民基本医疗保险累计结余1e30万元。", "1e30万元", "科学计数法"),
    ("2024年，道县城乡居民基本医疗保险基金收入1.2×10^5万元。", "1.2×10^5万元", "科学计数法"),
    ("2024年，道县城乡居民基本医疗保险基金收入-35000.00万元。", "-35000.00万元", "不可能为负数"),
    ("2024年，道县城乡居民基本医疗保险参保人数-5000人。", "-5000人", "不可能为负数"),
    ("2024年，道县城乡居民基本医疗保险基金收入0.0000001万元。", "0.0000001万元", "精确到分以下"),
    # digits lost to a broken encoding (医保基金收入10128.90亿元 decoded wrongly)
    ("2024年，道县居民医?;鹗杖?0128.90万元，比上年增长4.2%。", "0128.90万元", "缺了开头的位数"),
    ("2024年，道县城乡居民基本医疗保险基金收入?5732万元。", "5732万元", "乱码字符"),
    # read as a number but not as any fund figure: still not silently gone
    ("附注：表中数值1.0E+30万元为系统导出值。", "1.0E+30万元", "科学计数法"),
]


@pytest.mark.parametrize(("sentence", "surface", "why"), HOSTILE, ids=[h[1] for h in HOSTILE])
def test_a_hostile_number_is_rejected_with_its_reason_and_never_stored(tmp_path, sentence, surface, why):
    con = load(tmp_path, sentence)
    try:
        text = rows(con, "SELECT text FROM report")[0][0]
        at = text.index(sentence)
        rejected = rows(
            con,
            "SELECT reason, quote, candidate FROM rejections WHERE quote_end > ? AND quote_start < ?",
            at,
            at + len(sentence),
        )
        assert len(rejected) == 1, rejected
        reason, quote, candidate = rejected[0]
        assert why in reason and surface in quote
        json.loads(candidate)  # stored as valid JSON (1e999万元 has no JSON number)
        # nothing of that sentence is a fact: neither the number nor a piece of it (30万元)
        facts = rows(
            con,
            "SELECT value, quote FROM fact WHERE quote_end > ? AND quote_start < ?",
            at,
            at + len(sentence),
        )
        assert facts == []
        assert rows(con, "SELECT count(*) FROM fact WHERE value IN (300000, 0.001, -350000000)") == [(0,)]
        # the ordinary figure beside it is read as before
        assert rows(con, "SELECT value FROM fund_facts WHERE metric = 'expenditure'") == [(622172200.0,)]
        assert rows(con, "SELECT n_rejections FROM documents") == [(1,)]
    finally:
        con.close()


def test_a_negative_balance_is_still_a_fact(tmp_path):
    con = load(tmp_path, "2024年，道县城乡居民基本医疗保险当年基金结余-787.62万元。")
    try:
        assert rows(con, "SELECT value FROM fact WHERE metric = 'balance'") == [(-7876200.0,)]
        assert rows(con, "SELECT count(*) FROM rejections") == [(0,)]
    finally:
        con.close()


@pytest.mark.parametrize(
    "text",
    ["累计结余1.0E+30万元", "累计结余1E+30万元", "累计结余1e30万元", "合计10^30万元", "1e999999999万元"],
)
def test_a_number_glued_to_an_exponent_is_read_whole_never_as_its_tail(text):
    [q] = find_quantities(text)
    assert text.endswith(q.surface) and q.surface[0].isdigit() and len(q.surface) > len("30万元")
    assert q.problem and "科学计数法" in q.problem
    assert q.value != 300_000


def test_ordinary_amounts_have_no_problem():
    for text in (
        "46334.01万元",
        "3.5亿元",
        "1,234.5万元",
        "-787.62万元",
        "150元/人",
        "0.01元",
        "12.3456万元",
    ):
        [q] = find_quantities(text)
        assert q.problem is None, text


# ---- 2. a magnitude error keeps the fact out of the indicators until a steward confirms it

HUGE = "2024年，道县城乡居民基本医疗保险基金收入11777000万元。"


@pytest.fixture
def held(seeds_db, tmp_path):
    """A copy of the seeds database plus a 道县 report giving its 2024 resident income as 11777000万元."""
    shutil.copyfile(seeds_db, tmp_path / "seeds.duckdb")
    con = store.connect(tmp_path / "seeds.duckdb")
    path = tmp_path / "daoxian_huge.txt"
    path.write_text(TITLE + HUGE + "\n", encoding="utf-8")
    [outcome] = ingest(con, [path])
    assert outcome.ok, outcome.error
    [(fact_id,)] = rows(con, "SELECT fact_id FROM fact WHERE value = 117770000000")
    yield con, fact_id
    con.close()


def indicators(con) -> list[tuple]:
    return rows(con, "SELECT * FROM indicators ORDER BY region_code, year, fund")


def test_a_fact_with_a_magnitude_error_is_held_out_of_the_indicators(held, seeds_db):
    con, fact_id = held
    # still a fact, with its check naming it
    assert rows(con, "SELECT region_code, year, fund, metric FROM fund_facts WHERE fact_id = ?", fact_id) == [
        ("431124", 2024, "resident", "income")
    ]
    checks = rows(
        con,
        "SELECT severity FROM checks WHERE check_id = 'implausible_magnitude' AND list_contains(fact_ids, ?)",
        fact_id,
    )
    assert checks == [("error",)]
    # but no indicator's: 道县's 2024 resident income is the other report's, not 1,177.7 亿
    assert rows(con, "SELECT count(*) FROM indicator_values_by_basis WHERE fact_id = ?", fact_id) == [(0,)]
    assert rows(con, "SELECT count(*) FROM indicator_candidates_in(NULL) WHERE fact_id = ?", fact_id) == [
        (0,)
    ]
    [(income,)] = rows(
        con,
        "SELECT income FROM indicators WHERE region_code = '431124' AND year = 2024 AND fund = 'resident'",
    )
    assert income is not None and income < 2e10
    # every other fund and year is as without that report
    seeds = duckdb.connect(str(seeds_db), read_only=True)
    try:
        assert indicators(con) == indicators(seeds)
    finally:
        seeds.close()


def test_a_stewards_correction_releases_the_held_fact(held):
    con, fact_id = held
    assert rows(con, "SELECT count(*) FROM indicator_values WHERE fact_id = ?", fact_id) == [(0,)]
    corrections.correct(con, fact_id, {"value": 11777000.0}, "原文“万元”应为“元”", "alice")
    assert rows(con, "SELECT value FROM indicator_values WHERE fact_id = ?", fact_id) == [(11777000.0,)]
    [(income,)] = rows(
        con,
        "SELECT income FROM indicators WHERE region_code = '431124' AND year = 2024 AND fund = 'resident'",
    )
    assert income == 11777000.0


def test_a_restore_confirms_the_figure_as_read_and_a_reject_keeps_it_out(held):
    con, fact_id = held
    assert rows(con, "SELECT count(*) FROM indicator_values WHERE fact_id = ?", fact_id) == [(0,)]
    corrections.reject(con, fact_id, "先否决再核实", "alice")
    assert rows(con, "SELECT count(*) FROM fund_facts WHERE fact_id = ?", fact_id) == [(0,)]
    assert rows(con, "SELECT count(*) FROM indicator_values WHERE fact_id = ?", fact_id) == [(0,)]
    corrections.restore(con, fact_id, "核实原文无误，确认", "alice")
    assert rows(con, "SELECT value FROM indicator_values WHERE fact_id = ?", fact_id) == [(117770000000.0,)]


def test_the_hold_survives_a_reingest_and_so_does_the_confirmation(held, tmp_path):
    con, fact_id = held
    path = tmp_path / "daoxian_huge.txt"
    assert all(o.ok for o in ingest(con, [path]))
    assert rows(con, "SELECT count(*) FROM indicator_values WHERE fact_id = ?", fact_id) == [(0,)]
    corrections.correct(con, fact_id, {"value": 11777000.0}, "原文“万元”应为“元”", "alice")
    assert all(o.ok for o in ingest(con, [path]))
    assert rows(con, "SELECT value FROM indicator_values WHERE fact_id = ?", fact_id) == [(11777000.0,)]
