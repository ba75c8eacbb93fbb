"""Command line: ``python -m pipelines ingest --db PATH FILE_OR_DIR...`` and ``summary``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from pipelines import store
from pipelines.ingest import Outcome, expand_paths, ingest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="MedFund 医保基金数据管道")
    sub = parser.add_subparsers(dest="command", required=True)
    p_ingest = sub.add_parser("ingest", help="读取报告（txt/docx/pdf/html）并写入 DuckDB 数据库")
    p_ingest.add_argument("--db", required=True, type=Path, help="DuckDB 文件路径（不存在则创建）")
    p_ingest.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR")
    p_ingest.add_argument("-q", "--quiet", action="store_true", help="只输出错误")
    p_summary = sub.add_parser("summary", help="概览数据库中的报告、数据和核查结果")
    p_summary.add_argument("--db", required=True, type=Path)
    args = parser.parse_args(argv)
    if args.command == "ingest":
        return _ingest(args.db, args.paths, args.quiet)
    return _summary(args.db)


def _ingest(db: Path, paths: list[Path], quiet: bool) -> int:
    files, skipped = expand_paths(paths)
    for s in skipped:
        if not quiet:
            print(f"跳过 {s.name}：不是支持的报告格式", file=sys.stderr)
    if not files:
        print("没有找到可读取的报告文件（txt、docx、pdf、html）", file=sys.stderr)
        return 2

    def report(o: Outcome) -> None:
        if not o.ok:
            print(f"失败 {o.error}", file=sys.stderr)
        elif not quiet:
            again = "（已存在，已替换）" if o.replaced else ""
            print(
                f"已载入 {o.path.name}{again}：{o.n_facts} 条数据，{o.n_rejections} 条待核查，{o.n_checks} 条核查提示"
            )
            for w in o.warnings:
                print(f"  提示：{w}")

    try:
        con = store.connect(db)
    except (duckdb.Error, OSError, store.SchemaTooNew) as exc:
        print(f"无法打开数据库 {db}：{exc}", file=sys.stderr)
        return 2
    try:
        outcomes = ingest(con, files, progress=report)
    finally:
        con.close()
    failed = [o for o in outcomes if not o.ok]
    if not quiet:
        print(f"共 {len(outcomes)} 个文件：成功 {len(outcomes) - len(failed)}，失败 {len(failed)}")
    return 1 if failed else 0


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
            print(f"{name[:32]:<34}{(region or '?'):<8}{year or '?'!s:<6}{n:>5}{errors:>5}  {genre}")
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
