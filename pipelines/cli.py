"""Command line: ``python -m pipelines ingest --db PATH FILE_OR_DIR...`` and ``summary``.

``ingest`` exits 0 when every file loaded, 1 when some file failed, 2 for a usage error (or a
database that cannot be opened), 3 when another process (another ingest) kept the database for
longer than ``--wait`` seconds (default ``MEDFUND_LOCK_WAIT``, else 60).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

import duckdb

from pipelines import reviews, store
from pipelines.ingest import Outcome, expand_paths, ingest
from pipelines.readers import display_name

LOCKED = 3  # exit status: the database stayed in use by another process for longer than --wait
EXIT_STATUSES = f"""退出状态：0 全部载入；1 有文件失败；2 用法错误或数据库无法打开；
{LOCKED} 数据库被另一个程序（例如另一个导入）占用，等待超时。"""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"等待时间须为不小于 0 的秒数，而不是 {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="MedFund 医保基金数据管道")
    sub = parser.add_subparsers(dest="command", required=True)
    p_ingest = sub.add_parser(
        "ingest",
        help="读取报告（txt/docx/pdf/html）并写入 DuckDB 数据库",
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_ingest.add_argument("--db", required=True, type=Path, help="DuckDB 文件路径（不存在则创建）")
    p_ingest.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR")
    p_ingest.add_argument("-q", "--quiet", action="store_true", help="只输出错误")
    p_ingest.add_argument(
        "--wait",
        type=_seconds,
        metavar="SECONDS",
        help=f"数据库被另一个程序占用时最多等待的秒数（默认取环境变量 {store.LOCK_WAIT_ENV}，"
        f"否则 {store.DEFAULT_LOCK_WAIT:g}）；超时退出状态为 {LOCKED}",
    )
    p_summary = sub.add_parser("summary", help="概览数据库中的报告、数据和核查结果")
    p_summary.add_argument("--db", required=True, type=Path)
    p_review = sub.add_parser(
        "review",
        help="把评审文件（如 data/reports/public/reviews.csv）作为校核记录应用到库中已有的报告",
        epilog="退出状态：0 全部应用；1 有报告应用失败（已回滚）；2 用法错误或数据库/评审文件无法打开；"
        f"{LOCKED} 数据库被占用，等待超时。",
    )
    p_review.add_argument("--db", required=True, type=Path, help="DuckDB 文件路径（须已存在）")
    p_review.add_argument("file", type=Path, metavar="REVIEWS_CSV")
    p_review.add_argument("-v", "--verbose", action="store_true", help="列出每条未能应用的标注")
    args = parser.parse_args(argv)
    if args.command == "review":
        return _review(args.db, args.file, args.verbose)
    if args.command == "ingest":
        wait = args.wait
        if wait is None:
            setting = os.environ.get(store.LOCK_WAIT_ENV, "").strip()
            try:
                wait = _seconds(setting) if setting else store.DEFAULT_LOCK_WAIT
            except argparse.ArgumentTypeError as exc:
                p_ingest.error(f"环境变量 {store.LOCK_WAIT_ENV}：{exc}")
        return _ingest(args.db, args.paths, args.quiet, wait)
    return _summary(args.db)


def _open(db: Path, **waiting: Any) -> duckdb.DuckDBPyConnection | int:
    """The database opened for writing, or the exit status after saying why it cannot be."""
    try:
        return store.connect(db, **waiting)
    except store.DatabaseLocked as exc:
        print(str(exc), file=sys.stderr)
        return LOCKED
    except (duckdb.Error, OSError, store.SchemaTooNew) as exc:
        print(f"无法打开数据库 {db}：{exc}", file=sys.stderr)
        return 2


def _ingest(db: Path, paths: list[Path], quiet: bool, wait: float = store.DEFAULT_LOCK_WAIT) -> int:
    files, skipped = expand_paths(paths)
    for s in skipped:
        if not quiet:
            print(f"跳过 {s}", file=sys.stderr)
    if not files:
        print("没有找到可读取的报告文件（txt、docx、pdf、html）", file=sys.stderr)
        return 2

    def report(o: Outcome) -> None:
        if not o.ok:
            print(f"失败 {o.error}", file=sys.stderr)
        elif not quiet:
            again = "（已存在，已替换）" if o.replaced else ""
            print(
                f"已载入 {display_name(o.path)}{again}：{o.n_facts} 条数据，{o.n_rejections} 条待核查，{o.n_checks} 条核查提示"
            )
            for w in o.warnings:
                print(f"  提示：{w}")

    def waiting(path: Path) -> None:  # said even with --quiet: it explains the pause
        print(f"数据库 {path} 正被另一个程序使用，正在等待（最多 {wait:g} 秒）…", file=sys.stderr, flush=True)

    con = _open(db, wait=wait, on_wait=waiting)
    if isinstance(con, int):
        return con
    try:
        outcomes = ingest(con, files, progress=report)
    finally:
        con.close()
    failed = [o for o in outcomes if not o.ok]
    if not quiet:
        print(f"共 {len(outcomes)} 个文件：成功 {len(outcomes) - len(failed)}，失败 {len(failed)}")
    return 1 if failed else 0


_ACTIONS = (
    ("region", "设定地区"),
    ("confirm", "确认"),
    ("reject", "否决"),
    ("correct", "更正"),
    ("add", "补录"),
)


def _review(db: Path, file: Path, verbose: bool) -> int:
    """Apply a reviews file (pipelines/reviews.py) to the reports already in the database."""
    if not db.exists():
        print(f"数据库不存在：{db}（请先导入报告）", file=sys.stderr)
        return 2
    try:
        listed = reviews.read(file)
    except (OSError, reviews.ReviewError) as exc:
        print(f"无法读取评审文件 {file}：{exc}", file=sys.stderr)
        return 2
    con = _open(db)
    if isinstance(con, int):
        return con
    try:
        summary = reviews.apply_file(con, file)
    finally:
        con.close()
    actions = summary.actions
    done = "，".join(f"{name} {actions[code]}" for code, name in _ACTIONS)
    skipped = sum(summary.not_applied.values())
    print(
        f"{reviews.AUTHOR}：{len(listed)} 份报告，{sum(len(r.labels) for r in listed)} 条标注；{done}；未应用的标注 {skipped}"
    )
    for reason, n in summary.not_applied.most_common():
        print(f"  {n:5}  {reason}")
    if verbose:
        for result in summary.reports:
            for label, reason, details in result.not_applied:
                print(f"    {result.file}: {label} — {reason}{'：' + details if details else ''}")
    for result in summary.failed:
        print(f"失败 {result.file}：{result.error}（已回滚，未作任何改动）", file=sys.stderr)
    return 1 if summary.failed else 0


def _summary(db: Path) -> int:
    if not db.exists():
        print(f"数据库不存在：{db}", file=sys.stderr)
        return 1
    try:
        con = store.connect(db, read_only=True)
    except (duckdb.Error, OSError, store.SchemaTooNew) as exc:
        print(f"无法打开数据库 {db}：{exc}", file=sys.stderr)
        return 1
    try:
        docs = con.execute(
            """
            SELECT d.file_name, d.region_name, d.report_year, d.genre, d.n_facts,
                   (SELECT count(*) FROM checks c WHERE c.doc_id = d.doc_id AND c.severity = 'error')
            FROM documents d ORDER BY d.region_name, d.report_year
            """
        ).fetchall()
        print(f"{'报告':<34}{'地区':<8}{'年度':<6}{'数据':>5}{'错误':>5}  类型")
        for name, region, year, genre, n, errors in docs:
            print(
                f"{display_name(Path(name))[:32]:<34}{(region or '?'):<8}{year or '?'!s:<6}{n:>5}{errors:>5}  {genre}"
            )
        rows = con.execute(
            """
            SELECT region_name, year, fund, income, expenditure, balance, cumulative_balance, months_of_reserves
            FROM indicators WHERE income IS NOT NULL OR expenditure IS NOT NULL
            ORDER BY region_name, year, fund
            """
        ).fetchall()
        print("\n基金收支（万元）")
        for region, year, fund, inc, exp, bal, cum, months in rows:
            cells = [
                _wan(inc),
                _wan(exp),
                _wan(bal),
                _wan(cum),
                f"{months:.1f}" if months is not None else "-",
            ]
            print(f"  {region:<6}{year}  {fund:<22}" + "".join(f"{c:>14}" for c in cells))
    finally:
        con.close()
    return 0


def _wan(v: float | None) -> str:
    return "-" if v is None else f"{v / 10_000:,.2f}"
