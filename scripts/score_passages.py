"""Score the extractor on the hand-written passages in tests/passages (a development aid).

.venv/bin/python scripts/score_passages.py [-v] [NAME_FILTER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.evaluate import Score, compare
from pipelines.extract import detect_report_year
from pipelines.ingest import read_facts
from pipelines.normalize import normalize_text

PASSAGES = Path(__file__).resolve().parents[1] / "tests" / "passages"


def main() -> int:
    args = sys.argv[1:]
    verbose = "-v" in args
    folder = PASSAGES
    if "--dir" in args:
        folder = Path(args.pop(args.index("--dir") + 1)).resolve()
    pattern = next((a for a in args if not a.startswith("-")), "")
    total = Score()
    for path in sorted(folder.glob("*.yaml")):
        if pattern not in path.name:
            continue
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        text = normalize_text(case["text"])
        # a steward supplies the year when the text never states it (as the upload page asks)
        year = None if detect_report_year(text)[0] else case.get("report_year")
        guess, _, facts = read_facts(text, year)
        score = compare(case["facts"], facts)
        region = guess.region
        region_ok = region is not None and region.code == str(case["region"]["code"])
        total.add(score)
        c = score.counts
        print(
            f"{path.stem[:40]:40} gold {c['gold']:3} ok {c['correct']:3} wrong {c['wrong']:2} "
            f"miss {c['missing']:2} extra {c['extra']:2}  region {'ok' if region_ok else 'WRONG ' + str(region)}"
        )
        if verbose:
            for kind, row in score.misses:
                print(
                    f"   {kind:7} {row['year']} {row['fund']}/{row['metric']}/{row['item']}/{row['basis']}"
                    f" = {row['value']}  «{str(row.get('quote', ''))[:50]}»"
                )
    print(f"precision {total.precision:.3f} recall {total.recall:.3f}  {dict(total.counts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
