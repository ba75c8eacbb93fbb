"""Compare extracted facts with expected ones, the way ``shared/checks/score_facts.py`` does.

Used by the tests over hand-written passages (``tests/passages``) and by
``scripts/score_passages.py``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pipelines.regions import RegionTable

KEY = ("year", "fund", "metric", "item", "basis")
# the data contract's key (../shared/checks/score_facts.py): the region too
CONTRACT_KEY = ("region_code", *KEY)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= max(1e-4 * max(abs(a), abs(b)), 0.051)


@dataclass
class Score:
    counts: Counter = field(default_factory=Counter)
    misses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        c = self.counts
        denominator = c["correct"] + c["wrong"] + c["extra"]
        return c["correct"] / denominator if denominator else 1.0

    @property
    def recall(self) -> float:
        return self.counts["correct"] / self.counts["gold"] if self.counts["gold"] else 1.0

    def add(self, other: Score) -> None:
        self.counts.update(other.counts)
        self.misses.extend(other.misses)


def region_now(code: str) -> str:
    """The code a region has now: a gold label's older code (430124 宁乡县) and its successor's
    (430182 宁乡市) are one region; any other code (a merged or split region's too) stays as it is."""
    region = RegionTable.default().resolve(code)
    return region.code if region is not None else code


def key_of(row: dict[str, Any], fields: tuple[str, ...] = KEY) -> tuple[str, ...]:
    return tuple(region_now(str(row[k])) if k == "region_code" else str(row[k]) for k in fields)


def compare(
    expected: list[dict[str, Any]], facts: list[dict[str, Any]], fields: tuple[str, ...] = KEY
) -> Score:
    """correct / wrong / missing / extra, as the project's scorer counts them.

    ``fields``: what a fact must share with its gold row (the passages leave the region
    out; the corpus and the contract's scorer include it)."""
    score = Score()
    gold = defaultdict(list)
    for g in expected:
        gold[key_of(g, fields)].append(g)
    used: set[tuple[tuple[str, ...], int]] = set()
    for f in facts:
        key = key_of(f, fields)
        if key not in gold:
            score.counts["extra"] += 1
            score.misses.append(("extra", f))
            continue
        hit = next(
            (
                i
                for i, g in enumerate(gold[key])
                if (key, i) not in used and close(float(f["value"]), float(g["value"]))
            ),
            None,
        )
        if hit is None:
            if not any(close(float(f["value"]), float(g["value"])) for g in gold[key]):
                score.counts["wrong"] += 1
                score.misses.append(("wrong", f))
            continue
        used.add((key, hit))
        score.counts["correct"] += 1
    for key, rows in gold.items():
        for i, g in enumerate(rows):
            if (key, i) not in used:
                score.counts["missing"] += 1
                score.misses.append(("missing", g))
    score.counts["gold"] = len(expected)
    return score
