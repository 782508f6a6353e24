"""Battery storage: its ratings, and its state during a run with the arithmetic of limits and state of charge.

The round-trip efficiency is split evenly: charging stores ``sqrt(rte)`` of the energy drawn, discharging
takes ``1 / sqrt(rte)`` of the energy delivered from storage. :class:`BatteryState` is the single home of that
arithmetic: the dispatch asks it for each step's limits and moves its state of charge.
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


@dataclass(slots=True)
class BatteryState:
    """A battery during a run of steps of ``dt_h`` hours: its state of charge and the limits around it.

    Powers are at the AC terminals; the power rating is passed per step (it is 0 before the battery exists).
    A run without a battery uses :meth:`none`: every limit is 0 and the state never moves.
    """

    soc_mwh: float
    """State of charge now. [MWh]"""
    soc_min_mwh: float
    """Lowest state of charge. [MWh]"""
    soc_max_mwh: float
    """Highest state of charge. [MWh]"""
    reserve_mwh: float
    """State of charge below which generators refill the battery, within the limits above. [MWh]"""
    efficiency: float
    """One-way (charge or discharge) efficiency, sqrt(RTE). [-]"""
    dt_h: float
    """Step length. [h]"""
    discharge_mw_per_mwh: float
    """AC power one MWh above the minimum delivers over a step: efficiency / dt_h. [MW/MWh]"""
    charge_mw_per_mwh: float
    """AC power that fills one MWh of room over a step: 1 / (efficiency x dt_h). [MW/MWh]"""

    @classmethod
    def start(cls, params: BatteryParams, dt_h: float, initial_soc_mwh: float) -> BatteryState:
        """The battery at the first step, its state of charge and reserve held within its limits. [MWh]"""
        if dt_h <= 0:
            raise ValueError("dt_h must be positive")
        eta = params.one_way_efficiency
        lo, hi = params.soc_min_mwh, params.soc_max_mwh
        return cls(
            soc_mwh=min(max(initial_soc_mwh, lo), hi),
            soc_min_mwh=lo,
            soc_max_mwh=hi,
            reserve_mwh=min(max(params.reserve_mwh, lo), hi),
            efficiency=eta,
            dt_h=dt_h,
            discharge_mw_per_mwh=eta / dt_h,
            charge_mw_per_mwh=1.0 / (eta * dt_h),
        )

    @classmethod
    def none(cls, dt_h: float) -> BatteryState:
        """No battery: nothing stored, nothing to charge or discharge. [MWh]"""
        return cls(0.0, 0.0, 0.0, 0.0, 1.0, dt_h, 0.0, 0.0)

    def limits_mw(self, power_mw: float, firm_hours: float) -> tuple[float, float, float]:
        """What it can do this step within ``power_mw``: (discharge, charge, firm). [MW]

        Discharge and charge are the most AC power it can deliver and absorb over the step without leaving its
        state-of-charge limits; firm is the AC power it can hold for ``firm_hours`` from its energy above the
        reserve (what it can carry through a generator start-up).
        """
        if power_mw <= 0.0:
            return 0.0, 0.0, 0.0
        soc = self.soc_mwh
        dis = (soc - self.soc_min_mwh) * self.discharge_mw_per_mwh
        if dis > power_mw:
            dis = power_mw
        elif dis < 0.0:
            dis = 0.0
        chg = (self.soc_max_mwh - soc) * self.charge_mw_per_mwh
        if chg > power_mw:
            chg = power_mw
        elif chg < 0.0:
            chg = 0.0
        firm = 0.0
        if soc > self.reserve_mwh:
            firm = (soc - self.reserve_mwh) * self.efficiency / firm_hours
            if firm > power_mw:
                firm = power_mw
        return dis, chg, firm

    def advance(self, discharge_mw: float, charge_mw: float) -> float:
        """Move the state of charge over one step of AC discharge and charge, held within its limits. [MWh]"""
        soc = self.soc_mwh + (charge_mw * self.efficiency - discharge_mw / self.efficiency) * self.dt_h
        if soc < self.soc_min_mwh:
            soc = self.soc_min_mwh
        elif soc > self.soc_max_mwh:
            soc = self.soc_max_mwh
        self.soc_mwh = soc
        return soc
