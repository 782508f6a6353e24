"""What the engine gives the training job model, and what it gets back."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.config import ReliabilityConfig


class PowerLimits(Protocol):
    """What the power allotted to the job allows at each step (the engine wires the plant's answer in)."""

    def gpus_that_fit(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Most running GPUs that fit the allotment per step: at the deepest cap, and uncapped. [-]"""
        ...

    def factor_at(self, gpus: int, steps: NDArray[np.intp]) -> NDArray[np.float64]:
        """Throughput factor (capped / uncapped) of ``gpus`` running GPUs at the given steps. [-]"""
        ...

    def replicas(self, replica_gpus: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Whole replicas per step: the most that fit at the deepest cap, and what the power policy runs.
        [-]"""
        ...


@dataclass(frozen=True)
class JobInputs:
    """What the engine tells the job, per fixed step, and the reliability settings."""

    step_start_s: NDArray[np.float64]
    """Start of each step, contiguous, since simulation start. [s]"""
    dt_s: float
    """Step length. [s]"""
    flop_rate: NDArray[np.float64]
    """Model FLOP/s the job achieves while computing in the step with all the GPUs it holds. [FLOP/s]"""
    job_gpus: NDArray[np.int64]
    """GPUs the job holds in the step (0: none). [-]"""
    replica_gpus: int
    """GPUs of one data-parallel replica; the job runs on whole replicas. [-]"""
    target_flop: float
    """Model FLOP to complete. [FLOP]"""
    start_s: float
    """When the run starts, since simulation start. [s]"""
    config: ReliabilityConfig = field(default_factory=ReliabilityConfig)
    checkpoint_bytes: float | None = None
    """Size of one full checkpoint, for the 'auto' write time. [B]"""
    replica_flop_rate: NDArray[np.float64] | None = None
    """Throughput of the job on 0, 1, 2 ... whole replicas, uncapped (index = replicas; the last is the job's
    full size). With it the job's rate is this times the cap's throughput factor, and ``flop_rate`` is only
    used where ``power`` is None. [FLOP/s]"""
    power: PowerLimits | None = None
    """The power allotted to the job per step (None: no power limit beyond ``job_gpus``)."""
    blast_gpus: tuple[int, int] | None = None
    """GPUs one rack and one leaf switch take out (None: ``node_gpus`` x 8 and x 64). [-]"""
    site_event_rate_per_s: NDArray[np.float64] | None = None
    """Hazard of a site power event (generator trip on an island), per step, per job. [1/s]"""

    def __post_init__(self) -> None:
        starts = np.ascontiguousarray(self.step_start_s, dtype=np.float64)
        rate = np.ascontiguousarray(self.flop_rate, dtype=np.float64)
        gpus_in = np.asarray(self.job_gpus)
        if starts.ndim != 1 or starts.size == 0:
            raise ValueError("step_start_s must be a non-empty 1-D array")
        if rate.shape != starts.shape or gpus_in.shape != starts.shape:
            raise ValueError("step_start_s, flop_rate and job_gpus must have the same length")
        if not (math.isfinite(self.dt_s) and self.dt_s > 0):
            raise ValueError(f"dt_s must be a positive number of seconds, got {self.dt_s!r}")
        if not np.all(np.isfinite(starts)):
            raise ValueError("step_start_s must be finite")
        if starts.size > 1 and not np.allclose(np.diff(starts), self.dt_s, rtol=1e-9, atol=1e-6 * self.dt_s):
            raise ValueError("step_start_s must be contiguous steps of dt_s")
        if not np.all(np.isfinite(rate)) or rate.min() < 0:
            raise ValueError("flop_rate must be finite and non-negative")
        if not np.all(np.isfinite(gpus_in)) or np.any(gpus_in < 0) or np.any(gpus_in != np.round(gpus_in)):
            raise ValueError("job_gpus must be non-negative integers")
        if self.replica_gpus < 1:
            raise ValueError(f"replica_gpus must be at least 1, got {self.replica_gpus}")
        if not (math.isfinite(self.target_flop) and self.target_flop > 0):
            raise ValueError(f"target_flop must be a positive number, got {self.target_flop!r}")
        if not math.isfinite(self.start_s) or self.start_s < starts[0]:
            raise ValueError("start_s must be finite and not before the first step")
        if self.checkpoint_bytes is not None and not (
            math.isfinite(self.checkpoint_bytes) and self.checkpoint_bytes >= 0
        ):
            raise ValueError("checkpoint_bytes must be a finite non-negative number")
        if self.replica_flop_rate is not None:
            rr = np.ascontiguousarray(self.replica_flop_rate, dtype=np.float64)
            if rr.ndim != 1 or rr.size < 2 or not np.all(np.isfinite(rr)) or rr.min() < 0:
                raise ValueError("replica_flop_rate must list finite non-negative rates for 0..R replicas")
            object.__setattr__(self, "replica_flop_rate", rr)
        if self.site_event_rate_per_s is not None:
            site = np.ascontiguousarray(self.site_event_rate_per_s, dtype=np.float64)
            if site.shape != starts.shape or not np.all(np.isfinite(site)) or site.min(initial=0.0) < 0:
                raise ValueError("site_event_rate_per_s must be finite, non-negative, one value per step")
            object.__setattr__(self, "site_event_rate_per_s", site)
        object.__setattr__(self, "step_start_s", starts)
        object.__setattr__(self, "flop_rate", rate)
        object.__setattr__(self, "job_gpus", gpus_in.astype(np.int64))


@dataclass(frozen=True)
class JobResult:
    """How the job fared: progress, time accounting, interruptions and an event log."""

    cumulative_flop: NDArray[np.float64]
    """Committed progress at each step end. [FLOP]"""
    finished: bool
    finish_s: float | None
    """When the final checkpoint completed, since simulation start. [s]"""
    useful_s: float
    """Compute time whose work was committed (or is pending at the horizon). [s]"""
    lost_s: float
    """Rolled-back compute, restarts, interrupted checkpoint writes, waiting for repairs. [s]"""
    checkpoint_overhead_s: float
    """Completed checkpoint stalls. [s]"""
    waiting_s: float
    """Time the job held no GPUs it could run on. [s]"""
    wall_s: float
    """From start to finish (or horizon) = useful + lost + overhead + waiting. [s]"""
    goodput: float
    """useful / (wall - waiting); 0 when the job never held GPUs. [-]"""
    interruptions_unexpected: int
    interruptions_planned: int
    by_cause: dict[str, int]
    checkpoints: int
    """Completed checkpoints, the final one included. [-]"""
    checkpoint_interval_s: float | None
    """Checkpoint interval in force at the end (None if the job never computed). [s]"""
    checkpoint_write_s: float
    """Time to persist one checkpoint. [s]"""
    restarts: int = 0
    """Restarts begun (after failures, planned stops, power stops, grows and waits). [-]"""
    resizes: int = 0
    """Restarts that changed the number of replicas. [-]"""
    power_stops: int = 0
    """Stops because the power (or GPUs) given no longer carried the layout. [-]"""
    grows: int = 0
    """Planned restarts onto more replicas. [-]"""
    restart_parts_s: dict[str, float] = field(default_factory=dict)
    """Mean of each restart part over the restarts (``restart.PART_NAMES``) and ``total_s``. [s]"""
    mode_s: dict[str, float] = field(default_factory=dict)
    """Wall time by mode: 'full' (every replica its working GPUs allow, uncapped), 'capped' (GPUs capped),
    'reduced' (fewer replicas than its working GPUs allow, for lack of power, uncapped), 'stopped' (restarts,
    waits, repairs). [s]"""
    lost_by_cause_s: dict[str, float] = field(default_factory=dict)
    """``lost_s`` split: 'rework', 'restart', 'reshard', 'power' (rework and restarts of power stops),
    'repairs' (waiting for repairs). [s]"""
    layout_replicas: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Replicas of the layout in force at each step's end (restarting or running; 0: none). [-]"""
    running_replicas: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Replicas computing at each step's end (0 while stopped). [-]"""
    events: dict[str, NDArray[np.generic]] = field(default_factory=dict)
    """Event log, columns of equal length in time order.

    ``time_s`` since simulation start [s]; ``kind``: 'failure', 'planned', 'repair_done', 'suspend' (the job
    lost all its GPUs), 'finish'; ``cause``: the cause id of a failure ('planned_maintenance', 'no_gpus' or ''
    otherwise); ``gpus_affected``: GPUs pulled for repair by a failure (0 if none), returned by a repair, or
    running the job at a planned stop [-]; ``work_lost_s``: compute rolled back [s]. Kinds 'power' and 'grow'
    (cause 'power_shortfall', 'grow') stop the job to restart on fewer or more replicas. Names (``kind``,
    ``cause``, ``blast``, the restarts' ``cause``) are object arrays of ``str`` (``ledger.names``).
    """
    event_details: dict[str, NDArray[np.generic]] = field(default_factory=dict)
    """Columns aligned with ``events``: ``replicas`` (the layout a power or grow stop restarts on, else the
    layout in force) [-]; ``blast`` (a failure's blast radius, ``kinds.BlastRadius``; else '')."""
    restart_log: dict[str, NDArray[np.generic]] = field(default_factory=dict)
    """One row per restart, in time order: ``time_s`` (its start) [s], ``cause`` (what triggered it: the
    failure's cause, 'planned_maintenance', 'power_shortfall', 'grow', or 'no_gpus' after a wait),
    ``replicas`` and ``gpus`` it restarts on [-], ``restart_s`` and its parts ``detect_s``, ``reschedule_s``,
    ``init_s``, ``load_s``, ``warmup_s``, ``reshard_s``, ``fixed_s`` (a given restart_s) [s]."""
