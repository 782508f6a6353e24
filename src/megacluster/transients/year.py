"""Attaching the windows to the year: how many hours the 5-minute run spent in each regime.

Each step of the run (first replica) in which the job holds GPUs is training, capped (GPU power cap below 1)
or island (islanded generators carry part of the campus); restarts after interruptions (count x restart time)
are taken out of those hours in proportion and counted as failure and restart; steps without the job are
no_job.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster.transients.analysis import Regime
from megacluster.units import SECONDS_PER_HOUR


def regime_hours(
    job_gpus: npt.ArrayLike,
    capped: npt.ArrayLike,
    island: npt.ArrayLike,
    dt_s: float,
    interruptions: int,
    restart_s: float,
    mask: npt.ArrayLike | None = None,
) -> dict[str, float]:
    """Hours in each :class:`Regime`, counting only the steps where ``mask`` holds (default: all). [h]"""
    held = np.asarray(job_gpus) > 0
    cap = np.asarray(capped, dtype=bool)
    isl = np.asarray(island, dtype=bool)
    keep = np.ones(held.size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    step_h = dt_s / SECONDS_PER_HOUR
    hours = {
        Regime.TRAINING: float(np.sum(held & ~cap & ~isl & keep)) * step_h,
        Regime.CAPPED: float(np.sum(held & cap & ~isl & keep)) * step_h,
        Regime.ISLAND: float(np.sum(held & isl & keep)) * step_h,
    }
    running = sum(hours.values())
    all_running = float(np.sum(held)) * step_h
    restart_h = min(interruptions * restart_s / SECONDS_PER_HOUR, all_running)
    share = restart_h * (running / all_running) if all_running > 0 else 0.0
    out = {
        Regime.FAILURE.value: 0.0,
        Regime.ISLAND_FAILURE.value: 0.0,
    }
    for regime, h in hours.items():
        taken = share * h / running if running > 0 else 0.0
        out[regime.value] = h - taken
        failure = Regime.ISLAND_FAILURE if regime is Regime.ISLAND else Regime.FAILURE
        out[failure.value] += taken
    out[Regime.NO_JOB.value] = float(np.sum(~held & keep)) * step_h
    return out
