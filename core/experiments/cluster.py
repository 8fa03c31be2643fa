"""Where experiment tasks run: a Dask `LocalCluster` on this machine, or a running cluster.

`open_client(scheduler=None, workers=None)`:
- with a scheduler address (`--scheduler tcp://HOST:PORT`, else the environment variable
  DASK_SCHEDULER_ADDRESS), connect to that cluster: the same code then runs on Kubernetes, an HPC
  queue or a cloud through dask-kubernetes / dask-jobqueue, which start such a scheduler;
- otherwise start a LocalCluster of `workers` processes (default: the machine's cores), one thread
  each, with OMP_NUM_THREADS=1 so that solver threads do not fight over the cores.

`ProgressLine` prints done / total, rate and time left on stderr as results arrive.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from typing import IO, Iterator

SCHEDULER_ENVIRONMENT = "DASK_SCHEDULER_ADDRESS"
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def scheduler_address(given: str | None) -> str | None:
    """The cluster to use: the address given, else DASK_SCHEDULER_ADDRESS, else None (a local cluster)."""
    address = (given or os.environ.get(SCHEDULER_ENVIRONMENT) or "").strip()
    return address or None


@contextlib.contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None, *,
                processes: bool = True) -> Iterator["distributed.Client"]:  # noqa: F821 - imported lazily
    """A Dask client for the duration of the block (see the module docstring); closed afterwards.

    `processes=False` keeps the workers as threads of this process (the app's small sweeps).
    """
    from distributed import Client, LocalCluster

    address = scheduler_address(scheduler)
    if address is not None:
        client = Client(address, timeout="30s")
        try:
            yield client
        finally:
            client.close()
        return
    count = max(1, int(workers or os.cpu_count() or 1))
    options = dict(n_workers=count, threads_per_worker=1, processes=processes, dashboard_address=":0",
                   silence_logs=40)
    if processes:
        options["env"] = SINGLE_THREADED
    with LocalCluster(**options) as cluster, Client(cluster) as client:
        yield client


def _same(value):
    return value


def shared(client, value, name: str):
    """`value` held once on the cluster for the tasks that use it. Unlike `client.scatter`, which
    loses the value with the worker holding it, this is a task: if that worker dies, Dask
    computes it again elsewhere and the tasks depending on it go on."""
    return client.submit(_same, value, key=f"shared-{name}-{uuid.uuid4().hex}", pure=False)


class ProgressLine:
    """`label: done/total, rate/s, time left` on a stream (stderr), at most every `every` seconds."""

    def __init__(self, total: int, label: str, stream: IO[str] | None = None, every: float = 1.0):
        self.total, self.label, self.every = total, label, every
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.shown = -1.0
        self.done = 0

    def update(self, done: int, note: str = "", force: bool = False) -> None:
        self.done = done
        now = time.perf_counter()
        if not force and now - self.shown < self.every and done < self.total:
            return
        self.shown = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        left = (self.total - done) / rate if rate > 0 else float("nan")
        width = 20
        filled = int(width * done / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        eta = _duration(left) if left == left else "?"
        line = f"{self.label} [{bar}] {done}/{self.total}, {rate:.2f}/s, {eta} left"
        print(line + (f"; {note}" if note else ""), file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
