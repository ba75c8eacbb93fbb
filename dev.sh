#!/usr/bin/env bash
# MedFund developer entry point.
#   ./dev.sh run     set up .venv, load data/reports into data/medfund.duckdb (idempotent), show it
#   ./dev.sh test    set up .venv (with test tools) and run ruff and the whole test suite
#   ./dev.sh bench   ingest benchmark (prints documents/s, MB/s, peak memory)
#   ./dev.sh setup   only create/refresh the virtual environment
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv
DB=${MEDFUND_DB:-data/medfund.duckdb}

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
        rm -f "$VENV"/.installed-* && touch "$stamp"
    fi
}

case "${1:-run}" in
    setup)
        setup
        ;;
    run)
        setup
        if [ ! -f "$DB" ]; then
            echo "首次启动：从 data/reports 建立数据库 $DB"
        fi
        # idempotent: unchanged reports are rewritten identically, new ones are added
        "$VENV/bin/python" -m pipelines ingest --quiet --db "$DB" data/reports
        "$VENV/bin/python" -m pipelines summary --db "$DB"
        ;;
    test)
        setup
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        "$VENV/bin/python" -m pytest -q
        ;;
    bench)
        setup
        "$VENV/bin/python" benchmarks/ingest_bench.py "${@:2}"
        ;;
    *)
        echo "usage: ./dev.sh [run|test|bench|setup]" >&2
        exit 2
        ;;
esac
