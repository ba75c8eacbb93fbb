"""Placeholder page (being built)."""

import streamlit as st

from dashboard import filters

filters.active()
st.title("…")
