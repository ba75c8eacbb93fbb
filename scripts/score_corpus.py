"""Score the extractor on the real-text corpus (tests/corpus/), batch by batch.

    .venv/bin/python scripts/score_corpus.py [--batch 07 ...] [-v] [--json OUT]

Each batch's texts go through the real ingest into a fresh DuckDB file and its `fund_facts`
are scored against the batch's gold.csv the way ../shared/checks/score_facts.py scores (key:
region, year, fund, metric, item, basis; a value within tolerance).  Printed per batch: texts,
gold facts, precision and recall; the same for the headline metrics (totals of insured,
income, expenditure, balance, cumulative balance, visits); and, once facts carry a
`confidence`, the precision of the `high` facts and the share of correct facts they cover.

The blind score of a batch is the one printed before any rule was changed for it; it is
recorded in tests/corpus/README.md, which this script does not change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipelines import corpus, store
from pipelines.evaluate import CONTRACT_KEY, Score, compare
from pipelines.ingest import ingest

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
HEADLINE = frozenset({"insured", "income", "expenditure", "balance", "cumulative_balance", "visits"})


@dataclass
class BatchScore:
    name: str
    texts: int
    all: Score
    headline: Score
    high: Score | None  # facts marked high, against the whole gold (None before confidence exists)

    @property
    def high_coverage(self) -> float | None:
        """The share of the correct facts that are marked high."""
        if self.high is None:
            return None
        correct = self.all.counts["correct"]
        return self.high.counts["correct"] / correct if correct else 1.0


def _facts(batch: corpus.Batch) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "corpus.duckdb")
        try:
            ingest(con, [batch.path / name for name in batch.texts])
            columns = {r[0] for r in con.execute("DESCRIBE fund_facts").fetchall()}
            confidence = "f.confidence" if "confidence" in columns else "NULL AS confidence"
            cursor = con.execute(
                "SELECT d.file_name AS file, f.region_code, f.year, f.fund, f.metric, f.item, f.basis, "
                f"f.value, f.quote, {confidence} FROM fund_facts f JOIN documents d USING (doc_id)"
            )
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()


def _by_file(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["file"], []).append(row)
    return out


def _score(gold: list[dict], facts: list[dict], files: list[str]) -> Score:
    total = Score()
    gold_by, facts_by = _by_file(gold), _by_file(facts)
    for name in files:
        total.add(compare(gold_by.get(name, []), facts_by.get(name, []), fields=CONTRACT_KEY))
    return total


def _headline(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["metric"] in HEADLINE and r["item"] == "total"]


def score_batch(batch: corpus.Batch) -> BatchScore:
    facts = _facts(batch)
    gold = batch.gold
    files = list(batch.texts)
    has_confidence = any(f["confidence"] is not None for f in facts)
    return BatchScore(
        name=batch.name,
        texts=len(files),
        all=_score(gold, facts, files),
        headline=_score(_headline(gold), _headline(facts), files),
        high=_score(gold, [f for f in facts if f["confidence"] == "high"], files) if has_confidence else None,
    )


def _pct(x: float | None) -> str:
    return "   —" if x is None else f"{x:.3f}"


def print_table(scores: list[BatchScore], verbose: bool) -> None:
    print(
        f"{'batch':8} {'texts':>5} {'facts':>5}  {'P':>5} {'R':>5}  {'head P':>6} {'head R':>6}  {'high P':>6} {'cover':>5}"
    )
    for s in scores:
        high_p = s.high.precision if s.high is not None else None
        print(
            f"{s.name:8} {s.texts:5} {s.all.counts['gold']:5}  {_pct(s.all.precision)} {_pct(s.all.recall)}  "
            f"{_pct(s.headline.precision):>6} {_pct(s.headline.recall):>6}  {_pct(high_p):>6} {_pct(s.high_coverage):>5}"
        )
        if verbose:
            for kind, row in s.all.misses:
                print(
                    f"    {kind:7} {row['file'][:34]:34} {row['region_code']} {row['year']} "
                    f"{row['fund']}/{row['metric']}/{row['item']}/{row['basis']} = {row['value']}  "
                    f"«{str(row.get('quote', ''))[:40]}»"
                )
    if len(scores) > 1:
        total, head = Score(), Score()
        high = Score() if all(s.high is not None for s in scores) else None
        for s in scores:
            total.add(s.all)
            head.add(s.headline)
            if high is not None and s.high is not None:
                high.add(s.high)
        texts = sum(s.texts for s in scores)
        combined = BatchScore("all", texts, total, head, high)
        high_p = high.precision if high is not None else None
        print(
            f"{'all':8} {texts:5} {total.counts['gold']:5}  {_pct(total.precision)} {_pct(total.recall)}  "
            f"{_pct(head.precision):>6} {_pct(head.recall):>6}  {_pct(high_p):>6} {_pct(combined.high_coverage):>5}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch", action="append", default=[], help="only these batches (07 or batch07)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--json", type=Path, help="write the scores here")
    args = parser.parse_args(argv)
    wanted = {b if b.startswith("batch") else f"batch{b}" for b in args.batch}
    batches = [b for b in corpus.batches(CORPUS) if not wanted or b.name in wanted]
    if not batches:
        print(f"no corpus batches found under {CORPUS}", file=sys.stderr)
        return 2
    scores = [score_batch(b) for b in batches]
    print_table(scores, args.verbose)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    s.name: {
                        "texts": s.texts,
                        "counts": dict(s.all.counts),
                        "precision": s.all.precision,
                        "recall": s.all.recall,
                        "headline": {"precision": s.headline.precision, "recall": s.headline.recall},
                        "high": None
                        if s.high is None
                        else {"precision": s.high.precision, "coverage": s.high_coverage},
                    }
                    for s in scores
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
