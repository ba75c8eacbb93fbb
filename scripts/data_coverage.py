"""What a database shows as trends, by the app's own rules: only vouched figures reach the
`indicators` view (pipelines/sql/indicators.sql), so a region has a trend where it has indicators
for two years or more.  Prints the national years, the regions of each level with two years or
more, and the reports whose region could not be told.

    python -m scripts.data_coverage --db data/medfund.duckdb [-v]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.models import RegionLevel

NATIONAL = "100000"
_REGION_YEARS = """
SELECT region_code, any_value(region_name) AS region_name, any_value(region_level) AS region_level,
       list(DISTINCT year ORDER BY year) AS years
FROM indicators
GROUP BY region_code
ORDER BY region_level, len(years) DESC, region_code
"""
_UNRESOLVED = """
SELECT file_name, region_name, region_confidence, title
FROM documents
WHERE region_code IS NULL OR region_confidence = 'low'
ORDER BY region_code NULLS FIRST, file_name
"""


@dataclass(frozen=True)
class RegionYears:
    code: str
    name: str
    level: str
    years: tuple[int, ...]


@dataclass(frozen=True)
class Coverage:
    regions: tuple[RegionYears, ...]

    @property
    def national_years(self) -> tuple[int, ...]:
        return next((r.years for r in self.regions if r.code == NATIONAL), ())

    def trends(self, *levels: str) -> tuple[RegionYears, ...]:
        """The regions of these levels with indicators for two years or more."""
        return tuple(r for r in self.regions if r.level in levels and len(r.years) >= 2)


def coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    rows = con.execute(_REGION_YEARS).fetchall()
    return Coverage(tuple(RegionYears(code, name, level, tuple(years)) for code, name, level, years in rows))


def unresolved(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, str, str | None]]:
    """Reports whose region was not found, or found with low confidence (all their figures wait)."""
    return con.execute(_UNRESOLVED).fetchall()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="every region, and the unresolved reports"
    )
    args = parser.parse_args(argv)
    if not args.db.is_file():
        print(f"数据库不存在：{args.db}", file=sys.stderr)
        return 2
    con = duckdb.connect(str(args.db), read_only=True)
    try:
        found, lost = coverage(con), unresolved(con)
    finally:
        con.close()
    years = found.national_years
    print(f"national: {len(years)} years {list(years)}")
    for level in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY):
        with_trend = found.trends(level.value)
        print(f"{level.value}: {len(with_trend)} regions with two years or more")
        for r in with_trend:
            print(f"    {r.name} ({r.code}) {list(r.years)}")
    if args.verbose:
        print("regions with one year:")
        for r in found.regions:
            if len(r.years) == 1:
                print(f"    {r.level} {r.name} ({r.code}) {list(r.years)}")
        print(f"reports whose region is unknown or unsure: {len(lost)}")
        for file_name, region, how, title in lost:
            print(f"    {file_name}: {region or '未识别'} ({how}) {title or ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
