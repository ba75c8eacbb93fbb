"""Consistency checks on synthetic facts: each flags what disagrees and stays quiet otherwise."""

from __future__ import annotations

import pytest
from conftest import make_fact

from pipelines.checks import check_document
from pipelines.numbers import find_quantities


def fact(metric: str, value: float, **fields):
    return make_fact(metric, value, **fields)


def ids(facts, text="", level="city"):
    return sorted(
        {c.check_id for c in check_document("d", facts, find_quantities(text), text, "421000", level)}
    )


def test_balance_identity():
    ok = [fact("income", 4862e6), fact("expenditure", 4137e6), fact("balance", 725e6)]
    bad = [
        fact("income", 44847600, fund="assistance"),
        fact("expenditure", 47522000, fund="assistance"),
        fact("balance", -2632200, fund="assistance"),
    ]
    assert ids(ok) == []
    assert ids(bad) == ["balance_identity"]
    (check,) = check_document("d", bad, [], "", "421000", "city")
    assert "−" in check.message and "万元" in check.message and check.severity == "error"


def test_rounding_is_not_an_inconsistency():
    # parts rounded to 0.01万元 may be 0.01万元 off their total
    facts = [
        fact("income", 623898500, fund="resident"),
        fact("income", 225186600, fund="resident", item="premium"),
        fact("income", 392391200, fund="resident", item="fiscal_subsidy"),
        fact("income", 3710600, fund="resident", item="interest"),
        fact("income", 2610000, fund="resident", item="other"),
    ]
    assert ids(facts) == []


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ({"pooled": 45143800, "personal_account": 56700100}, ["components_sum"]),  # exceeds 10154.89万
        ({"pooled": 45000000, "personal_account": 56548900}, []),
        ({"inpatient": 99000000, "outpatient": 9000000}, ["components_exceed_total"]),
        ({"inpatient": 60000000, "outpatient": 9000000}, []),
    ],
)
def test_components_against_total(parts, expected):
    facts = [fact("expenditure", 101548900)] + [fact("expenditure", v, item=k) for k, v in parts.items()]
    assert ids(facts) == expected


def test_stated_rate_and_per_capita():
    good = [fact("income", 1516610000), fact("balance", 232040000), fact("balance_rate", 15.30)]
    bad = [*good[:2], fact("balance_rate", 18.0)]
    assert ids(good) == []
    assert ids(bad) == ["stated_rate"]
    resident = [
        fact("income", 3192860000, fund="resident"),
        fact("insured", 3963292, fund="resident"),
        fact("income_per_capita", 806, fund="resident"),
    ]
    assert ids(resident) == []
    wrong = [*resident[:2], fact("income_per_capita", 900, fund="resident")]
    assert ids(wrong) == ["stated_per_capita"]


def test_cumulative_roll_forward():
    facts = [
        fact("cumulative_balance", 26874135e4, year=2022),
        fact("balance", 2737582e4),
        fact("cumulative_balance", 29611717e4),
    ]
    assert ids(facts) == []
    facts[-1] = fact("cumulative_balance", 30000000e4)
    assert ids(facts) == ["cumulative_roll_forward"]


def test_same_figure_twice_with_different_values():
    facts = [fact("visits", 4410), fact("visits", 4982)]
    assert ids(facts) == ["duplicate_key_conflict"]
    assert ids([fact("visits", 4410), fact("visits", 4410)]) == []


def test_only_like_is_compared_with_like():
    # 参保农民 住院 92019人次 and 城镇居民 住院 2467人次 (宁县): two populations, two figures
    rural = fact("visits", 92019, fund="resident", item="inpatient", rules=("population.rural",))
    urban = fact("visits", 2467, fund="resident", item="inpatient", rules=("population.urban",))
    assert ids([rural, urban]) == []
    # the same population twice with two values is a conflict
    again = fact("visits", 2500, fund="resident", item="inpatient", rules=("population.urban",))
    assert ids([rural, urban, again]) == ["duplicate_key_conflict"]
    # 1-6月 and 1-9月 are two parts of the year, not two values of one
    half = fact("income", 3e8, basis="partial", period="1-6月")
    three_quarters = fact("income", 4.6e8, basis="partial", period="1-9月")
    assert ids([half, three_quarters]) == []


def test_implausible_magnitudes():
    text = "今年为全县建档立卡贫困人口 32308 人住院提高报销 11777000 万元。"
    assert ids([], text, level="county") == ["implausible_magnitude"]
    assert ids([], "全省基金收入800亿元。", level="province") == []
    assert ids([], "全县基金收入800亿元。", level="county") == ["implausible_magnitude"]
    visits = [fact("insured", 1000), fact("visits", 500000)]
    assert ids(visits) == ["implausible_visits"]
    assert ids([fact("financing_per_capita", 150000, fund="resident")]) == ["implausible_per_capita"]
    assert ids([fact("coverage_rate", 130, fund="all")]) == ["implausible_rate"]


def test_every_check_has_a_title():
    import re
    from pathlib import Path

    from pipelines import checks

    source = Path(checks.__file__).read_text(encoding="utf-8")
    written = set(re.findall(r'c\.add\(\s*"([a-z_]+)"', source))
    assert written and written <= set(checks.default_config().titles), written - set(
        checks.default_config().titles
    )
