"""Per-volunteer view of a transparent lottery: exact and lottery selection probability side by side."""

from __future__ import annotations

import pandas as pd

from ..io.result_tables import panel_tables, volunteer_table
from ..lottery import TransparentLottery
from ..model import Instance


def lottery_volunteers(instance: Instance, lottery: TransparentLottery) -> pd.DataFrame:
    """id, the category values, the exact selection probability, the lottery's (tickets holding the
    volunteer / M) and the tickets holding them; sorted by exact probability, smallest first."""
    table = pd.DataFrame({"id": instance.ids})
    for category in instance.categories:
        table[category] = instance.pool[category].to_numpy()
    table["exact probability"] = lottery.exact_marginals
    table["lottery probability"] = lottery.lottery_marginals
    table["tickets"] = (lottery.lottery_marginals * lottery.M).round().astype(int)
    return table.sort_values("exact probability", kind="stable").reset_index(drop=True)


def volunteer_rows(instance: Instance) -> pd.DataFrame:
    """The pool as loaded with the volunteer id as first column (see core.io.result_tables.volunteer_table)."""
    return volunteer_table(instance)


def selected_and_remaining(instance: Instance, panel: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(selected volunteers, remaining volunteers): every pool column, id first, pool order."""
    return panel_tables(instance, panel)
