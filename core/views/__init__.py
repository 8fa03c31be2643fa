"""View models: the figures a page shows, computed without Streamlit so they can be tested."""
