"""The default data set (data/reports: the five seeds, and data/reports/public: real public texts
with their sidecars) as a fresh start builds it (dashboard/core/build.py, the app's first start),
measured on the built database by the app's own rules: only vouched figures reach the
`indicators` view, so a region shows a trend where it has indicators for two years or more.

The goal was national figures for every year 2012–2024, five provinces and fifteen cities or
counties with two years or more. What the stored public pages allowed (tests/corpus/ and the
texts found for this data set; see README "The default data set") reaches less: national
2011–2012 and 2015–2024 (2013 and 2014 only in texts whose figures wait in 待核查), two provinces
and eight cities or counties. These floors guard what a fresh start shows today."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import REPORTS, SEEDS

from dashboard.core.build import DEFAULT_FOLDERS, build_database, report_files
from pipelines import sidecar
from scripts.data_coverage import coverage

PUBLIC = REPORTS / "public"


@pytest.fixture(scope="module")
def default_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("default") / "medfund.duckdb"
    outcomes = build_database(db)
    assert outcomes and all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    return db


@pytest.fixture(scope="module")
def con(default_db):
    connection = duckdb.connect(str(default_db), read_only=True)
    yield connection
    connection.close()


def test_a_fresh_start_reads_the_seeds_and_every_public_text():
    files = report_files(DEFAULT_FOLDERS)
    assert set(SEEDS) <= set(files)
    public = sorted(PUBLIC.glob("*.txt"))
    assert len(public) >= 250
    assert set(files) == set(SEEDS) | set(public)


def test_every_public_text_keeps_its_public_address(con):
    stored = dict(con.execute("SELECT file_name, source_url FROM documents").fetchall())
    for text in sorted(PUBLIC.glob("*.txt")):
        meta = yaml.safe_load(sidecar.sidecar_of(text).read_text(encoding="utf-8"))
        assert str(meta["source_url"]).startswith(("http://", "https://")), text.name
        assert meta.get("retrieved"), text.name
        assert stored[text.name] == meta["source_url"], text.name
    assert all(stored[seed.name] is None for seed in SEEDS)


def test_national_figures_for_the_years_the_public_texts_give(con):
    years = set(coverage(con).national_years)
    assert {2012, *range(2015, 2025)} <= years, sorted(years)


def test_provinces_and_cities_or_counties_with_trends(con):
    found = coverage(con)
    provinces = found.trends("province")
    local = found.trends("city", "county")
    assert len(provinces) >= 2, provinces
    assert len(local) >= 8, local
    # the public texts, not only the seeds, give trends: most local trends are theirs
    seeded = {"430903", "431124"}  # 赫山区 and 道县 (two years each in the seeds)
    assert len([r for r in local if r.code not in seeded]) >= 6, local
