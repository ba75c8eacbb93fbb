"""What a view covers: regions, funds, years and basis (the sidebar's choice, a deck's request)."""

from __future__ import annotations

from dataclasses import dataclass


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
    def year_text(self) -> str:
        """2024年 or 2016–2024年."""
        if self.first_year == self.last_year:
            return f"{self.first_year}年"
        return f"{self.first_year}–{self.last_year}年"


def region_label(row: dict) -> str:
    """赫山区（湖南省益阳市）: the region first, then the province and city it belongs to."""
    within = "".join(
        dict.fromkeys(p for p in (row["province_name"], row["city_name"]) if p and p != row["region_name"])
    )
    return f"{row['region_name']}（{within}）" if within else row["region_name"]
