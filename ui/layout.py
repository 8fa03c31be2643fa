"""Page setup shared by every page: wide layout, title, and a sidebar note on the loaded pool."""

from __future__ import annotations

import streamlit as st

from . import state

APP_TITLE = "Sortition workbench"


def page_setup(title: str, icon: str = ":material/groups:") -> None:
    """Configure the page (wide, titled) and show which pool is loaded in the sidebar."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=icon, layout="wide")
    instance = state.current_instance()
    with st.sidebar:
        if instance is None:
            st.caption("No pool loaded yet.")
        else:
            edited = instance is not state.loaded_instance()
            st.caption(f"**Pool:** {state.source()}  \n{instance.n:,} volunteers · panel of {instance.k}"
                       + ("  \n*quotas edited*" if edited else ""))


def percent(x: float, digits: int = 1) -> str:
    """0.1234 -> '12.3%'."""
    return f"{100 * x:.{digits}f}%"


def share_columns(*names: str) -> dict:
    """column_config entries showing fractions as percentages."""
    return {name: st.column_config.NumberColumn(name, format="percent") for name in names}
