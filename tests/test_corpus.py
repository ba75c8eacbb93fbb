"""The real-text corpus (tests/corpus/): the labelling is checked on its own, without the
extractor — codes, units, quotes verbatim, each quote's number scaled by its unit equal to the
value, sidecars complete, no text mostly the same as another."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import corpus
from pipelines.evaluate import close

CORPUS = Path(__file__).resolve().parent / "corpus"


def test_the_corpus_is_labelled_soundly():
    found = corpus.batches(CORPUS)
    assert len(found) >= 6
    assert sum(len(b.texts) for b in found) >= 100
    assert sum(len(b.gold) for b in found) >= 500
    problems = corpus.validate(CORPUS)
    assert not problems, "\n".join(map(str, problems[:40]))


@pytest.mark.parametrize(
    ("quote", "value"),
    [
        ("基金收入296841万元", 2_968_410_000),
        ("总收入21090.11亿元", 2_109_011_000_000),
        ("参加基本医疗保险250.09万人", 2_500_900),
        ("27,362.00? |", 273_620_000),  # a table cell, unit in the header (万元)
        ("征缴收入293,628.49万元", 2_936_284_900),
        ("参保率99%", 99),
        ("累计结余可支付12.5个月", 12.5),
        ("享受待遇48.23万人次", 482_300),
        ("基金支出１２３４万元", 12_340_000),
    ],
)
def test_a_quote_number_scaled_by_its_unit(quote, value):
    assert any(close(value, v) for v in corpus.quote_values(quote))


def test_a_quote_without_the_number_is_caught():
    texts = {"a.txt": "2021年全市基本医疗保险基金收入296841万元。"}
    row = dict.fromkeys(corpus.GOLD_COLUMNS, "")
    row |= {
        "file": "a.txt",
        "region_code": "530500",
        "region_level": "city",
        "year": "2021",
        "fund": "all",
        "metric": "income",
        "item": "total",
        "basis": "actual",
        "unit": "yuan",
        "derived": "false",
        "quote": "基本医疗保险基金收入296841万元",
    }
    assert corpus.validate_gold_row(row | {"value": "2968410000"}, texts, {"530500"}) == []
    wrong = corpus.validate_gold_row(row | {"value": "296841"}, texts, {"530500"})
    assert any("scaled by its unit" in p for p in wrong)
    absent = corpus.validate_gold_row(
        row | {"value": "2968410000", "quote": "收入296841亿元"}, texts, {"530500"}
    )
    assert any("does not occur" in p for p in absent)
    bad_codes = corpus.validate_gold_row(
        row | {"value": "2968410000", "fund": "pension", "unit": "person"}, texts, {"530500"}
    )
    assert any("fund" in p for p in bad_codes) and any("unit" in p for p in bad_codes)


def test_near_duplicates_are_found():
    base = "2018年，我国基本医疗保险基金总收入21090.11亿元，总支出17607.65亿元。" * 3
    texts = {
        "a": base,
        "b": "澎湃新闻 " + base + " 责任编辑",
        "c": "保山市2021年基本医疗保险基金决算情况公开" * 3,
    }
    pairs = corpus.near_duplicates(texts)
    assert [(a, b) for a, b, _ in pairs] == [("a", "b")]
