"""基金运行分析: the written analysis of one region's year, in the words bureaus use.

    2024年，全县城乡居民基本医疗保险基金收入6.24亿元，同比下降0.6%；支出6.22亿元，同比下降12.4%；
    当期结余0.02亿元，结余率0.3%；累计结余2.05亿元，可支付3.9个月，处于偏低区间。

The text is a list of sentences, each a sequence of words and figures.  Every number in it is a
:class:`Figure` that says how it was computed (``formula``) from which facts (``operands``: each a
signed sum of facts — a stated figure, rural + urban, or income − expenditure) and carries the
quotes behind it (``evidence``).  A sentence, and a clause within it, is written only when its
data exists: a fund with only an income figure gets an income sentence, a year without a budget
no budget sentence, never a 未披露.  Money is said in 亿元 or 万元 (one unit a sentence, as the
largest amount in it calls for), rates and growth with one decimal, months of reserves with one.

The figures are the view's vouched ones (named query ``indicator_facts``, the same chosen values
as the cards); budget execution comes from :mod:`dashboard.core.budget`; the caveats from the
待核查 queue and the checks.  Pure: no Streamlit; the named queries run through a ``Runner``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from dashboard.core import budget
from dashboard.core.settings import Kind, settings
from dashboard.core.units import Scale, format_fact, scale_for
from pipelines import codes

# runs a named query: dashboard.web.data.query in the app, database.run_query bound to a connection
Runner = Callable[..., pl.DataFrame]

METRICS = ("income", "expenditure", "balance", "cumulative_balance")
# the bureau's own budget is no fund: its budget execution is on 结余分析, not in this text
NOT_FUNDS = frozenset({"department"})
RATE = Scale(1, "%", 1)
MONTHS = Scale(1, "个月", 1)
COUNT = Scale(1, "个", 0)
CHECKS = Scale(1, "处", 0)


# ---------------------------------------------------------------------------------------
# the pieces of the text


@dataclass(frozen=True)
class Term:
    """A fact in a sum, with its sign (income − expenditure: +income, −expenditure)."""

    fact_id: str
    sign: int = 1


@dataclass(frozen=True)
class Evidence:
    """What a number rests on, as a footnote shows it: a fact (or a check) with its quote."""

    fact_id: str | None
    what: str  # 道县 2024年 居民医保 基金收入（实际）
    value: str  # 62389.85万元 (empty for a check)
    quote: str
    report: str


@dataclass(frozen=True)
class Quantity:
    """A value in base units (元) with the facts it is the signed sum of."""

    value: float
    terms: tuple[Term, ...]
    evidence: tuple[Evidence, ...]
    estimated: bool = False  # an estimate or budget standing in for the view's own basis
    derived: bool = False  # not stated: computed from a stated change
    computed: bool = False  # a sum or difference of stated figures

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(
            self.value - other.value,
            self.terms + tuple(Term(t.fact_id, -t.sign) for t in other.terms),
            self.evidence + other.evidence,
            self.estimated or other.estimated,
            self.derived or other.derived,
            True,
        )


# formula → how a figure is computed from its operands (each a signed sum of facts' values)
FORMULAS: dict[str, str] = {
    "amount": "a",
    "growth": "100 × (a ÷ b − 1)",
    "change": "a − b",
    "percent": "100 × a ÷ b",
    "months": "a ÷ (b ÷ 12)",
    "count": "number of operands",
}


@dataclass(frozen=True)
class Figure:
    """One number of the text: as shown, how it is computed and from which facts."""

    text: str  # as shown: 6.24亿元, 5.2%, 3.9个月, 3个
    value: float  # exact, in base units (元, %, months, a count)
    formula: str  # a key of FORMULAS
    operands: tuple[tuple[Term, ...], ...]
    scale: Scale  # base units → the unit shown
    unsigned: bool  # shown without its sign: the word before it (下降, 减少, 收不抵支) says it
    how: str  # in words: 2024年基金收入 ÷ 2023年基金收入 − 1
    evidence: tuple[Evidence, ...]

    @property
    def fact_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.fact_id for operand in self.operands for t in operand))

    @property
    def signed_text(self) -> str:
        """The number with its sign (−0.6% where the text says 下降0.6%)."""
        return _number(self.value, self.scale, unsigned=False).replace("-", "−")


@dataclass(frozen=True)
class Sentence:
    topic: str  # a fund code, or risk | budget | quality
    parts: tuple[str | Figure, ...]

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(p for p in self.parts if isinstance(p, Figure))

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        seen: dict[tuple, Evidence] = {}
        for figure in self.figures:
            for e in figure.evidence:
                seen.setdefault((e.fact_id, e.what, e.quote), e)
        return tuple(seen.values())


# paragraphs of the written text, in order: how the funds ran, the budget, the caveats
PARAGRAPHS = {"run": "基金运行", "budget": "预算执行", "quality": "数据说明"}


@dataclass(frozen=True)
class Narrative:
    title: str  # 道县2024年医保基金运行分析
    region_name: str
    year: int
    basis: str
    funds: tuple[str, ...]
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)

    def paragraphs(self) -> list[tuple[str, list[Sentence]]]:
        """The sentences in paragraphs (基金运行, 预算执行, 数据说明), empty ones left out."""
        out = []
        for key, name in PARAGRAPHS.items():
            members = [s for s in self.sentences if paragraph_of(s) == key]
            if members:
                out.append((name, members))
        return out

    @property
    def reports(self) -> list[str]:
        """Every report a number of the text comes from, in order of first use."""
        return list(dict.fromkeys(e.report for s in self.sentences for e in s.evidence if e.report))


def paragraph_of(sentence: Sentence) -> str:
    return sentence.topic if sentence.topic in ("budget", "quality") else "run"


# ---------------------------------------------------------------------------------------
# what the text is written from


@dataclass(frozen=True)
class Inputs:
    region_code: str
    region_name: str
    region_level: str
    year: int
    basis: str  # the view's basis
    funds: tuple[str, ...]
    values: pl.DataFrame  # indicator_facts: the view's values of METRICS, this year and last
    budget_values: pl.DataFrame  # indicator_facts: budget and actual views, this year
    awaiting: pl.DataFrame  # awaiting_review: figures of this year waiting for a steward
    checks: pl.DataFrame  # checks of this year (of the funds, or of none in particular)


def gather(run: Runner, region: str, year: int, funds: Sequence[str], basis: str) -> Inputs:
    """Everything the text of `region` in `year` is written from, through named queries."""
    scope = {"regions": [region], "funds": list(funds)}
    values = run(
        "indicator_facts", views=[basis], metrics=list(METRICS), first_year=year - 1, last_year=year, **scope
    )
    both = run(
        "indicator_facts",
        views=list(budget.VIEWS),
        metrics=list(budget.METRICS),
        first_year=year,
        last_year=year,
        **scope,
    )
    checks = run("checks", regions=[region], first_year=year, last_year=year)
    options = run("region_options").filter(pl.col("region_code") == region)
    name, level = (options["region_name"][0], options["region_level"][0]) if options.height else (region, "")
    return Inputs(
        region_code=region,
        region_name=name,
        region_level=level,
        year=year,
        basis=basis,
        funds=tuple(funds),
        values=values,
        budget_values=both,
        awaiting=run("awaiting_review", first_year=year, last_year=year, **scope),
        checks=checks.filter(pl.col("fund").is_null() | pl.col("fund").is_in(list(funds))),
    )


# ---------------------------------------------------------------------------------------
# the text


def analyse(inputs: Inputs) -> Narrative:
    """The analysis of one region's year: sentences only where their data exists."""
    cfg = settings()
    quantities = _quantities(inputs.values, inputs.basis)
    funds = [f for f in cfg.funds if f in inputs.funds and f not in NOT_FUNDS]
    place = region_word(inputs.region_name, inputs.region_level)
    lead = f"{inputs.year}年，"
    if inputs.basis != "actual":
        lead = f"按{cfg.bases[inputs.basis].name}口径，{lead}"
    sentences: list[Sentence] = []
    for fund in funds:
        sentence = _fund_sentence(fund, inputs.year, quantities, lead + place if not sentences else "")
        if sentence is not None:
            sentences.append(sentence)
    risk = _risk_sentence(funds, inputs.year, quantities)
    if risk is not None:
        sentences.append(risk)
    execution = budget.execution(inputs.budget_values).filter(
        pl.col("region_code") == inputs.region_code, pl.col("year") == inputs.year
    )
    evidence = _evidence_by_fact(inputs.budget_values)
    for fund in funds:
        rows = execution.filter(pl.col("fund") == fund)
        if rows.height:
            sentences.append(_budget_sentence(fund, rows, evidence))
    quality = _quality_sentence(inputs.awaiting, inputs.checks)
    if quality is not None:
        sentences.append(quality)
    return Narrative(
        title=f"{inputs.region_name}{inputs.year}年医保基金运行分析",
        region_name=inputs.region_name,
        year=inputs.year,
        basis=inputs.basis,
        funds=tuple(funds),
        sentences=tuple(sentences),
    )


def build(run: Runner, region: str, year: int, funds: Sequence[str], basis: str) -> Narrative:
    """gather, then analyse."""
    return analyse(gather(run, region, year, funds, basis))


def region_word(name: str, level: str) -> str:
    """全县, 全区, 全市, 全省 … as a bureau names its own region."""
    if level == "national":
        return "全国"
    for suffix, word in (("自治区", "全区"), ("自治州", "全州"), ("地区", "全地区"), ("盟", "全盟")):
        if name.endswith(suffix):
            return word
    if level == "province":
        return "全市" if name.endswith("市") else "全省"
    for suffix, word in (("县", "全县"), ("区", "全区"), ("市", "全市"), ("旗", "全旗")):
        if name.endswith(suffix):
            return word
    return "全县" if level == "county" else "全市"


def fund_title(fund: str) -> str:
    """A fund's full name as the text uses it (基本医疗保险, not 基本医疗保险（合计）)."""
    return codes.fund_full_name(fund).removesuffix("（合计）")


# -- quantities from the facts -------------------------------------------------------------


def _evidence(row: dict) -> Evidence:
    cfg = settings()
    item = "" if row["item"] == "total" else codes.name("item", row["item"])
    what = (
        f"{row['region_name']} {row['year']}年 {cfg.fund_name(row['fund'])} "
        f"{codes.name('metric', row['metric'])}{item}（{codes.name('basis', row['basis'])}"
        + ("，由报告所述增减额推算" if row["derived"] else "")
        + "）"
    )
    return Evidence(
        row["fact_id"], what, format_fact(row["value"], row["unit"]), row["quote"], row["report_name"] or ""
    )


def _evidence_by_fact(values: pl.DataFrame) -> dict[str, Evidence]:
    return {row["fact_id"]: _evidence(row) for row in values.iter_rows(named=True)}


def _quantities(values: pl.DataFrame, basis: str) -> dict[tuple[str, int, str], Quantity]:
    """(fund, year, metric) → the chosen value of the view, as the sum of the facts behind it."""
    own = "actual" if basis not in ("budget", "estimate") else basis
    out: dict[tuple[str, int, str], Quantity] = {}
    for (fund, year, metric), rows in values.group_by("fund", "year", "metric", maintain_order=True):
        first = rows.row(0, named=True)
        out[(str(fund), int(year), str(metric))] = Quantity(
            value=float(first["indicator_value"]),
            terms=tuple(Term(r) for r in rows["fact_id"]),
            evidence=tuple(_evidence(r) for r in rows.iter_rows(named=True)),
            estimated=first["value_basis"] != own,
            derived=bool(first["derived"]),
            computed=bool(first["computed"]),
        )
    return out


def _balance(quantities: dict, fund: str, year: int) -> Quantity | None:
    """The stated balance, else income − expenditure (as the indicator views have it)."""
    stated = quantities.get((fund, year, "balance"))
    if stated is not None:
        return stated
    income, expenditure = quantities.get((fund, year, "income")), quantities.get((fund, year, "expenditure"))
    return income - expenditure if income is not None and expenditure is not None else None


# -- figures ---------------------------------------------------------------------------------


def _number(value: float, scale: Scale, unsigned: bool) -> str:
    """6.24亿元, 5.2%, 3.9个月: the value in the scale's unit, rounded (never -0.00)."""
    shown = round((abs(value) if unsigned else value) / scale.divisor, scale.decimals) + 0.0
    return f"{shown:.{scale.decimals}f}{scale.unit}"


def _figure(
    value: float,
    formula: str,
    quantities: Sequence[Quantity],
    scale: Scale,
    how: str,
    unsigned: bool = False,
) -> Figure:
    return Figure(
        text=_number(value, scale, unsigned),
        value=value,
        formula=formula,
        operands=tuple(q.terms for q in quantities),
        scale=scale,
        unsigned=unsigned,
        how=how,
        evidence=tuple(dict.fromkeys(e for q in quantities for e in q.evidence)),
    )


def _mark(q: Quantity) -> str:
    return "（预计）" if q.estimated else "（推算）" if q.derived else ""


def _amount(q: Quantity, scale: Scale, how: str, unsigned: bool = False) -> list[str | Figure]:
    parts: list[str | Figure] = [_figure(q.value, "amount", [q], scale, how, unsigned)]
    mark = _mark(q)
    return [*parts, mark] if mark else parts


def _rounds_to_zero(value: float, scale: Scale) -> bool:
    return round(abs(value) / scale.divisor, scale.decimals) == 0


def _growth(current: Quantity, previous: Quantity | None, name: str, year: int) -> list[str | Figure]:
    """，同比增长5.2% / 同比下降0.6% / 与上年持平 — only with a positive amount last year."""
    if previous is None or previous.value <= 0 or current.value < 0:
        return []
    growth = 100 * (current.value / previous.value - 1)
    if _rounds_to_zero(growth, RATE):
        return ["，与上年持平"]
    how = f"{year}年{name} ÷ {year - 1}年{name} − 1"
    word = "，同比增长" if growth > 0 else "，同比下降"
    return [word, _figure(growth, "growth", [current, previous], RATE, how, unsigned=True)]


def _change(
    current: Quantity, previous: Quantity | None, name: str, year: int, scale: Scale, since: str
) -> list[str | Figure]:
    """，比上年增加0.85亿元 / 减少 / 与上年持平 (a difference of two amounts)."""
    if previous is None:
        return []
    change = current.value - previous.value
    if _rounds_to_zero(change, scale):
        return [f"，与{since}持平"]
    how = f"{year}年{name} − {year - 1}年{name}"
    word = f"，比{since}增加" if change > 0 else f"，比{since}减少"
    return [word, _figure(change, "change", [current, previous], scale, how, unsigned=True)]


def _balance_change(
    current: Quantity, previous: Quantity | None, year: int, scale: Scale
) -> list[str | Figure]:
    """The balance on last year's: 比上年增加/减少 between two surpluses, 缺口比上年扩大/收窄
    between two deficits, and across a change of sign only which it was last year."""
    if previous is None:
        return []
    if current.value >= 0 and previous.value >= 0:
        return _change(current, previous, "当期结余", year, scale, "上年")
    if current.value >= 0:
        return ["，上年当期收不抵支"]
    if previous.value >= 0:
        return ["，上年当期有结余"]
    change = current.value - previous.value
    if _rounds_to_zero(change, scale):
        return ["，缺口与上年持平"]
    how = f"{year}年当期结余 − {year - 1}年当期结余"
    word = "，缺口比上年收窄" if change > 0 else "，缺口比上年扩大"
    return [word, _figure(change, "change", [current, previous], scale, how, unsigned=True)]


# -- sentences -------------------------------------------------------------------------------


def _fund_sentence(fund: str, year: int, q: dict, lead: str) -> Sentence | None:
    """收入, 支出, 当期结余 and 结余率, 累计结余 and months of reserves of one fund, with their
    changes on last year: each clause only with its figures."""
    income, expenditure = q.get((fund, year, "income")), q.get((fund, year, "expenditure"))
    balance, cumulative = _balance(q, fund, year), q.get((fund, year, "cumulative_balance"))
    present = [x for x in (income, expenditure, balance, cumulative) if x is not None]
    if not present:
        return None
    last = {m: q.get((fund, year - 1, m)) for m in ("income", "expenditure", "cumulative_balance")}
    last_balance = _balance(q, fund, year - 1)
    # one unit for the sentence's amounts (and their changes), from the largest
    scale = scale_for(Kind.money, [x.value for x in present])
    clauses: list[list[str | Figure]] = []
    if income is not None:
        clauses.append(
            [
                "收入",
                *_amount(income, scale, f"{year}年基金收入"),
                *_growth(income, last["income"], "基金收入", year),
            ]
        )
    if expenditure is not None:
        clauses.append(
            [
                "支出",
                *_amount(expenditure, scale, f"{year}年基金支出"),
                *_growth(expenditure, last["expenditure"], "基金支出", year),
            ]
        )
    if balance is not None:
        how = f"{year}年当期结余" + (
            "（基金收入 − 基金支出）" if balance.computed and (fund, year, "balance") not in q else ""
        )
        clause: list[str | Figure] = ["当期收不抵支" if balance.value < 0 else "当期结余"]
        clause += _amount(balance, scale, how, unsigned=balance.value < 0)
        if income is not None and income.value > 0:
            clause += [
                "，结余率",
                _figure(
                    100 * balance.value / income.value,
                    "percent",
                    [balance, income],
                    RATE,
                    "当期结余 ÷ 基金收入",
                ),
            ]
        clause += _balance_change(balance, last_balance, year, scale)
        clauses.append(clause)
    if cumulative is not None:
        clause = ["累计结余", *_amount(cumulative, scale, f"{year}年末累计结余")]
        clause += _change(cumulative, last["cumulative_balance"], "累计结余", year, scale, "上年末")
        if expenditure is not None and expenditure.value > 0 and cumulative.value >= 0:
            months = cumulative.value / (expenditure.value / 12)
            band = settings().band_for(months)
            how = "累计结余 ÷（当年基金支出 ÷ 12）"
            clause += [
                "，可支付",
                _figure(months, "months", [cumulative, expenditure], MONTHS, how),
                f"，处于{band.label}区间",
            ]
        clauses.append(clause)
    parts: list[str | Figure] = [f"{lead}{fund_title(fund)}基金"]
    for i, clause in enumerate(clauses):
        parts += (["；"] if i else []) + clause
    parts.append("。")
    return Sentence(fund, tuple(_merge(parts)))


def _risk_sentence(funds: Sequence[str], year: int, q: dict) -> Sentence | None:
    """Funds in deficit and reserves outside the reasonable band (需关注：…), a fund's concerns
    together; or, where the figures show none, that every fund with a balance had one."""
    cfg = settings()
    concerns, balanced, reserves_good = [], [], []
    for fund in funds:
        name, mine = cfg.fund_name(fund), []
        balance = _balance(q, fund, year)
        if balance is not None:
            if balance.value < 0:
                mine.append("当期收不抵支")
            elif balance.value > 0:
                balanced.append(name)
        cumulative, expenditure = (
            q.get((fund, year, "cumulative_balance")),
            q.get((fund, year, "expenditure")),
        )
        if (
            cumulative is not None
            and expenditure is not None
            and expenditure.value > 0
            and cumulative.value >= 0
        ):
            band = cfg.band_for(cumulative.value / (expenditure.value / 12))
            if band.status == "good":
                reserves_good.append(name)
            else:
                mine.append(f"累计结余{band.label.removeprefix('结余')}")
        if mine:
            concerns.append(name + "、".join(mine))
    if concerns:
        return Sentence("risk", ("需关注：" + "；".join(concerns) + "。",))
    if not balanced:
        return None
    text = f"{'、'.join(balanced)}当期{'均' if len(balanced) > 1 else ''}收大于支"
    if reserves_good == balanced:
        text += f"，累计结余{'均' if len(balanced) > 1 else ''}处于合理区间"
    elif reserves_good:
        text += f"，{'、'.join(reserves_good)}累计结余处于合理区间"
    return Sentence("risk", (text + "。",))


def _budget_sentence(fund: str, rows: pl.DataFrame, evidence: dict[str, Evidence]) -> Sentence:
    """城乡居民医保预算执行：基金收入预算6.66亿元，实际6.24亿元，执行率93.7%；…"""
    cfg = settings()
    scale = scale_for(Kind.money, [*rows["budget"].to_list(), *rows["actual"].to_list()])
    parts: list[str | Figure] = [f"{cfg.fund_name(fund)}预算执行："]
    for i, row in enumerate(rows.iter_rows(named=True)):
        planned = _side(row, "budget", evidence)
        done = _side(row, "actual", evidence)
        name = row["metric_name"]
        parts += ["；" if i else "", f"{name}预算"]
        parts += _amount(planned, scale, f"{row['year']}年{name}预算数")
        parts += ["，实际", *_amount(done, scale, f"{row['year']}年{name}实际数"), "，执行率"]
        rate = 100 * done.value / planned.value
        parts.append(_figure(rate, "percent", [done, planned], RATE, "实际数 ÷ 预算数"))
        if row["status"] != "within":
            parts.append(f"，{budget.status_label(row['status'])}")
    parts.append("。")
    return Sentence("budget", tuple(_merge(parts)))


def _side(row: dict, side: str, evidence: dict[str, Evidence]) -> Quantity:
    ids = row[f"{side}_fact_ids"]
    return Quantity(
        value=float(row[side]),
        terms=tuple(Term(i) for i in ids),
        evidence=tuple(evidence[i] for i in ids if i in evidence),
        derived=bool(row[f"{side}_derived"]),
    )


def _quality_sentence(awaiting: pl.DataFrame, checks: pl.DataFrame) -> Sentence | None:
    """Figures of the year still waiting for a steward, errors the checks found."""
    clauses: list[list[str | Figure]] = []
    if awaiting.height:
        found = [
            Evidence(
                r["fact_id"],
                f"{r['region_name']} {r['year']}年 {settings().fund_name(r['fund'])} "
                f"{codes.name('metric', r['metric'])}（待核查：{r['confidence_reasons'] or '识别把握不足'}）",
                format_fact(r["value"], r["unit"]),
                r["quote"],
                r["report_name"] or "",
            )
            for r in awaiting.iter_rows(named=True)
        ]
        figure = Figure(
            text=f"{awaiting.height}{COUNT.unit}",
            value=float(awaiting.height),
            formula="count",
            operands=tuple((Term(e.fact_id),) for e in found),
            scale=COUNT,
            unsigned=False,
            how="本年度待核查的数据",
            evidence=tuple(found),
        )
        clauses.append(["本年度另有", figure, "数据待核查，未计入以上分析"])
    errors = checks.filter(pl.col("severity") == "error")
    if errors.height:
        found = [
            Evidence(None, f"校核错误：{r['message']}", "", r["quote"] or "", r["report_name"] or "")
            for r in errors.iter_rows(named=True)
        ]
        figure = Figure(
            text=f"{errors.height}{CHECKS.unit}",
            value=float(errors.height),
            formula="count",
            operands=tuple(
                tuple(Term(i) for i in (r["fact_ids"] or ())) for r in errors.iter_rows(named=True)
            ),
            scale=CHECKS,
            unsigned=False,
            how="本年度数值核对发现的错误",
            evidence=tuple(found),
        )
        clauses.append(["报告数值核对发现", figure, "错误，相关数据请谨慎使用"])
    if not clauses:
        return None
    parts: list[str | Figure] = []
    for i, clause in enumerate(clauses):
        parts += (["；"] if i else []) + clause
    parts.append("。")
    return Sentence("quality", tuple(_merge(parts)))


def _merge(parts: Iterable[str | Figure]) -> list[str | Figure]:
    """Adjacent words joined, empty ones dropped."""
    out: list[str | Figure] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        out.append(part)
    return out
