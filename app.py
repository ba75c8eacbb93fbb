"""医保基金运行分析 — the dashboard's entry point: page setup, shared filters, navigation."""

import streamlit as st

from dashboard.web import bootstrap, data, filters, navigation, present, session, ui

navigation.require_entrypoint()  # the first run after a server start: leave the old pages-folder mode
st.set_page_config(page_title="医保基金运行分析", page_icon="🏥", layout="wide")
ui.apply_style()
presenting = present.active()
# the navigation first, so that the menu (and the page a retry comes back to) stays whatever happens
page = st.navigation(navigation.pages(), position="hidden" if presenting else "sidebar", expanded=True)
with data.guard():  # every read path: a database error becomes a message with a retry, not a traceback
    bootstrap.ensure_database()
    filters.sidebar()
    if presenting:
        present.frame(page)
    else:
        session.sidebar()
    page.run()
