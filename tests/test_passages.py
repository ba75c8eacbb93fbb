"""The extractor on hand-written passages in styles other than the bundled reports.

Each file in tests/passages holds one passage and every fund figure a careful reader
records (written independently of the extractor).  The thresholds are the level the
extractor reaches; a change that loses ground fails here with the misses listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.evaluate import Score, compare
from pipelines.extract import detect_report_year
from pipelines.ingest import read_facts
from pipelines.normalize import normalize_text
from pipelines.regions import detect_region

HERE = Path(__file__).parent
PASSAGES = sorted((HERE / "passages").glob("*.yaml"))
# Later sets were written after the extractor by people who had not seen it, and scored
# blind before anything was changed for them: passages_holdout P 0.741 R 0.680,
# passages_final P 0.902 R 0.790, passages_blind4 (full-length reports) P 0.831 R 0.859,
# passages_blind5 (full-length reports) P 0.830 R 0.823, passages_blind6 P 0.903 R 0.693
# (recall lost on one disclosure table whose 填报单位 line was taken for its header).
# They are regression guards now, with thresholds at the level reached since; a fresh,
# unseen set is the only honest measure of generality.
SETS = {
    "passages": (0.95, 0.93),
    "passages_holdout": (0.90, 0.90),
    "passages_final": (0.95, 0.92),
    "passages_blind4": (0.93, 0.92),
    "passages_blind5": (0.92, 0.89),
    "passages_blind6": (0.90, 0.88),
}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _read(extractor, case: dict) -> tuple[str, list[dict]]:
    text = normalize_text(case["text"])
    # a steward gives the year when the text never states it (the upload page asks)
    year = None if detect_report_year(text)[0] else case.get("report_year")
    return text, read_facts(text, year)[2]  # the same path as ingest: region, sub-regions, extraction


def test_there_are_enough_passages():
    assert len(PASSAGES) >= 15


@pytest.mark.parametrize("path", PASSAGES, ids=[p.stem for p in PASSAGES])
def test_passage_quotes_and_distractors(extractor, path):
    case = _load(path)
    text, facts = _read(extractor, case)
    for f in facts:
        assert text[f["start"] : f["end"]] == f["quote"]
    for snippet in case.get("not_facts", []):
        start = text.find(normalize_text(snippet))
        assert start >= 0, f"not_facts snippet «{snippet}» is not in the text"
        end = start + len(normalize_text(snippet))
        inside = [
            f for f in facts if start <= f["end"] - 1 < end and f["start"] >= start - 40 and not f["derived"]
        ]
        hits = [f for f in inside if _number_in(f, text[start:end])]
        assert not hits, f"«{snippet}» must not become a fact, got {hits}"


def _number_in(fact: dict, snippet: str) -> bool:
    return fact["quote"].endswith(snippet[-6:]) or snippet in fact["quote"]


@pytest.mark.parametrize("folder", list(SETS))
def test_passages_overall(extractor, folder):
    min_precision, min_recall = SETS[folder]
    total = Score()
    for path in sorted((HERE / folder).glob("*.yaml")):
        case = _load(path)
        _, facts = _read(extractor, case)
        score = compare(case["facts"], facts)
        for _kind, row in score.misses:
            row.setdefault("passage", path.stem)
        total.add(score)
    misses = "\n".join(
        f"{kind:7} {row.get('passage', '')[:24]} {row['year']} {row['fund']}/{row['metric']}/{row['item']}/"
        f"{row['basis']} = {row['value']} «{str(row.get('quote', ''))[:30]}»"
        for kind, row in total.misses
    )
    assert total.precision >= min_precision, f"precision {total.precision:.3f}\n{misses}"
    assert total.recall >= min_recall, f"recall {total.recall:.3f}\n{misses}"


@pytest.mark.parametrize("path", PASSAGES, ids=[p.stem for p in PASSAGES])
def test_passage_region(path):
    case = _load(path)
    text = normalize_text(case["text"])
    guess = detect_region(text)
    name = case["region"]["name"]
    short = name[:-1] if len(name) > 2 else name
    if short not in text and name != "全国":
        # the text never names its region (a news item from 市医保局): no guess, a steward sets it
        assert guess.region is None or guess.confidence == "low", guess
    else:
        assert guess.region is not None and guess.region.code == str(case["region"]["code"]), guess
