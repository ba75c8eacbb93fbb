"""The sidebar filters every page shares; their values live in the URL's query parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard.core.scope import Filters, region_label
from dashboard.core.settings import settings
from dashboard.web import data, navigation

# widget keys double as query-parameter names (values are codes)
REGION, FUND, YEARS, BASIS = "region", "fund", "years", "basis"
FROM, TO = "from", "to"  # the year range in the URL
_SEEDED = "_filters_seeded"
MAX_DEFAULT_REGIONS = 6
_ACTIVE = "_active_filters"


def region_names() -> dict[str, str]:
    """Region code → short name, for the pages' pickers and titles."""
    options = data.query("region_options")
    return dict(zip(options["region_code"], options["region_name"], strict=True))


def default_regions(options: pl.DataFrame) -> list[str]:
    """All regions when they are few, else those with the most years of vouched figures (the
    longest trends), then the most figures."""
    if options.height <= MAX_DEFAULT_REGIONS:
        return options["region_code"].to_list()
    top = options.sort(["n_years", "n_rows", "region_code"], descending=[True, True, False]).head(
        MAX_DEFAULT_REGIONS
    )
    return sorted(top["region_code"].to_list())


def _seed_from_url(codes: list[str], first: int, last: int) -> None:
    """Once per session: widget values from the link the session was opened with."""
    if st.session_state.get(_SEEDED):
        return
    st.session_state[_SEEDED] = True
    params = st.query_params
    cfg = settings()
    regions = [c for c in params.get_all(REGION) if c in set(codes)]
    if regions:
        st.session_state[REGION] = regions
    funds = [c for c in params.get_all(FUND) if c in cfg.funds]
    if funds:
        st.session_state[FUND] = funds
    years = [_year(params.get(k), first, last) for k in (FROM, TO)]
    if first < last and any(y is not None for y in years):
        lo, hi = years[0] or first, years[1] or last
        st.session_state[YEARS] = (min(lo, hi), max(lo, hi))
    if params.get(BASIS) in cfg.bases:
        st.session_state[BASIS] = params.get(BASIS)


def _year(value: str | None, first: int, last: int) -> int | None:
    if value is None or not value.isdigit():
        return None
    return min(max(int(value), first), last)


def _write_url(f: Filters) -> None:
    """The filters as query parameters (region and fund codes), so a link opens the same view."""
    st.query_params[REGION] = list(f.regions)
    st.query_params[FUND] = list(f.funds)
    st.query_params[FROM] = str(f.first_year)
    st.query_params[TO] = str(f.last_year)
    st.query_params[BASIS] = f.basis


def _default(key: str, value):
    """A widget's default, unless the session (or the link) already set it."""
    return {} if key in st.session_state else {"default": value}


def sidebar() -> Filters | None:
    """Draw the filters; None when the database has no regions yet."""
    options = data.query("region_options")
    span = data.query("year_span").row(0, named=True)
    cfg = settings()
    with st.sidebar:
        st.markdown("### 筛选")
        if options.is_empty():
            st.info("数据库中还没有任何地区的数据。")
            st.session_state[_ACTIVE] = None
            return None
        first, last = int(span["first_year"]), int(span["last_year"])
        labels = {r["region_code"]: region_label(r) for r in options.iter_rows(named=True)}
        _seed_from_url(list(labels), first, last)
        st.multiselect(
            "地区",
            list(labels),
            format_func=labels.__getitem__,
            key=REGION,
            placeholder="输入名称筛选，如 益阳",
            help="按省 · 市 · 县排列；可输入名称查找",
            **_default(REGION, default_regions(options)),
        )
        fund_codes = list(cfg.funds)
        st.multiselect(
            "险种",
            fund_codes,
            format_func=cfg.fund_name,
            key=FUND,
            **_default(FUND, [f for f in cfg.default_funds if f in fund_codes]),
        )
        if first < last:
            if YEARS in st.session_state:
                lo, hi = st.session_state[YEARS]
                st.session_state[YEARS] = (max(first, min(lo, last)), min(last, max(hi, first)))
            st.slider(
                "年度",
                first,
                last,
                key=YEARS,
                format="%d年",
                **({} if YEARS in st.session_state else {"value": (first, last)}),
            )
        else:
            st.caption(f"年度：{first}年（仅一年数据）")
        st.segmented_control(
            "口径",
            list(cfg.bases),
            required=True,
            format_func=lambda b: cfg.bases[b].name,
            key=BASIS,
            help="；".join(f"{b.name}：{b.help}" for b in cfg.bases.values()),
            **_default(BASIS, "actual"),
        )
    filters = _current(first, last)
    _write_url(filters)
    st.session_state[_ACTIVE] = filters
    return filters


def _current(first: int, last: int) -> Filters:
    years = st.session_state.get(YEARS) or (first, last)
    return Filters(
        regions=tuple(st.session_state.get(REGION) or ()),
        funds=tuple(st.session_state.get(FUND) or ()),
        first_year=int(years[0]),
        last_year=int(years[1]),
        basis=st.session_state.get(BASIS) or "actual",
    )


def active() -> Filters | None:
    """The filters the sidebar drew in this run (pages call this first).

    A page run without app.py (see navigation.require_entrypoint) reruns through it."""
    navigation.require_entrypoint()
    return st.session_state.get(_ACTIVE)


def narrow(regions: Sequence[str], funds: Sequence[str] | None = None) -> Filters | None:
    """Replace the active filters' regions (and funds) for the rest of this run.

    Presentation mode shows one region: the pages that follow read the narrowed filters
    through active(), while the sidebar's widgets, the link and the next run keep the
    user's own choice."""
    current = st.session_state.get(_ACTIVE)
    if current is None:
        return None
    narrowed = replace(
        current, regions=tuple(regions), funds=tuple(current.funds if funds is None else funds)
    )
    st.session_state[_ACTIVE] = narrowed
    return narrowed


def reseed_from_link() -> None:
    """Take the filters from the link again on the next run.

    st.switch_page drops every widget's state (the sidebar's too); a switch that passes the
    link's query parameters on calls this first, so the filters survive the switch."""
    st.session_state.pop(_SEEDED, None)
