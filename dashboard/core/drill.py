"""A drill-down's state: which regions a page shows (a region's sub-regions, or the whole country
at one level), as the link's query parameters and as a breadcrumb.  Pure: no Streamlit.

In the link: ``?level=city&parent=43`` — the cities of 湖南省 (430000); ``?level=county&parent=4311``
— the counties of 永州市; ``?level=city`` — every city of the country; nothing — the top (the
provinces on the map; the sidebar's regions on the other pages).  The parent is written as the
digits its sub-regions share (geo.prefix), the level is that of the regions shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.core.geo import LEVELS, RegionTree, full_code, prefix

LEVEL, PARENT = "level", "parent"  # query parameters
NATION = "全国"
LEVEL_NAMES = {"province": "省级", "city": "市级", "county": "县级"}


@dataclass(frozen=True)
class Drill:
    level: str = "province"
    parent: str | None = None  # six-digit code of the region whose sub-regions are shown

    @property
    def top(self) -> bool:
        return self == Drill()


def parse(params: Mapping[str, object], tree: RegionTree) -> Drill:
    """The state a link asks for.  A parent the tree does not know, or one without sub-regions,
    gives the top; the level of a known parent's sub-regions wins over the link's level."""
    short = _one(params.get(PARENT))
    if short:
        code = full_code(short) if short.isdigit() and len(short) in (2, 4, 6) else ""
        level = tree.child_level(code) if tree.node(code) else None
        return Drill(level, code) if level else Drill()
    level = _one(params.get(LEVEL))
    return Drill(level) if level in LEVELS else Drill()


def _one(value: object) -> str | None:
    """A query parameter's value (the first, where a link repeats it)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value).strip() if value else None


def to_params(drill: Drill) -> dict[str, str]:
    """The query parameters of a state (none for the top)."""
    if drill.top:
        return {}
    if drill.parent is None:
        return {LEVEL: drill.level}
    return {LEVEL: drill.level, PARENT: prefix(drill.parent)}


def down(drill: Drill, code: str, tree: RegionTree) -> Drill | None:
    """The state showing ``code``'s sub-regions; None for a region without any."""
    level = tree.child_level(code) if tree.node(code) else None
    return Drill(level, code) if level else None


@dataclass(frozen=True)
class Crumb:
    label: str
    drill: Drill
    current: bool


def breadcrumb(drill: Drill, tree: RegionTree) -> list[Crumb]:
    """全国 › 湖南省 › 永州市: the top, then each region above the parent and the parent itself; the
    last one is where the page is.  A whole-country view below the provinces says its level
    (全国 › 市级)."""
    crumbs = [Crumb(NATION, Drill(), drill.top)]
    if drill.parent is None:
        if not drill.top:
            crumbs.append(Crumb(LEVEL_NAMES[drill.level], drill, True))
        return crumbs
    chain = [*tree.ancestors(drill.parent), tree.node(drill.parent)]
    for node in chain:
        if node is None:
            continue
        level = tree.child_level(node.code)
        if level is not None:
            crumbs.append(Crumb(node.name, Drill(level, node.code), node.code == drill.parent))
    return crumbs


def scope_text(drill: Drill, tree: RegionTree) -> str:
    """湖南省各市, 永州市各县区, 全国各省: what the regions shown are, for titles."""
    place = NATION if drill.parent is None else tree.name(drill.parent)
    noun = {"province": "各省", "city": "各市", "county": "各县区"}[drill.level]
    return place + noun
