"""Smoothing a draw with energy storage (a rack's power shelf or a site battery), and GPU ramp limits.

One controller serves both: the set point of what the upstream source sees (``grid``) is a first-order
low-pass of the load (time constant ``time_constant_s``), with a slow pull of the state of charge back to its
middle, and — under the ramp limiter — moves toward it no faster than the set ramp (the low-pass keeps the
limiter from riding the top of a duty-cycled swing); the store supplies the
difference (positive = discharge) within its power and energy, after its inverters' response lag. When the
store runs empty or full, the source takes the whole load. The energy ledger is exact:
``charge - discharge - losses = ΔSoC`` (one-way efficiency ``sqrt(round trip)`` each way).

Sequential by nature (each sample depends on the state of charge); plain Python over lists (~1 µs a sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.transients.config import SmoothingController
from megacluster.units import SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StorageSpec:
    """A store and its controller. Units in the names."""

    power_mw: float
    energy_mwh: float
    """Usable energy (the state of charge runs from 0 to this). [MWh]"""
    round_trip_efficiency: float = 1.0
    controller: SmoothingController = SmoothingController.RAMP_LIMITER
    ramp_mw_per_s: float = 1.0
    """Ramp the limiter lets the source see. [MW/s]"""
    time_constant_s: float = 30.0
    """Time constant of the low-pass on the load (both controllers; 0 = none). [s]"""
    response_s: float = 0.0
    """Inverter lag behind the set point. [s]"""
    restore_s: float = 300.0
    """Time constant of the pull back to the middle state of charge. [s]"""
    start_fraction: float = 0.5
    """State of charge at the window start, fraction of the energy. [-]"""

    def __post_init__(self) -> None:
        if self.power_mw < 0 or self.energy_mwh < 0 or not 0 < self.round_trip_efficiency <= 1:
            raise ValueError("a store needs non-negative power and energy and an efficiency in (0, 1]")
        if self.ramp_mw_per_s <= 0 or self.time_constant_s < 0 or self.restore_s <= 0:
            raise ValueError(
                "the controller's ramp and restore time must be positive, its time constant >= 0"
            )

    def scaled(self, power_factor: float = 1.0, energy_factor: float = 1.0) -> StorageSpec:
        """The same store with its power and energy scaled. [-]"""
        return StorageSpec(
            **{
                **self.__dict__,
                "power_mw": self.power_mw * power_factor,
                "energy_mwh": self.energy_mwh * energy_factor,
            }
        )


@dataclass(frozen=True)
class StorageRun:
    """What the source saw and what the store did, sample by sample, with the energy ledger."""

    grid_mw: FloatArray
    storage_mw: FloatArray
    """Positive = discharge (AC side). [MW]"""
    soc_mwh: FloatArray
    """State of charge at the end of each sample. [MWh]"""
    soc_start_mwh: float
    charge_mwh: float
    """Energy taken in (AC). [MWh]"""
    discharge_mwh: float
    """Energy delivered (AC). [MWh]"""
    losses_mwh: float
    saturated_samples: int
    """Samples where the store's power or energy bound cut its contribution. [-]"""

    @property
    def soc_change_mwh(self) -> float:
        """State of charge at the end minus at the start. [MWh]"""
        return float(self.soc_mwh[-1] - self.soc_start_mwh) if self.soc_mwh.size else 0.0


def smooth(load_mw: npt.ArrayLike, dt_s: float, spec: StorageSpec) -> StorageRun:
    """Run the store's controller over a load sampled every ``dt_s``. [MW], [MWh]"""
    load = np.asarray(load_mw, dtype=np.float64).tolist()
    eta = math.sqrt(spec.round_trip_efficiency)
    e_max, p_max = spec.energy_mwh, spec.power_mw
    to_mwh = dt_s / SECONDS_PER_HOUR
    soc = spec.start_fraction * e_max
    ref = 0.5 * e_max
    restore_gain = SECONDS_PER_HOUR / spec.restore_s  # MW of recentring per MWh off the middle
    step = spec.ramp_mw_per_s * dt_s
    alpha = 1.0 - math.exp(-dt_s / spec.time_constant_s) if spec.time_constant_s > 0 else 1.0
    beta = 1.0 - math.exp(-dt_s / spec.response_s) if spec.response_s > 0 else 1.0
    ramp = spec.controller is SmoothingController.RAMP_LIMITER
    grid_out = [0.0] * len(load)
    store_out = [0.0] * len(load)
    soc_out = [0.0] * len(load)
    head = max(1, min(len(load), round(spec.time_constant_s / dt_s)))
    smooth_load = sum(load[:head]) / head if load else 0.0  # in steady operation before the window
    g_set = smooth_load
    b = 0.0
    charge = discharge = losses = 0.0
    saturated = 0
    for i, x in enumerate(load):
        smooth_load += alpha * (x - smooth_load)
        target = smooth_load - restore_gain * (soc - ref)
        if ramp:
            move = target - g_set
            g_set += step if move > step else -step if move < -step else move
        else:
            g_set = target
        b += beta * ((x - g_set) - b)
        wanted = b
        if b > p_max:
            b = p_max
        elif b < -p_max:
            b = -p_max
        if b > 0.0:
            need = b * to_mwh / eta
            if need > soc:
                b, need = soc * eta / to_mwh, soc
            soc -= need
            discharge += b * to_mwh
            losses += b * to_mwh * (1.0 / eta - 1.0)
        elif b < 0.0:
            store = -b * to_mwh * eta
            if store > e_max - soc:
                store = max(e_max - soc, 0.0)
                b = -store / (to_mwh * eta)
            soc += store
            charge += -b * to_mwh
            losses += -b * to_mwh * (1.0 - eta)
        g = x - b
        if b != wanted:  # the store could not follow: the set point restarts from what the source sees
            saturated += 1
            g_set = g
        grid_out[i] = g
        store_out[i] = b
        soc_out[i] = soc
    return StorageRun(
        grid_mw=np.asarray(grid_out),
        storage_mw=np.asarray(store_out),
        soc_mwh=np.asarray(soc_out),
        soc_start_mwh=spec.start_fraction * e_max,
        charge_mwh=charge,
        discharge_mwh=discharge,
        losses_mwh=losses,
        saturated_samples=saturated,
    )


@dataclass(frozen=True)
class RampLimited:
    """A draw held to ramp limits: the result, the energy burnt above the demand (slow ramp-down) and the
    energy withheld below it (slow ramp-up: the GPUs are throttled). [MW], [MWh]"""

    power_mw: FloatArray
    burnt_mwh: float
    withheld_mwh: float


def ramp_limit(
    demand_mw: npt.ArrayLike,
    dt_s: float,
    up_mw_per_s: float | None,
    down_mw_per_s: float | None,
    hold_s: float = 0.0,
) -> RampLimited:
    """Limit how fast a draw rises and falls; before falling it holds its level for ``hold_s`` (the
    firmware's ramp-down hysteresis). ``None`` leaves a direction unlimited. [MW]"""
    demand = np.asarray(demand_mw, dtype=np.float64).tolist()
    up = math.inf if up_mw_per_s is None else up_mw_per_s * dt_s
    down = math.inf if down_mw_per_s is None else down_mw_per_s * dt_s
    hold = round(hold_s / dt_s)
    out = [0.0] * len(demand)
    y = demand[0] if demand else 0.0
    waited = 0
    burnt = withheld = 0.0
    for i, x in enumerate(demand):
        if x >= y:
            y = min(x, y + up)
            waited = 0
        elif waited >= hold:
            y = max(x, y - down)
        else:
            waited += 1
        out[i] = y
        if y > x:
            burnt += y - x
        else:
            withheld += x - y
    to_mwh = dt_s / SECONDS_PER_HOUR
    return RampLimited(power_mw=np.asarray(out), burnt_mwh=burnt * to_mwh, withheld_mwh=withheld * to_mwh)
