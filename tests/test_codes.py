"""One source for codes and their Chinese names: pipelines/rules/codes.yaml equals the
contract's tables (../shared/spec/fund-facts.md), and every enum and name map reads it."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT, SHARED
from pydantic import ValidationError

from pipelines import codes, models

SPEC = SHARED / "spec" / "fund-facts.md"
_ROW = re.compile(r"^\|\s*`([a-z_]+)`\s*\|(.*)\|\s*$")


def _section(title: str) -> list[tuple[str, list[str]]]:
    """The rows of the table under ``## title``: (code, the other cells)."""
    text = SPEC.read_text(encoding="utf-8")
    body = text.split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in body.splitlines():
        if m := _ROW.match(line.strip()):
            rows.append((m.group(1), [cell.strip() for cell in m.group(2).split("|")]))
    assert rows, f"no table under ## {title} in {SPEC}"
    return rows


def _column_codes(column: str) -> list[str]:
    """The codes a column of the fund_facts table lists (backticked in its meaning)."""
    (cells,) = [cells for code, cells in _section("Views") if code == column]
    return re.findall(r"`([a-z_]+)`", cells[-1])


@pytest.fixture(scope="module", autouse=True)
def _spec_present():
    if not SPEC.exists():
        pytest.fail(f"the contract is not at {SPEC}: the project expects ../shared beside it (see README)")


def test_funds_are_the_contract_fund_codes():
    assert list(codes.FUNDS) == [code for code, _ in _section("Fund codes")]


def test_metrics_and_units_are_the_contract_metric_codes():
    spec = {code: cells[0].strip("`") for code, cells in _section("Metric codes")}
    assert list(codes.METRICS) == list(spec)
    assert dict(codes.METRIC_UNIT) == spec


def test_items_are_total_and_the_contract_item_codes():
    assert list(codes.ITEMS) == ["total", *(code for code, _ in _section("Item codes"))]


def test_bases_and_units_are_the_contract_column_codes():
    assert list(codes.BASES) == _column_codes("basis") == ["actual", "budget", "estimate", "partial"]
    assert list(codes.UNITS) == _column_codes("unit")
    assert "month" in codes.UNITS and codes.METRIC_UNIT["reserve_months"] == "month"


def test_severities_are_the_checks_table_severities():
    """The contract does not list severities; the README's `checks` table does."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (listed,) = re.findall(r"`severity` \(([a-z/]+)\)", readme)
    assert list(codes.SEVERITIES) == listed.split("/") == ["error", "warning", "info"]


def test_every_code_has_a_chinese_name():
    for kind in ("fund", "metric", "item", "basis", "unit", "severity", "origin"):
        names = codes.names(kind)
        assert names and all(names.values()), kind
    assert codes.name("fund", "resident") == "居民医保"
    assert codes.fund_full_name("resident") == "城乡居民基本医疗保险"
    assert codes.name("metric", "financing_per_capita") == "人均筹资标准"
    assert codes.name("fund", "no_such_fund") == "no_such_fund"
    assert codes.order("severity") == {"error": 0, "warning": 1, "info": 2}


def test_codes_file_is_validated():
    raw = yaml.safe_load(codes.CODES_FILE.read_text(encoding="utf-8"))
    raw["metrics"]["insured"]["unit"] = "no_such_unit"
    with pytest.raises(ValidationError):
        codes.CodeTables.model_validate(raw)
    raw = yaml.safe_load(codes.CODES_FILE.read_text(encoding="utf-8"))
    raw["funds"]["employee"]["colour"] = "#000000"
    with pytest.raises(ValidationError):
        codes.CodeTables.model_validate(raw)


# ---------------------------------------------------------------- everything reads codes


def test_model_enums_are_the_codes():
    assert [m.value for m in models.Fund] == list(codes.FUNDS)
    assert [m.value for m in models.Metric] == list(codes.METRICS)
    assert [m.value for m in models.Item] == list(codes.ITEMS)
    assert [m.value for m in models.Basis] == list(codes.BASES)
    assert [m.value for m in models.Unit] == list(codes.UNITS)
    assert [m.value for m in models.Severity] == list(codes.SEVERITIES)
    assert {m.value: u.value for m, u in models.METRIC_UNIT.items()} == dict(codes.METRIC_UNIT)


def test_models_accept_the_new_codes():
    from conftest import make_fact

    fact = make_fact("reserve_months", 7.5, fund="long_term_care", item="higher_subsidy", basis="partial")
    assert (fact.unit, fact.fund, fact.basis) == ("month", "long_term_care", "partial")


def test_settings_fund_colours_cover_exactly_the_fund_codes():
    from dashboard.core.settings import settings

    cfg = settings()
    assert list(cfg.funds) == list(codes.FUNDS)
    assert {c: f.short for c, f in cfg.funds.items()} == dict(codes.names("fund"))
    assert {c: f.name for c, f in cfg.funds.items()} == {c: codes.fund_full_name(c) for c in codes.FUNDS}
    assert {c: b.name for c, b in cfg.bases.items()} == {c: codes.name("basis", c) for c in cfg.bases}
    for key, indicator in cfg.indicators.items():
        if key in codes.METRICS:
            assert indicator.name == codes.name("metric", key)
    colours = [f.color for f in cfg.funds.values()]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw["funds"].update(no_such_fund={"color": "#123456"}),  # a fund without a code
        lambda raw: raw["funds"].pop("long_term_care"),  # a code without a colour
        lambda raw: raw["funds"]["resident"].update(short="居民"),  # a name drifting from codes
        lambda raw: raw["bases"].update(no_such_basis={"help": "?"}),
        lambda raw: raw["indicators"]["income"].update(name="收入"),
        lambda raw: raw["indicators"]["income"].update(sources=["no_such_metric"]),
    ],
)
def test_settings_that_disagree_with_the_codes_are_refused(change):
    from dashboard.core.settings import SETTINGS_FILE, Settings

    raw = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    change(raw)
    with pytest.raises(ValidationError):
        Settings.model_validate(raw)


def test_no_module_keeps_its_own_copy_of_the_names():
    """No `"code": "名称"` pair of codes.yaml is written anywhere else in the code."""
    pairs = {
        f'"{code}": "{name}"'
        for kind in ("fund", "metric", "item", "basis", "unit", "severity", "origin")
        for code, name in codes.names(kind).items()
    }
    pairs |= {f'"{code}": "{codes.fund_full_name(code)}"' for code in codes.FUNDS}
    files = [
        ROOT / "app.py",
        *(p for d in ("pipelines", "dashboard", "pages") for p in (ROOT / d).rglob("*.py")),
    ]
    found = [
        f"{path.relative_to(ROOT)}: {pair}"
        for path in files
        if path.name != "codes.py"
        for pair in pairs
        if pair in path.read_text(encoding="utf-8")
    ]
    assert not found, found
