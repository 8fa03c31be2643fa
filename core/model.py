"""The data model: pool, quotas, panel size, and the person types the algorithms work with.

A *type* is a set of volunteers with identical values in every category. Members of a type are
interchangeable for every quota, so every algorithm here can decide *how many* of each type sit
on the panel (a *composition*) and then pick that many members uniformly at random. With
household columns, members of a type who share an address with someone are no longer
interchangeable, so exactly those volunteers (households of two or more, see
core/analysis/households.py) become types of their own, and each such household adds the
constraint sum_{t in h} c_t <= 1; everyone else stays in their type, so unique addresses cost nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .analysis.households import shared_households

if TYPE_CHECKING:
    from scipy import sparse


@dataclass(frozen=True)
class Quota:
    """Bounds on the number of panel seats held by volunteers with `category` = `value`.

    `min_flex` / `max_flex` (Sortition Foundation format) are how far a repair may move the
    bounds: min may go down to min_flex, max may go up to max_flex. None means no limit.
    `target` is an ex-ante target: the expected seats (over the lottery) the value should hold,
    while single panels stay within [min, max]; None means no target (`core.design.targets`).
    """

    category: str
    value: str
    min: int
    max: int
    min_flex: int | None = None
    max_flex: int | None = None
    target: float | None = None

    @property
    def label(self) -> str:
        return f"{self.category}={self.value}"


@dataclass
class Instance:
    """A selection problem: a pool of volunteers, quotas on their values, a panel size k.

    `pool` holds the rows as loaded (every column as text, extra columns kept); its row i is
    volunteer i. `categories` are the pool columns the quotas constrain, in quota-file order.
    `population_shares` maps (category, value) to the value's share of the population, if known.
    """

    pool: pd.DataFrame
    categories: list[str]
    quotas: list[Quota]
    k: int
    ids: list[str] = field(default_factory=list)
    household: list[str] = field(default_factory=list)
    population_shares: dict[tuple[str, str], float] | None = None
    sources: dict[str, str] = field(default_factory=dict)  # role ("pool", "quotas") -> file name
    warnings: list = field(default_factory=list)  # Problems of severity "warning" found on loading
    # The category columns written in the quota file's spelling of values, when the pool spells
    # some of them differently ("Female" for "female"); None when the pool already matches.
    category_values: pd.DataFrame | None = None
    # Row of each quota in the quota file (spreadsheet numbering), for messages; None when edited.
    quota_rows: list[int] | None = None

    def __post_init__(self) -> None:
        if not self.ids:
            self.ids = [str(i + 1) for i in range(len(self.pool))]

    @property
    def n(self) -> int:
        return len(self.pool)

    def values(self, category: str) -> list[str]:
        """The values of a category, in the order the quotas list them."""
        return [q.value for q in self.quotas if q.category == category]

    def quota(self, category: str, value: str) -> Quota:
        for q in self.quotas:
            if q.category == category and q.value == value:
                return q
        raise KeyError(f"no quota for {category}={value}")

    @cached_property
    def codes(self) -> np.ndarray:
        """n x C matrix: codes[i, c] = index of volunteer i's value in values(categories[c])."""
        out = np.empty((self.n, len(self.categories)), dtype=np.int64)
        for c, cat in enumerate(self.categories):
            index = {v: j for j, v in enumerate(self.values(cat))}
            column = self.category_values[cat] if self.category_values is not None else self.pool[cat]
            out[:, c] = column.map(index).to_numpy()
        return out

    @cached_property
    def types(self) -> "TypeSpace":
        return TypeSpace.of(self)

    def with_quotas(self, quotas: list[Quota], k: int | None = None) -> "Instance":
        """The same pool with other quotas (same categories and values) and optionally another k."""
        same_rows = [(q.category, q.value) for q in quotas] == [(q.category, q.value) for q in self.quotas]
        return Instance(
            pool=self.pool,
            categories=self.categories,
            quotas=quotas,
            k=self.k if k is None else k,
            ids=self.ids,
            household=self.household,
            population_shares=self.population_shares,
            sources=self.sources,
            warnings=self.warnings,
            category_values=self.category_values,
            quota_rows=self.quota_rows if same_rows else None,
        )

    def fingerprint(self) -> str:
        """SHA-256 of everything that defines the problem: pool, quotas, k, households."""
        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.pool, index=True).to_numpy().tobytes())
        h.update(repr((self.categories, self.quotas, self.k, self.household, self.ids)).encode())
        return h.hexdigest()


def quota_values(instance: Instance) -> np.ndarray:
    """Q: the value code of each quota's value within its category (the codes of `Instance.codes`)."""
    return np.array([instance.values(q.category).index(q.value) for q in instance.quotas], dtype=np.int64)


def quota_matrix(codes: np.ndarray, quota_category: np.ndarray, quota_value: np.ndarray) -> np.ndarray:
    """Q x T, 0/1: A[q, t] = 1 when the type with value codes codes[t] has quota q's value,
    codes[t, category_q] = value_q."""
    return (np.asarray(codes)[:, quota_category] == quota_value).T.astype(np.int64)


def code_keys(codes: np.ndarray) -> list[bytes]:
    """A hashable key of each row of value codes (T x C), equal for equal codes of any integer dtype."""
    return [row.tobytes() for row in np.ascontiguousarray(codes, dtype=np.int64)]


def code_key(codes: np.ndarray) -> bytes:
    """The `code_keys` key of one type's value codes (C)."""
    return np.ascontiguousarray(codes, dtype=np.int64).tobytes()


@dataclass(frozen=True)
class TypeSpace:
    """Volunteers grouped into types, and the quota constraints written over type counts.

    A composition c (T integers, 0 <= c_t <= counts_t) is a quota-satisfying panel iff
        sum_t c_t = k   and   lower_q <= sum_t A[q, t] c_t <= upper_q  for every quota q.
    """

    codes: np.ndarray  # T x C: the value codes of each type
    counts: np.ndarray  # T: number of volunteers of each type
    members: list[np.ndarray]  # T arrays of pool row indices, ascending
    of_volunteer: np.ndarray  # n: the type of each volunteer
    A: np.ndarray  # Q x T, 0/1: type t has the value of quota q
    lower: np.ndarray  # Q: quota minimums
    upper: np.ndarray  # Q: quota maximums
    k: int
    households: list[np.ndarray]  # groups of single-volunteer types of which at most one may be chosen
    per_person: bool  # True when every volunteer is a type of their own (asked for explicitly)
    quota_category: np.ndarray  # Q: the category (index into Instance.categories) of each quota
    # T: True for a type that is one volunteer split off because they share an address
    split: np.ndarray | None = None

    @staticmethod
    def of(instance: Instance, per_person: bool = False) -> "TypeSpace":
        """The types of an instance. Volunteers in a household of two or more (after address
        normalisation) are types of their own; with `per_person`, every volunteer is."""
        codes = instance.codes
        shared = shared_households(instance.pool, instance.household) if instance.household else []
        if per_person:
            type_codes, inverse = codes, np.arange(instance.n)
        else:
            # types are distinct (values, own) pairs: own is -1 for volunteers who stay in their
            # type, else their own row (a type of one)
            own = np.full(instance.n, -1, dtype=np.int64)
            if shared:
                sharing = np.concatenate(shared)
                own[sharing] = sharing
            keyed, inverse = np.unique(np.column_stack([codes, own]), axis=0, return_inverse=True)
            type_codes, inverse = keyed[:, :-1], inverse.reshape(-1)
        counts = np.bincount(inverse, minlength=len(type_codes))
        order = np.argsort(inverse, kind="stable")
        splits = np.cumsum(counts)[:-1]
        members = np.split(order, splits)
        quota_category = np.array([instance.categories.index(q.category) for q in instance.quotas], dtype=np.int64)
        A = quota_matrix(type_codes, quota_category, quota_values(instance))
        households = [inverse[group] for group in shared]  # each member is a type of one
        split = np.zeros(len(type_codes), dtype=bool)
        if shared:
            split[inverse[np.concatenate(shared)]] = True
        return TypeSpace(
            codes=type_codes,
            counts=counts,
            members=members,
            of_volunteer=inverse,
            A=A,
            lower=np.array([q.min for q in instance.quotas], dtype=np.int64),
            upper=np.array([q.max for q in instance.quotas], dtype=np.int64),
            k=instance.k,
            households=households,
            per_person=per_person,
            quota_category=quota_category,
            split=split,
        )

    @property
    def size(self) -> int:
        """Number of types, T."""
        return len(self.counts)

    def composition_of(self, panel: np.ndarray | list[int]) -> np.ndarray:
        """Type counts of a panel given as pool row indices."""
        return np.bincount(self.of_volunteer[np.asarray(panel, dtype=np.int64)], minlength=self.size)

    def violations(self, composition: np.ndarray) -> list[str]:
        """Every way a composition breaks the rules; empty when it is a valid panel."""
        c = np.asarray(composition)
        out = []
        if c.sum() != self.k:
            out.append(f"panel has {int(c.sum())} members, not k={self.k}")
        if (c < 0).any() or (c > self.counts).any():
            out.append("panel takes more volunteers of a type than the pool has")
        seats = self.A @ c
        for q in np.flatnonzero(seats < self.lower):
            out.append(f"quota {q}: {int(seats[q])} seats < min {int(self.lower[q])}")
        for q in np.flatnonzero(seats > self.upper):
            out.append(f"quota {q}: {int(seats[q])} seats > max {int(self.upper[q])}")
        for group in self.households:
            if c[group].sum() > 1:
                out.append(f"household of volunteers {group.tolist()} has {int(c[group].sum())} members on the panel")
        return out

    def household_matrix(self) -> sparse.csr_matrix:
        """H x T: row h marks the types (volunteers) of household h; at most one per row may be chosen."""
        # imported here: start-up of `check` and `--help` stays light
        from scipy import sparse

        sizes = [len(group) for group in self.households]
        members = np.concatenate(self.households) if self.households else np.array([], dtype=np.int64)
        return sparse.csr_matrix((np.ones(len(members)), (np.repeat(np.arange(len(sizes)), sizes), members)),
                                 shape=(len(sizes), self.size))

    def value_quotas(self) -> np.ndarray:
        """T x C matrix: for each type and category, the quota (row of A) holding the type's value there."""
        out = np.full((self.size, self.codes.shape[1]), -1, dtype=np.int64)
        for q, category in enumerate(self.quota_category):
            out[self.A[q] > 0, category] = q
        return out

    def is_valid(self, composition: np.ndarray) -> bool:
        return not self.violations(composition)

    def expand(self, composition: np.ndarray, rng: np.random.Generator) -> list[int]:
        """A panel with this composition: c_t members of each type t, chosen uniformly at random."""
        chosen: list[int] = []
        for t in np.flatnonzero(composition):
            chosen.extend(rng.choice(self.members[t], size=int(composition[t]), replace=False).tolist())
        return sorted(int(i) for i in chosen)
