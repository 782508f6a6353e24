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

The event loop runs in Python (``machine.JobMachine``, the reference) or compiled (``kernel.py``): the same
result to the last bit.
"""

from __future__ import annotations

import enum

import numpy as np

from megacluster.reliability.jobdata import JobInputs, JobResult
from megacluster.reliability.machine import JobMachine

__all__ = ["JobInputs", "JobLoop", "JobResult", "load_compiled", "run_job"]


class JobLoop(enum.StrEnum):
    """Which event loop runs the job (both give the same result to the last bit)."""

    PYTHON = "python"
    """The interpreted reference loop (``JobMachine.run``)."""
    COMPILED = "compiled"
    """The numba loop (``kernel.py``; a power limit other than the engine's ``JobAllotment`` runs on the
    Python loop). Loading it costs a process ~1 s, and ~30 s the first time after an install or a change, when
    it is compiled: the engine asks for it for runs of several replicas
    (``engine.budget.JOB_COMPILED_MIN_REPLICAS``)."""


def load_compiled() -> None:
    """Load the compiled event loop now (from numba's cache, or compile it): before a pool forks, so that its
    workers inherit it. [-]"""
    import megacluster.reliability.compiled  # noqa: F401 - imported for its compiled functions


def run_job(inputs: JobInputs, rng: np.random.Generator, loop: JobLoop = JobLoop.PYTHON) -> JobResult:
    """Simulate the training job under interruptions, checkpoints, restarts and repairs.

    Same inputs and same generator state give the same result, on either loop. All random draws (failure
    candidates, their causes, thinning and repair times, planned events) are made up front, vectorised.
    """
    machine = JobMachine(inputs, rng)
    try:
        if loop is JobLoop.COMPILED:
            from megacluster.reliability.compiled import run_compiled, supported

            if supported(machine):
                return run_compiled(machine)
        return machine.run()
    finally:
        machine.layouts.release()
