"""Pool and quotas: see the pool against the population, edit quotas and k, check feasibility,
apply the minimal repair, generate proportional quotas, keep named scenarios."""

from __future__ import annotations

import streamlit as st

from core.errors import InputError
from core.io.export import csv_safe
from core.io.scenarios import (
    Scenario,
    quota_file_table,
    scenarios_from_json,
    scenarios_to_json,
)
from core.views.quota_editing import proportional, quota_table, quotas_from_table, rescaled
from core.views.summary import category_overview
from ui import charts, design, state
from ui.checks import problems_for, report_for
from ui.escape import md
from ui.layout import (
    name_columns,
    narrowed,
    number_or_dash,
    page_setup,
    percent_table,
    table_height,
    unknown_shares_note,
)
from ui.messages import show_error, show_problems
from ui.pool_notes import show_pool_notes
from ui.what_if import show_what_if

page_setup("Pool and quotas", ":material/tune:")
st.title("Pool and quotas")
instance = state.require_instance()
st.markdown(
    "Quotas say how many seats each **value** of a **category** must get, between a *min* and a *max*. "
    "Edit them below and the workbench checks at once whether any panel can meet them all; if none can, "
    "it proposes the smallest change that fixes it. Save quota sets you like as **scenarios** to compare them."
)

# ---- k, proportional quotas, reset ---------------------------------------------------------------
controls = st.columns([1, 2, 1.3, 1.2], gap="medium", vertical_alignment="bottom")
new_k = controls[0].number_input("Panel size k", min_value=1, max_value=instance.n, value=instance.k, step=1,
                                 key=f"k_{instance.fingerprint()[:16]}")
if new_k != instance.k:
    state.set_instance(instance.with_quotas(list(instance.quotas), int(new_k)))
    st.rerun()
sized_for = state.quotas_sized_for()
if sized_for is not None and sized_for != instance.k and controls[0].button(
        f"Rescale quotas to k = {instance.k}", key="rescale_quotas",
        help=f"The quotas were made for a panel of {sized_for}. Multiply every min and max by "
             f"{instance.k}/{sized_for} (min rounded down, max up): the same proportions and slack."):
    state.set_instance(instance.with_quotas(rescaled(list(instance.quotas), sized_for, instance.k)))
    st.rerun()
if instance.population_shares:
    slack = controls[1].slider("Slack around proportional seats", 0, 50, 10, step=5, format="%d%%",
                               help="Each min is k × population share minus this slack (rounded down), "
                                    "each max plus this slack (rounded up).")
    if controls[2].button("Set proportional quotas", help="Replace every min and max by proportional quotas with this slack."):
        try:
            state.set_instance(instance.with_quotas(proportional(instance, slack / 100)))
            st.rerun()
        except InputError as error:
            show_error(error)
else:
    controls[1].caption("Population shares are not known for this pool, so proportional quotas cannot be "
                        "generated (add a population_share column to the quota file).")
if controls[3].button("Back to the loaded quotas", disabled=instance is state.loaded_instance()):
    state.set_instance(state.loaded_instance())
    st.rerun()

# ---- feasibility ---------------------------------------------------------------------------------
problems = problems_for(instance)
report = report_for(instance)
errors = [p for p in problems if p.severity != "warning"]
if report.feasible and not errors:
    st.success(f"Some panel of {instance.k} meets every quota.", icon=":material/check_circle:")
else:
    if errors:
        show_problems(problems, title="These quotas cannot all be met:")
    else:
        if report.impossible:
            show_problems(report.impossible, title=report.message)
        else:
            st.error(md(report.message), icon=":material/block:")
    if report.repair is not None:
        st.markdown(f"**Smallest repair** (moves bounds by {report.repair.total} seat(s) in total):")
        st.markdown("\n".join(f"- {md(str(c).replace('->', '→'))}" for c in report.repair.changes))
        if st.button("Apply this repair", type="primary"):
            state.set_instance(report.repair.apply(instance))
            st.rerun()
if errors == [] and problems:
    show_problems(problems)  # warnings only
show_pool_notes(instance, report.feasible and not errors)  # households found, never-selectable volunteers
if report.feasible and not errors:
    show_what_if(instance)  # how fair can it be under these quotas (ui/what_if.py)

# ---- the quota table -----------------------------------------------------------------------------
st.subheader("Quotas per value")
table, shares = percent_table(quota_table(instance, report), ["pool share", "population share"])
table = design.target_column(table, instance)
table, seats = number_or_dash(table, "proportional seats",
                              help="k × population share: seats a perfectly proportional panel would give.")
edited = st.data_editor(
    table,
    key=f"quotas_{instance.fingerprint()[:16]}",
    hide_index=True,
    width="stretch",
    height=table_height(len(table), 900),
    disabled=[c for c in table.columns if c not in ("min", "max", "target")],
    column_config=narrowed({
        **name_columns(120, 190),
        **shares,
        **seats,
        **design.TARGET_CONFIG,
        "min": st.column_config.NumberColumn(min_value=0, step=1, format="%d", help="Fewest seats for this value."),
        "max": st.column_config.NumberColumn(min_value=0, step=1, format="%d", help="Most seats for this value."),
        "check": st.column_config.TextColumn(help="Problems with this quota, or what the repair changes."),
    }, {"volunteers": ("volunteers", 82), "pool share": ("in pool", 70), "population share": ("in population", 100),
        "proportional seats": ("k × share", 78), "min": ("min", 58), "max": ("max", 58)}),
)
unknown_shares_note(instance)
try:
    quotas = design.apply_targets(quotas_from_table(instance, edited), edited)
    if quotas != list(instance.quotas):
        state.set_instance(instance.with_quotas(quotas))
        st.rerun()
except InputError as error:
    show_problems(error.problems, title="Some edits could not be used (the quotas keep their previous values):")
if (targeted := design.proportional_targets_button(instance)) is not None:
    state.set_instance(targeted)
    st.rerun()

with st.expander("Pool compared with the population", expanded=instance.population_shares is not None):
    st.caption("Volunteers are not a mirror of the population: some groups answer invitations more often. "
               "Quotas correct the panel's make-up; fair algorithms then spread the seats as evenly as the quotas allow.")
    st.markdown(f"<span style='color:{charts.POOL_COLORS[0]}'>■</span> share of the pool &nbsp; "
                f"<span style='color:{charts.POOL_COLORS[1]}'>■</span> share of the population",
                unsafe_allow_html=True)
    overview = category_overview(instance)
    grid = st.columns(3)
    for i, category in enumerate(instance.categories):
        grid[i % 3].altair_chart(charts.cached("pool_vs_population", overview, category), width="stretch")

# ---- scenarios -----------------------------------------------------------------------------------
st.subheader("Scenarios")
st.caption("A scenario is a named set of quotas with its panel size. Keep several to compare quota designs; "
           "download them to continue later.")
saved = state.scenarios()
keep_column, files_column = st.columns(2, gap="large")
with keep_column:
    name_column, save_column = st.columns([3, 1], vertical_alignment="bottom")
    name = name_column.text_input("Name for the current quotas", value=f"scenario {len(saved) + 1}")
    if save_column.button("Save", help="Keep the current quotas and k under this name."):
        name = name.strip() or f"scenario {len(saved) + 1}"
        saved[name] = Scenario.of(name, instance)
        st.toast(f"Saved scenario “{md(name)}”.")
    if saved:
        pick_column, use_column = st.columns([3, 1], vertical_alignment="bottom")
        pick = pick_column.selectbox("Saved scenarios", list(saved))
        if use_column.button("Use", help="Replace the current quotas and k by this scenario's."):
            state.set_instance(saved[pick].apply(instance))
            st.rerun()
with files_column:
    download_json, download_csv = st.columns(2)
    download_json.download_button("Download scenarios (JSON)", scenarios_to_json(list(saved.values())),
                                  file_name="scenarios.json", mime="application/json", disabled=not saved,
                                  width="stretch", on_click="ignore")
    download_csv.download_button("Download current quotas (CSV)", csv_safe(quota_file_table(instance)),
                                 file_name="quotas.csv", mime="text/csv", width="stretch",
                                 help="A quota file the Home page can load again, with population shares.",
                                 on_click="ignore")
    upload = st.file_uploader("Import scenarios (JSON)", type=["json"])
    if upload is not None and st.session_state.get("imported_scenarios") != (upload.name, upload.size):
        try:
            for scenario in scenarios_from_json(upload.getvalue(), upload.name, instance):
                saved[scenario.name] = scenario
            st.session_state["imported_scenarios"] = (upload.name, upload.size)
            st.rerun()
        except InputError as error:
            show_problems(error.problems, title=f"Could not import {upload.name}:")
if saved:
    st.dataframe([{"scenario": s.name, "k": s.k, **{q.label: f"{q.min}–{q.max}" for q in s.quotas}}
                  for s in saved.values()], hide_index=True, width="stretch")
