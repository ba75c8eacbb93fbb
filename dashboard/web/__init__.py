"""The dashboard's web layer (Streamlit): cached data access, filters, navigation, presentation
mode, sessions, shared page pieces and forms. Pages lay out what dashboard.core returns."""
