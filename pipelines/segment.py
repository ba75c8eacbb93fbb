"""Cut normalised report text into paragraphs, headings, sentences and clauses.

Offsets always refer to the full text, so every span can be quoted verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.numbers import NUMBER_RE

# Enumerators that open a heading, with the style key that sets their outline level.
_ENUMERATORS: list[tuple[str, re.Pattern[str]]] = [
    ("cn、", re.compile(r"[一二三四五六七八九十]+\s*[、.．]")),
    ("(cn)", re.compile(r"[（(]\s*[一二三四五六七八九十]+\s*[）)]")),
    ("d.", re.compile(r"\d{1,2}\s*[.．](?!\d)")),
    ("d、", re.compile(r"\d{1,2}\s*、")),
    ("(d)", re.compile(r"[（(]\s*\d{1,2}\s*[）)]")),
    ("⑴", re.compile(r"[⑴-⒇]")),
    ("①", re.compile(r"[①-⑳]")),
    ("第", re.compile(r"第[一二三四五六七八九十]+[章节部分]")),
]
_HEADING_END = re.compile(r"[。：:]")
_MAX_HEADING = 40
_MAX_FREE_HEADING = 30
SENTENCE_END = re.compile(r"[。！？!?]")
# An ASCII comma between digits (40,612.45) is a thousands separator, not a clause break.
# (the lookahead only says which characters can break: the engine passes others quickly)
CLAUSE_BREAK = re.compile(r"(?=[，；;：:（）(),\s])(?:[，；;：:（）()\t]|,(?!\d{3}(?!\d))|(?<!\d),|\s{2,})")
_PAREN = re.compile(r"[（()）]")


@dataclass(frozen=True)
class Heading:
    start: int
    end: int
    style: str | None  # None: an unnumbered title-like line

    def text(self, doc: str) -> str:
        return doc[self.start : self.end]


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    heading: Heading | None
    body_start: int  # where the body begins (after the heading, if any)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


def paragraphs(text: str) -> list[Paragraph]:
    """One paragraph per non-empty line; a line may open with a heading."""
    out: list[Paragraph] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        stripped = line.strip()
        if not stripped:
            continue
        lead = start + (len(line) - len(line.lstrip()))
        heading = _heading(text, lead, end)
        body_start = heading.end if heading else lead
        out.append(Paragraph(lead, end, heading, body_start))
    return out


def _heading(text: str, start: int, end: int) -> Heading | None:
    line = text[start:end]
    for style, regex in _ENUMERATORS:
        m = regex.match(line)
        if m is None:
            continue
        stop = _HEADING_END.search(line, m.end())
        head_end = start + (stop.start() if stop else len(line.rstrip()))
        if head_end - start <= _MAX_HEADING and not NUMBER_RE.search(text, start, head_end):
            return Heading(start, head_end, style)
        return None
    stripped = line.rstrip()
    if (
        len(stripped) <= _MAX_FREE_HEADING
        and stripped[-1:] not in "。；;，,"
        and "\t" not in stripped
        and not NUMBER_RE.search(text, start, end)
    ):
        return Heading(start, start + len(stripped), None)
    return None


def sentences(text: str, start: int, end: int) -> list[Sentence]:
    out: list[Sentence] = []
    pos = start
    for m in SENTENCE_END.finditer(text, start, end):
        if m.end() > pos:
            out.extend(_bounded(text, pos, m.end()))
        pos = m.end()
    if pos < end and text[pos:end].strip():
        out.extend(_bounded(text, pos, end))
    return out


# Longer than any real sentence (the longest in the bundled reports and corpora is about 850
# characters); reading a sentence costs its figures times its words, so a megabyte "sentence"
# (a text without 。) is cut into pieces of at most this length, at a clause break if there is one.
MAX_SENTENCE = 2000
_SOFT_BREAKS = "，；;"


def _bounded(text: str, start: int, end: int) -> list[Sentence]:
    out: list[Sentence] = []
    while end - start > MAX_SENTENCE:
        limit = start + MAX_SENTENCE
        cut = max(text.rfind(ch, start + MAX_SENTENCE // 2, limit) for ch in _SOFT_BREAKS) + 1
        if cut <= 0:
            cut = limit
        out.append(Sentence(start, cut))
        start = cut
    out.append(Sentence(start, end))
    return out


def clause_bounds(text: str, sentence: Sentence) -> list[int]:
    """Sorted positions where clauses begin inside ``sentence`` (its start included)."""
    bounds = [sentence.start]
    bounds.extend(m.end() for m in CLAUSE_BREAK.finditer(text, sentence.start, sentence.end))
    return bounds


def paren_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of (possibly unbalanced) parentheses inside ``text[start:end]``."""
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for m in _PAREN.finditer(text, start, end):
        i = m.start()
        if m.group(0) in "（(":
            stack.append(i)
        elif stack:
            spans.append((stack.pop(), i + 1))
    spans.extend((s, end) for s in stack)
    return spans
