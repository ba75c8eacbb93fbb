"""Read fund facts out of normalised report text.

The extractor walks the text paragraph by paragraph and sentence by sentence, keeping
the context a reader keeps: the fund named by the current heading, the fund the
paragraph is talking about, the year and basis of the sentence.  Every number with a
unit is then read against the words before it in its clause (its *label*), using the
tokens of :mod:`pipelines.vocab`.  What each decision rests on is recorded in the
fact's ``rules`` (vocabulary ids and ``grammar.*`` ids for the reading steps).
This module walks the document (:class:`DocumentWalker`); :mod:`pipelines.run` holds what
the walk and the readers share, :mod:`pipelines.sentence` reads one sentence's figures and
:mod:`pipelines.tables` one table's.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pipelines import segment
from pipelines.context import (
    DEPARTMENT,
    EXCLUDED,
    YEAR_RE,
    Candidate,
    Dropped,
    ParagraphState,
    Period,
    fund_of,
)
from pipelines.numbers import Quantity, find_quantities
from pipelines.run import BRACKETED, DocumentRun, head_lines
from pipelines.segment import Paragraph, Sentence
from pipelines.sentence import SentenceReader
from pipelines.tables import TableReader, is_table_line
from pipelines.vocab import Vocabulary, default_vocabulary

if TYPE_CHECKING:
    from pipelines.regions import FigureRegions

# 2017-12-09, 2017/12/09, 2017.12.09 (a page's date; never a figure: the month and day are checked)
_NUMERIC_DATE = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})([-/.])(?:0?[1-9]|1[0-2])\2(?:0?[1-9]|[12]\d|3[01])(?![\d.])"
)
_FULL_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
# a cited statistical release (《2020年全国医疗保障事业发展统计公报》), not a rule or a plan (《2019年…办法》)
_CITED = re.compile(r"《[^》\n]{0,120}(?:公报|快报|统计|年报|运行情况|收支情况)[^》\n]{0,20}》")
# a paragraph opening with 其中 breaks down the one before it: it keeps that one's period
_CONTINUES = re.compile(r"\s*其中")
_OWN_TIME = re.compile(r"(?:19|20)\d{2}\s*年|[今去全]年")


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
        self.tables = TableReader()

    def extract(
        self, text: str, report_year: int | None = None, regions: FigureRegions | None = None
    ) -> Extraction:
        """Read ``text``.  ``regions``: where it names sub-regions (阜阳市…) whose figures are their own."""
        year, evidence, source = (
            (report_year, "由调用方指定", "caller") if report_year else detect_report_year(text)
        )
        run = DocumentRun(self.vocab, text, year or 0, regions.named_at if regions is not None else [])
        DocumentWalker(run, self.tables).walk()
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
    clean = BRACKETED.sub(lambda m: " " * len(m.group(0)), text)
    for line in (m.group(0) for m in head_lines(clean)):
        m = YEAR_RE.search(line)
        if m and _FULL_DATE.match(line, m.start()):
            continue  # 天津政务网 2019年12月3日星期二: the day a page was shown, not what it is about
        if m and len(line.strip()) <= 60:
            return int(m.group(1)), f"标题中的“{m.group(0)}”", "title"
    counts = Counter(int(m.group(1)) for m in YEAR_RE.finditer(clean))
    if not counts:
        # news of a bulletin (国家医保局近日发布《2020年全国医疗保障事业发展统计公报》。去年…):
        # its figures are the cited bulletin's year
        cited = Counter(int(m.group(1)) for c in _CITED.finditer(text) for m in YEAR_RE.finditer(c.group(0)))
        if cited:
            year = cited.most_common(1)[0][0]
            return year, f"文中引用的《{year}年…》（正文未另写年份）", "body"
        # a news page's date line (发表于:2017-12-09): what its 今年/截至十一月底 are about
        dated = _NUMERIC_DATE.search(clean)
        if dated:
            return int(dated.group(1)), f"发布日期“{dated.group(0)}”（文中未写年份）", "body"
        return None, "文中未出现年份", "none"
    best, n = counts.most_common(1)[0]
    share = n / sum(counts.values())
    return best, f"正文中“{best}年”出现{n}次（占年份提及的{share:.0%}）", "body"


class DocumentWalker:
    """Walks one document paragraph by paragraph, keeping the outline (headings) in the run's
    ``section``: tables go to the table reader, prose sentence by sentence to the sentence reader."""

    def __init__(self, run: DocumentRun, tables: TableReader):
        self.run = run
        self.tables = tables
        self.last_paragraph: ParagraphState | None = None  # the prose paragraph read before
        self.last_end = -1  # where it ended
        self._table_lines: dict[int, bool] = {}  # paragraph index -> is_table_line, asked up to twice

    def is_table_row(self, paragraphs: list[Paragraph], j: int) -> bool:
        if j not in self._table_lines:
            para = paragraphs[j]
            self._table_lines[j] = is_table_line(self.run.text[para.start : para.end])
        return self._table_lines[j]

    def walk(self) -> None:
        run = self.run
        paragraphs = run.paragraphs
        if paragraphs and _is_title(run.text[paragraphs[0].start : paragraphs[0].end]):
            run.section.enter("title", self.heading_state(paragraphs[0]))
        i = 0
        while i < len(paragraphs):
            para = paragraphs[i]
            if para.heading is not None:
                run.section.enter(
                    para.heading.style,
                    self.heading_state(para),
                    self.heading_scheme(para),
                    self.heading_year(para),
                    self.heading_budget(para),
                    self.heading_period(para),
                )
            if (last := self.tables.read_vertical(run, paragraphs, i)) is not None:
                i = last  # a table written one cell per line
            elif self.continues_table(paragraphs, i):  # a table row, or a group label opening a table
                block = [para]
                while i + 1 < len(paragraphs) and self.continues_table(paragraphs, i + 1):
                    i += 1
                    block.append(paragraphs[i])
                if not self.tables.read_block(run, block):
                    for p in block:  # not a table after all: read it as prose
                        self.read_paragraph(p)
            else:
                self.read_paragraph(para)
            i += 1

    def continues_table(self, paragraphs: list[Paragraph], j: int) -> bool:
        """A table row, or a group label (一、城镇职工基本医疗保险基金) between table rows."""
        if self.is_table_row(paragraphs, j):
            return True
        line = self.run.text[paragraphs[j].start : paragraphs[j].end]
        return (
            j + 1 < len(paragraphs)
            and self.is_table_row(paragraphs, j + 1)
            and len(line.strip()) <= 30
            and not self.run.quantities_in(paragraphs[j].start, paragraphs[j].end)
        )

    # ---- headings: what a heading says of its section

    def heading_budget(self, para: Paragraph) -> str | None:
        assert para.heading is not None
        run = self.run
        end = para.heading.end
        noise = [(t.start, t.end) for t in run.tokens_in(para.start, end) if t.kind == "noise"]
        cues = [
            c
            for c in run.vocab.basis_cues(run.text, para.start, end)
            if c.attr("scope") == "heading" and not any(s < c.end and c.start < e for s, e in noise)
        ]
        return cues[0].entry.id if cues else None

    def heading_year(self, para: Paragraph) -> int | None:
        assert para.heading is not None
        if para.heading.style is None:
            return None  # an unnumbered line is a title or caption, not a section
        years = [int(m.group(1)) for m in YEAR_RE.finditer(self.run.text, para.start, para.heading.end)]
        return years[-1] if len(set(years)) == 1 else None

    def heading_period(self, para: Paragraph) -> Period | None:
        assert para.heading is not None
        if para.heading.style is None:
            return None  # an unnumbered line is a title or caption (the report's period: report_period)
        return self.run.named_period(para.start, para.heading.end)

    def heading_scheme(self, para: Paragraph) -> str | None:
        assert para.heading is not None
        schemes = [
            t.attr("scheme_item")
            for t in self.run.tokens_in(para.start, para.heading.end)
            if t.kind == "fund"
        ]
        return schemes[-1] if schemes else None

    def heading_state(self, para: Paragraph) -> str | None:
        end = para.heading.end if para.heading is not None else para.end
        tokens = self.run.tokens_in(para.start, end)
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
                funds.add(fund_of(t, self.run.section.fund))
            elif t.kind == "metric" and t.attr("default_fund") == DEPARTMENT:
                funds.add(DEPARTMENT)
        if DEPARTMENT in funds and len(funds) > 1:
            funds.discard(DEPARTMENT)
        if self.run.names_both(tokens):
            return None  # 基本医疗保险和生育保险运行情况: the section is about both
        if len(funds - {"all"}) == 1:
            return next(iter(funds - {"all"}))
        return None

    # ---- prose

    def read_paragraph(self, para: Paragraph) -> None:
        state = ParagraphState()
        if self.last_paragraph is not None and _CONTINUES.match(self.run.text, para.body_start):
            state.period = self.last_paragraph.period  # 2023年1至7月，…。¶其中，…: the same months
        elif self.continues_part_year(para):
            # 今年上半年，…基金收入…。¶基金支出…: the next paragraph goes on with the same months
            state.period = self.last_paragraph.period
        for sentence in segment.sentences(self.run.text, para.body_start, para.end):
            self.read_sentence(sentence, state)
        self.last_paragraph = state
        self.last_end = para.end

    def continues_part_year(self, para: Paragraph) -> bool:
        """A prose paragraph right after one that ended on part of the year (nothing between, no
        heading of its own) where neither title nor heading names the period: its figures are about
        the same months unless it names a time itself (a year named in it speaks of that year:
        :meth:`TimeBasisReader.period_at`)."""
        last = self.last_paragraph
        return (
            last is not None
            and self.run.period is None
            and self.run.section.period is None
            and last.period is not None
            and last.period.partial
            and para.heading is None
            and not self.run.text[self.last_end : para.start].strip()
            and not self.opens_with_own_time(para)
        )

    def opens_with_own_time(self, para: Paragraph) -> bool:
        """据介绍,2023年上饶市居民医保参保人数589万: a year (or 今年, 去年, 全年) before the paragraph's
        first figure starts a time of its own."""
        figures = self.run.quantities_in(para.body_start, para.end)
        end = figures[0].start if figures else para.end
        return bool(_OWN_TIME.search(self.run.text, para.body_start, end))

    def read_sentence(self, sent: Sentence, state: ParagraphState) -> None:
        run = self.run
        tokens = run.tokens_in(sent.start, sent.end)
        quantities = run.quantities_in(sent.start, sent.end)
        s = SentenceReader(run, sent, tokens, state)
        for q in quantities:
            s.read(q)
        s.finish()
        state.period = s.time.period_at(sent.end)[0]
        state.absorb(tokens)
        if s.facts:  # 其中 opening the next sentence breaks these down
            state.last_facts = s.facts
