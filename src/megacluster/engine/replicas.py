"""Running a scenario's Monte Carlo replicas: in this process, or in parallel on the local cores.

Each replica has its own generator, spawned from the run's seed by replica number
(``SeedSequence(seed).spawn(n)[i]``), so a replica's outcome does not depend on which worker ran it or in
which order: the same seed gives the same results with 1 worker or 16 (tests/engine/test_replicas.py).

Each replica is reduced to its digest (its summary figures, its cumulative FLOP, its events: 3.4 MB for
the flagship at 5-minute steps) as soon as it finishes; only the first replica, whose arrays are the run's
time series and whose power swings the report shows, is kept whole (41 MB for the flagship).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing.context import ForkContext, SpawnContext
from typing import TYPE_CHECKING

import numpy as np

from megacluster.engine.budget import JOB_COMPILED_MIN_REPLICAS, workers_for
from megacluster.errors import InputError
from megacluster.power.constants import COMPILED_MIN_STEPS
from megacluster.reliability.job import JobLoop, load_compiled
from megacluster.results.assemble import ReplicaDigest, digest_replica
from megacluster.results.eventlog import EventLog, Spool, kept_digest, spooled
from megacluster.results.replica import ReplicaRun

if TYPE_CHECKING:  # engine.simulate imports this module
    from megacluster.engine.simulate import PreparedRun


@dataclass(frozen=True)
class ReplicaSet:
    """The replicas of one run: the first one whole, every one as its digest (in replica order)."""

    first: ReplicaRun
    digests: tuple[ReplicaDigest, ...]


def replica_generators(seed: int, replicas: int) -> list[np.random.Generator]:
    """One independent generator per replica, spawned from the run's seed by replica number. [-]"""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(replicas)]


def auto_workers(replicas: int) -> int:
    """Workers for ``replicas`` replicas when the caller does not say: ``budget.workers_for`` (the usable
    local cores from ``budget.PARALLEL_MIN_REPLICAS`` replicas on), and 1 inside a worker process (a pool's
    worker cannot start its own pool). [-]"""
    return 1 if mp.current_process().daemon else workers_for(replicas)


def load_before_fork(steps: int, replicas: int = 1) -> None:
    """Load the compiled loops every replica will run, before a pool forks (the workers then inherit them) or
    before a serial run of several replicas: the dispatch loop for runs of ``COMPILED_MIN_STEPS`` steps
    (``power/compiled.py``; ~1 s a process), the job's event loop for runs of ``JOB_COMPILED_MIN_REPLICAS``
    replicas (``reliability/compiled.py``; ~1 s a process, ~30 s the first time it is compiled). [-]"""
    if steps >= COMPILED_MIN_STEPS:
        from megacluster.power.compiled import load

        load()
    if job_loop(replicas) is JobLoop.COMPILED:
        load_compiled()


@contextlib.contextmanager
def loading_before_fork(steps: int, replicas: int = 1) -> Iterator[None]:
    """:func:`load_before_fork` on a thread of its own while the body runs (the caller's set-up: the layout
    search), finished when the body ends and before any pool forks. Loading numba's cached code spends much of
    its time in LLVM, outside the interpreter's lock: the flagship's set-up and loading took 1.14-1.25 s
    together, 1.26-1.53 s one after the other (docs/replicas.md). [-]"""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="megacluster-load") as thread:
        loaded = thread.submit(load_before_fork, steps, replicas)
        yield
        loaded.result()


def shared_before_fork(prepared: PreparedRun) -> None:
    """Compute before a pool forks what every replica of ``prepared`` computes alike, so that the workers
    inherit it instead of each computing its own: the site's weather (``site.site_weather``'s cache). [-]"""
    from megacluster.engine.site import site_weather

    site_weather(prepared.scenario, prepared.grid.times)


def job_loop(replicas: int) -> JobLoop:
    """The job's event loop for a run of ``replicas`` replicas: compiled from ``JOB_COMPILED_MIN_REPLICAS``
    on (loading it pays back there), else Python; the same results either way. [-]"""
    return JobLoop.COMPILED if replicas >= JOB_COMPILED_MIN_REPLICAS else JobLoop.PYTHON


@contextlib.contextmanager
def frozen_for_fork() -> Iterator[None]:
    """While a pool forks and runs: this process's objects out of the garbage collector's sight
    (``gc.freeze``), so that a forked worker's collections do not touch every inherited object and copy its
    memory page (the workers' private memory fell from ~240 to ~200 MB with 12 flagship replicas); thawed
    afterwards, so that a long-lived process (the web server) still collects what it frees. [-]"""
    gc.collect()
    trim_heap()  # the set-up's freed heap (the layout search) goes back to the system before the fork
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def pool_context() -> ForkContext | SpawnContext:
    """The start method of replica workers: 'fork' where the platform has it (see :func:`_run_pool`)."""
    return mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")


_WORKER_RUN: PreparedRun | None = None
"""The prepared run of this worker process (set once by the pool's initialiser)."""


def system_allocator_for_arrow() -> None:
    """In a replica worker: Arrow's buffers (a replica's spooled events) from the C heap the replica's arrays
    use, not from Arrow's own allocator (mimalloc), whose pages a worker kept besides its heap (100 flagship
    replicas peaked ~40 MB lower in all, in the same time; docs/replicas.md). Unless the user chose an
    allocator (``ARROW_DEFAULT_MEMORY_POOL``). [-]"""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def _init_worker(prepared: PreparedRun) -> None:
    global _WORKER_RUN
    _WORKER_RUN = prepared
    system_allocator_for_arrow()


def _one(
    prepared: PreparedRun, index: int, seed: int, replicas: int, spool: Spool | None
) -> tuple[ReplicaDigest, ReplicaRun | None, int]:
    """Replica ``index`` of ``replicas``: its digest (its events spooled where it ran), its whole run if it
    is the first, and the event rows spooled."""
    child = np.random.SeedSequence(seed).spawn(replicas)[index]
    run = prepared.replica(np.random.default_rng(child), job_loop(replicas))
    digest, rows = spooled(spool, index, digest_replica(run, prepared.scenario, prepared.grid))
    return digest, (run if index == 0 else None), rows


def _worker_one(
    index: int, seed: int, replicas: int, spool: Spool | None
) -> tuple[ReplicaDigest, ReplicaRun | None, int]:
    if _WORKER_RUN is None:  # pragma: no cover - the initialiser always runs first
        raise RuntimeError("replica worker started without its prepared run")
    return _one(_WORKER_RUN, index, seed, replicas, spool)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - not glibc
        return None


def trim_heap() -> None:
    """Give the C heap this process freed back to the system (glibc's ``malloc_trim``): the set-up's, before
    the pool forks. Not after each replica: the next replica reuses the kept heap, and trimming it made every
    replica fault its pages in again (100 flagship replicas took ~1.4 s longer, ~30 ms of system time a
    replica) for no lower peak (docs/replicas.md). Nothing on other C libraries. [-]"""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def run_replicas(
    prepared: PreparedRun,
    seed: int,
    replicas: int,
    *,
    workers: int | None = None,
    on_replica: Callable[[], None] | None = None,
    log: EventLog | None = None,
) -> ReplicaSet:
    """Run ``replicas`` replicas from ``seed`` on ``workers`` processes (None: :func:`auto_workers`).

    ``on_replica`` is called in this process after each replica finishes, in whatever order they finish;
    with a ``log``, each replica's events are spooled to it as it finishes (``results/eventlog.py``).
    """
    if replicas < 1:
        raise InputError(None, "simulation.replicas", f"at least 1 replica (got {replicas})")
    if workers is not None and workers < 1:
        raise InputError(None, "workers", f"at least 1 worker (got {workers})")
    n_workers = auto_workers(replicas) if workers is None else min(workers, replicas)
    slots: list[ReplicaDigest | None] = [None] * replicas
    first: ReplicaRun | None = None
    if n_workers == 1:
        load_before_fork(prepared.grid.n, replicas)
        for index, rng in enumerate(replica_generators(seed, replicas)):
            run = prepared.replica(rng, job_loop(replicas))
            slots[index] = kept_digest(log, index, digest_replica(run, prepared.scenario, prepared.grid))
            first = run if index == 0 else first
            del run  # only the digest outlives the replica
            if on_replica is not None:
                on_replica()
    else:
        first = _run_pool(prepared, seed, replicas, n_workers, slots, on_replica, log)
    if first is None or any(d is None for d in slots):  # pragma: no cover - every slot is filled above
        raise RuntimeError("a replica produced no result")
    return ReplicaSet(first=first, digests=tuple(d for d in slots if d is not None))


def _run_pool(
    prepared: PreparedRun,
    seed: int,
    replicas: int,
    n_workers: int,
    slots: list[ReplicaDigest | None],
    on_replica: Callable[[], None] | None,
    log: EventLog | None = None,
) -> ReplicaRun | None:
    """The replicas on a pool of ``n_workers`` processes. Fills ``slots``; returns the first replica's run.

    Forked where the platform can (Linux): a forked worker starts with the prepared run already in its
    memory, where a fresh one ('spawn', 'forkserver') re-imports the engine first: 4 short replicas on 2
    workers took 0.3 s forked, 2.8 s with forkserver and 8.2 s with spawn (docs/replicas.md). The workers
    only compute and send back; they take none of the caller's locks (a progress bar's thread keeps running
    in the caller only).
    """
    load_before_fork(prepared.grid.n, replicas)
    shared_before_fork(prepared)
    spool = log.spool if log is not None else None  # workers write their replicas' events themselves
    with (
        frozen_for_fork(),
        ProcessPoolExecutor(
            max_workers=n_workers, mp_context=pool_context(), initializer=_init_worker, initargs=(prepared,)
        ) as pool,
    ):
        pending: dict[Future[tuple[ReplicaDigest, ReplicaRun | None, int]], int] = {
            pool.submit(_worker_one, index, seed, replicas, spool): index for index in range(1, replicas)
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                digest, _, rows = future.result()  # workers send digests only (never replica 0)
                slots[index] = digest
                if log is not None:
                    log.note(index, rows)
                if on_replica is not None:
                    on_replica()
    # the representative replica (0) runs here once the workers are gone: its whole run (41 MB for the
    # flagship) is made where the results are assembled, neither pickled through a pipe (the worker that sent
    # it peaked ~60 MB higher, and this process received a copy) nor held while the pool runs
    slots[0], first, rows = _one(prepared, 0, seed, replicas, spool)
    if log is not None:
        log.note(0, rows)
    if on_replica is not None:
        on_replica()
    return first
