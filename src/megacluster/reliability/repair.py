"""Repair and spares: how long a pulled node is away, and how many GPUs the job can run on meanwhile."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def draw_repair_s(count: int, median_s: float, sigma: float, rng: np.random.Generator) -> NDArray[np.float64]:
    """Lognormal repair times with the given median and log-standard-deviation. [s]"""
    if not median_s > 0 or not sigma >= 0:
        raise ValueError("repair median must be positive and sigma non-negative")
    out: NDArray[np.float64] = median_s * np.exp(sigma * rng.standard_normal(count))
    return out


def usable_gpus(job_gpus: NDArray[np.int64], replica_gpus: int, deficit_gpus: int = 0) -> NDArray[np.int64]:
    """GPUs the job can run on: whole data-parallel replicas of what it holds less the repair deficit. [-]

    ``deficit_gpus`` is the GPUs in repair beyond the hot spares; the job sheds whole replicas to absorb it.
    """
    if replica_gpus < 1:
        raise ValueError("replica_gpus must be at least 1")
    g = np.maximum(np.asarray(job_gpus, dtype=np.int64) - int(deficit_gpus), 0)
    out: NDArray[np.int64] = (g // replica_gpus) * replica_gpus
    return out


def repair_deficit(in_repair_gpus: int, spares_gpus: int) -> int:
    """GPUs in repair that the hot spares cannot replace. [-]"""
    return max(0, int(in_repair_gpus) - int(spares_gpus))
