"""The synchronous job's power at sub-second resolution, from the performance model's phase breakdown.

Each iteration of the busiest pipeline stage is a sequence of phases (``performance.step_time`` gives their
times): the compute window (forward, backward, recomputation, with the exposed TP/CP/EP all-reduces and
pipeline sends interleaved layer by layer, milliseconds apart — carried at their time-weighted mean draw),
the pipeline bubble, the exposed data-parallel collectives and the optimizer step. Pipeline stages see their
bubble at different times (1F1B: stage ``s`` idles ``s`` forward slots before its first micro-batch and ``s``
backward slots after its last; the rest of its bubble sits after its warm-up), so the job's draw is the sum
over stages. Checkpoint stalls (every checkpoint interval of compute), a failure (the job drops to idle for
the restart) and iteration-to-iteration variation come on top; each rack's transitions are offset from the
job clock by a normal jitter.

Exact bin means: every GPU's draw is piecewise constant, so its cumulative energy is piecewise linear and the
mean over each sample interval is a difference of two interpolations — energy is conserved whatever the
resolution. A rack offset by ``tau`` is the same cumulative energy read at ``t - tau``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from megacluster.units import W_PER_MW

FloatArray = npt.NDArray[np.float64]

MAX_STAGE_GROUPS = 16
"""Pipeline stages drawn separately; deeper pipelines are represented by evenly spaced stages. [-]"""
JITTER_QUANTUM_PER_SAMPLE = 8
"""Rack offsets are rounded to 1/8 of the sample interval (their histogram is what is summed). [-]"""
MIN_ITERATION_SCALE = 0.5
"""Shortest iteration, as a fraction of the nominal step time (bounds the normal variation). [-]"""


@dataclass(frozen=True)
class IterationPhases:
    """One training step of the busiest pipeline stage, by phase. [s]"""

    compute_s: float
    """Forward, backward and recomputation. [s]"""
    exposed_comm_s: float
    """Exposed TP/CP/EP communication and pipeline sends, interleaved with compute layer by layer. [s]"""
    bubble_s: float
    """Pipeline fill and drain (1F1B). [s]"""
    dp_comm_s: float
    """Exposed data-parallel collectives at the end of the step. [s]"""
    optimizer_s: float
    """Optimizer step. [s]"""
    pipeline_stages: int = 1
    virtual_stages: int = 1
    micro_batches: int = 1

    def __post_init__(self) -> None:
        times = (self.compute_s, self.exposed_comm_s, self.bubble_s, self.dp_comm_s, self.optimizer_s)
        if any(not np.isfinite(t) or t < 0 for t in times) or self.step_s <= 0:
            raise ValueError("phase times must be finite, non-negative and add up to a positive step")
        if min(self.pipeline_stages, self.virtual_stages, self.micro_batches) < 1:
            raise ValueError("pipeline_stages, virtual_stages and micro_batches must be at least 1")

    @property
    def step_s(self) -> float:
        """Time of one iteration. [s]"""
        return self.compute_s + self.exposed_comm_s + self.bubble_s + self.dp_comm_s + self.optimizer_s

    @classmethod
    def from_breakdown(
        cls, breakdown: dict[str, float], pipeline_stages: int, virtual_stages: int, micro_batches: int
    ) -> IterationPhases:
        """From ``performance.step_time.evaluate``'s breakdown (keys ``compute``, ``recompute``, ``tp_comm``,
        ``cp_comm``, ``ep_comm``, ``moe_dispatch``, ``fp8_cast``, ``host_overhead``, ``pp_p2p``, ``bubble``,
        ``dp_comm``, ``optimizer``). [s]"""
        return cls(
            # the MoE permutations, FP8 casts and exposed host launches sit inside the compute window
            compute_s=breakdown["compute"]
            + breakdown["recompute"]
            + breakdown.get("moe_dispatch", 0.0)
            + breakdown.get("fp8_cast", 0.0)
            + breakdown.get("host_overhead", 0.0),
            exposed_comm_s=breakdown["tp_comm"]
            + breakdown["cp_comm"]
            + breakdown["ep_comm"]
            + breakdown["pp_p2p"],
            bubble_s=breakdown["bubble"],
            dp_comm_s=breakdown["dp_comm"],
            optimizer_s=breakdown["optimizer"],
            pipeline_stages=pipeline_stages,
            virtual_stages=virtual_stages,
            micro_batches=micro_batches,
        )

    def slowed(self, throughput_factor: float) -> IterationPhases:
        """The step under a power cap: the compute lengthens so the whole step takes 1/factor as long. [s]"""
        if not 0 < throughput_factor <= 1:
            raise ValueError(f"throughput_factor must be in (0, 1], got {throughput_factor!r}")
        extra = self.step_s * (1.0 / throughput_factor - 1.0)
        return IterationPhases(
            **{**self.__dict__, "compute_s": self.compute_s + extra},
        )


@dataclass(frozen=True)
class GpuLevels:
    """One GPU's draw at the wall in each kind of phase. [W]"""

    compute_w: float
    """Mean of the compute window's matrix multiplies. [W]"""
    comm_w: float
    idle_w: float
    optimizer_w: float

    @classmethod
    def build(
        cls,
        tdp_wall_w: float,
        fractions: tuple[float, float, float, float],
        cap_fraction: float = 1.0,
        floor_fraction: float = 0.0,
    ) -> GpuLevels:
        """Levels from fractions of TDP (compute, communication, idle, optimizer), each limited by the power
        cap and raised to the floor (both fractions of TDP; the floor wins over the cap). [W]"""
        floor = floor_fraction * tdp_wall_w
        capped = [min(f, cap_fraction) * tdp_wall_w for f in fractions]
        compute, comm, idle, optimizer = (max(v, floor) for v in capped)
        return cls(compute_w=compute, comm_w=comm, idle_w=idle, optimizer_w=optimizer)


@dataclass(frozen=True)
class JobSchedule:
    """Where the job stalls within a window. [s]"""

    checkpoint_interval_s: float | None = None
    """Compute time between checkpoints (None: no checkpoint in the window). [s]"""
    checkpoint_stall_s: float = 0.0
    failure_at_s: float | None = None
    """When the job fails, from the window start (None: no failure). [s]"""
    restart_s: float = 0.0
    """Idle time from the failure to the first iteration again. [s]"""


def _stage_segments(p: IterationPhases, stage: float, levels: GpuLevels) -> tuple[FloatArray, FloatArray]:
    """Start offsets within one iteration and draws of the segments of pipeline stage ``stage``. [s], [W]"""
    window = p.compute_s + p.exposed_comm_s
    mix = (p.compute_s * levels.compute_w + p.exposed_comm_s * levels.comm_w) / window if window > 0 else 0.0
    pp = p.pipeline_stages
    late = stage / (pp - 1) if pp > 1 else 0.0
    lead = p.bubble_s * late / 3.0  # forward slots before the stage's first micro-batch
    trail = p.bubble_s * late * 2.0 / 3.0  # backward slots after its last
    inner = p.bubble_s - lead - trail  # waiting for the first backward, after the warm-up
    forward_mb = window / p.micro_batches / 3.0
    warmup = min((pp - 1 - stage) * forward_mb / p.virtual_stages, window)
    durations = np.array([lead, warmup, inner, window - warmup, trail, p.dp_comm_s, p.optimizer_s])
    draws = np.array(
        [levels.idle_w, mix, levels.idle_w, mix, levels.idle_w, levels.comm_w, levels.optimizer_w]
    )
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    return starts, draws


def _stage_choice(pp: int) -> FloatArray:
    """The stages drawn (all of them, or evenly spaced representatives of a deep pipeline). [-]"""
    if pp <= MAX_STAGE_GROUPS:
        return np.arange(pp, dtype=np.float64)
    return np.linspace(0.0, pp - 1.0, MAX_STAGE_GROUPS)


def _timeline(
    span: tuple[float, float], step_s: float, schedule: JobSchedule, cv: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, list[tuple[float, float]]]:
    """Iteration starts and length scales over ``span``, and the idle stretches (checkpoint stalls and the
    restart) as (start, end). The window opens at a random point of an iteration and of the checkpoint
    cycle. [s], [-]"""
    begin, end = span
    t = begin - rng.uniform(0.0, step_s)
    interval = schedule.checkpoint_interval_s
    since = rng.uniform(0.0, interval) if interval else 0.0
    failure = schedule.failure_at_s
    starts: list[float] = []
    scales: list[float] = []
    idle: list[tuple[float, float]] = []
    while t < end:
        scale = max(MIN_ITERATION_SCALE, 1.0 + cv * float(rng.standard_normal())) if cv > 0 else 1.0
        length = step_s * scale
        starts.append(t)
        scales.append(scale)
        if failure is not None and t + length > failure:
            idle.append((failure, failure + schedule.restart_s))
            t, since, failure = failure + schedule.restart_s, 0.0, None
            continue
        t += length
        since += length
        if interval and since >= interval and schedule.checkpoint_stall_s > 0:
            idle.append((t, t + schedule.checkpoint_stall_s))
            t += schedule.checkpoint_stall_s
            since = 0.0
    return np.asarray(starts), np.asarray(scales), idle


def _breakpoints(
    p: IterationPhases, stage: float, levels: GpuLevels, timeline: tuple[FloatArray, FloatArray, list[Any]]
) -> tuple[FloatArray, FloatArray]:
    """Sorted change times and the draw from each until the next, of one GPU of a stage. [s], [W]"""
    starts, scales, idle = timeline
    offsets, draws = _stage_segments(p, stage, levels)
    times = (starts[:, None] + scales[:, None] * offsets[None, :]).ravel()
    values = np.broadcast_to(draws, (starts.size, draws.size)).ravel()
    keep = np.ones(times.size, dtype=bool)
    for a, b in idle:
        keep &= ~((times >= a) & (times < b))
    times = np.concatenate([times[keep], [a for a, _ in idle]])
    values = np.concatenate([values[keep], [levels.idle_w] * len(idle)])
    order = np.argsort(times, kind="stable")
    return times[order], values[order]


def _cumulative(times: FloatArray, values: FloatArray, edges: FloatArray) -> FloatArray:
    """Energy of a piecewise-constant draw from its first change to each edge (held flat before). [J]"""
    energy = np.concatenate([[0.0], np.cumsum(values[:-1] * np.diff(times))])
    out = np.interp(edges, times, energy)
    after = edges > times[-1]
    out[after] = energy[-1] + values[-1] * (edges[after] - times[-1])
    before = edges < times[0]
    out[before] = values[0] * (edges[before] - times[0])
    return np.asarray(out, dtype=np.float64)


def _offset_steps(
    groups: int, jitter_s: float, quantum_s: float, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Distinct rack offsets in whole quanta and how many racks have each. [-]"""
    if jitter_s <= 0 or groups <= 0:
        return np.zeros(1, dtype=np.int64), np.array([float(max(groups, 1))])
    steps = np.round(rng.normal(0.0, jitter_s, groups) / quantum_s).astype(np.int64)
    values, counts = np.unique(steps, return_counts=True)
    return values, counts.astype(np.float64)


def _jittered_energy(
    times: FloatArray,
    values: FloatArray,
    n: int,
    dt_s: float,
    steps: npt.NDArray[np.int64],
    counts: FloatArray,
) -> FloatArray:
    """Sum over racks of the cumulative energy at the sample edges, each rack read ``step`` quanta early:
    the cumulative energy on a grid of quanta, weighted by the offsets' histogram around each edge. [J]"""
    q = JITTER_QUANTUM_PER_SAMPLE
    pad = int(np.max(np.abs(steps)))
    grid = np.asarray((np.arange(q * n + 2 * pad + 1) - pad) * (dt_s / q), dtype=np.float64)
    fine = _cumulative(times, values, grid)
    weights = np.zeros(2 * pad + 1)
    weights[pad - steps] = counts  # the point j of an edge's neighbourhood is read by racks `pad - j` early
    around = np.lib.stride_tricks.sliding_window_view(fine, 2 * pad + 1)[::q]
    return np.asarray(around @ weights, dtype=np.float64)


@dataclass(frozen=True)
class JobWaveform:
    """The job's GPU draw in a window, and whether the job was running (1) or restarting (0) in each
    sample. [MW], [-]"""

    gpu_mw: FloatArray
    active: FloatArray
    iterations: int


def job_gpu_power(
    phases: IterationPhases,
    levels: GpuLevels,
    gpus: int,
    group_gpus: int,
    schedule: JobSchedule,
    window_s: float,
    dt_s: float,
    jitter_s: float,
    step_cv: float,
    rng: np.random.Generator,
) -> JobWaveform:
    """Mean GPU draw of a ``gpus``-GPU job in each ``dt_s`` interval of a ``window_s`` window. [MW]

    Racks of ``group_gpus`` GPUs are spread evenly over the pipeline stages; each rack's transitions are
    offset by a normal jitter of standard deviation ``jitter_s``. Same generator state, same waveform.
    """
    n = max(1, round(window_s / dt_s))
    edges = np.arange(n + 1) * dt_s
    margin = 6.0 * jitter_s + dt_s
    timeline = _timeline((-margin, window_s + margin), phases.step_s, schedule, step_cv, rng)
    stages = _stage_choice(phases.pipeline_stages)
    racks = max(1, int(np.ceil(gpus / group_gpus)))
    per_stage = np.bincount(np.arange(racks) % stages.size, minlength=stages.size)
    gpus_per_rack = gpus / racks
    energy = np.zeros(n + 1)
    quantum = dt_s / JITTER_QUANTUM_PER_SAMPLE
    for stage, rack_count in zip(stages, per_stage, strict=True):
        times, values = _breakpoints(phases, float(stage), levels, timeline)
        steps, counts = _offset_steps(int(rack_count), jitter_s, quantum, rng)
        energy += _jittered_energy(times, values, n, dt_s, steps, counts)
    gpu_mw = np.diff(energy) / dt_s * gpus_per_rack / W_PER_MW
    active = np.ones(n)
    for a, b in timeline[2]:
        if b - a > 0 and schedule.failure_at_s is not None and a == schedule.failure_at_s:
            covered = np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0.0, None)
            active -= covered / dt_s
    return JobWaveform(
        gpu_mw=np.asarray(gpu_mw, dtype=np.float64), active=active, iterations=timeline[0].size
    )
