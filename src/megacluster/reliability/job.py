"""The training job under interruptions: an exact-time state machine over piecewise-constant step inputs.

The job computes, stalls to checkpoint every interval of compute time, and on an interruption loses the work
since its last *completed* checkpoint, restarts (detection + reschedule + load) and resumes, possibly on fewer
data-parallel replicas while pulled nodes are in repair. Failure times are drawn exactly (no rounding to the
step) by inverting the cumulative hazard and thinning it to the GPUs actually running the job; progress within
a step integrates the step's FLOP rate exactly. The loop runs over events, not over steps.

Accounting: every second of the job's wall time (from ``start_s`` to the finish or the horizon) is exactly one
of useful (compute later committed, or pending at the horizon), lost (compute rolled back, restarts,
interrupted checkpoint writes, waiting for repairs), checkpoint overhead (completed checkpoint stalls) or
waiting (no GPUs).
"""

from __future__ import annotations

import numpy as np

from megacluster.reliability.jobdata import JobInputs, JobResult
from megacluster.reliability.machine import JobMachine

__all__ = ["JobInputs", "JobResult", "run_job"]


def run_job(inputs: JobInputs, rng: np.random.Generator) -> JobResult:
    """Simulate the training job under interruptions, checkpoints, restarts and repairs.

    Same inputs and same generator state give the same result. All random draws (failure candidates, their
    causes, thinning and repair times, planned events) are made up front, vectorised.
    """
    return JobMachine(inputs, rng).run()
