"""Every shared fixture (and the helpers test modules import: ``from conftest import …``).

Fixtures used by more than one module live here, once; a fixture only one module uses stays in
that module under a name no other module uses.  Report files are built by the plain functions
of tests/fixture_files.py (a helper module, no fixtures).
"""

from __future__ import annotations

import contextlib
import functools
import io
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from dashboard.core import auth

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "data" / "reports"
# the five bundled reports (the top level of data/reports, scored against ../shared/gold/seeds.csv);
# data/reports/public beside them holds the real public texts of the default data set
SEEDS = tuple(sorted(REPORTS.glob("*.txt")))
SHARED = ROOT.parent / "shared"
STEWARD, STEWARD_PASSWORD = "alice", "correct-horse-battery"


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """argon2id with the smallest cost: the tests check who may log in, not the hash's strength
    (a hash records its own cost, so verifying stays correct)."""
    saved = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    auth._hasher = saved


@pytest.fixture(autouse=True, scope="session")
def component_scan_once():
    """Streamlit scans every installed package's metadata for v2 components each time an AppTest
    starts (≈0.3 s, most of a short page test); the installed packages do not change during a
    test run, so the scan runs once.  `setattr` fails loudly if Streamlit renames the scanner."""
    from streamlit.components.v2 import manifest_scanner

    patch = pytest.MonkeyPatch()
    scan = functools.cache(manifest_scanner.scan_component_manifests)
    patch.setattr(manifest_scanner, "scan_component_manifests", lambda: list(scan()))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def fresh_login_throttle():
    """Every test starts with no failed logins remembered (the throttle is process-wide)."""
    auth.THROTTLE.reset()
    yield
    auth.THROTTLE.reset()


@pytest.fixture(scope="session")
def extractor():
    from pipelines.extract import Extractor

    return Extractor()


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory) -> Path:
    """The five bundled reports ingested once through the command line (in-process), as a fresh
    start has them: the figures marked `review` wait in the 待核查 queue, out of every indicator."""
    db = tmp_path_factory.mktemp("seeds") / "seeds.duckdb"
    result = run_cli("ingest", "--db", str(db), *map(str, SEEDS))
    assert result.returncode == 0, result.stderr
    return db


CONFIRMER = "测试校核人"


@pytest.fixture(scope="session")
def vouched_db(seeds_db, tmp_path_factory) -> Path:
    """The bundled reports as a steward leaves them after clearing the 待核查 queue: every `review`
    figure confirmed as read (each agrees with ../shared/gold/seeds.csv; tests/test_seeds.py)."""
    from pipelines import corrections, store

    db = tmp_path_factory.mktemp("vouched") / "vouched.duckdb"
    shutil.copy(seeds_db, db)
    connection = store.connect(db)
    try:
        waiting = connection.execute("SELECT fact_id FROM fund_facts WHERE confidence = 'review'").fetchall()
        for (fact_id,) in waiting:
            corrections.confirm(connection, fact_id, "核对原文无误", CONFIRMER)
    finally:
        connection.close()
    return db


@pytest.fixture(scope="module")
def con(seeds_db):
    """The dashboard's in-memory copy of the seeds database (tests may override with their own)."""
    from dashboard.core import database

    connection = database.open_database(str(seeds_db))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def vouched_con(vouched_db):
    """The dashboard's in-memory copy of the seeds after a steward cleared the 待核查 queue."""
    from dashboard.core import database

    connection = database.open_database(str(vouched_db))
    yield connection
    connection.close()


@pytest.fixture
def db_path(seeds_db, tmp_path, monkeypatch) -> Path:
    """A writable copy of the seeds database for one test, which the app opens (MEDFUND_DB)."""
    path = tmp_path / "medfund.duckdb"
    shutil.copy(seeds_db, path)
    monkeypatch.setenv("MEDFUND_DB", str(path))
    return path


@pytest.fixture
def writable_con(db_path):
    """A read-write connection (pipelines.store) to the test's copy of the seeds database."""
    from pipelines import store

    connection = store.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def users(tmp_path, monkeypatch) -> Path:
    """A users file not written yet (its folder exists), in this test's folder; MEDFUND_USERS points at it."""
    from dashboard.core import auth

    path = tmp_path / "config" / "users.json"
    path.parent.mkdir()
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    return path


@pytest.fixture
def steward(users) -> Path:
    """The users file holding one editor, STEWARD with STEWARD_PASSWORD."""
    from dashboard.core import auth

    auth.add_user(STEWARD, STEWARD_PASSWORD, path=users)
    return users


@pytest.fixture(scope="session")
def entry(tmp_path_factory) -> Path:
    """A copy of app.py in a folder of its own, for AppTest.

    Next to a `pages/` folder Streamlit's test runner falls back to the old pages-directory mode
    on every rerun, which runs a page without its entry point (so without the shared sidebar).
    The page files are registered by absolute path, so the copy runs the same app."""
    folder = tmp_path_factory.mktemp("entry")
    shutil.copy(ROOT / "app.py", folder / "app.py")
    return folder / "app.py"


def _opener(entry: Path, db: Path, monkeypatch) -> Callable[..., object]:
    monkeypatch.setenv("MEDFUND_DB", str(db))

    def open_(page: str | None = None, **params) -> AppTest:
        at = AppTest.from_file(str(entry), default_timeout=60)
        at.query_params.update(params)
        at.run()
        if page is not None:
            at.switch_page(str(ROOT / page)).run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_


@pytest.fixture
def open_app(entry, seeds_db, monkeypatch) -> Callable[..., object]:
    """open_app(page=None, **query_params): the app in AppTest on the seeds database (as a fresh
    start has it), run once."""
    return _opener(entry, seeds_db, monkeypatch)


@pytest.fixture
def open_vouched(entry, vouched_db, monkeypatch) -> Callable[..., object]:
    """open_vouched(page=None, **query_params): the app on the seeds with every figure confirmed."""
    return _opener(entry, vouched_db, monkeypatch)


def start_app(entry: Path, page: str | None = None, **params) -> AppTest:
    """The app (on MEDFUND_DB) opened with the link's query parameters, then switched to `page`;
    it must run without an exception."""
    at = AppTest.from_file(str(entry), default_timeout=90)
    at.query_params.update(params)
    at.run()
    if page:
        at.switch_page(str(ROOT / page)).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at) -> str:
    """Everything a reader sees as text on an AppTest page (markdown, captions, alerts, titles)."""
    parts = [
        e.value
        for kind in ("title", "subheader", "markdown", "caption", "info", "error", "warning", "success")
        for e in getattr(at, kind)
    ]
    parts += [e.label for e in at.expander] + [m.label + m.value for m in at.metric]
    return "\n".join(str(p) for p in parts)


def run_main(
    main: Callable[[list[str]], int], argv: Sequence[str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """A command line's main(argv) run in this process, as a finished process: exit status, stdout
    and stderr (argparse's usage errors exit 2 here as they do in a process)."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        sys.stdin = saved_stdin
    return subprocess.CompletedProcess(list(argv), code, out.getvalue(), err.getvalue())


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m pipelines ARGS…` in-process (pipelines.cli.main)."""
    from pipelines import cli

    return run_main(cli.main, args)


def run_dashboard_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m dashboard ARGS…` in-process (dashboard.cli.main)."""
    from dashboard import cli

    return run_main(cli.main, args, stdin)


def run_process(package: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m PACKAGE ARGS…` as a real process, where the process itself is what is tested."""
    return subprocess.run(
        [sys.executable, "-m", package, *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def report_copy(tmp_path) -> Path:
    """A folder with copies of the five bundled reports."""
    folder = tmp_path / "reports"
    folder.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, folder / seed.name)
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


# region code → (name, level, parent) for constructed reports
CONSTRUCTED_REGIONS = {
    "431124": ("道县", "county", "431100"),
    "621026": ("宁县", "county", "621000"),
    "421000": ("荆州市", "city", "420000"),
}


def constructed_db(
    path: Path, reports: dict[str, list[dict]], checks: dict[str, list[dict]] | None = None
) -> Path:
    """A MedFund file holding constructed reports, written through pipelines.store.

    ``reports``: report title → its figures, each a dict with ``metric``, ``value`` (base units),
    ``quote`` and any Fact field to override (year 2024, fund resident, item total, basis actual,
    region 431124 道县 by default; ``confidence="review"`` with ``confidence_reasons`` for a figure
    waiting in the queue).  A report's text is its quotes, one a line, so each quote occurs in it.
    ``checks``: report title → CheckResult fields (doc_id filled in)."""
    import hashlib

    from pipelines import store
    from pipelines.models import CheckResult, Document

    connection = store.connect(path)
    try:
        for n, (title, figures) in enumerate(reports.items()):
            doc_id = hashlib.sha256(title.encode("utf-8")).hexdigest()
            text = "\n".join(f["quote"] for f in figures)
            code = figures[0].get("region_code", "431124") if figures else "431124"
            name, level, parent = CONSTRUCTED_REGIONS[code]
            doc = Document(
                doc_id=doc_id,
                file_name=f"{title}.txt",
                source_path=f"/constructed/{title}.txt",
                text=text,
                reader="txt",
                encoding="utf-8",
                size_bytes=len(text.encode("utf-8")),
                report_year=max((f.get("year", 2024) for f in figures), default=2024),
                year_evidence="",
                title=title,
                genre="部门整体支出绩效自评报告",
                region_code=code,
                region_name=name,
                region_level=level,
                region_parent_code=parent,
                region_confidence="high",
                region_evidence=(),
                n_facts=len(figures),
                n_rejections=0,
            )
            facts, start = [], 0
            for i, spec in enumerate(figures):
                spec = dict(spec)
                metric, value, quote = spec.pop("metric"), spec.pop("value"), spec.pop("quote")
                region = spec.pop("region_code", code)
                region_name, region_level, _ = CONSTRUCTED_REGIONS[region]
                facts.append(
                    make_fact(
                        metric,
                        value,
                        **{
                            "fact_id": f"{doc_id[:16]}-{i:04d}",
                            "doc_id": doc_id,
                            "region_code": region,
                            "region_name": region_name,
                            "region_level": region_level,
                            "year": 2024,
                            "fund": "resident",
                            "quote": quote,
                            "start": start,
                            "end": start + len(quote),
                        }
                        | spec,
                    )
                )
                start += len(quote) + 1
            found = [CheckResult(doc_id=doc_id, **c) for c in (checks or {}).get(title, [])]
            store.replace_documents(connection, [store.DocumentRows(doc, facts, [], found)], f"t{n}")
    finally:
        connection.close()
    return path
