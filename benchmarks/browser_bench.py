"""Browser benchmark: every page from navigation to idle in a real browser (Debian chromium).

    python -m benchmarks.browser_bench --db DB [--db DB2 …] [--repeat 3] [--width 1600 --height 1000]

For each database the app is served as `./dev.sh run` serves it (`python -m dashboard.web.serve`,
which warms the app before the server answers) and its first page loaded in a new browser (no
cached scripts); the first load is also timed in a browser that opened the app before the
server was restarted (its cache holds Streamlit's scripts, as a returning reader's does).  Then each page is reached through the menu, as a reader does: once
**cold** (its first visit since the server started: its queries and figures not yet cached; the
first page's cold figure is the first load) and ``--repeat`` times **warm** (median; another
page in between), and loaded whole ``--repeat`` times (整页: a link opened or a refresh, which
also starts a new session).  A visit is timed from the click or navigation until the page is idle: the script run has ended, no element waits for its code and
every chart has drawn (the same test as tests/test_browser.py).  Beside each page: what the
browser had to draw — charts, plotted points, the JSON size of the figures, widgets and DOM
nodes.  Not a test: the figures depend on the machine.  Goals (issue: national scale): every
page under 3 s cold and 1.5 s warm.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard.web import serve
from dashboard.web.navigation import PAGES

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
COLD_GOAL_S, WARM_GOAL_S = 3.0, 1.5
TIMEOUT_MS = 60_000
OUT = ROOT / "benchmarks" / "out"
# The script run has ended (Streamlit marks it on the app root), the "Running…" widget is gone, no
# element still waits for its lazily loaded code (stSkeleton) and every visible chart has drawn
# (tests/test_browser.py waits for the same).
IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const visible = (selector) => [...document.querySelectorAll(selector)].filter((e) => e.checkVisibility());
    return app !== null
        && app.dataset.testScriptState === 'notRunning'
        && app.dataset.testConnectionState === 'CONNECTED'
        && document.querySelector('[data-testid="stStatusWidget"]') === null
        && visible('[data-testid="stSkeleton"]').length === 0
        && visible('[data-testid="stPlotlyChart"]').every((c) => c.querySelector('.main-svg') !== null);
}"""
# what the page made the browser draw
WEIGHT_JS = """() => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    let points = 0, bytes = 0;
    for (const gd of plots) {
        for (const trace of (gd.data || [])) {
            for (const key of ['x', 'y', 'z', 'locations', 'lat', 'values']) {
                if (trace[key] && trace[key].length) { points += trace[key].length; break; }
            }
        }
        try { bytes += JSON.stringify({data: gd.data, layout: gd.layout}).length; } catch (e) {}
    }
    const widgets = document.querySelectorAll('[data-testid="stElementContainer"]').length;
    return {charts: plots.length, points, bytes, widgets, nodes: document.getElementsByTagName('*').length};
}"""


@contextmanager
def server(db: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = Path(tempfile.mkstemp(suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            serve.command(port),  # as ./dev.sh run serves it: warmed before the server answers
            cwd=ROOT,
            env={**os.environ, "MEDFUND_DB": str(db)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.perf_counter()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        print(f"  服务器就绪（含预热）: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.unlink(missing_ok=True)


# the app's own menu is up (the very first request after a server start may be served in
# Streamlit's pages-folder mode first, which app.py leaves with a rerun: see dashboard/web/navigation.py)
MENU_JS = f"""() => [...document.querySelectorAll('[data-testid="stSidebarNavLink"]')]
    .some((a) => a.innerText.includes({PAGES[0].title!r}))"""


def visit(page: Page, url: str) -> float:
    """A whole page load (a link opened, a refresh): navigation to idle."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"() => ({MENU_JS})() && ({IDLE_JS})()", timeout=TIMEOUT_MS, polling=50)
    return time.perf_counter() - start


# the page shown is `title`'s (its header is up) and idle
def _shown_js(title: str) -> str:
    return (
        f"() => [...document.querySelectorAll('h1')].some((h) => h.innerText.trim().startsWith({title!r}))"
        f" && ({IDLE_JS})()"
    )


def click(page: Page, title: str) -> float:
    """Going to a page through the menu, as a reader does: click to idle."""
    link = page.locator('[data-testid="stSidebarNavLink"]').filter(has=page.get_by_text(title, exact=True))
    start = time.perf_counter()
    link.click()
    page.wait_for_function(_shown_js(title), timeout=TIMEOUT_MS, polling=50)
    return time.perf_counter() - start


def _url(base: str, i: int) -> str:
    """A page's address; the default page (the first) lives at the root."""
    return f"{base}/" if i == 0 else f"{base}/{PAGES[i].url_path}"


def timed(page: Page, what: str, step) -> float:
    """One timed step; a page that never becomes idle is reported (with a screenshot), not fatal."""
    try:
        return step()
    except PlaywrightTimeout:
        shot = OUT / f"timeout-{what}.png"
        page.screenshot(path=str(shot))
        print(f"  {what}: not idle within {TIMEOUT_MS / 1000:.0f} s (screenshot {shot})", file=sys.stderr)
        return math.nan


def bench(db: Path, repeat: int, viewport: dict[str, int]) -> tuple[float, list[tuple]]:
    """The first load after a server start, then per page: the first visit through the menu, later
    ones (median), and a whole page load of it (median)."""
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with server(db) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=viewport)
        first_load = timed(page, "first-load", lambda: visit(page, _url(base, 0)))
        for i, spec in enumerate(PAGES):
            print(f"  {spec.title} …", file=sys.stderr, flush=True)
            other = PAGES[(i + 1) % len(PAGES)].title
            cold = (
                timed(page, f"{spec.url_path}-cold", lambda s=spec: click(page, s.title)) if i else first_load
            )
            weight = page.evaluate(WEIGHT_JS)
            warm = []
            for n in range(repeat):
                timed(page, f"{other}-between", lambda o=other: click(page, o))
                warm.append(timed(page, f"{spec.url_path}-warm{n}", lambda s=spec: click(page, s.title)))
            loads = [
                timed(page, f"{spec.url_path}-load{n}", lambda i=i: visit(page, _url(base, i)))
                for n in range(repeat)
            ]
            rows.append((spec.title, cold, statistics.median(warm), statistics.median(loads), weight))
        browser.close()
    return first_load, rows


def returning_first_load(db: Path, viewport: dict[str, int]) -> float:
    """The first load after a server start in a browser that has opened the app before (its cache
    holds Streamlit's scripts, as a reader's browser does after a restart of the server)."""
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        for n in range(2):
            with server(db) as base:
                context = pw.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, args=ARGS, viewport=viewport
                )
                page = context.pages[0] if context.pages else context.new_page()
                seconds = timed(page, f"returning-{n}", lambda p=page, b=base: visit(p, _url(b, 0)))
                context.close()
    return seconds


def report(db: Path, first_load: float, rows: list[tuple], returning: float) -> None:
    print(f"\n{db}（{db.stat().st_size / 1e6:,.0f} MB）")
    print(f"服务器启动后第一次打开（新浏览器，无缓存）: {first_load:.2f} s")
    print(f"服务器启动后第一次打开（浏览器已缓存页面脚本）: {returning:.2f} s")
    print(
        f"{'页面':<10}{'首次 s':>8}{'再次 s':>8}{'整页 s':>8}{'图表':>6}{'点数':>9}{'图表 KB':>9}{'组件':>6}{'DOM':>7}"
    )
    for title, cold, warm, load, w in rows:
        flag = "" if cold < COLD_GOAL_S and warm < WARM_GOAL_S else "  ← 超过目标"
        print(
            f"{title:<10}{cold:>8.2f}{warm:>8.2f}{load:>8.2f}{w['charts']:>6}{w['points']:>9,}"
            f"{w['bytes'] / 1024:>9,.0f}{w['widgets']:>6}{w['nodes']:>7,}{flag}"
        )
    colds, warms = [r[1] for r in rows], [r[2] for r in rows]
    print(f"最慢：首次 {max(colds):.2f} s，再次 {max(warms):.2f} s（目标 {COLD_GOAL_S} s / {WARM_GOAL_S} s）")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, action="append", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"需要 Debian 的 chromium（{CHROMIUM}）：./dev.sh test 会安装它", file=sys.stderr)
        return 2
    for db in args.db:
        with tempfile.TemporaryDirectory() as tmp:  # a copy: the app may upgrade or rebuild it
            copy = Path(tmp) / db.name
            shutil.copyfile(db, copy)
            viewport = {"width": args.width, "height": args.height}
            report(db, *bench(copy, args.repeat, viewport), returning_first_load(copy, viewport))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
