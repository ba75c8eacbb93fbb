"""Score the extractor on the hand-written passages, and keep the snapshots of its expected misses.

    .venv/bin/python -m scripts.score_passages [--dir DIR] [-v] [NAME_FILTER]
    .venv/bin/python -m scripts.score_passages --update-snapshots

Without options it scores tests/passages (``--dir`` another set) and prints per-passage counts;
``-v`` lists every miss.

Snapshots: every passage set (``tests/passages*/``) has ``expected_misses.yaml`` beside its
passages, and the bundled reports have ``tests/seeds_expected_misses.yaml`` (scored against
``../shared/gold/seeds.csv`` the way ``../shared/checks/score_facts.py`` scores).  Each maps a
passage (or report file) to its misses by kind — ``wrong`` (a fact whose value is not the
gold's), ``missing`` (a gold fact not found), ``extra`` (a fact whose key is not in the gold) —
one line a fact: ``YEAR FUND/METRIC/ITEM/BASIS = VALUE`` (report files: the region code first).
tests/test_passages.py and tests/test_seeds.py fail on any difference, a new miss or a fixed
one; ``--update-snapshots`` rewrites every snapshot from the extractor as it is now (review the
diff before committing it).
"""

from __future__ import annotations

import argparse
import csv
import functools
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import yaml

from pipelines import cli
from pipelines.evaluate import CONTRACT_KEY, Score, compare
from pipelines.extract import detect_report_year
from pipelines.ingest import read_facts
from pipelines.normalize import normalize_text
from pipelines.regions import RegionGuess

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
PASSAGES = TESTS / "passages"
REPORTS = ROOT / "data" / "reports"
GOLD = ROOT.parent / "shared" / "gold" / "seeds.csv"
SNAPSHOT_NAME = "expected_misses.yaml"
SEEDS_SNAPSHOT = TESTS / "seeds_expected_misses.yaml"
UPDATE_COMMAND = ".venv/bin/python -m scripts.score_passages --update-snapshots"
KINDS = ("wrong", "missing", "extra")

Misses = dict[str, dict[str, list[str]]]  # passage or file -> kind -> lines


def passage_sets() -> list[Path]:
    """Every folder of passages: tests/passages, tests/passages_holdout, …"""
    return sorted(p for p in TESTS.glob("passages*") if p.is_dir())


def passage_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.name != SNAPSHOT_NAME)


def load_case(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def read_case(case: dict[str, Any]) -> tuple[str, RegionGuess, list[dict[str, Any]]]:
    """The passage's normalised text, region guess and facts, through the same path as ingest."""
    text = normalize_text(case["text"])
    # a steward supplies the year when the text never states it (as the upload page asks)
    year = None if detect_report_year(text)[0] else case.get("report_year")
    guess, _, facts = read_facts(text, year)
    return text, guess, facts


@functools.cache
def extract_passage(path: Path) -> tuple[dict[str, Any], str, RegionGuess, list[dict[str, Any]]]:
    """The passage file's case and what the extractor reads in it (once per process)."""
    case = load_case(path)
    return (case, *read_case(case))


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def miss_line(row: dict[str, Any], *, region: bool = False) -> str:
    key = (
        f"{row['year']} {row['fund']}/{row['metric']}/{row['item']}/{row['basis']} = {_number(row['value'])}"
    )
    return f"{row['region_code']} {key}" if region else key


def misses_by_kind(misses: Iterable[tuple[str, dict[str, Any]]], *, region: bool = False) -> dict[str, list]:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, row in misses:
        by_kind[kind].append(miss_line(row, region=region))
    return {kind: sorted(by_kind[kind]) for kind in KINDS if by_kind[kind]}


def score_set(folder: Path) -> tuple[Score, Misses]:
    """The set's total score and its misses per passage (passages without misses left out)."""
    total, misses = Score(), {}
    for path in passage_files(folder):
        case, _, _, facts = extract_passage(path)
        score = compare(case["facts"], facts)
        total.add(score)
        if score.misses:
            misses[path.stem] = misses_by_kind(score.misses)
    return total, misses


def score_seeds(db: Path, gold: Path = GOLD) -> tuple[Score, Misses]:
    """The database's facts of the gold's files against the gold, as score_facts.py counts them.

    Facts are matched within their file and region code; a fact without a value is an extra."""
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with gold.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_file[Path(row["file"]).name].append(row)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT d.file_name, f.region_code, f.year, f.fund, f.metric, f.item, f.basis, f.value "
            "FROM fund_facts f JOIN documents d USING (doc_id)"
        ).fetchall()
    finally:
        con.close()
    columns = ("region_code", "year", "fund", "metric", "item", "basis", "value")
    facts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, *values in rows:
        facts[Path(name).name].append(dict(zip(columns, values, strict=True)))
    total, misses = Score(), {}
    for name in sorted(by_file):
        score = Score()
        file_facts = [f for f in facts.get(name, []) if f["value"] is not None]
        score.counts["extra"] += len(facts.get(name, [])) - len(file_facts)
        score.add(compare(by_file[name], file_facts, fields=CONTRACT_KEY))
        total.add(score)
        if score.misses:
            misses[name] = misses_by_kind(score.misses, region=True)
    return total, misses


def load_snapshot(path: Path) -> Misses:
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def write_snapshot(path: Path, misses: Misses, about: str) -> None:
    header = (
        f"# Expected misses of the extractor on {about}: per text, the facts it gets wrong,\n"
        "# misses or adds (YEAR FUND/METRIC/ITEM/BASIS = VALUE).  A new miss or a fixed one fails\n"
        f"# the tests; after an intended change:  {UPDATE_COMMAND}\n"
    )
    body = yaml.safe_dump(misses, allow_unicode=True, sort_keys=True, width=200) if misses else "{}\n"
    path.write_text(header + body, encoding="utf-8")


def snapshot_difference(expected: Misses, actual: Misses) -> list[str]:
    """One line per miss that is new (+) or fixed (-); empty when they agree."""
    lines = []
    for name in sorted(set(expected) | set(actual)):
        for kind in KINDS:
            before = list(expected.get(name, {}).get(kind, []))
            for line in actual.get(name, {}).get(kind, []):
                if line in before:
                    before.remove(line)
                else:
                    lines.append(f"+ new {kind:7} {name}: {line}")
            lines += [f"- fixed {kind:7} {name}: {line}" for line in before]
    return lines


def snapshot_message(path: Path, difference: list[str]) -> str:
    return (
        f"the misses differ from {path.relative_to(ROOT)}"
        " (+ a new miss: fix the extractor; - a fixed miss: update the snapshot"
        f" with `{UPDATE_COMMAND}` and review its diff):\n" + "\n".join(difference)
    )


def update_snapshots() -> int:
    for folder in passage_sets():
        total, misses = score_set(folder)
        write_snapshot(folder / SNAPSHOT_NAME, misses, f"tests/{folder.name}")
        print(
            f"{folder.name:20} precision {total.precision:.3f} recall {total.recall:.3f}  {dict(total.counts)}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "seeds.duckdb"
        if cli.main(["ingest", "--quiet", "--db", str(db), *map(str, sorted(REPORTS.glob("*.txt")))]) != 0:
            return 1
        total, misses = score_seeds(db)
    write_snapshot(
        SEEDS_SNAPSHOT, misses, "the bundled reports (data/reports against ../shared/gold/seeds.csv)"
    )
    print(f"{'seeds':20} precision {total.precision:.3f} recall {total.recall:.3f}  {dict(total.counts)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pattern", nargs="?", default="", help="only passages whose file name contains this")
    parser.add_argument("--dir", type=Path, default=PASSAGES, help="the passage set (default tests/passages)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--update-snapshots", action="store_true", help="rewrite every expected_misses.yaml")
    args = parser.parse_args(argv)
    if args.update_snapshots:
        return update_snapshots()
    total = Score()
    for path in passage_files(args.dir.resolve()):
        if args.pattern not in path.name:
            continue
        case = load_case(path)
        _, guess, facts = read_case(case)
        score = compare(case["facts"], facts)
        region = guess.region
        region_ok = region is not None and region.code == str(case["region"]["code"])
        total.add(score)
        c = score.counts
        print(
            f"{path.stem[:40]:40} gold {c['gold']:3} ok {c['correct']:3} wrong {c['wrong']:2} "
            f"miss {c['missing']:2} extra {c['extra']:2}  region {'ok' if region_ok else 'WRONG ' + str(region)}"
        )
        if args.verbose:
            for kind, row in score.misses:
                print(f"   {kind:7} {miss_line(row)}  «{str(row.get('quote', ''))[:50]}»")
    print(f"precision {total.precision:.3f} recall {total.recall:.3f}  {dict(total.counts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
