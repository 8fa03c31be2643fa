"""Page setup shared by every page: wide layout, title, the sidebar links to every page and a
note on the loaded pool.

The sidebar links replace Streamlit's own page list (hidden in .streamlit/config.toml) only so the
home page is called "Home" rather than after its file name. Pages are still discovered from the
`pages/` folder: a new page file `pages/7_Some_name.py` appears as "Some name" with no other change
(add an icon to PAGE_ICONS if you like).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from . import state
from .escape import md

APP_TITLE = "Sortition workbench"
ROOT = Path(__file__).resolve().parent.parent
PAGE_ICONS = {
    "Pool and quotas": ":material/tune:",
    "Compare": ":material/compare_arrows:",
    "Lottery": ":material/casino:",
    "Intersections": ":material/grid_view:",
    "End to end": ":material/public:",
    "Classroom": ":material/school:",
    "Experiments": ":material/science:",
}
DEFAULT_ICON = ":material/article:"


def page_files() -> list[tuple[str, str]]:
    """(path relative to the app root, label) of every page in pages/, in Streamlit's order (number prefix)."""
    pages = []
    for path in (ROOT / "pages").glob("*.py"):
        if path.name.startswith((".", "_")):
            continue
        match = re.match(r"^(\d*)[_ -]*(.*)$", path.stem)
        number = int(match.group(1)) if match.group(1) else float("inf")
        pages.append((number, path.stem, f"pages/{path.name}", match.group(2).replace("_", " ")))
    return [(file, label) for _, _, file, label in sorted(pages)]


def navigation() -> None:
    """Links to Home and every page, in the sidebar."""
    st.page_link("streamlit_app.py", label="Home", icon=":material/home:")
    for file, label in page_files():
        st.page_link(file, label=label, icon=PAGE_ICONS.get(label, DEFAULT_ICON))


def page_setup(title: str, icon: str = ":material/groups:") -> None:
    """Configure the page (wide, titled) and show which pool is loaded in the sidebar."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=icon, layout="wide")
    instance = state.current_instance()
    with st.sidebar:
        st.markdown(f"### {APP_TITLE}")
        navigation()
        st.divider()
        if instance is None:
            st.caption("No pool loaded yet.")
        else:
            edited = instance is not state.loaded_instance()
            st.caption(f"**Pool:** {md(state.source())}  \n{instance.n:,} volunteers · panel of {instance.k}"
                       + ("  \n*quotas edited*" if edited else ""))


def percent(x: float, digits: int = 1) -> str:
    """0.1234 -> '12.3%'."""
    return f"{100 * x:.{digits}f}%"


def share_columns(*names: str) -> dict:
    """column_config entries showing fractions as percentages."""
    return {name: st.column_config.NumberColumn(name, format="percent") for name in names}


UNKNOWN = "–"  # shown in place of a figure that is not known (e.g. population shares of an upload)


def percent_table(table, columns, digits: int = 1, help: dict[str, str] | None = None):
    """(copy of `table` with the given fraction columns as percentages, matching column_config) for
    display with one fixed number of decimals; downloads should use the original table.
    A column with unknown (missing) figures becomes text with a dash in their place."""
    shown = table.copy()
    config = {}
    for name in columns:
        if shown[name].isna().any():
            shown[name] = [UNKNOWN if pd.isna(x) else f"{100 * x:.{digits}f}%" for x in shown[name]]
            config[name] = st.column_config.TextColumn(name, help=(help or {}).get(name))
        else:
            shown[name] = shown[name] * 100
            config[name] = st.column_config.NumberColumn(name, format=f"%.{digits}f%%", help=(help or {}).get(name))
    return shown, config


def number_or_dash(table, column: str, digits: int = 1, help: str | None = None):
    """(copy of `table` with `column` shown with `digits` decimals, its column_config); missing figures as a dash."""
    shown = table.copy()
    if shown[column].isna().any():
        shown[column] = [UNKNOWN if pd.isna(x) else f"{x:.{digits}f}" for x in shown[column]]
        return shown, {column: st.column_config.TextColumn(column, help=help)}
    return shown, {column: st.column_config.NumberColumn(column, format=f"%.{digits}f", help=help)}


def narrowed(config: dict, columns: dict[str, tuple[str, int]]) -> dict:
    """`config` with the given columns relabelled and set to a fixed pixel width: {name: (label, width)}.
    Columns not in `config` get a plain entry. Short labels and widths let a wide table fit 1400 px."""
    result = dict(config)
    for name, (label, width) in columns.items():
        result[name] = {**(result.get(name) or {}), "label": label, "width": width}
    return result


def name_columns(category: int = 150, value: int = 230) -> dict:
    """column_config giving "category" and "value" room for the full names (e.g. "Scotland and Northern Ireland")."""
    return {"category": st.column_config.TextColumn("category", width=category),
            "value": st.column_config.TextColumn("value", width=value)}


def unknown_shares_note(instance) -> None:
    """A caption saying population shares are unknown (the dashes in the tables), when they are."""
    if instance.population_shares is None:
        st.caption(f"{UNKNOWN} Population shares are unknown for this pool: the quota file has no "
                   "population_share column, so proportional seats cannot be computed.")


def table_height(rows: int, limit: int = 720) -> int:
    """Pixel height showing `rows` rows of a dataframe (with its header) up to `limit`."""
    return min(38 + 35 * rows, limit)
