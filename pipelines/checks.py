"""Consistency checks of one document's facts, each with a severity and a Chinese message.

The checks and their tolerances are listed in ``rules/checks.yaml``; this module applies
them.  A check never changes a fact: it says what disagrees and where it was read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipelines import codes
from pipelines.models import CheckResult, Fact, Severity
from pipelines.numbers import Quantity, UnitClass

CHECKS_FILE = Path(__file__).with_name("rules") / "checks.yaml"


@dataclass(frozen=True)
class CheckConfig:
    money_tolerance_relative: float
    money_tolerance_yuan: float
    rate_tolerance_points: float
    per_capita_tolerance_relative: float
    partitions: tuple[dict[str, Any], ...]
    max_money_by_level: dict[str, float]
    max_per_capita: float
    max_visits_per_insured: float
    max_coverage_rate: float
    titles: dict[str, str]


@cache
def default_config() -> CheckConfig:
    with CHECKS_FILE.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    return CheckConfig(
        money_tolerance_relative=raw["tolerance"]["money_relative"],
        money_tolerance_yuan=raw["tolerance"]["money_yuan"],
        rate_tolerance_points=raw["tolerance"]["rate_points"],
        per_capita_tolerance_relative=raw["tolerance"]["per_capita_relative"],
        partitions=tuple(raw["partitions"]),
        max_money_by_level={k: float(v) for k, v in raw["plausibility"]["max_single_amount_yuan"].items()},
        max_per_capita=float(raw["plausibility"]["max_per_capita_yuan"]),
        max_visits_per_insured=float(raw["plausibility"]["max_visits_per_insured"]),
        max_coverage_rate=float(raw["plausibility"]["max_coverage_rate"]),
        titles=dict(raw["titles"]),
    )


def title(check_id: str) -> str:
    """A check's short Chinese title (rules/checks.yaml ``titles``); an unknown id as it is."""
    return default_config().titles.get(check_id, check_id)


def label(
    fund: str, metric: str, item: str = "total", year: int | None = None, basis: str | None = None
) -> str:
    parts = []
    if year is not None:
        parts.append(f"{year}年")
    parts.append(codes.name("fund", fund))
    parts.append(codes.name("metric", metric))
    if item != "total":
        parts.append(f"（{codes.name('item', item)}）")
    if basis and basis != "actual":
        parts.append(f"[{codes.name('basis', basis)}]")
    return "".join(parts)


def wan(value: float) -> str:
    """Money in 万元 with two decimals, the way reports write it."""
    return f"{value / 10_000:,.2f}万元"


class _Checker:
    def __init__(self, doc_id: str, region_code: str | None, region_level: str | None, config: CheckConfig):
        self.doc_id = doc_id
        self.region_code = region_code
        self.region_level = region_level
        self.cfg = config
        self.out: list[CheckResult] = []

    def add(
        self, check_id: str, severity: Severity, message: str, facts: Iterable[Fact] = (), **kw: Any
    ) -> None:
        facts = list(facts)
        first = facts[0] if facts else None
        self.out.append(
            CheckResult(
                doc_id=self.doc_id,
                check_id=check_id,
                severity=severity,
                message=message,
                region_code=self.region_code,
                year=kw.pop("year", first.year if first else None),
                fund=kw.pop("fund", first.fund if first else None),
                metric=kw.pop("metric", first.metric if first else None),
                item=kw.pop("item", first.item if first else None),
                basis=kw.pop("basis", first.basis if first else None),
                fact_ids=tuple(f.fact_id for f in facts),
                quote=kw.pop("quote", "；".join(dict.fromkeys(f.quote for f in facts)) or None),
                **kw,
            )
        )

    def money_close(self, a: float, b: float) -> bool:
        scale = max(abs(a), abs(b))
        return abs(a - b) <= max(self.cfg.money_tolerance_relative * scale, self.cfg.money_tolerance_yuan)


def check_document(
    doc_id: str,
    facts: list[Fact],
    quantities: list[Quantity],
    text: str,
    region_code: str | None,
    region_level: str | None,
    config: CheckConfig | None = None,
) -> list[CheckResult]:
    """All checks for one document."""
    c = _Checker(doc_id, region_code, region_level, config or default_config())
    # every check compares figures of one region (a bulletin may list its cities' figures)
    by_region: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        by_region[f.region_code].append(f)
    for code, rows in by_region.items():
        c.region_code = code
        _check_region(c, rows)
    c.region_code = region_code
    _magnitudes(c, quantities, text, facts)
    return c.out


def _check_region(c: _Checker, facts: list[Fact]) -> None:
    stated = [f for f in facts if not f.derived]
    index: dict[tuple[int, str, str, str, str], list[Fact]] = defaultdict(list)
    for f in stated:
        index[(f.year, f.fund, f.metric, f.item, f.basis)].append(f)
    _conflicting_values(c, facts)
    _balance_identity(c, index)
    _components(c, index)
    _stated_rates(c, index)
    _cumulative_roll_forward(c, index)
    _per_capita_and_visits(c, stated, index)


def _first(index: dict, key: tuple) -> Fact | None:
    rows = index.get(key)
    return rows[0] if rows else None


def _conflicting_values(c: _Checker, facts: list[Fact]) -> None:
    """The same figure stated twice with different values (two scopes, two sections).  Like is
    compared with like: the same part of the year, and the same population the sentence named
    (参保农民 住院 and 城镇居民 住院 are two figures, not two values of one)."""
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for f in facts:
        groups[(f.year, f.fund, f.metric, f.item, f.basis, f.period, _population(f))].append(f)
    for (year, fund, metric, item, basis, _, _), rows in groups.items():
        values: list[Fact] = []
        for f in rows:
            if not any(_same_value(c, f, g) for g in values):
                values.append(f)
        if len(values) < 2:
            continue
        shown = "、".join(_show(f) + ("（推算）" if f.derived else "") for f in values)
        severity = Severity.INFO if any(f.derived for f in values) else Severity.WARNING
        c.add(
            "duplicate_key_conflict",
            severity,
            f"{label(fund, metric, item, year, basis)}在文中有{len(values)}个不同数值：{shown}，口径可能不同，请核对。",
            values,
        )


def _population(f: Fact) -> tuple[str, ...]:
    """The populations the figure's sentence named (the vocabulary's population.* entries)."""
    return tuple(sorted({r for r in f.rules if r.startswith("population.")}))


def _same_value(c: _Checker, a: Fact, b: Fact) -> bool:
    if a.unit == "yuan":
        return c.money_close(a.value, b.value)
    return abs(a.value - b.value) <= max(1e-6 * abs(a.value), 0.005)


def _show(f: Fact) -> str:
    if f.unit == "yuan":
        return wan(f.value)
    if f.unit == "percent":
        return f"{f.value:.2f}%"
    if f.unit == "yuan_per_person":
        return f"{f.value:,.2f}元/人"
    return f"{f.value:,.0f}{'人' if f.unit == 'person' else '人次'}"


def _balance_identity(c: _Checker, index: dict) -> None:
    """收入 − 支出 = 当期结余."""
    for (year, fund, metric, item, basis), rows in index.items():
        if metric != "balance":
            continue
        income = _first(index, (year, fund, "income", item, basis))
        spending = _first(index, (year, fund, "expenditure", item, basis))
        if income is None or spending is None:
            continue
        computed = income.value - spending.value
        for bal in rows:
            if c.money_close(computed, bal.value):
                continue
            c.add(
                "balance_identity",
                Severity.ERROR,
                f"{label(fund, metric, item, year, basis)}：收入{wan(income.value)} − 支出{wan(spending.value)} = "
                f"{wan(computed)}，但文中所列结余为{wan(bal.value)}，相差{wan(bal.value - computed)}。",
                [income, spending, bal],
                expected=computed,
                actual=bal.value,
            )


def _components(c: _Checker, index: dict) -> None:
    """Parts against their total: exact partitions must add up, any parts must not exceed."""
    for rule in c.cfg.partitions:
        metric, parts, exact = rule["metric"], rule["parts"], rule.get("exact", False)
        for (year, fund, m, item, basis), totals in list(index.items()):
            if m != metric or item != "total" or (rule.get("funds") and fund not in rule["funds"]):
                continue
            found = [_first(index, (year, fund, metric, p, basis)) for p in parts]
            present = [f for f in found if f is not None]
            if len(present) < 2 or (exact and len(present) < len(parts)):
                continue
            total_sum = sum(f.value for f in present)
            names = " + ".join(codes.name("item", f.item) for f in present)
            for total in totals:
                over = total_sum - total.value
                close = c.money_close(total_sum, total.value) if total.unit == "yuan" else abs(over) < 0.5
                if exact and not close:
                    c.add(
                        "components_sum",
                        Severity.ERROR,
                        f"{label(fund, metric, 'total', year, basis)}：{names} = {_fmt(total, total_sum)}，"
                        f"与合计{_show(total)}不符（相差{_fmt(total, over)}）。",
                        [total, *present],
                        expected=total.value,
                        actual=total_sum,
                    )
                elif not exact and over > 0 and not close:
                    c.add(
                        "components_exceed_total",
                        Severity.ERROR,
                        f"{label(fund, metric, 'total', year, basis)}：分项{names}合计{_fmt(total, total_sum)}，"
                        f"已超过总数{_show(total)}（多出{_fmt(total, over)}）。",
                        [total, *present],
                        expected=total.value,
                        actual=total_sum,
                    )


def _fmt(like: Fact, value: float) -> str:
    if like.unit == "yuan":
        return wan(value)
    return f"{value:,.0f}{'人' if like.unit == 'person' else '人次'}"


def _stated_rates(c: _Checker, index: dict) -> None:
    """A stated balance rate or per-capita figure against the one computed from the totals."""
    tol = c.cfg.rate_tolerance_points
    for (year, fund, metric, item, basis), rows in index.items():
        if metric == "balance_rate":
            income = _first(index, (year, fund, "income", item, basis))
            bal = _first(index, (year, fund, "balance", item, basis))
            if income is None or income.value == 0:
                continue
            spending = _first(index, (year, fund, "expenditure", item, basis))
            balance = bal.value if bal else (income.value - spending.value if spending else None)
            if balance is None:
                continue
            computed = 100 * balance / income.value
            for rate in rows:
                if abs(rate.value - computed) > tol:
                    c.add(
                        "stated_rate",
                        Severity.WARNING,
                        f"{label(fund, metric, item, year, basis)}：文中为{rate.value:.2f}%，"
                        f"按结余÷收入计算为{computed:.2f}%。",
                        [rate, income] + ([bal] if bal else []),
                        expected=computed,
                        actual=rate.value,
                    )
        elif metric in ("income_per_capita", "expenditure_per_capita"):
            base = "income" if metric == "income_per_capita" else "expenditure"
            amount = _first(index, (year, fund, base, "total", basis))
            insured = _first(index, (year, fund, "insured", "total", basis))
            if amount is None or insured is None or insured.value == 0:
                continue
            computed = amount.value / insured.value
            for stated in rows:
                if abs(stated.value - computed) > c.cfg.per_capita_tolerance_relative * computed + 1:
                    c.add(
                        "stated_per_capita",
                        Severity.WARNING,
                        f"{label(fund, metric, item, year, basis)}：文中为{stated.value:,.2f}元，"
                        f"按{codes.name('metric', base)}÷参保人数计算为{computed:,.2f}元。",
                        [stated, amount, insured],
                        expected=computed,
                        actual=stated.value,
                    )


def _cumulative_roll_forward(c: _Checker, index: dict) -> None:
    """累计结余(本年) = 累计结余(上年) + 当期结余(本年)."""
    for (year, fund, metric, item, basis), rows in index.items():
        if metric != "cumulative_balance":
            continue
        last = _first(index, (year - 1, fund, metric, item, basis))
        bal = _first(index, (year, fund, "balance", item, basis))
        if last is None or bal is None:
            continue
        computed = last.value + bal.value
        for cum in rows:
            if not c.money_close(computed, cum.value):
                c.add(
                    "cumulative_roll_forward",
                    Severity.WARNING,
                    f"{label(fund, metric, item, year, basis)}为{wan(cum.value)}，但上年累计结余{wan(last.value)}"
                    f" + 本年当期结余{wan(bal.value)} = {wan(computed)}。",
                    [cum, last, bal],
                    expected=computed,
                    actual=cum.value,
                )


def _magnitudes(c: _Checker, quantities: list[Quantity], text: str, facts: list[Fact]) -> None:
    """Amounts too large for the region's level: usually 元 written as 万元.

    The check names the facts read from the amount (its error keeps them out of the indicator
    views until a steward confirms them, sql/indicators.sql); an amount refused outright
    (Quantity.problem: 1.0E+30万元) is in rejections already and is not checked."""
    limit = c.cfg.max_money_by_level.get(c.region_level or "county", c.cfg.max_money_by_level["county"])
    for q in quantities:
        if q.unit_class is not UnitClass.MONEY or abs(q.value) <= limit or q.problem:
            continue
        start = max(0, q.start - 20)
        c.add(
            "implausible_magnitude",
            Severity.ERROR,
            f"金额“{q.surface}”合{q.value / 1e8:,.2f}亿元，超出{_level_name(c.region_level)}单项金额的合理上限"
            f"（{limit / 1e8:,.0f}亿元），单位可能有误（如“元”误写为“万元”）。",
            _read_from(q, facts),
            quote=text[start : q.end],
            actual=q.value,
            expected=limit,
        )


def _read_from(q: Quantity, facts: list[Fact]) -> list[Fact]:
    """The facts whose value is the amount ``q`` (or derived from it, as a change on last year)."""
    return [
        f
        for f in facts
        if f.start <= q.start
        and q.end <= f.end
        and (math.isclose(abs(f.value), abs(q.value), rel_tol=1e-9) or (f.derived and f.end == q.end))
    ]


def _level_name(level: str | None) -> str:
    return {"national": "全国", "province": "省级", "city": "市级", "county": "县级"}.get(level or "", "县级")


def _per_capita_and_visits(c: _Checker, stated: list[Fact], index: dict) -> None:
    for f in stated:
        per_capita = f.metric in ("income_per_capita", "expenditure_per_capita", "financing_per_capita")
        if per_capita and f.value > c.cfg.max_per_capita:
            c.add(
                "implausible_per_capita",
                Severity.ERROR,
                f"{label(f.fund, f.metric, f.item, f.year, f.basis)}为{f.value:,.2f}元，"
                f"超过{c.cfg.max_per_capita:,.0f}元，不合常理。",
                [f],
            )
        if f.metric == "coverage_rate" and f.value > c.cfg.max_coverage_rate:
            c.add(
                "implausible_rate",
                Severity.WARNING,
                f"{label(f.fund, f.metric, f.item, f.year, f.basis)}为{f.value:.2f}%，超过"
                f"{c.cfg.max_coverage_rate:.0f}%，请核对口径（如以常住人口为分母）。",
                [f],
            )
        if f.metric == "visits" and f.item == "total":
            insured = _first(index, (f.year, f.fund, "insured", "total", f.basis))
            if insured and insured.value > 0 and f.value / insured.value > c.cfg.max_visits_per_insured:
                c.add(
                    "implausible_visits",
                    Severity.ERROR,
                    f"{label(f.fund, f.metric, f.item, f.year, f.basis)}为{f.value:,.0f}人次，"
                    f"相当于每名参保人{f.value / insured.value:,.1f}人次，超过{c.cfg.max_visits_per_insured:.0f}，"
                    "单位可能有误。",
                    [f, insured],
                )
