"""The dashboard's command line: `python -m dashboard SUBCOMMAND …`.

    python -m dashboard deck --db PATH --region CODE [--region CODE …] --out FILE.pptx
                             [--from YEAR] [--to YEAR] [--basis actual|budget|estimate] [--fund CODE …]
    python -m dashboard add-user NAME [--password-stdin] [--users FILE]

Exit status: 0 on success, 2 for a usage error (bad arguments, missing database file, unknown
region or fund, no data for the request; the problem named on stderr), 1 for an unexpected
failure.  One function per subcommand: `_add_NAME(subparsers)` declares it, `_run_NAME(args)`
runs it.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

USAGE_ERROR, FAILURE = 2, 1


class UsageError(Exception):
    """A problem with what was asked (exit status 2)."""


def _add_deck(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deck",
        help="生成汇报演示文稿（.pptx）",
        description="为所选地区和年度生成医保基金运行分析汇报（PowerPoint，图表可编辑）。",
    )
    parser.add_argument("--db", required=True, type=Path, help="MedFund 数据库文件（.duckdb）")
    parser.add_argument(
        "--region", required=True, action="append", metavar="CODE", help="地区代码（可重复，如 431124）"
    )
    parser.add_argument("--out", required=True, type=Path, help="输出文件（.pptx）")
    parser.add_argument(
        "--from", dest="first_year", type=int, metavar="YEAR", help="起始年度（默认：数据最早年度）"
    )
    parser.add_argument(
        "--to", dest="last_year", type=int, metavar="YEAR", help="结束年度（默认：数据最近年度）"
    )
    parser.add_argument(
        "--basis", default="actual", choices=("actual", "budget", "estimate"), help="口径（默认 actual 实际）"
    )
    parser.add_argument(
        "--fund",
        action="append",
        default=[],
        metavar="CODE",
        help="险种代码（可重复；默认为设置中的默认险种）",
    )
    parser.set_defaults(run=_run_deck)


def _run_deck(args: argparse.Namespace) -> int:
    from dashboard.core import database
    from dashboard.core.deck import DeckRequest, write_deck

    if args.out.suffix.lower() != ".pptx":
        raise UsageError(f"输出文件须以 .pptx 结尾：{args.out}")
    if not args.db.is_file():
        raise UsageError(f"数据库文件不存在：{args.db}")
    request = DeckRequest(
        regions=tuple(args.region),
        first_year=args.first_year,
        last_year=args.last_year,
        basis=args.basis,
        funds=tuple(args.fund),
    )
    try:
        out = write_deck(args.db, request, args.out)
    except (ValueError, database.DatabaseMissing, database.DatabaseBusy) as exc:
        raise UsageError(str(exc)) from exc
    from pptx import Presentation

    slides = len(Presentation(str(out)).slides)
    print(f"已生成汇报：{out}（{slides} 页幻灯片）")
    return 0


def _add_add_user(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "add-user",
        help="添加校核人（编辑）账号，或为已有账号设置新密码",
        description="在用户配置文件（不在 git 中；默认 ~/.config/medfund/users.json，或环境变量 "
        "MEDFUND_USERS 所指的文件）中添加校核人账号；密码以 argon2id 散列保存。",
    )
    parser.add_argument("name", help="用户名")
    parser.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（脚本用）")
    parser.add_argument("--users", type=Path, help="用户配置文件（默认见上）")
    parser.set_defaults(run=_run_add_user)


def _run_add_user(args: argparse.Namespace) -> int:
    import getpass

    from dashboard.core import auth

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"{args.name} 的密码：")
        if getpass.getpass("再输入一次：") != password:
            raise UsageError("两次输入的密码不一致")
    path = args.users or auth.users_path()
    existed = args.name in auth.load_users(path)
    try:
        auth.add_user(args.name, password, path=path)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print(f"已{'更新' if existed else '添加'}校核人 {args.name}（{path}）")
    return 0


# every subcommand, in the order of `--help`
SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_deck, _add_add_user)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="MedFund 仪表盘的命令行工具")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or the help)
        return exc.code if isinstance(exc.code, int) else USAGE_ERROR
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return FAILURE
    except Exception as exc:
        traceback.print_exc()
        print(f"失败：{exc}", file=sys.stderr)
        return FAILURE
