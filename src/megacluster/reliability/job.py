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
import sys

import numpy as np

from megacluster.reliability.jobdata import JobInputs, JobResult
from megacluster.reliability.machine import JobMachine

__all__ = ["JobInputs", "JobLoop", "JobResult", "load_compiled", "run_job"]

_COMPILED_MODULE = "megacluster.reliability.compiled"


class JobLoop(enum.StrEnum):
    """Which event loop runs the job (both give the same result to the last bit)."""

    AUTO = "auto"
    """The compiled loop once it is loaded in this process (``load_compiled``: a run of several replicas
    loads it first), else the Python loop (loading it costs ~1 s a process, ~30 s the first time it is
    compiled)."""
    PYTHON = "python"
    """The interpreted reference loop (``JobMachine.run``)."""
    COMPILED = "compiled"
    """The numba loop (``kernel.py``)."""


def load_compiled() -> None:
    """Load the compiled event loop (from numba's cache, or compile it), so that 'auto' runs use it. [-]"""
    import megacluster.reliability.compiled  # noqa: F401 - imported for its compiled functions


def run_job(inputs: JobInputs, rng: np.random.Generator, loop: JobLoop = JobLoop.AUTO) -> JobResult:
    """Simulate the training job under interruptions, checkpoints, restarts and repairs.

    Same inputs and same generator state give the same result, on either loop. All random draws (failure
    candidates, their causes, thinning and repair times, planned events) are made up front, vectorised.
    """
    machine = JobMachine(inputs, rng)
    compiled = loop is JobLoop.COMPILED or (loop is JobLoop.AUTO and _COMPILED_MODULE in sys.modules)
    if compiled:
        from megacluster.reliability.compiled import run_compiled, supported

        if supported(machine):
            return run_compiled(machine)
    return machine.run()
