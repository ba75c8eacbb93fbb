"""Indicators are stored at ingest (pipelines/indicators.py) and always equal a recomputation.

Every write — ingest, re-ingest, a steward's region for a report, corrections of every kind,
removal — refreshes the regions it touched in its own transaction.  The property: after any
sequence of writes, in any order, the stored tables equal a recomputation of everything from the
facts (``indicators.differences`` is empty).  Sequences are drawn at random from fixed seeds over
small generated databases (a handful of regions, years and reports), so a failure replays.

tests/fixtures/schema_v8.duckdb is a file of the previous schema version (8, commit acb04db,
where indicators were views computed on reading), made by that checkout:

    git worktree add /tmp/medfund-v8 acb04db && cd /tmp/medfund-v8
    PYTHONPATH=. /work/main/.venv/bin/python -c "...store.connect('/tmp/schema_v8.duckdb');
        ingest(con, [data/reports/002_….txt, data/reports/003_….txt]);
        corrections.confirm(con, <the first review fact>, '核对原文无误', 'fixture')"

It holds those two reports (118 facts), 13 indicator rows and one confirmation.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboard.core import database
from pipelines import corrections, indicators, store
from pipelines.ingest import ingest
from pipelines.store import ReportOverride

FIXTURE_V8 = Path(__file__).with_name("fixtures") / "schema_v8.duckdb"

# regions the region table resolves from a title, with the word a report calls itself by
REGIONS = (("益阳市", "全市"), ("道县", "全县"), ("赫山区", "全区"), ("宁乡县", "全县"))
FUNDS = ("城乡居民基本医疗保险", "职工基本医疗保险")


def _report(rng: random.Random, folder: Path, n: int) -> Path:
    """A short statistics bulletin of a random region and year, with random but plausible figures."""
    region, word = rng.choice(REGIONS)
    year = rng.randint(2019, 2024)
    lines = [f"{year}年{region}医疗保障事业发展统计公报"]
    for fund in rng.sample(FUNDS, rng.randint(1, 2)):
        income = rng.randint(20, 400) / 10
        spent = round(income * rng.uniform(0.8, 1.15), 1)
        parts = [f"{fund}基金收入{income}亿元", f"支出{spent}亿元"]
        if rng.random() < 0.6:
            parts.append(f"累计结余{rng.randint(5, 300) / 10}亿元")
        if rng.random() < 0.5:
            parts.append(f"参保人数{rng.randint(10, 900)}万人")
        lines.append(f"{year}年，{word}" + "，".join(parts) + "。")
    if rng.random() < 0.3:  # a figure for part of the year: never in an indicator
        lines.append(f"{year}年1-6月，{word}城乡居民基本医疗保险基金支出{rng.randint(5, 90) / 10}亿元。")
    path = folder / f"r{n:03d}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _facts(con: duckdb.DuckDBPyConnection, where: str = "true") -> list[tuple]:
    return con.execute(
        f"SELECT fact_id, confidence FROM fund_facts WHERE {where} ORDER BY fact_id"
    ).fetchall()


def _documents(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT doc_id FROM report ORDER BY doc_id").fetchall()]


class Writer:
    """The writes a database sees, each chosen at random among those possible now."""

    def __init__(self, con: duckdb.DuckDBPyConnection, folder: Path, rng: random.Random) -> None:
        self.con, self.folder, self.rng = con, folder, rng
        self.files: dict[str, Path] = {}  # doc_id → its file
        self.n = 0

    def _pick(self, where: str = "true") -> str | None:
        rows = _facts(self.con, where)
        return self.rng.choice(rows)[0] if rows else None

    def new_reports(self) -> str:
        paths = []
        for _ in range(self.rng.randint(1, 3)):
            self.n += 1
            paths.append(_report(self.rng, self.folder, self.n))
        for outcome in ingest(self.con, paths):
            assert outcome.ok, outcome
            self.files[outcome.doc_id] = outcome.path
        return f"ingest {len(paths)}"

    def reingest(self) -> str:
        ids = self.rng.sample(sorted(self.files), min(len(self.files), self.rng.randint(1, 3)))
        ingest(self.con, [self.files[i] for i in ids])
        return f"re-ingest {len(ids)}"

    def move_region(self) -> str:
        """A steward sets another region for a report, and it is read again: two regions change."""
        doc_id = self.rng.choice(sorted(self.files))
        code = self.rng.choice(["430900", "431124", "430903", "430124"])
        store.set_override(self.con, doc_id, ReportOverride(region_code=code), "测试")
        ingest(self.con, [self.files[doc_id]])
        return f"region of {doc_id[:6]} → {code}"

    def correct(self) -> str:
        fact_id = self._pick("metric IN ('income', 'expenditure') AND basis = 'actual'")
        if fact_id is None:
            return "correct (none)"
        value = self.con.execute("SELECT value FROM fund_facts WHERE fact_id = ?", [fact_id]).fetchone()[0]
        corrections.correct(self.con, fact_id, {"value": round(value * 1.1, 2)}, "更正", "测试")
        return f"correct {fact_id}"

    def correct_year(self) -> str:
        fact_id = self._pick("basis = 'actual'")
        if fact_id is None:
            return "correct year (none)"
        year = self.con.execute("SELECT year FROM fund_facts WHERE fact_id = ?", [fact_id]).fetchone()[0]
        corrections.correct(self.con, fact_id, {"year": year - 1}, "年份更正", "测试")
        return f"year of {fact_id}"

    def reject(self) -> str:
        fact_id = self._pick()
        if fact_id is None:
            return "reject (none)"
        corrections.reject(self.con, fact_id, "误读", "测试")
        return f"reject {fact_id}"

    def confirm(self) -> str:
        fact_id = self._pick("confidence = 'review'")
        if fact_id is None:
            return "confirm (none waiting)"
        corrections.confirm(self.con, fact_id, "核对原文无误", "测试")
        return f"confirm {fact_id}"

    def restore(self) -> str:
        rows = self.con.execute(
            "SELECT b.fact_id FROM fact_base b JOIN correction_latest c ON c.doc_id = b.doc_id "
            "AND c.anchor_start = b.anchor_start AND c.anchor_end = b.anchor_end AND c.anchor_key = b.anchor_key "
            "WHERE c.action <> 'restore' ORDER BY 1"
        ).fetchall()
        if not rows:
            return "restore (nothing in force)"
        fact_id = self.rng.choice(rows)[0]
        corrections.restore(self.con, fact_id, "恢复", "测试")
        return f"restore {fact_id}"

    def add(self) -> str:
        doc_id = self.rng.choice(sorted(self.files))
        text = self.con.execute("SELECT text FROM report WHERE doc_id = ?", [doc_id]).fetchone()
        if text is None:
            return "add (report removed)"
        year = int(text[0][:4])
        quote = text[0].splitlines()[1][:12]
        figure = {"fund": "resident", "metric": "visits", "item": "total", "year": year, "basis": "actual"}
        corrections.add(self.con, doc_id, quote, {**figure, "value": 1000.0}, "补录", "测试")
        return f"add to {doc_id[:6]}"

    def remove(self) -> str:
        present = _documents(self.con)
        if not present:
            return "remove (none)"
        doc_id = self.rng.choice(present)
        store.remove_document(self.con, doc_id, "重复", "测试")
        return f"remove {doc_id[:6]}"

    def step(self) -> str:
        if not self.files:
            return self.new_reports()
        writes = [self.new_reports, self.reingest, self.move_region, self.correct, self.correct_year]
        writes += [self.reject, self.confirm, self.restore, self.add, self.remove]
        try:
            return self.rng.choice(writes)()
        except corrections.CorrectionError as exc:  # refused (e.g. no change): nothing written
            return f"refused: {exc}"


@pytest.mark.parametrize("seed", range(8))
def test_stored_indicators_equal_a_recomputation_after_any_writes(tmp_path, seed):
    rng = random.Random(seed)
    folder = tmp_path / "reports"
    folder.mkdir()
    con = store.connect(tmp_path / "p.duckdb")
    try:
        writer = Writer(con, folder, rng)
        done = []
        for _ in range(14):
            done.append(writer.step())
            assert indicators.differences(con) == {}, done
        assert con.execute("SELECT count(*) FROM indicator_store").fetchone()[0] > 0, done
    finally:
        con.close()


def test_a_failed_write_leaves_the_stored_indicators_as_they_were(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    folder.mkdir()
    con = store.connect(tmp_path / "f.duckdb")
    try:
        writer = Writer(con, folder, random.Random(1))
        writer.new_reports()
        before = con.execute("SELECT * FROM indicator_store ORDER BY ALL").fetchall()

        def broken(con, regions):
            raise RuntimeError("disk full")

        monkeypatch.setattr(indicators, "refresh", broken)
        with pytest.raises(RuntimeError):
            writer.correct()
        monkeypatch.undo()
        assert con.execute("SELECT * FROM indicator_store ORDER BY ALL").fetchall() == before
        assert con.execute("SELECT count(*) FROM correction").fetchone()[0] == 0  # the whole write undone
        assert indicators.differences(con) == {}
    finally:
        con.close()


def _indicator_rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT * FROM indicators ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_a_file_of_the_previous_version_is_upgraded_on_open_with_its_indicators_stored(tmp_path):
    path = tmp_path / "v8.duckdb"
    shutil.copyfile(FIXTURE_V8, path)
    assert store.file_version(path) == 8
    computed_by_v8 = _indicator_rows(path)  # the old file's views compute them on reading
    assert len(computed_by_v8) == 13

    memory = database.open_database(str(path))  # the app opening it upgrades it
    try:
        shown = memory.execute("SELECT count(*) FROM ind WHERE view_basis = 'actual'").fetchone()[0]
    finally:
        memory.close()
    assert store.file_version(path) == store.latest_version()
    assert _indicator_rows(path) == computed_by_v8  # now read from the stored table
    con = duckdb.connect(str(path))
    try:
        assert indicators.differences(con) == {}
        stored = con.execute("SELECT count(*) FROM indicator_store WHERE view_basis = 'actual'").fetchone()[0]
        assert shown == stored > 0
        # the confirmation the old file held still brings its figure in
        confirmed = con.execute(
            "SELECT count(*) FROM indicator_values v JOIN correction c ON c.action = 'confirm' "
            "JOIN fact f ON f.fact_id = v.fact_id AND f.doc_id = c.doc_id AND f.quote_start = c.anchor_start"
        ).fetchone()[0]
        assert confirmed >= 1
    finally:
        con.close()


def test_opening_reads_the_stored_indicators_and_never_computes_them(seeds_db, tmp_path, monkeypatch):
    """The app's read connection holds views over the stored tables: emptying a stored table (not
    something MedFund ever does) empties what the app shows, so nothing recomputes on open."""
    path = tmp_path / "s.duckdb"
    shutil.copyfile(seeds_db, path)
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM indicator_store WHERE view_basis = 'actual'")
    con.close()
    memory = database.open_database(str(path))
    try:
        assert memory.execute("SELECT count(*) FROM ind WHERE view_basis = 'actual'").fetchone()[0] == 0
        assert memory.execute("SELECT count(*) FROM ind WHERE view_basis = 'budget'").fetchone()[0] > 0
    finally:
        memory.close()


def test_the_app_holds_no_lock_and_leaves_no_snapshot_behind(seeds_db, tmp_path, monkeypatch):
    monkeypatch.setattr(database, "SNAPSHOT_DIR", tmp_path / "snapshots")
    path = tmp_path / "l.duckdb"
    shutil.copyfile(seeds_db, path)
    memory = database.open_database(str(path))
    try:
        assert list((tmp_path / "snapshots").iterdir()) == []  # attached, then unlinked at once
        writer = store.connect(path)  # a writer gets the file while the app reads its snapshot
        writer.execute("DELETE FROM indicator_store")
        writer.close()
        assert memory.execute("SELECT count(*) FROM ind").fetchone()[0] > 0  # the snapshot is unchanged
    finally:
        memory.close()


def test_snapshots_go_to_a_folder_of_this_user_only(seeds_db, tmp_path, monkeypatch):
    shared = tmp_path / "open"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setattr(database, "SNAPSHOT_DIR", shared)
    with pytest.raises(database.SnapshotFailed, match="不属于当前用户或对他人开放"):
        database.open_database(str(seeds_db))
    assert list(shared.iterdir()) == []


def test_data_waiting_in_the_write_ahead_log_is_a_new_version(tmp_path):
    path = tmp_path / "v.duckdb"
    store.connect(path).close()
    before = database.version(path)
    wal = path.with_name(path.name + ".wal")
    wal.write_bytes(b"x" * 10)  # as a writer killed before its checkpoint leaves it
    assert database.version(path) != before
