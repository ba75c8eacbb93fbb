"""Display tables and sentences built for the pages (dashboard/core/display.py)."""

from __future__ import annotations

import polars as pl

from dashboard.core import display
from dashboard.core.settings import settings


def rate_rows(values: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region_name": ["道县"] * len(values),
            "year": list(range(2022, 2022 + len(values))),
            "fund_name": ["城乡居民基本医疗保险"] * len(values),
            "balance": [v * 1e6 for v in values],
            "value": values,
        }
    )


def test_deficits_text_names_each_deficit_year_and_nothing_else():
    text = display.deficits_text(rate_rows([5.0, -13.1, -2.04]))
    assert text is not None and text.startswith("收不抵支：")
    assert "2023年" in text and "2024年" in text and "2022年" not in text
    assert "（-13.1%）" in text and "（-2.0%）" in text


def test_no_deficit_no_text():
    assert display.deficits_text(rate_rows([1.0, 0.0])) is None


def test_reserves_table_judges_each_value_by_its_band():
    months = rate_rows([2.5, 7.04, 20.0]).drop("balance")
    table = display.reserves_table(months)
    assert table.columns == ["地区", "年度", "险种", "可支付月数", "判断"]
    assert table["可支付月数"].to_list() == [2.5, 7.0, 20.0]
    assert table["判断"].to_list() == [settings().band_for(v).label for v in (2.5, 7.04, 20.0)]
    assert table["判断"][0] == "结余不足" and table["判断"][1] == "合理"


def test_ranking_table_shows_values_and_differences_in_one_unit():
    spec = settings().indicators["income"]
    ranked = pl.DataFrame(
        {
            "rank": [1, 2],
            "region_name": ["赫山区", "道县"],
            "value": [4.5e9, 1.2e9],
            "diff": [1.65e9, -1.65e9],
            "estimated": [False, True],
            "derived": [False, False],
        }
    )
    table = display.ranking_table(ranked, spec)
    assert table["地区"].to_list() == ["赫山区", "道县"]
    units = {v.split()[-1] for v in table[spec.name].to_list() + table["与中位数之差"].to_list()}
    assert units == {"亿元"}
    assert table["与中位数之差"][0].startswith("+") and table["与中位数之差"][1].startswith("-")
    assert table["说明"].to_list() == ["", "预计/推算"]
