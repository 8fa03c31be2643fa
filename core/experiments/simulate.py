"""End-to-end simulations with any algorithm, one simulated pool per task, resumable.

The process and the estimate are core.endtoend.simulation's: letters go to r people of the
population model, each joins with their participation q_u, and each pool's expected seats per
population type (Σ of its members' selection probabilities) are averaged over pools; a person of
type u reaches the panel with probability E[seats_u] / M_u, compared with k/N. The pool stream and
the run seeds depend on the seed only (pool p is batch p // 1000 of the stream, run seed
`run_seed(seed, p)`), so a distributed run adds exactly the numbers the serial
`simulate_algorithm` adds, in another order.

Tasks: `endtoend` (Phase I, closed form) one task per batch of 1,000 pools; any other algorithm one
task per pool. Completed pools are written to OUT.parts/ in chunks (a batch for endtoend, CHUNK
pools for the others: running sums of seats and of their squares, pools used and skipped), with a
manifest of the inputs; a rerun with the same inputs and seed reads the chunks there and computes
only the rest. As chunks complete, the running estimate (share of the population within ±10% of
k/N) and the largest standard error of a type's ratio to k/N are printed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..endtoend.simulation import (
    POOL_BATCH,
    EndToEnd,
    PopulationModel,
    _Accumulator,
    algorithm_seats,
    phase_one_seats,
    pool_batch,
    pool_counts,
    run_seed,
)
from ..errors import InputError, Problem
from ..model import Quota

CHUNK = 10  # pools per chunk file for algorithms other than endtoend
PHASE_ONE = "endtoend"
MANIFEST = "manifest.json"


@dataclass
class Simulation:
    """What every task of a simulation needs: the population model, letters r, k, quotas, seed."""

    model: PopulationModel
    letters: int
    k: int
    quotas: list[Quota]
    seed: int
    token: str = ""  # SHA-256 of the above: names the inputs in the manifest and the workers' caches
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # algorithm -> options

    def __post_init__(self) -> None:
        if not self.token:
            h = hashlib.sha256()
            for array in (self.model.codes, self.model.sizes, self.model.q):
                h.update(np.ascontiguousarray(array).tobytes())
            h.update(json.dumps([self.model.categories, self.model.values, self.letters, self.k,
                                 [(q.category, q.value, q.min, q.max) for q in self.quotas], self.seed,
                                 self.options], sort_keys=True, default=str).encode())
            self.token = h.hexdigest()


@dataclass
class Chunk:
    """Sums over the pools of one chunk: seats and squared seats per type, pools used and skipped."""

    algorithm: str
    index: int
    total: np.ndarray
    squares: np.ndarray
    pools: int
    skipped: int
    reasons: dict[str, int] = field(default_factory=dict)


_BATCHES: dict[tuple[str, int], np.ndarray] = {}  # per worker process: the last batches drawn


def _batch_counts(simulation: "Simulation", b: int) -> np.ndarray:
    """POOL_BATCH x U type counts of batch b (kept per worker, so the pools of a batch share one draw)."""
    key = (simulation.token, b)
    if key not in _BATCHES:
        while len(_BATCHES) >= 2:
            _BATCHES.pop(next(iter(_BATCHES)))
        sizes, types = pool_batch(simulation.model, simulation.letters, simulation.seed, b)
        _BATCHES[key] = pool_counts(sizes, types, simulation.model.types)
    return _BATCHES[key]


def pool_task(simulation: Simulation, algorithm: str, pool: int) -> tuple[np.ndarray | None, str | None]:
    """Task: expected seats per population type of pool `pool` under `algorithm` (None and a reason when skipped)."""
    counts = _batch_counts(simulation, pool // POOL_BATCH)[pool % POOL_BATCH]
    return algorithm_seats(simulation.model, counts, simulation.k, simulation.quotas, algorithm,
                           run_seed(simulation.seed, pool), simulation.options.get(algorithm))


def phase_one_task(simulation: Simulation, batch: int, pools: int) -> Chunk:
    """Task: Phase I sums over batch `batch` (its first min(1000, pools − 1000·batch) pools)."""
    m = min(POOL_BATCH, pools - batch * POOL_BATCH)
    sizes, types = pool_batch(simulation.model, simulation.letters, simulation.seed, batch, m)
    seats, valid, _ = phase_one_seats(1.0 / simulation.model.q, simulation.k, sizes, types, simulation.model.types)
    return Chunk(PHASE_ONE, batch, seats.sum(axis=0), np.einsum("pu,pu->u", seats, seats), valid, m - valid)


def chunk_of(algorithm: str, index: int, results: Sequence[tuple[np.ndarray | None, str | None]], types: int) -> Chunk:
    """The sums of a chunk's per-pool results."""
    total, squares = np.zeros(types), np.zeros(types)
    pools, skipped, reasons = 0, 0, {}
    for seats, reason in results:
        if seats is None:
            skipped += 1
            if reason != "fewer volunteers than k":
                reasons[reason] = reasons.get(reason, 0) + 1
            continue
        total += seats
        squares += seats * seats
        pools += 1
    return Chunk(algorithm, index, total, squares, pools, skipped, reasons)


def chunk_ranges(algorithm: str, pools: int) -> list[range]:
    """The pools of each chunk of `algorithm`, chunk after chunk."""
    size = POOL_BATCH if algorithm == PHASE_ONE else CHUNK
    return [range(start, min(start + size, pools)) for start in range(0, pools, size)]


class PartsFolder:
    """OUT.parts/: the manifest and one .npz file per completed chunk."""

    def __init__(self, out: str | Path, manifest: dict):
        self.folder = Path(str(out) + ".parts")
        self.manifest = manifest

    def open(self) -> None:
        """Create the folder, or check that the one there holds the same simulation."""
        path = self.folder / MANIFEST
        if path.exists():
            found = json.loads(path.read_text(encoding="utf-8"))
            if found != self.manifest:
                different = sorted(k for k in set(found) | set(self.manifest) if found.get(k) != self.manifest.get(k))
                raise InputError([Problem(f"holds the chunks of a different simulation (differs in: {', '.join(different)}).",
                                          "Delete that folder or write to another --out.", file=str(self.folder))])
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.manifest, indent=1, sort_keys=True), encoding="utf-8")

    def _path(self, algorithm: str, index: int) -> Path:
        return self.folder / f"{algorithm}-{index:06d}.npz"

    def read(self, algorithm: str, index: int) -> Chunk | None:
        path = self._path(algorithm, index)
        if not path.exists():
            return None
        with np.load(path) as data:
            return Chunk(algorithm, index, data["total"], data["squares"], int(data["pools"]), int(data["skipped"]),
                         json.loads(str(data["reasons"])))

    def write(self, chunk: Chunk) -> None:
        path = self._path(chunk.algorithm, chunk.index)
        temporary = path.with_suffix(".tmp.npz")
        np.savez(temporary, total=chunk.total, squares=chunk.squares, pools=chunk.pools, skipped=chunk.skipped,
                 reasons=json.dumps(chunk.reasons))
        temporary.replace(path)  # a chunk file is either whole or absent


def estimate(simulation: Simulation, algorithm: str, chunks: Sequence[Chunk], seconds: float = 0.0) -> EndToEnd:
    """The end-to-end estimate from the chunks done so far."""
    acc = _Accumulator(simulation.model.types)
    reasons: dict[str, int] = {}
    for chunk in chunks:
        acc.total += chunk.total
        acc.squares += chunk.squares
        acc.pools += chunk.pools
        for reason, count in chunk.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    label = "endtoend (Phase I)" if algorithm == PHASE_ONE else algorithm
    return acc.result(simulation.model, label, simulation.k, sum(c.skipped for c in chunks), seconds,
                      {"seed": simulation.seed, "letters": simulation.letters, "skipped_because": reasons})


def running_note(simulation: Simulation, run: EndToEnd) -> str:
    """One line: the running estimate and how precise it is."""
    if run.pools == 0:
        return f"{run.algorithm}: no pool done yet"
    summary = run.summary(simulation.model)
    people = simulation.model.sizes
    typical_se = float(people @ (run.standard_error / run.uniform) / people.sum())
    return (f"{run.algorithm}: {run.pools} pools, population within ±10% of k/N "
            f"{summary['population_share_within_10pct']:.1%} (standard error of a person's ratio to k/N, "
            f"population mean: {typical_se:.3f})")


def simulate(simulation: Simulation, algorithms: Sequence[str], pools: int, *, client=None,
             out: str | Path | None = None, manifest: dict | None = None,
             on_progress: Callable[[int, int, str], None] | None = None) -> list[EndToEnd]:
    """End-to-end estimates for each algorithm over `pools` simulated pools.

    With a Dask `client` every pool (every batch for endtoend) is a task; without one they run
    here. With `out`, completed chunks go to OUT.parts/ and are reused by a rerun (`manifest`
    names the inputs; a folder of another simulation is refused). `on_progress(done, total, note)`
    is told as pools complete, with the running estimate.
    """
    import time

    started = time.perf_counter()
    parts = PartsFolder(out, {**(manifest or {}), "token": simulation.token, "pools": pools}) if out else None
    if parts:
        parts.open()
    done_chunks: dict[str, list[Chunk]] = {a: [] for a in algorithms}
    todo: list[tuple[str, int, range]] = []
    for algorithm in algorithms:
        for index, members in enumerate(chunk_ranges(algorithm, pools)):
            chunk = parts.read(algorithm, index) if parts else None
            (done_chunks[algorithm].append(chunk) if chunk is not None else todo.append((algorithm, index, members)))
    total = sum(len(m) for _, _, m in todo)
    done = 0

    def finished(chunk: Chunk, size: int) -> None:
        nonlocal done
        done_chunks[chunk.algorithm].append(chunk)
        if parts:
            parts.write(chunk)
        done += size
        if on_progress:
            on_progress(done, total, running_note(simulation, estimate(simulation, chunk.algorithm,
                                                                        done_chunks[chunk.algorithm])))

    if client is None:
        for algorithm, index, members in todo:
            if algorithm == PHASE_ONE:
                finished(phase_one_task(simulation, index, pools), len(members))
            else:
                finished(chunk_of(algorithm, index, [pool_task(simulation, algorithm, p) for p in members],
                                  simulation.model.types), len(members))
    else:
        _simulate_on(client, simulation, todo, pools, finished)
    seconds = time.perf_counter() - started
    return [estimate(simulation, a, sorted(done_chunks[a], key=lambda c: c.index), seconds) for a in algorithms]


def _simulate_on(client, simulation: Simulation, todo: list[tuple[str, int, range]], pools: int,
                 finished: Callable[[Chunk, int], None]) -> None:
    """Submit every pool (every Phase I batch) as a task; close a chunk when its last pool arrives."""
    from distributed import as_completed

    from .cluster import shared as held_once

    shared = held_once(client, simulation, f"simulation-{simulation.token[:16]}")
    futures: dict = {}
    waiting: dict[tuple[str, int], dict[int, tuple]] = {}
    for algorithm, index, members in todo:
        if algorithm == PHASE_ONE:
            futures[client.submit(phase_one_task, shared, index, pools, pure=False)] = (algorithm, index, None)
        else:
            waiting[(algorithm, index)] = {}
            for pool in members:
                futures[client.submit(pool_task, shared, algorithm, pool, pure=False)] = (algorithm, index, pool)
    sizes = {(a, i): len(m) for a, i, m in todo}
    for future in as_completed(futures):
        algorithm, index, pool = futures.pop(future)
        result = future.result()  # InputError (bad options) ends the simulation: it is the user's to fix
        if pool is None:
            finished(result, sizes[(algorithm, index)])
            continue
        arrived = waiting[(algorithm, index)]
        arrived[pool] = result
        if len(arrived) == sizes[(algorithm, index)]:
            ordered = [arrived[p] for p in sorted(arrived)]
            finished(chunk_of(algorithm, index, ordered, simulation.model.types), len(ordered))


def results_table(simulation: Simulation, runs: Sequence[EndToEnd]) -> pd.DataFrame:
    """One row per (algorithm, population type): values, people, q, the end-to-end probability,
    its standard error, the ratio to k/N, and the run's pools, skipped pools, k/N and seed."""
    frames = []
    for run in runs:
        frame = run.frame(simulation.model)
        frame.insert(0, "algorithm", run.algorithm)
        frame["uniform"] = run.uniform
        frame["pools"] = run.pools
        frame["skipped"] = run.skipped
        frame["seed"] = simulation.seed
        frame["letters"] = simulation.letters
        frame["k"] = simulation.k
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
