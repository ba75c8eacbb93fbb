"""The house rules of the code layout: the core never imports Streamlit, imports only flow
downwards (pages → dashboard.web → dashboard.core → pipelines), and Streamlit's internals
are reached from one module only."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# every module that must work without Streamlit: the pipeline, the dashboard's core, its CLI
CORE_PACKAGES = ("pipelines", "dashboard/core")
CORE_MODULES = ("dashboard", "dashboard.cli")

BLOCKED_IMPORT = """
import importlib, pkgutil, sys

class NoStreamlit:
    def find_spec(self, name, path=None, target=None):
        if name == "streamlit" or name.startswith("streamlit."):
            raise ImportError(f"{name} is blocked: the core must not import Streamlit")

sys.meta_path.insert(0, NoStreamlit())
names = sys.argv[1:]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.startswith(("pipelines", "dashboard")))
print("\\n".join(loaded))
"""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> list[str]:
    names = list(CORE_MODULES)
    for package in CORE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name != "__main__.py":  # runs the command line on import
                names.append(module_name(path))
    return names


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (absolute names), wherever in the file the import is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_every_core_module_imports_with_streamlit_blocked():
    names = core_modules()
    assert len(names) > 30 and "dashboard.core.deck" in names and "pipelines.extract" in names
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORT, *names], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(result.stdout.split())
    assert set(names) <= loaded
    assert not any(m.startswith("dashboard.web") for m in loaded), "the core pulled in the web layer"


def test_the_blocker_really_blocks_streamlit():
    """The test above would pass vacuously if the blocker let Streamlit through."""
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORT, "dashboard.web.data"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode != 0 and "streamlit is blocked" in result.stderr


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("pipelines", ("dashboard", "streamlit", "pages")),
        ("dashboard/core", ("dashboard.web", "streamlit", "pages")),
        ("dashboard/web", ("pages",)),
    ],
)
def test_imports_flow_downwards(folder, forbidden):
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    }
    assert not wrong, sorted(wrong)


def test_pages_reach_the_database_only_through_the_cached_module():
    """Pages lay out what the core returns: no SQL, no connections of their own (they may name
    the database's exception classes to catch them)."""
    pages = sorted((ROOT / "pages").glob("*.py"))
    assert len(pages) >= 11
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "duckdb" not in imported_modules(page), page.name
        assert not re.search(
            r"database\.(run_query|run_file_query|open_database)|\.execute\(|\.sql\(", text
        ), page.name
        assert not re.search(r"\bSELECT\b[\s\S]*?\bFROM\b", text), page.name


def test_streamlit_internals_are_reached_from_one_module():
    users = {
        str(path.relative_to(ROOT))
        for folder in ("dashboard", "pages", "pipelines")
        for path in (ROOT / folder).rglob("*.py")
        if any(n.startswith("streamlit.runtime") for n in imported_modules(path))
    }
    users |= (
        {"app.py"}
        if any(n.startswith("streamlit.runtime") for n in imported_modules(ROOT / "app.py"))
        else set()
    )
    assert users == {"dashboard/web/streamlit_private.py"}


def test_the_streamlit_internal_we_rely_on_still_exists():
    """If a Streamlit upgrade renames the pages-directory flag, deep links after a server start
    would silently run pages without app.py: fail here instead (see streamlit_private)."""
    from streamlit.runtime.pages_manager import PagesManager

    from dashboard.web import streamlit_private

    assert isinstance(PagesManager.__dict__.get("uses_pages_directory"), bool | type(None))
    before = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        assert streamlit_private.in_pages_directory_mode()
        streamlit_private.leave_pages_directory_mode()
        assert not streamlit_private.in_pages_directory_mode()
    finally:
        PagesManager.uses_pages_directory = before


DESCRIPTION_COLUMN = 32


def _layout_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Layout")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _layout_paths() -> set[str]:
    """Paths the layout block names: indented entries are relative to the folder above them."""
    block = _layout_section().split("```")[1]
    paths: set[str] = set()
    parents: list[tuple[int, str]] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent >= DESCRIPTION_COLUMN:  # a description carried on to the next line
            continue
        names = line.strip().split("  ")[0]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        prefix = parents[-1][1] if parents else ""
        for name in (n.strip() for n in names.split(",")):
            full = prefix + name
            if name.endswith("/"):
                parents.append((indent, full))
            paths.add(full.rstrip("/"))
    return paths


def test_the_readme_layout_lists_every_source_file():
    listed = _layout_paths()
    pages = _layout_section()
    files = [
        p
        for folder in ("pipelines", "dashboard", "scripts", "benchmarks")
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and p.suffix in {".py", ".sql", ".yaml"} and "__pycache__" not in p.parts
    ]
    assert len(files) > 60
    unlisted = set()
    for path in files:
        rel = str(path.relative_to(ROOT))
        if path.name == "__init__.py" or rel in listed:
            continue
        if path.parent.name == "migrations" and "sql/migrations/NNNN_*.sql" in pages:
            continue
        unlisted.add(rel)
    page_names = {p.stem for p in (ROOT / "pages").glob("*.py")}
    unlisted |= {f"pages/{n}.py" for n in page_names if n not in pages}
    assert not unlisted, f"add these to README's Layout section: {sorted(unlisted)}"


def test_every_path_the_readme_layout_names_exists():
    missing = {p for p in _layout_paths() if "*" not in p and not (ROOT / p).exists()}
    assert not missing, sorted(missing)
