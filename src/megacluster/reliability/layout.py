"""The job's layouts: which numbers of replicas can run at each step, and the progress of one fixed layout.

A synchronous job holds a fixed layout between restarts: ``R`` data-parallel replicas of ``replica_gpus``
GPUs. At each step a layout fits when its GPUs are held (whole replicas of ``job_gpus``) and, with a power
limit, when the power allotted carries them at the deepest cap; it then runs capped where the allotment is
short of its uncapped draw. A :class:`LayoutProfile` integrates one layout's progress over the whole timeline
(zero where it does not fit), so progress at an instant, the instant a FLOP count is reached and the next step
where the layout stops fitting are exact. :class:`Layouts` chooses the layout at a restart (the power policy's
number of replicas, within the GPUs held less the repair deficit) and finds the steps where the supply rises.
"""

# long module because: the two classes are one idea (a layout's profile reads its layouts' per-step arrays and
# flat copies at every event of the Python loop), each method under 80 lines

from __future__ import annotations

import bisect
import functools
import math
from array import array
from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.jobdata import JobInputs
from megacluster.reliability.profile import flat, forward_min
from megacluster.units import SECONDS_PER_HOUR

CACHED_PROFILES = 256
"""Layout profiles kept (each holds a window of steps; least recently used ones are rebuilt). [-]"""

WINDOW_STEPS = 2048
"""Steps a layout profile integrates at first; it doubles forward when the job runs past it. [-]"""

_CHUNK = 64
"""Values of a window's cumulative progress turned into a list at a time, beyond those asked for. [-]"""

SHORT_SPAN = 64
"""Spans of fewer steps are checked for capped steps one step at a time (no arrays built). [-]"""

BLOCK = 256
"""Block length of the block maxima that find the next rise of the supply. [-]"""


class LayoutProfile:
    """One layout (``replicas``) over a window of steps that grows forward on demand: where it fits, its
    progress (relative to the window's start: only differences are used), its capped time."""

    def __init__(self, src: Layouts, replicas: int) -> None:
        self.src = src
        self.replicas = replicas
        self.gpus = replicas * src.replica_gpus
        self.k0 = 0
        self.k1 = 0
        self.cum = np.zeros(1)
        self.cum_l: list[float] = [0.0]
        """The start of ``cum`` as a list, made in chunks as the event loop reaches them (it reads one value
        at a time, and a numpy scalar is slow to read; most windows are left after a few steps). [FLOP]"""
        self.cum_last = 0.0
        """``cum[-1]``. [FLOP]"""
        self._fits = np.zeros(0, dtype=np.bool_)
        self._marks: tuple[NDArray[np.intp], NDArray[np.intp]] | None = None
        """Steps of the window where the layout does not fit and where that changes (found when first asked:
        most windows never are). [-]"""

    def _rates(self, ka: int, kb: int) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Rate and fit of steps ``ka`` .. ``kb - 1``. [FLOP/s, -]"""
        src = self.src
        n_gpus = float(self.gpus)
        tol = 1e-6 * max(n_gpus, 1.0)
        fits = (src.full_gpus[ka:kb] >= self.gpus) & (src.fit_floor[ka:kb] >= n_gpus - tol)
        if self.replicas <= 0:
            fits[:] = False
        if src.per_replica is not None:
            rate = np.full(kb - ka, float(src.per_replica[min(self.replicas, src.per_replica.size - 1)]))
        else:
            rate = src.per_gpu[ka:kb] * n_gpus
        capped = fits & (src.fit_uncapped[ka:kb] < n_gpus - tol)
        if src.power is not None and capped.any():
            idx = np.flatnonzero(capped)
            rate[idx] *= src.power.factor_at(self.gpus, idx + ka)
        rate[~fits] = 0.0
        return rate, fits

    def anchor(self, k: int) -> None:
        """Make the window start at or before step ``k`` and hold it (call at the start of a phase)."""
        if not self.k0 <= k < self.k1:
            self._build(k, min(self.src.n, k + self.src.window))

    def _build(self, ka: int, kb: int) -> None:
        rate, fits = self._rates(ka, kb)
        self.k0, self.k1 = ka, kb
        self.cum = np.zeros(kb - ka + 1)
        np.cumsum(rate * self.src.dt, out=self.cum[1:])
        self.cum_l = []
        self.cum_last = float(self.cum[-1])
        self._fits = fits
        self._marks = None

    def ensure(self, k: int) -> None:
        """Grow the window forward to hold step ``k`` (it never moves back: progress stays comparable)."""
        if k < self.k1 or self.k1 >= self.src.n:
            return
        kb = min(self.src.n, max(k + 1, self.k1 + (self.k1 - self.k0)))
        rate, fits = self._rates(self.k1, kb)
        more = self.cum[-1] + np.cumsum(rate * self.src.dt)
        self.cum = np.concatenate((self.cum, more))
        self.cum_last = float(self.cum[-1])
        self._fits = np.concatenate((self._fits, fits))
        self._marks = None
        self.k1 = kb

    @property
    def end_step(self) -> int:
        """First step past the window (``n`` once it reaches the horizon). [-]"""
        return self.k1

    def eff(self, k: int) -> int:
        """GPUs running the job in step ``k`` (0 where the layout does not fit). [-]"""
        g, src = self.gpus, self.src  # src.fits, inlined
        return g if g > 0 and src.full_l[k] >= g and src.floor_l[k] >= g - 1e-6 * g else 0  # max(g, 1) = g

    def accept(self, k: int) -> float:
        """Share of the full job's failure candidates in step ``k`` that hit this layout's GPUs. [-]"""
        full = self.src.full_l[k]
        eff = self.eff(k)
        return eff / full if full > 0 and eff > 0 else 0.0

    def rate(self, k: int) -> float:
        """FLOP rate in step ``k``. [FLOP/s]"""
        return self.src.rate_at(self.replicas, k)

    def progress(self, t: float, k: int) -> float:
        """FLOP done by ``t`` (in step ``k``) if computing throughout, from the window's start. [FLOP]"""
        if k >= self.k1:
            self.ensure(k)
        j = k - self.k0
        cum = self.cum_l
        if not 0 <= j < len(cum) - 1:
            cum = self.list_to(j)
        c = cum[j]
        return c + (cum[j + 1] - c) * (t - self.src.edges_l[k]) / self.src.dt

    def list_to(self, j: int) -> list[float]:
        """``cum_l``, holding ``cum[j + 1]`` (all of ``cum`` for a negative ``j``, which counts from the
        end). [FLOP]"""
        cum = self.cum_l
        have = len(cum)
        if j < 0:
            cum.extend(self.cum[have:].tolist())
        elif j + 2 > have:
            cum.extend(self.cum[have : j + 2 + _CHUNK].tolist())
        return cum

    def progress_l(self, t: list[float], t0: float, last: int) -> list[float]:
        """``progress_v`` on lists, each instant in step ``min(int((t - t0) / dt), last)``: for the few
        instants of a short fast-forward, the same floats. [FLOP]"""
        dt = self.src.dt
        k0, cum, edges = self.k0, self.cum_l, self.src.edges_l
        if t:
            top = min(int((max(t) - t0) / dt), last)  # the steps grow with the instants
            self.ensure(top)
            low = min(int((min(t) - t0) / dt), last)
            if not 0 <= low - k0 <= top - k0 < len(cum) - 1:
                cum = self.list_to(low - k0 if low < k0 else top - k0)
        return [
            cum[j - k0] + (cum[j - k0 + 1] - cum[j - k0]) * (x - edges[j]) / dt
            for x in t
            for i in (int((x - t0) / dt),)
            for j in (last if last < i else i,)
        ]

    def progress_v(self, t: NDArray[np.float64], k: NDArray[np.intp]) -> NDArray[np.float64]:
        """``progress`` for arrays of times and their steps. [FLOP]"""
        if k.size:
            self.ensure(int(k.max()))
        j = k - self.k0
        cum = self.cum
        out: NDArray[np.float64] = cum[j] + (cum[j + 1] - cum[j]) * (t - self.src.edges[k]) / self.src.dt
        return out

    def time_of(self, value: float, t_from: float) -> float:
        """First instant >= ``t_from`` in the window at which ``progress`` reaches ``value`` (inf if not in
        the window). [s]"""
        if value > self.cum_last:
            return math.inf  # the usual answer, found without the array
        cum = self.cum
        j = int(cum.searchsorted(value, side="left")) - 1
        if j < 0:
            return t_from
        j = min(j, cum.size - 2)
        step = cum[j + 1] - cum[j]
        t = float(self.src.edges[j + self.k0] + ((value - cum[j]) / step * self.src.dt if step > 0 else 0.0))
        return max(t, t_from)

    def capped_s(self, t0: float, t1: float) -> float:
        """Time between ``t0`` and ``t1`` spent in steps where this layout runs capped. [s]"""
        return self.src.capped_s(self.gpus, t0, t1)

    def _next(self, runs: NDArray[np.intp], k: int) -> int | None:
        j = int(runs.searchsorted(k))
        return int(runs[j]) if j < runs.size else None

    def fits_to_end(self, k: int) -> bool:
        """Whether the layout fits at every step from ``k`` to the horizon. [-]"""
        return self.src.fit_to_end[k] >= self.gpus - 1e-6 * self.gpus

    def next_zero_step(self, k: int) -> int | None:
        """First step >= ``k`` in the window in which the layout does not fit, or None. [-]"""
        if self.src.fit_to_end[k] >= self.gpus - 1e-6 * self.gpus:
            return None  # fits to the horizon (the common case, asked at every phase)
        self.ensure(k)
        return self._next(self.marks()[0], k)

    def next_change_step(self, k: int) -> int | None:
        """First step > ``k`` in the window where the running GPUs change, or None. [-]"""
        if self.src.fit_to_end[k] >= self.gpus - 1e-6 * self.gpus:
            return None  # fits from k to the horizon: nothing changes
        self.ensure(k)
        return self._next(self.marks()[1], k + 1)

    def marks(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Steps of the window where the layout does not fit, and where fitting changes. [-]"""
        if self._marks is None:
            fits = self._fits
            zero = np.flatnonzero(~fits) + self.k0
            self._marks = zero, np.flatnonzero(fits[1:] != fits[:-1]) + 1 + self.k0
        return self._marks


def _flat_copy(name: str, code: str = "d") -> functools.cached_property[array[Any]]:
    """A flat copy (``flat``, ``code`` 'd' or 'q') of the per-step array attribute ``name``, made when first
    read and kept. [-]"""
    return functools.cached_property(lambda self: flat(getattr(self, name), code))


class Layouts:
    """The layouts a job can run, step by step, and their profiles (built on demand, the recent ones kept)."""

    def __init__(self, inputs: JobInputs) -> None:
        rg = int(inputs.replica_gpus)
        self.replica_gpus = rg
        self.n = int(inputs.step_start_s.size)
        self.dt = float(inputs.dt_s)
        self.t0 = float(inputs.step_start_s[0])
        self.edges = np.append(inputs.step_start_s, inputs.step_start_s[-1] + self.dt)
        held = inputs.job_gpus
        self.held = held
        self.full_gpus = (held // rg) * rg
        """GPUs of whole replicas held, per step (the failure candidates' base). [-]"""
        self.per_gpu = np.where(held > 0, inputs.flop_rate / np.maximum(held, 1), 0.0)
        self.per_replica = inputs.replica_flop_rate
        self.power = inputs.power
        self.cap_replicas = (
            int(self.per_replica.size - 1) if self.per_replica is not None else int(held.max(initial=0) // rg)
        )
        """Replicas of the job at its full size. [-]"""
        whole = self.full_gpus // rg
        if self.power is not None:
            floor, uncapped = self.power.gpus_that_fit()
            most, prefer = self.power.replicas(rg)
            self.fit_floor = np.asarray(floor, dtype=np.float64)
            self.fit_uncapped = np.asarray(uncapped, dtype=np.float64)
            most = np.minimum(np.asarray(most, dtype=np.int64), whole)
            self.prefer = np.minimum(np.minimum(np.asarray(prefer, dtype=np.int64), most), self.cap_replicas)
        else:
            self.fit_floor = self.full_gpus.astype(np.float64)
            self.fit_uncapped = self.fit_floor
            self.prefer = np.minimum(whole, self.cap_replicas)
        self.fit_to_end = flat(np.minimum.accumulate(np.minimum(self.full_gpus, self.fit_floor)[::-1])[::-1])
        """Most GPUs that fit at every step from each step to the horizon. [-]"""
        look = max(round(inputs.config.layout_lookahead_h * SECONDS_PER_HOUR / self.dt), 1)
        most_all = np.minimum(np.floor(self.fit_floor / rg + 1e-9).astype(np.int64), whole)
        # [A] a layout that must stop within the look-ahead anyway (nothing fits at some step in it) runs as
        # large as it fits now: waiting would only lose the compute up to the stop
        ahead = forward_min(most_all, look)
        self.prefer = np.where(ahead > 0, np.minimum(self.prefer, ahead), self.prefer)
        self._positive = np.flatnonzero(self.prefer > 0)
        rises = np.flatnonzero(self.prefer[1:] > self.prefer[:-1]) + 1
        self._rises = rises
        self._rise_value = self.prefer[rises]
        self._last_rise = int(rises[-1]) if rises.size else -1
        pad = (-rises.size) % BLOCK
        blocks = np.concatenate((self._rise_value, np.full(pad, -1, dtype=np.int64)))
        self._rise_block_max = blocks.reshape(-1, BLOCK).max(axis=1) if blocks.size else blocks
        self._cache: OrderedDict[int, LayoutProfile] = OrderedDict()
        self.window = WINDOW_STEPS
        self._rise_memo: dict[int, tuple[int, int | None]] = {}

    # flat copies of the per-step arrays the Python event loop reads one value at a time (see ``flat``), made
    # when it first reads them: the compiled loop reads the arrays (7 copies of 0.69 MB a flagship replica)
    edges_l = _flat_copy("edges")
    held_l = _flat_copy("held", "q")
    full_l = _flat_copy("full_gpus", "q")
    floor_l = _flat_copy("fit_floor")
    prefer_l = _flat_copy("prefer", "q")
    _rises_l = _flat_copy("_rises", "q")
    _rise_value_l = _flat_copy("_rise_value", "q")
    _rise_block_max_l = _flat_copy("_rise_block_max", "q")

    @functools.cached_property
    def uncapped_l(self) -> array[Any]:
        return self.floor_l if self.fit_uncapped is self.fit_floor else flat(self.fit_uncapped)

    def step(self, t: float) -> int:
        """The step holding instant ``t`` (clamped to the grid). [-]"""
        k = int((t - self.t0) / self.dt)
        return 0 if k < 0 else (self.n - 1 if k >= self.n else k)

    def profile(self, replicas: int) -> LayoutProfile:
        """The profile of a layout of ``replicas`` replicas."""
        found = self._cache.get(replicas)
        if found is None:
            found = LayoutProfile(self, replicas)
            self._cache[replicas] = found
            if len(self._cache) > CACHED_PROFILES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(replicas)
        return found

    def release(self) -> None:
        """Drop the kept profiles once the job has run: each profile refers back to these layouts, so the pair
        would otherwise wait for the garbage collector's full pass, and with it ~7 MB of arrays per flagship
        replica (a replica worker's heap grew by ~35 MB over six replicas before it did). [-]"""
        self._cache.clear()

    def choose(self, k: int, deficit: int) -> int:
        """Replicas to restart on in step ``k`` with ``deficit`` GPUs in repair beyond the spares: what the
        power policy runs, within the whole replicas held less the deficit. [-]"""
        avail = max(self.held_l[k] - int(deficit), 0) // self.replica_gpus
        return min(self.prefer_l[k], avail)

    def next_fit_step(self, k: int, deficit: int) -> int | None:
        """First step >= ``k`` where some layout fits with ``deficit`` GPUs in repair, or None. [-]"""
        pos = self._positive
        j = int(pos.searchsorted(k))
        if j >= pos.size:
            return None
        need = int(deficit) + self.replica_gpus
        if self.held[pos[j]] >= need:
            return int(pos[j])
        later = np.flatnonzero(self.held[pos[j:]] >= need)
        return int(pos[j + int(later[0])]) if later.size else None

    def next_rise(self, k: int, replicas: int) -> int | None:
        """First step > ``k`` where the supply rises to more than ``replicas`` replicas, or None. [-]"""
        if k >= self._last_rise:
            return None  # no rise after k (the common case once the build-out is done)
        # the answer found from an earlier step holds for every step from it up to the answer (no rise above
        # ``replicas`` in between): the event loop asks again and again within that span
        memo = self._rise_memo.get(replicas)
        if memo is not None and memo[0] <= k and (memo[1] is None or k < memo[1]):
            return memo[1]
        found = self._next_rise(k, replicas)
        self._rise_memo[replicas] = (k, found)
        return found

    def _next_rise(self, k: int, replicas: int) -> int | None:
        """``next_rise`` without the memo: the rest of the block of rises after ``k``, then the first later
        block whose maximum is above ``replicas`` (a scan of flat arrays: the hit is usually near). [-]"""
        rises, values, block_max = self._rises_l, self._rise_value_l, self._rise_block_max_l
        n = len(rises)
        j = bisect.bisect_right(rises, k)
        b = j // BLOCK
        while True:
            for i in range(j, min((b + 1) * BLOCK, n)):
                if values[i] > replicas:
                    return rises[i]
            b += 1
            while b < len(block_max) and block_max[b] <= replicas:
                b += 1
            if b >= len(block_max):
                return None
            j = b * BLOCK

    def rate_at(self, replicas: int, k: int) -> float:
        """FLOP rate of a layout of ``replicas`` in step ``k`` (0 where it does not fit). [FLOP/s]"""
        n = replicas * self.replica_gpus
        tol = 1e-6 * max(n, 1)
        if replicas <= 0 or self.full_l[k] < n or self.floor_l[k] < n - tol:
            return 0.0
        if self.per_replica is not None:
            base = float(self.per_replica[min(replicas, self.per_replica.size - 1)])
        else:
            base = float(self.per_gpu[k]) * n
        if self.power is not None and self.uncapped_l[k] < n - tol:
            base *= float(self.power.factor_at(n, np.array([k], dtype=np.intp))[0])
        return base

    def fits(self, gpus: int, k: int) -> bool:
        """Whether ``gpus`` running GPUs fit step ``k`` (held, and carried by the power at the deepest cap).
        [-]"""
        tol = 1e-6 * max(gpus, 1)
        return gpus > 0 and self.full_l[k] >= gpus and self.floor_l[k] >= gpus - tol

    def capped_s(self, gpus: int, t0: float, t1: float) -> float:
        """Time between ``t0`` and ``t1`` in steps where ``gpus`` running GPUs fit only capped. [s]"""
        if self.power is None or t1 <= t0 or gpus <= 0:
            return 0.0
        tol = 1e-6 * max(gpus, 1)
        ka, kb = int((t0 - self.t0) / self.dt), int((t1 - self.t0) / self.dt)
        ka, kb = max(ka, 0), min(kb, self.n - 1)
        if kb - ka < SHORT_SPAN:  # the usual span between two stops: look for a capped step on the lists
            unc, floor, least = self.uncapped_l, self.floor_l, gpus - tol
            for j in range(ka, kb + 1):
                if unc[j] < least and floor[j] >= least:
                    break
            else:
                return 0.0
        k = np.arange(ka, kb + 1)
        capped = (self.fit_uncapped[k] < gpus - tol) & (self.fit_floor[k] >= gpus - tol)
        if not capped.any():
            return 0.0
        lo = np.maximum(self.edges[k], t0)
        hi = np.minimum(self.edges[k + 1], t1)
        return float(np.sum(np.where(capped, np.maximum(hi - lo, 0.0), 0.0)))
