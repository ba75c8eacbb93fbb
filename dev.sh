#!/usr/bin/env bash
# MedFund developer entry point.
#   ./dev.sh run     set up .venv, load data/reports and data/reports/public into data/medfund.duckdb
#                    with the public texts' reviews applied (idempotent), start the dashboard
#   ./dev.sh test    set up .venv and the Debian packages the tests use, run ruff and the whole test suite
#                    (on every core: pytest-xdist, see pyproject.toml; extra arguments go to pytest)
#   ./dev.sh bench   benchmarks: ingest (documents/s, one core and all), dashboard (AppTest) and pages in chromium
#                    (bundled reports and a synthetic national-scale database)
#   ./dev.sh setup   only create/refresh the virtual environment
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv
DB=${MEDFUND_DB:-data/medfund.duckdb}
PORT=${MEDFUND_PORT:-8501}
# exact versions of every dependency (pip-compile; refresh command in README "Tests and measurements")
CONSTRAINTS=requirements/constraints.txt

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$(cat pyproject.toml "$CONSTRAINTS" | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -c "$CONSTRAINTS" -e '.[dev]'
        rm -f "$VENV"/.installed-* && touch "$stamp"
    fi
}

# Debian packages the tests use: chromium (driven by Playwright; Playwright's own browser
# downloads fail without internet), CJK fonts, LibreOffice Impress and poppler (the deck is
# rendered to PDF and PNG pages once).
system_packages() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-noto-cjk)
    command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-impress)
    command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
    if [ ${#missing[@]} -eq 0 ]; then
        return
    fi
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "安装测试用的 Debian 软件包：${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

case "${1:-run}" in
    setup)
        setup
        ;;
    run)
        setup
        if [ ! -f "$DB" ]; then
            echo "首次启动：从 data/reports（含 public/ 中的公开文本）建立数据库 $DB"
        fi
        # idempotent: unchanged reports are rewritten identically, new ones are added
        "$VENV/bin/python" -m pipelines ingest --quiet --db "$DB" data/reports data/reports/public || true
        # the public texts' human review (blind labels of tests/corpus) as 语料标注's corrections;
        # idempotent: a second run finds nothing left to do
        "$VENV/bin/python" -m pipelines review --db "$DB" data/reports/public/reviews.csv || true
        echo "启动仪表盘：http://localhost:$PORT"
        # the launcher warms the app (imports, the database snapshot, the first page) before it serves
        MEDFUND_DB="$DB" exec "$VENV/bin/python" -m dashboard.web.serve --server.port "$PORT" \
            --server.headless true --browser.gatherUsageStats false
        ;;
    test)
        setup
        system_packages
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        "$VENV/bin/python" -m pytest -q "${@:2}"
        ;;
    bench)
        setup
        system_packages
        "$VENV/bin/python" -m benchmarks.ingest_bench
        "$VENV/bin/python" -m benchmarks.dashboard_bench "${@:2}"
        # the default data set's database as ./dev.sh run builds it, apart from data/medfund.duckdb
        rm -f benchmarks/out/bundled.duckdb
        "$VENV/bin/python" -m pipelines ingest --quiet --db benchmarks/out/bundled.duckdb data/reports data/reports/public
        "$VENV/bin/python" -m pipelines review --db benchmarks/out/bundled.duckdb data/reports/public/reviews.csv
        "$VENV/bin/python" -m benchmarks.browser_bench --db benchmarks/out/bundled.duckdb \
            --db benchmarks/out/synthetic.duckdb
        ;;
    *)
        echo "usage: ./dev.sh [run|test|bench|setup]" >&2
        exit 2
        ;;
esac
