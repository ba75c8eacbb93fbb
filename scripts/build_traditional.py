"""Write pipelines/rules/traditional.txt: traditional characters and their simplified forms.

    .venv/bin/python -m scripts.build_traditional

Bureaus' pages reach users through mirrors that convert them to traditional characters
(醫療保險基金收入3.2億元); the vocabulary is simplified, so pipelines/normalize.py turns such a
text into simplified characters before extraction.  The table is the one-character part of
the zh-cn conversion table of MediaWiki, as the `zhconv` package (a dev dependency) ships it:
only Han characters (punctuation such as 「」 stays) whose simplified form is a common one
(in GBK: rare forms such as 𪟝 show as empty boxes), that are never simplified characters
themselves, so converting is one
character for one and the same text converted twice does not change.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from zhconv import zhconv

TABLE = Path(__file__).resolve().parents[1] / "pipelines" / "rules" / "traditional.txt"
# Variant forms mirrors write that the MediaWiki table lacks (蓡保人數, 縂支出, 儅期結存, 毉療),
# each seen in the real-text corpus (tests/corpus/)
VARIANTS = {"蓡": "参", "縂": "总", "儅": "当", "毉": "医"}


def _common(character: str) -> bool:
    """A simplified form every Chinese font shows: in the Basic Multilingual Plane and in GBK."""
    try:
        character.encode("gbk")
    except UnicodeEncodeError:
        return False
    return ord(character) <= 0xFFFF


def one_to_one() -> dict[str, str]:
    zhconv.loaddict()
    table = zhconv.zhcdicts["zh2Hans"]
    pairs = {
        t: s
        for t, s in table.items()
        if len(t) == 1 and len(s) == 1 and t != s and unicodedata.name(t, "").startswith("CJK") and _common(s)
    }
    pairs.update({t: s for t, s in VARIANTS.items() if t not in pairs})
    simplified = set(pairs.values())
    return {t: s for t, s in sorted(pairs.items()) if t not in simplified}


def main() -> None:
    pairs = one_to_one()
    TABLE.write_text(
        "# traditional → simplified, one character for one: line 2 maps to line 3 position by position\n"
        "# (written by `python -m scripts.build_traditional` from zhconv's MediaWiki zh-cn table and its VARIANTS)\n"
        + "".join(pairs)
        + "\n"
        + "".join(pairs.values())
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(pairs)} characters → {TABLE}")


if __name__ == "__main__":
    main()
