"""风险预警: the projection of a fund's cumulative balance on constructed series with answers
worked out by hand, its list's order and wording, its chart, and the page (dashboard/core/projection.py,
pages/risk.py)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from conftest import start_app, texts

from dashboard.core import charts, projection
from dashboard.core.settings import Projection

SPEC = Projection(min_years=3, max_years=5, horizon=10, floor_months=3)


def fund_rows(
    income: dict[int, float],
    expenditure: dict[int, float],
    cumulative: dict[int, float] | None = None,
    region: str = "431124",
    fund: str = "resident",
    estimated: dict[int, list[str]] | None = None,
) -> pl.DataFrame:
    """Rows of `indicators` (实际 view) for one region's fund: balance = income − expenditure."""
    years = sorted(set(income) | set(expenditure) | set(cumulative or {}))
    rows = []
    for y in years:
        i, e = income.get(y), expenditure.get(y)
        rows.append(
            {
                "region_code": region,
                "region_name": f"地区{region}",
                "year": y,
                "fund": fund,
                "income": i,
                "expenditure": e,
                "balance": i - e if i is not None and e is not None else None,
                "cumulative_balance": (cumulative or {}).get(y),
                "estimated_metrics": (estimated or {}).get(y, []),
            }
        )
    return pl.DataFrame(rows, schema_overrides={"estimated_metrics": pl.List(pl.String)})


def growing(first_year: int, start: float, rate: float, n: int = 5) -> dict[int, float]:
    return {first_year + k: start * (1 + rate) ** k for k in range(n)}


# Income 1200 in 2020 growing 2 %/yr, expenditure 1000 growing 8 %/yr, 2020–2024; in 2024 the
# reserves are 12 months of expenditure (累计结余 = 支出2024 = 1000 × 1.08⁴ = 1360.49).
INCOME = growing(2020, 1200, 0.02)
SPENDING = growing(2020, 1000, 0.08)
TWELVE_MONTHS = {2024: SPENDING[2024]}


def test_income_two_percent_expenditure_eight_percent_from_twelve_months():
    o = projection.outlook(fund_rows(INCOME, SPENDING, TWELVE_MONTHS), SPEC)
    # by hand (收入 = 1298.92 × 1.02^t, 支出 = 1360.49 × 1.08^t, 结余 rolls forward):
    #   2025: 收入 1324.90, 支出 1469.33, 累计 1360.49 + 1324.90 − 1469.33 = 1216.06, 9.93 个月
    #   2026: 收入 1351.39, 支出 1586.87, 累计 1216.06 −  235.48 =  980.58, 7.42 个月
    #   2027: 收入 1378.42, 支出 1713.82, 累计  980.58 −  335.40 =  645.18, 4.52 个月
    #   2028: 收入 1405.99, 支出 1850.93, 累计  645.18 −  444.94 =  200.24, 1.30 个月  → below 3
    #   2029: 收入 1434.11, 支出 1999.00, 累计  200.24 −  564.89 = −364.66            → run out
    assert o.has_projection and o.years_used == (2020, 2021, 2022, 2023, 2024) and o.base_year == 2024
    assert o.income_growth == pytest.approx(0.02) and o.expenditure_growth == pytest.approx(0.08)
    assert o.base_months == pytest.approx(12.0)
    assert (o.below_floor, o.exhausted) == (2028, 2029)
    path = {r["year"]: r for r in o.projected.iter_rows(named=True)}
    assert path[2025]["cumulative_balance"] == pytest.approx(1216.06, abs=0.01)
    assert path[2027]["months"] == pytest.approx(4.52, abs=0.01)
    assert path[2028]["cumulative_balance"] == pytest.approx(200.24, abs=0.01)
    assert path[2029]["cumulative_balance"] == pytest.approx(-364.66, abs=0.01)
    assert o.projected["year"].to_list() == list(range(2025, 2035))  # the horizon: 10 years
    assert projection.status_text(o) == "2029年耗尽"
    assert not o.deficit_two_years  # 2023 had a surplus (1273.45 > 1259.71)


def test_flat_income_and_expenditure_is_no_risk():
    flat = {y: 1000.0 for y in range(2020, 2025)}
    o = projection.outlook(fund_rows(flat, flat, {2024: 1000.0}), SPEC)
    assert o.has_projection and o.income_growth == 0 and o.expenditure_growth == 0
    assert o.below_floor is None and o.exhausted is None
    assert o.projected["months"].to_list() == pytest.approx([12.0] * 10)
    assert projection.status_text(o) == "10年内不低于3个月"
    row = projection.outlook_table([o]).row(0, named=True)
    assert row["低于3个月"] == row["耗尽（累计结余 < 0）"] == "10年内未出现"


def test_fewer_than_three_years_gives_no_projection_and_says_why():
    o = projection.outlook(
        fund_rows({2023: 100.0, 2024: 90.0}, {2023: 120.0, 2024: 110.0}, {2024: 50.0}), SPEC
    )
    assert not o.has_projection and o.projected.is_empty()
    assert o.reason == "仅有2023、2024年2年同时披露收入和支出的数据（需至少3年），无法推算"
    row = projection.outlook_table([o]).row(0, named=True)
    assert row["预警"] == "连续两年收不抵支（2023–2024年）；无法推算"
    assert row["方法与所用年份"] == o.reason and row["起点累计结余"] == "—"


def test_without_a_cumulative_balance_there_is_no_projection():
    o = projection.outlook(fund_rows(INCOME, SPENDING), SPEC)
    assert not o.has_projection and "未披露累计结余" in o.reason


def test_only_the_latest_five_years_count():
    # 2017–2019 grew 50 %/yr; the years used are 2020–2024 only, so the growth stays 2 % / 8 %
    income = {2017: 300.0, 2018: 450.0, 2019: 675.0, **INCOME}
    spending = {2017: 300.0, 2018: 450.0, 2019: 675.0, **SPENDING}
    o = projection.outlook(fund_rows(income, spending, TWELVE_MONTHS), SPEC)
    assert o.years_used == (2020, 2021, 2022, 2023, 2024)
    assert o.income_growth == pytest.approx(0.02) and o.expenditure_growth == pytest.approx(0.08)


def test_gaps_and_estimates_are_stated_as_assumptions():
    # 2022 not disclosed: growth from the first and last years used (2020 → 2024, four years)
    income = {y: v for y, v in INCOME.items() if y != 2022}
    spending = {y: v for y, v in SPENDING.items() if y != 2022}
    rows = fund_rows(income, spending, TWELVE_MONTHS, estimated={2024: ["expenditure", "income"]})
    o = projection.outlook(rows, SPEC)
    assert o.years_used == (2020, 2021, 2023, 2024)
    assert o.income_growth == pytest.approx(0.02) and (o.below_floor, o.exhausted) == (2028, 2029)
    said = projection.assumptions_text(o)
    assert "2022年未披露收支" in said and "2024年含预计数" in said
    assert "按2020–2024年（4年：2020、2021、2023、2024）" in projection.method_text(o)


def test_reserves_already_below_the_floor_are_said_to_have_happened():
    o = projection.outlook(fund_rows(INCOME, SPENDING, {2024: SPENDING[2024] / 6}), SPEC)  # 2 months
    assert o.below_floor == 2024 and o.exhausted == 2026
    # 2025: 226.75 + 1324.90 − 1469.33 = 82.32 ≥ 0; 2026: 82.32 − 235.48 < 0
    row = projection.outlook_table([o]).row(0, named=True)
    assert row["低于3个月"] == "2024年（已发生）" and row["耗尽（累计结余 < 0）"] == "2026年"


def test_the_list_puts_two_years_of_deficit_first_then_the_earliest_to_run_out():
    later = fund_rows(INCOME, SPENDING, TWELVE_MONTHS, region="430900")  # runs out 2029
    sooner = fund_rows(INCOME, SPENDING, {2024: SPENDING[2024] / 2}, region="430903")  # 6 months
    deficits = fund_rows({2023: 100.0, 2024: 90.0}, {2023: 120.0, 2024: 110.0}, region="621026")
    calm = fund_rows(
        {y: 1000.0 for y in range(2020, 2025)},
        {y: 1000.0 for y in range(2020, 2025)},
        {2024: 1000.0},
        "110101",
    )
    found = projection.outlooks(pl.concat([calm, later, sooner, deficits]), SPEC)
    assert [o.region_code for o in found] == ["621026", "430903", "430900", "110101"]
    assert found[0].deficit_two_years and not found[0].has_projection
    assert found[1].exhausted < found[2].exhausted


def test_a_deficit_two_years_apart_is_not_two_years_running():
    rows = fund_rows({2022: 100.0, 2024: 90.0}, {2022: 120.0, 2024: 110.0})
    assert projection.deficit_run(rows) == ()
    rows = fund_rows({2023: 100.0, 2024: 90.0}, {2023: 120.0, 2024: 80.0})
    assert projection.deficit_run(rows) == ()


def test_the_chart_draws_the_projection_dashed_and_hollow_with_the_floor_line():
    o = projection.outlook(fund_rows(INCOME, SPENDING, TWELVE_MONTHS), SPEC)
    fig = charts.projection_chart(
        o.actual, o.projected, o.base_year, 3, [(2029, "2029年耗尽")], "标题", "#E8710A"
    )
    by_name = {t.name: t for t in fig.data}
    reported, ahead = by_name["累计结余（报告数）"], by_name["累计结余（推算）"]
    assert list(reported.x) == [2024] and ahead.line.dash == "dash" and ahead.marker.symbol == "circle-open"
    assert list(ahead.x) == list(range(2024, 2035))  # from the base year on
    floor = by_name["3个月支出（预警线）"]
    assert floor.y[0] == pytest.approx(3 * SPENDING[2020] / 12 / 1e4)  # 万元: 3 months of 2020's spending
    assert [a.text for a in fig.layout.annotations if a.text == "2029年耗尽"]
    assert fig.layout.shapes[0].x0 == 2024.5  # the shaded band of estimates starts after the base year


# ---- the page


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory):
    """A small synthetic library: 4 districts, 2019–2024, every figure read without doubt."""
    from scripts import make_synthetic_db

    path = tmp_path_factory.mktemp("risk") / "synthetic.duckdb"
    make_synthetic_db.generate(path, regions=4, years=6, first_year=2019, seed=5)
    return path


def test_the_risk_page_lists_every_fund_with_its_method_and_draws_the_first(synthetic_db, entry, monkeypatch):
    from dashboard.core import database

    monkeypatch.setenv("MEDFUND_DB", str(synthetic_db))
    at = start_app(entry, "pages/risk.py")
    table = at.dataframe[0].value
    con = database.open_database(str(synthetic_db))
    try:
        ind = database.run_query(
            con,
            "indicators",
            basis="actual",
            regions=list(at.multiselect(key="region").value),
            funds=list(at.multiselect(key="fund").value),
            first_year=2019,
            last_year=2024,
        )
    finally:
        con.close()
    expected = projection.outlooks(ind)
    assert list(table["地区"]) == [o.region_name for o in expected]
    assert list(table["预警"]) == [projection.status_text(o) for o in expected]
    assert all(
        m.startswith("2020–2024年（5年）复合增长率外推，起点2024年")
        for m in table["方法与所用年份"]
        if "年（" in m
    )
    assert all(a.startswith("增长率不变") for a in table["假设"] if a)
    first = projection.choices(expected)[0]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == f"{first.region_name} {first.fund_name}：累计结余推算"
    drawn = {t.get("name"): t for t in spec["data"]}
    assert drawn["累计结余（推算）"]["x"][-1] == 2034
    assert any(e.label.startswith("推算所用的数据（原文）") for e in at.expander)
    assert f"方法：{projection.method_text(first)}" in texts(at)


def test_the_risk_page_says_why_the_bundled_reports_give_no_projection(open_vouched):
    at = open_vouched("pages/risk.py")
    table = at.dataframe[0].value
    assert len(table) > 0 and set(table["起点累计结余"]) == {"—"}  # one or two years per region
    assert all("需至少3年" in m or "未披露累计结余" in m for m in table["方法与所用年份"])
    assert "所选范围内没有可推算的基金" in texts(at) and not at.get("plotly_chart")
