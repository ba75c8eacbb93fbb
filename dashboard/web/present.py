"""Presentation mode for the projector: wide, large type, no sidebar, header or page controls,
and a step bar through the pages that matter for one region.

Entered with `present=1` in the link (so a link opens it) or with 开始演示 on the 汇报 page; left
with 退出演示.  app.py draws the sidebar filters first (hidden here, so they keep their state),
then hides the navigation and calls frame(); while presenting, the filters the pages read are
narrowed to one region: the first selected, or the one chosen in the step bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import streamlit as st

from dashboard.core.settings import settings
from dashboard.web import filters, navigation

PARAM = "present"  # ?present=1
REGION_KEY = "present_region"  # the step bar's region picker
STEPS = ("overview", "trends", "balance", "per_capita", "quality")  # url paths, in order
_ON = "_presenting"
_REGION = "_presented_region"  # the region shown, kept across page switches (widgets' state is not)

CSS = """
<style>
/* presentation mode (dashboard/present.py): the projector shows the page, not the tools */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"],
[data-testid="stHeader"], [data-testid="stAppHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 3rem 4rem; max-width: 100%; }
h1 { font-size: 3.2rem !important; }
h2 { font-size: 2.4rem !important; }
h3 { font-size: 2.0rem !important; }
h4 { font-size: 1.7rem !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
[data-testid="stAlertContainer"] p { font-size: 1.3rem; }
[data-testid="stExpander"] summary p { font-size: 1.3rem; }
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: 2.6rem; line-height: 1.25; }
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.35rem; }
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p { font-size: 1.25rem; }
.medfund-scope { font-size: 1.35rem; }
/* the step bar stays at the top while the page scrolls (its wrapper is the sticky box) */
[data-testid="stLayoutWrapper"]:has(> .st-key-present_bar) {
    position: sticky; top: 0; z-index: 990; background: #FFFFFF;
    border-bottom: 1px solid #CFD8DC; padding: 0.5rem 0 0.6rem;
}
.st-key-present_region input { font-size: 1.2rem; }
.medfund-step { font-size: 1.5rem; font-weight: 600; color: #1F2933; white-space: nowrap; }
.medfund-step span { color: #546E7A; font-weight: 400; }
</style>
"""


def active() -> bool:
    """True while the session is in presentation mode (a link's `present=1` turns it on)."""
    wanted = st.query_params.get(PARAM)
    if wanted is not None:
        st.session_state[_ON] = wanted == "1"
    return bool(st.session_state.get(_ON))


T = TypeVar("T")


def control(default: T, draw: Callable[[], T]) -> T:
    """A page control's value: the drawn widget's normally; while presenting the control is not
    drawn (the projector shows the page, not its tools) and the default stands."""
    return default if active() else draw()


def steps() -> list[navigation.PageSpec]:
    """The pages a presentation steps through, in order."""
    by_path = {p.url_path: p for p in navigation.PAGES}
    return [by_path[s] for s in STEPS]


def _current(page: st.Page) -> str:
    """The url path of the page being shown (the default page has an empty one)."""
    return page.url_path or navigation.PAGES[0].url_path


def _params() -> dict[str, list[str]]:
    """The link's query parameters (the filters), kept on a page switch, with present=1."""
    return {**{k: st.query_params.get_all(k) for k in st.query_params}, PARAM: ["1"]}


def _switch(url_path: str) -> NoReturn:
    """Go to a page, keeping the filters (from the link) and the mode."""
    filters.reseed_from_link()
    st.switch_page(navigation.page_path(url_path), query_params=_params())


def start(region: str | None = None) -> NoReturn:
    """Enter presentation mode (showing `region`, else the first selected) on the first page."""
    st.session_state[_ON] = True
    if region is not None:
        st.session_state[_REGION] = region
    _switch(STEPS[0])


def stop() -> None:
    """Leave presentation mode, staying on the page (a button's callback)."""
    st.session_state[_ON] = False
    st.session_state.pop(_REGION, None)
    if PARAM in st.query_params:
        del st.query_params[PARAM]


def frame(page: st.Page) -> None:
    """The projector's style and the step bar, above the page; narrows the filters to one region."""
    st.query_params[PARAM] = "1"
    st.html(CSS)
    order = steps()
    here = _current(page)
    index = STEPS.index(here) if here in STEPS else None
    with st.container(key="present_bar", horizontal=True, vertical_alignment="center", gap="medium"):
        if st.button(
            "上一页",
            key="present_prev",
            icon=":material/arrow_back:",
            disabled=not index,  # the first page, or a page outside the steps
            shortcut="Left",
        ):
            _switch(STEPS[index - 1])
        if index is None:
            where = f"{page.title} <span>（不在演示顺序中）</span>"
        else:
            where = f"第 {index + 1}/{len(order)} 页 · {order[index].title}"
        st.html(f'<div class="medfund-step">{where}</div>', width="content")
        if st.button(
            "下一页",
            key="present_next",
            icon=":material/arrow_forward:",
            icon_position="right",
            type="primary",
            disabled=index == len(order) - 1,
            shortcut="Right",
        ):
            _switch(STEPS[0 if index is None else index + 1])
        st.space("stretch")
        _region_picker()
        st.button("退出演示", key="present_exit", icon=":material/close:", type="tertiary", on_click=stop)


def _region_picker() -> None:
    """One region for the whole presentation: the first selected, or the one picked here."""
    f = filters.active()
    if f is None:
        return
    names = filters.region_names()
    options = list(f.regions) or list(names)
    if st.session_state.get(REGION_KEY) not in options:
        kept = st.session_state.get(_REGION)
        st.session_state[REGION_KEY] = kept if kept in options else options[0]
    region = st.selectbox(
        "演示地区",
        options,
        format_func=lambda c: names.get(c, c),
        key=REGION_KEY,
        label_visibility="collapsed",
        width=220,
    )
    st.session_state[_REGION] = region
    # the sidebar is hidden: with no fund chosen, present the default funds
    funds = f.funds or tuple(x for x in settings().default_funds if x in settings().funds)
    filters.narrow([region], funds)


def step_titles() -> str:
    """总览 → 趋势 → … : the pages a presentation steps through."""
    return " → ".join(p.title for p in steps())
