"""Frequency of an island of on-site generators under the job's swings: a one-machine swing equation.

The online units are lumped into one machine of rating ``S`` (MW, taken equal to MVA) with inertia ``H``:
``2H d(Δω)/dt = Pm - Pe`` (per unit on S; constant-power load behind power electronics, so no load damping).
The governor asks for ``Pm0 - Δω/R`` (droop R) and the mechanical power follows with one lag of ``Tact + Tb``
(GGOV1's actuator and turbine lags in series, replaced by one lag of the same mean delay) at no more than the
valve rate. The one-lag loop stays stable, as the full GGOV1 (whose PID shapes the transient gain) does; a
pure droop gain through two 0.5-s lags on H = 1.5 s would not — a simplification stated in
docs/power-swings.md. Per-class H, R and time constants come from the generator catalog (sourced there); a
fleet given by its rating alone takes the generic typical values of ``transients.constants``.

Integrated with explicit Euler at sub-steps of at most 10 ms (the lag is at least 0.5 s in every class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MAX_SUBSTEP_S = 0.01
"""Longest integration sub-step (a fiftieth of the shortest lag, 0.5 s). [s]"""
STEP_WINDOW_S = 1.0
"""A 'load step' is the largest change of the island's load within this time. [s]"""


@dataclass(frozen=True)
class IslandUnits:
    """The online units of an island, lumped into one machine. Units in the names."""

    rating_mw: float
    inertia_h_s: float
    droop: float
    actuator_s: float
    turbine_s: float
    rate_pu_per_s: float
    load_step_fraction: float
    """Largest load step the units accept at once, fraction of their rating. [-]"""
    nominal_hz: float = 60.0

    def __post_init__(self) -> None:
        values = (self.rating_mw, self.inertia_h_s, self.droop, self.rate_pu_per_s, self.load_step_fraction)
        if any(v <= 0 for v in values) or self.actuator_s < 0 or self.turbine_s < 0:
            raise ValueError("an island needs positive rating, inertia, droop, valve rate and step limit")


@dataclass(frozen=True)
class IslandResponse:
    """How the island's frequency moved. Units in the names."""

    deviation_hz: FloatArray
    """Frequency minus nominal at each sample. [Hz]"""
    max_deviation_hz: float
    max_rocof_hz_per_s: float
    """Largest rate of change of frequency between samples. [Hz/s]"""
    largest_step_mw: float
    """Largest change of the island's load within 1 s. [MW]"""
    largest_step_fraction: float
    """That change over the online rating. [-]"""
    step_limit_exceeded: bool
    """Whether a load step exceeds what the units accept at once. [-]"""


def largest_step_mw(load_mw: npt.ArrayLike, dt_s: float, span_s: float = STEP_WINDOW_S) -> float:
    """Largest change of a load between two samples at most ``span_s`` apart. [MW]"""
    x = np.asarray(load_mw, dtype=np.float64)
    width = max(1, min(round(span_s / dt_s), x.size - 1))
    best = 0.0
    for lag in range(1, width + 1):
        best = max(best, float(np.max(np.abs(x[lag:] - x[:-lag]))))
    return best


def island_response(load_mw: npt.ArrayLike, dt_s: float, units: IslandUnits) -> IslandResponse:
    """Frequency deviation of the island carrying ``load_mw`` (in balance at its first sample). [Hz]"""
    load = np.asarray(load_mw, dtype=np.float64)
    pe = (load / units.rating_mw).tolist()
    substeps = max(1, math.ceil(dt_s / MAX_SUBSTEP_S))
    h = dt_s / substeps
    two_h = 2.0 * units.inertia_h_s
    p0 = pe[0] if pe else 0.0
    omega, pm = 0.0, p0
    rate = units.rate_pu_per_s * h
    lag = units.actuator_s + units.turbine_s
    follow = min(h / lag, 1.0) if lag > 0 else 1.0
    out = [0.0] * len(pe)
    for i, p_load in enumerate(pe):
        for _ in range(substeps):
            move = (p0 - omega / units.droop - pm) * follow
            pm += rate if move > rate else -rate if move < -rate else move
            omega += (pm - p_load) / two_h * h
        out[i] = omega
    deviation = np.asarray(out) * units.nominal_hz
    rocof = np.abs(np.diff(deviation)) / dt_s if deviation.size > 1 else np.zeros(1)
    step = largest_step_mw(load, dt_s) if load.size > 1 else 0.0
    return IslandResponse(
        deviation_hz=deviation,
        max_deviation_hz=float(np.max(np.abs(deviation))) if deviation.size else 0.0,
        max_rocof_hz_per_s=float(rocof.max()),
        largest_step_mw=step,
        largest_step_fraction=step / units.rating_mw,
        step_limit_exceeded=step > units.load_step_fraction * units.rating_mw,
    )
