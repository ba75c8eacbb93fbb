"""Load the extraction vocabulary (``rules/vocabulary.yaml``) and find its tokens in text.

Each top-level alternative of each pattern becomes a branch, indexed by the characters
it can start with.  The scanner jumps to the next character that can start a branch,
tries those branches there and keeps the longest match (leftmost-longest), so the most
specific phrase wins (基本医疗保险费收入 over 基本医疗保险).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

try:  # Python 3.11+: the regex parser moved
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

RULES_DIR = Path(__file__).with_name("rules")
VOCABULARY_FILE = RULES_DIR / "vocabulary.yaml"

# YAML section -> token kind
SECTIONS = {
    "funds": "fund",
    "metrics": "metric",
    "items": "item",
    "populations": "population",
    "exclusions": "exclusion",
    "noise": "noise",
    "cues": "cue",
}
# Basis words (预算, 预计, 实际…) are found by a scan of their own: they qualify the words
# around them rather than replace them (本年预算收入合计 is 预算 + 收入合计).
BASIS_SECTION = "basis"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    pattern: str
    attrs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    examples: tuple[dict[str, Any], ...] = field(default=(), hash=False, compare=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    entry: Entry

    @property
    def kind(self) -> str:
        return self.entry.kind

    def attr(self, key: str, default: Any = None) -> Any:
        return self.entry.attrs.get(key, default)


@dataclass(frozen=True)
class ZeroRule:
    entry: Entry
    regex: re.Pattern[str]


class Vocabulary:
    """The token scanner built from the YAML file."""

    def __init__(self, data: dict[str, Any]):
        self.entries: list[Entry] = []
        for section, kind in SECTIONS.items():
            for raw in data.get(section, []) or []:
                self.entries.append(_entry(raw, kind))
        self.basis_entries = [_entry(raw, "basis") for raw in data.get(BASIS_SECTION, []) or []]
        self._basis_regex = [(e, re.compile(e.pattern)) for e in self.basis_entries]
        self.zero_rules = [
            ZeroRule(_entry(raw, "zero"), re.compile(raw["pattern"]))
            for raw in data.get("zero_statements", [])
        ]
        ids = [e.id for e in self.all_entries()]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"duplicate vocabulary ids: {sorted(duplicates)}")
        # first character -> the branches that can start with it, longest-possible first
        self._by_first: dict[str, list[tuple[int, re.Pattern[str], Entry]]] = {}
        ranked: list[tuple[int, int, int, re.Pattern[str], Entry, set[str]]] = []
        for entry in self.entries:
            for alt in _top_level_alternatives(entry.pattern):
                parsed = sre_parse.parse(alt)
                lo, hi = parsed.getwidth()
                first = _first_chars(list(parsed))
                if not first:
                    raise ValueError(f"{entry.id}: cannot tell how «{alt}» starts; begin it with a character")
                ranked.append((-min(hi, 64), -lo, len(ranked), re.compile(alt), entry, first))
        # equal widths: the entry listed first in the YAML wins (funds before measures)
        for neg_width, _, _, compiled, entry, first in sorted(ranked, key=lambda r: (r[0], r[2])):
            for ch in first:
                self._by_first.setdefault(ch, []).append((-neg_width, compiled, entry))
        self._starts = re.compile("[" + "".join(re.escape(c) for c in sorted(self._by_first)) + "]")

    def entry(self, entry_id: str) -> Entry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        for e in self.all_entries():
            if e.id == entry_id:
                return e
        raise KeyError(entry_id)

    def all_entries(self) -> list[Entry]:
        return self.entries + self.basis_entries + [z.entry for z in self.zero_rules]

    def basis_cues(self, text: str, start: int, end: int) -> list[Token]:
        """Basis words in ``text[start:end]``, left to right."""
        found = [
            Token(m.start(), m.end(), entry)
            for entry, regex in self._basis_regex
            for m in regex.finditer(text, start, end)
            if m.end() > m.start()
        ]
        return sorted(found, key=lambda t: t.start)

    def scan(self, text: str, start: int = 0, end: int | None = None) -> list[Token]:
        """Non-overlapping tokens in ``text[start:end]``, leftmost-longest, left to right."""
        stop = len(text) if end is None else end
        out: list[Token] = []
        pos = start
        starts, by_first = self._starts, self._by_first
        while True:
            m = starts.search(text, pos, stop)
            if m is None:
                return out
            begin = m.start()
            finish, entry = begin, None
            for width, compiled, candidate in by_first[text[begin]]:
                if width <= finish - begin:
                    break  # the rest cannot match anything longer
                hit = compiled.match(text, begin, stop)
                if hit is not None and hit.end() > finish:
                    finish, entry = hit.end(), candidate
            if entry is None:
                pos = begin + 1
            else:
                out.append(Token(begin, finish, entry))
                pos = finish


def _entry(raw: dict[str, Any], kind: str) -> Entry:
    attrs = {k: v for k, v in raw.items() if k not in ("id", "pattern", "examples")}
    return Entry(raw["id"], kind, raw["pattern"], attrs, tuple(raw.get("examples", []) or []))


def _top_level_alternatives(pattern: str) -> list[str]:
    """Split ``a|b(c|d)|e`` into ``['a', 'b(c|d)', 'e']``."""
    parts: list[str] = []
    depth = 0
    in_class = False
    current: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            current.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p for p in parts if p]


def _first_chars(ops: list) -> set[str]:
    """Characters a parsed pattern can start with (empty set: unknown, never indexed)."""
    chars: set[str] = set()
    for op, arg in ops:
        name = str(op)
        if name == "LITERAL":
            chars.add(chr(arg))
            return chars
        if name == "IN":
            for kind, value in arg:
                if str(kind) == "LITERAL":
                    chars.add(chr(value))
                elif str(kind) == "RANGE" and value[1] - value[0] < 64:
                    chars.update(chr(c) for c in range(value[0], value[1] + 1))
                elif str(kind) == "CATEGORY" and str(value) == "CATEGORY_DIGIT":
                    chars.update("0123456789")
                else:
                    return set()  # a class we cannot list: refuse rather than miss matches
            return chars
        if name == "SUBPATTERN":
            chars |= _first_chars(list(arg[-1]))
            return chars
        if name == "BRANCH":
            for branch in arg[1]:
                chars |= _first_chars(list(branch))
            return chars
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            chars |= _first_chars(list(arg[2]))
            if arg[0] > 0:
                return chars
            continue
        if name in ("ASSERT", "ASSERT_NOT", "AT"):
            continue
        return chars
    return chars


@cache
def default_vocabulary() -> Vocabulary:
    with VOCABULARY_FILE.open(encoding="utf-8") as f:
        return Vocabulary(yaml.safe_load(f))
