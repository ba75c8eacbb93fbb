"""The drill-down on a page: its state from the link, a breadcrumb back up, a way down (a click on
the map, a picker on 地区对比 and 趋势).  The state lives in the link's query parameters beside the
filters' (dashboard.core.drill), so a link opens the same view."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard.core import drill, geo
from dashboard.core.drill import Drill
from dashboard.core.geo import RegionTree
from dashboard.core.scope import Filters
from dashboard.web import data, present


def current(tree: RegionTree) -> Drill:
    """The state the link asks for."""
    return drill.parse(st.query_params.to_dict(), tree)


def go(state: Drill) -> None:
    """Show ``state``: its parameters in the link (the filters' stay), and run the page again."""
    for key in (drill.LEVEL, drill.PARENT):
        if key in st.query_params:
            del st.query_params[key]
    st.query_params.update(drill.to_params(state))
    st.rerun()


def breadcrumb(state: Drill, tree: RegionTree, key: str) -> None:
    """全国 › 湖南省 › 永州市: each step above the current one a button back to it."""
    crumbs = drill.breadcrumb(state, tree)
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"{key}_breadcrumb"):
        for i, crumb in enumerate(crumbs):
            if i:
                st.markdown("›", width="content")
            if crumb.current:
                st.markdown(f"**{crumb.label}**", width="content")
            elif st.button(crumb.label, key=f"{key}_crumb_{i}", type="tertiary"):
                go(crumb.drill)


def clicked(event) -> str | None:
    """The region code of the shape a click on the map selected (None without one)."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    return next((p["location"] for p in points if p.get("location")), None)


def scope(f: Filters, key: str) -> Filters | None:
    """On a page that compares regions: the breadcrumb and a picker to show a region's
    sub-regions, and the filters with the regions the state shows — the sidebar's at the top, a
    region's sub-regions with figures of their own (whatever the sidebar holds) below it; None
    (having said so) where none has any.  Off on the projector."""
    if present.active():
        return f
    tree = geo.table_tree()
    state = current(tree)
    regions = data.query("region_options")
    with_data = regions["region_code"].to_list()  # any figure, vouched or waiting: worth drilling into
    # shown below the top: sub-regions with vouched indicators of their own (something to draw)
    vouched = regions.filter(regions["n_years"] > 0)["region_code"].to_list()
    if state.parent is None:
        shown = list(f.regions)
        options = geo.with_data_below([n.code for n in tree.children(None)] + shown, with_data)
    else:
        shown = geo.children_with_data(tree, state.parent, vouched)
        options = geo.with_data_below(shown + [n.code for n in tree.children(state.parent)], with_data)
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    with c1:
        if state.parent is not None:
            breadcrumb(state, tree, key)
    if options:  # beside the breadcrumb, or on its own at the left
        chosen = (c1 if state.parent is None else c2).selectbox(
            "查看下级地区",
            sorted(options),
            index=None,
            format_func=tree.name,
            placeholder="选择地区，显示其下级地区",
            key=f"{key}_drill_{state.parent or 'top'}",
        )
        if chosen is not None and (below := drill.down(state, chosen, tree)) is not None:
            go(below)
    if state.parent is None:
        return f
    if not shown:
        name = tree.name(state.parent)
        st.info(
            f"{name}的下级地区没有已核实的本级数据，可在“查看下级地区”中继续选择，或到校核页核查待核查数据。"
            if options
            else f"{name}及其下级地区都没有数据。",
            icon=":material/info:",
        )
        return None
    st.caption(
        f"显示{tree.name(state.parent)}下级有已核实本级数据的 {len(shown)} 个地区（不受左侧“地区”筛选限制）；"
        "点“全国”回到左侧所选地区。"
    )
    return replace(f, regions=tuple(shown))
