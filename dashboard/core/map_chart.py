"""The 地图 page's figure: regions coloured by one indicator for one year (pure plotly).

A region with the figure takes the indicator's colour scale (settings.yaml: map) or, for months
of reserves, its band's colour; one without it is grey with 未披露 on hover; one without a figure
of its own but with figures for regions under it has a colour of its own and says so on hover (a
click shows them).  Hover gives the value in its unit, the year and how many reports the figure
comes from.  Each group of regions carries only its own shapes, so the figure holds each
boundary once.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard.core.charts import base_layout
from dashboard.core.geo import Inset, Shape
from dashboard.core.settings import settings
from dashboard.core.units import Scale, scale_for

HEIGHT = 640
NO_DATA, BELOW = "未披露", "本级未披露，下级有数据"
# Mercator, as the web maps of China a reader knows draw it; the inset stays upright (a conic
# projection would turn it with the meridians east of 台湾)
PROJECTION = {"type": "mercator"}
THIN_BORDER_ABOVE = 400  # regions drawn: with more, borders are thinner
UNSELECTED_OPACITY = 0.5
MARGIN = 0.02  # of the regions' extent, around them


def _features(drawn: Sequence[Shape], codes: Collection[str]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": s.code, "properties": {"name": s.name}, "geometry": s.geometry}
            for s in drawn
            if s.code in codes
        ],
    }


def _flat(color: str) -> list[list]:
    return [[0, color], [1, color]]


def _label(row: dict) -> str:
    """The region's name, with the name the reports use where it differs (宁乡市（数据中为宁乡县）)."""
    return f"{row['name']}（数据中为{row['data_name']}）" if row.get("data_name") else row["name"]


def _marks(row: dict) -> str:
    marks = [m for m, on in (("预计/预算数", row["estimated"]), ("推算值", row["derived"])) if on]
    return f"（{'，'.join(marks)}）" if marks else ""


def _region_trace(drawn: Sequence[Shape], rows: pl.DataFrame, border: dict, **style) -> go.Choropleth:
    codes = rows["code"].to_list()
    return go.Choropleth(
        geojson=_features(drawn, set(codes)),
        locations=codes,
        marker={"line": border},
        unselected={"marker": {"opacity": UNSELECTED_OPACITY}},  # beside a clicked region
        **style,
    )


def _data_hover(
    name: str, drillable: Collection[str], rows: pl.DataFrame, scale: Scale, year: int, bands: bool
) -> dict:
    more = "<br>点击查看下级地区"
    customdata = [
        [
            _label(r),
            scale.text(r["value"])
            + (f"（{settings().band_for(r['value']).label}）" if bands else "")
            + _marks(r),
            f"{year}年",
            f"{r['n_reports']} 份" if r["n_reports"] else "—",
            more if r["code"] in drillable else "",
        ]
        for r in rows.iter_rows(named=True)
    ]
    return {
        "customdata": customdata,
        "hovertemplate": (
            f"<b>%{{customdata[0]}}</b><br>{name}：%{{customdata[1]}}<br>%{{customdata[2]}} · "
            "来源报告 %{customdata[3]}%{customdata[4]}<extra></extra>"
        ),
    }


def _range(values: list[float], midpoint: float | None) -> tuple[float, float]:
    """The colour range: symmetric around the midpoint where there is one; never empty."""
    if midpoint is not None:
        reach = max((abs(v - midpoint) for v in values), default=0.0) or 1.0
        return midpoint - reach, midpoint + reach
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    return low, high


def region_map(
    drawn: Sequence[Shape],
    regions: pl.DataFrame,
    indicator: str,
    year: int,
    title: str,
    drillable: Collection[str] = (),
    lines: dict | None = None,
    inset: Inset | None = None,
) -> go.Figure:
    """The map of ``drawn`` coloured by ``regions`` (geo.joined: one row per shape with value,
    marks, n_reports, data_name and n_below); ``drillable`` codes say on hover that a click shows
    their sub-regions; ``lines`` (GeoJSON) are drawn as thin grey boundary lines; with ``inset``
    (a map of the whole country, which needs the lines) the South China Sea is drawn in it."""
    cfg = settings()
    spec, colours = cfg.indicators[indicator], cfg.map.indicators[indicator]
    border = {"color": cfg.map.border_color, "width": 0.4 if len(drawn) > THIN_BORDER_ABOVE else 0.8}
    with_value = regions.filter(pl.col("value").is_not_null())
    below = regions.filter(pl.col("value").is_null() & (pl.col("n_below") > 0))
    none = regions.filter(pl.col("value").is_null() & (pl.col("n_below") == 0))
    scale = scale_for(spec.kind, with_value["value"].to_list())
    # plotly.js fetches a world map from its CDN (unreachable offline, and the figure never
    # draws) when the subplot's first trace has a locationmode, as every choropleth has; it
    # checks the first trace only, so a scattergeo of lines or a point without one goes first
    fig = go.Figure(_line_traces(lines) if lines is not None else [_anchor(drawn)])
    legend = {"showlegend": True, "showscale": False}
    if not none.is_empty():
        fig.add_trace(
            _region_trace(
                drawn,
                none,
                border,
                z=[0] * none.height,
                colorscale=_flat(cfg.map.no_data_color),
                name=NO_DATA,
                customdata=[[_label(r)] for r in none.iter_rows(named=True)],
                hovertemplate=f"<b>%{{customdata[0]}}</b><br>{year}年{spec.name}：{NO_DATA}<extra></extra>",
                **legend,
            )
        )
    if not below.is_empty():
        fig.add_trace(
            _region_trace(
                drawn,
                below,
                border,
                z=[0] * below.height,
                colorscale=_flat(cfg.map.below_color),
                name=BELOW,
                customdata=[[_label(r), r["n_below"]] for r in below.iter_rows(named=True)],
                hovertemplate=(
                    f"<b>%{{customdata[0]}}</b><br>{year}年{spec.name}：本级{NO_DATA}<br>"
                    "下级有 %{customdata[1]} 个地区披露，点击查看<extra></extra>"
                ),
                **legend,
            )
        )
    if colours.bands:
        for band, text in cfg.band_ranges():
            rows = with_value.filter(
                pl.col("value").map_elements(lambda v, b=band: cfg.band_for(v) == b, return_dtype=pl.Boolean)
            )
            if rows.is_empty():
                continue
            fig.add_trace(
                _region_trace(
                    drawn,
                    rows,
                    border,
                    z=[scale.apply(v) for v in rows["value"]],
                    colorscale=_flat(band.color),
                    name=f"{band.label}（{text} 个月）",
                    **_data_hover(spec.name, drillable, rows, scale, year, bands=True),
                    **legend,
                )
            )
    elif not with_value.is_empty():
        z = [scale.apply(v) for v in with_value["value"]]
        low, high = _range(z, colours.midpoint)
        fig.add_trace(
            _region_trace(
                drawn,
                with_value,
                border,
                z=z,
                zmin=low,
                zmax=high,
                colorscale=colours.scale,
                showscale=True,
                showlegend=False,
                name=spec.name,
                colorbar={
                    "title": {"text": f"{spec.name}<br>（{scale.unit}）", "side": "top"},
                    "thickness": 14,
                    "len": 0.55,
                    "x": 1.0,
                    "y": 0.55,
                    "tickformat": ",.0f" if scale.decimals == 0 else ",.1f",
                },
                **_data_hover(spec.name, drillable, with_value, scale, year, bands=False),
            )
        )
    west, south, east, north = bounds(drawn)
    if inset is not None:
        _add_inset(fig, inset)
        frame = [p for g in inset.lines for p in _line_points(g)]
        south = min(MAINLAND_SOUTH, *(p[1] for p in frame))
        east = max(east, *(p[0] for p in frame))
    pad_lon, pad_lat = MARGIN * (east - west), MARGIN * (north - south)
    fig.update_layout(
        geo={
            "visible": False,
            "projection": PROJECTION,
            "center": {"lon": (west + east) / 2, "lat": _mercator_middle(south, north)},
            "lonaxis": {"range": [west - pad_lon, east + pad_lon]},  # a margin: nothing touches the frame
            "lataxis": {"range": [south - pad_lat, north + pad_lat]},
            "bgcolor": "rgba(0,0,0,0)",
        }
    )
    fig = base_layout(fig, title, height=HEIGHT)
    fig.update_layout(
        margin={"l": 8, "r": 8, "t": 72, "b": 8},
        legend={"orientation": "v", "yanchor": "bottom", "y": 0.02, "xanchor": "left", "x": 0.0},
        dragmode=False,
    )
    return fig


# A map of the whole country ends south of 海南岛; the South China Sea is in an inset (geo.Inset).
MAINLAND_SOUTH = 17.6


def _north_of(lon: Sequence, lat: Sequence, south: float) -> dict:
    """The parts of a line trace (parts split by None) lying wholly north of ``south``."""
    keep_lon: list = []
    keep_lat: list = []
    part: list = []
    for x, y in [*zip(lon, lat, strict=True), (None, None)]:
        if x is None:
            if part and all(p[1] >= south for p in part):
                keep_lon += [p[0] for p in part] + [None]
                keep_lat += [p[1] for p in part] + [None]
            part = []
        else:
            part.append((x, y))
    return {"lon": keep_lon, "lat": keep_lat}


def _mainland(feature: dict) -> dict:
    """A feature without its polygons lying wholly south of the main map (the South China Sea's islands)."""
    polygons = [p for p in feature["geometry"]["coordinates"] if max(q[1] for q in p[0]) >= MAINLAND_SOUTH]
    return feature | {"geometry": {"type": "MultiPolygon", "coordinates": polygons}}


def _add_inset(fig: go.Figure, inset: Inset) -> None:
    """The inset on the same map: each region trace's regions reaching into it again, in its place
    (same colours and hover; a click drills the same), its lines and frame added to the first
    trace's lines, and its name.  The main map keeps the islands and dashes north of its edge only."""
    features = {s.code: s for s in inset.shapes}
    lines, copies = fig.data[0], []
    for trace in fig.data[1:]:
        rows = [i for i, code in enumerate(trace.locations) if code in features]
        trace.geojson = trace.geojson | {"features": [_mainland(f) for f in trace.geojson["features"]]}
        if not rows:
            continue
        copies.append(
            go.Choropleth(trace).update(
                geojson=_features(inset.shapes, {trace.locations[i] for i in rows}),
                locations=[trace.locations[i] for i in rows],
                z=[trace.z[i] for i in rows],
                customdata=[trace.customdata[i] for i in rows] if trace.customdata is not None else None,
                showlegend=False,
                showscale=False,
            )
        )
    kept = _north_of(lines.lon, lines.lat, MAINLAND_SOUTH)
    drawn = _line_traces({"features": [{"geometry": g} for g in inset.lines]})[0]
    lines.update(lon=[*kept["lon"], *drawn.lon], lat=[*kept["lat"], *drawn.lat])
    fig.add_traces(copies)
    frame = [p for g in inset.lines for p in _line_points(g)]
    fig.add_trace(
        go.Scattergeo(
            lon=[max(p[0] for p in frame) - 0.3],
            lat=[min(p[1] for p in frame) + 0.3],
            mode="text",
            text=["南海诸岛"],
            textposition="top left",
            textfont={"size": 12, "color": "#616161"},
            hoverinfo="skip",
            showlegend=False,
        )
    )


def _line_points(geometry: dict) -> list:
    parts = geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
    return [p for part in parts for p in part]


def bounds(drawn: Sequence[Shape]) -> tuple[float, float, float, float]:
    """West, south, east and north edges of the regions (China's where there are none)."""
    lons = [p[0] for s in drawn for polygon in s.geometry["coordinates"] for p in polygon[0]]
    lats = [p[1] for s in drawn for polygon in s.geometry["coordinates"] for p in polygon[0]]
    if not lons:
        return 73.5, 3.8, 135.1, 53.6
    return min(lons), min(lats), max(lons), max(lats)


def _mercator_middle(south: float, north: float) -> float:
    """The latitude halfway between two on a Mercator map (plotly centres the view on it; halfway
    in degrees would cut off the north)."""

    def y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    return math.degrees(2 * math.atan(math.exp((y(south) + y(north)) / 2)) - math.pi / 2)


def _anchor(drawn: Sequence[Shape]) -> go.Scattergeo:
    """An invisible point amid the regions (see region_map)."""
    west, south, east, north = bounds(drawn)
    lon, lat = (west + east) / 2, (south + north) / 2
    return go.Scattergeo(
        lon=[lon], lat=[lat], mode="markers", marker={"opacity": 0}, hoverinfo="skip", showlegend=False
    )


def _line_traces(lines: dict) -> list[go.Scattergeo]:
    """Boundary lines as thin grey lines (no hover, no legend): one trace, parts split by gaps."""
    lon: list[float | None] = []
    lat: list[float | None] = []
    for feature in lines["features"]:
        geometry = feature["geometry"]
        parts = (
            geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
        )
        for part in parts:
            lon += [p[0] for p in part] + [None]
            lat += [p[1] for p in part] + [None]
    return [
        go.Scattergeo(
            lon=lon,
            lat=lat,
            mode="lines",
            line={"color": "#8C8C8C", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    ]


# indicators whose figure also needs last year's (its sources reach back a year)
GROWTH = frozenset({"income_growth", "expenditure_growth"})


def source_years(indicator: str, year: int) -> tuple[int, int]:
    """The years of the facts behind one year's figure of ``indicator``."""
    return (year - 1 if indicator in GROWTH else year), year


def summary(regions: pl.DataFrame, drillable: Collection[str]) -> str:
    """One line under the map: how many regions have the figure, figures below, none."""
    with_value = regions.filter(pl.col("value").is_not_null()).height
    below = regions.filter(pl.col("value").is_null() & (pl.col("n_below") > 0)).height
    parts = [f"有数据 {with_value} 个地区"]
    if below:
        parts.append(f"本级未披露、下级有数据 {below} 个")
    parts.append(f"未披露 {regions.height - with_value - below} 个")
    text = "，".join(parts) + "。"
    if set(regions["code"].to_list()) & set(drillable):
        text += "点击地区查看其下级地区，点上方路径返回。"
    return text
