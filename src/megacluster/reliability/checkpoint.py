"""Checkpoint policy: write time from size and bandwidth, and the Young / Daly optimum interval.

Young (1974): ``tau = sqrt(2 delta M)``. Daly (2006, eq. 37): for ``delta < 2M``
``tau = sqrt(2 delta M) (1 + sqrt(delta / 2M) / 3 + (delta / 2M) / 9) - delta``, else ``tau = M``
(facts.md 5.4; LLNL SCR ``scr_ckpt_interval.py``). ``delta`` is the checkpoint cost, ``M`` the mean time to
interruption; ``tau`` is compute time between checkpoints. Neither depends on the restart time ``R``;
Saxena et al. (NVIDIA, arXiv 2410.18124, facts-plant.md 9) give the availability-optimal period
``T_c = T_s + sqrt(2 (T_f + T_r) T_s + T_s^2)``, i.e. ``tau = sqrt(2 (M + R) delta + delta^2)``, which does.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from megacluster.units import SECONDS_PER_DAY, SECONDS_PER_MINUTE, TB


class CheckpointMode(enum.StrEnum):
    """How a checkpoint is written."""

    SYNC = "sync"
    """Training stalls for the whole write."""
    ASYNC = "async"
    """Training stalls for an in-memory snapshot; the write to storage runs in the background."""


class AutoMethod(enum.StrEnum):
    """Formula of the automatic checkpoint interval."""

    DALY = "daly"
    YOUNG = "young"
    SAXENA = "saxena"
    """Availability-optimal: ``sqrt(2 (M + R) delta + delta^2)``, ``R`` the restart time (Saxena et al.)."""


def young_interval_s(cost_s: ArrayLike, mtti_s: ArrayLike) -> NDArray[np.float64]:
    """Young's optimum compute time between checkpoints, ``sqrt(2 cost M)``. [s]"""
    out: NDArray[np.float64] = np.sqrt(
        2.0 * np.asarray(cost_s, dtype=float) * np.asarray(mtti_s, dtype=float)
    )
    return out


def daly_interval_s(cost_s: ArrayLike, mtti_s: ArrayLike) -> NDArray[np.float64]:
    """Daly's higher-order optimum compute time between checkpoints (eq. 37); ``M`` when cost >= 2M. [s]"""
    delta = np.asarray(cost_s, dtype=float)
    m = np.asarray(mtti_s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = delta / (2.0 * m)
        tau = np.sqrt(2.0 * delta * m) * (1.0 + np.sqrt(x) / 3.0 + x / 9.0) - delta
    out: NDArray[np.float64] = np.where(delta < 2.0 * m, tau, m)
    return out


def daly_expected_wall_s(
    solve_s: ArrayLike, interval_s: ArrayLike, cost_s: float, restart_s: float, mtti_s: float
) -> NDArray[np.float64]:
    """Daly's expected wall time to finish ``solve_s`` of compute with exponential interruptions. [s]

    ``T = M exp(R / M) (exp((tau + delta) / M) - 1) T_s / tau`` (Daly 2006, eq. 13 form); used to cross-check
    the simulated optimum.
    """
    tau = np.asarray(interval_s, dtype=float)
    ts = np.asarray(solve_s, dtype=float)
    out: NDArray[np.float64] = (
        mtti_s * np.exp(restart_s / mtti_s) * np.expm1((tau + cost_s) / mtti_s) * ts / tau
    )
    return out


def write_time_s(size_bytes: float, bandwidth_tb_s: float) -> float:
    """Time to write ``size_bytes`` at the sustained storage bandwidth. [s]"""
    if not size_bytes >= 0:
        raise ValueError(f"checkpoint size must be a non-negative number of bytes, got {size_bytes!r}")
    if not bandwidth_tb_s > 0:
        raise ValueError(f"storage bandwidth must be positive, got {bandwidth_tb_s!r} TB/s")
    return float(size_bytes) / (float(bandwidth_tb_s) * TB)


@dataclass(frozen=True)
class CheckpointPolicy:
    """When checkpoints are taken and what they cost.

    ``fixed_interval_s`` None means automatic: the interval follows the current mean time to interruption.
    """

    mode: CheckpointMode
    write_s: float
    """Time to persist one checkpoint to storage. [s]"""
    stall_s: float
    """Training stall per checkpoint: ``write_s`` if synchronous, the snapshot if asynchronous. [s]"""
    fixed_interval_s: float | None
    """Compute time between checkpoints, or None for automatic. [s]"""
    auto_method: AutoMethod = AutoMethod.DALY
    max_interval_s: float = SECONDS_PER_DAY
    """Cap of the automatic interval. [s]"""
    min_interval_s: float = SECONDS_PER_MINUTE
    """Floor of the automatic interval. [s]"""

    def interval_s(self, mtti_s: float, restart_s: float = 0.0) -> float:
        """Compute time until the next checkpoint given the current mean time to interruption (and, for
        'saxena', the restart time). [s]"""
        if self.fixed_interval_s is not None:
            return self.fixed_interval_s
        delta = self.stall_s
        if not math.isfinite(mtti_s):
            tau = self.max_interval_s
        elif self.auto_method is AutoMethod.YOUNG:
            tau = math.sqrt(2.0 * delta * mtti_s)
        elif self.auto_method is AutoMethod.SAXENA:
            tau = math.sqrt(2.0 * (mtti_s + restart_s) * delta + delta * delta)
        elif delta < 2.0 * mtti_s:  # scalar form of daly_interval_s
            x = delta / (2.0 * mtti_s)
            tau = math.sqrt(2.0 * delta * mtti_s) * (1.0 + math.sqrt(x) / 3.0 + x / 9.0) - delta
        else:
            tau = mtti_s
        # the background write must finish before the next snapshot; never below the stall itself
        floor = self.write_s if self.mode is CheckpointMode.ASYNC else self.stall_s
        return float(max(min(max(tau, self.min_interval_s), self.max_interval_s), floor))
