"""Pure computations over query results (polars in, polars out): series with their marks,
growth, rankings, alerts and the national benchmark.  No Streamlit, no SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard.core.settings import settings
from pipelines import codes
from pipelines.checks import label
from pipelines.checks import title as check_title

# metrics that, when computed rather than stated, make an indicator "derived"
_BALANCE_INDICATORS = ("balance", "balance_rate")


def _any_listed(column: str, metrics: tuple[str, ...]) -> pl.Expr:
    if not metrics:
        return pl.lit(False)
    return pl.any_horizontal([pl.col(column).list.contains(m) for m in metrics]).fill_null(False)


def series(ind: pl.DataFrame, indicator: str) -> pl.DataFrame:
    """The rows of `indicators` with `value` = the chosen indicator and how it is marked.

    estimated: a figure behind it is a budget or estimate, not an outcome;
    derived:   a figure behind it was not stated (computed from a stated change, summed from
               rural + urban, or the balance computed as income − expenditure).
    """
    cfg = settings()
    sources = cfg.indicators[indicator].sources
    if indicator in _BALANCE_INDICATORS:
        # a stated balance stands alone; otherwise it is income − expenditure
        stated = pl.col("balance_stated").is_not_null()
        estimated = (
            pl.when(stated)
            .then(_any_listed("estimated_metrics", ("balance",)))
            .otherwise(_any_listed("estimated_metrics", ("income", "expenditure")))
        )
        derived = pl.col("balance_computed").fill_null(False) | _any_listed("derived_metrics", sources)
        if indicator == "balance_rate":
            estimated = estimated | _any_listed("estimated_metrics", ("income",))
    else:
        estimated = _any_listed("estimated_metrics", sources)
        derived = _any_listed("derived_metrics", sources) | _any_listed("summed_metrics", sources)
    return (
        ind.with_columns(
            value=pl.col(indicator).cast(pl.Float64),
            estimated=estimated,
            derived=derived,
            fund_name=pl.col("fund").replace_strict(dict(codes.names("fund")), default=pl.col("fund")),
        )
        .filter(pl.col("value").is_not_null())
        .sort(["region_code", "fund", "year"])
    )


def per_capita(ind: pl.DataFrame) -> pl.DataFrame:
    """Rows with both per-capita income and expenditure, marked if either is estimated or derived."""
    income = series(ind, "income_per_capita").select(
        "region_code", "fund", "year", est_in=pl.col("estimated"), der_in=pl.col("derived")
    )
    return (
        series(ind, "expenditure_per_capita")
        .join(income, on=["region_code", "fund", "year"])
        .with_columns(
            estimated=pl.col("estimated") | pl.col("est_in"), derived=pl.col("derived") | pl.col("der_in")
        )
        .drop("est_in", "der_in")
        .filter(pl.col("income_per_capita").is_not_null())
    )


@dataclass(frozen=True)
class Card:
    """One headline figure of one fund and year, with last year's value and the trend so far."""

    value: float
    previous: float | None
    estimated: bool
    derived: bool
    trend: list[float]


def card(rows: pl.DataFrame, indicator: str, year: int) -> Card | None:
    """The card for `indicator` in `year` from one region's rows of one fund (None: not disclosed)."""
    s = series(rows, indicator)
    current = s.filter(pl.col("year") == year)
    if current.is_empty():
        return None
    row = current.row(0, named=True)
    previous = s.filter(pl.col("year") == year - 1)
    return Card(
        value=row["value"],
        previous=previous["value"][0] if previous.height else None,
        estimated=row["estimated"],
        derived=row["derived"],
        trend=s.filter(pl.col("year") <= year)["value"].to_list(),
    )


def with_growth(s: pl.DataFrame) -> pl.DataFrame:
    """Year-on-year growth (%) of `value`, only between consecutive years."""
    prev = pl.col("value").shift(1).over(["region_code", "fund"])
    prev_year = pl.col("year").shift(1).over(["region_code", "fund"])
    return s.with_columns(
        growth=pl.when((prev_year == pl.col("year") - 1) & (prev != 0))
        .then(100 * (pl.col("value") / prev - 1))
        .otherwise(None)
    )


def richest(ind: pl.DataFrame, columns: Sequence[str]) -> tuple[str, int] | None:
    """Where an overview opens: the region whose best year discloses the most of ``columns`` (the
    first region among equals), in its newest year that discloses at least half as many — the
    latest state, not an old year that happens to be the fullest."""
    if ind.is_empty():
        return None
    counted = ind.with_columns(n=pl.sum_horizontal(*(pl.col(c).is_not_null() for c in columns)))
    per_year = counted.group_by("region_code", "year").agg(pl.col("n").sum())
    best = per_year.sort(["n", "year", "region_code"], descending=[True, True, False]).row(0, named=True)
    region = best["region_code"]
    full_enough = per_year.filter((pl.col("region_code") == region) & (2 * pl.col("n") >= best["n"]))
    return region, int(full_enough["year"].max())


def with_growth_data(ind: pl.DataFrame, regions: Sequence[str], funds: Sequence[str]) -> tuple[str, str]:
    """The region and fund (in the filters' order) whose income or expenditure growth is known
    in the most years: where 收入增长与支出增长 opens (the first ones when none has any)."""
    known = ind.filter(pl.col("income_growth").is_not_null() | pl.col("expenditure_growth").is_not_null())
    counts = {(r, f): n for r, f, n in known.group_by("region_code", "fund").len().iter_rows()}
    pairs = [(r, f) for r in regions for f in funds]
    return max(pairs, key=lambda p: (counts.get(p, 0), -pairs.index(p)))


def levels(ind: pl.DataFrame) -> list[str]:
    """The region levels present, the one with the most regions first (then nation → county): a
    ranking or a scatter compares like with like, never a city among counties."""
    if ind.is_empty():
        return []
    counts = ind.group_by("region_level").agg(pl.col("region_code").n_unique().alias("n"))
    order = {level: i for i, level in enumerate(codes.LEVELS)}
    rows = sorted(counts.iter_rows(), key=lambda r: (-r[1], order.get(r[0], len(order))))
    return [level for level, _ in rows]


def levels_by_points(s: pl.DataFrame) -> list[str]:
    """The region levels of a series, the one with the most points (region-years) first: a trend
    opens on the level whose lines are longest."""
    if s.is_empty():
        return []
    counts = s.group_by("region_level").len()
    order = {level: i for i, level in enumerate(codes.LEVELS)}
    rows = sorted(counts.iter_rows(), key=lambda r: (-r[1], order.get(r[0], len(order))))
    return [level for level, _ in rows]


def best_year(s: pl.DataFrame) -> int | None:
    """The year most regions report (the latest among equals): the default for comparisons."""
    if s.is_empty():
        return None
    counts = s.group_by("year").agg(pl.col("region_code").n_unique().alias("n"))
    return int(counts.sort(["n", "year"], descending=True)["year"][0])


def ranking(s: pl.DataFrame, year: int) -> tuple[pl.DataFrame, float | None]:
    """Regions × funds of one year ranked on `value`, with the difference to the median."""
    rows = s.filter(pl.col("year") == year)
    if rows.is_empty():
        return rows.with_columns(diff=pl.lit(None, pl.Float64), rank=pl.lit(None, pl.Int64)), None
    median = float(rows["value"].median())
    ranked = rows.sort("value", descending=True).with_columns(
        diff=pl.col("value") - median,
        rank=pl.int_range(1, pl.len() + 1),
    )
    return ranked, median


@dataclass(frozen=True)
class Alert:
    severity: str  # error | warning | info
    kind: str  # deficit | reserves | disagreement | quality
    title: str
    detail: str
    fact_ids: tuple[str, ...] = field(default_factory=tuple)
    doc_id: str | None = None


# checks that compare a stated figure with the one computed from others
STATED_VS_COMPUTED = frozenset(
    {
        "balance_identity",
        "stated_rate",
        "stated_per_capita",
        "components_sum",
        "components_exceed_total",
        "cumulative_roll_forward",
    }
)


# the overview's alert groups, in order: how the fund runs, then figures that disagree, then
# the reading itself
ALERT_GROUPS = {"fund": "基金运行", "disagreement": "数值核对", "quality": "数据质量"}


def alerts(ind: pl.DataFrame, checks: pl.DataFrame) -> list[Alert]:
    """The alerts for one region and year: deficits, reserves outside the reasonable band,
    stated figures that disagree with computed ones, and data-quality findings."""
    from dashboard.core.units import format_value

    cfg = settings()
    found: list[Alert] = []
    for row in ind.iter_rows(named=True):
        fund = cfg.fund_name(row["fund"])
        ids = tuple(row["fact_ids"] or ())
        if row["balance"] is not None and row["balance"] < 0:
            rate = f"，结余率 {row['balance_rate']:.1f}%" if row["balance_rate"] is not None else ""
            how = "（按收入−支出计算）" if row["balance_computed"] else ""
            found.append(
                Alert(
                    "error",
                    "deficit",
                    f"{fund}当期收不抵支",
                    f"{row['year']}年当期结余 {format_value(row['balance'], 'money')}{how}{rate}",
                    ids,
                )
            )
        months = row["months_of_reserves"]
        if months is not None:
            band = cfg.band_for(months)
            if band.status != "good":
                found.append(
                    Alert(
                        "error" if band.status == "bad" else "warning",
                        "reserves",
                        f"{fund}累计结余可支付 {months:.1f} 个月：{band.label}",
                        "合理区间为 6–9 个月（累计结余 ÷ 月均支出）",
                        ids,
                    )
                )
        if row["n_disagreeing_facts"]:
            found.append(
                Alert(
                    "warning",
                    "disagreement",
                    f"{fund}有 {row['n_disagreeing_facts']} 个数值与所采用的数值不一致",
                    "同一指标在不同报告或段落中数值不同，请核对来源",
                    ids,
                )
            )
    for row in checks.iter_rows(named=True):
        kind = "disagreement" if row["check_id"] in STATED_VS_COMPUTED else "quality"
        found.append(
            Alert(
                row["severity"],
                kind,
                _check_title(row),
                f"{row['message']}（报告：{row['file_name'] or '未知'}）",
                tuple(row["fact_ids"] or ()),
                row["doc_id"],
            )
        )
    order = codes.order("severity")
    groups = {group: i for i, group in enumerate(ALERT_GROUPS)}
    return sorted(found, key=lambda a: (groups[alert_group(a)], order.get(a.severity, len(order))))


def alert_group(alert: Alert) -> str:
    return alert.kind if alert.kind in ("disagreement", "quality") else "fund"


def alerts_strip(alerts: list[Alert]) -> str:
    """One line for the top of the overview: how many alerts of each group (listed below)."""
    if not alerts:
        return ":green[无赤字、结余异常或数据质量问题]"
    parts = "，".join(f"{name} {len(members)} 项" for name, members in grouped(alerts))
    errors = sum(a.severity == "error" for a in alerts)
    mark = f":red[**{errors} 项需关注**] · " if errors else ""
    return f"{mark}提示 {len(alerts)} 项（见下方“提示”）：{parts}"


def grouped(alerts: list[Alert]) -> list[tuple[str, list[Alert]]]:
    """The alerts under their group's Chinese name, groups in order, empty ones left out."""
    return [
        (name, members)
        for key, name in ALERT_GROUPS.items()
        if (members := [a for a in alerts if alert_group(a) == key])
    ]


def _check_title(row: dict) -> str:
    """What a check found, whole and short: the figure it names and the check's title
    (2024年医疗救助当期结余：收入、支出与结余不符), never a cut message."""
    fund, metric = row.get("fund"), row.get("metric")
    figure = label(fund, metric, row.get("item") or "total", row.get("year")) if fund and metric else ""
    return f"{figure}：{check_title(row['check_id'])}" if figure else check_title(row["check_id"])


def growth_gap(ind: pl.DataFrame) -> tuple[int, float] | None:
    """The latest year with both growth rates, and expenditure growth minus income growth."""
    both = ind.filter(pl.col("income_growth").is_not_null(), pl.col("expenditure_growth").is_not_null())
    if both.is_empty():
        return None
    row = both.sort("year").row(-1, named=True)
    return int(row["year"]), float(row["expenditure_growth"] - row["income_growth"])


def national_reference(path: Path | None = None) -> pl.DataFrame:
    """National totals (统计公报) by year and fund: income, expenditure and insured, with the
    per-capita figures, their status and sources, and whether they include 生育保险."""
    path = path or settings().national_path
    raw = pl.read_csv(path, schema_overrides={"value": pl.Float64, "published_value": pl.Utf8})
    totals = raw.filter(
        pl.col("item") == "total", pl.col("metric").is_in(["income", "expenditure", "insured"])
    )
    wide = totals.pivot(on="metric", index=["year", "fund"], values="value", aggregate_function="first")
    meta = totals.group_by(["year", "fund"]).agg(
        status=pl.when((pl.col("status") == "verified").all())
        .then(pl.lit("已核实"))
        .otherwise(pl.lit("单一来源")),
        source=pl.col("source").str.split(" via ").list.first().unique().sort().str.join("；"),
        # the bulletin's figure includes 生育保险 (its note says so; from 2019, the funds merged)
        includes_maternity=(
            pl.col("source").str.contains("含生育保险") & ~pl.col("source").str.contains("not labelled")
        ).any(),
    )
    for col in ("income", "expenditure", "insured"):
        if col not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(col))
    return (
        wide.join(meta, on=["year", "fund"], how="left")
        .with_columns(
            income_per_capita=pl.col("income") / pl.col("insured"),
            expenditure_per_capita=pl.col("expenditure") / pl.col("insured"),
        )
        .sort(["fund", "year"])
    )
