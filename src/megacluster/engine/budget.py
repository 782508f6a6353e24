"""How much memory and time a run will take, estimated from its size before any work starts.

A run that would not fit is refused with the estimate and the limit in the message (exit code 2), instead of
filling the machine. The estimate is linear in what drives the cost: time steps × replicas (the plant's arrays
and the dispatch loop), and the job's expected events (failure candidates drawn up front and handled one
by one in the event loop). The coefficients were measured with ``benchmarks/bench_budget.py`` (which prints
estimate against measurement for several run sizes) and are rounded up, so the estimate errs on the high side.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from megacluster.errors import InputError
from megacluster.power.constants import COMPILED_MIN_STEPS
from megacluster.results.assemble import BAND_BLOCK_STEPS
from megacluster.scenario.schema import Scenario

BASE_BYTES = 400e6
"""Interpreter, libraries, catalogs and the performance model's layout search. [B]
[D] peak resident memory of small runs measured by benchmarks/bench_budget.py: 377-387 MB (the flagship's
set-up; 60 days of a 1M-GPU campus, whose layout search is the largest), rounded up."""

STEP_BYTES = 1_500.0
"""Memory per time step shared by all replicas: the time-series table, the report's series. [B]
[D] traced peak per step of a one-replica run minus the per-replica part (~1,150 B), rounded up."""

REPLICA_STEP_BYTES = 500.0
"""Memory per time step and replica: the plant's arrays and the job's progress kept until the summary. [B]
[D] traced peak growth per step and added replica (~320–380 B), rounded up."""

DIGEST_BYTES = 100e3
"""Memory per replica kept to the end of a run of several replicas: its digest (summary figures, its finish
row; its events and cumulative FLOP are spooled to disk, results/eventlog.py). [B]
[D] the driver grew by ~7 MB over 100 flagship replicas (PSS sampled every 0.1 s), rounded up."""

BAND_STEP_BYTES = 16.0
"""Memory per replica and step of one block of the P10/P50/P90 bands (``assemble.BAND_BLOCK_STEPS`` steps at
a time): the replicas' curves stacked, and the sorted copy the percentiles make. [B] [D] 2 x 8 B."""

COMPILED_LOOP_BYTES = 130e6
"""Memory of numba and the compiled dispatch loop, loaded by runs of ``COMPILED_MIN_STEPS`` steps or more. [B]
[D] resident memory grew by 121 MB on loading it (flagship, /proc/self/status), rounded up."""

JOB_LOOP_BYTES = 15e6
"""Memory of the job's compiled event loop, loaded by runs of ``JOB_COMPILED_MIN_REPLICAS`` replicas or
more. [B] [D] resident memory grew by 12 MB on loading it after the dispatch loop (/proc/self/status; 78 MB
while each of its helpers was loaded as a library of its own), rounded up."""

EVENT_BYTES = 1_600.0
"""Memory per expected job event (failure candidate, its cause, repair time, the event-log row). [B]
[D] traced peak growth per event row with a raised failure rate (~1,150 B), rounded up."""

SPOOL_EVENT_BYTES = 180.0
"""Disk per event row a replica spools while the run lasts (uncompressed Arrow, results/eventlog.py), and the
events.parquet a run writes ahead into the spool (``EventLog.prepare``). [B]
[D] 3.64 MB for ~23,600 rows a flagship replica (8 replicas' spool measured: 154 B a row), plus 45 MB of
events.parquet for 2.63 million rows of 100 replicas (17 B a row), rounded up."""

SPOOL_STEP_BYTES = 8.0
"""Disk per step a replica spools: its cumulative FLOP curve, one float64 a step. [B]"""

DISK_SHARE = 0.9
"""Share of the temporary folder's free space a run's spool may take. [-] [A] room for everything else."""

STEP_SECONDS = 20e-6
"""CPU time per time step and replica on the interpreted dispatch loop (runs under ``COMPILED_MIN_STEPS``
steps): the plant's arrays and the loop. [s]
[D] ~15-17 us measured by benchmarks/bench_budget.py when every run used the interpreted loop (flagship,
1M-GPU campus), rounded up."""

COMPILED_STEP_SECONDS = 2e-6
"""CPU time per time step and replica with the compiled dispatch loop (runs of ``COMPILED_MIN_STEPS`` steps
or more): the plant, the job's per-step tables, the digest and the spooled curve. [s]
[D] 1.3-1.5 us measured: the flagship's replicas (4 in one process, the compiled loops) at 86,400 steps took
0.159 s with 26,669 expected events and 0.112 s with 860, at 172,800 steps 0.282 s with 9,463; rounded up."""

EVENT_SECONDS = 30e-6
"""CPU time per expected job event in the Python event loop (runs under ``JOB_COMPILED_MIN_REPLICAS``
replicas) and the replica's digest. [s]
[D] 18-28 us measured per expected event (one flagship replica at 5-minute steps: 0.61 s with 26,669; at
1-minute steps over 120 days: 0.53 s with 9,463, the steps' share taken off), rounded up."""

COMPILED_EVENT_SECONDS = 4e-6
"""CPU time per expected job event with the compiled event loop (runs of ``JOB_COMPILED_MIN_REPLICAS``
replicas or more), the replica's event table and spool part included. [s]
[D] 1.8 us measured: the same steps with 26,669 and 860 expected events, 0.159 against 0.112 s a replica;
rounded up."""

JOB_LOOP_SECONDS = 1.5
"""CPU time of loading the job's compiled loop from numba's cache, once a run. [s] [D] 1.05-1.1 s measured
(cProfile of the flagship's 100 replicas), rounded up. The first run after an install or a change of
``reliability/kernel.py`` compiles it instead (~30 s, not counted: it happens once)."""

SETUP_SECONDS = 2.0
"""CPU time of a run's set-up, once: the layout search, loading the compiled loop, assembling the results.
[s]
[D] 1-2 s measured by benchmarks/bench_budget.py (the flagship: 3.1 s in all for one replica), rounded up."""

DEFAULT_MEMORY_SHARE = 0.5
"""Share of the machine's memory a run may take unless ``--max-memory`` says otherwise. [-] [A]"""

DEFAULT_MAX_SECONDS = 24 * 3600.0
"""Longest estimated run accepted unless ``--max-time`` says otherwise. [s] [A] a day of CPU time."""


@dataclass(frozen=True)
class WorkEstimate:
    """What a run will cost, estimated before it starts."""

    steps: int
    """Time steps per replica. [-]"""
    replicas: int
    """Monte Carlo replicas. [-]"""
    events_per_replica: float
    """Expected job events (interruptions, repairs, planned stops) per replica. [-]"""
    memory_bytes: float
    """Peak memory. [B]"""
    seconds: float
    """CPU time on one core. [s]"""
    runs_label: str = "replicas"
    """What the repeated runs are, for messages. [-]"""
    disk_bytes: float = 0.0
    """Spooled to the temporary folder while the run lasts (the replicas' events and FLOP curves). [B]"""

    def describe(self) -> str:
        """One line with the drivers of the estimate."""
        return (
            f"{self.steps:,} steps x {self.replicas:,} {self.runs_label}, "
            f"~{self.events_per_replica:,.0f} job events per replica: "
            f"~{fmt_bytes(self.memory_bytes)} and ~{fmt_seconds(self.seconds)}"
        )


def fmt_bytes(value: float) -> str:
    """Bytes in the largest fitting binary unit, e.g. '3.2 GiB'."""
    for unit, size in (("TiB", 2.0**40), ("GiB", 2.0**30), ("MiB", 2.0**20)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value / 1024:.0f} KiB"


def fmt_seconds(value: float) -> str:
    """A duration in s, min, h or days."""
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    if value < 2 * 86400:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.0f} days"


def expected_events(scenario: Scenario) -> float:
    """Expected job events of one replica: unexpected interruptions on the job's GPUs over the training span
    (with the infant-mortality excess), planned stops, and the repairs that follow failures. [-]"""
    training = scenario.training
    if training is None:
        return 0.0
    rel = scenario.reliability
    sim = scenario.simulation
    start = training.start or sim.start
    span_h = max(0.0, sim.horizon_days * 24.0 - (start - sim.start).days * 24.0)
    excess_h = (rel.infant_mortality_factor - 1.0) * min(span_h, rel.infant_mortality_decay_days * 24.0)
    unexpected = rel.unexpected_rate_per_gpu_hour() * training.job_gpus * (span_h + excess_h)
    planned = rel.planned_interruptions_per_day * span_h / 24.0
    return 2.0 * unexpected + planned  # each failure that pulls a node also logs its repair


JOB_COMPILED_MIN_REPLICAS = 4
"""[A] Fewest replicas that run the job's compiled event loop (``reliability/kernel.py``): loading it costs a
process ~1 s (~30 s the first time it is compiled after an install or a change), and it saves ~0.3 s a
flagship replica (0.38 -> 0.08 s for its job, benchmarks/bench_reliability.py); a single run keeps the
Python loop. Both loops give the same result to the last bit, so this choice never changes a figure. [-]"""

PARALLEL_MIN_REPLICAS = 4
"""[A] Fewest replicas run on a pool: a forked pool costs a fraction of a second (4 short replicas: 0.3 s on
2 workers against 0.4 s in one process, docs/replicas.md), and below 4 replicas the gain is small next to
the shared set-up (~2-4 s for the flagship). [-]"""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity). [-]"""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def workers_for(replicas: int) -> int:
    """Processes that run ``replicas`` replicas at once by default: the usable cores, no more than the
    replicas, and 1 (no pool) below :data:`PARALLEL_MIN_REPLICAS`. [-]"""
    if replicas < PARALLEL_MIN_REPLICAS:
        return 1
    return max(1, min(usable_cores(), replicas))


def step_seconds(steps: int) -> float:
    """CPU time per step and replica of a run of ``steps`` steps: compiled dispatch from
    ``COMPILED_MIN_STEPS`` on, else interpreted. [s]"""
    return COMPILED_STEP_SECONDS if steps >= COMPILED_MIN_STEPS else STEP_SECONDS


def estimate_work(scenario: Scenario, replicas: int | None = None) -> WorkEstimate:
    """Memory and time of ``simulate(scenario)`` from its size alone (milliseconds, no simulation).

    Replicas are reduced to digests as they finish and their events spooled to disk (engine/replicas.py,
    results/eventlog.py): whole replicas alive at once are the first one (kept for the time series) and one
    per worker process; every replica keeps its digest, and the bands are computed a block of steps at a
    time from the spooled curves."""
    sim = scenario.simulation
    reps = sim.replicas if replicas is None else replicas
    steps = max(1, round(sim.horizon_days * 86400.0 / sim.step))
    events = expected_events(scenario)
    held = 1 if reps == 1 else 1 + workers_for(reps)
    compiled_job = reps >= JOB_COMPILED_MIN_REPLICAS
    memory = (
        BASE_BYTES
        + (COMPILED_LOOP_BYTES if steps >= COMPILED_MIN_STEPS else 0.0)
        + (JOB_LOOP_BYTES if compiled_job else 0.0)
        + steps * STEP_BYTES
        + held * (steps * REPLICA_STEP_BYTES + EVENT_BYTES * events)
        + (reps * (DIGEST_BYTES + min(steps, BAND_BLOCK_STEPS) * BAND_STEP_BYTES) if reps > 1 else 0.0)
    )
    per_event = COMPILED_EVENT_SECONDS if compiled_job else EVENT_SECONDS
    seconds = SETUP_SECONDS + (JOB_LOOP_SECONDS if compiled_job else 0.0)
    seconds += reps * (steps * step_seconds(steps) + events * per_event)
    spooled = reps > 1 and scenario.training is not None  # runs of several replicas spool a job's log
    disk = reps * (events * SPOOL_EVENT_BYTES + steps * SPOOL_STEP_BYTES) if spooled else 0.0
    return WorkEstimate(steps, reps, events, memory, seconds, disk_bytes=disk)


def temp_free_bytes() -> float:
    """Free space in the temporary folder the replicas' spool goes to (``TMPDIR``). [B]"""
    return float(shutil.disk_usage(tempfile.gettempdir()).free)


def estimate_plant_runs(scenario: Scenario, runs: int) -> WorkEstimate:
    """Memory and time of ``runs`` plant simulations of the scenario's horizon, one after the other (sizing):
    no training job, one set of arrays alive at a time."""
    sim = scenario.simulation
    steps = max(1, round(sim.horizon_days * 86400.0 / sim.step))
    memory = BASE_BYTES + steps * (STEP_BYTES + REPLICA_STEP_BYTES)
    return WorkEstimate(steps, runs, 0.0, memory, runs * steps * step_seconds(steps), "plant simulations")


def machine_memory_bytes() -> float:
    """Physical memory of this machine, or the control group's limit when lower. [B]"""
    total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = float(text)
    return total


def default_max_memory_bytes() -> float:
    """The memory a run may take by default: a share of the machine's. [B]"""
    return DEFAULT_MEMORY_SHARE * machine_memory_bytes()


_SIZE_UNITS = {"": 1.0, "b": 1.0, "k": 2.0**10, "m": 2.0**20, "g": 2.0**30, "t": 2.0**40}


def parse_bytes(text: str, option: str = "--max-memory") -> float:
    """A size such as '12G', '500M' or '2TiB' in bytes; InputError naming ``option`` otherwise. [B]"""
    raw = text.strip().lower().removesuffix("ib").removesuffix("b")
    number, unit = raw, ""
    if raw and raw[-1] in "kmgt":
        number, unit = raw[:-1], raw[-1]
    try:
        value = float(number) * _SIZE_UNITS[unit]
    except (ValueError, KeyError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(option, None, f"expected a size such as 12G, 500M or 2T (got {text!r})")
    return value


def check_work(
    estimate: WorkEstimate,
    max_memory_bytes: float | None = None,
    max_seconds: float | None = None,
    what: str = "this run",
) -> None:
    """InputError when the estimate exceeds the limits (``--max-memory``/``--max-time`` raise them)."""
    limit = default_max_memory_bytes() if max_memory_bytes is None else max_memory_bytes
    if estimate.memory_bytes > limit:
        raise InputError(
            None,
            "simulation",
            f"{what} would need {estimate.describe()}, over the memory limit of {fmt_bytes(limit)}; use a "
            "longer step, a shorter horizon or fewer replicas (or raise --max-memory knowingly)",
        )
    time_limit = DEFAULT_MAX_SECONDS if max_seconds is None else max_seconds
    if estimate.seconds > time_limit:
        raise InputError(
            None,
            "simulation",
            f"{what} would need {estimate.describe()}, over the time limit of {fmt_seconds(time_limit)}; use "
            "a longer step, a shorter horizon or fewer replicas (or raise --max-time knowingly)",
        )
    if estimate.disk_bytes > 0:
        free = temp_free_bytes()
        if estimate.disk_bytes > DISK_SHARE * free:
            spool, room, folder = fmt_bytes(estimate.disk_bytes), fmt_bytes(free), tempfile.gettempdir()
            raise InputError(
                None,
                "TMPDIR",
                f"{what} would spool ~{spool} of replicas' events and FLOP curves to {folder}, which has "
                f"{room} free; use fewer replicas or point TMPDIR at a folder with more room",
            )
