"""The sidebar filters every page shares; their values live in the URL's query parameters."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from dashboard import db
from dashboard.config import settings

# widget keys double as query-parameter names
REGION, FUND, YEARS, BASIS = "region", "fund", "years", "basis"
MAX_DEFAULT_REGIONS = 6
_ACTIVE = "_active_filters"


@dataclass(frozen=True)
class Filters:
    regions: tuple[str, ...]
    funds: tuple[str, ...]
    first_year: int
    last_year: int
    basis: str

    @property
    def params(self) -> dict:
        """Parameters of the named queries."""
        return {
            "regions": list(self.regions),
            "funds": list(self.funds),
            "first_year": self.first_year,
            "last_year": self.last_year,
        }

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


def region_label(row: dict) -> str:
    """湖南省 · 益阳市 · 赫山区: the region under its province and city."""
    parts = [row["province_name"], row["city_name"], row["region_name"]]
    return " · ".join(dict.fromkeys(p for p in parts if p))


def default_regions(options: pl.DataFrame) -> list[str]:
    """All regions when they are few, else the ones with the most figures."""
    if options.height <= MAX_DEFAULT_REGIONS:
        return options["region_code"].to_list()
    top = options.sort(["n_rows", "region_code"], descending=[True, False]).head(MAX_DEFAULT_REGIONS)
    return sorted(top["region_code"].to_list())


def sidebar() -> Filters | None:
    """Draw the filters; None when the database has no regions yet."""
    options = db.query("region_options")
    span = db.query("year_span").row(0, named=True)
    cfg = settings()
    with st.sidebar:
        st.markdown("### 筛选")
        if options.is_empty():
            st.info("数据库中还没有任何地区的数据。")
            st.session_state[_ACTIVE] = None
            return None
        labels = {r["region_code"]: region_label(r) for r in options.iter_rows(named=True)}
        st.multiselect(
            "地区",
            list(labels),
            default=default_regions(options),
            format_func=labels.__getitem__,
            key=REGION,
            bind="query-params",
            placeholder="输入名称筛选，如 益阳",
            help="按省 · 市 · 县排列；可输入名称查找",
        )
        fund_codes = list(cfg.funds)
        st.multiselect(
            "险种",
            fund_codes,
            default=[f for f in cfg.default_funds if f in fund_codes],
            format_func=cfg.fund_name,
            key=FUND,
            bind="query-params",
        )
        first, last = int(span["first_year"]), int(span["last_year"])
        if first < last:
            st.slider("年度", first, last, (first, last), key=YEARS, bind="query-params", format="%d年")
        else:
            st.caption(f"年度：{first}年（仅一年数据）")
        st.segmented_control(
            "口径",
            list(cfg.bases),
            default="actual",
            required=True,
            format_func=lambda b: cfg.bases[b].name,
            key=BASIS,
            bind="query-params",
            help="；".join(f"{b.name}：{b.help}" for b in cfg.bases.values()),
        )
    filters = _current(first, last)
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
    """The filters the sidebar drew in this run (pages call this)."""
    return st.session_state.get(_ACTIVE)
