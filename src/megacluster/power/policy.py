"""Power-limited operation by policy: cap the GPUs or idle whole blocks, chosen by throughput per MW.

Short of power, a campus can run every GPU capped, or idle whole blocks (the training job's data-parallel
replicas) and run the rest faster. Which gives more training throughput per MW depends on the capping curve
and on what an idled block still draws. With ``f(c)`` the throughput of a GPU capped at ``c`` (fraction of
TDP), ``s`` the GPU's watts per unit of cap, ``F`` the rest of a running GPU's watts and ``q`` an idled GPU's
watts, a budget ``P`` over ``n`` GPUs of which ``p`` run at cap ``c`` gives ``p f(c)`` with ``p = (P - n q) /
(s c + F - q)``: the throughput is ``(P - n q) f(c) / (s c + F - q)``, largest at the cap ``c*`` that
maximises ``f(c) / (s c + F - q)`` whatever ``P``. For the power-law curve ``f = (c / load) ** a``,
``c* = a (F - q) / ((1 - a) s)`` (``a < 1``); ``a >= 1`` makes idling always at least as good.

Policies (:class:`PowerPolicy`): ``cap_first`` caps down to the deepest cap before idling (the target cap is
the deepest); ``idle_first`` idles blocks before capping at all (the target cap is the uncapped draw);
``best`` aims at ``c*`` clamped to [deepest cap, uncapped]. In every case the campus caps all GPUs while the
cap that fits stays at or above the target, and idles whole blocks below it. Pure functions.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class PowerPolicy(enum.StrEnum):
    """How a power shortfall is met: cap every GPU, or idle whole blocks."""

    BEST = "best"
    """Whichever gives more training throughput per MW under the capping curve (see the module)."""
    CAP_FIRST = "cap_first"
    """Cap every GPU down to the deepest cap, then idle whole blocks."""
    IDLE_FIRST = "idle_first"
    """Idle whole blocks and run the rest uncapped."""


def best_cap_fraction(
    slope_w: float,
    fixed_w: float,
    idle_w: float,
    load: float,
    cap_min: float,
    exponent: float,
    exposure_w: float = 0.0,
) -> float:
    """The cap that gives the most throughput per watt of budget beyond the idle draw, ``c*``, clamped to
    [``cap_min``, ``load``], for throughput ``(c / load) ** exponent``. [-]

    Watts may be per GPU or summed over a campus (only their ratios matter). ``exposure_w`` counts the
    failures every running GPU brings: with ``kappa`` the time lost to interruptions per GPU-second of
    running (interruptions per GPU-second x loss per interruption) and ``B`` the budget beyond the idle draw,
    the goodput of ``p`` running GPUs is ``1 / (1 + p kappa)`` and the best cap is
    ``a (F - q + kappa B) / ((1 - a) s)``: ``exposure_w = kappa B`` (in the same watts as the others).
    """
    lo = min(cap_min, load)
    gap = fixed_w - idle_w + max(exposure_w, 0.0)
    if exponent >= 1.0 or slope_w <= 0.0:
        return load if gap >= 0.0 or slope_w <= 0.0 else lo
    c = exponent * gap / ((1.0 - exponent) * slope_w)
    return float(min(max(c, lo), load))


def target_cap_fraction(
    policy: PowerPolicy,
    slope_w: float,
    fixed_w: float,
    idle_w: float,
    load: float,
    cap_min: float,
    exponent: float,
    cap_enabled: bool = True,
    exposure_w: float = 0.0,
) -> float:
    """The cap a policy runs GPUs at before it idles blocks (``load``: none). [-]"""
    if not cap_enabled or policy is PowerPolicy.IDLE_FIRST:
        return load
    if policy is PowerPolicy.CAP_FIRST:
        return min(cap_min, load)
    return best_cap_fraction(slope_w, fixed_w, idle_w, load, cap_min, exponent, exposure_w)


def throughput_per_kw(
    cap: float | FloatArray, slope_w: float, fixed_w: float, idle_w: float, load: float, exponent: float
) -> FloatArray:
    """Throughput of a GPU at ``cap`` per kW it draws beyond an idled GPU: ``f(c) / (s min(c, load) + F -
    q)``, throughput relative to uncapped. [1/kW]"""
    c = np.minimum(np.asarray(cap, dtype=np.float64), load)
    f = np.clip(c / max(load, 1e-12), 0.0, 1.0) ** exponent
    out: FloatArray = f / ((slope_w * c + fixed_w - idle_w) / 1000.0)
    return out


@dataclass(frozen=True)
class JobAllotment:
    """The power the plant allots to the training job's GPUs at each step, and how it turns into replicas
    and caps. Built by the engine from the plant's result; handed to the job as a plain object.

    A layout of ``N`` running GPUs draws ``N (s min(c, load) + F) + (H - N) q`` [W] of IT power, with ``H``
    the GPUs the job may use (the rest idle); it fits the allotment at the cap
    ``c = (allot - H q - N (F - q)) / (N s)`` and can run while ``c >= cap_min`` (or, without capping, while
    ``c >= load``).
    """

    allot_w: FloatArray
    """IT power allotted to the job's GPUs, per step. [W]"""
    held_gpus: IntArray
    """GPUs the job may use, per step (powered or idle). [-]"""
    slope_w: float
    """IT watts per GPU per unit of cap fraction. [W]"""
    fixed_w: float
    """IT watts per running GPU independent of the cap. [W]"""
    idle_w: float
    """IT watts of an idled GPU. [W]"""
    load: float
    """Uncapped GPU draw / TDP. [-]"""
    cap_min: float
    """Deepest cap / TDP. [-]"""
    exponent: float
    """Throughput = (cap / load) ** exponent. [-]"""
    cap_enabled: bool = True
    policy: PowerPolicy = PowerPolicy.BEST
    exposure_per_gpu: float = 0.0
    """Time lost to interruptions per second of running, per running GPU (the failures a GPU brings):
    interruptions per GPU-second x the loss of one (restart + rework). [1/GPU]"""

    def cap_at(self, gpus: int) -> FloatArray:
        """Cap at which ``gpus`` running GPUs fit the allotment, per step (inf for none). [-]"""
        if gpus <= 0:
            return np.full(self.allot_w.shape, np.inf)
        spare = self.allot_w - self.held_gpus * self.idle_w - gpus * (self.fixed_w - self.idle_w)
        if self.slope_w <= 0:
            return np.where(spare >= 0, np.inf, -1.0)
        out: FloatArray = spare / (gpus * self.slope_w)
        return out

    def floor_cap(self) -> float:
        """The deepest cap a running layout may sit at. [-]"""
        return min(self.cap_min, self.load) if self.cap_enabled else self.load

    def run_at(self, gpus: int) -> tuple[FloatArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """For ``gpus`` running GPUs, per step: the throughput factor, whether they fit, if capped. [-]"""
        c = self.cap_at(gpus)
        fits = c >= self.floor_cap() - 1e-12
        capped = fits & (c < self.load - 1e-12)
        ratio = np.clip(np.where(capped, c, self.load) / max(self.load, 1e-12), 0.0, 1.0)
        factor: FloatArray = np.where(fits, ratio**self.exponent, 0.0)
        return factor, fits, capped

    def most_gpus(self, at_cap: float | FloatArray) -> FloatArray:
        """Most GPUs that fit the allotment, every running GPU at ``at_cap``, per step (unrounded). [-]"""
        per = self.slope_w * np.minimum(at_cap, self.load) + self.fixed_w - self.idle_w
        spare = self.allot_w - self.held_gpus * self.idle_w
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(per > 0, spare / np.where(per > 0, per, 1.0), np.inf)
        out: FloatArray = np.clip(ratio, 0.0, self.held_gpus)
        return out

    def target_caps(self) -> FloatArray:
        """The policy's target cap per step ('best': the failures of every running GPU counted). [-]"""
        n = self.allot_w.size
        if self.policy is not PowerPolicy.BEST or not self.cap_enabled:
            return np.full(n, target_cap_fraction(
                self.policy, self.slope_w, self.fixed_w, self.idle_w, self.load, self.cap_min, self.exponent,
                self.cap_enabled,
            ))  # fmt: skip
        budget = np.maximum(self.allot_w - self.held_gpus * self.idle_w, 0.0)
        lo = min(self.cap_min, self.load)
        gap = self.fixed_w - self.idle_w + self.exposure_per_gpu * budget
        if self.exponent >= 1.0 or self.slope_w <= 0.0:
            return np.where(gap >= 0.0, self.load, lo)
        out: FloatArray = np.clip(self.exponent * gap / ((1.0 - self.exponent) * self.slope_w), lo, self.load)
        return out

    def gpus_that_fit(self) -> tuple[FloatArray, FloatArray]:
        """Most running GPUs that fit per step: at the deepest cap, and uncapped (unrounded). [-]"""
        return self.most_gpus(self.floor_cap()), self.most_gpus(self.load)

    def factor_at(self, gpus: int, steps: npt.NDArray[np.intp]) -> FloatArray:
        """Throughput factor of ``gpus`` running GPUs at the cap that fits, at the given steps (1: uncapped).
        [-]"""
        idx = np.asarray(steps, dtype=np.intp)
        if gpus <= 0 or self.slope_w <= 0:
            return np.ones(idx.size)
        spare = self.allot_w[idx] - self.held_gpus[idx] * self.idle_w - gpus * (self.fixed_w - self.idle_w)
        c = np.clip(spare / (gpus * self.slope_w), self.floor_cap(), self.load)
        # the C library's pow (``float_power``), not numpy's vectorised ``**`` (which differs by an ulp on
        # some CPUs): the same float on every machine and in the job's compiled loop (reliability/kernel.py)
        out: FloatArray = np.float_power(np.clip(c / max(self.load, 1e-12), 0.0, 1.0), self.exponent)
        return out

    def replicas(self, replica_gpus: int) -> tuple[IntArray, IntArray]:
        """Whole replicas per step: (most that fit at the deepest cap, what the policy runs). [-]"""
        most = np.floor(self.most_gpus(self.floor_cap()) / replica_gpus + 1e-9).astype(np.int64)
        target = self.target_caps()
        prefer = np.floor(self.most_gpus(target) / replica_gpus + 1e-9).astype(np.int64)
        everyone = self.held_gpus // replica_gpus
        # all replicas capped at or above the target beat idling any; at least one replica if one fits
        all_fit = self.cap_at_many(everyone * replica_gpus) >= target - 1e-12
        prefer = np.where(all_fit, everyone, np.minimum(np.maximum(prefer, np.minimum(most, 1)), most))
        return most, np.minimum(prefer, everyone)

    def cap_at_many(self, gpus: IntArray) -> FloatArray:
        """``cap_at`` for a per-step number of running GPUs (inf where none). [-]"""
        g = np.asarray(gpus, dtype=np.float64)
        spare = self.allot_w - self.held_gpus * self.idle_w - g * (self.fixed_w - self.idle_w)
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = np.where(g > 0, spare / np.maximum(g * self.slope_w, 1e-300), np.inf)
        return out

    def draw_w(self, running_gpus: IntArray) -> FloatArray:
        """IT power the job draws with ``running_gpus`` running per step at the cap that fits (capped no
        lower than needed), the rest idle. [W]"""
        g = np.asarray(running_gpus, dtype=np.float64)
        c = np.minimum(self.cap_at_many(np.asarray(running_gpus)), self.load)
        gpu = np.where(g > 0, g * (self.slope_w * np.where(np.isfinite(c), c, 0.0) + self.fixed_w), 0.0)
        out: FloatArray = gpu + (self.held_gpus - g) * self.idle_w
        return out


def fleet_it_w(
    powered: IntArray,
    installed: IntArray,
    cap_fraction: FloatArray,
    slope_w: float,
    fixed_w: float,
    idle_w: float,
    load: float,
) -> FloatArray:
    """IT power of one fleet as the plant ran it: powered GPUs at the cap, the rest idle, per step. [W]"""
    c = np.minimum(np.asarray(cap_fraction, dtype=np.float64), load)
    p = np.asarray(powered, dtype=np.float64)
    out: FloatArray = p * (slope_w * c + fixed_w) + (np.asarray(installed, dtype=np.float64) - p) * idle_w
    return out


def gain_over(allotment: JobAllotment, replica_gpus: int, other: PowerPolicy) -> tuple[float, float]:
    """Throughput the allotment's policy gives over ``other`` on the same allotments, integrated over the
    steps where they differ: (relative gain, share of steps that differ). [-]

    The instantaneous comparison: each step's best layout under each policy, uncapped throughput pro rata to
    running GPUs.
    """
    return gains_over(allotment, replica_gpus, (other,))[0]


def gains_over(
    allotment: JobAllotment, replica_gpus: int, others: tuple[PowerPolicy, ...]
) -> tuple[tuple[float, float], ...]:
    """:func:`gain_over` for each of ``others``, the allotment's own throughput computed once, and only at
    the steps where policies can differ: where every held GPU runs uncapped, each policy runs them all at
    the full load (the same throughput), so those steps are left out of the arrays (the same sums: the
    same values in the same order). [-]"""
    n = allotment.allot_w.size
    everyone = (allotment.held_gpus // replica_gpus) * replica_gpus
    open_steps = np.flatnonzero(~(allotment.cap_at_many(everyone) >= allotment.load))
    part = _at_steps(allotment, open_steps)
    mine = _policy_throughput(part, replica_gpus)
    out = []
    for other in others:
        theirs = _policy_throughput(_with_policy(part, other), replica_gpus)
        differ = np.abs(mine - theirs) > 1e-9 * np.maximum(mine, 1.0)
        base = float(theirs[differ].sum())
        gain = float(mine[differ].sum()) / base - 1.0 if base > 0 else 0.0
        share = float(np.count_nonzero(differ)) / n if n else 0.0
        out.append(((gain if math.isfinite(gain) else 0.0), share))
    return tuple(out)


def _at_steps(allotment: JobAllotment, steps: npt.NDArray[np.intp]) -> JobAllotment:
    """The allotment at ``steps`` only (every per-step method works step by step). [-]"""
    return dataclasses.replace(
        allotment, allot_w=allotment.allot_w[steps], held_gpus=allotment.held_gpus[steps]
    )


def _with_policy(allotment: JobAllotment, policy: PowerPolicy) -> JobAllotment:
    return JobAllotment(
        allot_w=allotment.allot_w,
        held_gpus=allotment.held_gpus,
        slope_w=allotment.slope_w,
        fixed_w=allotment.fixed_w,
        idle_w=allotment.idle_w,
        load=allotment.load,
        cap_min=allotment.cap_min,
        exponent=allotment.exponent,
        cap_enabled=allotment.cap_enabled,
        policy=policy,
        exposure_per_gpu=allotment.exposure_per_gpu,
    )


def _policy_throughput(allotment: JobAllotment, replica_gpus: int) -> FloatArray:
    """Per step: GPUs the policy runs x their throughput factor at the cap that fits x the goodput their
    failures leave, ``1 / (1 + GPUs x exposure)``. [GPU-equivalents]"""
    _, prefer = allotment.replicas(replica_gpus)
    gpus = prefer * replica_gpus
    c = np.minimum(allotment.cap_at_many(gpus), allotment.load)
    ratio = np.clip(np.where(np.isfinite(c), c, 0.0) / max(allotment.load, 1e-12), 0.0, 1.0)
    out: FloatArray = gpus * ratio**allotment.exponent / (1.0 + gpus * allotment.exposure_per_gpu)
    return out
