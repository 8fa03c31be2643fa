"""The tables the workbench shows and offers for download after a selection: the pool with each
volunteer's id first (`volunteer_table`), with selection probabilities, split into selected and
remaining volunteers, the lottery's tickets as ids, and a distribution's compositions with a readable
label per type. A column the workbench adds never overwrites a pool column: it takes a free name
("volunteer id", "volunteer id 2", ...). Downloads go through `core.io.export.csv_safe`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ..distribution import Distribution
from ..model import Instance, TypeSpace

if TYPE_CHECKING:
    from ..lottery import TransparentLottery


def type_labels(instance: Instance, types: TypeSpace) -> list[str]:
    """A readable name per type: its values ("gender=female, age=16-29"), or the volunteer id when every
    volunteer is a type; a volunteer split off for sharing an address gets their id after the values."""
    if types.per_person:
        return [f"id {instance.ids[int(m[0])]}" for m in types.members]
    split = types.split if types.split is not None else np.zeros(types.size, dtype=bool)
    labels = []
    for t, row in enumerate(types.codes):
        label = ", ".join(f"{cat}={instance.values(cat)[int(code)]}" for cat, code in zip(instance.categories, row))
        labels.append(f"{label} (id {instance.ids[int(types.members[t][0])]})" if split[t] else label)
    return labels


def distribution_table(instance: Instance, distribution: Distribution) -> pd.DataFrame:
    """One row per composition: probability, number of panels it stands for, seats per type."""
    from ..algorithms.enumeration import panels_per_composition

    labels = type_labels(instance, distribution.types)
    table = pd.DataFrame(distribution.compositions, columns=labels)
    table.insert(0, "panels", [int(x) for x in panels_per_composition(distribution.types, distribution.compositions)])
    table.insert(0, "probability", distribution.probabilities)
    table.insert(0, "composition", np.arange(1, distribution.support + 1))
    return table.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


def free_column_name(columns: Sequence[str], name: str) -> str:
    """`name`, or "volunteer <name>" (then with a number) when the pool already has such a column."""
    taken = set(map(str, columns))
    candidates = [name, f"volunteer {name}"] + [f"volunteer {name} {i}" for i in range(2, len(taken) + 3)]
    return next(c for c in candidates if c not in taken)


def volunteer_table(instance: Instance) -> pd.DataFrame:
    """The pool with the volunteer id as first column, pool row order. A pool column "id" that holds
    exactly the ids is moved first and not duplicated; any other clash gets the id column a free name
    ("volunteer id")."""
    table = instance.pool.copy()
    if "id" in table.columns and table["id"].astype(str).tolist() == [str(i) for i in instance.ids]:
        return table[["id", *[c for c in table.columns if c != "id"]]].reset_index(drop=True)
    table.insert(0, free_column_name(table.columns, "id"), instance.ids)
    return table.reset_index(drop=True)


def volunteer_probabilities(instance: Instance, marginals: np.ndarray) -> pd.DataFrame:
    """id, every pool column, and the volunteer's selection probability (column "probability", or a
    free name if the pool has a column of that name)."""
    table = volunteer_table(instance)
    table[free_column_name(table.columns, "probability")] = np.asarray(marginals, dtype=float)
    return table


def panel_tables(instance: Instance, panel: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(selected volunteers, remaining volunteers), each with id first and every pool column, pool order."""
    table = volunteer_table(instance)
    chosen = np.zeros(instance.n, dtype=bool)
    chosen[np.asarray(list(panel), dtype=np.int64)] = True
    return table[chosen].reset_index(drop=True), table[~chosen].reset_index(drop=True)


def ticket_rows(instance: Instance, lottery: TransparentLottery) -> list[list[str]]:
    """The volunteer ids of every ticket, in ticket order."""
    return [[instance.ids[i] for i in panel] for panel in lottery.tickets]


def ticket_table(instance: Instance, lottery: TransparentLottery) -> pd.DataFrame:
    """ticket number -> the ids of the volunteers on that ticket's panel."""
    return pd.DataFrame({
        "ticket": np.arange(1, lottery.M + 1),
        "volunteers": [", ".join(ids) for ids in ticket_rows(instance, lottery)],
    })
