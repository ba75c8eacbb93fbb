"""数据截至: how new the figures of a view are (pure; no Streamlit, no SQL).

The newest report period is the latest year — or part of a year (2025年1-9月) — of the vouched
outcomes (whole-year actual or partial figures, never budgets or estimates) of the regions and
funds in view; with no region chosen, of the whole library.  The last ingest is when a report
was last imported into the library (one moment for the whole database).  Every page's header,
the workbook's 说明 sheet and the deck's title slide say both (query `data_as_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from dashboard.core.progress import parse_period

WHOLE_YEAR = 12.0
NEWEST_MEANS = (
    "所选地区和险种已核实的实际数（含一季度、1-9月等年内数据）所属的最新年度或期间，"
    "不含预算数和预计数；未选地区时按全库计"
)
INGEST_MEANS = "最近一次把报告导入数据库的时间"
HELP = f"数据截至：{NEWEST_MEANS}。最近导入：{INGEST_MEANS}。"


@dataclass(frozen=True)
class DataAsOf:
    newest: str | None  # 2024年, 2025年1-9月; None when no vouched outcome is in view
    last_ingest: datetime | None

    @property
    def text(self) -> str:
        """数据截至 2025年1-9月 · 最近导入 2025-01-01 10:00 (the parts known)."""
        parts = []
        if self.newest:
            parts.append(f"数据截至 {self.newest}")
        if self.last_ingest is not None:
            parts.append(f"最近导入 {self.last_ingest:%Y-%m-%d %H:%M}")
        return " · ".join(parts)


def query_params(regions: Sequence[str], funds: Sequence[str]) -> dict:
    """The parameters of query `data_as_of`: the view's regions and funds, or the whole library
    when no region is chosen."""
    return {"all_regions": not regions, "regions": list(regions), "funds": list(funds)}


def _reach(year: int, period: str | None) -> tuple[int, float]:
    """How far into time a figure reaches: (year, months into it)."""
    if period is None:
        return year, WHOLE_YEAR
    parsed = parse_period(period)
    return year, parsed.months if parsed else 0.0


def data_as_of(rows: pl.DataFrame) -> DataAsOf:
    """The newest period and the last ingest from the rows of query `data_as_of`."""
    last_ingest = rows["last_ingest"][0] if rows.height else None
    known = rows.filter(pl.col("year").is_not_null())
    if known.is_empty():
        return DataAsOf(None, last_ingest)
    year, period = max(
        ((int(r["year"]), r["period"]) for r in known.iter_rows(named=True)),
        key=lambda p: (*_reach(*p), p[1] is None),
    )
    return DataAsOf(f"{year}年" if period is None else f"{year}年{period}", last_ingest)
