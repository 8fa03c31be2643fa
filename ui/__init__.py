"""Streamlit helpers shared by the workbench pages: session state, messages, cached runs, charts.

Pages import from here; `core/` never imports Streamlit or this package. This package lives
outside `pages/` because Streamlit treats every .py file in `pages/` as a page.
"""
