"""Home: what sortition is, load a bundled example or your own pool and quotas, see what was loaded."""

from __future__ import annotations

import streamlit as st

from core.examples import list_examples, load_example
from core.loaders import load_instance
from core.summary import instance_summary, category_overview
from ui import state
from ui.escape import md
from ui.layout import page_setup, percent_table, table_height
from ui.messages import show_error, show_problems

DEFAULT_EXAMPLE = "climate_300"

page_setup("Home", ":material/home:")
st.title("Sortition workbench")
st.markdown(
    "A **citizens' assembly** is chosen by lottery. Invitations go out at random; the people who "
    "answer form the **pool** of volunteers. A **panel** of *k* members is then drawn from the pool "
    "so that it meets **quotas** (for example *between 13 and 17 women*). Volunteers who share every "
    "value are one **type**. Different selection algorithms give different volunteers very different "
    "chances — their **selection probability**. This workbench lets you load a pool, tune the quotas, "
    "compare the algorithms side by side and draw the panel in a way anyone can check."
)

examples = list_examples()
names = [e.name for e in examples]
left, right = st.columns(2, gap="large")

with left:
    st.subheader("Use a bundled example")
    chosen = st.selectbox("Example", names, index=names.index(DEFAULT_EXAMPLE) if DEFAULT_EXAMPLE in names else 0,
                          format_func=lambda name: f"{name} ({next(e.n for e in examples if e.name == name):,} volunteers)")
    info = next(e for e in examples if e.name == chosen)
    st.caption(info.description)
    if st.button("Load this example", type="primary", key="load_example"):
        try:
            instance, extra = load_example(chosen)
            state.set_loaded(instance, extra, f"example “{chosen}”")
        except Exception as error:  # noqa: BLE001 - every failure is shown as a message
            show_error(error, f"Loading the example {chosen}")

with right:
    st.subheader("Or upload your own")
    st.caption("Pool: one row per volunteer, one column per category. Quotas: either "
               "`category, feature, min, max` or `feature, value, min, max` (optionally "
               "`min_flex, max_flex`, `population_share`). CSV or Excel (.xlsx).")
    pool_file = st.file_uploader("Pool of volunteers", type=["csv", "xlsx"], key="pool_upload")
    quota_file = st.file_uploader("Quotas", type=["csv", "xlsx"], key="quota_upload")
    k_column, id_column_column = st.columns(2)
    k = k_column.number_input("Panel size k", min_value=1, value=30, step=1)
    id_column = id_column_column.text_input("Id column (optional)", help="Default: a column named id, "
                                            "otherwise volunteers are numbered by row.")
    household = st.text_input("Household columns (optional, comma-separated)",
                              help="Volunteers sharing all these columns live together; a panel takes at most one of them.")
    if st.button("Load uploaded files", disabled=pool_file is None or quota_file is None, key="load_upload"):
        try:
            instance = load_instance(
                pool_file.getvalue(), quota_file.getvalue(), int(k),
                id_column=id_column.strip() or None,
                household=[c.strip() for c in household.split(",") if c.strip()] or None,
                pool_name=pool_file.name, quotas_name=quota_file.name)
            state.set_loaded(instance, None, f"{pool_file.name} + {quota_file.name}")
        except Exception as error:  # noqa: BLE001 - every failure is shown as a message
            show_error(error, "Loading the uploaded files")

if state.current_instance() is None and not st.session_state.get("tried_default"):
    st.session_state["tried_default"] = True
    try:
        instance, extra = load_example(DEFAULT_EXAMPLE)
        state.set_loaded(instance, extra, f"example “{DEFAULT_EXAMPLE}”")
    except Exception as error:  # noqa: BLE001
        show_error(error, f"Loading the default example {DEFAULT_EXAMPLE}")

instance = state.current_instance()
st.divider()
if instance is None:
    st.info("Nothing is loaded yet: pick an example or upload a pool and quotas above.")
else:
    st.subheader(f"Loaded: {md(state.source())}")
    if state.extras().get("description"):
        st.caption(state.extras()["description"])
    summary = instance_summary(instance, state.extras())
    columns = st.columns(5)
    columns[0].metric("Volunteers (n)", f"{summary['n']:,}")
    columns[1].metric("Panel size (k)", summary["k"])
    columns[2].metric("Categories", summary["categories"])
    columns[3].metric("Types", f"{summary['types']:,}", help="Groups of volunteers with identical values in every category.")
    columns[4].metric("Fair chance k/n", f"{100 * summary['fair']:.1f}%",
                      help="Each volunteer's selection probability if everyone had the same chance.")
    if instance.warnings:
        show_problems(instance.warnings)
    overview, shares = percent_table(category_overview(instance), ["pool share", "population share"])
    st.dataframe(overview, hide_index=True, width="stretch", height=table_height(len(overview)),
                 column_config={**shares, "proportional seats": st.column_config.NumberColumn(format="%.1f")})
    st.markdown("**Next:** tune the quotas, or go straight to comparing the algorithms.")
    links = st.columns(3)
    links[0].page_link("pages/1_Pool_and_quotas.py", label="Pool and quotas", icon=":material/tune:")
    links[1].page_link("pages/2_Compare.py", label="Compare algorithms", icon=":material/compare_arrows:")
    links[2].page_link("pages/3_Lottery.py", label="Draw the panel", icon=":material/casino:")
