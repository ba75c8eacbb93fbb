"""Ingest benchmark: a few hundred copies of the bundled reports into a fresh DuckDB file.

    .venv/bin/python -m benchmarks.ingest_bench [--copies 300]  (./dev.sh bench runs it with the defaults)

Each copy gets a distinct first line so that it is a distinct document (content hash).
Prints documents per second (median of --rounds) for normalisation alone, extraction alone
(one core) and the whole ingest on one core and on every core (worker processes read, one
writes: pipelines/workers.py), MB of text per second, peak memory, and the ratios of the same
run: extraction ÷ normalisation time, parallel ÷ one-core ingest speed.
Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines import store, workers
from pipelines.extract import Extractor
from pipelines.ingest import ingest, process_file
from pipelines.normalize import normalize_text

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=300, help="documents to ingest")
    parser.add_argument("--rounds", type=int, default=3, help="repeat and report the median")
    parser.add_argument("--line-mb", type=int, default=10, help="size of the one-line report")
    args = parser.parse_args()
    seeds = sorted((ROOT / "data" / "reports").glob("*.txt"))
    cores = workers.default_workers()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        folder.mkdir()
        files = []
        for i in range(args.copies):
            seed = seeds[i % len(seeds)]
            path = folder / f"{i:04d}_{seed.name}"
            path.write_text(f"副本{i}\n" + seed.read_text(encoding="utf-8"), encoding="utf-8")
            files.append(path)
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        process_file(files[0])  # load vocabularies and region table before timing

        raw = [p.read_text(encoding="utf-8") for p in files]
        normalise_s = _median(args.rounds, lambda: [normalize_text(t) for t in raw])
        texts = [normalize_text(t) for t in raw]
        extractor = Extractor()
        extract_s = _median(args.rounds, lambda: [extractor.extract(t) for t in texts])
        ingest_s, n_facts, failed = {}, 0, 0
        for n in sorted({1, cores}):
            runs = []
            for r in range(args.rounds):  # a fresh database each round
                con = store.connect(Path(tmp) / f"bench{n}_{r}.duckdb")
                t0 = time.perf_counter()
                outcomes = ingest(con, files, n_workers=n)
                runs.append(time.perf_counter() - t0)
                n_facts = con.execute("SELECT count(*) FROM fact").fetchone()[0]
                failed = sum(not o.ok for o in outcomes)
                con.close()
            ingest_s[n] = statistics.median(runs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    docs = len(files)
    print(f"documents           {docs} ({failed} failed), {n_facts} facts, {megabytes:.1f} MB of text")
    print(
        f"normalisation only  {docs / normalise_s:8.1f} documents/s  {megabytes / normalise_s:6.2f} MB/s  (one core)"
    )
    print(
        f"extraction only     {docs / extract_s:8.1f} documents/s  {megabytes / extract_s:6.2f} MB/s  (one core)"
    )
    for n, seconds in ingest_s.items():
        print(
            f"full ingest, {n} {'core ' if n == 1 else 'cores'} {docs / seconds:8.1f} documents/s  {megabytes / seconds:6.2f} MB/s"
        )
    print(
        "                    (read + normalise + region + extract + validate + check + write + stored indicators,"
        " 50 documents per transaction)"
    )
    print(f"peak memory         {peak_mb:8.1f} MB (writer), {worker_mb:.1f} MB (largest worker)")
    print("ratios (same run)")
    print(f"  extraction ÷ normalisation time      {extract_s / normalise_s:6.1f}×")
    if cores > 1:
        print(
            f"  ingest on {cores} cores ÷ one core speed  {ingest_s[1] / ingest_s[cores]:6.2f}×  (aim ≥ 1.7 on 2 cores)"
        )
    else:
        print("  one core here: no parallel figure")
    long_line(seeds, args.line_mb)
    return 0


def _median(rounds: int, work) -> float:
    runs = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        work()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def long_line(seeds: list[Path], megabytes: int) -> None:
    """One report of `megabytes` MB on a single line (the bundled reports with their line breaks
    lost): read, normalised and extracted in a child process, so its peak memory is its own."""
    joined = "".join(p.read_text(encoding="utf-8").replace("\n", "") for p in seeds)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one_line.txt"
        path.write_text(joined * (megabytes * 1024 * 1024 // len(joined.encode()) + 1), encoding="utf-8")
        code = (
            "import sys; from pathlib import Path; from pipelines.ingest import process_file; "
            "print(len(process_file(Path(sys.argv[1])).facts))"
        )
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        )
        seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"one {megabytes} MB line      {seconds:8.1f} s, {done.stdout.strip()} facts, peak {peak_mb:.0f} MB (goal: under 20 s)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
