"""The dispatch's step loop in plain Python: the reference the compiled loop (``kernel.py``) must equal.

``dispatch.run_dispatch`` builds the plan, the campus, the generator fleets and the battery, then runs this
loop or the compiled one. It calls one function of ``phases.py`` per physical phase, on plain Python floats
(lists are faster to index than arrays, one value at a time).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from megacluster.power.battery import BatteryState
from megacluster.power.phases import (
    ROUNDING_MW,
    charge_from_spare,
    commit_units,
    commitment_need_mw,
    fit_demand,
    hold_minimum_load,
    merit_order,
    output_window,
    split_output,
)
from megacluster.power.state import Campus, Flows, Units

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Plan(NamedTuple):
    """What the loop reads: per-step inputs and the run's constants."""

    demand_mw: FloatArray
    cool_max_mw: FloatArray
    ahead_mw: FloatArray
    grid_mw: FloatArray
    pue: FloatArray
    battery_power_mw: FloatArray
    years: IntArray
    """Permit boundary counter of each step (:func:`permit_boundaries`). [-]"""
    months: IntArray
    order: tuple[int, ...]
    battery_first: bool
    unit_peak_mw: float
    reserve_mw: float
    lead_h: float
    dt_h: float
    charge_from_generators: bool


def run_steps(
    plan: Plan, campus: Campus, units: list[Units], battery: BatteryState
) -> tuple[list[float], ...]:
    """The per-step loop: the phases in order, on plain floats. Returns (served, grid, battery, state of
    charge, cap fraction, supply capacity) per step. [MW, MWh, -]"""
    dfull, coolmax = plan.demand_mw.tolist(), plan.cool_max_mw.tolist()  # lists: fast to index
    ahead, gridcap = plan.ahead_mw.tolist(), plan.grid_mw.tolist()
    pue, bpow, years = plan.pue.tolist(), plan.battery_power_mw.tolist(), plan.years.tolist()
    order = plan.order
    unit_peak, reserve, lead_h, dt_h = plan.unit_peak_mw, plan.reserve_mw, plan.lead_h, plan.dt_h
    battery_first, charge_gen = plan.battery_first, plan.charge_from_generators
    n = len(dfull)
    served_o, grid_o, batt_o, soc_o, cap_o, supply_o = ([0.0] * n for _ in range(6))
    year, months = years[0] if n else 0, plan.months.tolist()
    for t in range(n):
        if years[t] != year:  # a permit boundary: a new month (or year), or a permit taking effect
            year = years[t]
            for u in units:
                u.new_period(t, months[t])
        d, gc, dmax, pb = dfull[t], gridcap[t], coolmax[t], bpow[t]
        dis_max, chg_max, firm = battery.limits_mw(pb, lead_h)
        # 1. commit units ahead of need
        cap_total = min_total = avail = 0.0
        if units:
            want = d if d < dmax else dmax
            refill = battery.soc_mwh < battery.reserve_mwh
            firm = firm if battery_first else 0.0
            need_start, need_keep = commitment_need_mw(
                ahead[t], want, gc, firm, chg_max, unit_peak, reserve, refill, charge_gen
            )
            for u in units:
                need_start, need_keep, avail_mw = commit_units(u, t, need_start, need_keep)
                output_window(u, t, dt_h)
                cap_total += u.cap_mw
                min_total += u.min_mw
                avail += avail_mw
        # 2. fit the demand into supply and cooling
        supply_o[t] = gc + dis_max + avail
        target = gc + dis_max + cap_total
        target = d if d < target else target
        target = dmax if dmax < target else target
        if target >= d - 1e-12 * (d if d > 1.0 else 1.0):
            served, cap = d, 1.0
        else:
            served, cap = fit_demand(campus, t, target, pue[t])
        # 3. merit order (what is left over is rounding)
        grid, gen, dis, rem = merit_order(served, gc, cap_total, dis_max, order)
        served = served - rem if rem > 0.0 else served
        chg = 0.0
        # 4. minimum load
        if gen < min_total - ROUNDING_MW:
            flows = Flows(served, grid, gen, dis, chg, cap)
            limits = (gc, dis_max, chg_max)
            flows, cap_total, min_total = hold_minimum_load(
                units, campus, t, pue[t], flows, limits, cap_total, min_total
            )
            served, grid, gen, dis, chg, cap = flows
        # 5. charge from spare supply
        if pb > 0.0 and dis <= 0.0 and chg < chg_max:
            from_grid, from_gen = charge_from_spare(chg_max - chg, gc - grid, cap_total - gen, charge_gen)
            grid += from_grid
            chg += from_grid
            gen += from_gen
            chg += from_gen
        # 6. split output over fleets; 7. state of charge
        if units:
            split_output(units, t, gen, cap_total, min_total, dt_h)
        soc_o[t] = battery.advance(dis, chg) if pb > 0.0 else battery.soc_mwh
        served_o[t] = served
        grid_o[t] = grid
        batt_o[t] = dis - chg
        cap_o[t] = cap
    return served_o, grid_o, batt_o, soc_o, cap_o, supply_o
