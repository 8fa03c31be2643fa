"""What the Compare page promises before and during a run: which algorithms to offer by default,
how long each is expected to take, and how far along a running one is.

Expected time (the rule shown to the person, documented in the README):
    seconds(algorithm) ~ a * (T / 100) ** b      T = number of types of the pool,
    diversimax: its time limit (the solver stops there at the latest),
with (a, b) fitted per algorithm through two runs on this project's 2-core machine (one thread,
loaded, app options, 2026-12-01): climate_300 (146 types) and large_2000 (572 types), e.g. leximin
3.7 s and 31.1 s. Goldilocks did not end within 500 s on large_2000, so its b is a lower bound.
It is an estimate, said as "about", never a promise; re-fit RATE when the algorithms change
(`benchmarks/bench_stop.py` prints each algorithm's time).

Default choice: every algorithm on pools of at most QUICK_SET_ABOVE_TYPES types; above that only
those expected within QUICK_SECONDS (always leximin and legacy, the paper's comparison).

Progress of one algorithm: a fraction read from its own message when it says "a of b" or "a/b"
(legacy's draws, the Markov chain's steps, the bootstrap); otherwise elapsed / expected time,
capped below 1 so the bar never claims to be done before the algorithm is.
"""

from __future__ import annotations

import re

QUICK_SET_ABOVE_TYPES = 300
QUICK_SECONDS = 15.0
ALWAYS_DEFAULT = ("leximin", "legacy")
TIME_CAP = 0.95  # an elapsed-time fraction never shows more than this

# (a, b): seconds ~ a * (T / 100) ** b, fitted on climate_300 and large_2000 (module docstring)
RATE: dict[str, tuple[float, float]] = {
    "legacy": (0.40, 1.5),  # 0.7 s, 5.5 s (2,000 runs)
    "maximin": (3.05, 1.35),  # 5.1 s, 32.4 s
    "leximin": (2.05, 1.56),  # 3.7 s, 31.1 s
    "nash": (2.72, 1.15),  # 4.2 s, 20.1 s
    "endtoend": (9.1, 1.0),  # 13.3 s on climate_300; Phase II grows about linearly (README)
    "uniform": (1.66, 0.75),  # 2.2 s, 6.1 s
    "goldilocks": (1.7, 3.5),  # 4.8 s, more than 500 s
}
DEFAULT_RATE = (5.0, 1.5)  # an algorithm not measured yet

_OF = re.compile(r"(\d[\d,]*)\s*(?:of|/)\s*(\d[\d,]*)")


def expected_seconds(algorithm: str, types: int, time_limit: float | None = None) -> float:
    """About how long `algorithm` takes on a pool of `types` types (module docstring)."""
    if algorithm == "diversimax":
        return float(time_limit if time_limit is not None else 60.0)
    a, b = RATE.get(algorithm, DEFAULT_RATE)
    return a * (max(types, 1) / 100) ** b


def default_choice(offered: list[str], types: int, time_limit: float | None = None) -> list[str]:
    """Every offered algorithm on small pools; on large ones the quick set (module docstring)."""
    if types <= QUICK_SET_ABOVE_TYPES:
        return list(offered)
    return [a for a in offered
            if a in ALWAYS_DEFAULT or expected_seconds(a, types, time_limit) <= QUICK_SECONDS]


def slow_note(offered: list[str], types: int, time_limit: float | None = None) -> str:
    """One sentence naming the algorithms left out of the default on a large pool, with their
    expected times; empty on small pools."""
    chosen = default_choice(offered, types, time_limit)
    slow = [a for a in offered if a not in chosen]
    if not slow:
        return ""
    times = ", ".join(f"{a} about {format_seconds(expected_seconds(a, types, time_limit))}" for a in slow)
    return (f"This pool has {types:,} types, so only the quicker algorithms are chosen at first. "
            f"Expected on this machine: {times}.")


def format_seconds(seconds: float) -> str:
    """'8 s', '1 min 40 s', '12 min': whole figures for a person."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes >= 10 or rest == 0:
        return f"{minutes} min"
    return f"{minutes} min {rest} s"


def message_fraction(message: str) -> float | None:
    """The share done an algorithm's progress message states ("1,000 of 2,000 draws", "bootstrap 10/20")."""
    match = _OF.search(message or "")
    if not match:
        return None
    done, total = (int(x.replace(",", "")) for x in match.groups())
    if total <= 0 or done > total:
        return None
    return done / total


def algorithm_fraction(message: str, elapsed: float, expected: float) -> float:
    """How far one running algorithm is: from its message when it says, else elapsed/expected (capped)."""
    stated = message_fraction(message)
    if stated is not None:
        return min(stated, 1.0)
    if expected <= 0:
        return 0.0
    return min(elapsed / expected, TIME_CAP)


def run_fraction(finished: int, total: int, current: float) -> float:
    """The whole run's share done: finished algorithms count 1, the running one its fraction."""
    if total <= 0:
        return 1.0
    return min((finished + min(max(current, 0.0), 1.0)) / total, 1.0)
