"""Exact-time random events from a hazard that is piecewise constant per time step.

A Poisson process with intensity ``h_k`` on step ``k`` has cumulative hazard ``H(t)``, piecewise linear. Event
times are ``H^-1(E_1), H^-1(E_1 + E_2), ...`` with ``E_i`` unit exponential draws: no rounding to the step.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MAX_EXPECTED_EVENTS = 5e7
"""Refuse hazards that would draw more events than this (memory). [-]"""


def infant_mortality_multiplier(
    t_s: NDArray[np.float64], factor: float, decay_s: float
) -> NDArray[np.float64]:
    """Hazard multiplier ``1 + (factor - 1) exp(-t / decay)`` at time ``t`` after a fresh build. [-]"""
    t = np.asarray(t_s, dtype=float)
    if factor == 1.0:
        return np.ones_like(t)
    out: NDArray[np.float64] = 1.0 + (factor - 1.0) * np.exp(-np.maximum(t, 0.0) / decay_s)
    return out


def cumulative_hazard(hazard_per_s: NDArray[np.float64], dt_s: float) -> NDArray[np.float64]:
    """Cumulative hazard at the step boundaries, ``H_0 = 0``, length n + 1. [-]"""
    h = np.asarray(hazard_per_s, dtype=float)
    if h.size and (not np.all(np.isfinite(h)) or h.min() < 0):
        raise ValueError("hazard must be finite and non-negative")
    out = np.zeros(h.size + 1)
    np.cumsum(h * dt_s, out=out[1:])
    return out


def invert_cumulative(
    cum: NDArray[np.float64],
    rate: NDArray[np.float64],
    edges_s: NDArray[np.float64],
    values: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Times at which a piecewise-linear ``cum`` (at ``edges_s``, slope ``rate``) reaches ``values``.

    Values beyond ``cum[-1]`` give inf. [s]
    """
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(cum, v, side="left") - 1
    n = rate.size
    inside = (idx >= 0) & (idx < n) & (v <= cum[-1])
    k = np.clip(idx, 0, max(n - 1, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = edges_s[k] + np.where(rate[k] > 0, (v - cum[k]) / np.where(rate[k] > 0, rate[k], 1.0), 0.0)
    t = np.minimum(t, edges_s[np.minimum(k + 1, n)])
    out: NDArray[np.float64] = np.where(
        inside, t, np.where(v <= (cum[0] if cum.size else 0.0), edges_s[0], np.inf)
    )
    return out


def draw_event_times(
    hazard_per_s: NDArray[np.float64],
    step_start_s: NDArray[np.float64],
    dt_s: float,
    rng: np.random.Generator,
    t_from_s: float | None = None,
) -> NDArray[np.float64]:
    """Exact event times of a Poisson process with a per-step constant hazard, from ``t_from_s`` on. [s]

    Draws unit exponential gaps in vectorised batches, accumulates them from ``H(t_from)`` and inverts ``H``.
    """
    h = np.asarray(hazard_per_s, dtype=float)
    starts = np.asarray(step_start_s, dtype=float)
    if h.shape != starts.shape:
        raise ValueError("hazard_per_s and step_start_s must have the same length")
    if h.size == 0:
        return np.zeros(0)
    edges = np.append(starts, starts[-1] + dt_s)
    cum = cumulative_hazard(h, dt_s)
    t0 = float(edges[0] if t_from_s is None else t_from_s)
    if t0 >= edges[-1]:
        return np.zeros(0)
    k0 = int(np.clip(np.searchsorted(edges, t0, side="right") - 1, 0, h.size - 1))
    h_from = cum[k0] + h[k0] * max(t0 - edges[k0], 0.0)
    budget = cum[-1] - h_from
    if budget > MAX_EXPECTED_EVENTS:
        raise ValueError(
            f"the hazard gives {budget:.3g} expected events, more than {MAX_EXPECTED_EVENTS:.0e}; "
            "check the failure rate and the number of GPUs"
        )
    chunks: list[NDArray[np.float64]] = []
    level = h_from
    while True:
        size = int(budget + 6.0 * np.sqrt(max(budget, 1.0)) + 16)
        gaps = rng.standard_exponential(size)
        marks = level + np.cumsum(gaps)
        chunks.append(marks)
        level = float(marks[-1])
        if level > cum[-1]:
            break
    marks = np.concatenate(chunks)
    marks = marks[marks <= cum[-1]]
    times = invert_cumulative(cum, h, edges, marks)
    out: NDArray[np.float64] = np.maximum(times, t0)
    return out


def draw_poisson_times(
    rate_per_s: float, t_from_s: float, t_to_s: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Event times of a homogeneous Poisson process on ``[t_from_s, t_to_s)``. [s]"""
    if not rate_per_s >= 0:
        raise ValueError(f"rate must be a non-negative number, got {rate_per_s!r}")
    span = t_to_s - t_from_s
    if rate_per_s == 0 or span <= 0:
        return np.zeros(0)
    count = int(rng.poisson(rate_per_s * span))
    out: NDArray[np.float64] = np.sort(t_from_s + span * rng.random(count))
    return out


def assign_causes(count: int, shares: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.int64]:
    """Index of the cause of each of ``count`` events, drawn with probabilities ``shares``. [-]"""
    p = np.asarray(shares, dtype=float)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if p.sum() <= 0:
        raise ValueError("no cause has a positive share")
    cdf = np.cumsum(p / p.sum())
    out: NDArray[np.int64] = np.minimum(
        np.searchsorted(cdf, rng.random(count), side="right"), p.size - 1
    ).astype(np.int64)
    return out
