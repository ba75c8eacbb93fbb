"""Ingest benchmark: a few hundred copies of the bundled reports into a fresh DuckDB file.

    .venv/bin/python -m benchmarks.ingest_bench [--copies 300]  (./dev.sh bench runs it with the defaults)

Each copy gets a distinct first line so that it is a distinct document (content hash).
Prints documents per second (median of --rounds), MB of text per second and peak memory;
runs on one core.
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

from pipelines import store
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

        texts = [normalize_text(p.read_text(encoding="utf-8")) for p in files]
        extractor = Extractor()
        extract_runs = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for text in texts:
                extractor.extract(text)
            extract_runs.append(time.perf_counter() - t0)

        ingest_runs = []
        for r in range(args.rounds):  # a fresh database each round
            con = store.connect(Path(tmp) / f"bench{r}.duckdb")
            t0 = time.perf_counter()
            outcomes = ingest(con, files)
            ingest_runs.append(time.perf_counter() - t0)
            n_facts = con.execute("SELECT count(*) FROM fact").fetchone()[0]
            con.close()
        extract_s = statistics.median(extract_runs)
        total_s = statistics.median(ingest_runs)
    failed = sum(not o.ok for o in outcomes)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"documents           {len(files)} ({failed} failed), {n_facts} facts, {megabytes:.1f} MB of text")
    print(f"extraction only     {len(files) / extract_s:8.1f} documents/s  {megabytes / extract_s:6.2f} MB/s")
    print(f"full ingest         {len(files) / total_s:8.1f} documents/s  {megabytes / total_s:6.2f} MB/s")
    print(
        "                    (read + normalise + region + extract + validate + check + write, 50 documents per transaction)"
    )
    print(f"peak memory         {peak_mb:8.1f} MB")
    long_line(seeds, args.line_mb)
    return 0


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
