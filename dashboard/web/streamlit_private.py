"""The one place that reaches into Streamlit's internals (no public API exists for these).

A `pages/` folder beside app.py makes Streamlit start in its old pages-directory mode until
app.py has called st.navigation once; a link straight to a page, as the first request after
the server starts, would then run the page without app.py (no sidebar, no first start).
Streamlit only records that mode on `PagesManager.uses_pages_directory`.
tests/test_layering.py fails if a Streamlit upgrade moves or renames it.
"""

from __future__ import annotations

from streamlit.runtime import Runtime
from streamlit.runtime.pages_manager import PagesManager


def in_pages_directory_mode() -> bool:
    return bool(PagesManager.uses_pages_directory)


def leave_pages_directory_mode() -> None:
    PagesManager.uses_pages_directory = False


def drop_stand_in_runtime() -> None:
    """AppTest (the warm-up of dashboard/web/serve.py) puts a stand-in in `Runtime._instance` and
    takes it away only after a run that ends, not after a timeout; the server could not then
    create its own runtime."""
    Runtime._instance = None
