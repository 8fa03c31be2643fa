"""Leximin on many pools that differ from one pool by a single volunteer's report (misreports).

A misreport moves one volunteer from their type s to a type s' (perhaps a new one): the counts
become N' = N - e_s + e_s', and the quotas and k stay as they are. `core.design.manipulation`
needs leximin on hundreds to thousands of such pools. Where leximin's relaxation is tight (every
bundled pool), the leximin distribution is any mixture of valid panels whose expected composition
is the relaxation's leximin point x* (an upper bound in the leximin order, so reaching it is
optimal, and the probabilities are unique). `core.fair.leximin` gets there through covering
panels, pricing and the face walk; a rerun here only needs x* and one such mixture:

1. x* of the changed pool (`core.fair.relaxation.relaxed_leximin`, one warm HiGHS LP re-solved
   stage by stage).
2. A mixture reaching it, the cheapest first:
   - a swap: against a pool one move away whose mixture is known (the truthful pool, or the
     volunteer's earlier misreports, each one move from this one), x* often moves only by the
     volunteer's share a (x*_s down by a, x*_s' up by a). Then that mixture with one member of s
     swapped for one of s' in panels of total weight a (where the quotas allow it; every panel
     that takes all of s must swap) reaches it, with no LP at all;
   - else the face walk (`core.fair.face_walk`) on x*, certified by its own weights, or by the
     master LP over its panels when those fall a hair short.
   Either is accepted only when every type is within leximin's FIX_TOLERANCE of x* (`attains`).
3. Else (the relaxation is not tight there, or a type sits on no valid panel) the full
   `core.fair.leximin`, warm-started from the truthful run's panels. Pools with households
   (per-person types) or ex-ante targets always take it.

The changed pool's types are put in the order `TypeSpace.of` gives them, and only the volunteer's
own earlier misreports are carried from one rerun to the next, so an answer does not depend on the
other volunteers' reruns (nor on how they are split over processes).
"""

from __future__ import annotations

import numpy as np

from ..design.targets import quota_targets
from ..errors import SolverError
from ..model import Instance, TypeSpace, code_key, code_keys, quota_matrix, quota_values
from ..selection import SelectionResult
from .columns import StageLP
from .face_walk import walk_down_faces
from .leximin import FIX_TOLERANCE
from .relaxation import relaxed_leximin

SWAP_TOLERANCE = 1e-9  # expected seats: below this a type's relaxed point counts as unmoved


def attains(expected: np.ndarray, types: TypeSpace, target: np.ndarray) -> bool:
    """Leximin's own test that a mixture attains the relaxed leximin point: every type's probability
    within FIX_TOLERANCE * k/n of its target, in the relative form of `core.fair.leximin`."""
    enough = 1.0 - FIX_TOLERANCE * (types.k / types.counts.sum()) / float(target.max())
    return float((expected / (target * types.counts)).min()) >= enough


def master_weights(types: TypeSpace, target: np.ndarray, panels: np.ndarray) -> np.ndarray:
    """Weights on `panels` from `core.fair.leximin`'s master LP towards the point `target` (max z with every
    type at z times its target probability or more): the vertex closest to the point those panels allow."""
    lp = StageLP(types, target=target)
    lp.add_columns(panels)
    weights, _ = lp.solve()
    return weights


class Mixture:
    """A mixture of valid panels of some pool: its types' value codes (as bytes keys), the panels over those
    types, their weights and the expected composition."""

    def __init__(self, codes: np.ndarray, panels: np.ndarray, weights: np.ndarray):
        self.keys = code_keys(codes)
        self.panels, self.weights = panels, weights
        self.expected = weights @ panels


class LeximinReruns:
    """Leximin selection probabilities on pools with one volunteer's report changed (module docstring).

    `probability(row, category, value)` is volunteer `row`'s probability on the pool with that one
    report changed. An answer depends on the changed pool and the volunteer's earlier misreports only
    (the types are put in a canonical order), so any split of the volunteers over processes gives the same."""

    def __init__(self, instance: Instance, solver: str = "highs", truthful: SelectionResult | None = None):
        types = instance.types
        self.instance = instance
        self.solver = solver
        self.shared = not (types.per_person or types.households) and quota_targets(instance) is None
        self.value_of_quota = quota_values(instance)
        self.warm_start = None  # the full path's: the truthful run's panels, when given
        if truthful is not None and truthful.distribution is not None and not types.per_person:
            self.warm_start = (types.codes, truthful.distribution.compositions)
        self._base_mixtures: list[Mixture] | None = None
        self.row: int | None = None  # the volunteer whose misreports `earlier` holds
        self.earlier: list[tuple[Mixture, np.ndarray]] = []  # their mixtures and the type they moved to there
        self.truthful_panels = None if self.warm_start is None else np.asarray(self.warm_start[1], dtype=np.int64)
        self.stats = {"reruns": 0, "swaps": 0, "face_walks": 0, "full_runs": 0}

    def probability(self, row: int, category: str, value: str) -> float:
        """Volunteer `row`'s leximin selection probability on the pool with `category` reported as `value`."""
        self.stats["reruns"] += 1
        if self.shared:
            if row != self.row:  # the known mixtures of the volunteer's earlier misreports are theirs alone
                self.row, self.earlier = row, []
            try:
                found = self._shortcut(row, category, value)
            except SolverError:  # a solver hitch on the shortcut: the full leximin decides (and reports)
                found = None
            if found is not None:
                return found
        return self._full(row, category, value)

    def _shortcut(self, row: int, category: str, value: str) -> float | None:
        """The probability from the relaxation's leximin point and a mixture reaching it (a swap, else the
        face walk), or None when neither does."""
        types, destination = self._changed_types(row, category, value)
        target = relaxed_leximin(types)  # raises SolverError when no panel meets the quotas
        if (target <= 0).any():
            return None  # the full leximin says why (a type on no valid panel)
        moved_to = types.codes[destination]
        reported = self.instance.types.codes[self.instance.types.of_volunteer[row]]
        mixture, path = self._swap(types, target, reported, moved_to), "swaps"
        if mixture is None:
            mixture, path = self._walk(types, target), "face_walks"
        if mixture is None:
            return None
        self.stats[path] += 1
        known = Mixture(types.codes, *mixture)
        self.earlier.append((known, moved_to))
        return float(known.expected[destination] / types.counts[destination])

    def _changed_types(self, row: int, category: str, value: str) -> tuple[TypeSpace, int]:
        """The changed pool's type space (types in lexicographic order of their value codes, as
        `TypeSpace.of` orders them) and the type volunteer `row` now belongs to."""
        instance, types = self.instance, self.instance.types
        source = int(types.of_volunteer[row])
        moved = types.codes[source].copy()
        moved[instance.categories.index(category)] = instance.values(category).index(value)
        codes = np.vstack([types.codes, moved[None, :]])
        counts = np.r_[types.counts, 1]
        counts[source] -= 1
        unique, inverse = np.unique(codes[counts > 0], axis=0, return_inverse=True)
        merged = np.bincount(inverse.reshape(-1), weights=counts[counts > 0], minlength=len(unique)).astype(np.int64)
        destination = int(inverse.reshape(-1)[-1])  # the moved volunteer's row is the last one kept
        quota_category = types.quota_category
        A = quota_matrix(unique, quota_category, self.value_of_quota)
        changed = TypeSpace(codes=unique, counts=merged, members=[np.zeros(0, dtype=np.int64)] * len(unique),
                            of_volunteer=np.zeros(0, dtype=np.int64), A=A, lower=types.lower, upper=types.upper,
                            k=types.k, households=[], per_person=False, quota_category=quota_category)
        return changed, destination

    def _walk(self, types: TypeSpace, target: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """A mixture of valid panels (the face walk's) attaining the relaxed leximin point `target` (type
        probabilities): (panels, weights), or None when it falls short."""
        walk = walk_down_faces(types, target * types.counts, solver=self.solver)
        if not walk.compositions:
            return None
        panels = np.array(walk.compositions)
        weights = np.array(walk.weights) / np.sum(walk.weights)
        if not attains(weights @ panels, types, target):  # the walk's own weights fall a hair short: the master LP
            weights = master_weights(types, target, panels)
        return (panels[weights > 0], weights[weights > 0]) if attains(weights @ panels, types, target) else None

    def _bases(self) -> list[Mixture]:
        """The truthful pool's relaxed leximin point as mixtures of valid panels, (panels, weights): over the
        face walk's panels, and over the truthful run's when given (weights from the master LP's vertex,
        closer to the point than the walk's own weights)."""
        if self._base_mixtures is None:
            types = self.instance.types
            target = relaxed_leximin(types)
            self._base_mixtures = []
            walk = walk_down_faces(types, target * types.counts, solver=self.solver)
            for panels in (np.array(walk.compositions, dtype=np.int64).reshape(-1, types.size), self.truthful_panels):
                if panels is None or len(panels) == 0:
                    continue
                weights = master_weights(types, target, panels)
                if attains(weights @ panels, types, target):
                    self._base_mixtures.append(Mixture(types.codes, panels[weights > 0], weights[weights > 0]))
        return self._base_mixtures

    def _swap(self, types: TypeSpace, target: np.ndarray, moved_from: np.ndarray,
              moved_to: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """When the relaxed leximin point moves only the volunteer's share (x*_s down by a, x*_s' up by a,
        every other type within SWAP_TOLERANCE) against a pool whose mixture is known, that mixture with
        one member of s swapped for one of s' in panels of total weight a (all of the weight of panels
        that take every member of s): (panels, weights), or None when none attains `target`.
        Known mixtures: the truthful pool's (s, s' the volunteer's reported and misreported types), and
        the volunteer's earlier misreports (s their earlier type, s' this one)."""
        index = {key: t for t, key in enumerate(code_keys(types.codes))}
        for known, start in [*((mixture, moved_from) for mixture in self._bases()), *self.earlier]:
            mixture = self._swap_from(known, index, types, target, start, moved_to)
            if mixture is not None:
                return mixture
        return None

    def _swap_from(self, known: Mixture, index: dict[bytes, int], types: TypeSpace, target: np.ndarray,
                   moved_from: np.ndarray, moved_to: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """`_swap` from one known mixture, of a pool that becomes this one (types `index`: value codes to
        type) when one volunteer of type `moved_from` (value codes) moves to type `moved_to`."""
        T = types.size
        panels, weights = known.panels, known.weights
        # the mixture's types here; one left with no volunteer (the volunteer's old type) goes to column T
        column = np.array([index.get(key, T) for key in known.keys])
        s = index.get(code_key(moved_from), T)
        destination = index[code_key(moved_to)]
        if (column == T).sum() > 1 or ((column == T).any() and s != T):
            return None  # not a pool one move away from this one
        counts = np.r_[types.counts, 0]
        expected = np.zeros(T + 1)
        expected[column] = known.expected  # the mixture's expected composition, written over this pool's types
        moved = np.r_[target * types.counts, 0.0] - expected
        a = float(moved[destination])
        others = np.abs(np.delete(moved, [s, destination]))
        if a <= 0 or (others.size and others.max() > SWAP_TOLERANCE) or abs(moved[s] + a) > SWAP_TOLERANCE:
            return None
        wide = np.zeros((len(panels), T + 1))
        wide[:, column] = panels
        A = np.hstack([types.A, quota_matrix(moved_from[None, :], types.quota_category, self.value_of_quota)])
        holding = np.flatnonzero(wide[:, s] >= 1)
        seats = wide[holding] @ A.T - A[:, s] + A[:, destination]
        swappable = holding[((seats >= types.lower) & (seats <= types.upper)).all(axis=1)]
        forced = np.flatnonzero(wide[:, s] > counts[s])  # take every member of s: invalid once one has left
        if not np.isin(forced, swappable).all():
            return None
        free = np.setdiff1d(swappable, forced)
        must, can = float(weights[forced].sum()), float(weights[free].sum())
        if a < must - SWAP_TOLERANCE or a > must + can + SWAP_TOLERANCE:
            return None
        share = np.zeros(len(panels))
        share[forced] = 1.0
        if can > 0:
            share[free] = min(max((a - must) / can, 0.0), 1.0)
        swapped = wide[swappable].copy()
        swapped[:, s] -= 1
        swapped[:, destination] += 1
        mixed = np.vstack([wide, swapped])
        mixed_weights = np.r_[weights * (1.0 - share), weights[swappable] * share[swappable]]
        keep = mixed_weights > 0
        mixed, mixed_weights = mixed[keep], mixed_weights[keep]
        if (mixed[:, T] > 0).any() or (mixed[:, :T] > types.counts).any():
            return None
        panels = np.rint(mixed[:, :T]).astype(np.int64)
        return (panels, mixed_weights) if attains(mixed_weights @ panels, types, target) else None

    def _full(self, row: int, category: str, value: str) -> float:
        """The full leximin on the changed pool, warm-started from the truthful run's panels."""
        from ..design.manipulation import misreported
        from ..selection import run

        self.stats["full_runs"] += 1
        options: dict = {"solver": self.solver}
        if self.warm_start is not None:
            options["warm_start"] = self.warm_start
        changed = misreported(self.instance, row, category, value)
        return float(run("leximin", changed, seed=0, options=options).marginals[row])
