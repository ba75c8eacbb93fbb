"""The dashboard's pages: file, Chinese title, URL path and icon, in menu order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.web import streamlit_private

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    url_path: str
    icon: str
    has_charts: bool
    section: str = "分析"


PAGES = (
    PageSpec("pages/overview.py", "总览", "overview", ":material/dashboard:", False),
    PageSpec("pages/trends.py", "趋势", "trends", ":material/show_chart:", True),
    # with too few years or no part-year figures these two show a table or say why, not a chart
    PageSpec("pages/progress.py", "年内进度", "progress", ":material/timelapse:", False),
    PageSpec("pages/balance.py", "结余分析", "balance", ":material/savings:", True),
    PageSpec("pages/risk.py", "风险预警", "risk", ":material/warning:", False),
    PageSpec("pages/per_capita.py", "人均收支", "per_capita", ":material/scatter_plot:", True),
    PageSpec("pages/compare.py", "地区对比", "compare", ":material/leaderboard:", True),
    PageSpec("pages/map.py", "地图", "map", ":material/map:", True),
    PageSpec("pages/facts.py", "数据明细", "facts", ":material/table_view:", False, "数据"),
    PageSpec("pages/quality.py", "数据质量", "quality", ":material/rule:", False, "数据"),
    PageSpec("pages/reports.py", "报告库", "reports", ":material/description:", False, "数据"),
    PageSpec("pages/briefing.py", "汇报", "briefing", ":material/slideshow:", False, "工作"),
    PageSpec("pages/upload.py", "导入", "upload", ":material/upload_file:", False, "工作"),
    PageSpec("pages/corrections.py", "校核", "corrections", ":material/fact_check:", False, "工作"),
)


# The default page is served at the root but still reserves a path of its own, which Streamlit does
# not serve ("Page not found"); it reserves this one, so that its own path can lead to the root.
DEFAULT_RESERVED_PATH = "home"


def pages() -> dict[str, list[st.Page]]:
    """The pages by menu section, for st.navigation.  The default page lives at the root; a link
    to its own path (/overview) is kept working by a hidden page that goes there with the link's
    filters."""
    sections: dict[str, list[st.Page]] = {}
    for i, p in enumerate(PAGES):
        url_path = DEFAULT_RESERVED_PATH if i == 0 else p.url_path
        page = st.Page(ROOT / p.path, title=p.title, url_path=url_path, icon=p.icon, default=(i == 0))
        sections.setdefault(p.section, []).append(page)
    default = sections[PAGES[0].section][0]
    alias = st.Page(
        lambda: st.switch_page(
            default, query_params={k: st.query_params.get_all(k) for k in st.query_params}
        ),
        title=PAGES[0].title,
        url_path=PAGES[0].url_path,
        visibility="hidden",
    )
    sections[PAGES[0].section].append(alias)
    return sections


def page_path(url_path: str) -> Path:
    """The file of a page, for st.page_link and st.switch_page."""
    return next(ROOT / p.path for p in PAGES if p.url_path == url_path)


def require_entrypoint() -> None:
    """Make sure the page runs inside app.py's navigation (with the shared sidebar).

    A `pages/` folder beside app.py makes Streamlit start in its old pages-directory mode
    until app.py has called st.navigation once; a link straight to a page, as the first
    request after the server starts, would then run the page alone.  Leave that mode and
    rerun, so app.py runs and routes to the same page.
    """
    if streamlit_private.in_pages_directory_mode():
        streamlit_private.leave_pages_directory_mode()
        st.rerun()
