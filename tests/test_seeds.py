"""End to end on the five bundled reports: the command line, the database and the shared scorer.

The thresholds are the level reached, and the exact misses per report are in
tests/seeds_expected_misses.yaml: a new miss fails, and so does a fixed one until the snapshot is
updated with ``.venv/bin/python -m scripts.score_passages --update-snapshots``."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
from conftest import SHARED

from scripts.score_passages import (
    SEEDS_SNAPSHOT,
    load_snapshot,
    score_seeds,
    snapshot_difference,
    snapshot_message,
)

SCORER = SHARED / "checks" / "score_facts.py"
GOLD = SHARED / "gold" / "seeds.csv"


def test_the_shared_scorer_is_beside_the_project():
    assert SCORER.exists() and GOLD.exists(), "../shared must be beside the project (see README)"


def _score(db, tmp_path, *extra: str) -> dict:
    out = tmp_path / "score.json"
    result = subprocess.run(
        [sys.executable, str(SCORER), "--db", str(db), "--gold", str(GOLD), "--json", str(out), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "does not follow the contract" not in result.stdout
    return json.loads(out.read_text())


def test_all_facts(seeds_db, tmp_path):
    score = _score(seeds_db, tmp_path)
    assert score["totals"]["gold"] >= 200, score
    assert score["precision"] >= 1.0, score
    assert score["recall"] >= 0.995, score
    assert score["bad_quotes"] == 0


def test_headline_facts(seeds_db, tmp_path):
    score = _score(seeds_db, tmp_path, "--headline")
    assert score["totals"]["gold"] >= 50, score
    assert score["precision"] >= 1.0, score
    assert score["recall"] >= 0.989, score
    assert score["totals"].get("wrong", 0) == 0, score


def test_misses_match_the_snapshot(seeds_db, tmp_path):
    """Per report, exactly the misses of tests/seeds_expected_misses.yaml, counted as the shared
    scorer counts them (its totals are checked against ours)."""
    total, misses = score_seeds(seeds_db, GOLD)
    shared = _score(seeds_db, tmp_path)["totals"]
    ours = {kind: total.counts[kind] for kind in ("gold", "correct", "wrong", "missing", "extra")}
    assert ours == {kind: shared.get(kind, 0) for kind in ours}, (ours, shared)
    difference = snapshot_difference(load_snapshot(SEEDS_SNAPSHOT), misses)
    assert not difference, snapshot_message(SEEDS_SNAPSHOT, difference)


def test_regions_of_the_bundled_reports(seeds_db):
    con = duckdb.connect(str(seeds_db), read_only=True)
    rows = dict(con.execute("SELECT file_name, region_code FROM documents").fetchall())
    con.close()
    assert rows == {
        "000_1745bc2bbbdaa61a.txt": "430903",
        "001_e0f20834ad43b626.txt": "430903",
        "002_2958b8ff77e9055f.txt": "431124",
        "003_a15d490633ad3696.txt": "621026",
        "004_53bbde0474885cbd.txt": "430900",
    }


def test_checks_flag_the_real_inconsistencies(seeds_db):
    con = duckdb.connect(str(seeds_db), read_only=True)
    checks = con.execute(
        "SELECT d.file_name, c.check_id, c.fund, c.year, c.message, c.quote FROM checks c JOIN documents d USING (doc_id)"
    ).fetchall()
    con.close()
    by = {(f, c, fund) for f, c, fund, _, _, _ in checks}
    # 道县 2024 医疗救助: 4484.76 − 4752.2 ≠ −263.22
    assert ("002_2958b8ff77e9055f.txt", "balance_identity", "assistance") in by
    # 宁县 2019: 11777000 万元 in a county report
    magnitude = [c for c in checks if c[0].startswith("003") and c[1] == "implausible_magnitude"]
    assert magnitude and "11777000" in magnitude[0][5]
    # 赫山区 2017 职工: 统筹 + 个人账户 exceed the stated total
    assert ("000_1745bc2bbbdaa61a.txt", "components_sum", "employee") in by
    # 宁县 2019 职工 待遇人次 stated twice with different values (4410 vs 4982)
    assert ("003_a15d490633ad3696.txt", "duplicate_key_conflict", "employee") in by
    assert all(message for *_, message, _ in checks)
