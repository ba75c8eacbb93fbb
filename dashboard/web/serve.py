"""Serve the dashboard warm: `python -m dashboard.web.serve [STREAMLIT OPTIONS …]`.

`streamlit run app.py` answers its health check at once, but the first reader after a start
then waits for everything the first run does once per process: importing the app (the pages,
plotly, polars, the readers — about 2 s), opening the database (a private snapshot of it) and
the first page's queries.  This launcher does that work first, by running app.py once in this
process exactly as a first visitor without a link would (Streamlit's own AppTest runner), then
starts the server in the same process: the modules are imported, the connection and the
queries are in Streamlit's process-wide caches, and the server answers only when it is ready.

The warm-up is skipped when there is no database yet (the app then builds it and shows its
progress to the first reader) and never stops the server from starting: a failing warm-up is
logged and the first reader pays for it as before.  Options are passed to `streamlit run`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
WARM_TIMEOUT_S = 120.0

log = logging.getLogger("medfund.serve")


def warm(app: Path = APP, timeout: float = WARM_TIMEOUT_S) -> float | None:
    """Run `app` once as a first visitor would; seconds taken, or None when skipped or failed."""
    from dashboard.core import database

    if not database.database_path().exists():
        log.info("没有数据库：跳过预热，首次打开时建立")
        return None
    from streamlit.testing.v1 import AppTest

    from dashboard.web import streamlit_private

    start = time.perf_counter()
    try:
        run = AppTest.from_file(str(app), default_timeout=timeout).run()
    except Exception as exc:  # the server starts whatever happens here
        log.warning("预热失败（%s）：首次打开会慢一些", exc)
        return None
    finally:
        streamlit_private.drop_stand_in_runtime()
    if run.exception:
        log.warning("预热时页面出错（%s）：首次打开会慢一些", run.exception[0].value)
        return None
    return time.perf_counter() - start


def command(port: int, *options: str) -> list[str]:
    """The command that serves the dashboard on ``port`` of this machine only, as the browser
    tests and the browser benchmark start it (no browser opened, no usage statistics, no file
    watcher); ``options`` go to `streamlit run`."""
    return [
        *(sys.executable, "-m", "dashboard.web.serve"),
        *("--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port)),
        *("--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"),
        *options,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seconds = warm()
    if seconds is not None:
        log.info("预热完成：%.1f 秒（模块、数据库快照和首页查询已就绪）", seconds)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
