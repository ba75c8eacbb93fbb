"""What the 汇报 page offers for the current filters: the view behind the Excel workbook, the
PowerPoint deck, their file names and a summary of the scope, region by region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import polars as pl

from dashboard.core import export, freshness
from dashboard.core.scope import Filters, region_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TITLE = "医保基金运行分析"

# runs a named query: dashboard.web.data.query in the app, database.run_query bound to a
# connection in scripts and tests
Runner = Callable[..., pl.DataFrame]


def current_view(f: Filters, run: Runner) -> export.View:
    """The indicators, facts and checks within the filters (checks of the chosen funds, and
    those about no fund in particular), with the regions' full names."""
    options = run("region_options")
    names = {r["region_code"]: region_label(r) for r in options.iter_rows(named=True)}
    checks = run("checks", regions=list(f.regions), first_year=f.first_year, last_year=f.last_year)
    return export.View(
        filters=f,
        region_names=names,
        indicators=run("indicators", basis=f.basis, **f.params),
        facts=run("facts", **f.params),
        checks=checks.filter(pl.col("fund").is_null() | pl.col("fund").is_in(list(f.funds))),
        as_of=freshness.data_as_of(run("data_as_of", **freshness.query_params(f.regions, f.funds))),
    )


def workbook_maker(view: export.View) -> Callable[[], bytes]:
    """Builds the workbook when called (a download button calls it when pressed)."""
    return lambda: export.workbook_bytes(view)


def deck_maker(f: Filters, con: duckdb.DuckDBPyConnection) -> Callable[[], bytes]:
    """Builds the PowerPoint deck of the filters' view when called (on a download button's click,
    in a thread of its own: the page passes the connection of its own run)."""
    request: dict[str, Any] = {
        "regions": tuple(f.regions),
        "first_year": f.first_year,
        "last_year": f.last_year,
        "basis": f.basis,
        "funds": tuple(f.funds),
    }

    def make() -> bytes:
        from dashboard.core import deck  # python-pptx loads only when a deck is asked for

        return deck.deck_bytes(con, deck.DeckRequest(**request))

    return make


def file_name(f: Filters, names: dict[str, str], suffix: str) -> str:
    """医保基金运行分析_道县_2023-2024.pptx; several regions: 道县等3地."""
    regions = [names.get(c, c) for c in f.regions]
    who = regions[0] if len(regions) == 1 else f"{regions[0]}等{len(regions)}地"
    years = str(f.first_year) if f.first_year == f.last_year else f"{f.first_year}-{f.last_year}"
    return f"{TITLE}_{who}_{years}.{suffix}"


def scope_table(view: export.View) -> pl.DataFrame:
    """Per region: the years with figures, how many indicator rows, facts and checks the
    materials hold."""
    codes = list(view.filters.regions)
    base = pl.DataFrame({"region_code": codes}, schema={"region_code": pl.Utf8})
    ind = view.indicators.group_by("region_code").agg(
        first=pl.col("year").min(), last=pl.col("year").max(), rows=pl.len()
    )
    facts = view.facts.group_by("region_code").agg(facts=pl.len())
    checks = view.checks.group_by("region_code").agg(
        errors=(pl.col("severity") == "error").sum(), warnings=(pl.col("severity") == "warning").sum()
    )
    table = (
        base.join(ind, on="region_code", how="left")
        .join(facts, on="region_code", how="left")
        .join(checks, on="region_code", how="left")
    )
    years = (
        pl.when(pl.col("first").is_null())
        .then(pl.lit("—"))
        .when(pl.col("first") == pl.col("last"))
        .then(pl.format("{}年", pl.col("first")))
        .otherwise(pl.format("{}–{}年", pl.col("first"), pl.col("last")))
    )
    return table.select(
        pl.col("region_code").replace_strict(view.region_names, default=pl.col("region_code")).alias("地区"),
        years.alias("有数据的年度"),
        pl.col("rows").fill_null(0).alias("指标（地区·年度·险种）"),
        pl.col("facts").fill_null(0).alias("原文数据（条）"),
        pl.col("errors").fill_null(0).alias("校核错误"),
        pl.col("warnings").fill_null(0).alias("校核警告"),
    )
