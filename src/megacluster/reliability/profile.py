"""The job's running GPUs and cumulative progress over the whole timeline, for one repair deficit.

Progress is piecewise linear in time (the FLOP rate is constant within a step). The timeline is split into
runs of steps with the same GPUs held; within a run the job's running GPUs are constant, so progress is the
running GPUs times a per-GPU cumulative FLOP curve computed once. A profile for another repair deficit then
costs O(runs), not O(steps), and progress at any instant, or the instant a FLOP count is reached, is exact.

Also the per-step helpers the job's event loop shares: hazard bands, the next index at or after a step, flat
copies of per-step arrays (read one value at a time) and forward minima over a look-ahead.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.repair import usable_gpus

HAZARD_BAND = math.log(1.01)
"""The 'auto' checkpoint interval is held while the hazard per GPU stays in the same 1 % band. [-]"""


@dataclass(frozen=True)
class Timeline:
    """Step grid, per-GPU progress and runs of constant GPUs held."""

    edges: NDArray[np.float64]
    """Step edges, length n + 1. [s]"""
    per_gpu_rate: NDArray[np.float64]
    """FLOP rate per GPU held, per step. [FLOP/s]"""
    per_gpu_cum: NDArray[np.float64]
    """Cumulative FLOP per GPU at the step edges, length n + 1. [FLOP]"""
    run_start: NDArray[np.intp]
    """First step of each run, plus n at the end. [-]"""
    run_of: NDArray[np.intp]
    """Run of each step. [-]"""
    run_gpus: NDArray[np.int64]
    """GPUs held in each run. [-]"""
    run_full: NDArray[np.int64]
    """GPUs the full job runs on in each run (whole replicas). [-]"""
    replica_gpus: int

    @classmethod
    def build(
        cls,
        edges: NDArray[np.float64],
        flop_rate: NDArray[np.float64],
        job_gpus: NDArray[np.int64],
        replica: int,
    ) -> Timeline:
        """Split the steps into runs of equal ``job_gpus``."""
        n = job_gpus.size
        dt = np.diff(edges)
        per_gpu = np.where(job_gpus > 0, flop_rate / np.maximum(job_gpus, 1), 0.0)
        cum = np.zeros(n + 1)
        np.cumsum(per_gpu * dt, out=cum[1:])
        starts = np.concatenate(([0], np.flatnonzero(job_gpus[1:] != job_gpus[:-1]) + 1, [n])).astype(np.intp)
        run_of = np.repeat(np.arange(starts.size - 1), np.diff(starts)).astype(np.intp)
        gpus = job_gpus[starts[:-1]].astype(np.int64)
        return cls(edges, per_gpu, cum, starts, run_of, gpus, usable_gpus(gpus, replica, 0), replica)


class Profile:
    """The job at one repair deficit: running GPUs per run and progress as if it computed throughout."""

    def __init__(self, timeline: Timeline, deficit: int) -> None:
        tl = timeline
        self.tl = tl
        self.deficit = deficit
        self.run_eff = usable_gpus(tl.run_gpus, tl.replica_gpus, deficit)
        """GPUs running the job in each run. [-]"""
        pg = tl.per_gpu_cum
        run_flop = self.run_eff * (pg[tl.run_start[1:]] - pg[tl.run_start[:-1]])
        self.run_cum = np.concatenate(([0.0], np.cumsum(run_flop)))
        """Cumulative FLOP at run starts, length runs + 1. [FLOP]"""
        self.run_accept = np.where(tl.run_full > 0, self.run_eff / np.maximum(tl.run_full, 1), 0.0)
        """Share of the full job's failure candidates that hit running GPUs. [-]"""
        self._zero = np.flatnonzero(self.run_eff == 0)
        self._pos = np.flatnonzero(self.run_eff > 0)
        self._change = np.flatnonzero(self.run_eff[1:] != self.run_eff[:-1]) + 1

    def eff(self, k: int) -> int:
        """GPUs running the job in step ``k``. [-]"""
        return int(self.run_eff[self.tl.run_of[k]])

    def accept(self, k: int) -> float:
        """Thinning probability of a failure candidate in step ``k``. [-]"""
        return float(self.run_accept[self.tl.run_of[k]])

    def progress(self, t: float, k: int) -> float:
        """FLOP done by ``t`` (in step ``k``) if computing throughout. [FLOP]"""
        tl = self.tl
        r = tl.run_of[k]
        pg = tl.per_gpu_cum
        inside = pg[k] - pg[tl.run_start[r]] + tl.per_gpu_rate[k] * (t - tl.edges[k])
        return float(self.run_cum[r] + self.run_eff[r] * inside)

    def progress_v(self, t: NDArray[np.float64], k: NDArray[np.intp]) -> NDArray[np.float64]:
        """``progress`` for arrays of times and their steps. [FLOP]"""
        tl = self.tl
        r = tl.run_of[k]
        pg = tl.per_gpu_cum
        inside = pg[k] - pg[tl.run_start[r]] + tl.per_gpu_rate[k] * (t - tl.edges[k])
        out: NDArray[np.float64] = self.run_cum[r] + self.run_eff[r] * inside
        return out

    def time_of(self, value: float, t_from: float) -> float:
        """First instant >= ``t_from`` at which ``progress`` reaches ``value`` (inf if never). [s]"""
        cum = self.run_cum
        if value > cum[-1]:
            return math.inf
        r = int(cum.searchsorted(value, side="left")) - 1
        if r < 0:
            return t_from
        tl = self.tl
        pg = tl.per_gpu_cum
        s0, s1 = int(tl.run_start[r]), int(tl.run_start[r + 1])
        target = pg[s0] + (value - cum[r]) / float(self.run_eff[r])
        j = int(pg[s0 : s1 + 1].searchsorted(target, side="left")) - 1 + s0
        j = min(max(j, s0), s1 - 1)
        rate = tl.per_gpu_rate[j]
        t = float(tl.edges[j] + ((target - pg[j]) / rate if rate > 0 else 0.0))
        return max(t, t_from)

    def _next_run_step(self, runs: NDArray[np.intp], k: int) -> int | None:
        if runs.size == 0:
            return None
        if runs.size == self.run_eff.size:  # every run qualifies
            return k
        r = int(self.tl.run_of[k])
        j = int(runs.searchsorted(r))
        if j >= runs.size:
            return None
        found = int(runs[j])
        return k if found == r else int(self.tl.run_start[found])

    def next_zero_step(self, k: int) -> int | None:
        """First step >= ``k`` in which the job runs on no GPU, or None. [-]"""
        return self._next_run_step(self._zero, k)

    def next_running_step(self, k: int) -> int | None:
        """First step >= ``k`` in which the job runs on some GPUs, or None. [-]"""
        return self._next_run_step(self._pos, k)

    def next_change_step(self, k: int) -> int | None:
        """First step > ``k`` where the running GPUs change, or None. [-]"""
        if self._change.size == 0:
            return None
        r = int(self.tl.run_of[k])
        j = int(self._change.searchsorted(r, side="right"))
        return int(self.tl.run_start[self._change[j]]) if j < self._change.size else None


class ProfileCache:
    """Profiles by repair deficit, built on demand."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._cache: dict[int, Profile] = {}

    def get(self, deficit: int) -> Profile:
        """The profile with ``deficit`` GPUs in repair beyond the spares."""
        found = self._cache.get(deficit)
        if found is None:
            found = Profile(self.timeline, deficit)
            self._cache[deficit] = found
        return found


def _band_level(values: NDArray[np.float64], band: float) -> NDArray[np.float64]:
    v = np.asarray(values, dtype=float)
    if np.any(v <= 0):
        raise ValueError("banded values must be positive")
    out: NDArray[np.float64] = np.floor(np.log(v) / band)
    return out


def band_change_index(values: NDArray[np.float64], band: float = HAZARD_BAND) -> NDArray[np.intp]:
    """Steps where positive ``values`` move to another relative band of width ``band`` (in log space). [-]"""
    level = _band_level(values, band)
    out: NDArray[np.intp] = np.flatnonzero(level[1:] != level[:-1]) + 1
    return out


def banded(values: NDArray[np.float64], band: float = HAZARD_BAND) -> NDArray[np.float64]:
    """Positive ``values`` rounded down to the lower edge of their relative band. [-]"""
    out: NDArray[np.float64] = np.exp(_band_level(values, band) * band)
    return out


def next_index(indices: NDArray[np.intp] | Sequence[int], k: int) -> int | None:
    """First entry of the sorted ``indices`` (an array, or a list: the event loop's) that is >= ``k``, or
    None. [-]"""
    j = bisect.bisect_left(indices, k)
    return int(indices[j]) if j < len(indices) else None


def flat(values: NDArray[Any], code: str = "d") -> array[Any]:
    """``values`` as an ``array.array`` of float64 (``code`` 'd') or int64 ('q'), the same numbers: a copy of
    the bytes (a list costs ~10 ns an element to build) that reads one value at a time nearly as fast as a
    list (several times faster than a numpy scalar). [-]"""
    out = array(code)
    data = np.ascontiguousarray(values, dtype=np.float64 if code == "d" else np.int64)
    out.frombytes(data.data.cast("B"))
    return out


def forward_min(values: NDArray[np.int64], steps: int) -> NDArray[np.int64]:
    """Minimum of ``values`` over each step and the ``steps - 1`` after it (the last value repeats). [-]"""
    if steps <= 1 or values.size == 0 or values.min() == values.max():
        return values
    out: NDArray[np.int64] = np.concatenate((values, np.full(steps - 1, values[-1])))
    width = 1  # out[i] is the minimum over the ``width`` values from i: widen it, doubling at most
    while width < steps:
        more = min(width, steps - width)
        out = np.minimum(out[:-more], out[more:])
        width += more
    return out
