"""Which algorithms the app offers, what each does in plain words, and the options the app runs them with."""

from __future__ import annotations

import importlib.util
from typing import Any

from core.selection import REGISTRY

# Plain-language descriptions for people who have not read the papers.
DESCRIPTIONS: dict[str, str] = {
    "legacy": "The greedy method many organisers used until 2021: fill seats one at a time from the value "
              "furthest below its quota. Its chances are estimated by running it many times.",
    "maximin": "Makes the least likely volunteer as likely as possible.",
    "leximin": "Maximin, then also raises the second least likely, the third, and so on: the fairest "
               "spread the quotas allow (the Nature 2021 paper's method).",
    "nash": "Maximises the product of all selection probabilities: fair overall, rarely leaves anyone far behind.",
    "diversimax": "Picks the panel that covers combinations of values (e.g. young women in the North) as "
                  "evenly as possible; nearly deterministic, so most volunteers have probability 0.",
    "endtoend": "Corrects for who volunteered: estimates each volunteer's chance of joining the pool from "
                "a background sample and gives everyone in the population the same chance of a seat.",
    "uniform": "Lottery over panels that meet the quotas, each with the same chance.",
    "goldilocks": "Keeps every probability between a floor and a ceiling near k/n, so nobody is far too "
                  "likely or far too unlikely.",
}

# Options the app uses, chosen for a responsive page (the command line uses the library defaults).
APP_OPTIONS: dict[str, dict[str, Any]] = {
    "legacy": {"draws": 2000},
    "diversimax": {"time_limit": 30},
}

NEEDS_BACKGROUND = {"endtoend"}


def available() -> list[str]:
    """Registered algorithms whose module is present in this installation, registry order."""
    names = []
    for name, target in REGISTRY.items():
        module = target.split(":")[0]
        try:
            if importlib.util.find_spec(module) is not None:
                names.append(name)
        except ModuleNotFoundError:
            continue
    return names


def options_for(name: str, extras: dict[str, Any]) -> dict[str, Any]:
    """The options the app passes to `name` for the loaded pool."""
    options = dict(APP_OPTIONS.get(name, {}))
    if name in NEEDS_BACKGROUND:
        options["background"] = extras.get("background")
        options["letters"] = extras.get("letters")
    return options


def runnable(name: str, extras: dict[str, Any]) -> bool:
    """False for algorithms that need a background sample and the number of letters when these are unknown."""
    return name not in NEEDS_BACKGROUND or (extras.get("background") is not None and extras.get("letters"))


def options_record(options: dict[str, Any]) -> dict[str, Any]:
    """Options as written in an audit record: tables replaced by a short description."""
    import pandas as pd

    return {name: (f"table of {len(value)} rows" if isinstance(value, pd.DataFrame) else value)
            for name, value in options.items()}
