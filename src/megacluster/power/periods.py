"""Permit periods in the dispatch: the month of each step and the steps at which a permit window moves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def month_index(year_index: npt.ArrayLike, months: npt.ArrayLike | None) -> IntArray:
    """Month of each step since January 1970 (from the calendar year when no month is given). [-]"""
    if months is not None:
        return np.asarray(months, dtype=np.int64)
    return np.asarray(year_index, dtype=np.int64) * 12


def permit_boundaries(months: IntArray, permit_steps: Sequence[int]) -> IntArray:
    """A counter that moves at every permit boundary: each new month (or calendar year, when the months are
    whole years) and each step at which a fleet's permit takes effect. [-]"""
    flags = np.zeros(len(months), dtype=np.int64)
    if len(months):
        flags[1:] = months[1:] != months[:-1]
    for step in permit_steps:
        if 0 < step < len(months):
            flags[step] = 1
    return np.cumsum(flags)
