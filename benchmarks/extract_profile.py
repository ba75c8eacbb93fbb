"""The extractor's safety net and profile: every text we have, read the way ingest reads it.

    .venv/bin/python -m benchmarks.extract_profile dump OUT.jsonl   a canonical dump of every reading
    .venv/bin/python -m benchmarks.extract_profile speed [--rounds 3]  documents/s per stage (one core)
    .venv/bin/python -m benchmarks.extract_profile profile [--sort tottime] [--top 30]  cProfile top list

The texts: the bundled reports (data/reports, data/reports/public), the corpus
(tests/corpus/batch*/*.txt) and every passage set (tests/passages*/*.yaml, written out as files
under a temporary folder). ``dump`` runs each through :func:`pipelines.ingest.process_file`
(read → normalise → region → extract → validate → check → confidence) and writes one JSON line
per text: the document row (title, genre, region guess and evidence, year and its evidence,
warnings, a hash of the normalised text), every fact with every field (quote and its span,
rules, confidence and reasons), rejections, checks and numbers set aside, and what the
extractor itself kept (candidates with their rules, numbers dropped and why, undecided
readings, sub-regions named). A change meant only to make things faster must leave the dump
byte-identical (``cmp`` the two files). ``speed`` and ``profile`` time the stages on the same
texts: reading, normalisation, region detection, extraction, and the whole of process_file.
Not a test: the timings depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from pipelines.extract import detect_report_year
from pipelines.ingest import _extractor, process_file, read_figures, report_region
from pipelines.normalize import normalize, normalize_text
from pipelines.readers import read_document
from pipelines.regions import FigureRegions
from pipelines.store import ReportOverride

ROOT = Path(__file__).resolve().parents[1]
PASSAGE_SNAPSHOT = "expected_misses.yaml"


def report_files() -> list[Path]:
    """Every report text in the repository, in a fixed order."""
    reports = ROOT / "data" / "reports"
    files = sorted(reports.glob("*.txt")) + sorted((reports / "public").glob("*.txt"))
    files += sorted((ROOT / "tests" / "corpus").glob("batch*/*.txt"))
    return files


@contextmanager
def passage_files() -> Iterator[list[tuple[Path, str, int | None]]]:
    """Every passage written to a file of its own: (path, name, the year a steward would give)."""
    with tempfile.TemporaryDirectory(prefix="extract_profile_") as tmp:
        out = []
        for folder in sorted(p for p in (ROOT / "tests").glob("passages*") if p.is_dir()):
            for case_path in sorted(folder.glob("*.yaml")):
                if case_path.name == PASSAGE_SNAPSHOT:
                    continue
                case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
                text = case["text"]
                # as scripts/score_passages.py: the year is given only where the text states none
                year = None if detect_report_year(normalize_text(text))[0] else case.get("report_year")
                path = Path(tmp) / folder.name / f"{case_path.stem}.txt"
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
                out.append((path, f"{folder.name}/{case_path.stem}", year))
        yield out


@contextmanager
def all_inputs(seeds_only: bool = False) -> Iterator[list[tuple[Path, str, int | None]]]:
    """(path, name, given year) of every text: reports first, then passages; ``seeds_only``: the
    five bundled reports (data/reports/*.txt), the size the ingest benchmark's documents have."""
    if seeds_only:
        yield [(p, str(p.relative_to(ROOT)), None) for p in sorted((ROOT / "data" / "reports").glob("*.txt"))]
        return
    with passage_files() as passages:
        reports = [(p, str(p.relative_to(ROOT)), None) for p in report_files()]
        yield reports + passages


def _plain(value: Any) -> Any:
    """A JSON-ready copy: dataclasses and models as dicts, enums as values, floats exact."""
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump())
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, float):
        return repr(value)  # exact, and inf/nan survive
    return value


def _overrides(path: Path, year: int | None) -> dict[str, ReportOverride]:
    if year is None:
        return {}
    return {read_document(path).sha256: ReportOverride(report_year=year)}


def reading_record(path: Path, name: str, year: int | None) -> dict[str, Any]:
    """Everything ingest keeps of one text, and what the extractor read on the way."""
    try:
        rows = process_file(path, overrides=_overrides(path, year))
    except Exception as exc:  # a text that fails must fail the same way
        return {"name": name, "error": f"{type(exc).__name__}: {exc}"}
    doc = rows.doc.model_dump(exclude={"text", "source_path"})
    doc["text_sha256"] = hashlib.sha256(rows.doc.text.encode()).hexdigest()
    doc["text_length"] = len(rows.doc.text)
    reading = read_figures(rows.doc.text, year)
    extraction = reading.extraction
    subs = FigureRegions.of_text(rows.doc.text, reading.guess.region)
    return {
        "name": name,
        "doc": _plain(doc),
        "facts": _plain(rows.facts),
        "rejections": _plain(rows.rejections),
        "checks": _plain(rows.checks),
        "dropped": _plain(rows.dropped),
        "extraction": {
            "report_year": extraction.report_year,
            "year_evidence": extraction.year_evidence,
            "year_source": extraction.year_source,
            "candidates": _plain(extraction.candidates),
            "quantities": _plain(extraction.quantities),
            "dropped": _plain(extraction.dropped),
            "ambiguous": _plain(extraction.ambiguous),
            "regions_named": _plain(subs.named_at),
            "figure_regions": [
                (r.code if (r := subs.region_of(c.end)) is not None else None) for c in extraction.candidates
            ],
        },
    }


def dump(out: Path) -> int:
    n = 0
    with all_inputs() as inputs, out.open("w", encoding="utf-8") as f:
        for path, name, year in inputs:
            record = reading_record(path, name, year)
            f.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    print(f"{n} texts written to {out}", file=sys.stderr)
    return 0


# ---- speed


def _stages(inputs: list[tuple[Path, str, int | None]]) -> dict[str, Callable[[], object]]:
    """Each stage as a function over every text, fed the previous stage's output (computed once)."""
    paths = [p for p, _, _ in inputs]
    years = [y for _, _, y in inputs]
    raws = [read_document(p) for p in paths]
    texts = [normalize(r.text).text for r in raws]
    guesses = [report_region(t) for t in texts]
    regions = [FigureRegions.of_text(t, g.region) for t, g in zip(texts, guesses, strict=True)]
    extractor = _extractor()
    overrides = [_overrides(p, y) for p, y in zip(paths, years, strict=True)]
    return {
        "read": lambda: [read_document(p) for p in paths],
        "normalise": lambda: [normalize(r.text) for r in raws],
        "region": lambda: [FigureRegions.of_text(t, report_region(t).region) for t in texts],
        "extract": lambda: [
            extractor.extract(t, y, r) for t, y, r in zip(texts, years, regions, strict=True)
        ],
        "process_file": lambda: [process_file(p, overrides=o) for p, o in zip(paths, overrides, strict=True)],
    }


def speed(rounds: int, only: list[str], seeds_only: bool) -> int:
    with all_inputs(seeds_only) as inputs:
        stages = _stages(inputs)
        process_file(inputs[0][0])  # vocabularies and region table loaded before timing
        n = len(inputs)
        megabytes = sum(p.stat().st_size for p, _, _ in inputs) / 1e6
        print(
            f"{n} texts, {megabytes:.1f} MB, {rounds} rounds, one core; documents/s by CPU time "
            "(this process's, so that other work on shared cores counts less): best and median round"
        )
        for name, work in stages.items():
            if only and name not in only:
                continue
            runs = []
            for _ in range(rounds):
                t0 = time.process_time()
                work()
                runs.append(time.process_time() - t0)
            best, median = min(runs), statistics.median(runs)
            print(
                f"  {name:<13} best {n / best:8.1f} docs/s  median {n / median:8.1f} docs/s"
                f"  {megabytes / best:6.2f} MB/s"
            )
    return 0


def profile(stage: str, sort: str, top: int, seeds_only: bool) -> int:
    with all_inputs(seeds_only) as inputs:
        work = _stages(inputs)[stage]
        process_file(inputs[0][0])
        profiler = cProfile.Profile()
        profiler.enable()
        work()
        profiler.disable()
    for key in sort.split(","):
        print(f"---- {stage}, sorted by {key}")
        pstats.Stats(profiler).strip_dirs().sort_stats(key).print_stats(top)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="a canonical dump of every reading (compare with cmp)")
    d.add_argument("out", type=Path)
    s = sub.add_parser("speed", help="documents/s per stage")
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--seeds", action="store_true", help="the five bundled reports only")
    s.add_argument("stages", nargs="*", help="read normalise region extract process_file (default: all)")
    p = sub.add_parser("profile", help="cProfile top list of a stage")
    p.add_argument("--stage", default="extract")
    p.add_argument("--sort", default="tottime,cumtime")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--seeds", action="store_true", help="the five bundled reports only")
    args = parser.parse_args()
    if args.command == "dump":
        return dump(args.out)
    if args.command == "speed":
        return speed(args.rounds, args.stages, args.seeds)
    return profile(args.stage, args.sort, args.top, args.seeds)


if __name__ == "__main__":
    raise SystemExit(main())
