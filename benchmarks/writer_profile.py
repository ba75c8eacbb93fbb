"""Where the writer's time goes: copies of the bundled reports read first, then written as ingest
writes them, each step of a batch timed.

    .venv/bin/python -m benchmarks.writer_profile [--copies 100] [--batch 50] [--rounds 2]
    .venv/bin/python -m benchmarks.writer_profile --ingest [--copies 150] [--rounds 2] [--profile]

Reads ``--copies`` copies of data/reports/*.txt (each with a distinct first line, as
benchmarks/ingest_bench.py makes them) in this process, then writes them into a fresh DuckDB
file in batches of ``--batch`` the way :func:`pipelines.store.replace_documents` does, timing
each step: the regions the batch touched, the row frames, the inserts, the stored indicators'
refresh and the commit.  Prints milliseconds per document for each, and for the whole write
(``replace_documents`` itself) against the time a worker needs to read one document: with
two cores the writer keeps up with the workers only while it writes faster than they read.
``--ingest`` runs :func:`pipelines.ingest.ingest` itself on one worker and on two, alternated,
printing documents/s and the CPU time of this (the writing) process per document — what bounds
the two-core speed-up on a machine whose cores are shared; ``--profile`` adds a cProfile top
list of the writing process during the two-worker ingest.
Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from pipelines import indicators, store
from pipelines.ingest import extractor_version, ingest, process_file

ROOT = Path(__file__).resolve().parents[1]


def copies(folder: Path, n: int) -> list[Path]:
    seeds = sorted((ROOT / "data" / "reports").glob("*.txt"))
    files = []
    for i in range(n):
        seed = seeds[i % len(seeds)]
        path = folder / f"{i:04d}_{seed.name}"
        path.write_text(f"副本{i}\n" + seed.read_text(encoding="utf-8"), encoding="utf-8")
        files.append(path)
    return files


def timed_write(con, batch: list[store.DocumentRows], version: str, times: dict[str, list[float]]) -> None:
    """store.replace_documents for a batch of new documents, step by step."""
    ids = [rows.doc.doc_id for rows in batch]
    clock = time.perf_counter

    def step(name: str, t0: float) -> float:
        t1 = clock()
        times[name].append(t1 - t0)
        return t1

    t = t0 = clock()
    con.execute("SELECT doc_id, ingested_at FROM report WHERE list_contains(?, doc_id)", [ids]).fetchall()
    con.execute("BEGIN TRANSACTION")
    t = step("previous + begin", t)
    touched = indicators.regions_of_documents(con, ids)
    t = step("regions touched", t)
    frames = store.batch_frames(batch, version, {}, store.datetime.now())
    t = step("row frames", t)
    for table, frame in frames.items():
        store._insert_frame(con, table, frame)
        t = step(f"insert {table}", t)
    regions = touched | indicators.regions_of_documents(con, ids)
    t = step("regions touched", t)
    indicators.refresh(con, regions)
    t = step("indicator refresh", t)
    con.execute("COMMIT")
    t = step("commit", t)
    times["whole write"].append(t - t0)


def whole_ingest(n_copies: int, rounds: int, profile: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        folder.mkdir()
        files = copies(folder, n_copies)
        process_file(files[0])
        rates: dict[int, list[float]] = defaultdict(list)
        cpu: dict[int, list[float]] = defaultdict(list)
        profiler = cProfile.Profile() if profile else None
        for r in range(rounds):
            for n in (1, 2):
                con = store.connect(Path(tmp) / f"d{n}_{r}.duckdb")
                if profiler and n == 2:
                    profiler.enable()
                c0, t0 = time.process_time(), time.perf_counter()
                outcomes = ingest(con, files, n_workers=n)
                rates[n].append(len(files) / (time.perf_counter() - t0))
                cpu[n].append((time.process_time() - c0) / len(files) * 1000)
                if profiler and n == 2:
                    profiler.disable()
                con.close()
                assert all(o.ok for o in outcomes)
    for n in (1, 2):
        print(
            f"ingest, {n} worker(s): {max(rates[n]):6.1f} documents/s (best of {rounds}), "
            f"writing process {min(cpu[n]):6.2f} ms CPU per document"
        )
    print(f"two ÷ one (best of each): {max(rates[2]) / max(rates[1]):.2f}")
    if profiler:
        pstats.Stats(profiler).strip_dirs().sort_stats("tottime").print_stats(25)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ingest", action="store_true", help="the whole ingest on one worker and on two")
    parser.add_argument(
        "--profile", action="store_true", help="with --ingest: cProfile of the writing process"
    )
    args = parser.parse_args()
    if args.ingest:
        return whole_ingest(args.copies, args.rounds, args.profile)
    version = extractor_version()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        folder.mkdir()
        files = copies(folder, args.copies)
        process_file(files[0])
        t0 = time.perf_counter()
        rows = [process_file(p) for p in files]
        read_ms = (time.perf_counter() - t0) / len(files) * 1000
        times: dict[str, list[float]] = defaultdict(list)
        whole: list[float] = []
        for r in range(args.rounds):
            con = store.connect(Path(tmp) / f"w{r}.duckdb")
            for i in range(0, len(rows), args.batch):
                timed_write(con, rows[i : i + args.batch], version, times)
            con.close()
            con = store.connect(Path(tmp) / f"x{r}.duckdb")
            t0 = time.perf_counter()
            for i in range(0, len(rows), args.batch):
                store.replace_documents(con, rows[i : i + args.batch], version)
            whole.append(time.perf_counter() - t0)
            con.close()
    n = len(rows) * args.rounds
    print(f"{len(rows)} documents, batches of {args.batch}, {args.rounds} rounds; ms per document")
    print(f"  read (process_file, one core)  {read_ms:7.2f}")
    for name, values in times.items():
        print(f"  {name:<30} {sum(values) / n * 1000:7.2f}")
    print(f"  replace_documents             {statistics.median(whole) / len(rows) * 1000:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
