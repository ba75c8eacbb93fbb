"""Clean up what report text really contains before extraction.

The cleaned text is what the database stores as ``documents.text``; every quote is
a span of it.  Chinese punctuation (，。；：（）) is kept as it is; only what hides
numbers is changed: full-width digits and signs, odd spaces, word-processor
artefacts, a mirror's pinyin glosses (醫(yī)療 → 醫療) and lines broken in the middle of a sentence by page breaks — and a text written
in traditional characters (a mirror's conversion: 醫療保險基金收入3.2億元) is turned into
simplified characters, one for one, so the vocabulary reads it (rules/traditional.txt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_FULLWIDTH.update({chr(0xFF21 + i): chr(0x41 + i) for i in range(26)})
_FULLWIDTH.update({chr(0xFF41 + i): chr(0x61 + i) for i in range(26)})
_FULLWIDTH.update(
    {
        "％": "%",
        "﹪": "%",
        "／": "/",
        "＋": "+",
        "\u3000": " ",
        "\xa0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\r": "",
    }
)
_TRANSLATE = str.maketrans(_FULLWIDTH)
_TRANSLATED = re.compile("[" + re.escape("".join(_FULLWIDTH)) + "]")  # most texts hold none of them

_ARTEFACTS = re.compile(r"\[(?:bookmark|BOOKMARK|_?GoBack)[^\]\n]{0,80}\]")
# a mirror's pinyin gloss after a character (醫(yī)療保險(xiǎn)): a syllable with a tone mark
# (Each pattern opens with a character it consumes, the character before it looked at behind:
# the regex engine then passes quickly over the places where that character is not.)
_PINYIN_GLOSS = re.compile(r"[(（](?<=[\u4e00-\u9fff][(（])[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")
# Full-width or typographic signs and separators that sit between digits.
_MINUS = re.compile(r"[－−–](?=\s*\d)")
_FW_DOT = re.compile(r"[．·](?<=\d[．·])(?=\d)")
# 。 typed for the decimal point (an input method left in Chinese mode: 138。86 万元) — between a
# number and at most three digits that are not a date (3。4月 is March and April, kept)
_FULL_STOP_DOT = re.compile(r"。(?<=\d。)(?=\d{1,3}(?![\d年月日号时]))")
_FW_COMMA = re.compile(r"，(?<=\d，)(?=\d{3}(?!\d))")
_BLANK_RUNS = re.compile(r"\n\n\n+")  # three or more
_TRAILING = re.compile(r"[ \t][ \t]*\n")

# A line ends a sentence or block when its last character is one of these.
_END_CHARS = set('。！？；：:;!?）)」』”"》】…')
_ENUMERATOR = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]\D|"
    r"[⑴-⒇①-⑳]|第[一二三四五六七八九十]+|附件|附表|[-•·●◆■□])"
)
_MIN_BROKEN_LINE = 25
_TITLE_END = re.compile(
    r"(?:报告|情况|说明|公报|公示|公告|通报|简报|快报|通知|目录|方案|附表|一览表|[表）)])$"
)


PAGE_WORDS_FILE = Path(__file__).with_name("rules") / "page.yaml"


@cache
def _furniture() -> re.Pattern[str]:
    import yaml

    return re.compile(yaml.safe_load(PAGE_WORDS_FILE.read_text(encoding="utf-8"))["furniture"]["pattern"])


def is_furniture(line: str) -> bool:
    """A line of the web page around a report (索引号…, 您当前的位置…, a site's banner or a
    company's greeting, a lone "-"): never the report's title (rules/page.yaml)."""
    return bool(_furniture().search(line))


TRADITIONAL_FILE = Path(__file__).with_name("rules") / "traditional.txt"
# a text is traditional when this share of its Han characters exist only in traditional script
# (a simplified report quoting a name such as 乾隆 or 於 stays as it is)
TRADITIONAL_SHARE = 0.03
_MIN_TRADITIONAL = 5
_HAN = re.compile(r"[\u4e00-\u9fff]")


@cache
def _traditional() -> tuple[dict[int, str], frozenset[str], dict[int, None]]:
    """The translation table, the characters it converts, and a table deleting them."""
    lines = [
        ln for ln in TRADITIONAL_FILE.read_text(encoding="utf-8").split("\n") if ln and not ln.startswith("#")
    ]
    old, new = lines
    if len(old) != len(new):
        raise ValueError(f"{TRADITIONAL_FILE.name}: the two lines differ in length")
    return str.maketrans(old, new), frozenset(old), dict.fromkeys(map(ord, old))


def is_traditional(text: str) -> bool:
    """Written in traditional characters (enough of them to rule out a quoted name)."""
    _, characters, delete = _traditional()
    if characters.isdisjoint(text):
        return False  # the usual case, at the cost of one pass over the text
    found = len(text) - len(text.translate(delete))
    return found >= _MIN_TRADITIONAL and found >= TRADITIONAL_SHARE * (len(text) - len(_HAN.sub("", text)))


def to_simplified(text: str) -> str:
    """The text with each traditional-only character replaced by its simplified form."""
    return text.translate(_traditional()[0])


@dataclass(frozen=True)
class Normalised:
    text: str
    converted: bool  # written in traditional characters, now in simplified ones
    glosses: int = 0  # pinyin glosses removed (医(yī)疗 → 医疗)


def normalize(raw: str) -> Normalised:
    """The cleaned text of a report (idempotent), and whether it was converted to simplified."""
    translated = raw.translate(_TRANSLATE) if _TRANSLATED.search(raw) else raw
    text, glosses = _PINYIN_GLOSS.subn("", _ARTEFACTS.sub("", translated))
    converted = is_traditional(text)  # decided on what the text keeps, so a second pass agrees
    if converted:
        text = to_simplified(text)
    text = _MINUS.sub("-", text)
    text = _FW_DOT.sub(".", text)
    text = _FULL_STOP_DOT.sub(".", text)
    text = _FW_COMMA.sub(",", text)
    text = _TRAILING.sub("\n", text)
    text = _join_broken_lines(text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return Normalised(text.strip("\n"), converted, glosses)


def normalize_text(raw: str) -> str:
    """Return the cleaned text of a report (idempotent)."""
    return normalize(raw).text


def _join_broken_lines(text: str) -> str:
    """Join a body line cut mid-sentence (page break) with the line that continues it.

    Linear in the text: a chain of joined lines is kept as pieces (never re-copied or
    re-scanned), and a joined line is judged by its end alone (see ``_continues``)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        pieces = [lines[i]]
        head = ""  # up to _TAIL characters of the joined line before its last piece
        while True:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j >= len(lines):
                break
            if len(pieces) == 1:
                if not _continues(pieces[0], lines[j]):
                    break
            elif not _continues_joined(head + pieces[-1].rstrip(), lines[j]):
                break
            pieces[-1] = pieces[-1].rstrip()
            head = (head + pieces[-1])[-_TAIL:]
            pieces.append(lines[j].lstrip())
            i = j
        out.append("".join(pieces))
        i += 1
    return "\n".join(out)


_TAIL = 16  # longer than anything _TITLE_END or _END_CHARS look at


def _continues(line: str, nxt: str) -> bool:
    body = line.rstrip()
    if len(body.strip()) < _MIN_BROKEN_LINE or any(
        sep in body.strip() or sep in nxt for sep in ("\t", "|", "  ")
    ):
        return False  # table rows are lines of their own
    if not re.search(r"[，,、。；]", body):
        return False  # a title, not a sentence cut by a page break
    return _continues_joined(body[-_TAIL:], nxt)


def _continues_joined(tail: str, nxt: str) -> bool:
    """``_continues`` for a line already joined, by its last characters: it is long, has a
    comma and no table separator (or it would not have been joined), so only its end counts."""
    if any(sep in nxt for sep in ("\t", "|", "  ")):
        return False
    last = tail[-1]
    if _TITLE_END.search(tail):
        return False  # a title, not a sentence cut by a page break
    if last in _END_CHARS or not (is_cjk(last) or last.isdigit()):
        return False
    first = nxt.lstrip()[:1]
    if not first or _ENUMERATOR.match(nxt):
        return False
    return is_cjk(first) or first.isdigit()


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"
