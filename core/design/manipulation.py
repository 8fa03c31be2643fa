"""Incentives to misreport: what one volunteer gains by reporting another value of one category.

Volunteer i reports values (v_1, ..., v_C). A *misreport* changes one of them, v_c -> v' (v' another
value of category c), and nothing else; the algorithm A is rerun on that pool P(i, c, v') and i's
selection probability there is compared with the truthful one:

    gain(i, c, v') = p_i^A(P(i, c, v')) - p_i^A(P),      gain(i) = max_{c, v'} gain(i, c, v'),
    manipulability(A, P) = max over the volunteers examined of gain(i)

(the single-misreport measure of Flanigan, Liang, Procaccia & Wang, AAAI 2024, and of the
Goldilocks paper). A misreport moves i from their type to another one (possibly a new type of
their own). Volunteers of one type are interchangeable, so one rerun per (type, category, value)
serves every member of the type; on pools of up to MAX_EXHAUSTIVE_TYPES types every type is
examined, otherwise a seeded sample of volunteers (its size and seed recorded). With household
columns every volunteer is a type of their own.

Each probability is what `select` gives volunteer i on the changed pool (to the solvers'
tolerance). Leximin's reruns go through `core.fair.leximin_reruns.LeximinReruns`: the changed
pool's relaxed leximin point, written as a mixture of valid panels (by a swap in a known mixture,
or by the face walk), which certifies it as the leximin distribution; the full `core.fair.leximin` runs only where that
fails (a relaxation that is not tight, households, targets). That is 0.10 s of CPU per rerun on
climate_300 instead of 0.30 s. Nash starts `core.selection.run` from the panels of the truthful
run and of the latest reruns (`PanelBank`, carried over by `core.fair.columns.carry_columns`);
its probabilities are unique, so a warm start cannot change them. The others run cold, since
their optimum need not be unique and a warm start could pick another.

`manipulability(..., workers=W)` examines the volunteers in W processes, in batches; a leximin
rerun depends on the changed pool and the volunteer's earlier misreports only, so its figures do
not depend on W.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..fair.leximin_reruns import LeximinReruns
from ..model import Instance
from ..selection import Progress, SelectionResult, no_progress, run

WARM_STARTED = {"leximin", "nash"}  # unique selection probabilities: a warm start cannot change them
MAX_EXHAUSTIVE_TYPES = 400  # pools with at most this many types are examined type by type
DEFAULT_SAMPLE = 30  # volunteers examined on larger pools unless told otherwise
BATCH = 8  # volunteers per task when several processes examine them
RECENT_RUNS = 13  # reruns whose panels warm-start the next one (besides the truthful run's)
GAIN_TOLERANCE = 1e-7  # gains below this are the solvers' round-off, reported as 0


@dataclass(frozen=True)
class Misreport:
    """One alternative report and the selection probability it would bring."""

    category: str
    value: str
    probability: float


@dataclass
class Incentives:
    """Volunteer `row`'s truthful probability and their probability under every single misreport."""

    row: int
    volunteer: str  # the volunteer's id
    truthful: float
    misreports: list[Misreport]

    @property
    def best(self) -> Misreport | None:
        """The misreport of largest probability (None when no category has another value)."""
        return max(self.misreports, key=lambda m: m.probability, default=None)

    @property
    def largest_gain(self) -> float:
        """max over misreports of (probability - truthful); 0 when no misreport gains more than GAIN_TOLERANCE."""
        best = self.best
        gain = best.probability - self.truthful if best is not None else 0.0
        return gain if gain > GAIN_TOLERANCE else 0.0

    def as_json(self) -> dict:
        return {"volunteer": self.volunteer, "truthful": self.truthful,
                "misreports": [{"category": m.category, "value": m.value, "probability": m.probability}
                               for m in self.misreports],
                "largest_gain": self.largest_gain}


@dataclass
class Manipulability:
    """The largest gain from one misreport over the volunteers examined, and who achieves it."""

    algorithm: str
    largest_gain: float
    achieved_by: Incentives | None  # the volunteer with the largest gain (their best misreport is `.best`)
    examined: list[Incentives]
    exhaustive: bool  # True when every type was examined
    sample_size: int | None  # volunteers sampled (None when every type was examined without sampling)
    seed: int
    reruns: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    paths: dict[str, int] = field(default_factory=dict)  # leximin: reruns by path (`LeximinReruns.stats`)

    def as_json(self) -> dict:
        best = self.achieved_by
        misreport = best.best if best is not None else None
        return {
            "algorithm": self.algorithm,
            "manipulability": self.largest_gain,
            "volunteer": best.volunteer if best is not None else None,
            "truthful": best.truthful if best is not None else None,
            "misreport": None if misreport is None else {"category": misreport.category, "value": misreport.value,
                                                         "probability": misreport.probability},
            "exhaustive": self.exhaustive,
            "sample_size": self.sample_size,
            "seed": self.seed,
            "reruns": self.reruns,
            "rerun_paths": self.paths,
            "seconds": self.seconds,
            "volunteers": [{"volunteer": e.volunteer, "truthful": e.truthful, "largest_gain": e.largest_gain,
                            "category": e.best.category if e.best else None,
                            "value": e.best.value if e.best else None} for e in self.examined],
        }


def alternatives(instance: Instance, row: int) -> list[tuple[str, str]]:
    """(category, value) for every value of every category that volunteer `row` did not report."""
    reported = instance.codes[row]
    return [(category, value) for c, category in enumerate(instance.categories)
            for j, value in enumerate(instance.values(category)) if j != reported[c]]


def misreported(instance: Instance, row: int, category: str, value: str) -> Instance:
    """The same pool with volunteer `row` reporting `value` in `category` (quota-file spelling)."""
    pool = instance.pool.copy()
    pool.loc[pool.index[row], category] = value
    spelled = None
    if instance.category_values is not None:
        spelled = instance.category_values.copy()
        spelled.loc[spelled.index[row], category] = value
    return replace(instance, pool=pool, category_values=spelled)  # types and codes recomputed on the copy


class PanelBank:
    """Panels of the truthful run and of the latest reruns, by value codes: the warm start of the next rerun
    (`core.fair.columns.carry_columns` keeps those valid on the changed pool). Misreports of one volunteer
    change the same type, so the panels of one rerun often serve the next."""

    def __init__(self, instance: Instance, truthful: SelectionResult, recent: int = RECENT_RUNS):
        self.base = [(instance.types.codes, truthful.distribution.compositions)] if truthful.distribution else []
        self.recent: deque = deque(maxlen=recent)

    def add(self, instance: Instance, result: SelectionResult) -> None:
        if result.distribution is not None and not instance.types.per_person:
            self.recent.append((instance.types.codes, result.distribution.compositions))

    def options(self, algorithm: str, instance: Instance, options: dict) -> dict:
        """`options` with the warm start, for the algorithms whose probabilities a warm start cannot change."""
        if algorithm not in WARM_STARTED or instance.types.per_person or not self.base:
            return dict(options)
        return {**options, "warm_start": self.base + list(self.recent)}


def leximin_reruns(instance: Instance, algorithm: str, options: dict, truthful: SelectionResult) -> LeximinReruns | None:
    """The shared rerun machinery for leximin (`core.fair.leximin_reruns`), None for other algorithms."""
    if algorithm != "leximin":
        return None
    return LeximinReruns(instance, solver=options.get("solver", "highs"), truthful=truthful)


def incentives(instance: Instance, row: int, algorithm: str, *, seed: int = 0, options: dict | None = None,
               truthful: SelectionResult | None = None, bank: PanelBank | None = None,
               reruns: LeximinReruns | None = None, progress: Progress = no_progress) -> Incentives:
    """Volunteer `row`'s probability as reported and under every single misreport (one rerun each)."""
    options = dict(options or {})
    truthful = truthful if truthful is not None else run(algorithm, instance, seed=seed, options=options)
    bank = bank if bank is not None else PanelBank(instance, truthful)
    reruns = reruns if reruns is not None else leximin_reruns(instance, algorithm, options, truthful)
    misreports = []
    for category, value in alternatives(instance, row):
        if reruns is not None:
            probability = reruns.probability(row, category, value)
        else:
            changed = misreported(instance, row, category, value)
            result = run(algorithm, changed, seed=seed, options=bank.options(algorithm, instance, options))
            bank.add(changed, result)
            probability = float(result.marginals[row])
        misreports.append(Misreport(category, value, probability))
        progress(f"{instance.ids[row]}: {category} = {value} gives {misreports[-1].probability:.4%}")
    return Incentives(row, str(instance.ids[row]), float(truthful.marginals[row]), misreports)


def examined_rows(instance: Instance, sample: int | None, seed: int) -> tuple[list[int], bool, int | None]:
    """The volunteers to examine, whether they cover every type, and the sample size: one per type
    (its first member, no sample) when `sample` is None and the pool has at most MAX_EXHAUSTIVE_TYPES
    types, else a seeded sample of `sample` (default DEFAULT_SAMPLE) volunteers, one per type drawn."""
    types = instance.types
    if sample is None and types.size <= MAX_EXHAUSTIVE_TYPES:
        return [int(members[0]) for members in types.members], True, None
    size = min(instance.n, DEFAULT_SAMPLE if sample is None else int(sample))
    drawn = np.random.default_rng(seed).choice(instance.n, size=size, replace=False)
    rows: dict[int, int] = {}
    for i in sorted(int(i) for i in drawn):
        rows.setdefault(int(types.of_volunteer[i]), i)
    return sorted(rows.values()), size >= instance.n, size


def _examine(instance: Instance, algorithm: str, seed: int, options: dict, truthful: SelectionResult,
             rows: list[int], progress: Progress = no_progress) -> tuple[list[Incentives], dict[str, int]]:
    """`incentives` of each of `rows`, in order, sharing one panel bank and one rerun machinery; and the
    reruns by path (leximin)."""
    bank = PanelBank(instance, truthful)
    reruns = leximin_reruns(instance, algorithm, options, truthful)
    examined: list[Incentives] = []
    for number, row in enumerate(rows, 1):
        examined.append(incentives(instance, row, algorithm, seed=seed, options=options, truthful=truthful, bank=bank,
                                   reruns=reruns))
        progress(f"{algorithm}: {number} of {len(rows)} volunteers examined, largest gain so far "
                 f"{max(e.largest_gain for e in examined):.4%}")
    return examined, _paths(reruns)


def _paths(reruns: LeximinReruns | None) -> dict[str, int]:
    return {} if reruns is None else {path: count for path, count in reruns.stats.items() if path != "reruns"}


def manipulability(instance: Instance, algorithm: str, *, seed: int = 0, options: dict | None = None,
                   sample: int | None = None, workers: int = 1, progress: Progress = no_progress) -> Manipulability:
    """The largest gain from one misreport over every type (small pools) or a seeded sample, examined in
    `workers` processes."""
    started = time.perf_counter()
    options = dict(options or {})
    truthful = run(algorithm, instance, seed=seed, options=options)
    rows, exhaustive, sample_size = examined_rows(instance, sample, seed)
    workers = max(1, min(int(workers), len(rows)))
    if workers == 1:
        examined, paths = _examine(instance, algorithm, seed, options, truthful, rows, progress)
    else:
        examined, paths = _examine_in_processes(instance, algorithm, seed, options, truthful, rows, workers, progress)
    reruns = sum(len(e.misreports) for e in examined)
    best = max(examined, key=lambda e: e.largest_gain, default=None)
    notes = []
    if algorithm == "legacy":
        notes.append("legacy's probabilities are Monte Carlo estimates: gains below their noise mean nothing")
    return Manipulability(algorithm, best.largest_gain if best is not None else 0.0, best, examined, exhaustive,
                          sample_size, seed, reruns, time.perf_counter() - started, notes, paths)


_PROCESS: dict = {}  # in each worker process: what `_start_process` was given, and its bank and rerun machinery


def _start_process(instance: Instance, algorithm: str, seed: int, options: dict, truthful: SelectionResult) -> None:
    _PROCESS.update(instance=instance, algorithm=algorithm, seed=seed, options=options, truthful=truthful,
                    bank=PanelBank(instance, truthful), reruns=leximin_reruns(instance, algorithm, options, truthful))


def _examine_batch(rows: list[int]) -> tuple[list[Incentives], dict[str, int]]:
    """`incentives` of `rows` in a worker process (started by `_start_process`), and the reruns by path."""
    state = _PROCESS
    before = _paths(state["reruns"])
    examined = [incentives(state["instance"], row, state["algorithm"], seed=state["seed"], options=state["options"],
                           truthful=state["truthful"], bank=state["bank"], reruns=state["reruns"]) for row in rows]
    return examined, {path: count - before[path] for path, count in _paths(state["reruns"]).items()}


def _examine_in_processes(instance: Instance, algorithm: str, seed: int, options: dict, truthful: SelectionResult,
                          rows: list[int], workers: int,
                          progress: Progress) -> tuple[list[Incentives], dict[str, int]]:
    """`_examine` in `workers` processes, in batches of about BATCH volunteers (progress after each)."""
    portable = replace(truthful, sampler=None)  # legacy's sampler is a closure: its marginals are what is read
    batches = [rows[start:start + BATCH] for start in range(0, len(rows), BATCH)]
    by_row: dict[int, Incentives] = {}
    paths: dict[str, int] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context(), initializer=_start_process,
                             initargs=(instance, algorithm, seed, options, portable)) as pool:
        for done in as_completed([pool.submit(_examine_batch, batch) for batch in batches]):
            part, part_paths = done.result()
            by_row.update((e.row, e) for e in part)
            paths = {path: paths.get(path, 0) + count for path, count in part_paths.items()}
            progress(f"{algorithm}: {len(by_row)} of {len(rows)} volunteers examined in {workers} processes, largest "
                     f"gain so far {max(e.largest_gain for e in by_row.values()):.4%}")
    return [by_row[row] for row in rows], paths


def _process_context():
    """fork on Linux (no re-import in each process), spawn elsewhere (fork is unsafe on macOS, absent on Windows)."""
    import multiprocessing

    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def every_misreport(instance: Instance, algorithms: list[str], *, seed: int = 0,
                    options: dict[str, dict] | None = None, progress: Progress = no_progress) -> pd.DataFrame:
    """Every volunteer, every single misreport, every algorithm (small pools): one row each with the
    reported and the misreported value, both probabilities and the gain. One rerun per type and
    misreport serves every member of the type (they are interchangeable)."""
    rows = []
    types = instance.types
    for algorithm in algorithms:
        algorithm_options = dict((options or {}).get(algorithm, {}))
        truthful = run(algorithm, instance, seed=seed, options=algorithm_options)
        bank = PanelBank(instance, truthful)
        reruns = leximin_reruns(instance, algorithm, algorithm_options, truthful)
        by_type = {t: incentives(instance, int(members[0]), algorithm, seed=seed, options=algorithm_options,
                                 truthful=truthful, bank=bank, reruns=reruns, progress=progress)
                   for t, members in enumerate(types.members)}
        for i in range(instance.n):
            found = by_type[int(types.of_volunteer[i])]
            for misreport in found.misreports:
                rows.append({"algorithm": algorithm, "volunteer": str(instance.ids[i]), "category": misreport.category,
                             "reported": str(instance.values(misreport.category)[instance.codes[i][
                                 instance.categories.index(misreport.category)]]),
                             "misreport": misreport.value, "truthful": float(truthful.marginals[i]),
                             "probability": misreport.probability,
                             "gain": misreport.probability - float(truthful.marginals[i])})
    return pd.DataFrame(rows, columns=["algorithm", "volunteer", "category", "reported", "misreport", "truthful",
                                       "probability", "gain"])
