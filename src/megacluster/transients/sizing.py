"""Sizing against stated limits: the smallest site battery (power, then energy) under the scenario's
smoothing controller, and the smallest GPU power floor, that keep every window's grid-facing draw within the
limits. Bisection on a pass/fail check that runs the real controller (so a smaller size fails it).

The battery is sized on top of the other mitigations the scenario switches on (GPU floor and ramp limits, rack
storage); the floor is sized with those too but without the battery.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.transients.config import Limits, TransientsConfig
from megacluster.transients.limits import check_limits
from megacluster.transients.storage import StorageSpec, smooth

FloatArray = npt.NDArray[np.float64]

RELATIVE_TOLERANCE = 0.01
"""Bisection stops when the bracket is within 1 % of the passing size. [-]"""
MAX_FLOOR_FRACTION = 0.95
"""Highest floor tried (the configuration's bound). [-]"""
FLOOR_TOLERANCE = 0.005
"""Bisection on the floor stops at half a percent of TDP. [-]"""


@dataclass(frozen=True)
class BatterySizing:
    """The smallest battery meeting the limits, and the largest that failed, as found. Units in the names."""

    reachable: bool
    """Whether any battery under this controller meets the limits. [-]"""
    power_mw: float | None
    energy_mwh: float | None
    failed_power_mw: float | None
    """Just below the answer's power (with its energy): fails. [MW]"""
    failed_energy_mwh: float | None
    """Just below the answer's energy (with its power): fails. [MWh]"""
    evaluations: int
    note: str = ""


@dataclass(frozen=True)
class FloorSizing:
    """The smallest GPU power floor meeting the limits without a battery. [-]"""

    reachable: bool
    floor_fraction: float | None
    failed_floor_fraction: float | None
    evaluations: int
    note: str = ""


def passes(loads: Sequence[FloatArray], dt_s: float, spec: StorageSpec, limits: Limits) -> bool:
    """Whether the battery keeps every window within the limits. [-]"""
    return all(check_limits(smooth(load, dt_s, spec).grid_mw, dt_s, limits).passed for load in loads)


def _bisect(
    ok: Callable[[float], bool], low: float, high: float, tolerance: Callable[[float], float]
) -> tuple[float, float, int]:
    """Smallest passing value in (low, high] given that ``high`` passes and ``low`` fails: (pass, fail,
    evaluations). [-]"""
    evaluations = 0
    while high - low > tolerance(high):
        mid = 0.5 * (low + high)
        evaluations += 1
        if ok(mid):
            high = mid
        else:
            low = mid
    return high, low, evaluations


def size_battery(
    loads: Sequence[FloatArray], dt_s: float, base: StorageSpec, limits: Limits
) -> BatterySizing:
    """The smallest power (with ample energy), then the smallest energy (at that power). [MW], [MWh]"""
    if not limits.stated():
        return BatterySizing(False, None, None, None, None, 0, "no limits stated")
    swing = max(float(np.max(x) - np.min(x)) for x in loads)
    window_h = max(x.size for x in loads) * dt_s / 3600.0
    p_high = max(swing, 1e-3) * 1.05
    e_high = max(p_high * window_h, 1e-6)
    if passes(loads, dt_s, base.scaled(0.0, 0.0), limits):
        return BatterySizing(True, 0.0, 0.0, None, None, 1, "the limits hold without a battery")
    if not passes(loads, dt_s, _sized(base, p_high, e_high), limits):
        return BatterySizing(
            False,
            None,
            None,
            None,
            None,
            2,
            f"not reachable with this controller: even {p_high:,.0f} MW / {e_high:,.1f} MWh fails "
            "(the battery's response time lets the fastest swings through)",
        )
    tol = RELATIVE_TOLERANCE
    p, p_fail, n1 = _bisect(
        lambda v: passes(loads, dt_s, _sized(base, v, e_high), limits), 0.0, p_high, lambda h: tol * h
    )
    e, e_fail, n2 = _bisect(
        lambda v: passes(loads, dt_s, _sized(base, p, v), limits), 0.0, e_high, lambda h: tol * h
    )
    return BatterySizing(True, p, e, p_fail, e_fail, 2 + n1 + n2)


def _sized(base: StorageSpec, power_mw: float, energy_mwh: float) -> StorageSpec:
    return StorageSpec(**{**base.__dict__, "power_mw": power_mw, "energy_mwh": energy_mwh})


def size_floor(
    site_loads: Callable[[float], Sequence[FloatArray]], dt_s: float, config: TransientsConfig
) -> FloorSizing:
    """The smallest floor (fraction of TDP) whose site draw meets the limits; ``site_loads(floor)`` gives
    every window's draw at that floor. [-]"""
    limits = config.limits
    if not limits.stated():
        return FloorSizing(False, None, None, 0, "no limits stated")

    def ok(floor: float) -> bool:
        return all(check_limits(x, dt_s, limits).passed for x in site_loads(floor))

    if ok(0.0):
        return FloorSizing(True, 0.0, None, 1, "the limits hold without a floor")
    if not ok(MAX_FLOOR_FRACTION):
        return FloorSizing(
            False,
            None,
            None,
            2,
            f"not reachable: even a floor at {MAX_FLOOR_FRACTION:.0%} of TDP fails (the fans and the cooling "
            "plant still move, and a failed job's GPUs fall to the floor)",
        )
    floor, failed, n = _bisect(ok, 0.0, MAX_FLOOR_FRACTION, lambda _: FLOOR_TOLERANCE)
    return FloorSizing(True, floor, failed, 2 + n)
