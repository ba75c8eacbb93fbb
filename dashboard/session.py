"""The editor's login in the sidebar (placeholder until implemented)."""

from __future__ import annotations


def sidebar() -> None:
    """Log in / log out for data stewards."""
