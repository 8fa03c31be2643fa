"""Lottery: turn a computed distribution into M numbered panels (tickets) and draw one with a recorded seed."""

from __future__ import annotations

import json
import secrets

import streamlit as st

from core.analysis.metrics import panel_seats, seat_report
from core.audit.record import audit_record, commitment
from core.errors import InputError, Problem
from core.io.export import csv_safe
from core.io.result_tables import ticket_table
from core.io.validation import parse_whole_number
from core.lottery import MAX_TICKET_SEATS, max_tickets, seed_from_public_numbers
from core.views.lottery import lottery_volunteers, selected_and_remaining
from ui import state
from ui.algorithms import options_for, options_record
from ui.audit import verify_section
from ui.layout import page_setup, share_columns, table_height
from ui.lottery import lottery_for
from ui.messages import show_error
from ui.replacement import after_the_draw
from ui.solve import run_key

page_setup("Lottery", ":material/casino:")
st.title("Draw the panel")
instance = state.require_instance()
st.markdown(
    "A fair algorithm gives a **distribution**: many possible panels, each with a probability. To draw in "
    "public, the distribution becomes **M numbered tickets**, each one concrete panel, so that picking a "
    "ticket number uniformly at random gives every volunteer (almost exactly) their selection probability. "
    "Publish the ticket table first, then draw a number everyone can check."
)

with_distribution = {name: r for name, r in state.results().items() if r.distribution is not None}
if not with_distribution:
    st.info("No distribution computed yet for these quotas. Run a fair algorithm (leximin, maximin, nash, …) on the "
            "Compare page first. (Legacy has no distribution: it draws one panel at a time.)")
    st.page_link("pages/2_Compare.py", label="Go to Compare", icon=":material/compare_arrows:")
    verify_section(instance)
    st.stop()

names = list(with_distribution)
controls = st.columns([2, 1, 1], vertical_alignment="bottom")
default = names.index("leximin") if "leximin" in names else 0
algorithm = controls[0].selectbox("Distribution", names, index=default,
                                  help="Results computed on the Compare page for the current quotas.")
most_tickets = max_tickets(instance.k)  # M x k ticket seats are capped so the table fits in memory
M = int(controls[1].number_input("Tickets M", min_value=1, max_value=most_tickets, value=min(1000, most_tickets),
                                 step=100, help="More tickets follow the exact probabilities more closely. At most "
                                 f"{most_tickets:,} for a panel of {instance.k}: tickets × panel size is capped at "
                                 f"{MAX_TICKET_SEATS:,} seats so every visitor's ticket table fits in memory."))
result = with_distribution[algorithm]
result_seed = state.result_seed(algorithm) or 0
options = options_for(algorithm, state.extras())
controls[2].caption(f"Ticket table seed: {result_seed} (the seed {algorithm} was computed with)")

try:
    with st.spinner(f"Dealing {M:,} tickets (finding the rounding closest to the exact probabilities "
                    "can take a few seconds)…"):
        lottery = lottery_for(run_key(instance, algorithm, result_seed, options), result, M, result_seed)
except Exception as error:  # noqa: BLE001
    show_error(error, "Making the ticket table")
    st.stop()

fair = instance.k / instance.n
figures = st.columns(4)
figures[0].metric("Tickets", f"{lottery.M:,}")
figures[1].metric("Different panels", f"{result.support:,}")
figures[2].metric("Largest difference", f"{100 * lottery.max_deviation:.2f} pp",
                  help="Largest gap, over all volunteers, between the lottery's and the exact selection probability "
                       "(percentage points).")
figures[3].metric("… relative to k/n", f"{100 * lottery.max_deviation / fair:.1f}%")
promise = commitment(instance, algorithm, options_record(options), lottery)
st.caption(f"Commitment to publish before the draw (SHA-256 of the pool, quotas, algorithm and ticket table): `{promise}`")

with st.expander("Each volunteer's exact and lottery probability"):
    volunteers = lottery_volunteers(instance, lottery)
    st.dataframe(volunteers, hide_index=True, width="stretch", height=320,
                 column_config=share_columns("exact probability", "lottery probability"))
# built only when clicked: M x k ids (16 MB at the cap) are not rebuilt and held on every rerun
st.download_button("Ticket table (CSV)", lambda: csv_safe(ticket_table(instance, lottery)),
                   f"tickets_{algorithm}_{M}.csv", "text/csv", on_click="ignore")

# ---- the draw ------------------------------------------------------------------------------------
st.subheader("Draw")
how = st.radio("Seed of the draw", ["Generate one for me", "Enter a seed", "Numbers from a public draw"],
               horizontal=True, help="The seed picks the ticket: the same seed always draws the same ticket.")
typed_seed = None
numbers = None
if how == "Enter a seed":
    typed_seed = st.text_input("Seed", value="0", help="Any whole number of 0 or more.")
elif how == "Numbers from a public draw":
    numbers = st.text_input("Public numbers, in the order drawn", placeholder="e.g. 7, 19, 23, 31, 44, 48",
                            help="For example a national lottery's result. The seed is SHA-256 of the numbers.")

if st.button("Draw the panel", type="primary"):
    try:
        public = None
        if how == "Enter a seed":
            seed = parse_whole_number(typed_seed or "")
            if seed is None or seed < 0:
                raise InputError([Problem(f"the seed '{typed_seed}' typed in the Seed box is not a whole number "
                                          "of 0 or more.", "Type digits only, for example 20240611.")])
        elif how == "Numbers from a public draw":
            public = [x for x in (numbers or "").replace(";", ",").replace(" ", ",").split(",") if x.strip()]
            seed = seed_from_public_numbers(public)
        else:
            seed = secrets.randbelow(2**63)
        ticket, panel = lottery.draw(seed)
        record = audit_record(instance, algorithm=algorithm, options=options_record(options), seed=seed,
                              panel=panel, lottery=lottery, ticket=ticket, public_numbers=public,
                              hashes=state.input_files())
        state.draws().append({"algorithm": algorithm, "M": M, "seed": seed, "ticket": ticket,
                              "panel": panel, "record": record, "fingerprint": instance.fingerprint()})
    except InputError as error:
        show_error(error, "The seed")
    except Exception as error:  # noqa: BLE001
        show_error(error, "Drawing")

draw = next((d for d in reversed(state.draws()) if d["fingerprint"] == instance.fingerprint()), None)
if draw is not None:
    st.success(f"Seed **{draw['seed']}** drew ticket **{draw['ticket']}** of {draw['M']:,} "
               f"({draw['algorithm']}).", icon=":material/casino:")
    selected, remaining = selected_and_remaining(instance, draw["panel"])
    # the panel first and its seats per value below it, each at full width, so no column is cut off
    st.markdown(f"**The panel** ({len(selected)} members)")
    st.dataframe(selected, hide_index=True, width="stretch", height=table_height(len(selected), 560),
                 column_config={selected.columns[0]: st.column_config.Column(pinned=True)})
    report = seat_report(instance, panel_seats(instance, draw["panel"]))
    met = int(report["within_quota"].sum())
    st.markdown(f"**Seats per value** ({met} of {len(report)} quotas met)")
    shown = report.assign(quota=[f"{a}–{b}" for a, b in zip(report["min"], report["max"])])
    st.dataframe(shown[["category", "value", "seats", "quota", "within_quota"]]
                 .rename(columns={"within_quota": "within quota"}),
                 hide_index=True, width="content", height=table_height(len(report), 760),
                 column_config={"category": st.column_config.TextColumn(width=160),
                                "value": st.column_config.TextColumn(width=240),
                                "seats": st.column_config.NumberColumn(format="%d", width=70),
                                "quota": st.column_config.TextColumn(width=80),
                                "within quota": st.column_config.CheckboxColumn("within quota", width=100)})
    files = st.columns(3)
    files[0].download_button("Selected panel (CSV)", csv_safe(selected), "selected.csv", "text/csv",
                             key="download_selected", on_click="ignore")
    files[1].download_button(f"Remaining {len(remaining):,} volunteers (CSV)", csv_safe(remaining),
                             "remaining.csv", "text/csv", key="download_remaining", on_click="ignore")
    files[2].download_button("Audit record (JSON)", json.dumps(draw["record"], indent=2), "audit_record.json",
                             "application/json", key="download_audit", on_click="ignore")
    st.caption("The audit record holds everything needed to replay this draw: the fingerprint of the pool and "
               "quotas, the algorithm and its options, the ticket table's commitment, the seed and the ticket.")
    after_the_draw(instance, draw, options)

verify_section(instance)
