"""The example instances bundled in the repository's `examples/` folder, listed and loaded by name.

Each example is a folder with pool.csv, quotas.csv (replication format plus `population_share`),
optionally background.csv (a population sample without participation labels) and example.json
(name, description, k, letters, seed, n, categories, files). They are written by
`python -m core.io.generator --write-examples examples/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..model import Instance
from .loaders import load_instance

EXAMPLES_FOLDER = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class ExampleInfo:
    """What the example list shows: name, description, pool size n, panel size k, and where it lives."""

    name: str
    description: str
    n: int
    k: int
    folder: Path


def _metadata(folder: Path) -> dict:
    return json.loads((folder / "example.json").read_text())


def list_examples(root: Path = EXAMPLES_FOLDER) -> list[ExampleInfo]:
    """Every example folder under `root` (those holding an example.json), sorted by pool size."""
    found = []
    for meta_file in sorted(Path(root).glob("*/example.json")):
        meta = _metadata(meta_file.parent)
        found.append(ExampleInfo(meta_file.parent.name, meta.get("description", ""), int(meta["n"]), int(meta["k"]), meta_file.parent))
    return sorted(found, key=lambda e: (e.n, e.name))


def _population_shares(quotas_file: Path) -> dict[tuple[str, str], float] | None:
    """The optional `population_share` column of a quota file, as (category, value) -> share."""
    table = pd.read_csv(quotas_file, dtype=str, keep_default_na=False)
    table.columns = [c.strip().lower() for c in table.columns]
    if "population_share" not in table.columns:
        return None
    return {
        (row["category"].strip(), row["feature"].strip()): float(row["population_share"])
        for _, row in table.iterrows()
        if row["population_share"].strip()
    }


def load_example(name: str, root: Path = EXAMPLES_FOLDER) -> tuple[Instance, dict]:
    """The example's Instance and its extras: "background" (DataFrame or None), "letters" (int or None), "description"."""
    folder = Path(root) / name
    if not (folder / "example.json").is_file():
        known = ", ".join(e.name for e in list_examples(root)) or "none"
        raise KeyError(f"no example named '{name}' (bundled examples: {known})")
    meta = _metadata(folder)
    files = meta.get("files", {})
    quotas_file = folder / files.get("quotas", "quotas.csv")
    instance = load_instance(folder / files.get("pool", "pool.csv"), quotas_file, int(meta["k"]))
    if instance.population_shares is None:  # loaders that do not read the population_share column yet
        instance.population_shares = _population_shares(quotas_file)
    if "id" in instance.pool.columns and instance.ids != list(instance.pool["id"]):
        instance.ids = list(instance.pool["id"])
    background = None
    if files.get("background"):
        background = pd.read_csv(folder / files["background"], dtype=str, keep_default_na=False)
    letters = meta.get("letters")
    extras = {
        "background": background,
        "letters": int(letters) if letters is not None else None,
        "description": meta.get("description", ""),
    }
    return instance, extras
