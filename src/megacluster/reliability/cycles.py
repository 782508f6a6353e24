"""Fast-forward of uninterrupted checkpoint cycles: the whole compute + stall cycles that end before the next
event that could change them, found in one vectorised step instead of one event at a time.

A cycle is ``tau`` of compute then a checkpoint stall. Nothing random happens inside a batch: the batch ends
before the next failure candidate, planned stop, repair, loss of GPUs or change of the 'auto' interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

MIN_BATCH = 2
"""Fast-forward only when at least this many checkpoint cycles fit before the next event. [-]"""
MAX_BATCH = 65_536
"""At most this many checkpoint cycles per fast-forward (bounds memory). [-]"""
_COUNT = np.arange(MAX_BATCH, dtype=np.float64)


class CycleBatch(NamedTuple):
    """Whole compute + checkpoint-stall cycles, applied at once (a tuple: one is made per fast-forward)."""

    tau: float
    """Compute time of each cycle. [s]"""
    stall: float
    """Checkpoint stall of each cycle. [s]"""
    ends: NDArray[np.float64]
    """End of each cycle's stall. [s]"""
    works: NDArray[np.float64]
    """Progress at each cycle's snapshot. [FLOP]"""

    @property
    def k(self) -> int:
        """Number of cycles. [-]"""
        return int(self.ends.size)


def plan_cycles(
    t: float,
    tau: float,
    stall: float,
    horizon: Callable[[float], float],
    work: float,
    target: float,
    progress_v: Callable[[NDArray[np.float64]], NDArray[np.float64]],
) -> CycleBatch | None:
    """The cycles from ``t`` (right after a checkpoint) that end before ``horizon(t)`` and before the one
    that reaches ``target``; None when fewer than ``MIN_BATCH`` fit.

    ``work`` is the progress at ``t`` and ``progress_v`` the progress at given instants as if computing
    throughout. [FLOP]
    """
    cycle = tau + stall
    if not math.isfinite(cycle) or cycle <= 0:
        return None
    k_max = min(int((horizon(t) - t) / cycle), MAX_BATCH)
    if k_max < MIN_BATCH:
        return None
    starts = t + cycle * _COUNT[:k_max]
    both = progress_v(np.concatenate((starts, starts + tau)))
    works = work + np.cumsum(both[k_max:] - both[:k_max])
    snaps = starts + tau
    k = min(k_max, int(works.searchsorted(target, side="left")))
    if k < MIN_BATCH:
        return None
    return CycleBatch(tau, stall, snaps[:k] + stall, works[:k])
