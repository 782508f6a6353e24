"""What the engine gives the training job model, and what it gets back."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.config import ReliabilityConfig


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
    events: dict[str, NDArray[np.generic]]
    """Event log, columns of equal length in time order.

    ``time_s`` since simulation start [s]; ``kind``: 'failure', 'planned', 'repair_done', 'suspend' (the job
    lost all its GPUs), 'finish'; ``cause``: the cause id of a failure ('planned_maintenance', 'no_gpus' or ''
    otherwise); ``gpus_affected``: GPUs pulled for repair by a failure (0 if none), returned by a repair, or
    running the job at a planned stop [-]; ``work_lost_s``: compute rolled back [s].
    """
