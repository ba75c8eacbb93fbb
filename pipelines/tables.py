"""Tables flattened into text: one row per line, cells separated by tabs, ``|`` or wide gaps.

A table's header row says what each column is (a fund, a year, a basis, a measure, or a
growth rate that is never a fact); each row's first cell says what the row measures.
Units come from the cell itself, the row label ``（万人）``, the header ``（万元）`` or a
``单位：万元`` line above the table.  Every cell becomes one fact quoted from the start of
its row to the end of the cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from pipelines.context import EXCLUDED, NEVER_PARTIAL, Candidate, Period, item_fits
from pipelines.numbers import UnitClass, find_quantities, parse_bare_number
from pipelines.run import DocumentRun
from pipelines.segment import Paragraph
from pipelines.vocab import Token

# (written so that the regex engine passes quickly over places where no separator starts)
_STRONG_SPLIT = re.compile(r"(?=[\s|])(?:\t+|\s*\|\s*)")
_SPACE_SPLIT = re.compile(r"\s\s+")  # two or more
TABLE_WORDS_FILE = Path(__file__).with_name("rules") / "tables.yaml"


@cache
def table_words() -> dict[str, re.Pattern[str]]:
    """The patterns of rules/tables.yaml, compiled."""
    with TABLE_WORDS_FILE.open(encoding="utf-8") as f:
        return {name: re.compile(spec["pattern"]) for name, spec in yaml.safe_load(f).items()}


_WORDS = table_words()
_UNIT_LINE = _WORDS["unit_line"]
_SKIP_COLUMN = _WORDS["skip_column"]
_TOTAL_LABEL = _WORDS["total_label"]
_PREVIOUS = _WORDS["previous_period"]
_UNIT_COLUMN = _WORDS["unit_column"]
_FUSED_ROW = _WORDS["fused_row"]
_HEADER_FIRST = _WORDS["header_first"]
_LATIN_CELL = _WORDS["latin_cell"]
_TOP_LEVEL = re.compile(r"^[一二三四五六七八九十]+\s*[、.．]")  # 二、统筹基金收入
_MAX_CELL = 40  # a cell of a table written one cell per line is short
_UNIT_WORD = re.compile(r"亿元|万元|千元|元|万人次|人次|万人|人|%|％")  # the units this module scales
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
_ROW_YEAR = re.compile(r"^((?:19|20)\d{2})\s*(?:年度?)?$")
_UNIT_SCALE = {
    "亿元": (UnitClass.MONEY, 1e8),
    "万元": (UnitClass.MONEY, 1e4),
    "千元": (UnitClass.MONEY, 1e3),
    "元": (UnitClass.MONEY, 1.0),
    "万人次": (UnitClass.VISIT, 1e4),
    "人次": (UnitClass.VISIT, 1.0),
    "万人": (UnitClass.PERSON, 1e4),
    "人": (UnitClass.PERSON, 1.0),
    "%": (UnitClass.PERCENT, 1.0),
    "％": (UnitClass.PERCENT, 1.0),
}


@dataclass(frozen=True)
class Cell:
    start: int
    end: int
    text: str


def split_cells(text: str, start: int, end: int) -> list[Cell]:
    line = text[start:end]
    stripped = line.strip()
    if (m := _FUSED_ROW.match(stripped)) is not None:  # 基本医疗保险万人360.46
        lead = start + line.index(stripped)
        return [
            Cell(lead + m.start(g), lead + m.end(g), m.group(g))
            for g in ("label", "unit", "value")
            if m.group(g)
        ]
    splitter = _STRONG_SPLIT if _STRONG_SPLIT.search(line.strip()) else _SPACE_SPLIT
    cells: list[Cell] = []
    pos = 0
    for m in splitter.finditer(line):
        if m.start() > pos and line[pos : m.start()].strip():
            cells.append(_cell(text, start + pos, start + m.start()))
        pos = m.end()
    if line[pos:].strip():
        cells.append(_cell(text, start + pos, end))
    return cells


def _cell(text: str, start: int, end: int) -> Cell:
    while start < end and text[start] in " \u3000":
        start += 1
    while end > start and text[end - 1] in " \u3000":
        end -= 1
    return Cell(start, end, text[start:end])


def is_table_line(line: str) -> bool:
    """A row of a flattened table: several cells, and numbers in cells of their own."""
    stripped = line.strip()
    if not stripped or "。" in stripped:
        return False
    if _FUSED_ROW.match(stripped):
        return True
    if _STRONG_SPLIT.search(stripped):
        cells = [c for c in _STRONG_SPLIT.split(stripped) if c.strip()]
        return len(cells) >= 2
    cells = [c for c in _SPACE_SPLIT.split(stripped) if c.strip()]
    numeric = sum(parse_bare_number(c) is not None for c in cells[1:])
    return len(cells) >= 3 and (numeric >= 2 or numeric == 0)


@dataclass
class Column:
    index: int
    year: int | None = None
    previous: bool = False
    fund: str | None = None
    basis: str | None = None
    metric_tokens: tuple[Token, ...] = ()
    unit: str | None = None
    skip: bool = False
    total: bool = False
    units: bool = False  # a 计量单位 column: each row's unit
    period: Period | None = None  # a 1-9月 / 一季度 / 全年 column


class TableReader:
    """Reads the tables of a document into its run's candidates (see :class:`DocumentRun`)."""

    def read_block(self, run: DocumentRun, block: list[Paragraph]) -> bool:
        """Read the lines of ``block`` as one table.  False if they are not a table after all
        (group labels alone, no row with numbers): the caller reads them as prose."""
        rows = [split_cells(run.text, p.start, p.end) for p in block]
        # the header: the last all-text row above the first row with numbers (a 填报单位 line
        # above the real header is not it)
        first_data = next(
            (i for i, r in enumerate(rows) if any(parse_bare_number(c.text) is not None for c in r[1:])),
            len(rows),
        )
        header_i = next(
            (
                i
                for i in range(first_data - 1, -1, -1)
                if len(rows[i]) >= 2 and all(parse_bare_number(c.text) is None for c in rows[i][1:])
            ),
            None,
        )
        data = [
            (p, r)
            for i, (p, r) in enumerate(zip(block, rows, strict=True))
            if (header_i is None or i > header_i)
            and (len(r) == 1 or any(parse_bare_number(c.text) is not None for c in r[1:]))
        ]
        if all(len(r) == 1 for _, r in data):
            data = []  # group labels alone are no table
        if not data:
            return False  # not a table after all
        # the caption: the lines above the header (a group label above it included)
        top = block[header_i].start if header_i is not None else next(p.start for p, r in data if len(r) > 1)
        title_start, context = _caption(run.text, top)
        columns = self.columns(run, rows[header_i] if header_i is not None else [], context)
        _TableRun(run, columns, context, title_start, data).read()
        return True

    def read_vertical(self, run: DocumentRun, paragraphs: list[Paragraph], i: int) -> int | None:
        """A table written one cell per line (指标名称 / 单位 / 指标数据 / 一、参保人数 / 人 / 714699 …)
        whose header starts at paragraph ``i``: its rows are rebuilt from the cells and read like
        any table.  Returns the index of the table's last paragraph, or None if none starts here."""
        lines = _one_cell_lines(run.text, paragraphs, i)
        first = next(lines, None)  # the header's first cell decides before the rest is cut
        if first is None or not _HEADER_FIRST.match(first[1].text.strip()):
            return None
        cells = [first, *lines]
        first_label = _first_data_label(cells)
        if first_label is None:
            return None
        header = [c for _, c in cells[:first_label] if c.text]
        rows = _vertical_rows(cells[first_label:], len(header))
        with_numbers = [i for i, r in enumerate(rows) if any(_is_number(c) for _, c in r[1:])]
        if len(with_numbers) < 2:
            return None
        rows = rows[: with_numbers[-1] + 1]  # a heading after the last row is the text's again
        title_start, context = _caption(run.text, paragraphs[i].start)
        data = [(paragraphs[row[0][0]], [c for _, c in row]) for row in rows]
        _TableRun(run, self.columns(run, header, context), context, title_start, data).read()
        return max(k for k, _ in rows[-1])

    def columns(self, run: DocumentRun, header: list[Cell], context: str) -> dict[int, Column]:
        out: dict[int, Column] = {}
        for j, cell in enumerate(header):
            if j == 0:
                continue
            col = Column(j)
            if _UNIT_COLUMN.search(cell.text.strip()):
                col.units = col.skip = True
                out[j] = col
                continue
            tokens = run.tokens_in(cell.start, cell.end)
            col.skip = bool(_SKIP_COLUMN.search(cell.text)) and not any(t.kind == "metric" for t in tokens)
            if m := _YEAR.search(cell.text):
                col.year = int(m.group(1))
            col.previous = bool(_PREVIOUS.search(cell.text))
            col.total = bool(_TOTAL_LABEL.match(cell.text.strip()))
            for t in tokens:
                if t.kind == "fund" and t.attr("fund"):
                    col.fund = t.attr("fund")
                elif t.kind == "metric" and not t.attr("basis"):
                    col.metric_tokens += (t,)
            for cue in run.vocab.basis_cues(run.text, cell.start, cell.end):
                col.basis = cue.attr("basis")
            for pc in run.vocab.period_cues(run.text, cell.start, cell.end):
                col.period = Period(pc.period, col.year, pc.entry.id)
            if re.search(r"预算", cell.text) and not col.basis:
                col.basis = "budget"
            if re.search(r"执行|实际|决算|完成", cell.text) and not col.basis:
                col.basis = "actual"
            if u := _paren_unit(cell.text):
                col.unit = u  # 金额（万元）
            elif cell.text.strip() in _UNIT_SCALE:
                col.unit = cell.text.strip()  # 指标名称 | 人次 | 金额(万元)
            out[j] = col
        funds = {c.fund for c in out.values() if c.fund}
        for col in out.values():  # 合计 beside 职工 and 居民 columns is the fund as a whole
            if col.total and funds == {"employee", "resident"}:
                col.fund = "all"
            elif col.total:
                col.skip = True
        return out


class _TableRun:
    def __init__(
        self, run: DocumentRun, columns: dict[int, Column], context: str, context_start: int, data: list
    ):
        self.run = run
        self.columns = columns
        self.data = data
        self.context_start = context_start
        self.units = _UNIT_WORD.findall(m.group(1)) if (m := _UNIT_LINE.search(context)) else []
        title_tokens = run.tokens_in(context_start, context_start + len(context))
        funds = [t.attr("fund") for t in title_tokens if t.kind == "fund" and t.attr("fund")]
        self.title_fund = funds[-1] if funds else None
        # 二、待遇支付: above 住院 | 35611 | 19837.33 — the measure of rows that name none
        self.title_metrics = [t for t in title_tokens if t.kind == "metric"][-1:]
        if run.names_both(title_tokens):
            self.title_fund = "all"  # 基本医疗保险和生育保险主要指标: an unnamed row is the whole
        years = [int(y) for y in re.findall(r"((?:19|20)\d{2})\s*年", context)]
        self.title_year = years[-1] if years else None
        self.title_basis = "budget" if re.search(r"预算(?:表|草案)", context) else None
        end = context_start + len(context)
        self.title_period = run.named_period(context_start, end) or run.section.period or run.period
        cues = [
            c for c in run.vocab.period_cues(run.text, context_start, end) if c.entry.get("in_title", True)
        ]
        if cues and cues[-1].period is None:
            self.title_period = None  # 一、参保人数(截止12月底): the caption says the year's end
        row_funds = {self.row_fund(r) for _, r in data}
        self.funds_by_row = len(row_funds - {None}) > 1

    def row_fund(self, row: list[Cell]) -> str | None:
        tokens = self.run.tokens_in(row[0].start, row[0].end)
        funds = [t.attr("fund") for t in tokens if t.kind == "fund" and t.attr("fund")]
        return funds[-1] if funds else None

    def read(self) -> None:
        parent_metric: Token | None = None
        parent_items: list[Token] = []
        group_fund: str | None = None  # the fund a group label (城乡居民医疗 | |) named
        orphaned = False  # the rows below a row set aside (参保单位 | 42269, 其中: …) are set aside too
        self.last_row_fund: str | None = None
        self.totals: set[tuple[str, str]] = set()  # (fund, metric) whose total a row above gave
        self.repeated: set[tuple[str, str, int, str]] = set()  # the same with year and basis
        for para, row in self.data:
            label = row[0]
            tokens = self.run.tokens_in(label.start, label.end)
            # 其中：保险费收入 under 一、职工医保基金收入 belongs to the row above's fund; a new
            # top-level row (二、统筹基金收入) is of its own fund, else of its group label's
            if _TOP_LEVEL.match(label.text.strip()):
                self.last_row_fund = self.row_fund(row) or group_fund
            else:
                self.last_row_fund = self.row_fund(row) or self.last_row_fund
            if not any(c.text.strip() for c in row[1:]):
                group_fund = self.row_fund(row) or group_fund
                # a group label: 一、城镇职工基本医疗保险基金 (a fund for the rows below) or
                # 一、参保人数 (their measure)
                metrics = [t for t in tokens if t.kind == "metric"]
                parent_metric = metrics[-1] if metrics else None
                parent_items = [t for t in tokens if t.kind == "item"] if metrics else []
                orphaned = False
                continue
            self.row_year = int(m.group(1)) if (m := _ROW_YEAR.match(label.text.strip())) else None
            own_metric = [t for t in tokens if t.kind == "metric"]
            orphaned = orphaned and not own_metric
            if (
                any(t.kind == "exclusion" for t in tokens)
                or any(t.kind == "fund" and t.attr("fund") is None for t in tokens)
                or (not own_metric and any(t.kind == "noise" for t in tokens))  # 参保单位 | 42269
            ):
                parent_metric, parent_items = None, []  # 参保单位 | 42269: its 其中 rows are no fund's
                orphaned = True
                continue
            if orphaned and not own_metric and not _TOP_LEVEL.match(label.text.strip()):
                continue
            if own_metric:
                parent_metric = own_metric[-1]
                parent_items = [t for t in tokens if t.kind == "item"]
            if (
                _TOTAL_LABEL.match(re.sub(r"^[一二三四五六七八九十]+、", "", label.text).strip())
                and self.funds_by_row
            ):
                continue  # a 合计 row adding different funds measures no fund
            for j, cell in enumerate(row[1:], start=1):
                col = self.columns.get(j)
                if col is None and self.columns:
                    continue
                col = col or Column(j)
                if col.skip:
                    continue
                # a row under 二、统筹基金收入 is of the pooled fund too, unless it names its own item
                inherited = [] if own_metric else parent_items
                fact = self.cell_fact(
                    para,
                    row,
                    cell,
                    col,
                    inherited + tokens,
                    own_metric or ([parent_metric] if parent_metric else []),
                )
                if fact is None:
                    continue
                key = (fact.fund, fact.metric, fact.year, fact.basis)
                if not own_metric and not inherited and fact.item == "total" and key in self.repeated:
                    # 城镇职工参加医疗保险人数 | 940262 ¶ 实施统帐结合 | 900574: a row naming no
                    # measure, item or fund of its own under a row that gave the total is a part
                    # the vocabulary has no code for, not the total again
                    continue
                self.run.candidates.append(fact)
                if fact.item == "total":
                    self.totals.add((fact.fund, fact.metric))
                    self.repeated.add(key)

    def cell_fact(
        self,
        para: Paragraph,
        row: list[Cell],
        cell: Cell,
        col: Column,
        tokens: list[Token],
        metric_tokens: list,
    ) -> Candidate | None:
        value = parse_bare_number(cell.text)
        unit_class: UnitClass | None = None
        scale = 1.0
        if value is None:
            found = find_quantities(self.run.text, cell.start, cell.end)
            if len(found) != 1 or found[0].surface.strip() != cell.text.strip():
                return None
            value, unit_class = found[0].value, found[0].unit_class
        candidates = list(col.metric_tokens) + list(metric_tokens) or self.title_metrics
        if not candidates:
            return None
        unit_class, scale, unit_from_header = self.unit_for(
            row[0].text + self.row_unit(row), col, candidates, unit_class
        )
        if unit_class is None:
            return None
        metric_token, metric = self.pick_metric(candidates, unit_class)
        if metric is None:
            return None
        fund = (
            col.fund or self.row_fund(row) or self.last_row_fund or self.title_fund or self.run.section.fund
        )
        if fund in (None, EXCLUDED):
            return None
        item = self.item_for(tokens, metric_token, fund, metric)
        if metric_token.attr("part_only") and fund == "maternity":
            item = "total"  # 生育保险待遇支出: the maternity fund's spending is its benefits
        year_base = col.year or self.row_year or self.title_year or self.run.report_year
        year = year_base - 1 if col.previous and not col.year else year_base
        if metric_token.attr("previous_year") and not col.previous and not col.year:
            year = year_base - 1  # 一、上年结余 | 1079.96: last year's closing balance
        basis = col.basis or self.title_basis or "actual"
        period = col.period or self.title_period
        rules = ["table.cell", metric_token.entry.id]
        if col.year or self.row_year or self.title_year:
            rules.append("table.year_stated")
        if unit_from_header:
            rules.append("table.unit_header")  # the unit is only in a column header or a 单位：万元 line
        if basis == "actual" and period is not None and period.partial and metric not in NEVER_PARTIAL:
            basis = "partial"  # 2025年1-4月…主要指标: every cell is an outcome for part of the year
            rules.append(period.rule)
        return Candidate(
            year=year,
            fund=fund,
            metric=metric,
            item=item,
            basis=basis,
            value=round(value * scale, 6),
            derived=False,
            start=row[0].start,
            end=cell.end,
            rule_id="table.cell",
            rules=rules,
            unit_class=unit_class,
            previous_year=year < self.run.report_year,
            period=period.text if basis == "partial" and period is not None else None,
        )

    def unit_for(
        self, label: str, col: Column, metric_tokens: list, stated: UnitClass | None
    ) -> tuple[UnitClass | None, float, bool]:
        """The cell's unit class and scale, and whether they come from a header (the column's,
        or a 单位：万元 line) rather than the cell or its row label."""
        if stated is not None:
            return stated, 1.0, False
        if row_unit := _paren_unit(label):
            return *_UNIT_SCALE[row_unit], False
        if col.unit:
            return *_UNIT_SCALE[col.unit], True
        wanted = {uc for t in metric_tokens for uc in (t.attr("metrics") or {})}
        for unit in self.units:
            uc, scale = _UNIT_SCALE[unit]
            if uc.value in wanted:
                return uc, scale, True
        # counts need no unit word: a 享受待遇人次 column holds 人次
        for t in metric_tokens:
            counts = [UnitClass(u) for u in (t.attr("metrics") or {}) if u in ("person", "visit")]
            if len(counts) == 1 and len(t.attr("metrics")) == 1:
                return counts[0], 1.0, False
        return None, 1.0, False

    def row_unit(self, row: list[Cell]) -> str:
        """The row's own unit from a 计量单位 column or a unit cell, written as （万元） for unit_for."""
        for j, col in self.columns.items():
            if col.units and j < len(row) and row[j].text.strip() in _UNIT_SCALE:
                return f"（{row[j].text.strip()}）"
        # a cell that is only a unit (基本医疗保险 | 万人 | 4040.59) is the row's unit
        units = [c.text.strip() for c in row[1:] if c.text.strip() in _UNIT_SCALE]
        return f"（{units[0]}）" if len(units) == 1 else ""

    def pick_metric(self, tokens: list, unit_class: UnitClass) -> tuple[Token | None, str | None]:
        for t in tokens:
            metric = (t.attr("metrics") or {}).get(unit_class.value)
            if metric:
                return t, metric
        return None, None

    def item_for(self, tokens: list[Token], metric_token: Token | None, fund: str, metric: str) -> str:
        if metric_token is not None and metric_token.attr("item") and metric_token in tokens:
            return metric_token.attr("item")
        for t in reversed(tokens):
            if t.kind == "item" and item_fits(t, fund, metric):
                return t.attr("item")
        return "total"


def _caption(text: str, start: int) -> tuple[int, str]:
    """Up to three lines right above a table (its title, unit line), skipping lines of bare
    separators; with where they start."""
    lines = [m for m in re.finditer(r"[^\n]+", text[:start]) if m.group(0).strip(" \t\u3000|")][-3:]
    title_start = lines[0].start() if lines else start
    return title_start, text[title_start:start]


def _one_cell_lines(text: str, paragraphs: list[Paragraph], i: int) -> Iterator[tuple[int, Cell]]:
    """The cells of the lines from paragraph ``i`` on that hold at most one short cell each
    (a line of bare separators is an empty cell; English translations are left out), each with
    its paragraph's index; lazily, so that a first line that opens no table costs one line."""
    for k in range(i, len(paragraphs)):
        p = paragraphs[k]
        cells = split_cells(text, p.start, p.end)
        if not cells:
            yield (k, Cell(p.start, p.start, ""))
            continue
        if len(cells) == 1 and _LATIN_CELL.match(cells[0].text):
            continue
        if len(cells) > 1 or len(cells[0].text) > _MAX_CELL or "。" in cells[0].text:
            return
        yield (k, cells[0])


def _is_number(cell: Cell) -> bool:
    return parse_bare_number(cell.text) is not None


def _is_label(cell: Cell) -> bool:
    text = cell.text.strip()
    return bool(text) and text not in _UNIT_SCALE and parse_bare_number(text) is None


def _first_data_label(cells: list[tuple[int, Cell]]) -> int | None:
    """The index of the first row label: a label whose next cell, past units and empty cells, is
    a number (the cells before it are the header)."""
    for n in range(1, min(len(cells), 16)):
        if not _is_label(cells[n][1]):
            continue
        if _HEADER_FIRST.match(cells[n][1].text.strip()):
            return None
        after = next(
            (c for _, c in cells[n + 1 :] if c.text.strip() and c.text.strip() not in _UNIT_SCALE), None
        )
        if after is not None and _is_number(after):
            return n
    return None


def _vertical_rows(cells: list[tuple[int, Cell]], width: int) -> list[list[tuple[int, Cell]]]:
    """Rows rebuilt from one-cell lines: each label opens a row, units, numbers and empty cells
    follow it; a row of another width than the header keeps its values right-aligned."""
    rows: list[list[tuple[int, Cell]]] = []
    for k, cell in cells:
        if _is_label(cell):
            if _HEADER_FIRST.match(cell.text.strip()):
                break  # the next table's header
            rows.append([(k, cell)])
        elif rows:
            rows[-1].append((k, cell))
    out = []
    for row in rows:
        if len(row) != width:
            values = [(k, c) for k, c in row[1:] if c.text.strip()]
            k0, label = row[0]
            blank = (k0, Cell(label.end, label.end, ""))
            row = [row[0], *[blank] * max(0, width - 1 - len(values)), *values]
        out.append(row)
    return out


def _paren_unit(label: str) -> str | None:
    m = re.search(r"[（(]\s*(亿元|万元|千元|元|万人次|人次|万人|人|%|％)\s*[）)]", label)
    return m.group(1) if m else None
