"""Fast-forward of uninterrupted checkpoint cycles: the whole compute + stall cycles that end before the next
event that could change them, found in one vectorised step instead of one event at a time.

A cycle is ``tau`` of compute then a checkpoint stall. Nothing random happens inside a batch: the batch ends
before the next failure candidate, planned stop, repair, loss of GPUs or change of the 'auto' interval.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

MIN_BATCH = 2
"""Fast-forward only when at least this many checkpoint cycles fit before the next event. [-]"""
MAX_BATCH = 65_536
"""At most this many checkpoint cycles per fast-forward (bounds memory). [-]"""
SMALL_BATCH = 32
"""Up to this many cycles a batch is planned on lists: numpy costs more than it saves on a few values. [-]"""
_COUNT = np.arange(MAX_BATCH, dtype=np.float64)


class CycleBatch(NamedTuple):
    """Whole compute + checkpoint-stall cycles, applied at once (a tuple: one is made per fast-forward)."""

    tau: float
    """Compute time of each cycle. [s]"""
    stall: float
    """Checkpoint stall of each cycle. [s]"""
    ends: list[float]
    """End of each cycle's stall. [s]"""
    works: list[float]
    """Progress at each cycle's snapshot. [FLOP]"""

    @property
    def k(self) -> int:
        """Number of cycles. [-]"""
        return len(self.ends)


def plan_cycles(
    t: float,
    tau: float,
    stall: float,
    horizon: Callable[[float], float],
    work: float,
    target: float,
    progress_v: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    progress_l: Callable[[list[float]], list[float]] | None = None,
) -> CycleBatch | None:
    """The cycles from ``t`` (right after a checkpoint) that end before ``horizon(t)`` and before the one
    that reaches ``target``; None when fewer than ``MIN_BATCH`` fit.

    ``work`` is the progress at ``t`` and ``progress_v`` the progress at given instants as if computing
    throughout; ``progress_l`` the same on lists, used for short batches (the event loop's usual case).
    [FLOP]
    """
    cycle = tau + stall
    if not math.isfinite(cycle) or cycle <= 0:
        return None
    k_max = min(int((horizon(t) - t) / cycle), MAX_BATCH)
    if k_max < MIN_BATCH:
        return None
    if progress_l is not None and k_max <= SMALL_BATCH:
        return _plan_small(t, tau, stall, cycle, k_max, work, target, progress_l)
    starts = t + cycle * _COUNT[:k_max]
    both = progress_v(np.concatenate((starts, starts + tau)))
    works = work + np.cumsum(both[k_max:] - both[:k_max])
    snaps = starts + tau
    k = min(k_max, int(works.searchsorted(target, side="left")))
    if k < MIN_BATCH:
        return None
    return CycleBatch(tau, stall, (snaps[:k] + stall).tolist(), works[:k].tolist())


def _plan_small(
    t: float,
    tau: float,
    stall: float,
    cycle: float,
    k_max: int,
    work: float,
    target: float,
    progress_l: Callable[[list[float]], list[float]],
) -> CycleBatch | None:
    """``plan_cycles``' vectorised step on lists, operation for operation (the cumulative sum in the same
    order), so the floats are the same."""
    starts = [t + cycle * i for i in range(k_max)]
    snaps = [s + tau for s in starts]
    both = progress_l(starts + snaps)
    # numpy's cumsum adds in order from the first element, as accumulate does
    works = [work + w for w in itertools.accumulate(map(operator.sub, both[k_max:], both[:k_max]))]
    k = min(k_max, bisect.bisect_left(works, target))
    if k < MIN_BATCH:
        return None
    return CycleBatch(tau, stall, [s + stall for s in snaps[:k]], works[:k])
