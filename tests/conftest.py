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
