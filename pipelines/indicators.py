"""The indicators stored in the file, kept equal to what the facts give.

Indicators (pipelines/sql/indicators.sql) are computed when facts are written, not when a file is
read: every write — an ingest, a correction, a removal — calls :func:`refresh` inside its own
transaction with the regions it touched, whose rows in the stored tables are replaced by a
recomputation of those regions alone.  A region's indicators depend on its own facts only (growth
and the roll-forward check look at its previous year, never at another region), so refreshing the
touched regions leaves the tables equal to a recomputation of everything: :func:`differences`
says where they are not (tests run it after every kind of write).  :func:`rebuild` recomputes
everything, after migrations (a new definition) and for generated files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import duckdb


class Stored(NamedTuple):
    table: str  # the stored table
    macro: str  # the table macro of indicators.sql that computes its rows for a list of regions


# each a function of the facts alone (the macros call each other)
STORED = (
    Stored("indicator_value_store", "indicator_values_in"),
    Stored("indicator_store", "indicators_in"),
    Stored("indicator_check_store", "indicator_checks_in"),
    # facts held out of the indicators until a steward confirms them (read beside the indicators)
    Stored("indicator_held_store", "indicator_held_facts_in"),
)
VIEWS_FILE = Path(__file__).with_name("sql") / "indicator_views.sql"


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Compute every stored table whole (re-created: a new definition may bring new columns), then
    the views over them.  Runs in the caller's transaction."""
    for stored in STORED:
        # in region order: a reader asking for a few regions skips most of the table (zone maps)
        con.execute(
            f"CREATE OR REPLACE TABLE {stored.table} AS SELECT * FROM {stored.macro}(NULL) ORDER BY region_code"
        )
    con.execute(VIEWS_FILE.read_text(encoding="utf-8"))


def refresh(con: duckdb.DuckDBPyConnection, regions: Iterable[str | None]) -> None:
    """Replace the stored rows of `regions` by a recomputation; runs in the caller's transaction."""
    codes = sorted({code for code in regions if code})
    if not codes:
        return
    for stored in STORED:
        con.execute(
            f"DELETE FROM {stored.table} WHERE list_contains($regions, region_code)", {"regions": codes}
        )
        con.execute(f"INSERT INTO {stored.table} SELECT * FROM {stored.macro}($regions)", {"regions": codes})


def regions_of_documents(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str]) -> set[str]:
    """The regions whose indicators the documents' facts (and their reports) feed, as stored now."""
    ids = sorted(set(doc_ids))
    if not ids:
        return set()
    rows = con.execute(
        "SELECT region_code FROM report WHERE list_contains($ids, doc_id) AND region_code IS NOT NULL "
        "UNION SELECT region_code FROM fact WHERE list_contains($ids, doc_id) AND region_code IS NOT NULL",
        {"ids": ids},
    ).fetchall()
    return {row[0] for row in rows}


def differences(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per stored table, the rows that differ from a recomputation of everything (both ways);
    empty when the stored tables are current."""
    found: dict[str, int] = {}
    for stored in STORED:
        fresh = f"SELECT * FROM {stored.macro}(NULL)"
        n = con.execute(
            f"SELECT (SELECT count(*) FROM ({fresh} EXCEPT ALL SELECT * FROM {stored.table})) "
            f"+ (SELECT count(*) FROM (SELECT * FROM {stored.table} EXCEPT ALL {fresh}))"
        ).fetchone()[0]
        if n:
            found[stored.table] = int(n)
    return found
