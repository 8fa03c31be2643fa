"""Home: what is loaded and where to go next first; then load a bundled example or your own pool
and quotas; then the loaded pool per value.

Loading happens in button callbacks (before the page is drawn), so the sidebar and the summary at
the top always name the pool that is actually loaded."""

from __future__ import annotations

import streamlit as st

from core.io.examples import list_examples, load_example
from core.io.loaders import load_instance
from core.views.summary import category_overview, instance_summary
from ui import state
from ui.audit import example_hashes, upload_hashes
from ui.escape import md
from ui.layout import (
    name_columns,
    number_or_dash,
    page_setup,
    percent_table,
    table_height,
    unknown_shares_note,
)
from ui.messages import show_error, show_problems

DEFAULT_EXAMPLE = "climate_300"
LOAD_ERROR = "home_load_error"  # session key: (exception, context) of the last failed load, shown once


def load_chosen_example() -> None:
    """Callback of the example button: load the example picked in the select box."""
    chosen = st.session_state["example_choice"]
    try:
        instance, extra = load_example(chosen)
        state.set_loaded(instance, extra, f"example “{chosen}”", files=example_hashes(chosen), example=chosen)
    except Exception as error:  # noqa: BLE001 - every failure is shown as a message
        st.session_state[LOAD_ERROR] = (error, f"Loading the example {chosen}")


def load_uploaded_files() -> None:
    """Callback of the upload button: load the two uploaded files with k and the optional columns."""
    pool_file, quota_file = st.session_state.get("pool_upload"), st.session_state.get("quota_upload")
    if pool_file is None or quota_file is None:
        return
    id_column = st.session_state.get("upload_id_column", "").strip() or None
    household = [c.strip() for c in st.session_state.get("upload_household", "").split(",") if c.strip()] or None
    pool_bytes, quota_bytes = pool_file.getvalue(), quota_file.getvalue()
    try:
        instance = load_instance(pool_bytes, quota_bytes, int(st.session_state["upload_k"]),
                                 id_column=id_column, household=household,
                                 pool_name=pool_file.name, quotas_name=quota_file.name)
        state.set_loaded(instance, state.uploaded_extras(quota_bytes, quota_file.name),
                         f"{pool_file.name} + {quota_file.name}",
                         files=upload_hashes(pool_file.name, pool_bytes, quota_file.name, quota_bytes))
    except Exception as error:  # noqa: BLE001 - every failure is shown as a message
        st.session_state[LOAD_ERROR] = (error, "Loading the uploaded files")


if state.current_instance() is None and not st.session_state.get("tried_default"):
    st.session_state["tried_default"] = True
    try:
        default_instance, default_extra = load_example(DEFAULT_EXAMPLE)
        state.set_loaded(default_instance, default_extra, f"example “{DEFAULT_EXAMPLE}”",
                         files=example_hashes(DEFAULT_EXAMPLE), example=DEFAULT_EXAMPLE)
    except Exception as error:  # noqa: BLE001
        st.session_state[LOAD_ERROR] = (error, f"Loading the default example {DEFAULT_EXAMPLE}")

page_setup("Home", ":material/home:")
st.title("Sortition workbench")
st.markdown(
    "A **citizens' assembly** is chosen by lottery: the people who answer invitations form the **pool** of "
    "volunteers, and a **panel** of *k* members is drawn from it so that it meets **quotas** (for example "
    "*between 13 and 17 women*). Different selection algorithms give volunteers very different chances — "
    "their **selection probability**. Load a pool, tune the quotas, compare the algorithms and draw the panel "
    "in a way anyone can check."
)

if LOAD_ERROR in st.session_state:
    show_error(*st.session_state.pop(LOAD_ERROR))

# ---- what is loaded, and where to go next --------------------------------------------------------
instance = state.current_instance()
if instance is None:
    st.info("Nothing is loaded yet: pick an example or upload a pool and quotas below.")
else:
    summary = instance_summary(instance, state.extras())
    with st.container(border=True):
        st.subheader(f"Loaded: {md(state.source())}")
        if state.extras().get("description"):
            st.caption(state.extras()["description"])
        columns = st.columns(5)
        columns[0].metric("Volunteers (n)", f"{summary['n']:,}")
        columns[1].metric("Panel size (k)", summary["k"])
        columns[2].metric("Categories", summary["categories"])
        columns[3].metric("Types", f"{summary['types']:,}",
                          help="Groups of volunteers with identical values in every category.")
        columns[4].metric("Fair chance k/n", f"{100 * summary['fair']:.1f}%",
                          help="Each volunteer's selection probability if everyone had the same chance.")
        st.markdown("**Next:** tune the quotas, or go straight to comparing the algorithms, then draw the panel.")
        links = st.columns(3)
        links[0].page_link("pages/1_Pool_and_quotas.py", label="1. Pool and quotas", icon=":material/tune:")
        links[1].page_link("pages/2_Compare.py", label="2. Compare algorithms", icon=":material/compare_arrows:")
        links[2].page_link("pages/3_Lottery.py", label="3. Draw the panel", icon=":material/casino:")
    if instance.warnings:
        show_problems(instance.warnings)

# ---- load another pool ---------------------------------------------------------------------------
st.subheader("Load another pool" if instance is not None else "Load a pool")
examples = list_examples()
names = [e.name for e in examples]
sizes = {e.name: e.n for e in examples}
left, right = st.columns(2, gap="large")

with left:
    st.markdown("**A bundled example**")
    loaded_example = state.loaded_example()
    if "example_choice" not in st.session_state:
        preferred = loaded_example or DEFAULT_EXAMPLE
        st.session_state["example_choice"] = preferred if preferred in names else names[0]
    chosen = st.selectbox("Example", names, key="example_choice",
                          format_func=lambda name: f"{name} ({sizes[name]:,} volunteers)")
    st.caption(next(e.description for e in examples if e.name == chosen))
    if chosen == loaded_example and instance is state.loaded_instance():
        st.button(f"✓ {chosen} is loaded", key="load_example", disabled=True,
                  help="Pick another example to load it, or edit the quotas on the Pool and quotas page.")
    elif chosen == loaded_example:
        st.button(f"Reload {chosen} (drops the quota edits)", key="load_example", on_click=load_chosen_example)
    else:
        st.button(f"Load {chosen}", type="primary", key="load_example", on_click=load_chosen_example)

with right:
    st.markdown("**Your own files**")
    st.caption("Pool: one row per volunteer, one column per category. Quotas: either "
               "`category, feature, min, max` or `feature, value, min, max` (optionally "
               "`min_flex, max_flex`, `population_share`). CSV or Excel (.xlsx).")
    pool_file = st.file_uploader("Pool of volunteers", type=["csv", "xlsx"], key="pool_upload")
    quota_file = st.file_uploader("Quotas", type=["csv", "xlsx"], key="quota_upload")
    k_column, id_column_column = st.columns(2)
    k_column.number_input("Panel size k", min_value=1, value=30, step=1, key="upload_k")
    id_column_column.text_input("Id column (optional)", key="upload_id_column",
                                help="Default: a column named id, otherwise volunteers are numbered by row.")
    st.text_input("Household columns (optional, comma-separated)", key="upload_household",
                  help="Volunteers sharing all these columns live together; a panel takes at most one of them.")
    st.button("Load uploaded files", disabled=pool_file is None or quota_file is None, key="load_upload",
              type="primary" if pool_file is not None and quota_file is not None else "secondary",
              on_click=load_uploaded_files)

# ---- the loaded pool per value -------------------------------------------------------------------
if instance is not None:
    st.subheader("The pool per value")
    overview, shares = percent_table(category_overview(instance), ["pool share", "population share"])
    overview, seats = number_or_dash(overview, "proportional seats")
    st.dataframe(overview, hide_index=True, width="stretch", height=table_height(len(overview)),
                 column_config={**name_columns(), **shares, **seats})
    unknown_shares_note(instance)
