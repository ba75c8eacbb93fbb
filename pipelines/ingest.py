"""From report files to validated, checked facts in the database.

``process_file`` does everything that can fail on a file's content and touches no
database (on several cores: worker processes read, see pipelines/workers.py); ``ingest`` then
writes each processed document in one transaction, so a file that fails leaves nothing behind
and the other files still load.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import math
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import yaml

from pipelines import checks, confidence, sidecar, store, workers
from pipelines.context import Candidate
from pipelines.extract import Extraction, Extractor
from pipelines.models import Document, DroppedFigure, Fact, Rejection, validate_facts
from pipelines.normalize import normalize
from pipelines.numbers import Quantity
from pipelines.readers import SUPPORTED_SUFFIXES, ReadError, display_name, read_document
from pipelines.regions import FigureRegions, Region, RegionGuess, RegionTable, detect_region
from pipelines.run import head_lines
from pipelines.store import DocumentRows, ReportOverride

RULES_DIR = Path(__file__).with_name("rules")


@dataclass
class Outcome:
    """What happened to one input file."""

    path: Path
    ok: bool
    error: str | None = None
    doc_id: str | None = None
    n_facts: int = 0
    n_rejections: int = 0
    n_checks: int = 0
    replaced: bool = False
    warnings: list[str] = field(default_factory=list)


@cache
def extractor_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(RULES_DIR.glob("*.yaml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def _extractor() -> Extractor:
    return Extractor()


class Genre(NamedTuple):
    name: str  # Chinese, as reports are listed
    standing: str  # final | ordinary | provisional (rules/documents.yaml)
    pattern: re.Pattern[str] | None


@cache
def genres() -> tuple[tuple[Genre, ...], Genre]:
    """The genres of rules/documents.yaml in the order they are tried, and what a report of none is."""
    with (RULES_DIR / "documents.yaml").open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    listed = tuple(Genre(g["name"], g["standing"], re.compile(g["pattern"])) for g in raw["genres"])
    return listed, Genre(raw["other"]["name"], raw["other"]["standing"], None)


def detect_genre(text: str, title: str | None = None) -> Genre:
    """The report's kind, from its title first (a 绩效评价报告 quoting 预算执行 is a 绩效 report),
    else from the words of its first part."""
    listed, other = genres()
    for where in (title, text[:3000]):
        if not where:
            continue
        where = re.sub(r"[ \t\u3000]+", "", where)  # 绩效    评价报告 (a title spread over a line)
        for genre in listed:
            if genre.pattern is not None and genre.pattern.search(where):
                return genre
    return other


_SECTION_START = re.compile(
    r"^\s*(?:第[一二三四五六七八九十]+[部章节]|[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[）)]|\d+\s*[、.．])"
)
_TITLE_HAN = 4  # a title has a few words at least
# a report's title names what it is about (a site's banner such as 搜狐网站 or 新闻频道 does not)
_TITLE_WORDS = re.compile(r"医|保险|基金|救助|合作医疗|新农合|报告|公报|决算|预算|绩效|统计|参保|筹资|护理")
_TITLE_NOISE = re.compile(r"^\s*标\s*题\s*[:：]|\[[^\]\n]{0,12}\]\s*$")  # 标题: … [打印本页]
_TITLE_MAX = 60


def report_title(text: str) -> str | None:
    """The report's title as its text gives it: the first of its first lines (page furniture
    aside) that reads as a title — short, no sentence, not a numbered section heading, naming
    what the report is about."""
    for line in head_lines(text):
        candidate = _TITLE_NOISE.sub("", line.group(0)).strip().strip("|").strip()
        if (
            len(candidate) <= _TITLE_MAX
            and len(re.findall(r"[\u4e00-\u9fff]", candidate)) >= _TITLE_HAN
            and not _SECTION_START.match(candidate)
            and not re.search(r"[。；;]|[：:]$", candidate)
            and _TITLE_WORDS.search(candidate)
        ):
            return re.sub(r"\s{2,}", " ", candidate)
    return None


@dataclass(frozen=True)
class Skipped:
    """An entry of a folder that is not read, and why (in Chinese)."""

    path: Path
    reason: str

    @property
    def name(self) -> str:
        """The entry's name for messages (control characters escaped)."""
        return display_name(self.path)

    def __str__(self) -> str:
        return f"{self.name}：{self.reason}"


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """Files to ingest (a directory means every report in it), and the entries of directories
    not read, each with its reason: other file types, sub-folders, symbolic links that loop or
    lead nowhere, pipes, sockets and devices (never opened, so a FIFO cannot block).
    Hidden files (.name) and reports' sidecars (pipelines.sidecar) are passed over silently; a path
    given by itself is always tried."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for p in paths:
        if not p.is_dir():
            files.append(p)
            continue
        try:
            children = sorted(p.iterdir())
        except OSError as err:
            skipped.append(Skipped(p, f"无法打开文件夹（{err.strerror or err}），请检查权限"))
            continue
        for child in children:
            if child.name.startswith(".") or sidecar.is_sidecar(child):
                continue
            try:
                mode = child.stat().st_mode  # follows symbolic links
            except OSError as err:
                if err.errno == errno.ELOOP:
                    reason = "符号链接形成循环（指向自身或互相指向），已跳过"
                elif child.is_symlink():
                    reason = "符号链接指向的文件不存在，已跳过"
                else:
                    reason = f"无法访问（{err.strerror or err}），已跳过"
                skipped.append(Skipped(child, reason))
                continue
            if stat.S_ISDIR(mode):
                skipped.append(Skipped(child, "是子文件夹，不读取其中的文件（如需导入请单独指定该文件夹）"))
            elif not stat.S_ISREG(mode):
                skipped.append(Skipped(child, "不是普通文件（管道、套接字或设备），已跳过"))
            elif child.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(child)
            else:
                skipped.append(Skipped(child, "不是支持的报告格式"))
    return files, skipped


STEWARD = "steward"  # region_confidence when a steward set the region


def report_region(text: str, table: RegionTable | None = None, region_code: str | None = None) -> RegionGuess:
    """The region a report covers: the one a steward set (``region_code``), else the detected one."""
    if region_code is None:
        return detect_region(text, table)
    chosen = (table or RegionTable.default()).resolve(region_code)  # an older code: the region now
    if chosen is None:
        raise ValueError(f"未知的行政区划代码：{region_code}")
    return RegionGuess(chosen, STEWARD, ("由校核人指定",))


@dataclass(frozen=True)
class Figure:
    """A figure read from a text, in the region it is about: a Fact but for its ids."""

    candidate: Candidate
    quote: str
    region: Region | None  # None: the report's region is unknown (the figure will be rejected)

    @property
    def dated(self) -> bool:
        """A figure with its own year (2016年…) keeps it even when the report's year is unknown."""
        return self.candidate.year >= 1980

    def fields(self) -> dict[str, Any]:
        """Its fields as the Fact model names them, in the order a rejection stores them."""
        where = (
            {}
            if self.region is None
            else {
                "region_code": self.region.code,
                "region_name": self.region.name,
                "region_level": self.region.level,
            }
        )
        return {**_candidate_fields(self.candidate, self.quote), **where}

    def fact_input(self, doc_id: str, fact_id: str) -> dict[str, Any]:
        """What :func:`pipelines.models.validate_facts` validates into a Fact."""
        return {**self.fields(), "fact_id": fact_id, "doc_id": doc_id}


@dataclass(frozen=True)
class Reading:
    """A normalised text read: the region it covers, what the extractor read, its placed figures."""

    guess: RegionGuess
    extraction: Extraction
    figures: list[Figure]


def read_figures(
    text: str,
    report_year: int | None = None,
    table: RegionTable | None = None,
    region_code: str | None = None,
) -> Reading:
    """The region a normalised text covers, and its figures each in its own region.

    ``report_year`` and ``region_code``, when given, replace what would be detected."""
    guess = report_region(text, table, region_code)
    regions = FigureRegions.of_text(text, guess.region, table)
    extraction = _extractor().extract(text, report_year, regions)
    figures = [Figure(c, extraction.quote(c), regions.region_of(c.end)) for c in extraction.candidates]
    return Reading(guess, extraction, figures)


def read_facts(
    text: str,
    report_year: int | None = None,
    table: RegionTable | None = None,
    region_code: str | None = None,
) -> tuple[RegionGuess, Extraction, list[dict[str, Any]]]:
    """:func:`read_figures` with each figure as a plain row, for the scorers (:mod:`pipelines.evaluate`)."""
    reading = read_figures(text, report_year, table, region_code)
    return reading.guess, reading.extraction, [f.fields() for f in reading.figures]


def _candidate_fields(c: Candidate, quote: str) -> dict[str, Any]:
    return {
        "year": c.year,
        "fund": c.fund,
        "metric": c.metric,
        "item": c.item,
        "basis": c.basis,
        "value": c.value,
        "unit": c.unit,
        "derived": c.derived,
        "quote": quote,
        "start": c.start,
        "end": c.end,
        "rule_id": c.rule_id,
        "rules": c.rule_ids,
        "period": c.period,
    }


def process_file(
    path: Path, table: RegionTable | None = None, overrides: Mapping[str, ReportOverride] | None = None
) -> DocumentRows:
    """Read, extract, validate and check one file. Raises ReadError for an unreadable file.

    ``overrides`` (by document id) hold the region and report year a steward set."""
    raw = read_document(path)
    doc_id = raw.sha256
    normalised = normalize(raw.text)
    text = normalised.text
    if not text.strip():
        raise ReadError(path, "文件中没有文字内容")
    override = (overrides or {}).get(doc_id, ReportOverride())
    reading = read_figures(text, override.report_year, table, override.region_code)
    guess, extraction = reading.guess, reading.extraction
    region = guess.region
    warnings: list[str] = list(raw.warnings)  # read, but not cleanly (bad bytes, a malformed PDF)
    if normalised.converted:
        warnings.append("原文为繁体字，已逐字转为简体字后识别；引文为转换后的文字")
    if normalised.glosses:
        warnings.append(f"原文夹有拼音注音（{normalised.glosses}处），已删除后识别；引文为删除后的文字")
    numbered = [(f"{doc_id[:16]}-{i:04d}", figure) for i, figure in enumerate(reading.figures)]
    # a figure read from a number no report writes (1.0E+30万元, 0.0000001万元) is refused
    problems = {(q.start, q.end): q for q in extraction.quantities if q.problem}
    refused = [(i, f, why) for i, f in numbered if (why := _problem_of(f.candidate, problems))]
    numbered = [(i, f) for i, f in numbered if not _problem_of(f.candidate, problems)]
    # without the report's year, only figures that state their own can be placed in time
    dated = [(i, f) for i, f in numbered if extraction.report_year is not None or f.dated]
    undated = [(i, f) for i, f in numbered if extraction.report_year is None and not f.dated]
    facts, rejections = validate_facts([f.fact_input(doc_id, i) for i, f in dated])
    facts, repeats = _first_statements(facts, extraction)
    rejections += [_rejection(f.fact_input(doc_id, i), why) for i, f, why in refused]
    rejections += [_rejection(f.fact_input(doc_id, i), _NO_YEAR) for i, f in undated]
    rejections += [
        _rejection(
            {**_candidate_fields(c, extraction.quote(c)), "doc_id": doc_id},
            "；".join(filter(None, (_problem_of(c, problems), reason))),
        )
        for c, reason in extraction.ambiguous
    ]
    rejections += _unread_problems(doc_id, text, extraction, problems)
    if region is None:
        warnings.append("无法判断报告所属地区，识别出的数据已放入待核查（rejections）")
    elif guess.confidence == "low":  # its figures are review: 地区把握不大 (pipelines/confidence.py)
        warnings.append(f"地区判断把握不大（low）：{region.name}，请核对")
    elif guess.confidence == "medium":
        warnings.append(f"地区判断依据有限（medium）：{region.name}，请核对")
    if extraction.report_year is None:
        warnings.append("无法判断报告年度")
    if not reading.figures:
        warnings.append("未识别出任何医保基金数据")
    check_results = checks.check_document(
        doc_id,
        facts,
        extraction.quantities,
        text,
        region.code if region else None,
        region.level if region else None,
    )
    title = report_title(text)
    genre = detect_genre(text, title)
    facts = confidence.assess(
        facts,
        check_results,
        confidence.DocumentContext(
            region.code if region else None, guess.confidence, extraction.year_source, title
        ),
    )
    doc = Document(
        doc_id=doc_id,
        file_name=path.name,
        source_path=str(path.resolve()),
        text=text,
        reader=raw.reader,
        encoding=raw.encoding,
        size_bytes=raw.size_bytes,
        report_year=extraction.report_year,
        year_evidence=extraction.year_evidence,
        title=title,
        source_url=sidecar.source_url(path),
        genre=genre.name,
        standing=genre.standing,
        region_code=region.code if region else None,
        region_name=region.name if region else None,
        region_level=region.level if region else None,
        region_parent_code=region.parent_code if region else None,
        region_confidence=guess.confidence,
        region_evidence=tuple(guess.evidence),
        n_facts=len(facts),
        n_rejections=len(rejections),
        warnings=tuple(warnings),
    )
    dropped = sorted([*dropped_figures(doc_id, extraction), *repeats], key=lambda d: (d.start, d.end))
    return DocumentRows(doc, facts, rejections, check_results, dropped)


_REPEATED = "同一数字在报告中已出现过（重复的段落或表格），只计一次"


def _first_statements(facts: list[Fact], extraction: Extraction) -> tuple[list[Fact], list[DroppedFigure]]:
    """A figure a report states twice (a paragraph repeated, a table beside its text) is one
    figure: the first statement is kept, each repeat is set aside with its reason, so that no
    sum counts a quote twice."""
    surfaces = {q.end: q.surface for q in extraction.quantities}
    seen: set[tuple] = set()
    repeats: list[Fact] = []
    for fact in sorted(facts, key=lambda f: (f.start, f.end)):
        key = (
            fact.region_code,
            fact.year,
            fact.fund,
            fact.metric,
            fact.item,
            fact.basis,
            fact.period,
            fact.value,
        )
        (repeats if key in seen else []).append(fact)
        seen.add(key)
    dropped = [
        DroppedFigure(
            doc_id=f.doc_id,
            reason=_REPEATED,
            quote=f.quote,
            start=f.start,
            end=f.end,
            value=f.value,
            surface=surfaces.get(f.end, f.quote),
        )
        for f in repeats
    ]
    repeated = {id(f) for f in repeats}
    return [f for f in facts if id(f) not in repeated], dropped


_CONTEXT = 24  # characters of a number's line quoted before it (a table cell shows them whole)


def _line_start(text: str, pos: int) -> int:
    """Where the quote of a number at ``pos`` starts: its line, at most _CONTEXT characters back."""
    return max(text.rfind("\n", 0, pos) + 1, pos - _CONTEXT)


def _read_spans(extraction: Extraction, quantities: Iterable[tuple[int, int]] = ()) -> set[tuple[int, int]]:
    """The spans of the numbers a figure was read from (or left undecided), among ``quantities``
    for table cells, whose figures keep no quantity and are matched by their end."""
    read = {(c.quantity.start, c.quantity.end) for c in extraction.candidates if c.quantity is not None}
    read |= {(c.quantity.start, c.quantity.end) for c, _ in extraction.ambiguous if c.quantity is not None}
    tables = [c for c in extraction.candidates if c.quantity is None]
    read |= {(s, e) for (s, e) in quantities if any(c.end == e and c.start <= s for c in tables)}
    return read


def dropped_figures(doc_id: str, extraction: Extraction) -> list[DroppedFigure]:
    """The numbers the extractor set aside, each once, in text order, with the words before it."""
    text = extraction.text
    taken = _read_spans(extraction, [(d.quantity.start, d.quantity.end) for d in extraction.dropped])
    out: dict[tuple[int, int], DroppedFigure] = {}
    for d in extraction.dropped:
        q = d.quantity
        span = (q.start, q.end)
        if span in taken or span in out:
            continue
        start = _line_start(text, q.start)
        out[span] = DroppedFigure(
            doc_id=doc_id,
            reason=d.reason,
            quote=text[start : q.end],
            start=start,
            end=q.end,
            value=q.value,
            surface=q.surface,
        )
    return [out[span] for span in sorted(out)]


_NO_YEAR = "报告没有写明年度，无法确定这个数字属于哪一年；请在导入时指定报告年度"


def _rejection(rec: dict[str, Any], reason: str) -> Rejection:
    candidate = {k: v for k, v in rec.items() if k != "quote"}
    if isinstance(candidate.get("value"), float) and not math.isfinite(candidate["value"]):
        candidate["value"] = str(candidate["value"])  # 1e999万元: JSON has no infinity
    return Rejection(
        doc_id=rec["doc_id"],
        reason=reason,
        quote=rec["quote"],
        start=rec["start"],
        end=rec["end"],
        rule_id=rec["rule_id"],
        candidate=candidate,
    )


def _problem_of(c: Candidate, problems: Mapping[tuple[int, int], Quantity]) -> str | None:
    """Why the number ``c`` was read from cannot be a figure (numbers.Quantity.problem), if so."""
    if c.quantity is not None:
        return c.quantity.problem
    # a table cell's figure keeps no quantity: the refused number ending where it ends
    q = next((q for (s, e), q in problems.items() if e == c.end and c.start <= s), None)
    return q.problem if q is not None else None


def _unread_problems(
    doc_id: str, text: str, extraction: Extraction, problems: Mapping[tuple[int, int], Quantity]
) -> list[Rejection]:
    """Refused numbers that no figure was read from still go to rejections: none disappears."""
    read = _read_spans(extraction, problems)
    dropped = {(d.quantity.start, d.quantity.end): d.reason for d in extraction.dropped}
    out: list[Rejection] = []
    for span, q in problems.items():
        if span in read:
            continue
        start = _line_start(text, q.start)
        why = f"（也未能读作基金数据：{dropped[span]}）" if span in dropped else ""
        value = q.value if math.isfinite(q.value) else str(q.value)
        out.append(
            Rejection(
                doc_id=doc_id,
                reason=f"{q.problem}{why}",
                quote=text[start : q.end],
                start=start,
                end=q.end,
                rule_id="numbers.refused",
                candidate={"surface": q.surface, "value": value, "unit_class": q.unit_class.value},
            )
        )
    return out


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    progress: Callable[[Outcome], None] | None = None,
    batch_size: int = 50,
    overrides: Mapping[str, ReportOverride] | None = None,
    n_workers: int | None = None,
) -> list[Outcome]:
    """Load every file; one file's failure never stops the others or leaves rows behind.

    Files are read and checked one by one (a file that fails there never reaches the
    database); those that pass are written in batches, one transaction each, and a batch
    that fails to write is retried one document per transaction, so each document is
    written whole or not at all and only the documents that cannot be written fail.
    ``overrides`` (by document id) add to the region/year settings stored in the database.
    Files are read in ``n_workers`` processes (default: one per core, see pipelines/workers.py)
    while this process writes (its DuckDB then on one thread: the workers keep the cores busy).
    """
    outcomes: list[Outcome] = []
    pending: list[tuple[Outcome, DocumentRows]] = []
    existing = store.document_ids(con)
    # region/year a steward set: those stored for earlier ingests, and those given now
    overrides = {**store.report_overrides(con), **(overrides or {})}

    def flush() -> None:
        _write(con, pending)
        for outcome, _ in pending:
            if outcome.ok:
                existing.add(outcome.doc_id or "")
            if progress:
                progress(outcome)
        pending.clear()

    read = functools.partial(_read, overrides=overrides)
    parallel = (workers.default_workers() if n_workers is None else n_workers) > 1
    with store.one_thread(con) if parallel else contextlib.nullcontext():
        for path, p in workers.readings(list(paths), read, _crashed, n_workers):
            if isinstance(p, str):
                outcome = Outcome(path, ok=False, error=p)
            else:
                if any(q.doc.doc_id == p.doc.doc_id for _, q in pending):
                    flush()  # the same file twice: the second reading replaces the first
                outcome = Outcome(
                    path,
                    ok=True,
                    doc_id=p.doc.doc_id,
                    n_facts=len(p.facts),
                    n_rejections=len(p.rejections),
                    n_checks=len(p.checks),
                    replaced=p.doc.doc_id in existing,
                    warnings=list(p.doc.warnings),
                )
                outcomes.append(outcome)
                pending.append((outcome, p))
                if len(pending) >= batch_size:
                    flush()
                continue
            outcomes.append(outcome)
            if progress:
                progress(outcome)
        flush()
    return outcomes


def _read(path: Path, overrides: Mapping[str, ReportOverride]) -> DocumentRows | str:
    """One file processed, or why it could not be (run in a worker process: see pipelines/workers.py)."""
    try:
        return process_file(path, overrides=overrides)
    except ReadError as exc:
        return str(exc)
    except Exception as exc:  # an extractor bug must not take the batch down; say which file
        return f"{display_name(path)}: 处理时出错（{type(exc).__name__}: {exc}）"


_WARM_UP_TEXT = (
    "2023年某县医疗保障局基金运行情况\n一、城乡居民基本医疗保险\n基金收入1.2亿元，基金支出1.1亿元。\n"
)


def warm_up() -> None:
    """Compile the rules and load the region table in this process, as reading a first file
    would: the workers' fork server does it once (pipelines/warm.py), so that every worker forked
    from it starts ready instead of each paying for it on its first file."""
    text = normalize(_WARM_UP_TEXT).text
    read_figures(text)
    checks.default_config()
    detect_genre(text, report_title(text))
    extractor_version()


def _crashed(path: Path) -> str:
    return f"{display_name(path)}: 处理时读取进程意外退出（文件可能过大或已损坏），未导入"


def _write(con: duckdb.DuckDBPyConnection, pending: list[tuple[Outcome, DocumentRows]]) -> None:
    try:
        store.replace_documents(con, [p for _, p in pending], extractor_version())
        return
    except Exception:
        pass
    for outcome, p in pending:
        try:
            store.replace_documents(con, [p], extractor_version())
        except Exception as exc:
            outcome.ok = False
            outcome.error = (
                f"{display_name(outcome.path)}: 写入数据库失败，已回滚（{type(exc).__name__}: {exc}）"
            )
