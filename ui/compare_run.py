"""What the Compare page says about a run while it goes: title, bar, one line per algorithm.

Kept apart from the page so the wording is tested without a browser (tests/test_compare_app.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.views.compare_plan import format_seconds
from ui.algorithms import options_for
from ui.solve import AlgorithmRun, CompareRun

POLL_SECONDS = 0.5  # how often the progress box is redrawn while a run goes
DIVERSIMAX_DEFAULT_SECONDS = 10

MARKS = {"waiting": "○", "running": "▶", "done": "✓", "cached": "✓", "failed": "✗", "stopped": "■"}


@dataclass
class RunView:
    title: str
    fraction: float
    bar_text: str
    lines: list[str]
    note: str  # a warning when the run belongs to other quotas


def compare_options(name: str, extras: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """The options the Compare page runs `name` with: the app's, and the person's Diversimax limit."""
    options = options_for(name, extras)
    if name == "diversimax":
        options["time_limit"] = float(time_limit)
    return options


def diversimax_note(info: dict[str, Any]) -> str:
    """How far Diversimax got within the person's budget (a node limit, core.algorithms.diversimax): its proven gap."""
    gap, status = info.get("gap"), info.get("status", "")
    if gap is None:
        return ""
    nodes = info.get("nodes_used")
    searched = f" after {nodes:,} branch-and-bound nodes" if nodes is not None else ""
    if status == "optimal" or gap <= 1e-3:
        return f"Diversimax: panel proven within {100 * gap:.3g}% of the most diverse one{searched}."
    return (f"Diversimax: its work budget ended the search{searched} with the panel within {100 * gap:.3g}% of "
            "the most diverse one (the gap); a larger budget may close it.")


def item_line(item: AlgorithmRun) -> str:
    """One algorithm's state in a sentence."""
    mark = MARKS.get(item.status, "")
    expected = f"about {format_seconds(item.expected_seconds)}"
    if item.status == "waiting":
        return f"{mark} {item.name}: waiting ({expected})"
    if item.status == "running":
        said = f" — {item.message}" if item.message else ""
        return f"{mark} **{item.name}**: running, {format_seconds(item.elapsed)} of {expected}{said}"
    if item.status == "cached":
        return f"{mark} {item.name}: from the cache (computed before with the same quotas, seed and options)"
    if item.status == "done":
        gap = item.result.info.get("gap") if item.result is not None and item.name == "diversimax" else None
        gap_text = f", gap {100 * gap:.3g}%" if gap is not None else ""
        return f"{mark} {item.name}: done in {format_seconds(item.elapsed)}{gap_text}"
    if item.status == "failed":
        return f"{mark} {item.name}: failed (see the message below)"
    return f"{mark} {item.name}: stopped" + (f" after {format_seconds(item.elapsed)}" if item.started else "")


def run_view(compare_run: CompareRun, fingerprint: str) -> RunView:
    """The progress box of `compare_run`, seen with the quotas whose fingerprint is `fingerprint`."""
    total = len(compare_run.items)
    ended = compare_run.count("done", "cached", "failed", "stopped")
    elapsed = format_seconds(compare_run.elapsed)
    if compare_run.token.cancelled:
        reason = compare_run.token.reason
        finishing = " (ending the solver call under way)" if compare_run.running else ""
        title = f"Stopped ({reason}) after {elapsed}{finishing}: {compare_run.count('done', 'cached')} of {total} finished"
    elif compare_run.running:
        title = f"Running {total} algorithm(s): {ended} of {total} finished, {elapsed} elapsed"
    else:
        failed = compare_run.count("failed")
        title = f"Ran {total} algorithm(s) in {elapsed}" + (f", {failed} failed" if failed else "")
    current = next((item for item in compare_run.items if item.status == "running"), None)
    if current is not None and not compare_run.token.cancelled:
        bar_text = f"{current.name}: {format_seconds(current.elapsed)} of about {format_seconds(current.expected_seconds)}"
    elif compare_run.running:
        bar_text = f"{ended} of {total} finished"
    else:
        bar_text = "stopped" if compare_run.token.cancelled else "all finished"
    note = ""
    if compare_run.fingerprint != fingerprint:
        note = ("This run was started for other quotas (or another pool). Its results are not shown as "
                "current; press Run to compute the quotas shown now.")
    return RunView(title, compare_run.fraction, bar_text, [item_line(item) for item in compare_run.items], note)
