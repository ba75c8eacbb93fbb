"""Shared fixtures: the extractor, the bundled reports and a built database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "data" / "reports"
SHARED = ROOT.parent / "shared"

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def extractor():
    from pipelines.extract import Extractor

    return Extractor()


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory) -> Path:
    """The five bundled reports ingested once through the command line."""
    db = tmp_path_factory.mktemp("seeds") / "seeds.duckdb"
    result = run_cli("ingest", "--db", str(db), str(REPORTS))
    assert result.returncode == 0, result.stderr
    return db


@pytest.fixture(scope="module")
def con(seeds_db):
    """The dashboard's in-memory copy of the seeds database (tests may override with their own)."""
    from dashboard.core import database

    connection = database.open_database(str(seeds_db))
    yield connection
    connection.close()


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def report_copy(tmp_path) -> Path:
    """A folder with copies of the five bundled reports."""
    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    return folder


def make_fact(metric: str, value: float, **fields):
    """A valid Fact with test defaults (荆州市 2023, employee, total, actual); ``fields`` override."""
    from itertools import count

    from pipelines.models import METRIC_UNIT, Fact, Metric

    make_fact.ids = getattr(make_fact, "ids", count(1))
    defaults = {
        "fact_id": f"f{next(make_fact.ids)}",
        "doc_id": "d",
        "region_code": "421000",
        "region_name": "荆州市",
        "region_level": "city",
        "year": 2023,
        "fund": "employee",
        "item": "total",
        "basis": "actual",
        "derived": False,
        "quote": f"{metric}{value}",
        "start": 0,
        "end": 5,
        "rule_id": "test",
    }
    return Fact(metric=metric, value=value, unit=METRIC_UNIT[Metric(metric)].value, **(defaults | fields))
