"""Households: volunteers sharing an address, of whom a panel may take at most one.

Address matching. A volunteer's address is the text of the household columns; two volunteers
share a household when their addresses are equal after normalisation:
    key(address) = join over columns of collapse(casefold(cell)),
where collapse turns every run of spaces and punctuation (anything not a letter or a digit) into
one space and trims the ends. So "12 High St." and "12  high st" match; "12 High Street" and
"12 High St" do not (no abbreviation rules: the organiser's data decide).

Only households of two or more volunteers constrain a panel; `TypeSpace.of` splits just their
members into types of their own, so unique addresses cost nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_SEPARATORS = re.compile(r"[\W_]+")
_COLUMN_JOIN = "\x1f"  # between columns: no cell text contains it after normalisation


def normalise_address(text: str) -> str:
    """An address cell as compared: case folded, runs of spaces/punctuation -> one space, trimmed."""
    return _SEPARATORS.sub(" ", str(text).casefold()).strip()


def address_keys(pool: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """n: the household number of every volunteer (equal numbers = same normalised address)."""
    if not columns:
        return np.arange(len(pool))
    keys = pool[columns].astype(str).apply(lambda column: column.map(normalise_address))
    joined = keys.agg(_COLUMN_JOIN.join, axis=1) if len(columns) > 1 else keys[columns[0]]
    return pd.factorize(joined, sort=False)[0].astype(np.int64)


def shared_households(pool: pd.DataFrame, columns: list[str]) -> list[np.ndarray]:
    """Pool row indices of every household with two or more volunteers, in order of first row."""
    if not columns or len(pool) == 0:
        return []
    keys = address_keys(pool, columns)
    sizes = np.bincount(keys)
    order = np.argsort(keys, kind="stable")
    groups = np.split(order, np.cumsum(sizes)[:-1])
    return [group for group in groups if len(group) > 1]


@dataclass(frozen=True)
class HouseholdSummary:
    """The households found in a pool: how many addresses, how many are shared, the largest."""

    columns: list[str]
    addresses: int  # distinct normalised addresses
    shared: int  # households of two or more volunteers
    volunteers_sharing: int  # volunteers in those households
    largest: int  # members of the largest household (1 when no address is shared)

    def describe(self) -> str:
        """One sentence for `check` and the Pool page."""
        where = ", ".join(self.columns)
        if self.shared == 0:
            return (f"households ({where}): {self.addresses} distinct addresses, none shared; "
                    "every volunteer keeps their type.")
        return (f"households ({where}): {self.addresses} distinct addresses; {self.shared} shared by "
                f"{self.volunteers_sharing} volunteers (largest: {self.largest} volunteers); at most one "
                "per household can sit on a panel.")


def household_summary(pool: pd.DataFrame, columns: list[str]) -> HouseholdSummary | None:
    """The summary for these household columns, or None when there are none."""
    if not columns:
        return None
    keys = address_keys(pool, columns)
    sizes = np.bincount(keys) if len(keys) else np.zeros(0, dtype=np.int64)
    shared = sizes[sizes > 1]
    return HouseholdSummary(columns=list(columns), addresses=len(sizes), shared=len(shared),
                            volunteers_sharing=int(shared.sum()), largest=int(sizes.max()) if len(sizes) else 0)
