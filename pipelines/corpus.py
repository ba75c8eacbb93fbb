"""The real-text corpus (tests/corpus/): its batches, their sidecars and gold facts, and the
validator that checks the labelling itself — independently of the extractor.

A batch is a folder ``batchNN`` holding texts (``*.txt``), one sidecar per text (``*.yaml``:
source address, retrieval date, region, level, genre …) and ``gold.csv`` with the facts a
careful reader records (columns of ``../shared/gold/seeds.csv``).  See
tests/corpus/LABELLING.md for the rules the labellers follow.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from pipelines import codes
from pipelines.evaluate import close
from pipelines.models import RegionLevel

GOLD_COLUMNS = [
    "file",
    "region_code",
    "region_name",
    "region_level",
    "year",
    "fund",
    "metric",
    "item",
    "basis",
    "value",
    "unit",
    "derived",
    "quote",
    "note",
    "period",
]
SIDECAR_KEYS = {
    "source_url",
    "retrieved",
    "title",
    "region",
    "region_code",
    "level",
    "genre",
    "years",
    "script",
}
GENRES = frozenset(
    [
        "fund_disclosure",
        "fund_table",
        "final_accounts",
        "budget_execution",
        "npc_report",
        "dept_final_accounts",
        "performance",
        "quarterly",
        "stat_bulletin_medical",
        "stat_bulletin_hrss",
        "stat_bulletin_economy",
        "assistance_stats",
        "ncms_news",
        "ltc",
        "news",
        "work_report",
    ]
)
SCRIPTS = frozenset({"simplified", "traditional"})
REGIONS_CSV = Path(__file__).resolve().parents[1] / "data" / "regions" / "gb2260.csv"

# --- numbers as written in a quote ---------------------------------------------------------
# A number (thousands separators, full-width digits already folded), then an optional unit.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．％－", "0123456789,.%-")
_NUMBER = re.compile(r"(?<![\d.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.])-?\d+(?:[.。．]\d+)?")
# unit text right after a number → the factors it may mean (longest first)
_UNIT_FACTORS: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("万亿元", (1e12,)),
    ("萬億元", (1e12,)),
    ("亿元", (1e8,)),
    ("億元", (1e8,)),
    ("万元", (1e4,)),
    ("萬元", (1e4,)),
    ("千元", (1e3,)),
    ("万人次", (1e4,)),
    ("萬人次", (1e4,)),
    ("万人", (1e4,)),
    ("萬人", (1e4,)),
    ("万", (1e4,)),
    ("萬", (1e4,)),
    ("亿", (1e8,)),
    ("億", (1e8,)),
    ("元", (1.0,)),
    ("人次", (1.0,)),
    ("人", (1.0,)),
    ("%", (1.0,)),
    ("个月", (1.0,)),
)
_LEVELS = frozenset(level.value for level in RegionLevel)
_DEFICIT = re.compile("赤字|亏损|虧損|缺口|超支|收不抵支")
# a bare number (a table cell, a unit given in a header or row label) may carry any of these
_BARE_FACTORS = (1.0, 1e3, 1e4, 1e8)


def quote_values(quote: str) -> list[float]:
    """Every value a number in the quote may stand for, in base units."""
    text = quote.translate(_FULL_WIDTH)
    out: list[float] = []
    for m in _NUMBER.finditer(text):
        number = float(re.sub(r"[。．]", ".", m.group().replace(",", "")))
        after = text[m.end() : m.end() + 4].lstrip(" \u3000")
        factors = next((f for unit, f in _UNIT_FACTORS if after.startswith(unit)), _BARE_FACTORS)
        out.extend(number * f for f in factors)
    return out


# --- the corpus ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Batch:
    path: Path
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def texts(self) -> dict[str, str]:
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(self.path.glob("*.txt"))}

    @cached_property
    def sidecars(self) -> dict[str, dict]:
        return {
            p.with_suffix(".txt").name: yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            for p in sorted(self.path.glob("*.yaml"))
        }

    @cached_property
    def gold(self) -> list[dict[str, str]]:
        gold = self.path / "gold.csv"
        if not gold.is_file():
            return []
        with gold.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))


def batches(root: Path) -> list[Batch]:
    return [Batch(p) for p in sorted(root.glob("batch[0-9][0-9]")) if p.is_dir()]


def _region_codes() -> set[str]:
    with REGIONS_CSV.open(encoding="utf-8") as f:
        return {row["code"] for row in csv.DictReader(f)}


def validate_sidecar(name: str, meta: dict, regions: set[str]) -> list[str]:
    problems = []
    missing = SIDECAR_KEYS - set(meta)
    if missing:
        problems.append(f"sidecar lacks {sorted(missing)}")
    if not str(meta.get("source_url", "")).startswith(("http://", "https://")):
        problems.append("source_url is not an address")
    retrieved = meta.get("retrieved")
    if not isinstance(retrieved, dt.date):
        try:
            dt.date.fromisoformat(str(retrieved))
        except ValueError:
            problems.append(f"retrieved {retrieved!r} is not a date")
    if str(meta.get("region_code")) not in regions:
        problems.append(f"region_code {meta.get('region_code')!r} is not in the region table")
    if meta.get("level") not in _LEVELS:
        problems.append(f"level {meta.get('level')!r}")
    if meta.get("genre") not in GENRES:
        problems.append(f"genre {meta.get('genre')!r} is not one of LABELLING.md's")
    if meta.get("script") not in SCRIPTS:
        problems.append(f"script {meta.get('script')!r}")
    years = meta.get("years")
    if not isinstance(years, list) or not all(isinstance(y, int) and 1990 <= y <= 2030 for y in years):
        problems.append(f"years {years!r} is not a list of years")
    return problems


def validate_gold_row(row: dict[str, str], texts: dict[str, str], regions: set[str]) -> list[str]:
    """What is wrong with one gold row: codes, unit, quote verbatim, the quote's number."""
    problems = []
    if row.get("file") not in texts:
        return [f"file {row.get('file')!r} is not a text of the batch"]
    for column, allowed in (
        ("fund", codes.FUNDS),
        ("metric", codes.METRICS),
        ("item", codes.ITEMS),
        ("basis", codes.BASES),
        ("region_level", _LEVELS),
    ):
        if row.get(column) not in allowed:
            problems.append(f"{column} {row.get(column)!r} is not a contract code")
    if row.get("region_code") not in regions:
        problems.append(f"region_code {row.get('region_code')!r} is not in the region table")
    metric = row.get("metric")
    if metric in codes.METRIC_UNIT and row.get("unit") != codes.METRIC_UNIT[metric]:
        problems.append(f"unit {row.get('unit')!r} does not fit {metric}")
    if not re.fullmatch(r"(19|20)\d\d", row.get("year", "")):
        problems.append(f"year {row.get('year')!r}")
    if row.get("derived") not in ("true", "false"):
        problems.append(f"derived {row.get('derived')!r} is not true/false")
    if (row.get("basis") == "partial") != bool(row.get("period")):
        problems.append("period is given exactly when the basis is partial")
    quote = row.get("quote") or ""
    if not quote or quote not in texts[row["file"]]:
        problems.append(f"quote «{quote[:40]}» does not occur in the text")
    try:
        value = float(row.get("value", ""))
    except ValueError:
        return [*problems, f"value {row.get('value')!r} is not a number"]
    # a deficit is a negative balance written as a positive number after 赤字, 亏损, 缺口 …
    signs = (1, -1) if row.get("metric") == "balance" and _DEFICIT.search(quote) else (1,)
    if row.get("derived") == "false" and not any(
        close(value, sign * v) for v in quote_values(quote) for sign in signs
    ):
        problems.append(f"no number in «{quote[:40]}» scaled by its unit equals {value:g}")
    return problems


def _shingles(text: str, n: int = 12) -> set[str]:
    squeezed = re.sub(r"\s+", "", text)
    return {squeezed[i : i + n] for i in range(0, max(len(squeezed) - n + 1, 1), 3)}


def near_duplicates(texts: dict[str, str], threshold: float = 0.6) -> list[tuple[str, str, float]]:
    """Pairs of texts that are mostly the same (share of the smaller text's shingles)."""
    shingles = {name: _shingles(t) for name, t in texts.items()}
    names = sorted(shingles)
    found = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            small = min(len(shingles[a]), len(shingles[b])) or 1
            share = len(shingles[a] & shingles[b]) / small
            if share >= threshold:
                found.append((a, b, round(share, 2)))
    return found


def validate(root: Path) -> list[Problem]:
    """Every problem of every batch under ``root`` (an empty list when the corpus is sound)."""
    regions = _region_codes()
    problems: list[Problem] = []
    all_texts: dict[str, str] = {}
    for batch in batches(root):
        if not (batch.path / "gold.csv").is_file():
            problems.append(Problem(batch.name, "no gold.csv"))
        for name in batch.texts:
            if name not in batch.sidecars:
                problems.append(Problem(f"{batch.name}/{name}", "no sidecar"))
        for name, meta in batch.sidecars.items():
            if name not in batch.texts:
                problems.append(Problem(f"{batch.name}/{name}", "a sidecar without its text"))
                continue
            problems += [Problem(f"{batch.name}/{name}", p) for p in validate_sidecar(name, meta, regions)]
        header = list(batch.gold[0]) if batch.gold else GOLD_COLUMNS
        if header != GOLD_COLUMNS:
            problems.append(Problem(f"{batch.name}/gold.csv", f"columns {header} are not {GOLD_COLUMNS}"))
        for i, row in enumerate(batch.gold, start=2):
            where = f"{batch.name}/gold.csv:{i}"
            problems += [Problem(where, p) for p in validate_gold_row(row, batch.texts, regions)]
        all_texts.update({f"{batch.name}/{n}": t for n, t in batch.texts.items()})
    for a, b, share in near_duplicates(all_texts):
        problems.append(Problem(a, f"mostly the same as {b} ({share:.0%} shared): leave one out"))
    return problems
