"""Read fund facts out of normalised report text.

The extractor walks the text paragraph by paragraph and sentence by sentence, keeping
the context a reader keeps: the fund named by the current heading, the fund the
paragraph is talking about, the year and basis of the sentence.  Every number with a
unit is then read against the words before it in its clause (its *label*), using the
tokens of :mod:`pipelines.vocab`.  What each decision rests on is recorded in the
fact's ``rules`` (vocabulary ids and ``grammar.*`` ids for the reading steps).
This module walks the document; :mod:`pipelines.sentence` reads one sentence's figures.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml

from pipelines import segment
from pipelines.context import (
    COORDINATOR,
    DEPARTMENT,
    EXCLUDED,
    YEAR_RE,
    Candidate,
    Dropped,
    ParagraphState,
    Period,
    Section,
)
from pipelines.numbers import Quantity, find_quantities
from pipelines.segment import Paragraph, Sentence
from pipelines.sentence import SentenceReader
from pipelines.tables import TableReader, is_table_line
from pipelines.vocab import Token, Vocabulary, default_vocabulary

if TYPE_CHECKING:
    from pipelines.regions import FigureRegions

_BRACKETED = re.compile(r"《[^》\n]{0,120}》|〔[^〕\n]{0,12}〕|\[[^\]\n]{0,12}\]")
# 2017-12-09, 2017/12/09, 2017.12.09 (a page's date; never a figure: the month and day are checked)
_NUMERIC_DATE = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})([-/.])(?:0?[1-9]|1[0-2])\2(?:0?[1-9]|[12]\d|3[01])(?![\d.])"
)
_FULL_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_SHORT_LINE = 80  # headings, titles, captions and table headers are shorter
PAGE_WORDS_FILE = Path(__file__).with_name("rules") / "page.yaml"
_FURNITURE = re.compile(yaml.safe_load(PAGE_WORDS_FILE.read_text(encoding="utf-8"))["furniture"]["pattern"])
_HEAD_LINES = 3  # a report's title is among its first lines (page furniture aside)


def head_lines(text: str, within: int = 2000) -> list[re.Match[str]]:
    """The first lines of ``text`` that can be its title: non-empty, not a portal's metadata or
    navigation (索引号…, 发布机构…, 您当前的位置…, a lone "-")."""
    lines = (m for m in re.finditer(r"[^\n]+", text[:within]) if m.group(0).strip())
    return list(itertools.islice((m for m in lines if not _FURNITURE.search(m.group(0))), _HEAD_LINES))


@dataclass
class Extraction:
    """What the extractor read from one text, typed: its figures (``candidates``), those it
    read but could not decide between (``ambiguous``), and the numbers it left aside."""

    text: str
    report_year: int | None
    year_evidence: str
    year_source: YearSource  # where report_year came from
    candidates: list[Candidate]
    quantities: list[Quantity]
    dropped: list[Dropped]
    ambiguous: list[tuple[Candidate, str]] = field(default_factory=list)  # read, but not decidable

    def quote(self, candidate: Candidate) -> str:
        return candidate.quote(self.text)


class Extractor:
    def __init__(self, vocabulary: Vocabulary | None = None):
        self.vocab = vocabulary or default_vocabulary()
        self.tables = TableReader(self)

    def extract(
        self, text: str, report_year: int | None = None, regions: FigureRegions | None = None
    ) -> Extraction:
        """Read ``text``.  ``regions``: where it names sub-regions (阜阳市…) whose figures are their own."""
        year, evidence, source = (
            (report_year, "由调用方指定", "caller") if report_year else detect_report_year(text)
        )
        run = _Run(self, text, year or 0, regions)
        run.walk()
        return Extraction(
            text, year, evidence, source, run.candidates, run.quantities, run.dropped, run.ambiguous
        )


def _is_title(line: str) -> bool:
    """A document's first line that names it: short, no sentence, no figures."""
    line = line.strip()
    return 0 < len(line) <= 60 and not re.search(r"[。；;，,]", line) and not find_quantities(line)


YearSource = Literal["caller", "title", "body", "none"]


def detect_report_year(text: str) -> tuple[int | None, str, YearSource]:
    """The year a report is about: a year in its title, else the most frequent year; with the
    evidence (Chinese, for the documents table) and where it was found."""
    clean = _BRACKETED.sub(lambda m: " " * len(m.group(0)), text)
    for line in (m.group(0) for m in head_lines(clean)):
        m = YEAR_RE.search(line)
        if m and _FULL_DATE.match(line, m.start()):
            continue  # 天津政务网 2019年12月3日星期二: the day a page was shown, not what it is about
        if m and len(line.strip()) <= 60:
            return int(m.group(1)), f"标题中的“{m.group(0)}”", "title"
    counts = Counter(int(m.group(1)) for m in YEAR_RE.finditer(clean))
    if not counts:
        # a news page's date line (发表于:2017-12-09): what its 今年/截至十一月底 are about
        dated = _NUMERIC_DATE.search(clean)
        if dated:
            return int(dated.group(1)), f"发布日期“{dated.group(0)}”（文中未写年份）", "body"
        return None, "文中未出现年份", "none"
    best, n = counts.most_common(1)[0]
    share = n / sum(counts.values())
    return best, f"正文中“{best}年”出现{n}次（占年份提及的{share:.0%}）", "body"


class _Run:
    """One pass over one document."""

    def __init__(self, extractor: Extractor, text: str, report_year: int, regions: FigureRegions | None):
        self.x = extractor
        self.vocab = extractor.vocab
        self.text = text
        self.report_year = report_year
        self.quantities = find_quantities(text)
        self.q_starts = [q.start for q in self.quantities]
        self.subject_starts = regions.named_at if regions is not None else []  # sub-regions named
        self.paragraphs = segment.paragraphs(text)
        self.tokens = self.scan_where_needed()
        self.token_starts = [t.start for t in self.tokens]
        self.bracketed = [(m.start(), m.end()) for m in _BRACKETED.finditer(text)]
        self.bracket_starts = [s for s, _ in self.bracketed]  # sorted, spans never overlap
        self.candidates: list[Candidate] = []
        self.dropped: list[Dropped] = []
        self.ambiguous: list[tuple[Candidate, str]] = []
        self.section = Section()
        # both pre-2016 resident schemes named: each one's figures are a part (rural / urban)
        schemes = {t.attr("scheme_item") for t in self.tokens if t.attr("scheme_item")}
        self.split_schemes = len(schemes) > 1
        # a text only about 新农合: its 参合农民 are the whole fund, not a part of it
        urban = any(t.attr("item") == "urban" for t in self.tokens if t.kind == "population")
        self.rural_scheme_only = schemes == {"rural"} and not urban
        self.period = self.report_period()  # 2021年1-9月基本医疗保险基金运行情况: the whole text's

    # ---- walking

    def report_period(self) -> Period | None:
        """The part of the year a report covers, named with a year in its title (the first lines)."""
        for line in head_lines(self.text):
            if len(line.group(0).strip()) > 60:
                continue
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
                return Period(cue.period, year, cue.entry.id)
        return None

    def scan_where_needed(self) -> list[Token]:
        """Tokens of every paragraph except long ones without a single figure.

        Context crosses paragraphs only through headings, titles and table captions,
        which are short; a long paragraph without figures cannot change any fact."""
        tokens: list[Token] = []
        for para in self.paragraphs:
            lo = bisect.bisect_left(self.q_starts, para.start)
            has_number = lo < len(self.q_starts) and self.q_starts[lo] < para.end
            if has_number or para.end - para.start <= _SHORT_LINE:
                tokens.extend(self.vocab.scan(self.text, para.start, para.end))
            elif para.heading is not None:
                tokens.extend(self.vocab.scan(self.text, para.start, para.heading.end))
        return tokens

    def walk(self) -> None:
        paragraphs = self.paragraphs
        if paragraphs and _is_title(self.text[paragraphs[0].start : paragraphs[0].end]):
            self.section.enter("title", self.heading_state(paragraphs[0]))
        i = 0
        while i < len(paragraphs):
            para = paragraphs[i]
            if para.heading is not None:
                self.section.enter(
                    para.heading.style,
                    self.heading_state(para),
                    self.heading_scheme(para),
                    self.heading_year(para),
                    self.heading_budget(para),
                    self.heading_period(para),
                )
            if (last := self.x.tables.read_vertical(self, paragraphs, i)) is not None:
                i = last  # a table written one cell per line
            elif self.continues_table(paragraphs, i):  # a table row, or a group label opening a table
                block = [para]
                while i + 1 < len(paragraphs) and self.continues_table(paragraphs, i + 1):
                    i += 1
                    block.append(paragraphs[i])
                self.x.tables.read_block(self, block)
            else:
                self.read_paragraph(para)
            i += 1

    def continues_table(self, paragraphs: list[Paragraph], j: int) -> bool:
        """A table row, or a group label (一、城镇职工基本医疗保险基金) between table rows."""
        line = self.text[paragraphs[j].start : paragraphs[j].end]
        if is_table_line(line):
            return True
        nxt = paragraphs[j + 1] if j + 1 < len(paragraphs) else None
        return (
            nxt is not None
            and is_table_line(self.text[nxt.start : nxt.end])
            and len(line.strip()) <= 30
            and not self.quantities_in(paragraphs[j].start, paragraphs[j].end)
        )

    def heading_budget(self, para: Paragraph) -> str | None:
        assert para.heading is not None
        end = para.heading.end
        noise = [(t.start, t.end) for t in self.tokens_in(para.start, end) if t.kind == "noise"]
        cues = [
            c
            for c in self.vocab.basis_cues(self.text, para.start, end)
            if c.attr("scope") == "heading" and not any(s < c.end and c.start < e for s, e in noise)
        ]
        return cues[0].entry.id if cues else None

    def heading_year(self, para: Paragraph) -> int | None:
        assert para.heading is not None
        if para.heading.style is None:
            return None  # an unnumbered line is a title or caption, not a section
        years = [int(m.group(1)) for m in YEAR_RE.finditer(self.text, para.start, para.heading.end)]
        return years[-1] if len(set(years)) == 1 else None

    def heading_period(self, para: Paragraph) -> Period | None:
        assert para.heading is not None
        if para.heading.style is None:
            return None  # an unnumbered line is a title or caption (the report's period: report_period)
        return self.named_period(para.start, para.heading.end)

    def heading_scheme(self, para: Paragraph) -> str | None:
        assert para.heading is not None
        schemes = [
            t.attr("scheme_item") for t in self.tokens_in(para.start, para.heading.end) if t.kind == "fund"
        ]
        return schemes[-1] if schemes else None

    def heading_state(self, para: Paragraph) -> str | None:
        end = para.heading.end if para.heading is not None else para.end
        tokens = self.tokens_in(para.start, end)
        asides = [(t.start, t.end) for t in tokens if t.attr("cue") == "aside"]
        tokens = [t for t in tokens if not any(s < t.start < e for s, e in asides)]  # （含生育保险）
        funds = set()
        for t in tokens:
            if t.kind == "fund" and t.attr("neutral_in_heading"):
                continue
            if t.kind == "exclusion" and t.attr("excludes_section"):
                return EXCLUDED
            if t.kind == "fund":
                if t.attr("fund") is None:
                    return EXCLUDED
                funds.add(self.fund_of(t, self.section.fund))
            elif t.kind == "metric" and t.attr("default_fund") == DEPARTMENT:
                funds.add(DEPARTMENT)
        if DEPARTMENT in funds and len(funds) > 1:
            funds.discard(DEPARTMENT)
        if self.names_both(tokens):
            return None  # 基本医疗保险和生育保险运行情况: the section is about both
        if len(funds - {"all"}) == 1:
            return next(iter(funds - {"all"}))
        return None

    def names_both(self, tokens: list[Token]) -> bool:
        """The fund as a whole and another fund joined by 和/及/与/、 (基本医疗保险和生育保险)."""
        funds = [t for t in tokens if t.kind == "fund" and t.attr("fund")]
        return any(
            "all" in (a.attr("fund"), b.attr("fund"))
            and a.attr("fund") != b.attr("fund")
            and COORDINATOR.match(self.text[a.end : b.start])
            for a, b in itertools.pairwise(funds)
        )

    def read_paragraph(self, para: Paragraph) -> None:
        state = ParagraphState()
        for sentence in segment.sentences(self.text, para.body_start, para.end):
            self.read_sentence(sentence, state)

    # ---- token helpers

    def tokens_in(self, start: int, end: int) -> list[Token]:
        lo = bisect.bisect_left(self.token_starts, start)
        hi = bisect.bisect_left(self.token_starts, end)
        return [t for t in self.tokens[lo:hi] if t.end <= end and not self.in_brackets(t.start)]

    def quantities_in(self, start: int, end: int) -> list[Quantity]:
        lo = bisect.bisect_left(self.q_starts, start)
        hi = bisect.bisect_left(self.q_starts, end)
        return [q for q in self.quantities[lo:hi] if q.end <= end]

    def in_brackets(self, pos: int) -> bool:
        i = bisect.bisect_right(self.bracket_starts, pos) - 1  # the last span opening at or before pos
        return i >= 0 and pos < self.bracketed[i][1]

    def fund_of(self, token: Token, context: str | None) -> str | None:
        fund = token.attr("fund")
        if fund and context in ("employee", "employee_supplementary") and token.attr("in_employee_context"):
            return token.attr("in_employee_context")
        return fund

    def drop(self, q: Quantity, reason: str) -> None:
        self.dropped.append(Dropped(q, reason))

    # ---- sentences

    def read_sentence(self, sent: Sentence, state: ParagraphState) -> None:
        tokens = self.tokens_in(sent.start, sent.end)
        quantities = self.quantities_in(sent.start, sent.end)
        s = SentenceReader(self, sent, tokens, state)
        for q in quantities:
            s.read(q)
        s.read_zero_statements()
        s.set_aside_ambiguous_siblings()
        state.period = s.period_at(sent.end)[0]
        state.absorb(tokens, self)
        if s.facts:  # 其中 opening the next sentence breaks these down
            state.last_facts = s.facts
