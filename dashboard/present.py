"""Presentation mode for the projector (placeholder until implemented)."""

from __future__ import annotations

import streamlit as st


def active() -> bool:
    """True while the session is in presentation mode."""
    return False


def frame(page: st.Page) -> None:
    """Style and step controls around the current page in presentation mode."""
