"""Every vocabulary entry's examples still read as the entry says (rules are data)."""

from __future__ import annotations

import re

import pytest
import yaml

from pipelines.ingest import RULES_DIR, detect_genre
from pipelines.normalize import normalize_text
from pipelines.vocab import default_vocabulary

# An example's `context` is the heading a real report would have above it.
CONTEXT_HEADINGS = {
    "employee": "（一）城镇职工基本医疗保险基金\n",
    "resident": "（二）城乡居民基本医疗保险基金\n",
    "assistance": "（三）城乡医疗救助资金\n",
    "department": "二、一般公共预算支出情况\n",
}


def _examples():
    for entry in default_vocabulary().all_entries():
        for i, example in enumerate(entry.examples):
            yield pytest.param(entry, example, id=f"{entry.id}[{i}]")


def test_every_entry_has_an_example():
    missing = [e.id for e in default_vocabulary().all_entries() if not e.examples]
    assert not missing, f"vocabulary entries without examples: {missing}"


def test_every_exclusion_says_why_in_chinese():
    """The reason is stored with each number an exclusion sets aside (table `dropped`)."""
    exclusions = [e for e in default_vocabulary().all_entries() if e.kind == "exclusion"]
    assert len(exclusions) >= 6
    assert all(re.search(r"[\u4e00-\u9fff]", e.get("reason") or "") for e in exclusions), [
        e.id for e in exclusions if not e.get("reason")
    ]


@pytest.mark.parametrize(("entry", "example"), list(_examples()))
def test_rule_example(extractor, entry, example):
    context = CONTEXT_HEADINGS.get((example.get("context") or {}).get("fund", ""), "")
    text = normalize_text(context + example["text"])
    extraction = extractor.extract(text, report_year=2023)
    facts = extraction.candidates
    expect = example["expect"]
    if expect == "none":
        assert facts == [], f"expected no fact from «{example['text']}», got {facts}"
        return
    matching = [f for f in facts if all(_same(getattr(f, k), v) for k, v in expect.items())]
    assert matching, f"no fact with {expect} in «{example['text']}»; got {_show(facts)}"
    if example.get("only"):  # the text yields this fact and no other
        assert len(facts) == len(matching), f"only {expect} in «{example['text']}»; got {_show(facts)}"
    if example.get("counter"):  # a counter-example: the rule stays out, and the fact is read
        scanned = {t.entry.id for t in default_vocabulary().scan(text)}
        used = set().union(*(set(f.rules) for f in matching))
        assert entry.id not in scanned | used, f"{entry.id} matches in «{example['text']}»"
    elif _works_by_removal(entry):
        # exclusions, noise and asides keep other words from being read: they must match here
        scanned = {t.entry.id for t in default_vocabulary().scan(text)}
        assert entry.id in scanned, f"{entry.id} does not match in «{example['text']}»"
    else:
        used = set().union(*(set(f.rules) for f in matching))
        assert entry.id in used, (
            f"{entry.id} did not take part in reading «{example['text']}» (rules: {used})"
        )
    for f in matching:
        assert extraction.quote(f) == text[f.start : f.end]


def _works_by_removal(entry) -> bool:
    return entry.kind in ("exclusion", "noise") or entry.get("cue") in ("aside", "fund_noun")


def _same(actual, expected) -> bool:
    if isinstance(expected, float | int) and not isinstance(expected, bool):
        return abs(float(actual) - expected) <= max(1e-6 * abs(expected), 1e-6)
    return actual == expected


def _show(facts):
    return [(f.year, f.fund, f.metric, f.item, f.basis, f.value, f.derived, f.rule_ids) for f in facts]


def _table_words():
    import yaml

    from pipelines.normalize import PAGE_WORDS_FILE
    from pipelines.tables import TABLE_WORDS_FILE

    return {
        f"{path.stem}.{name}": spec
        for path in (TABLE_WORDS_FILE, PAGE_WORDS_FILE)
        for name, spec in yaml.safe_load(path.read_text(encoding="utf-8")).items()
    }


@pytest.mark.parametrize("name", list(_table_words()))
def test_table_words(name):
    import re

    spec = _table_words()[name]
    pattern = re.compile(spec["pattern"])
    assert spec["matches"] and spec["misses"]
    for text in spec["matches"]:
        assert pattern.search(text), f"{name} should match «{text}»"
    for text in spec["misses"]:
        assert not pattern.search(text), f"{name} should not match «{text}»"


def _genre_examples() -> list[tuple[str, str]]:
    raw = yaml.safe_load((RULES_DIR / "documents.yaml").read_text(encoding="utf-8"))
    assert all(g.get("examples") for g in raw["genres"]), "every genre has an example"
    return [(e["text"], e["genre"]) for g in raw["genres"] for e in g["examples"]]


@pytest.mark.parametrize(("text", "genre"), _genre_examples())
def test_genre_example(text, genre):
    found = detect_genre(text)
    assert found.name == genre
    assert found.standing in ("final", "ordinary", "provisional")


def test_a_report_of_no_genre_is_ordinary():
    assert tuple(detect_genre("今年以来，我县医保工作稳步推进。")) == ("其他", "ordinary", None)
