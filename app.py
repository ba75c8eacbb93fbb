"""医保基金运行分析 — the dashboard's entry point: page setup, shared filters, navigation."""

import streamlit as st

from dashboard.web import bootstrap, filters, navigation, present, session, ui

navigation.require_entrypoint()  # the first run after a server start: leave the old pages-folder mode
st.set_page_config(page_title="医保基金运行分析", page_icon="🏥", layout="wide")
ui.apply_style()
bootstrap.ensure_database()
filters.sidebar()
if present.active():
    page = st.navigation(navigation.pages(), position="hidden")
    present.frame(page)
else:
    session.sidebar()
    page = st.navigation(navigation.pages())
page.run()
