"""The job's compiled event loop (``reliability/kernel.py``) gives ``JobMachine``'s result to the last bit.

Each case runs one job twice from the same generator state, once on each loop, and compares every field of
the two ``JobResult``s exactly (floats by value, arrays element by element with their dtypes). The cases are
the ten pinned ones of ``test_job_loop_identical.py`` and 40 random jobs drawn from a seeded generator over
the settings the loop branches on: constant, varying and power-limited supplies, sync and async checkpoints,
fixed and automatic intervals (Daly, Young, Saxena), restarts from parts or fixed, in-memory checkpoints,
shrinking or waiting on shortages, spares, grows, planned stops, site power events, late starts and jobs
that finish. More cases force the paths a random job rarely takes: more layouts than the profile cache holds
(climbing, and coming back down through them), books that outgrow their first size, a capped run that starts
at a small fractional time (the order of the capped time's sum matters there), and the event heaps' order
when times tie. A hand-mutation run of the kernel (15 mutations) found the gaps these last cases cover.
"""

from __future__ import annotations

import dataclasses
import heapq
from typing import Any

import numpy as np
import pytest
from numba import njit

from megacluster.power.policy import JobAllotment, PowerPolicy
from megacluster.reliability import JobInputs, JobLoop, ReliabilityConfig, kernel, run_job
from megacluster.reliability import compiled as glue
from megacluster.reliability.jobdata import JobResult
from megacluster.reliability.layout import CACHED_PROFILES
from megacluster.reliability.machine import JobMachine
from reliability.helpers import power_allotment
from reliability.test_job_loop_identical import CASES

STEP_S = 300.0
pytestmark = pytest.mark.timeout(120)  # a loop that never ends fails here instead of holding the suite


def assert_same(a: Any, b: Any, path: str = "") -> None:
    """``a`` and ``b`` equal to the bit: same types, same dtypes and shapes, same values (NaN equal NaN)."""
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), path
        assert (a.dtype, a.shape) == (b.dtype, b.shape), path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), (path, np.flatnonzero(a != b)[:5])
    else:
        assert type(a) is type(b), (path, type(a), type(b))
        assert a == b or (a != a and b != b), (path, a, b)


def both(inputs: JobInputs, seed: int) -> tuple[JobResult, JobResult]:
    python = run_job(inputs, np.random.default_rng(seed), JobLoop.PYTHON)
    return python, run_job(inputs, np.random.default_rng(seed), JobLoop.COMPILED)


def assert_both_equal(inputs: JobInputs, seed: int) -> JobResult:
    python, compiled = both(inputs, seed)
    for field in dataclasses.fields(JobResult):
        assert_same(getattr(python, field.name), getattr(compiled, field.name), field.name)
    return python


@pytest.mark.parametrize("case", sorted(CASES))
def test_pinned_cases_are_equal_on_both_loops(case: str) -> None:
    make, seed = CASES[case]
    assert_both_equal(make(), seed)


def _config(rng: np.random.Generator) -> dict[str, object]:
    """Random settings the loop branches on."""
    cfg: dict[str, object] = {
        "interruption_rate_per_gpu_hour": float(10 ** rng.uniform(-5, -2.7)),
        "planned_interruptions_per_day": float(rng.choice([0.0, 0.5, 3.0])),
        "correlated_failures": bool(rng.random() < 0.7),
        "checkpoint_mode": str(rng.choice(["sync", "async"])),
        "async_stall_s": float(rng.uniform(0.5, 5.0)),
        "auto_method": str(rng.choice(["daly", "young", "saxena"])),
        "spares_gpus": int(rng.choice([0, 16, 64])),
        "repair_median_h": float(rng.uniform(1.0, 24.0)),
        "on_shortage": str(rng.choice(["shrink", "wait"])),
        "infant_mortality_factor": float(rng.choice([1.0, 3.0])),
        "in_memory_checkpoint": bool(rng.random() < 0.3),
        "grow_threshold": float(rng.choice([0.0, 1.0, 3.0])),
    }
    if rng.random() < 0.3:
        cfg["checkpoint_interval_min"] = float(rng.uniform(5.0, 60.0))
        cfg["checkpoint_write_s"] = float(rng.uniform(5.0, 120.0))
    if rng.random() < 0.25:
        cfg["restart_model"] = "fixed"
        cfg["restart_s"] = float(rng.uniform(60.0, 1800.0))
        cfg["restart_load"] = str(rng.choice(["included", "from_size"]))
    return cfg


def random_job(seed: int) -> JobInputs:
    """A job of a random shape and settings (see the module's docstring)."""
    rng = np.random.default_rng(1000 + seed)
    days = float(rng.uniform(3.0, 12.0))
    n = round(days * 86400 / STEP_S)
    starts = np.arange(n) * STEP_S
    rg = int(rng.choice([64, 128, 256]))
    top = rg * int(rng.integers(8, 40))
    shape = rng.choice(["constant", "varying", "powered"])
    held = np.full(n, top, dtype=np.int64)
    if shape != "constant":  # a ramp with a few drops to nothing or to half
        held = np.minimum(top, rg * (1 + (starts // (86400 * rng.uniform(0.5, 2.0))).astype(np.int64) * 4))
        for _ in range(int(rng.integers(1, 4))):
            at = int(rng.integers(0, n - 50))
            held[at : at + int(rng.integers(10, 80))] = int(rng.choice([0, top // 2]))
    rate_per_gpu = 4e14 * (1 + 0.05 * np.sin(starts / 7200.0))
    power = None
    per_replica = None
    if shape == "powered":
        share = np.repeat(rng.choice([0.0, 0.3, 0.55, 0.8, 1.0], size=n // 24 + 1), 24)[:n]
        power = power_allotment(
            share * held * 1200.0,
            held,
            cap_min=float(rng.choice([0.5, 0.6, 0.8])),
            exponent=float(rng.choice([0.866, 0.7, 1.0])),
            policy=PowerPolicy(str(rng.choice([p.value for p in PowerPolicy]))),
        )
        per_replica = np.arange(top // rg + 1) * rg * 4e14 * (1 - 0.002 * np.arange(top // rg + 1))
    finishes = rng.random() < 0.4
    return JobInputs(
        step_start_s=starts,
        dt_s=STEP_S,
        flop_rate=held * rate_per_gpu,
        job_gpus=held,
        replica_gpus=rg,
        target_flop=float(top * 4e14 * days * 86400 * rng.uniform(0.2, 0.6)) if finishes else 1e40,
        start_s=float(rng.choice([0.0, 0.0, rng.uniform(0, 86400)])),
        config=ReliabilityConfig.model_validate(_config(rng)),
        checkpoint_bytes=float(rng.choice([1e12, 5.7e12])),
        replica_flop_rate=per_replica,
        power=power,
        site_event_rate_per_s=np.full(n, 1.0 / 20000.0) if rng.random() < 0.3 else None,
    )


@pytest.mark.parametrize("seed", range(40))
def test_random_jobs_are_equal_on_both_loops(seed: int) -> None:
    assert_both_equal(random_job(seed), seed)


def many_layouts() -> JobInputs:
    """A supply that steps through 700 sizes of whole 8-GPU replicas, a size every 40 minutes, with frequent
    failures: the job restarts on more distinct layouts than the profile cache holds."""
    n = 700 * 8
    held = (8 * (1 + np.arange(n) // 8)).astype(np.int64)
    return JobInputs(
        step_start_s=np.arange(n) * STEP_S,
        dt_s=STEP_S,
        flop_rate=held * 4e14,
        job_gpus=held,
        replica_gpus=8,
        target_flop=1e40,
        start_s=0.0,
        config=ReliabilityConfig.model_validate(
            {"interruption_rate_per_gpu_hour": 2e-3, "on_shortage": "shrink", "grow_threshold": 0.0}
        ),
        checkpoint_bytes=1e12,
    )


def test_more_layouts_than_the_profile_cache_holds() -> None:
    """A supply that steps through 700 sizes of whole replicas, with frequent failures: the runs evict
    profiles from the cache (its least recently used), and both loops rebuild the same windows."""
    inputs = many_layouts()
    result = assert_both_equal(inputs, 3)
    assert np.unique(result.restart_log["replicas"]).size > CACHED_PROFILES


def test_layouts_revisited_after_the_cache_evicted_them() -> None:
    """A supply that climbs through 400 sizes an hour each and comes back down through all of them, at a rate
    per GPU that is not a round number, with frequent failures: the revisits find their profiles evicted (or
    not) exactly as the reference's LRU cache does, and windows start at the same steps."""
    up = 8 * (1 + np.arange(400))
    held = np.concatenate((np.repeat(up, 12), np.repeat(up[::-1], 12))).astype(np.int64)
    n = held.size
    starts = np.arange(n) * STEP_S
    inputs = JobInputs(
        step_start_s=starts,
        dt_s=STEP_S,
        flop_rate=held * 4e14 * (1 + 0.05 * np.sin(starts / 7200.0)),
        job_gpus=held,
        replica_gpus=8,
        target_flop=1e40,
        start_s=0.0,
        config=ReliabilityConfig.model_validate(
            {
                "interruption_rate_per_gpu_hour": 1e-3,
                "on_shortage": "shrink",
                "grow_threshold": 0.0,
                "repair_median_h": 0.2,
                "spares_gpus": 64,
            }
        ),
        checkpoint_bytes=1e12,
    )
    result = assert_both_equal(inputs, 11)
    sizes = result.restart_log["replicas"]
    assert np.unique(sizes).size > CACHED_PROFILES
    assert np.any(np.diff(sizes) < 0) and np.any(np.diff(sizes) > 0)  # sizes are revisited


@pytest.mark.parametrize("seed", range(6))
def test_capped_runs_from_a_small_fractional_start(seed: int) -> None:
    """Power that caps every step (80 % of the uncapped draw), a start at 137.123 s and runs of a few hours:
    each run's capped time is summed over tens of steps from a small fractional time, where the order of the
    sum shows in the last bits (numpy's pairwise sum, which the kernel repeats)."""
    n, held = 3 * 288, 512
    gpus = np.full(n, held, dtype=np.int64)
    allot = power_allotment(np.full(n, 0.8 * held * 1200.0), gpus, policy=PowerPolicy.CAP_FIRST)
    inputs = JobInputs(
        step_start_s=np.arange(n) * STEP_S,
        dt_s=STEP_S,
        flop_rate=gpus * 4e14,
        job_gpus=gpus,
        replica_gpus=64,
        target_flop=1e40,
        start_s=137.123,
        config=ReliabilityConfig.model_validate({"interruption_rate_per_gpu_hour": 1e-3}),
        checkpoint_bytes=1e12,
        replica_flop_rate=np.arange(held // 64 + 1) * 64 * 4e14,
        power=allot,
    )
    result = assert_both_equal(inputs, seed)
    assert result.mode_s["capped"] > 0


def test_capped_time_is_the_references_to_the_bit() -> None:
    """The capped time of random spans of a capped job, many from small fractional times: the kernel's sum is
    numpy's pairwise one, as ``Layouts.capped_s`` adds."""
    make, seed = CASES["powered_wait"]
    machine = JobMachine(make(), np.random.default_rng(seed))
    lay = machine.layouts
    memory, ints = glue._pack(machine, glue.first_capacities(10))
    rng = np.random.default_rng(2)
    end = float(lay.edges[-1])
    checked = 0
    for _ in range(3000):
        t0 = float(rng.uniform(0, 3000) if rng.random() < 0.5 else rng.uniform(0, end))
        t1 = t0 + float(rng.uniform(0, 300 * 200))
        gpus = int(rng.integers(1, 9)) * lay.replica_gpus
        expected = lay.capped_s(gpus, t0, t1)
        assert kernel.capped_time(memory, ints, gpus, t0, t1) == expected, (gpus, t0, t1)
        checked += expected > 0
    assert checked > 500


def test_the_profile_cache_keeps_as_many_layouts_as_the_references() -> None:
    """After a run through 700 sizes, the kernel's cache holds ``CACHED_PROFILES`` profiles, as the
    reference's does."""
    inputs = many_layouts()
    reference = JobMachine(inputs, np.random.default_rng(3))
    reference.run()
    machine = JobMachine(inputs, np.random.default_rng(3))
    memory, ints = glue._pack(machine, glue.first_capacities(100_000))
    kernel.run(memory, ints)
    assert ints[kernel.I_LIVE] == len(reference.layouts._cache) == CACHED_PROFILES


def test_the_heaps_pop_in_time_then_sequence_order_as_heapq_does() -> None:
    """Many equal times: the kernel's heap pops (time, sequence) in the order ``heapq`` pops the reference's
    tuples, whatever the kinds and tags."""
    heap_pop, heap_push = njit(kernel._heap_pop), njit(kernel._heap_push)  # compiled, as the loop runs them
    rng = np.random.default_rng(5)
    cap = 512
    times, ints = np.zeros(cap), np.zeros(3 * cap, dtype=np.int64)
    reference: list[tuple[float, int, int, int]] = []
    n, seq, popped, expected = 0, 0, [], []
    for _ in range(2000):
        if n and (n >= cap - 1 or rng.random() < 0.45):
            expected.append(heapq.heappop(reference))
            popped.append((float(times[0]), int(ints[0]), int(ints[cap]), int(ints[2 * cap])))
            heap_pop(times, ints, cap, n)
            n -= 1
            continue
        seq += 1
        t, kind, tag = float(rng.integers(0, 6)), int(rng.integers(0, 13)), int(rng.integers(0, 99))
        heapq.heappush(reference, (t, seq, kind, tag))
        heap_push(times, ints, cap, n, t, seq, kind, tag)
        n += 1
    assert popped == expected
    assert len(popped) > 500


def test_books_that_outgrow_their_first_size_are_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    make, seed = CASES["powered_shrink"]
    monkeypatch.setattr(glue, "first_capacities", lambda events, steps=0: (3, 2, 5, 1))
    assert_both_equal(make(), seed)


def test_np_sum_adds_as_numpy_does() -> None:
    """The kernel's pairwise sum is numpy's, to the bit, at every length up to several blocks."""
    rng = np.random.default_rng(0)
    for size in [*range(0, 300), 1000, 4097]:
        values = rng.random(size) * 10.0 ** rng.uniform(-3, 6, size)
        assert kernel.np_sum(values) == np.sum(values), size


def test_a_power_object_the_kernel_does_not_know_falls_back_to_python() -> None:
    """A power limit that is not a ``JobAllotment`` runs on the Python loop even when the compiled one is
    asked for (the kernel computes the allotment's cap factor itself)."""
    inputs = CASES["powered_wait"][0]()

    class Other:
        def __init__(self, inner: JobAllotment) -> None:
            self.inner = inner

        def gpus_that_fit(self) -> Any:
            return self.inner.gpus_that_fit()

        def factor_at(self, gpus: int, steps: Any) -> Any:
            return self.inner.factor_at(gpus, steps)

        def replicas(self, replica_gpus: int) -> Any:
            return self.inner.replicas(replica_gpus)

    assert inputs.power is not None
    other = dataclasses.replace(inputs, power=Other(inputs.power))
    python, compiled = both(other, 6)
    assert_same(python.events, compiled.events)
    assert python.useful_s == compiled.useful_s


@pytest.mark.parametrize("loop", list(JobLoop))
def test_a_job_leaves_no_reference_cycles(loop: JobLoop) -> None:
    """Everything a run allocates is freed when its last reference goes, without the garbage collector: a
    cycle (the layouts and their kept profiles once were one) kept a replica's arrays until a full pass."""
    import gc

    make, seed = CASES["powered_shrink"]
    inputs = make()
    run_job(inputs, np.random.default_rng(seed), loop)  # the first run compiles or loads the kernel
    gc.collect()
    gc.disable()
    try:
        result = run_job(inputs, np.random.default_rng(seed), loop)
        del result
        assert gc.collect() == 0
    finally:
        gc.enable()
