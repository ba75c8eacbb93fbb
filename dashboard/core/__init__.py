"""The dashboard core: queries, analysis, charts, units, tracing, exports, deck, accounts and the
stewardship service. Nothing here imports Streamlit (a test makes sure)."""
