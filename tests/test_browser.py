"""The dashboard in a real browser: first start, every page, filters in the URL, an empty state.

The dashboard runs as `./dev.sh run` serves it (`python -m dashboard.web.serve`) on a free port.  The first-start and shared-link tests start a server
of their own against a database file that does not exist yet, so their first visit builds it from
data/reports; the other tests share a server (one per pytest-xdist worker) on a copy of the
bundled reports' database.  Debian's chromium (installed by `./dev.sh test`) is driven
through Playwright; Playwright's own browser downloads are not used.  Every page is visited once:
the first-start and filter tests check the pages they open as thoroughly as `test_page_renders`
checks the rest.  With MEDFUND_SCREENSHOTS=1 each visited page is saved whole to tests/screenshots/
(gitignored) for a look by eye.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from benchmarks import browser_bench
from dashboard.web import serve
from dashboard.web.navigation import PAGES, PageSpec

# Every test passes wherever pytest-xdist places it: a worker's first browser test starts its
# shared server, and no test depends on another having run before it.
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "tests" / "screenshots"
TAKE_SHOTS = os.environ.get("MEDFUND_SCREENSHOTS") == "1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1600, "height": 1000}  # a projector
SERVER_START_S = 60
FIRST_START_MS = 120_000  # the first visit builds the database before the page shows
PAGE_MS = 60_000
SETTLE_MS = 300  # charts draw after the script run has ended
MAX_SHOT_HEIGHT = 8000
SHOT_SIZES = ((1920, 1080), (1280, 720))  # a desktop, a projector

# Sidebar filters bound to query parameters (codes, not labels)
DAOXIAN, NINGXIAN = "431124", "621026"
# 宁县 reports 大病保险 figures but no 参保人数, the trend page's first indicator
EMPTY_REGION, EMPTY_FUND = NINGXIAN, "critical_illness"

DATAFRAME = '[data-testid="stDataFrame"]'
PAGE_CONTENT = {  # what a page must show besides its title, charts and no error
    "overview": '[data-testid="stMetric"]',
    "facts": DATAFRAME,
    "quality": DATAFRAME,
    "reports": DATAFRAME,
}

# The script run has ended, no element waits for its code and every visible chart has drawn
# (the browser benchmark waits for the same).
IDLE_JS = browser_bench.IDLE_JS


@dataclass(frozen=True)
class Server:
    url: str
    db: Path
    log: Path


_started: list[Server] = []  # every server of this module, for their logs after a failure


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeds_db: Path) -> Iterator[Server]:
    """The dashboard the tests share, on a copy of the bundled reports' database."""
    tmp = tmp_path_factory.mktemp("browser")
    shutil.copyfile(seeds_db, tmp / DB_NAME)
    with running_server(tmp) as s:
        yield s


DB_NAME = "medfund.duckdb"


@contextmanager
def running_server(tmp: Path) -> Iterator[Server]:
    """The dashboard as `./dev.sh run` serves it (the warm launcher, dashboard/web/serve.py) on a
    free port, on `tmp`'s database (built on the first visit when there is none)."""
    db, log = tmp / DB_NAME, tmp / "streamlit.log"
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            serve.command(port),
            cwd=ROOT,
            env={**os.environ, "MEDFUND_DB": str(db)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}/_stcore/health", log)
        _started.append(Server(f"http://127.0.0.1:{port}", db, log))
        yield _started[-1]
    finally:
        _stop(proc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, health: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer {health} within {SERVER_START_S} s:\n{_tail(log)}")


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(log: Path, chars: int = 8000) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else "(no log)"
    return text[-chars:]


@pytest.fixture(autouse=True)
def _server_log_on_failure(request) -> Iterator[None]:
    """Print the servers' output after a failed test (pytest shows it with the failure)."""
    failed_before, started_before = request.session.testsfailed, len(_started)
    yield
    if request.session.testsfailed > failed_before:
        shared = [request.getfixturevalue("server")] if "server" in request.fixturenames else []
        for s in [*shared, *_started[started_before:]]:
            print(f"--- streamlit output ({s.log}) ---\n{_tail(s.log)}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `./dev.sh test` installs it (apt-get install chromium fonts-noto-cjk)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class App:
    """One browser tab on the dashboard (a fresh Streamlit session)."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str, title: str, timeout: float = PAGE_MS) -> None:
        self.page.goto(self.base + path, wait_until="domcontentloaded")
        self.wait_for(title, timeout)

    def wait_for(self, title: str, timeout: float = PAGE_MS) -> None:
        """Until the page titled `title` has finished its script run and settled."""
        heading = self.page.locator('[data-testid="stMain"] h1', has_text=title)
        expect(heading).to_be_visible(timeout=timeout)
        self.page.wait_for_function(IDLE_JS, timeout=timeout)
        self.page.wait_for_timeout(SETTLE_MS)
        self.page.wait_for_function(IDLE_JS, timeout=timeout)
        assert heading.first.inner_text().strip() == title

    def assert_sound(self) -> None:
        """No Python exception on the page, no JavaScript error, nothing wider than the screen."""
        exceptions = self.page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, "\n\n".join(exceptions.all_inner_texts())
        assert not self.errors, self.errors
        main = self.page.locator('[data-testid="stMain"]')
        width, client = main.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert width <= client + 1, f"the page is wider than the window: {width} > {client} px"

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)

    def screenshot(self, name: str) -> list[Path]:
        """The whole page at a desktop's and a projector's width (with MEDFUND_SCREENSHOTS=1):
        Streamlit scrolls inside stMain, so the window grows to its height."""
        if not TAKE_SHOTS:
            return []
        SHOTS.mkdir(exist_ok=True)
        paths = []
        try:
            for width, height in SHOT_SIZES:
                self.page.set_viewport_size({"width": width, "height": height})
                self.page.wait_for_timeout(SETTLE_MS)  # plotly redraws on resize
                full = self.page.locator('[data-testid="stMain"]').evaluate("e => e.scrollHeight")
                self.page.set_viewport_size(
                    {"width": width, "height": min(max(full, height), MAX_SHOT_HEIGHT)}
                )
                self.page.wait_for_timeout(SETTLE_MS)
                path = SHOTS / f"{name}_{width}.png"
                self.page.screenshot(path=path, full_page=True)
                paths.append(path)
        finally:
            self.page.set_viewport_size(VIEWPORT)
        return paths


@contextmanager
def new_tab(browser: Browser, base: str) -> Iterator[App]:
    """A tab in a fresh browser context: no cookies, no cache, a new Streamlit session."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        with tab_in(context, base) as tab:
            yield tab
    finally:
        context.close()


@contextmanager
def tab_in(context: BrowserContext, base: str) -> Iterator[App]:
    """A new tab (a new Streamlit session) in `context`."""
    tab = App(context.new_page(), base)
    tab.page.on("pageerror", lambda error: tab.errors.append(f"{error.name}: {error.message}"))
    try:
        yield tab
    finally:
        tab.page.close()


@pytest.fixture(scope="module")
def shared_context(browser: Browser) -> Iterator[BrowserContext]:
    """One browser context for the shared server's tests: its cache keeps Streamlit's scripts
    between tabs (each tab is still a new Streamlit session)."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def app(shared_context: BrowserContext, server: Server) -> Iterator[App]:
    with tab_in(shared_context, server.url) as tab:
        yield tab


def spec_of(url_path: str) -> PageSpec:
    return next(p for p in PAGES if p.url_path == url_path)


def url_of(spec: PageSpec, **params: str) -> str:
    """The page's address (the default page is served at `/`), with query parameters."""
    path = "/" if spec == PAGES[0] else f"/{spec.url_path}"
    return f"{path}?{urlencode(params)}" if params else path


def sidebar_multiselect(page: Page, label: str) -> Locator:
    label_el = page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has=label_el)


def chips(page: Page, label: str) -> list[str]:
    """The selected options of a sidebar multiselect, as shown."""
    tags = sidebar_multiselect(page, label).locator('[data-testid="stMultiSelectTagsContainer"] [data-tag]')
    return [t.strip() for t in tags.all_inner_texts()]


def assert_rendered(locator: Locator) -> None:
    expect(locator).to_be_visible(timeout=15_000)
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0, box


def assert_page_shown(app: App, spec: PageSpec, shot: str) -> None:
    """The open page is sound, every chart drew and the page's main content is visible."""
    app.screenshot(shot)
    app.assert_sound()
    if spec.has_charts:
        charts = app.page.locator('[data-testid="stPlotlyChart"]')
        assert charts.count() >= 1, "no plotly chart on a chart page"
        for i in range(charts.count()):
            assert_rendered(charts.nth(i).locator(".js-plotly-plot .main-svg").first)
    if spec.url_path in PAGE_CONTENT:
        assert_rendered(app.page.locator(PAGE_CONTENT[spec.url_path]).filter(visible=True).first)


# pages the first-start and filter tests open and check; test_page_renders visits the others
CHECKED_ELSEWHERE = ("overview", "trends", "balance")


@pytest.mark.slow
def test_first_start_builds_the_database_and_shows_the_overview(browser: Browser, tmp_path: Path):
    with running_server(tmp_path) as fresh, new_tab(browser, fresh.url) as app:
        assert not fresh.db.exists()
        app.open(url_of(PAGES[0]), PAGES[0].title, timeout=FIRST_START_MS)
        assert fresh.db.exists()
        # the first start's status box stays on the page, collapsed, with its progress bar
        expect(app.page.get_by_text("数据库已建立")).to_be_visible()
        assert app.page.locator('[data-testid="stProgress"]').count() >= 1
        assert_page_shown(app, PAGES[0], "first_start")


@pytest.mark.parametrize(
    "spec", [p for p in PAGES if p.url_path not in CHECKED_ELSEWHERE], ids=lambda p: p.url_path
)
def test_page_renders(app: App, spec: PageSpec):
    app.open(url_of(spec), spec.title)
    assert_page_shown(app, spec, spec.url_path)


def test_every_page_is_visited():
    assert PAGES[0].url_path == CHECKED_ELSEWHERE[0]
    assert {p.url_path for p in PAGES} >= set(CHECKED_ELSEWHERE)


def test_filters_travel_in_the_url_and_across_pages(app: App):
    trends, balance = spec_of("trends"), spec_of("balance")
    app.open(url_of(trends, region=DAOXIAN, fund="resident"), trends.title)
    assert_page_shown(app, trends, "filters_trends")
    shown = chips(app.page, "地区")
    assert len(shown) == 1 and shown[0].startswith("道县"), shown
    assert app.query().get("region") == [DAOXIAN], app.page.url

    app.page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=balance.title).click()
    app.wait_for(balance.title)
    assert_page_shown(app, balance, "filters_balance")
    assert urlsplit(app.page.url).path == url_of(balance)
    assert app.query().get("region") == [DAOXIAN], app.page.url
    assert app.query().get("fund") == ["resident"], app.page.url
    shown = chips(app.page, "地区")
    assert len(shown) == 1 and shown[0].startswith("道县"), shown
    assert chips(app.page, "险种") == ["居民医保"]


def test_a_link_to_the_overviews_own_path_opens_it_with_its_filters(app: App):
    overview = spec_of("overview")
    app.open(f"/{overview.url_path}?{urlencode({'region': DAOXIAN, 'fund': 'resident'})}", overview.title)
    app.assert_sound()
    expect(app.page.get_by_text("Page not found")).to_have_count(0)
    assert urlsplit(app.page.url).path == "/", app.page.url
    assert app.query().get("region") == [DAOXIAN] and app.query().get("fund") == ["resident"], app.page.url
    shown = chips(app.page, "地区")
    assert len(shown) == 1 and shown[0].startswith("道县"), shown


def test_empty_state_says_what_is_missing(app: App):
    trends = spec_of("trends")
    app.open(url_of(trends, region=EMPTY_REGION, fund=EMPTY_FUND), trends.title)
    app.screenshot("empty_state")
    app.assert_sound()
    assert app.query().get("region") == [EMPTY_REGION], app.page.url
    info = app.page.locator('[data-testid="stAlertContentInfo"]').filter(has_text="未披露")
    expect(info.first).to_be_visible()


def test_the_written_analysis_opens_to_its_quotes_and_the_budget_section_draws(app: App):
    overview, balance = spec_of("overview"), spec_of("balance")
    app.open(url_of(overview, region=DAOXIAN, fund="resident"), overview.title)
    sentence = app.page.locator(".mf-nar details summary").first
    expect(sentence).to_contain_text("城乡居民基本医疗保险基金收入6.24亿元")
    income = sentence.locator(".mf-fig").first  # its quote on hover
    assert "「本年基金收入合计62389.85万元」" in income.get_attribute("title")
    sentence.click()
    opened = app.page.locator(".mf-nar details[open] table")
    expect(opened).to_contain_text("本年基金收入合计62389.85万元")
    app.screenshot("overview_analysis")
    app.assert_sound()
    app.open(url_of(balance, region=DAOXIAN, fund="resident"), balance.title)
    chart = app.page.locator('[data-testid="stPlotlyChart"]').filter(has_text="预算执行率")
    assert_rendered(chart.locator(".main-svg").first)
    expect(app.page.locator('[data-testid="stMain"]')).to_contain_text("预算执行数据来源（4 条）")
    app.screenshot("balance_budget")
    app.assert_sound()


@pytest.mark.slow
def test_a_shared_link_on_a_fresh_server_opens_the_dashboard_and_keeps_its_filters(
    browser: Browser, tmp_path: Path
):
    """A link to a page (not `/`) as the very first request after the server starts: that run is
    in Streamlit's pages/ folder mode. The page must run inside app.py (menu, filters, first
    start), and app.py must leave that mode before drawing any widget, or the sidebar's widgets
    would lose their values on the session's first page change."""
    overview, trends = PAGES[0], spec_of("trends")
    with running_server(tmp_path) as fresh, new_tab(browser, fresh.url) as app:
        app.open(url_of(trends, region=DAOXIAN, fund="resident"), trends.title, timeout=FIRST_START_MS)
        app.screenshot("shared_link_fresh_server")
        app.assert_sound()
        nav = app.page.locator('[data-testid="stSidebarNavLink"] [data-testid="stMarkdownContainer"]')
        assert [t.strip() for t in nav.all_inner_texts()] == [p.title for p in PAGES], (
            "the page ran without app.py (Streamlit's pages/ folder mode): no menu titles, filters or first start"
        )
        assert fresh.db.exists(), "the first start did not build the database"
        shown = chips(app.page, "地区")
        assert len(shown) == 1 and shown[0].startswith("道县"), shown
        # the session's first page change keeps the filters
        app.page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=overview.title).click()
        app.wait_for(overview.title)
        app.assert_sound()
        shown = chips(app.page, "地区")
        assert len(shown) == 1 and shown[0].startswith("道县"), shown
        assert chips(app.page, "险种") == ["居民医保"]


# --- numbers on screen traced to their facts and quotes ---------------------------------------

# (region, fund, year): 道县 居民医保 2024 (可支付月数 3.9, not 4.0), 道县 2023 (结余率 −13.1%, not
# −13.2%), 宁县 居民医保 2019 (基金支出 3.55 亿元: the repeated paragraph counted once, not 7.09),
# 益阳市 医疗救助 2020 (救助人数, never 参保人数), 益阳市 职工医保 2020
TRACED = (
    ("431124", "resident", 2024),
    ("431124", "resident", 2023),
    ("621026", "resident", 2019),
    ("430900", "assistance", 2020),
    ("430900", "employee", 2020),
)
_SCALES = {
    "亿元": 1e8,
    "万元": 1e4,
    "万人次": 1e4,
    "万人": 1e4,
    "人次": 1,
    "人": 1,
    "个月": 1,
    "%": 1,
    "元": 1,
}
_SHOWN = re.compile(r"^(-?[\d,]+(?:\.(\d+))?)\s*(亿元|万元|万人次|万人|人次|人|个月|%|元)$")


def _shown_value(text: str) -> tuple[float, float]:
    """A card's text as a number in base units, and half its last shown digit (the rounding)."""
    m = _SHOWN.match(text.strip())
    assert m, f"a card shows «{text}»"
    scale = _SCALES[m[3]]
    return float(m[1].replace(",", "")) * scale, 0.5 * 10 ** -len(m[2] or "") * scale


def _cards_on_screen(page: Page) -> list[tuple[str, str]]:
    cards = page.locator('[data-testid="stMetric"]')
    out = []
    for i in range(cards.count()):
        label = cards.nth(i).locator('[data-testid="stMetricLabel"]').inner_text().strip()
        value = cards.nth(i).locator('[data-testid="stMetricValue"]').inner_text().strip()
        out.append((label.split("（")[0], value))
    return out


def _traced_fact(con, region: str, year: int, fund: str, metric: str) -> float:
    """The chosen fact's value, after checking that its quote is in its report and states it."""
    from pipelines.numbers import find_quantities

    value, quote, doc_id, derived, computed = con.execute(
        "SELECT v.value, v.quote, v.doc_id, v.derived, v.computed FROM indicator_values v "
        "WHERE v.region_code = ? AND v.year = ? AND v.fund = ? AND v.metric = ?",
        [region, year, fund, metric],
    ).fetchone()
    text = con.execute("SELECT text FROM documents WHERE doc_id = ?", [doc_id]).fetchone()[0]
    for part in quote.split(" ＋ "):  # a computed total quotes each of its parts
        assert part in text, f"the quote «{part}» is not in its report"
    stated = [q.value for q in find_quantities(quote)]
    if computed:  # rural + urban: the parts' numbers add up to it
        assert any(abs(sum(c) - value) <= 1e-6 * abs(value) for c in _subsets(stated)), (quote, value)
    elif not derived:  # a derived figure quotes the change it comes from
        assert any(abs(q - value) <= 1e-6 * max(abs(value), 1) for q in stated), (quote, value)
    return value


def _subsets(values: list[float]) -> Iterator[tuple[float, ...]]:
    from itertools import combinations

    for n in range(2, len(values) + 1):
        yield from combinations(values, n)


def test_numbers_on_screen_trace_to_their_facts_and_quotes(
    browser: Browser, tmp_path: Path, vouched_db: Path
):
    import duckdb

    from dashboard.core.settings import settings

    cfg = settings()
    key_of = {spec.name: key for key, spec in cfg.indicators.items()}
    shutil.copyfile(vouched_db, tmp_path / DB_NAME)
    traced = []
    with running_server(tmp_path) as s, new_tab(browser, s.url) as app:
        con = duckdb.connect(str(vouched_db), read_only=True)
        try:
            for region, fund, year in TRACED:
                app.open(f"/overview?region={region}&fund={fund}&from={year}&to={year}", "总览")
                app.assert_sound()
                cards = _cards_on_screen(app.page)
                assert cards, (region, fund, year)
                for label, text in cards:
                    key = key_of[label]
                    shown, half = _shown_value(text)
                    metric = "insured" if key == "assisted" else key
                    if key in ("balance_rate", "months_of_reserves", "balance"):
                        income = (
                            _traced_fact(con, region, year, fund, "income")
                            if key != "months_of_reserves"
                            else 0
                        )
                        spending = _traced_fact(con, region, year, fund, "expenditure")
                        if key == "months_of_reserves":
                            truth = _traced_fact(con, region, year, fund, "cumulative_balance") / (
                                spending / 12
                            )
                        elif key == "balance_rate":
                            truth = 100 * (income - spending) / income
                        else:
                            truth = income - spending
                    else:
                        truth = _traced_fact(con, region, year, fund, metric)
                    assert abs(shown - truth) <= half * 1.0001, (region, fund, year, label, text, truth)
                    traced.append((region, year, fund, label, text))
        finally:
            con.close()
    shown = {(r, y, f, label): text for r, y, f, label, text in traced}
    assert shown[("431124", 2024, "resident", "可支付月数")] == "3.9 个月"
    assert shown[("431124", 2023, "resident", "当期结余率")] == "-13.1%"
    assert shown[("621026", 2019, "resident", "基金支出")] == "3.55 亿元"
    assert ("430900", 2020, "assistance", "救助人数") in shown
    assert not any(f == "assistance" and label == "参保人数" for _, _, f, label in shown)
    assert len(traced) >= 10, traced


# --- the 待核查 queue in the browser -----------------------------------------------------------


def test_a_steward_clears_the_queue_and_the_figure_reaches_the_cards(
    browser: Browser, tmp_path: Path, seeds_db: Path, monkeypatch
):
    import duckdb
    from conftest import SEEDS, run_cli

    from dashboard.core import auth

    users = tmp_path / "users.json"
    auth.add_user("alice", "correct-horse-battery", path=users)
    monkeypatch.setenv(auth.USERS_ENV, str(users))
    shutil.copyfile(seeds_db, tmp_path / DB_NAME)
    # 益阳市 2019 职工医保 参保人数 374158 人 waits (its report's title names no year)
    view = "region=430900&fund=employee&from=2019&to=2019"
    with running_server(tmp_path) as s, new_tab(browser, s.url) as app:
        app.open(f"/overview?{view}", "总览")
        cards = dict(_cards_on_screen(app.page))
        assert "参保人数" not in cards, cards
        expect(app.page.get_by_text("待核查", exact=False).first).to_be_visible()

        app.open(f"/corrections?{view}", "校核")
        app.page.get_by_test_id("stExpander").get_by_text("校核人登录", exact=True).click()
        app.page.get_by_label("用户名").first.fill("alice")
        app.page.get_by_label("密码").first.fill("correct-horse-battery")
        app.page.get_by_role("button", name="登录").first.click()
        app.wait_for("校核")
        for _ in range(40):  # one click a figure, until the view's queue is empty
            if app.page.get_by_text("所选范围内没有待核查的数据").count():
                break
            app.page.get_by_role("button", name="确认").first.click()
            app.wait_for("校核")
        expect(app.page.get_by_text("所选范围内没有待核查的数据")).to_be_visible()
        app.assert_sound()

        app.open(f"/overview?{view}", "总览")
        assert dict(_cards_on_screen(app.page)).get("参保人数") == "37.42 万人"

        # a re-ingest reads the figure again as review; the confirmation stays in force
        done = run_cli("ingest", "-q", "--db", str(s.db), *map(str, SEEDS))
        assert done.returncode == 0, done.stderr
        app.open(f"/overview?{view}", "总览")
        assert dict(_cards_on_screen(app.page)).get("参保人数") == "37.42 万人"
    con = duckdb.connect(str(tmp_path / DB_NAME), read_only=True)
    try:
        actions = con.execute("SELECT DISTINCT action, author FROM correction").fetchall()
    finally:
        con.close()
    assert actions == [("confirm", "alice")]


# A point inside a region's shape on the map (plotly binds each choropleth path to its location),
# scrolled into view: the first point of a grid over the shape's box that lies in its fill.
REGION_POINT_JS = """(code) => {
    const path = [...document.querySelectorAll('path.choroplethlocation')]
        .find((p) => p.__data__ && p.__data__.loc === code);
    if (!path) return null;
    path.scrollIntoView({block: 'center'});
    const r = path.getBoundingClientRect(), toPath = path.getScreenCTM().inverse();
    for (let i = 1; i < 8; i++) for (let j = 1; j < 8; j++) {
        const x = r.x + r.width * i / 8, y = r.y + r.height * j / 8;
        if (path.isPointInFill(new DOMPoint(x, y).matrixTransform(toPath))) return [x, y];
    }
    return null;
}"""


def click_region(app: App, code: str) -> None:
    # plotly draws the map's shapes a moment after the chart's frame
    app.page.wait_for_function(f"(code) => ({REGION_POINT_JS})(code) !== null", arg=code, timeout=PAGE_MS)
    point = app.page.evaluate(REGION_POINT_JS, code)
    assert point is not None, f"region {code} is not on the map"
    app.page.mouse.move(*point)
    app.page.mouse.click(*point)


def test_the_map_drills_from_a_province_to_a_city_and_back_by_the_breadcrumb(app: App):
    spec = spec_of("map")
    app.open(url_of(spec, fund="employee"), spec.title)
    assert_page_shown(app, spec, "map_provinces")
    assert "level" not in app.query() and "parent" not in app.query()

    steps = [("430000", "city", "43", "湖南省各市"), ("431100", "county", "4311", "永州市各县区")]
    for code, level, parent, title in steps:
        click_region(app, code)
        expect(app.page).to_have_url(re.compile(rf"[?&]parent={parent}(&|$)"), timeout=PAGE_MS)
        app.wait_for(spec.title)
        assert app.query().get("level") == [level] and app.query().get("parent") == [parent], app.page.url
        assert app.query().get("fund") == ["employee"], app.page.url  # the filters stay in the link
        expect(app.page.locator(".gtitle", has_text=title)).to_be_visible()
    assert_page_shown(app, spec, "map_counties")
    # 道县's figure and its sources on hover: a county has nothing under it, a click stays
    click_region(app, "431124")
    app.wait_for(spec.title)
    assert app.query().get("parent") == ["4311"]
    hover = app.page.locator(".hoverlayer .hovertext")
    expect(hover.first).to_contain_text("道县")
    expect(hover.first).to_contain_text("来源报告 1 份")

    crumbs = app.page.locator('[data-testid="stMain"]')
    for label, params in (("湖南省", {"level": ["city"], "parent": ["43"]}), ("全国", {})):
        crumbs.get_by_role("button", name=label, exact=True).click()
        expect(app.page).to_have_url(
            re.compile(r"[?&]parent=43(&|$)") if params else re.compile(r"^(?!.*[?&]parent=).*$"),
            timeout=PAGE_MS,
        )
        app.wait_for(spec.title)
        assert {k: v for k, v in app.query().items() if k in ("level", "parent")} == params, app.page.url
        assert app.query().get("fund") == ["employee"], app.page.url
    expect(app.page.locator(".gtitle", has_text="全国各省")).to_be_visible()
    app.assert_sound()
