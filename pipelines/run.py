"""One document as the extractor reads it: the run state every reader shares.

:class:`DocumentRun` holds what is known of one text before and while it is read — its
figures, its words (tokens, scanned once), its bracketed titles, the sub-regions it names,
the period its title names — and what the readers add to it: the candidate facts, the
numbers set aside (``dropped``), the readings that could not be decided (``ambiguous``) and
the outline (``section``).  It also answers the lookups every reader makes (the tokens or
figures in a span, whether a position is inside 《…》, the period named in a span …).

It walks nothing: :mod:`pipelines.extract` walks the document and hands each sentence to
:mod:`pipelines.sentence` and each table to :mod:`pipelines.tables`; all of them import this
module, and it imports none of them.
"""

from __future__ import annotations

import bisect
import itertools
import re

from pipelines import segment
from pipelines.context import COORDINATOR, YEAR_RE, Candidate, Dropped, Period, Section
from pipelines.normalize import is_furniture
from pipelines.numbers import Quantity, find_quantities
from pipelines.segment import Paragraph
from pipelines.vocab import Token, Vocabulary

BRACKETED = re.compile(r"《[^》\n]{0,120}》|〔[^〕\n]{0,12}〕|\[[^\]\n]{0,12}\]")
SHORT_LINE = 80  # headings, titles, captions and table headers are shorter
_HEAD_LINES = 3  # a report's title is among its first lines (page furniture aside)


def head_lines(text: str, within: int = 2000) -> list[re.Match[str]]:
    """The first lines of ``text`` that can be its title: non-empty, not a portal's metadata or
    navigation (索引号…, 发布机构…, 您当前的位置…, a lone "-")."""
    lines = (m for m in re.finditer(r"[^\n]+", text[:within]) if m.group(0).strip())
    return list(itertools.islice((m for m in lines if not is_furniture(m.group(0))), _HEAD_LINES))


class DocumentRun:
    """One pass over one document: its text and words, and what has been read from it so far."""

    vocab: Vocabulary
    text: str
    report_year: int  # 0 when the text names none
    quantities: list[Quantity]  # every number with a unit, in order
    q_starts: list[int]
    subject_starts: list[int]  # where sub-regions whose figures are their own are named, ascending
    paragraphs: list[Paragraph]
    tokens: list[Token]  # vocabulary words, in order (see scan_where_needed)
    token_starts: list[int]
    bracketed: list[tuple[int, int]]  # 《…》, 〔…〕, […] spans: titles and file numbers, never labels
    bracket_starts: list[int]  # sorted, spans never overlap
    candidates: list[Candidate]  # the figures read, in reading order
    dropped: list[Dropped]  # numbers set aside, with the reason
    ambiguous: list[tuple[Candidate, str]]  # read, but not decidable, with the reason
    section: Section  # the outline around the paragraph being read
    split_schemes: bool  # both pre-2016 resident schemes named: each one's figures are a part
    rural_scheme_only: bool  # a text only about 新农合: its 参合农民 are the whole fund
    period: Period | None  # the part of the year the report's title names

    def __init__(self, vocab: Vocabulary, text: str, report_year: int, subject_starts: list[int]):
        self.vocab = vocab
        self.text = text
        self.report_year = report_year
        self.quantities = find_quantities(text)
        self.q_starts = [q.start for q in self.quantities]
        self.subject_starts = subject_starts
        self.paragraphs = segment.paragraphs(text)
        self.tokens = self.scan_where_needed()
        self.token_starts = [t.start for t in self.tokens]
        self.bracketed = [(m.start(), m.end()) for m in BRACKETED.finditer(text)]
        self.bracket_starts = [s for s, _ in self.bracketed]
        self.candidates = []
        self.dropped = []
        self.ambiguous = []
        self.section = Section()
        schemes = {t.attr("scheme_item") for t in self.tokens if t.attr("scheme_item")}
        self.split_schemes = len(schemes) > 1
        urban = any(t.attr("item") == "urban" for t in self.tokens if t.kind == "population")
        self.rural_scheme_only = schemes == {"rural"} and not urban
        self.period = self.report_period()  # 2021年1-9月基本医疗保险基金运行情况: the whole text's

    def scan_where_needed(self) -> list[Token]:
        """Tokens of every paragraph except long ones without a single figure.

        Context crosses paragraphs only through headings, titles and table captions,
        which are short; a long paragraph without figures cannot change any fact."""
        tokens: list[Token] = []
        for para in self.paragraphs:
            lo = bisect.bisect_left(self.q_starts, para.start)
            has_number = lo < len(self.q_starts) and self.q_starts[lo] < para.end
            if has_number or para.end - para.start <= SHORT_LINE:
                tokens.extend(self.vocab.scan(self.text, para.start, para.end))
            elif para.heading is not None:
                tokens.extend(self.vocab.scan(self.text, para.start, para.heading.end))
        return tokens

    # ---- periods

    def report_period(self) -> Period | None:
        """The part of the year a report covers, named with a year in its title (the first lines)."""
        for line in head_lines(self.text):
            if len(line.group(0).strip()) > 60 or "。" in line.group(0):
                continue  # a sentence, not a title
            found = self.named_period(line.start(), line.end(), year_needed=False)
            if found is not None:
                return found
        return None

    def named_period(self, start: int, end: int, year_needed: bool = True) -> Period | None:
        """The first period word in ``text[start:end]`` that follows a year (2023年一季度); with
        ``year_needed`` False (a title) also one without (热议:1-5月基本医疗保险基金总收入…)."""
        for cue in self.vocab.period_cues(self.text, start, end):
            if cue.entry.get("in_title", True) is False:
                continue
            year = next(
                (
                    int(m.group(1))
                    for m in YEAR_RE.finditer(self.text, max(start, cue.start - 8), min(end, cue.end))
                    if m.end() >= cue.start - 2
                ),
                None,
            )
            if year is not None or not year_needed:
                # 2025年第四季度…情况 (a title): the quarterly release of the year's totals
                whole = cue.entry.get("whole_year_in_title", False)
                return Period(None if whole else cue.period, year, cue.entry.id)
        return None

    # ---- lookups

    def tokens_in(self, start: int, end: int) -> list[Token]:
        """The words within ``text[start:end]``, less those inside 《…》 and the like."""
        lo = bisect.bisect_left(self.token_starts, start)
        hi = bisect.bisect_left(self.token_starts, end)
        if not self.bracketed:  # most texts: nothing to leave out
            return [t for t in self.tokens[lo:hi] if t.end <= end]
        return [t for t in self.tokens[lo:hi] if t.end <= end and not self.in_brackets(t.start)]

    def quantities_in(self, start: int, end: int) -> list[Quantity]:
        """The numbers with a unit within ``text[start:end]``."""
        lo = bisect.bisect_left(self.q_starts, start)
        hi = bisect.bisect_left(self.q_starts, end)
        return [q for q in self.quantities[lo:hi] if q.end <= end]

    def in_brackets(self, pos: int) -> bool:
        i = bisect.bisect_right(self.bracket_starts, pos) - 1  # the last span opening at or before pos
        return i >= 0 and pos < self.bracketed[i][1]

    def names_both(self, tokens: list[Token]) -> bool:
        """The fund as a whole and another fund joined by 和/及/与/、 (基本医疗保险和生育保险)."""
        funds = [t for t in tokens if t.kind == "fund" and t.attr("fund")]
        return any(
            "all" in (a.attr("fund"), b.attr("fund"))
            and a.attr("fund") != b.attr("fund")
            and COORDINATOR.match(self.text[a.end : b.start])
            for a, b in itertools.pairwise(funds)
        )

    # ---- what readers add

    def drop(self, q: Quantity, reason: str) -> None:
        self.dropped.append(Dropped(q, reason))
