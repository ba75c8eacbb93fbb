"""The shortcuts taken for speed read exactly what the plain way reads.

Each shortcut (a quick test before trying many patterns, a lookahead on how a match can start, a
pattern rewritten to start with what it consumes) is compared with the plain way on the bundled
reports and on constructed strings: the same matches, the same tokens.  The whole pipeline's
output is guarded by benchmarks/extract_profile.py (a byte-identical dump before and after)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines import normalize as normalize_module
from pipelines import numbers, segment, tables
from pipelines.normalize import normalize
from pipelines.vocab import (
    Token,
    Vocabulary,
    _any_of,
    _first_class,
    _Shape,
    _top_level_alternatives,
    default_vocabulary,
)

REPORTS = Path(__file__).resolve().parents[1] / "data" / "reports"
CONSTRUCTED = [
    "2023年1-9月基金收入12.5亿元，截至9月底累计结存3.2亿元；上半年支出（含生育保险）8万元。",
    "第三季度 预算收入 实际执行数 预计 无项目支出，收支平衡没有结转结余",
    "指标名称\t单位\t2023年\n基本医疗保险 | 万人 | 360.46\n  两个空格  分隔",
    "醫(yī)療 保險（xiǎn） 3。4月 138。86 万元 1，234 －5 2.5．6",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [normalize(p.read_text(encoding="utf-8")).text for p in sorted(REPORTS.glob("*.txt"))] + [
        normalize(t).text for t in CONSTRUCTED
    ]


def _plain_scan(vocab: Vocabulary, text: str) -> list[Token]:
    """Vocabulary.scan without its quick test: every branch of the character tried."""
    out, pos = [], 0
    while (m := vocab._starts.search(text, pos)) is not None:
        begin = m.start()
        finish, entry = begin, None
        for width, compiled, candidate in vocab._by_first[text[begin]]:
            if width <= finish - begin:
                break
            hit = compiled.match(text, begin)
            if hit is not None and hit.end() > finish:
                finish, entry = hit.end(), candidate
        if entry is None:
            pos = begin + 1
        else:
            out.append(Token(begin, finish, entry))
            pos = finish
    return out


def test_the_scan_finds_what_trying_every_branch_finds(texts):
    vocab = default_vocabulary()
    for text in texts:
        assert vocab.scan(text) == _plain_scan(vocab, text)


def test_basis_and_period_words_are_found_as_each_pattern_finds_them(texts):
    vocab = default_vocabulary()
    for text in texts:
        for start in range(0, len(text), 37):
            end = min(len(text), start + 80)
            basis = sorted(
                (m.start(), m.end())
                for entry, regex in vocab._basis_regex
                for m in regex.finditer(text, start, end)
                if m.end() > m.start()
            )
            assert sorted((t.start, t.end) for t in vocab.basis_cues(text, start, end)) == basis
            periods = [m for _, regex in vocab._period_regex for m in regex.finditer(text, start, end)]
            if not any(m.end() > m.start() for m in periods):
                assert vocab.period_cues(text, start, end) == []
            zero = [m for z in vocab.zero_rules for m in z.regex.finditer(text, start, end)]
            assert vocab.may_state_zero(text, start, end) == bool(zero)


@pytest.mark.parametrize(
    ("pattern", "starts"),
    [
        ("第?[一二]季度", {"第", "一", "二"}),
        ("(?<=年)\\s*(?P<end>1[0-2]|[1-9])月", {"\\s", "1", "1-9"}),
        ("(?<!占)预算|估计", {"预", "估"}),
        ("a?", None),  # may match nothing: any place may match
        ("(?:|x)y", None),  # an empty alternative: what follows may start it
        ("[^a]b", None),  # a negated class: cannot be listed
    ],
)
def test_the_first_character_of_a_match_is_read_from_the_pattern(pattern, starts):
    alternatives = [_first_class(_Shape(alt).parse()) for alt in _top_level_alternatives(pattern)]
    found = None if any(a is None for a in alternatives) else set().union(*alternatives)
    assert found == starts


def test_a_quick_test_matches_where_one_of_its_patterns_matches(texts):
    patterns = ["第?[一二三]\\s*季度", "(?<=年)\\s*(?P<end>1[0-2]|[1-9])\\s*月", "(?<!占)预算(?:收入|支出)"]
    quick = _any_of(patterns)
    assert quick.pattern.startswith("(?=[")
    for text in texts:
        for pos in range(len(text)):
            plain = any(re.compile(p).match(text, pos) for p in patterns)
            assert bool(quick.match(text, pos)) == plain


def _without_lookahead(regex: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern without the lookahead that opens it (which only says how a match starts)."""
    assert regex.pattern.startswith("(?=[")
    return re.compile(regex.pattern[regex.pattern.index("])") + 2 :])


@pytest.mark.parametrize(
    "regex",
    [numbers.NUMBER_RE, numbers.BARE_RE, segment.CLAUSE_BREAK, tables._STRONG_SPLIT],
    ids=["NUMBER_RE", "BARE_RE", "CLAUSE_BREAK", "STRONG_SPLIT"],
)
def test_a_lookahead_on_how_a_match_starts_changes_no_match(regex, texts):
    plain = _without_lookahead(regex)
    for text in texts:
        assert [m.span() for m in regex.finditer(text)] == [m.span() for m in plain.finditer(text)]


# the normalisation patterns as they were written before they were made to open with what they consume
_PLAIN_NORMALISATION = {
    "_PINYIN_GLOSS": r"(?<=[\u4e00-\u9fff])[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]",
    "_FW_DOT": r"(?<=\d)[．·](?=\d)",
    "_FULL_STOP_DOT": r"(?<=\d)。(?=\d{1,3}(?![\d年月日号时]))",
    "_FW_COMMA": r"(?<=\d)，(?=\d{3}(?!\d))",
    "_BLANK_RUNS": r"\n{3,}",
    "_TRAILING": r"[ \t]+\n",
}


@pytest.mark.parametrize("name", sorted(_PLAIN_NORMALISATION))
def test_normalisation_patterns_match_as_written_plainly(name):
    raw = [p.read_text(encoding="utf-8") for p in sorted(REPORTS.glob("*.txt"))] + CONSTRUCTED
    raw += ["a  \t\nb\n\n\n\nc 1．5 2·3 x．y 138。86 3。4月 1，234 1，2345 医(yī)疗 a(yī)"]
    fast, plain = getattr(normalize_module, name), re.compile(_PLAIN_NORMALISATION[name])
    for text in raw:
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert [m.span() for m in tables._SPACE_SPLIT.finditer(raw[-1])] == [
        m.span() for m in re.finditer(r"\s{2,}", raw[-1])
    ]
