"""Classroom: a pool small enough to see every possible panel, and how each algorithm spreads chance over them."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.io.examples import load_example
from core.views.classroom import (
    ALGORITHMS,
    LABELS,
    panel_frame,
    panel_table,
    person_frame,
    spread_of_chance,
    summary_frame,
)
from core.views.classroom_pool import (
    MAX_K,
    MAX_VOLUNTEERS,
    MIN_K,
    classroom_instance,
    fits_classroom,
    instance_tables,
    participation_from_shares,
    quota_rows,
)
from core.views.classroom_steps import legacy_trace, leximin_stages, pool_status, stage_text
from ui import design, state
from ui.escape import md, md_join
from ui.layout import page_setup, percent, share_columns
from ui.messages import show_error

EXAMPLE = "classroom"
COLORS = alt.Scale(domain=["representative", "breaks a quota"], range=["#2f6f73", "#d08c60"])

page_setup("Classroom", ":material/school:")
st.title("Classroom: see every possible panel")
st.markdown(
    "With a pool this small we can list **every** group of *k* volunteers that could form the panel, and mark "
    "the ones that meet every quota (**representative** panels). A selection algorithm is nothing more than a "
    "way of spreading chance over these panels; a volunteer's **selection probability** is the total chance "
    "of the panels they sit on. Edit the pool and the quotas below and watch how each algorithm spreads chance."
)


# ---- the tiny pool: start from the loaded pool when it is small enough, else from the classroom example ----
def start_tables() -> tuple[pd.DataFrame, pd.DataFrame, int, str, object]:
    current = state.current_instance()
    if current is not None and fits_classroom(current):
        pool, quotas = instance_tables(current)
        return pool, quotas, current.k, "the loaded pool", current.population_shares
    instance, _ = load_example(EXAMPLE)
    pool, quotas = instance_tables(instance)
    return pool, quotas, instance.k, "the classroom example", instance.population_shares


if "classroom" not in st.session_state:
    try:
        pool0, quotas0, k0, origin, shares0 = start_tables()
    except Exception as error:  # noqa: BLE001 - shown as a message, never a traceback
        show_error(error, "Loading the classroom example")
        st.stop()
    st.session_state["classroom"] = {"pool": pool0, "quotas": quotas0, "k": k0, "origin": origin,
                                     "shares": shares0, "version": 0}
room = st.session_state["classroom"]

top = st.columns([2, 1], vertical_alignment="bottom")  # room for the whole button label
top[0].caption(f"Started from {room['origin']}. Up to {MAX_VOLUNTEERS} volunteers, a panel of {MIN_K} to {MAX_K}.")
if top[1].button("Start again from the classroom example"):
    instance, _ = load_example(EXAMPLE)
    pool0, quotas0 = instance_tables(instance)
    st.session_state["classroom"] = {"pool": pool0, "quotas": quotas0, "k": instance.k, "origin": "the classroom example",
                                     "shares": instance.population_shares, "version": room["version"] + 1}
    st.rerun()

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Pool")
    st.caption("One row per volunteer. Add or delete rows at the bottom; each other column is a category.")
    pool = st.data_editor(room["pool"], num_rows="dynamic", hide_index=True, width="stretch",
                          key=f"classroom_pool_{room['version']}")
    with st.popover("Add a category"):
        name = st.text_input("Name of the new category", value="region")
        if st.button("Add it", disabled=not name.strip() or name.strip() in pool.columns):
            grown = pool.copy()
            grown[name.strip()] = ["north" if i % 2 == 0 else "south" for i in range(len(grown))]
            room.update(pool=grown, version=room["version"] + 1, shares=None)
            st.rerun()
with right:
    st.subheader("Quotas")
    k = st.number_input("Panel size k", min_value=MIN_K, max_value=MAX_K, value=int(room["k"]), step=1,
                        key=f"classroom_k_{room['version']}")
    categories = [c for c in pool.columns if c != "name"]
    base = quota_rows(pool, categories, room["quotas"], int(k))
    quotas = st.data_editor(base, hide_index=True, width="stretch", disabled=["category", "value"],
                            key=f"classroom_quotas_{room['version']}_{'|'.join(base['category'] + '=' + base['value'])}")
    room["quotas"], room["k"] = quotas, int(k)

try:
    instance = classroom_instance(pool, quotas, int(k))
    instance.population_shares = room["shares"]
    table = panel_table(instance)
except Exception as error:  # noqa: BLE001 - every problem is shown as a message
    show_error(error, "The classroom pool")
    st.stop()

# ---- every possible panel ------------------------------------------------------------------------
st.divider()
st.subheader("Every possible panel")
metrics = st.columns(3)
metrics[0].metric("Possible panels", f"{table.total:,}", help=f"Ways to choose {instance.k} of {instance.n} volunteers.")
metrics[1].metric("Representative panels", f"{table.count:,}", help="Panels that meet every quota.")
metrics[2].metric("Share representative", percent(table.share))
st.markdown(f"Of the **{table.total:,}** possible panels of {instance.k}, **{table.count:,}** meet every quota "
            f"({percent(table.share)}). A lottery that ignores the quotas would miss them "
            f"{percent(1 - table.share)} of the time.")
only = st.toggle("Show only representative panels", value=False)
shown = table.frame()
st.dataframe(shown[shown["representative"]] if only else shown, hide_index=True, width="stretch", height=260,
             column_config={"breaks": st.column_config.TextColumn("quotas broken")})
if table.count == 0:
    st.warning("No panel meets every quota: loosen a min or a max above to see the algorithms at work.")

# ---- how each algorithm spreads chance ----------------------------------------------------------------------
st.divider()
st.subheader("How each algorithm spreads chance")
# the picker gets the full width so every chosen algorithm's label stays visible
chosen = st.multiselect("Algorithms", [key for key, _, _ in ALGORITHMS], default=[key for key, _, _ in ALGORITHMS],
                        format_func=LABELS.get)
controls = st.columns([1, 2, 3], vertical_alignment="bottom")
seed = int(controls[0].number_input("Seed", min_value=0, value=1, step=1,
                                    help="Recorded with the results; the fair algorithms do not depend on it."))
with controls[1]:
    use_q = st.toggle("Participation model (for end-to-end)", value=room["shares"] is not None,
                      help="How likely each volunteer was to answer an invitation. End-to-end gives rarely-answering "
                           "groups more chance so everyone in the population ends up equally likely.")
participation = None
if use_q:
    guess = participation_from_shares(instance)
    q_table = pd.DataFrame({"name": instance.ids, "q": guess if guess is not None else np.full(instance.n, 0.05)})
    with st.expander("Chance that each volunteer answers an invitation (q)",
                     expanded=guess is None):
        st.caption("Estimated from how over- or under-represented each value is in the pool compared with the "
                   "population (mean 5%)." if guess is not None else "Population shares are unknown: type them in.")
        edited_q = st.data_editor(q_table, hide_index=True, disabled=["name"], key=f"classroom_q_{instance.fingerprint()[:12]}",
                                  column_config={"q": st.column_config.NumberColumn(min_value=0.0001, max_value=1.0, format="%.3f")})
    participation = pd.to_numeric(edited_q["q"], errors="coerce").to_numpy(dtype=float)

cache = st.session_state.setdefault("classroom_reports", {})
cache_key = (instance.fingerprint(), tuple(chosen), seed,
             None if participation is None else tuple(np.round(participation, 9).tolist()))
if cache_key not in cache:
    try:
        with st.spinner("Computing every algorithm's exact probabilities…"):
            cache.clear()
            cache[cache_key] = spread_of_chance(instance, chosen, seed=seed, participation=participation, table=table)
    except Exception as error:  # noqa: BLE001
        show_error(error, "Computing the spreads of chance")
        st.stop()
report = cache[cache_key]

if report.spreads:
    st.dataframe(summary_frame(report), hide_index=True, width="stretch",
                 column_config={**share_columns("chance of breaking a quota", "smallest chance", "largest chance"),
                                "largest / (k/n)": st.column_config.NumberColumn(format="%.2f")})
reasons: dict[str, list[str]] = {}
for key, reason in report.unavailable.items():
    reasons.setdefault(reason, []).append(f"**{LABELS[key]}**")
for reason, names in reasons.items():  # one box per reason, not one per algorithm
    st.info(f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} not shown: {md(reason)}.")

fair = instance.k / instance.n


def panel_chart(frame: pd.DataFrame) -> alt.Chart:
    """Bars: the algorithm's probability on every panel, representative ones first."""
    frame = frame.assign(kind=np.where(frame["representative"], "representative", "breaks a quota"))
    frame = frame.sort_values(["representative", "panel"], ascending=[False, True]).reset_index(drop=True)
    frame["position"] = np.arange(1, len(frame) + 1)
    return (alt.Chart(frame).mark_bar().encode(
        x=alt.X("position:Q", title="panels (representative first)", axis=alt.Axis(labels=False, ticks=False),
                scale=alt.Scale(domain=[0, len(frame) + 1])),
        y=alt.Y("probability:Q", title="probability of the panel", axis=alt.Axis(format="~%")),
        color=alt.Color("kind:N", title=None, scale=COLORS, legend=alt.Legend(orient="top")),
        tooltip=["panel", "members", "kind", alt.Tooltip("probability:Q", format=".3%")],
    ).properties(height=220))


def person_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Bars: each volunteer's selection probability, with a line at the equal share k/n."""
    # category names come from the pool: as Vega-Lite fields, ':', '.' and '[' in them would be syntax
    fields = {category: f"category {i}" for i, category in enumerate(instance.categories)}
    bars = alt.Chart(frame.rename(columns=fields)).mark_bar(color="#6c8ebf").encode(
        x=alt.X("name:N", title=None, sort=list(instance.ids)),
        y=alt.Y("probability:Q", title="selection probability", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=["name", *(alt.Tooltip(f"{field}:N", title=category) for category, field in fields.items()),
                 alt.Tooltip("probability:Q", format=".1%")],
    )
    rule = alt.Chart(pd.DataFrame({"fair": [fair]})).mark_rule(color="#b5627a", strokeDash=[4, 3]).encode(
        y="fair:Q", tooltip=[alt.Tooltip("fair:Q", title="k/n", format=".1%")])
    return (bars + rule).properties(height=220)


for key, spread in report.spreads.items():
    st.markdown(f"#### {spread.label}")
    st.markdown(md(spread.reading))  # names volunteers and values
    charts = st.columns([3, 2])
    charts[0].altair_chart(panel_chart(panel_frame(table, spread)), width="stretch")
    charts[1].altair_chart(person_chart(person_frame(instance, [spread])), width="stretch")
    charts[1].caption("Dashed line: the equal share k/n.")

if table.count:  # every volunteer, every misreport, exactly (ui/design.py)
    st.divider()
    design.classroom_misreports(instance, seed)

# ---- step through the algorithms ----------------------------------------------------------------------------
st.divider()
st.subheader("Step through the algorithms")
legacy_tab, leximin_tab = st.tabs(["Legacy greedy, one draw", "Leximin, stage by stage"])

with legacy_tab:
    if table.count == 0:
        st.info("No panel meets every quota, so the greedy draw cannot finish.")
    else:
        st.markdown("The legacy method fills one seat at a time. Each time it looks at every value still in the pool "
                    "and computes **(min − seats taken) ÷ volunteers left**: the value with the largest ratio is the "
                    "most urgent. It draws a random volunteer with that value; when a value reaches its max, everyone "
                    "else with it leaves the pool.")
        draw_seed = int(st.number_input("Seed of this draw", min_value=0, value=seed, step=1, key="classroom_trace_seed"))
        try:
            trace = legacy_trace(instance, draw_seed)
        except Exception as error:  # noqa: BLE001
            show_error(error, "The legacy draw")
            trace = None
        if trace is not None:
            step = st.slider("Step", 0, len(trace.steps), 0, key=f"classroom_step_{draw_seed}_{instance.fingerprint()[:8]}")
            if step == 0:
                st.markdown("Before the first pick: everyone is in the pool.")
            else:
                current = trace.steps[step - 1]
                st.markdown(f"**Step {step} of {len(trace.steps)}** (attempt {current.attempt}): {md(current.text)}")
                if len(current.ratios):
                    st.dataframe(current.ratios, hide_index=True, width="stretch",
                                 column_config={"ratio": st.column_config.NumberColumn(format="%.3f")})
            st.dataframe(pool_status(instance, trace, step), hide_index=True, width="stretch")
            if step == len(trace.steps):
                names = md_join(instance.ids[i] for i in trace.panel)
                st.success(f"Final panel after {trace.attempts} attempt(s): {names}. It meets every quota.")

with leximin_tab:
    if table.count == 0:
        st.info("No panel meets every quota, so there is nothing to be fair about.")
    else:
        st.markdown("Leximin works in stages. First it makes the **smallest** selection probability as large as the "
                    "quotas allow, and fixes the volunteers who cannot get more. Then, keeping them there, it raises "
                    "the smallest probability among everyone else, and so on until everyone is fixed.")
        try:
            stages = leximin_stages(instance)
        except Exception as error:  # noqa: BLE001
            show_error(error, "Leximin's stages")
            stages = None
        if stages is not None:
            count = len(stages.stages)
            upto = st.slider("Stage", 1, count, 1, key=f"classroom_stage_{instance.fingerprint()[:8]}") if count > 1 else 1
            for stage in stages.stages[:upto]:
                st.markdown("- " + md(stage_text(instance, stage, stages.stages[:stage.number - 1])))
            fixed = np.full(instance.n, np.nan)
            stage_of = np.zeros(instance.n, dtype=int)
            for stage in stages.stages[:upto]:
                fixed[stage.fixed] = stage.probability
                stage_of[stage.fixed] = stage.number
            frame = pd.DataFrame({"name": instance.ids, "probability": np.nan_to_num(fixed),
                                  "stage": [f"stage {s}" if s else "not fixed yet" for s in stage_of]})
            chart = alt.Chart(frame).mark_bar().encode(
                x=alt.X("name:N", title=None, sort=list(instance.ids)),
                y=alt.Y("probability:Q", title="fixed selection probability", axis=alt.Axis(format="%"),
                        scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("stage:N", title=None, legend=alt.Legend(orient="top")),
                tooltip=["name", "stage", alt.Tooltip("probability:Q", format=".1%")],
            ).properties(height=220)
            st.altair_chart(chart, width="stretch")
            if "legacy" in report.spreads:
                legacy_min = float(report.spreads["legacy"].person_probabilities.min())
                lex_min = float(stages.fixed_probabilities(instance.n).min())
                st.markdown(f"Compare: under the legacy greedy the least lucky volunteer has {percent(legacy_min)}; "
                            f"leximin guarantees everyone at least {percent(lex_min)}, the most the quotas allow.")
