"""Tables flattened into text: one row per line, cells separated by tabs, ``|`` or wide gaps.

A table's header row says what each column is (a fund, a year, a basis, a measure, or a
growth rate that is never a fact); each row's first cell says what the row measures.
Units come from the cell itself, the row label ``（万人）``, the header ``（万元）`` or a
``单位：万元`` line above the table.  Every cell becomes one fact quoted from the start of
its row to the end of the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from pipelines.context import EXCLUDED, NEVER_PARTIAL, Candidate, Period, item_fits
from pipelines.numbers import UnitClass, find_quantities, parse_bare_number

if TYPE_CHECKING:
    from pipelines.extract import Extractor, _Run
    from pipelines.segment import Paragraph
    from pipelines.vocab import Token

_STRONG_SPLIT = re.compile(r"\t+|\s*\|\s*")
_SPACE_SPLIT = re.compile(r"\s{2,}")
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
    def __init__(self, extractor: Extractor):
        self.x = extractor

    def read_block(self, run: _Run, block: list[Paragraph]) -> None:
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
            for p in block:  # not a table after all: read it as prose
                run.read_paragraph(p)
            return
        # the caption: up to three non-empty lines right above the table
        lines = [m for m in re.finditer(r"[^\n]+", run.text[: block[0].start]) if m.group(0).strip()][-3:]
        title_start = lines[0].start() if lines else block[0].start
        context = run.text[title_start : block[0].start]
        columns = self.columns(run, rows[header_i] if header_i is not None else [], context)
        _TableRun(run, columns, context, title_start, data).read()

    def columns(self, run: _Run, header: list[Cell], context: str) -> dict[int, Column]:
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
            if u := _UNIT_WORD.search(cell.text.split("（")[-1] if "（" in cell.text else ""):
                col.unit = u.group(0)
            out[j] = col
        funds = {c.fund for c in out.values() if c.fund}
        for col in out.values():  # 合计 beside 职工 and 居民 columns is the fund as a whole
            if col.total and funds == {"employee", "resident"}:
                col.fund = "all"
            elif col.total:
                col.skip = True
        return out


class _TableRun:
    def __init__(self, run: _Run, columns: dict[int, Column], context: str, context_start: int, data: list):
        self.run = run
        self.columns = columns
        self.data = data
        self.context_start = context_start
        self.units = _UNIT_WORD.findall(m.group(1)) if (m := _UNIT_LINE.search(context)) else []
        title_tokens = run.tokens_in(context_start, context_start + len(context))
        funds = [t.attr("fund") for t in title_tokens if t.kind == "fund" and t.attr("fund")]
        self.title_fund = funds[-1] if funds else None
        years = [int(y) for y in re.findall(r"((?:19|20)\d{2})\s*年", context)]
        self.title_year = years[-1] if years else None
        self.title_basis = "budget" if re.search(r"预算(?:表|草案)", context) else None
        end = context_start + len(context)
        self.title_period = run.named_period(context_start, end) or run.section.period or run.period
        row_funds = {self.row_fund(r) for _, r in data}
        self.funds_by_row = len(row_funds - {None}) > 1

    def row_fund(self, row: list[Cell]) -> str | None:
        tokens = self.run.tokens_in(row[0].start, row[0].end)
        funds = [t.attr("fund") for t in tokens if t.kind == "fund" and t.attr("fund")]
        return funds[-1] if funds else None

    def read(self) -> None:
        parent_metric: Token | None = None
        self.last_row_fund: str | None = None
        self.totals: set[tuple[str, str]] = set()  # (fund, metric) whose total a row above gave
        for para, row in self.data:
            label = row[0]
            tokens = self.run.tokens_in(label.start, label.end)
            # 其中：保险费收入 under 一、职工医保基金收入 belongs to the row above's fund
            self.last_row_fund = self.row_fund(row) or self.last_row_fund
            if len(row) == 1:  # a group label such as 一、城镇职工基本医疗保险基金
                parent_metric = None
                continue
            self.row_year = int(m.group(1)) if (m := _ROW_YEAR.match(label.text.strip())) else None
            if any(t.kind == "exclusion" for t in tokens) or any(
                t.kind == "fund" and t.attr("fund") is None for t in tokens
            ):
                continue
            own_metric = [t for t in tokens if t.kind == "metric"]
            if own_metric:
                parent_metric = own_metric[-1]
            if (
                _TOTAL_LABEL.match(re.sub(r"^[一二三四五六七八九十]+、", "", label.text).strip())
                and self.funds_by_row
            ):
                continue  # a 合计 row adding different funds measures no fund
            for cell in row[1:]:
                col = self.columns.get(row.index(cell))
                if col is None and self.columns:
                    continue
                col = col or Column(row.index(cell))
                if col.skip:
                    continue
                fact = self.cell_fact(
                    para, row, cell, col, tokens, own_metric or ([parent_metric] if parent_metric else [])
                )
                if fact is not None:
                    self.run.candidates.append(fact)
                    if fact.item == "total":
                        self.totals.add((fact.fund, fact.metric))

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
        candidates = list(col.metric_tokens) + list(metric_tokens)
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
        if metric_token.attr("part_only") and (fund, metric) not in self.totals:
            item = "total"  # 待遇支出 is the benefits part only below its fund's 支出合计
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
        """The row's own unit from a 计量单位 column, written as （万元） for unit_for."""
        for j, col in self.columns.items():
            if col.units and j < len(row) and row[j].text.strip() in _UNIT_SCALE:
                return f"（{row[j].text.strip()}）"
        return ""

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


def _paren_unit(label: str) -> str | None:
    m = re.search(r"[（(]\s*(亿元|万元|千元|元|万人次|人次|万人|人|%|％)\s*[）)]", label)
    return m.group(1) if m else None
