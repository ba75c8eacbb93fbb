"""Generate a SYNTHETIC national-scale MedFund database for benchmarking the dashboard.

    .venv/bin/python -m scripts.make_synthetic_db --out benchmarks/out/synthetic.duckdb \
        [--regions 2850] [--years 15] [--first-year 2010] [--seed 7] [--force]

The first ``--regions`` current county-level regions of data/regions/gb2260.csv (by code) each get
one report per year.  Every report is a short Chinese text that starts with 【合成数据】
and is the concatenation of the sentences its facts are quoted from, so every fact's
quote is ``text[quote_start:quote_end]`` (Python string offsets, as the pipeline stores
them).  Figures are random but plausible for a county and internally consistent:
balance = income − expenditure and this year's cumulative balance = last year's plus this
year's balance, except for a rare deliberately wrong stated balance or per-capita figure,
which the ``checks`` table then reports.  About one report in twenty also holds a rejected
candidate sentence (the ``rejections`` table).

The schema comes from ``pipelines.store.connect``; only the tables are filled.  The file is
written to PATH.tmp and renamed at the end, so a crash never leaves a half-written PATH.
Not real data: every document is labelled synthetic (file name, genre, warnings, text).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipelines import indicators, store
from pipelines.checks import default_config, label, wan
from pipelines.models import METRIC_UNIT, Metric
from pipelines.regions import DEFAULT_CSV

INGESTED_AT = datetime(2025, 1, 1)
WARNING = "合成数据（基准测试用），非真实报告"
CLOSING = "本文由基准测试生成器自动合成，数字均为随机生成，不反映任何地区的真实情况。\n"
SYNTHETIC = "synthetic"

# Shares of region-years with a deliberately wrong stated figure, budget or rejected sentence.
BALANCE_ERROR_RATE = 0.015
PER_CAPITA_ERROR_RATE = 0.015
BUDGET_RATE = 0.25
DERIVED_RATE = 0.03
TRANSFER_REJECTION_RATE = 0.03
GROWTH_REJECTION_RATE = 0.02
CRITICAL_ILLNESS_INSURED_RATE = 0.5

# Each paragraph is "<year>" + its lead + clauses joined by "，" + "。"; {unit} is the last
# character of the region's name (全县, 全区, 全市, 全旗).
PARAGRAPH_LEADS = {
    "all": "年，全{unit}基本医疗保险",
    "employee": "年，城镇职工基本医疗保险",
    "resident": "年，城乡居民基本医疗保险",
    "maternity": "年，生育保险",
    "critical_illness": "年，城乡居民大病保险",
    "assistance": "年，医疗救助",
    "budget": "年预算执行方面，",
    "estimate": "年年中测算，",
    "other": "年，",
}
# How a unit is written: number format and suffix.  count: integer; wan: amount in
# hundredths of 万元 (100 元); cent: amount in hundredths.
UNIT_FORMATS = {
    "person": ("count", "人"),
    "visit": ("count", "人次"),
    "yuan": ("wan", "万元"),
    "percent": ("cent", "%"),
    "yuan_per_person": ("cent", "元"),
}


@dataclass(frozen=True)
class Figure:
    """One kind of sentence clause: a fact, or a rejected candidate when ``reason`` is set."""

    series: str  # key of the simulated (regions × years) array; NaN = no such clause
    para: str
    label: str  # the words before the number
    metric: str
    unit: str
    fund: str | None = None
    item: str = "total"
    basis: str = "actual"
    reason: str | None = None

    @property
    def fmt(self) -> str:
        return UNIT_FORMATS[self.unit][0]

    @property
    def suffix(self) -> str:
        return UNIT_FORMATS[self.unit][1]


def _fact(fund: str, metric: str, words: str, item: str = "total", basis: str = "actual") -> Figure:
    para = fund if basis == "actual" else basis
    unit = METRIC_UNIT[Metric(metric)].value
    return Figure(f"{fund}.{metric}.{item}.{basis}", para, words, metric, unit, fund, item, basis)


# In text order: paragraphs in PARAGRAPH_LEADS order, clauses in the order listed.
FIGURES = (
    _fact("all", "insured", "参保总人数"),
    _fact("all", "coverage_rate", "参保率"),
    _fact("employee", "insured", "参保人数"),
    _fact("employee", "insured", "其中在职职工", item="active"),
    _fact("employee", "insured", "退休人员", item="retired"),
    _fact("employee", "income", "基金收入"),
    _fact("employee", "expenditure", "基金支出"),
    _fact("employee", "balance", "当期结余"),
    _fact("employee", "balance_rate", "当期结余率"),
    _fact("employee", "cumulative_balance", "累计结余"),
    _fact("employee", "income_per_capita", "人均基金收入"),
    _fact("employee", "expenditure_per_capita", "人均基金支出"),
    _fact("employee", "visits", "享受待遇"),
    _fact("resident", "insured", "参保人数"),
    _fact("resident", "financing_per_capita", "人均筹资标准"),
    _fact("resident", "income", "基金收入"),
    _fact("resident", "expenditure", "基金支出"),
    _fact("resident", "expenditure", "其中住院支出", item="inpatient"),
    _fact("resident", "expenditure", "门诊支出", item="outpatient"),
    _fact("resident", "balance", "当期结余"),
    _fact("resident", "balance_rate", "当期结余率"),
    _fact("resident", "cumulative_balance", "累计结余"),
    _fact("resident", "income_per_capita", "人均基金收入"),
    _fact("resident", "expenditure_per_capita", "人均基金支出"),
    _fact("resident", "visits", "享受待遇"),
    _fact("resident", "visits", "其中住院", item="inpatient"),
    _fact("resident", "visits", "门诊", item="outpatient"),
    _fact("maternity", "insured", "参保人数"),
    _fact("maternity", "income", "基金收入"),
    _fact("maternity", "expenditure", "基金支出"),
    _fact("maternity", "balance", "当期结余"),
    _fact("maternity", "cumulative_balance", "累计结余"),
    _fact("maternity", "visits", "享受待遇"),
    _fact("critical_illness", "insured", "覆盖人数"),
    _fact("critical_illness", "income", "筹集资金"),
    _fact("critical_illness", "expenditure", "赔付支出"),
    _fact("critical_illness", "visits", "赔付"),
    _fact("assistance", "income", "筹集资金"),
    _fact("assistance", "expenditure", "救助支出"),
    _fact("assistance", "balance", "当期结余"),
    _fact("assistance", "visits", "救助"),
    _fact("employee", "income", "城镇职工基本医疗保险基金收入年初预算", basis="budget"),
    _fact("resident", "income", "城乡居民基本医疗保险基金收入年初预算", basis="budget"),
    _fact("resident", "income", "城乡居民基本医疗保险预计全年基金收入", basis="estimate"),
    _fact("resident", "expenditure", "预计全年基金支出", basis="estimate"),
    Figure(
        "other.transfer", "other", "另有上级补助资金", "income", "yuan", item="transfer",
        reason="未能确定该笔补助资金属于哪一项基金，请人工核对",
    ),
    Figure(
        "other.growth", "other", "预计下年度基金收入增长", "income", "percent",
        reason="增长率不是基金收支指标，未收录",
    ),
)  # fmt: skip


# ---------------------------------------------------------------- simulated figures


def _trend(rng: np.random.Generator, shape: tuple[int, int], level: tuple, growth: tuple) -> np.ndarray:
    """A per-region level (at the middle year) growing by a per-region rate, with 1 % noise."""
    n, years = shape
    t = np.arange(years) - (years - 1) / 2
    base = rng.uniform(*level, size=(n, 1))
    rate = rng.uniform(*growth, size=(n, 1))
    return base * (1 + rate) ** t * rng.normal(1, 0.01, size=shape)


def _rare(rng: np.random.Generator, shape: tuple[int, int], rate: float) -> np.ndarray:
    return rng.random(shape) < rate


def _ledger(rng: np.random.Generator, fund: str, income: np.ndarray, cumulative: bool = True) -> dict:
    """Expenditure within ±12 % of income, the stated balance (rarely wrong) and its roll-forward."""
    shape = income.shape
    expenditure = np.round(income * rng.uniform(0.88, 1.12, shape))
    error = np.round(rng.uniform(200, 5000, shape)) * rng.choice([-1, 1], shape)
    balance = income - expenditure + np.where(_rare(rng, shape, BALANCE_ERROR_RATE), error, 0)
    out = {
        f"{fund}.income.total.actual": income,
        f"{fund}.expenditure.total.actual": expenditure,
        f"{fund}.balance.total.actual": balance,
    }
    if cumulative:
        opening = np.round(income[:, :1] * rng.uniform(0.3, 1.2, (shape[0], 1)))
        out[f"{fund}.cumulative_balance.total.actual"] = opening + np.cumsum(balance, axis=1)
    return out


def _ratios(
    rng: np.random.Generator, fund: str, series: dict, insured: np.ndarray, error_rate: float
) -> dict:
    """Stated balance rate and per-capita figures (in hundredths); income per capita rarely wrong."""
    income = series[f"{fund}.income.total.actual"]
    expenditure = series[f"{fund}.expenditure.total.actual"]
    balance = series[f"{fund}.balance.total.actual"]
    error = np.where(_rare(rng, income.shape, error_rate), rng.uniform(1.05, 1.15, income.shape), 1.0)
    return {
        f"{fund}.balance_rate.total.actual": np.round(10_000 * balance / income),
        f"{fund}.income_per_capita.total.actual": np.round(income * 10_000 / insured * error),
        f"{fund}.expenditure_per_capita.total.actual": np.round(expenditure * 10_000 / insured),
    }


def _employee(rng: np.random.Generator, shape: tuple[int, int]) -> dict:
    insured = np.round(_trend(rng, shape, (20_000, 80_000), (0.01, 0.04)))
    retired = np.round(insured * rng.uniform(0.22, 0.35, (shape[0], 1)))
    income = np.round(insured * _trend(rng, shape, (4_000, 6_000), (0.03, 0.06)) / 100)
    out = {
        "employee.insured.total.actual": insured,
        "employee.insured.active.actual": insured - retired,
        "employee.insured.retired.actual": retired,
        "employee.visits.total.actual": np.round(insured * rng.uniform(4, 8, shape)),
    }
    out |= _ledger(rng, "employee", income)
    return out | _ratios(rng, "employee", out, insured, 0.0)


def _resident(rng: np.random.Generator, shape: tuple[int, int]) -> dict:
    insured = np.round(_trend(rng, shape, (200_000, 900_000), (-0.01, 0.02)))
    per_capita = _trend(rng, shape, (900, 1_200), (0.02, 0.05))
    financing = np.round(per_capita * rng.uniform(0.9, 1.0, shape)) * 100  # whole 元, in hundredths
    out = {"resident.insured.total.actual": insured, "resident.financing_per_capita.total.actual": financing}
    out |= _ledger(rng, "resident", np.round(insured * per_capita / 100))
    expenditure = out["resident.expenditure.total.actual"]
    out["resident.expenditure.inpatient.actual"] = np.round(expenditure * rng.uniform(0.6, 0.72, shape))
    out["resident.expenditure.outpatient.actual"] = np.round(expenditure * rng.uniform(0.15, 0.25, shape))
    inpatient = np.round(insured * rng.uniform(0.12, 0.2, shape))
    outpatient = np.round(insured * rng.uniform(1.0, 2.5, shape))
    out["resident.visits.inpatient.actual"] = inpatient
    out["resident.visits.outpatient.actual"] = outpatient
    out["resident.visits.total.actual"] = (
        inpatient + outpatient + np.round(insured * rng.uniform(0.1, 0.3, shape))
    )
    return out | _ratios(rng, "resident", out, insured, PER_CAPITA_ERROR_RATE)


def _maternity(rng: np.random.Generator, shape: tuple[int, int], series: dict) -> dict:
    insured = np.round(series["employee.insured.total.actual"] * rng.uniform(0.75, 0.95, (shape[0], 1)))
    income = np.round(series["employee.income.total.actual"] * rng.uniform(0.06, 0.1, shape))
    out = {
        "maternity.insured.total.actual": insured,
        "maternity.visits.total.actual": np.round(insured * rng.uniform(0.01, 0.03, shape)),
    }
    return out | _ledger(rng, "maternity", income)


def _critical_illness(rng: np.random.Generator, shape: tuple[int, int], series: dict) -> dict:
    covered = series["resident.insured.total.actual"]
    stated = _rare(rng, (shape[0], 1), CRITICAL_ILLNESS_INSURED_RATE) & np.ones(shape, dtype=bool)
    income = np.round(series["resident.income.total.actual"] * rng.uniform(0.05, 0.08, shape))
    ledger = _ledger(rng, "critical_illness", income, cumulative=False)  # its balance is not stated
    return {
        "critical_illness.insured.total.actual": np.where(stated, covered, np.nan),
        "critical_illness.income.total.actual": income,
        "critical_illness.expenditure.total.actual": ledger["critical_illness.expenditure.total.actual"],
        "critical_illness.visits.total.actual": np.round(covered * rng.uniform(0.005, 0.01, shape)),
    }


def _assistance(rng: np.random.Generator, shape: tuple[int, int], series: dict) -> dict:
    population = series["resident.insured.total.actual"]
    income = np.round(population * rng.uniform(15, 40, shape) / 100)
    out = {"assistance.visits.total.actual": np.round(population * rng.uniform(0.05, 0.15, shape))}
    return out | _ledger(rng, "assistance", income, cumulative=False)


def _all_funds(rng: np.random.Generator, shape: tuple[int, int], series: dict) -> dict:
    insured = series["employee.insured.total.actual"] + series["resident.insured.total.actual"]
    return {
        "all.insured.total.actual": insured,
        "all.coverage_rate.total.actual": np.round(rng.uniform(9_500, 9_950, shape)),
    }


def _budgets_and_estimates(rng: np.random.Generator, shape: tuple[int, int], series: dict) -> dict:
    """Budgets for a quarter of the region-years; mid-year estimates in the last year's reports."""
    out = {}
    for fund in ("employee", "resident"):
        actual = series[f"{fund}.income.total.actual"]
        budget = np.round(actual * rng.uniform(0.95, 1.05, shape))
        out[f"{fund}.income.total.budget"] = np.where(_rare(rng, shape, BUDGET_RATE), budget, np.nan)
    last_year = np.zeros(shape, dtype=bool)
    last_year[:, -1] = True
    for metric in ("income", "expenditure"):
        estimate = np.round(series[f"resident.{metric}.total.actual"] * rng.uniform(0.97, 1.03, shape))
        out[f"resident.{metric}.total.estimate"] = np.where(last_year, estimate, np.nan)
    return out


def _rejected(rng: np.random.Generator, shape: tuple[int, int]) -> dict:
    transfer = np.round(rng.uniform(1_000, 50_000, shape))
    growth = np.round(rng.uniform(200, 900, shape))
    return {
        "other.transfer": np.where(_rare(rng, shape, TRANSFER_REJECTION_RATE), transfer, np.nan),
        "other.growth": np.where(_rare(rng, shape, GROWTH_REJECTION_RATE), growth, np.nan),
    }


def simulate(n_regions: int, n_years: int, seed: int) -> dict[str, np.ndarray]:
    """Every clause's amount per region and year (rows × columns), NaN where not stated.

    Amounts are whole numbers of the unit the clause is written in: persons and visits;
    0.01 万元 (100 元) for money; hundredths for percents and per-capita 元.
    """
    rng = np.random.default_rng(seed)
    shape = (n_regions, n_years)
    series = _employee(rng, shape) | _resident(rng, shape)
    series |= _maternity(rng, shape, series)
    series |= _critical_illness(rng, shape, series)
    series |= _assistance(rng, shape, series)
    series |= _all_funds(rng, shape, series)
    series |= _budgets_and_estimates(rng, shape, series)
    return series | _rejected(rng, shape)


# ---------------------------------------------------------------- documents and text


def load_regions(n: int) -> pl.DataFrame:
    """The first ``n`` current county-level regions by code, with row index ``r``."""
    table = pl.read_csv(DEFAULT_CSV, schema_overrides={"code": pl.String, "parent_code": pl.String})
    counties = table.filter((pl.col("level") == "county") & (pl.col("status") == "current")).sort("code")
    if n > counties.height:
        raise ValueError(f"only {counties.height} county-level regions are available, not {n}")
    return counties.head(n).with_row_index("r").with_columns(pl.col("r").cast(pl.Int64))


def document_frame(regions: pl.DataFrame, first_year: int, n_years: int) -> pl.DataFrame:
    """One row per region and year: index (r, t), identity and region columns."""
    years = pl.DataFrame({"t": np.arange(n_years, dtype=np.int64)}).with_columns(
        year=(pl.col("t") + first_year).cast(pl.Int32)
    )
    docs = regions.join(years, how="cross").sort("r", "t")
    doc_ids = [
        hashlib.sha256(f"synthetic|{code}|{year}".encode()).hexdigest()
        for code, year in zip(docs["code"], docs["year"], strict=True)
    ]
    return docs.select(
        "r",
        "t",
        "year",
        pl.Series("doc_id", doc_ids),
        pl.col("code").alias("region_code"),
        pl.col("name").alias("region_name"),
        pl.col("level").alias("region_level"),
        pl.col("parent_code").alias("region_parent_code"),
        pl.format("SYNTHETIC-{}-{}.txt", "code", "year").alias("file_name"),
    )


def clause_frame(series: dict[str, np.ndarray]) -> pl.DataFrame:
    """Every stated clause: (r, t, figure index, amount), for the figures of FIGURES."""
    n, years = next(iter(series.values())).shape
    r = np.repeat(np.arange(n, dtype=np.int64), years)
    t = np.tile(np.arange(years, dtype=np.int64), n)
    frames = []
    for index, figure in enumerate(FIGURES):
        amount = series[figure.series].ravel()
        keep = ~np.isnan(amount)
        frame = pl.DataFrame({"r": r[keep], "t": t[keep], "amount": amount[keep].astype(np.int64)})
        frames.append(frame.with_columns(figure=pl.lit(index, pl.Int32)))
    return pl.concat(frames)


def figure_frame() -> pl.DataFrame:
    """FIGURES as a frame keyed by index, with each paragraph's rank and lead."""
    paragraphs = list(PARAGRAPH_LEADS)
    rows = [
        {
            "figure": index,
            "para": f.para,
            "para_rank": paragraphs.index(f.para),
            "para_lead": PARAGRAPH_LEADS[f.para],
            "label": f.label,
            "fmt": f.fmt,
            "suffix": f.suffix,
            "fund": f.fund,
            "metric": f.metric,
            "item": f.item,
            "basis": f.basis,
            "unit": f.unit,
            "reason": f.reason,
        }
        for index, f in enumerate(FIGURES)
    ]
    frame = pl.DataFrame(rows).with_columns(pl.col("figure").cast(pl.Int32))
    if not frame["para_rank"].is_sorted():  # text order is FIGURES order; paragraphs must not interleave
        raise ValueError("FIGURES must list the clauses paragraph by paragraph, in PARAGRAPH_LEADS order")
    return frame


def _number() -> pl.Expr:
    """The amount as written: an integer, or hundredths as a two-decimal number."""
    amount = pl.col("amount")
    sign = pl.when(amount < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    hundredths = pl.concat_str(
        sign,
        (amount.abs() // 100).cast(pl.String),
        pl.lit("."),
        (amount.abs() % 100).cast(pl.String).str.zfill(2),
    )
    return pl.when(pl.col("fmt") == "count").then(amount.cast(pl.String)).otherwise(hundredths)


def _value() -> pl.Expr:
    amount = pl.col("amount")
    by_format = pl.when(pl.col("fmt") == "wan").then(amount * 100.0).when(pl.col("fmt") == "cent")
    return by_format.then(amount / 100.0).otherwise(amount.cast(pl.Float64))


def _boundaries() -> dict[str, pl.Expr]:
    """Flags for the first and last clause of each document and paragraph (frame in text order)."""
    new_doc = (pl.col("r") != pl.col("r").shift(1)) | (pl.col("t") != pl.col("t").shift(1))
    new_para = new_doc | (pl.col("para_rank") != pl.col("para_rank").shift(1))
    return {"doc_first": new_doc.fill_null(True), "para_first": new_para.fill_null(True)}


def _lead_and_tail() -> tuple[pl.Expr, pl.Expr]:
    """Text before a clause (header, paragraph lead or comma) and after it (。, closing)."""
    header = pl.concat_str(pl.lit("【合成数据】"), "region_name", "year", pl.lit("年医疗保障基金运行情况\n"))
    unit = pl.col("region_name").str.slice(-1)
    para_lead = pl.concat_str(pl.col("year"), pl.col("para_lead").str.replace("{unit}", unit, literal=True))
    doc_last = pl.col("doc_first").shift(-1).fill_null(True)
    para_last = pl.col("para_first").shift(-1).fill_null(True)
    lead = pl.concat_str(
        pl.when("doc_first").then(header).otherwise(pl.lit("")),
        pl.when("para_first").then(para_lead).otherwise(pl.lit("，")),
    )
    tail = pl.concat_str(
        pl.when(para_last).then(pl.lit("。\n")).otherwise(pl.lit("")),
        pl.when(doc_last).then(pl.lit(CLOSING)).otherwise(pl.lit("")),
    )
    return lead, tail


def _quote_start() -> pl.Expr:
    """Offset of the quote in its document: pieces before it in the document, then its lead."""
    length = pl.col("piece").str.len_chars().cast(pl.Int64)
    before = length.cum_sum() - length  # over the whole frame
    doc_start = pl.when("doc_first").then(before).forward_fill()
    return (before - doc_start + pl.col("lead").str.len_chars()).cast(pl.Int32)


def piece_frame(clauses: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    """Clauses in text order with their quote, its offsets and the text piece holding it."""
    lead, tail = _lead_and_tail()
    doc_columns = docs.select("r", "t", "year", "doc_id", "region_code", "region_name", "region_level")
    return (
        clauses.lazy()
        .join(figure_frame().lazy(), on="figure")
        .join(doc_columns.lazy(), on=["r", "t"])
        .sort("r", "t", "figure")
        .with_columns(quote=pl.concat_str("label", _number(), "suffix"), value=_value(), **_boundaries())
        .with_columns(lead=lead, tail=tail)
        .with_columns(piece=pl.concat_str("lead", "quote", "tail"))
        .with_columns(quote_start=_quote_start())
        .with_columns(quote_end=(pl.col("quote_start") + pl.col("quote").str.len_chars()).cast(pl.Int32))
        .drop("lead", "tail", "para_lead", "label", "suffix")
        .collect()
    )


# ---------------------------------------------------------------- table frames


def report_table(pieces: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    texts = pieces.group_by("r", "t", maintain_order=True).agg(
        text=pl.col("piece").str.join(""),
        n_facts=pl.col("reason").is_null().sum().cast(pl.Int32),
        n_rejections=pl.col("reason").is_not_null().sum().cast(pl.Int32),
    )
    frame = docs.join(texts, on=["r", "t"]).sort("r", "t")
    return frame.with_columns(
        source_path=pl.concat_str(pl.lit("synthetic://"), "file_name"),
        reader=pl.lit(SYNTHETIC),
        encoding=pl.lit("utf-8"),
        size_bytes=pl.col("text").str.len_bytes().cast(pl.Int64),
        report_year=(pl.col("year") + 1).cast(pl.Int32),
        year_evidence=pl.lit("合成数据：年份由生成器指定"),
        genre=pl.lit(SYNTHETIC),
        region_confidence=pl.lit("high"),
        region_evidence=pl.lit(["合成数据：地区由生成器指定"]),
        warnings=pl.lit([WARNING]),
        extractor_version=pl.lit(SYNTHETIC),
        ingested_at=pl.lit(INGESTED_AT),
        title=pl.lit(None, pl.String),
        source_url=pl.lit(None, pl.String),
        standing=pl.lit("ordinary"),
    )


def _seq_in_document() -> pl.Expr:
    """0, 1, 2 … within each document (frame sorted by document)."""
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    new_doc = (pl.col("doc_id") != pl.col("doc_id").shift(1)).fill_null(True)
    return (row - pl.when(new_doc).then(row).forward_fill()).cast(pl.Int32)


def fact_table(pieces: pl.DataFrame, seed: int) -> pl.DataFrame:
    facts = pieces.filter(pl.col("reason").is_null())
    rng = np.random.default_rng([seed, 1])
    derived = (rng.random(facts.height) < DERIVED_RATE) & (facts["basis"] == "actual").to_numpy()
    seq = _seq_in_document().cast(pl.String).str.zfill(4)
    return facts.with_columns(
        fact_id=pl.concat_str(pl.col("doc_id").str.slice(0, 16), pl.lit("-"), seq),
        derived=pl.Series(derived),
        rule_id=pl.lit(SYNTHETIC),
        rules=pl.lit([SYNTHETIC]),
        period=pl.lit(None, dtype=pl.String),  # whole-year figures only
        confidence=pl.lit("high"),  # generated, so read without doubt
        confidence_reasons=pl.lit(None, dtype=pl.String),
    )


def rejection_table(pieces: pl.DataFrame) -> pl.DataFrame:
    rejected = pieces.filter(pl.col("reason").is_not_null())
    candidate = pl.struct(
        "year", "fund", "metric", "item", "basis", "value", "unit",
        pl.col("quote_start").alias("start"), pl.col("quote_end").alias("end"),
        pl.lit(SYNTHETIC).alias("rule_id"), "doc_id",
    )  # fmt: skip
    return rejected.with_columns(
        seq=_seq_in_document(),
        rule_id=pl.lit(SYNTHETIC),
        candidate=candidate.struct.json_encode(),
    )


_STATED_ACTUAL_TOTAL = (pl.col("basis") == "actual") & (pl.col("item") == "total")


def _side_by_side(facts: pl.DataFrame, metrics: tuple[str, ...]) -> pl.DataFrame:
    """The metrics' actual totals as columns, one row per document and fund."""
    picks = [pl.col("value").filter(pl.col("metric") == m).first().alias(m) for m in metrics]
    narrow = facts.select("doc_id", "region_code", "year", "fund", "metric", "item", "basis", "value")
    rows = narrow.filter(_STATED_ACTUAL_TOTAL & pl.col("metric").is_in(metrics))
    return rows.group_by("doc_id", "fund").agg(pl.col("region_code").first(), pl.col("year").first(), *picks)


def _references(facts: pl.DataFrame, flagged: pl.DataFrame) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(doc_id, fund, metric) -> (fact_id, quote) of the flagged documents' funds' actual totals."""
    rows = facts.join(flagged.select("doc_id", "fund"), on=["doc_id", "fund"], how="semi")
    columns = rows.filter(_STATED_ACTUAL_TOTAL).select("doc_id", "fund", "metric", "fact_id", "quote")
    return {(d, f, m): (fact_id, quote) for d, f, m, fact_id, quote in columns.iter_rows()}


def _check_row(row: dict, refs: dict, metrics: tuple[str, ...], **fields: object) -> dict:
    """A checks row about ``row`` (a document and fund) citing the facts of ``metrics``, first quoted."""
    cited = [refs[(row["doc_id"], row["fund"], m)] for m in metrics]
    keys = {k: row[k] for k in ("doc_id", "region_code", "year", "fund")}
    return keys | fields | {"fact_ids": [fact_id for fact_id, _ in cited], "quote": cited[0][1]}


def _balance_checks(facts: pl.DataFrame) -> list[dict]:
    """Stated balances that differ from income − expenditure (same tolerance as checks.yaml)."""
    cfg = default_config()
    wide = _side_by_side(facts, ("income", "expenditure", "balance"))
    computed = pl.col("income") - pl.col("expenditure")
    scale = pl.max_horizontal(computed.abs(), pl.col("balance").abs())
    tolerance = pl.max_horizontal(cfg.money_tolerance_relative * scale, pl.lit(cfg.money_tolerance_yuan))
    flagged = wide.filter((pl.col("balance") - computed).abs() > tolerance)
    refs = _references(facts, flagged)
    return [
        _check_row(
            row,
            refs,
            ("balance", "income", "expenditure"),
            check_id="balance_identity",
            severity="error",
            message=f"{label(row['fund'], 'balance', 'total', row['year'])}：收入{wan(row['income'])} − "
            f"支出{wan(row['expenditure'])} = {wan(expected)}，但文中所列结余为{wan(row['balance'])}，"
            f"相差{wan(row['balance'] - expected)}。",
            metric="balance",
            expected=expected,
            actual=row["balance"],
        )
        for row in flagged.iter_rows(named=True)
        for expected in [row["income"] - row["expenditure"]]
    ]


def _per_capita_checks(facts: pl.DataFrame) -> list[dict]:
    """Stated income per capita more than 2 % off income ÷ insured."""
    cfg = default_config()
    wide = _side_by_side(facts, ("income_per_capita", "income", "insured"))
    computed = pl.col("income") / pl.col("insured")
    stated = pl.col("income_per_capita")
    flagged = wide.filter((stated - computed).abs() > cfg.per_capita_tolerance_relative * computed + 1)
    refs = _references(facts, flagged)
    return [
        _check_row(
            row,
            refs,
            ("income_per_capita", "income", "insured"),
            check_id="stated_per_capita",
            severity="warning",
            message=f"{label(row['fund'], 'income_per_capita', 'total', row['year'])}："
            f"文中为{row['income_per_capita']:,.2f}元，按基金收入÷参保人数计算为{expected:,.2f}元。",
            metric="income_per_capita",
            expected=expected,
            actual=row["income_per_capita"],
        )
        for row in flagged.iter_rows(named=True)
        for expected in [row["income"] / row["insured"]]
    ]


def check_table(facts: pl.DataFrame) -> pl.DataFrame:
    """The document checks the generated figures fail, computed from the facts themselves."""
    rows = _balance_checks(facts) + _per_capita_checks(facts)
    schema = store.TABLE_COLUMNS["checks"]
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame(rows).with_columns(item=pl.lit("total"), basis=pl.lit("actual"))
    frame = frame.sort("doc_id", "check_id", "fund")
    return frame.with_columns(seq=_seq_in_document())


# ---------------------------------------------------------------- writing


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append the frame's columns of the table, in the table's order and types."""
    schema = store.TABLE_COLUMNS[table]
    columns = frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
    if columns.height:
        con.from_arrow(columns.to_arrow()).insert_into(table)
    return columns.height


def _tables(regions: int, years: int, first_year: int, seed: int) -> dict[str, pl.DataFrame]:
    docs = document_frame(load_regions(regions), first_year, years)
    pieces = piece_frame(clause_frame(simulate(regions, years, seed)), docs)
    facts = fact_table(pieces, seed)
    return {
        "report": report_table(pieces, docs),
        "fact": facts,
        "rejections": rejection_table(pieces),
        "checks": check_table(facts),
    }


def _remove(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def generate(
    path: str | Path,
    regions: int = 2850,
    years: int = 15,
    first_year: int = 2010,
    seed: int = 7,
    force: bool = False,
) -> dict[str, int]:
    """Write a fresh synthetic database at ``path``; return the rows written per table."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists")
    if regions < 1 or years < 1:
        raise ValueError("regions and years must be positive")
    tmp = path.with_name(path.name + ".tmp")
    tmp_wal = tmp.with_name(tmp.name + ".wal")
    _remove(tmp, tmp_wal)
    try:
        tables = _tables(regions, years, first_year, seed)
        con = store.connect(tmp)
        try:
            with store.transaction(con):
                counts = {name: _insert(con, name, frame) for name, frame in tables.items()}
                indicators.rebuild(con)  # the stored indicators, as an ingest would have written them
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except BaseException:
        _remove(tmp, tmp_wal)
        raise
    _remove(path.with_name(path.name + ".wal"))  # a stale log would be replayed onto the new file
    os.replace(tmp, path)
    return counts


def _time_views(path: Path) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        t0 = time.perf_counter()
        n = con.execute("SELECT count(*) FROM indicators_by_basis").fetchone()[0]
        t1 = time.perf_counter()
        code = con.execute("SELECT min(region_code) FROM report").fetchone()[0]
        m = len(con.execute("SELECT * FROM indicators WHERE region_code = ?", [code]).fetchall())
        t2 = time.perf_counter()
    finally:
        con.close()
    print(f"note: SELECT count(*) FROM indicators_by_basis -> {n:,} rows in {t1 - t0:.2f} s")
    print(f"note: SELECT * FROM indicators WHERE region_code = '{code}' -> {m} rows in {t2 - t1:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="DuckDB file to write")
    parser.add_argument("--regions", type=int, default=2850, help="county-level regions (first N by code)")
    parser.add_argument("--years", type=int, default=15, help="report years per region")
    parser.add_argument("--first-year", type=int, default=2010)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        counts = generate(args.out, args.regions, args.years, args.first_year, args.seed, force=args.force)
    except FileExistsError as err:
        print(f"error: {err}; use --force to replace it", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - t0
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    print(f"wrote {args.out}: {rows} rows in {seconds:.1f} s ({args.out.stat().st_size / 1e6:,.0f} MB)")
    _time_views(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
