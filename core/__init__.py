"""Sortition workbench: fair selection of citizens' panels from a pool of volunteers.

The library behind the app and the command line: data model and loaders, the quota panel model,
the selection algorithms, metrics and the lottery. It never imports Streamlit.
"""

__version__ = "0.1.0"
