"""Battery storage: power limits from the state of charge, and the state-of-charge update. Pure functions.

The round-trip efficiency is split evenly: charging stores ``sqrt(rte)`` of the energy drawn, discharging
takes ``1 / sqrt(rte)`` of the energy delivered from storage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class BatteryParams:
    """A battery's ratings."""

    power_mw: float
    """Charge and discharge limit at the AC terminals. [MW]"""
    energy_mwh: float
    """Usable energy. [MWh]"""
    round_trip_efficiency: float
    """AC to AC round-trip efficiency. [-]"""
    soc_min_mwh: float
    """Lowest state of charge. [MWh]"""
    soc_max_mwh: float
    """Highest state of charge. [MWh]"""
    reserve_mwh: float = 0.0
    """State of charge below which generators refill the battery. [MWh]"""

    @property
    def one_way_efficiency(self) -> float:
        """Charging and discharging efficiency each, sqrt(RTE). [-]"""
        return math.sqrt(self.round_trip_efficiency)


def discharge_limit_mw(soc_mwh: float, params: BatteryParams, dt_h: float) -> float:
    """Most AC power the battery can deliver for ``dt_h`` without going below its minimum SoC. [MW]"""
    room = max(soc_mwh - params.soc_min_mwh, 0.0)
    return min(params.power_mw, room * params.one_way_efficiency / dt_h)


def charge_limit_mw(soc_mwh: float, params: BatteryParams, dt_h: float) -> float:
    """Most AC power the battery can absorb for ``dt_h`` without going above its maximum SoC. [MW]"""
    room = max(params.soc_max_mwh - soc_mwh, 0.0)
    return min(params.power_mw, room / (params.one_way_efficiency * dt_h))


def next_soc_mwh(
    soc_mwh: float, discharge_mw: float, charge_mw: float, params: BatteryParams, dt_h: float
) -> float:
    """State of charge after a step of AC discharge and charge, held within its limits. [MWh]"""
    eta = params.one_way_efficiency
    soc = soc_mwh + (charge_mw * eta - discharge_mw / eta) * dt_h
    return min(max(soc, params.soc_min_mwh), params.soc_max_mwh)
