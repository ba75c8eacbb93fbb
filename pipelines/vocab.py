"""Load the extraction vocabulary (``rules/vocabulary.yaml``) and find its tokens in text.

Each top-level alternative of each pattern becomes a branch, indexed by the characters
it can start with (read from the pattern text by a small parser of its own, see
:class:`_Shape`).  The scanner jumps to the next character that can start a branch,
tries those branches there and keeps the longest match (leftmost-longest), so the most
specific phrase wins (基本医疗保险费收入 over 基本医疗保险).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

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
# Period words (一季度, 1-6月, 截至9月底, 全年 …) are found by a scan of their own too: they say
# which part of the year a figure covers (contract: basis `partial` with its `period`).
PERIOD_SECTION = "periods"
_CN_MONTHS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
WHOLE_YEAR_FROM = 11  # a period from January ending in November or later is the whole year


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


@dataclass(frozen=True, slots=True)
class PeriodCue:
    """A period word: ``period`` is the part of the year as the text gives it (``1-6月``,
    ``一季度``, without the year), or None when the words name the whole year (全年, 1-12月)."""

    start: int
    end: int
    entry: Entry
    period: str | None


def month_number(word: str) -> int | None:
    """9 or 九 or 十一 as a month number."""
    word = word.strip()
    if word.isdigit():
        return int(word)
    if word.startswith("十"):
        return 10 + _CN_MONTHS.get(word[1:], 0) if len(word) <= 2 else None
    return _CN_MONTHS.get(word)


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
        self.period_entries = [_entry(raw, "period") for raw in data.get(PERIOD_SECTION, []) or []]
        self._period_regex = [(e, re.compile(e.pattern)) for e in self.period_entries]
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
        ranked: list[tuple[int, int, re.Pattern[str], Entry, set[str]]] = []
        for entry in self.entries:
            for alt in _top_level_alternatives(entry.pattern):
                compiled = re.compile(alt)  # the regex engine's own check of the syntax first
                try:
                    parsed = _Shape(alt).parse()
                except ValueError as exc:
                    raise ValueError(f"{entry.id}: {exc}") from None
                first = _first_chars(parsed)
                if not first:
                    raise ValueError(f"{entry.id}: cannot tell how «{alt}» starts; begin it with a character")
                ranked.append((-_max_width(parsed), len(ranked), compiled, entry, first))
        # equal widths: the entry listed first in the YAML wins (funds before measures)
        for neg_width, _, compiled, entry, first in sorted(ranked, key=lambda r: (r[0], r[1])):
            for ch in first:
                self._by_first.setdefault(ch, []).append((-neg_width, compiled, entry))
        self._starts = re.compile("[" + "".join(re.escape(c) for c in sorted(self._by_first)) + "]")
        # per first character, all its branches in one pattern: where none of them matches (most
        # places), one call says so instead of one per branch
        self._any_by_first = {
            ch: _any_of(compiled.pattern for _, compiled, _ in branches)
            for ch, branches in self._by_first.items()
        }
        # the basis and period words as one pattern each: most spans hold none of them
        self._any_basis = _any_of(e.pattern for e in self.basis_entries)
        self._any_period = _any_of(e.pattern for e in self.period_entries)
        self._any_zero = _any_of(z.regex.pattern for z in self.zero_rules)

    def entry(self, entry_id: str) -> Entry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        for e in self.all_entries():
            if e.id == entry_id:
                return e
        raise KeyError(entry_id)

    def all_entries(self) -> list[Entry]:
        return self.entries + self.basis_entries + self.period_entries + [z.entry for z in self.zero_rules]

    def may_state_zero(self, text: str, start: int, end: int) -> bool:
        """Whether a statement of zero (zero_rules) may be in ``text[start:end]``: False when none is."""
        return self._any_zero.search(text, start, end) is not None

    def basis_cues(self, text: str, start: int, end: int) -> list[Token]:
        """Basis words in ``text[start:end]``, left to right."""
        if self._any_basis.search(text, start, end) is None:
            return []
        found = [
            Token(m.start(), m.end(), entry)
            for entry, regex in self._basis_regex
            for m in regex.finditer(text, start, end)
            if m.end() > m.start()
        ]
        return sorted(found, key=lambda t: t.start)

    def period_cues(self, text: str, start: int, end: int) -> list[PeriodCue]:
        """Period words in ``text[start:end]``, left to right, the longest where two overlap.

        An entry with ``whole_year: true`` names the whole year; one whose pattern has a group
        ``end`` (the last month) names the whole year when that month is November or later."""
        if self._any_period.search(text, start, end) is None:
            return []
        found: list[PeriodCue] = []
        for entry, regex in self._period_regex:
            for m in regex.finditer(text, start, end):
                if m.end() <= m.start():
                    continue
                whole = bool(entry.get("whole_year"))
                if "end" in regex.groupindex and m.group("end"):
                    month = month_number(m.group("end"))
                    if month is None or month > 12:
                        continue
                    whole = whole or month >= WHOLE_YEAR_FROM
                shown = _YEAR_PREFIX.sub("", m.group(0)).strip()
                found.append(PeriodCue(m.start(), m.end(), entry, None if whole else shown))
        found.sort(key=lambda c: (c.start, -(c.end - c.start)))
        out: list[PeriodCue] = []
        for cue in found:
            if out and cue.start < out[-1].end:
                continue
            out.append(cue)
        return out

    def scan(self, text: str, start: int = 0, end: int | None = None) -> list[Token]:
        """Non-overlapping tokens in ``text[start:end]``, leftmost-longest, left to right."""
        stop = len(text) if end is None else end
        out: list[Token] = []
        pos = start
        starts, by_first, any_by_first = self._starts, self._by_first, self._any_by_first
        while True:
            m = starts.search(text, pos, stop)
            if m is None:
                return out
            begin = m.start()
            first = text[begin]
            if any_by_first[first].match(text, begin, stop) is None:
                pos = begin + 1  # no branch starting with this character matches here
                continue
            finish, entry = begin, None
            for width, compiled, candidate in by_first[first]:
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


_YEAR_PREFIX = re.compile(r"(?:19|20)\d{2}\s*年\s*")
_NAMED_GROUP = re.compile(r"(?<!\\)\(\?P<\w+>")


def _any_of(patterns: Iterable[str]) -> re.Pattern[str]:
    """One pattern matching wherever one of ``patterns`` matches (named groups made plain, so
    that two patterns may name a group alike): a quick test before trying each of them.  It
    opens with the characters a match can start with, where the patterns tell, so that the
    regex engine passes quickly over places where none can start."""
    patterns = list(patterns)
    if not patterns:
        return re.compile("(?!)")
    joined = "|".join(f"(?:{_NAMED_GROUP.sub('(?:', p)})" for p in patterns)
    starts: set[str] = set()
    for pattern in patterns:
        for alt in _top_level_alternatives(pattern):
            first = _first_class(_Shape(alt).parse())
            if first is None:
                return re.compile(joined)  # a start we cannot list: no shortcut
            starts |= first
    return re.compile(f"(?=[{''.join(sorted(starts))}])(?:{joined})")


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


_CAP = 64  # widths are only compared up to here: a longer branch is simply "long"
_UNBOUNDED = -1
_CATEGORIES = {"d": "DIGIT", "D": "NOT_DIGIT", "s": "SPACE", "S": "NOT_SPACE", "w": "WORD", "W": "NOT_WORD"}
_ANCHORS = {"b": "BOUNDARY", "B": "NON_BOUNDARY", "A": "BEGINNING_STRING", "Z": "END_STRING"}
_CHAR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}


class _Seq(list):
    """A parsed sequence; two of them are equal only when they are the same one."""

    __eq__ = object.__eq__  # type: ignore[assignment]
    __hash__ = object.__hash__  # type: ignore[assignment]


class _Shape:
    """Reads a pattern of the vocabulary's regex subset into a list of ops named as Python's
    regex compiler names them (LITERAL, IN, BRANCH, MAX_REPEAT …), with the same grouping:
    non-capturing groups unpacked, a prefix common to all alternatives moved out, single
    characters joined into a set.  Syntax outside the subset is refused (ValueError)."""

    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0

    def parse(self) -> _Seq:
        ops = self.alternation()
        if self.i < len(self.p):
            raise self.error("unbalanced parenthesis")
        return ops

    def error(self, what: str) -> ValueError:
        return ValueError(f"«{self.p}»: {what} at {self.i}")

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.p[j] if j < len(self.p) else ""

    def take(self, s: str) -> bool:
        if self.p.startswith(s, self.i):
            self.i += len(s)
            return True
        return False

    def alternation(self) -> _Seq:
        items = [self.sequence()]
        while self.take("|"):
            items.append(self.sequence())
        if len(items) == 1:
            return items[0]
        out = _Seq()
        while all(items) and all(item[0] == items[0][0] for item in items):
            out.append(items[0][0])
            for item in items:
                del item[0]
        chars: list = []
        for item in items:
            if len(item) != 1:
                break
            op, arg = item[0]
            if op == "LITERAL":
                chars.append((op, arg))
            elif op == "IN" and arg[0][0] != "NEGATE":
                chars.extend(arg)
            else:
                break
        else:
            out.append(("IN", list(dict.fromkeys(chars))))
            return out
        out.append(("BRANCH", (None, items)))
        return out

    def sequence(self) -> _Seq:
        ops = _Seq()
        while self.i < len(self.p) and self.peek() not in "|)":
            ch = self.peek()
            if ch in "*+?" or (ch == "{" and self.repeat_bounds() is not None):
                self.repeat(ops)
                continue
            self.i += 1
            if ch == "(":
                ops.append(self.group())
            elif ch == "[":
                ops.append(self.char_class())
            elif ch == ".":
                ops.append(("ANY", None))
            elif ch in "^$":
                ops.append(("AT", "BEGINNING" if ch == "^" else "END"))
            elif ch == "\\":
                ops.append(self.escape(in_class=False))
            else:
                ops.append(("LITERAL", ch))
        for k in range(len(ops) - 1, -1, -1):  # unpack non-capturing groups
            if ops[k][0] == "GROUP":
                ops[k : k + 1] = ops[k][1]
        return ops

    def group(self) -> tuple:
        kind = "SUBPATTERN"
        if self.take("?:"):
            kind = "GROUP"
        elif self.take("?=") or self.take("?<="):
            kind = "ASSERT"
        elif self.take("?!") or self.take("?<!"):
            kind = "ASSERT_NOT"
        elif self.take("?P<"):
            end = self.p.find(">", self.i)
            if end < 0:
                raise self.error("unterminated group name")
            self.i = end + 1
        elif self.peek() == "?":
            raise self.error("unsupported group")
        inner = self.alternation()
        if not self.take(")"):
            raise self.error("missing )")
        return (kind, inner)

    def repeat_bounds(self) -> tuple[int, int, int] | None:
        """{m}, {m,}, {,n}, {m,n} at the cursor: (min, max, length); None: a literal {."""
        j = self.i + 1
        lo = hi = ""
        while j < len(self.p) and self.p[j].isdigit():
            lo += self.p[j]
            j += 1
        if j < len(self.p) and self.p[j] == ",":
            j += 1
            while j < len(self.p) and self.p[j].isdigit():
                hi += self.p[j]
                j += 1
            high = int(hi) if hi else _UNBOUNDED
        else:
            high = int(lo) if lo else _UNBOUNDED
        if j >= len(self.p) or self.p[j] != "}" or self.p[self.i + 1] == "}":
            return None
        return (int(lo) if lo else 0), high, j + 1 - self.i

    def repeat(self, ops: _Seq) -> None:
        ch = self.peek()
        if ch == "{":
            low, high, length = self.repeat_bounds()  # type: ignore[misc]
        else:
            low, high, length = {"?": (0, 1, 1), "*": (0, _UNBOUNDED, 1), "+": (1, _UNBOUNDED, 1)}[ch]
        self.i += length
        if not ops or ops[-1][0] == "AT":
            raise self.error("nothing to repeat")
        if ops[-1][0].endswith("REPEAT"):
            raise self.error("multiple repeat")
        last = ops.pop()
        body = last[1] if last[0] == "GROUP" else _Seq([last])
        kind = "MIN_REPEAT" if self.take("?") else "POSSESSIVE_REPEAT" if self.take("+") else "MAX_REPEAT"
        ops.append((kind, (low, high, body)))

    def escape(self, in_class: bool) -> tuple:
        ch = self.peek()
        self.i += 1
        if ch in _CATEGORIES:
            item = ("CATEGORY", _CATEGORIES[ch])
            return item if in_class else ("IN", [item])
        if ch in _ANCHORS and not in_class:
            return ("AT", _ANCHORS[ch])
        if ch in _CHAR_ESCAPES:
            return ("LITERAL", _CHAR_ESCAPES[ch])
        if ch and (not ch.isascii() or not ch.isalnum()):
            return ("LITERAL", ch)
        raise self.error(f"unsupported escape \\{ch}")

    def char_class(self) -> tuple:
        items: list = []
        negate = self.take("^")
        first = True
        while True:
            ch = self.peek()
            if not ch:
                raise self.error("unterminated character set")
            self.i += 1
            if ch == "]" and not first:
                break
            first = False
            item = self.escape(in_class=True) if ch == "\\" else ("LITERAL", ch)
            if item[0] == "LITERAL" and self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                nxt = self.peek()
                self.i += 1
                end = self.escape(in_class=True) if nxt == "\\" else ("LITERAL", nxt)
                if end[0] != "LITERAL" or ord(end[1]) < ord(item[1]):
                    raise self.error("bad character range")
                item = ("RANGE", (ord(item[1]), ord(end[1])))
            items.append(item)
        items = list(dict.fromkeys(items))
        if len(items) == 1 and items[0][0] == "LITERAL":
            return ("NOT_LITERAL" if negate else "LITERAL", items[0][1])
        return ("IN", [("NEGATE", None), *items] if negate else items)


def _max_width(ops: list) -> int:
    """The longest match of a parsed pattern, counted up to _CAP."""
    width = 0
    for op, arg in ops:
        if op == "BRANCH":
            width += max(_max_width(b) for b in arg[1])
        elif op == "SUBPATTERN":
            width += _max_width(arg)
        elif op.endswith("REPEAT"):
            body = _max_width(arg[2])
            width += 0 if body == 0 else _CAP if arg[1] == _UNBOUNDED else body * arg[1]
        elif op in ("LITERAL", "NOT_LITERAL", "IN", "ANY"):
            width += 1
        width = min(width, _CAP)
    return width


_CLASS_CATEGORIES = {v: f"\\{k}" for k, v in _CATEGORIES.items()}


def _first_class(ops: list) -> set[str] | None:
    """The first character a non-empty match of a parsed pattern consumes, as pieces of a regex
    character class (``a``, ``0-9``, ``\\s``); None when that cannot be told or the pattern
    can match the empty string (then any place may match)."""
    out: set[str] = set()
    for op, arg in ops:
        if op in ("ASSERT", "ASSERT_NOT", "AT"):
            continue  # consumes nothing
        if op == "LITERAL":
            return out | {re.escape(arg)}
        if op == "IN":
            for kind, value in arg:
                if kind == "LITERAL":
                    out.add(re.escape(value))
                elif kind == "RANGE":
                    out.add(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
                elif kind == "CATEGORY":
                    out.add(_CLASS_CATEGORIES[value])
                else:
                    return None  # a negated class
            return out
        if op == "SUBPATTERN":
            body, optional = [arg], False
        elif op == "BRANCH":
            body, optional = arg[1], False
        elif op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            body, optional = [arg[2]], arg[0] == 0
        else:
            return None  # ANY, NOT_LITERAL
        for part in body:
            first = _first_class(part)
            if first is None:
                return None  # unknown, or it may be empty: what follows may start the match
            out |= first
        if not optional:
            return out
        # an optional part: a match may start with it or with what follows
    return None  # every part may be empty


def _first_chars(ops: list) -> set[str]:
    """Characters a parsed pattern can start with (empty set: unknown, never indexed)."""
    chars: set[str] = set()
    for op, arg in ops:
        if op == "LITERAL":
            chars.add(arg)
            return chars
        if op == "IN":
            for kind, value in arg:
                if kind == "LITERAL":
                    chars.add(value)
                elif kind == "RANGE" and value[1] - value[0] < 64:
                    chars.update(chr(c) for c in range(value[0], value[1] + 1))
                elif kind == "CATEGORY" and value == "DIGIT":
                    chars.update("0123456789")
                else:
                    return set()  # a class we cannot list: refuse rather than miss matches
            return chars
        if op == "SUBPATTERN":
            chars |= _first_chars(arg)
            return chars
        if op == "BRANCH":
            for branch in arg[1]:
                chars |= _first_chars(branch)
            return chars
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            chars |= _first_chars(arg[2])
            if arg[0] > 0:
                return chars
            continue
        if op in ("ASSERT", "ASSERT_NOT", "AT"):
            continue
        return chars
    return chars


@cache
def default_vocabulary() -> Vocabulary:
    with VOCABULARY_FILE.open(encoding="utf-8") as f:
        return Vocabulary(yaml.safe_load(f))
