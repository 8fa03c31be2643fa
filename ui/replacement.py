"""The Lottery page's "after the draw" section: replacements for those who decline, and a reserve list.

Session keys used here (only through this module): "replacements" {draw key: ReplacementResult and
its audit record}, "reserve_lists" {draw key: ReserveList}. A draw key is the instance fingerprint
with the draw's seed and ticket, so results of an earlier draw or other quotas are never shown.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st

from core.after.audit import replacement_record
from core.after.id_lists import read_ids
from core.after.replacement import ReplacementInfeasible, draw_replacements
from core.after.reserve import DEFAULT_DROPOUT, DEFAULT_SCENARIOS, member_dropout, optimise_reserve
from core.after.views import (
    DROPOUT_COLUMN,
    dropout_rate_table,
    dropout_rates_of,
    replacement_probabilities,
    reserve_summary,
    reserve_table,
    updated_files,
)
from core.io.export import csv_safe
from core.model import Instance
from ui import state
from ui.algorithms import options_record
from ui.escape import md, md_join
from ui.layout import share_columns, table_height
from ui.messages import show_error

# The reserve list stops at work limits (core.after.reserve: batches of scenarios, a node limit), not at a
# clock, so the same draw gives the same list on any machine; its safety clock only turns a hang into an error.


def _draw_key(instance: Instance, draw: dict) -> str:
    return f"{instance.fingerprint()}:{draw['seed']}:{draw.get('ticket')}"


def _show_no_completion(error: ReplacementInfeasible) -> None:
    lines = [("**No replacement is possible:** no choice of remaining volunteers completes the kept members "
             "to a panel meeting every quota.")]
    if error.repair is not None:
        lines.append("Smallest change of quotas that makes a completion possible:")
        lines += [f"- {md(str(change))}" for change in error.repair.changes]
    st.error("\n".join(lines), icon=":material/block:")


def after_the_draw(instance: Instance, draw: dict, options: dict[str, Any]) -> None:
    """Replacement draw and reserve list for the panel of `draw` (a Lottery page draw record)."""
    key = _draw_key(instance, draw)
    panel = [int(i) for i in draw["panel"]]
    ids = instance.ids
    st.subheader("After the draw: replacements")
    st.markdown("Tick who **declined** (or upload their ids). The replacements are drawn by "
                f"**{draw['algorithm']}** run on the volunteers not on the panel, with the kept members' seats "
                "taken off every quota, so the completed panel meets every quota and each remaining volunteer's "
                "chance of being drawn is known.")
    columns = st.columns([3, 2, 1], vertical_alignment="bottom")
    ticked = columns[0].multiselect("Who declined", [ids[i] for i in panel], key="declined_ids")
    upload = columns[1].file_uploader("…or upload their ids (CSV, column 'id')", type=["csv", "xlsx"],
                                      key="declined_upload")
    seed = int(columns[2].number_input("Seed", min_value=0, value=0, step=1, key="replacement_seed",
                                       help="The seed of the replacement draw, recorded in its audit record."))
    if st.button("Draw replacements", key="draw_replacements"):
        try:
            declined = [ids.index(i) for i in ticked]
            files: dict[str, bytes] = {}
            if upload is not None:
                listed = read_ids(upload.getvalue(), instance, name=upload.name)
                declined = sorted(set(declined) | set(listed.rows))
                files["declined"] = upload.getvalue()
            outcome = draw_replacements(instance, panel, declined, seed=seed, algorithm=draw["algorithm"],
                                        options=options)
            record = replacement_record(instance, outcome, options=options_record(options), files=files)
            st.session_state.setdefault("replacements", {})[key] = (outcome, record)
        except ReplacementInfeasible as error:
            _show_no_completion(error)
        except Exception as error:  # noqa: BLE001
            show_error(error, "Drawing replacements")
    stored = st.session_state.get("replacements", {}).get(key)
    if stored is not None:
        _show_replacements(instance, *stored)
    _reserve_section(instance, draw, key, panel)


def _show_replacements(instance: Instance, outcome, record: dict) -> None:
    names = md_join(instance.ids[i] for i in outcome.replacement_rows) or "nobody (no one declined)"
    st.success(f"Seed **{outcome.seed}** drew {len(outcome.replacement_rows)} replacement(s): {names}.",
               icon=":material/person_add:")
    selected, remaining = updated_files(instance, outcome)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.markdown(f"**The updated panel** ({len(selected)} members: kept and replacements)")
        st.dataframe(selected, hide_index=True, width="stretch", height=table_height(len(selected), 480))
    with right:
        st.markdown("**Replacement probability** of each remaining volunteer")
        chances = replacement_probabilities(instance, outcome)
        st.dataframe(chances, hide_index=True, width="stretch", height=table_height(len(chances), 480),
                     column_config=share_columns("replacement probability"))
    files = st.columns(3)
    files[0].download_button("Updated selected (CSV)", csv_safe(selected), "selected_updated.csv",
                             "text/csv", key="download_selected_updated", on_click="ignore")
    files[1].download_button(f"Updated remaining {len(remaining):,} (CSV)", csv_safe(remaining),
                             "remaining_updated.csv", "text/csv", key="download_remaining_updated", on_click="ignore")
    files[2].download_button("Replacement audit record (JSON)", json.dumps(record, indent=2),
                             "replacement_audit_record.json", "application/json", key="download_replacement_audit",
                             on_click="ignore")
    st.caption("The remaining file leaves out those who declined, so selected + remaining is the pool for a "
               "further round. The audit record holds the declined, kept and replacement ids, the seed and the "
               "fingerprints needed to replay the draw.")


def _reserve_section(instance: Instance, draw: dict, key: str, panel: list[int]) -> None:
    st.subheader("Reserve list")
    st.markdown("An ordered list of volunteers to call, in order, when panel members drop out. Drop-out "
                "scenarios are sampled, and the list that keeps the panel closest to the quotas on average is "
                "chosen by an integer program; it is compared with a greedy list (the nearest match to each member).")
    columns = st.columns(3, vertical_alignment="bottom")
    free = instance.n - len(panel)
    size = int(columns[0].number_input("Reserves", min_value=1, max_value=max(1, free),
                                       value=max(1, min(10, free)), step=1, key="reserve_size"))
    rate = float(columns[1].number_input("Drop-out rate", min_value=0.0, max_value=1.0, value=DEFAULT_DROPOUT,
                                         step=0.05, key="reserve_dropout"))
    scenarios = int(columns[2].number_input("Scenarios", min_value=10, max_value=2000, value=DEFAULT_SCENARIOS,
                                            step=50, key="reserve_scenarios"))
    value_rates = _value_rates_editor(instance)
    if st.button("Choose the reserve list", key="choose_reserve"):
        try:
            dropout = member_dropout(instance, panel, rate, dropout_rates_of(value_rates))
            with st.spinner(f"Choosing {size} reserves over {scenarios} drop-out scenarios "
                            f"(about 10-20 s)…"):
                reserve = optimise_reserve(instance, panel, size, seed=int(draw["seed"]) % 2**63, dropout=dropout,
                                           scenarios=scenarios)
            st.session_state.setdefault("reserve_lists", {})[key] = reserve
        except Exception as error:  # noqa: BLE001
            show_error(error, "Choosing the reserve list")
    reserve = st.session_state.get("reserve_lists", {}).get(key)
    if reserve is None:
        return
    figures = st.columns(4)
    figures[0].metric("Expected deviation, optimised", f"{reserve.optimised.expected_deviation:.2f}",
                      help="Mean over the scenarios of the seats outside the quotas, summed over quotas.")
    figures[1].metric("Expected deviation, greedy", f"{reserve.greedy.expected_deviation:.2f}")
    figures[2].metric("Expected quotas broken, optimised", f"{reserve.optimised.expected_violations:.2f}")
    figures[3].metric("Expected quotas broken, greedy", f"{reserve.greedy.expected_violations:.2f}")
    info = reserve.info
    if "gap" in info:
        st.caption(f"Integer program: {info['status'].lower()}, proven lower bound {info['objective_bound']:.3f} "
                   f"(gap {info['absolute_gap']:.3f}); {reserve.scenarios} scenarios, {info['batches_solved']} batches of "
                   f"{info['batch_scenarios']} solved with at most {info['node_limit']} nodes each; {info['seconds']:.1f} s.")
    rates = reserve.dropout
    st.caption(f"Drop-out probability of the panel members: {rates.min():.2f}" if rates.min() == rates.max() else
               f"Drop-out probability of the panel members: from {rates.min():.2f} to {rates.max():.2f}, "
               f"mean {rates.mean():.2f} (the mean over categories of the rates of each member's values).")
    table = reserve_table(instance, reserve.optimised.rows)
    st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table), 400))
    st.dataframe(reserve_summary(reserve), hide_index=True, width="stretch")
    st.download_button("Reserve list (CSV)", csv_safe(table), "reserve_list.csv", "text/csv",
                       key="download_reserve", on_click="ignore")


def _value_rates_editor(instance: Instance):
    """The table of drop-out rates per value (filled from the quota file's `dropout` column, if it has
    one), as the visitor edited it; an empty cell means the single drop-out rate."""
    loaded = state.extras()
    names = "\x1f".join(f"{category}\x1e{value}" for category in instance.categories for value in instance.values(category))
    editor_key = "reserve_value_rates:" + hashlib.sha256(names.encode()).hexdigest()[:16]  # edits stay with their values
    from_file = bool(loaded.get("dropout_rates"))
    with st.expander("Drop-out rate per value" + (" (from the quota file)" if from_file else ""), expanded=from_file):
        st.caption("Some groups decline more often than others. A member's drop-out probability is the mean over "
                   "categories of the rates of their values; an empty cell (None) uses the single drop-out rate above. "
                   "A `dropout` column in the uploaded quota file (0.1 or 10%) fills this table.")
        if loaded.get("dropout_error") is not None:
            show_error(loaded["dropout_error"], "The quota file's drop-out rates")
        return st.data_editor(
            dropout_rate_table(instance, loaded.get("dropout_rates")), key=editor_key, hide_index=True, width="stretch",
            disabled=["category", "value"],
            column_config={DROPOUT_COLUMN: st.column_config.NumberColumn(min_value=0.0, max_value=1.0, step=0.01,
                                                                         format="%.2f")})
