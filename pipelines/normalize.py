"""Clean up what report text really contains before extraction.

The cleaned text is what the database stores as ``documents.text``; every quote is
a span of it.  Chinese punctuation (，。；：（）) is kept as it is; only what hides
numbers is changed: full-width digits and signs, odd spaces, word-processor
artefacts and lines broken in the middle of a sentence by page breaks.
"""

from __future__ import annotations

import re

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

_ARTEFACTS = re.compile(r"\[(?:bookmark|BOOKMARK|_?GoBack)[^\]\n]{0,80}\]")
# Full-width or typographic signs and separators that sit between digits.
_MINUS = re.compile(r"[－−–](?=\s*\d)")
_FW_DOT = re.compile(r"(?<=\d)[．·](?=\d)")
_FW_COMMA = re.compile(r"(?<=\d)，(?=\d{3}(?!\d))")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")

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


def normalize_text(raw: str) -> str:
    """Return the cleaned text of a report (idempotent)."""
    text = raw.translate(_TRANSLATE)
    text = _ARTEFACTS.sub("", text)
    text = _MINUS.sub("-", text)
    text = _FW_DOT.sub(".", text)
    text = _FW_COMMA.sub(",", text)
    text = _TRAILING.sub("\n", text)
    text = _join_broken_lines(text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n")


def _join_broken_lines(text: str) -> str:
    """Join a body line cut mid-sentence (page break) with the line that continues it."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j < len(lines) and _continues(line, lines[j]):
            lines[j] = line.rstrip() + lines[j].lstrip()
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _continues(line: str, nxt: str) -> bool:
    body = line.rstrip()
    if len(body.strip()) < _MIN_BROKEN_LINE or any(
        sep in body.strip() or sep in nxt for sep in ("\t", "|", "  ")
    ):
        return False  # table rows are lines of their own
    last = body[-1]
    if _TITLE_END.search(body) or not re.search(r"[，,、。；]", body):
        return False  # a title, not a sentence cut by a page break
    if last in _END_CHARS or not (is_cjk(last) or last.isdigit()):
        return False
    first = nxt.lstrip()[:1]
    if not first or _ENUMERATOR.match(nxt):
        return False
    return is_cjk(first) or first.isdigit()


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"
