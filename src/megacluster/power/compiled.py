"""The dispatch's state as arrays for the compiled step loop (``kernel.py``), and its outputs back.

``dispatch.run_dispatch`` builds the loop's plan, campus, generator fleets and battery once; this module hands
the same objects to the compiled loop. Importing it imports numba (~0.5 s), so ``dispatch`` imports it only
when the compiled loop runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from megacluster.power import kernel as k
from megacluster.power.battery import BatteryState
from megacluster.power.policy import PowerPolicy
from megacluster.power.state import Campus, Units, partload_factor

if TYPE_CHECKING:  # dispatch imports this module when the compiled loop runs
    from megacluster.power.dispatch import DispatchInputs, GenFleetInputs
    from megacluster.power.loop import Plan

_POLICY = {
    PowerPolicy.BEST: k.P_BEST,
    PowerPolicy.CAP_FIRST: k.P_CAP_FIRST,
    PowerPolicy.IDLE_FIRST: k.P_IDLE_FIRST,
}
_PARTLOAD = np.asarray(partload_factor, dtype=np.float64)


def _fleet_arrays(
    units: list[Units], generators: tuple[GenFleetInputs, ...], n: int
) -> tuple[np.ndarray, ...]:
    """Per-step limits, constants and starting state of the generator fleets, one row per fleet."""
    ng = len(units)
    unit_mw = np.array([g.unit_cap_mw for g in generators], dtype=np.float64).reshape(ng, n)
    avail = np.array([g.available_units for g in generators], dtype=np.int64).reshape(ng, n)
    heat = np.array([g.fuel_mmbtu_per_mwh for g in generators], dtype=np.float64).reshape(ng, n)
    fc = np.array(
        [
            [u.min_load_fraction, u.ramp_mw_per_step, u.nox_t_per_mmbtu, u.caps[1], u.heat_rate_at_min]
            for u in units
        ],
        dtype=np.float64,
    ).reshape(ng, k.N_FCONST)
    ic = np.array(
        [[u.startup_steps, u.track_nox, u.permit_from, u.caps[0], u.keep_when_in_force] for u in units],
        dtype=np.int64,
    ).reshape(ng, k.N_ICONST)
    fs = np.array(
        [[u.output_mw, u.cap_mw, u.min_mw, u.nox_year_t, u.nox_cap_t] for u in units], dtype=np.float64
    ).reshape(ng, k.N_FSTATE)
    ist = np.array(
        [
            [u.on, u.starts_year, u.blocked, u.month, u.in_force, u.starts_cap, u.keep_running, u.rolling]
            for u in units
        ],
        dtype=np.int64,
    ).reshape(ng, k.N_ISTATE)
    return unit_mw, avail, heat, fc, ic, fs, ist


def run_compiled(
    plan: Plan, campus: Campus, units: list[Units], battery: BatteryState, inp: DispatchInputs
) -> tuple[np.ndarray, ...]:
    """Run the compiled loop on the dispatch's plan and starting state (left unchanged) and the per-step
    arrays of ``inp``. Returns (flows, shape (6, n): served,
    grid, battery, state of charge, cap fraction, supply capacity; per fleet output, units on, fuel, starts;
    powered GPUs per GPU fleet). [MW, MWh, MMBtu, -]"""
    n = len(plan.demand_mw)
    series = np.array(
        [plan.demand_mw, plan.cool_max_mw, plan.ahead_mw, plan.grid_mw, plan.pue, plan.battery_power_mw],
        dtype=np.float64,
    ).reshape(6, n)
    settings = np.array(
        [
            plan.unit_peak_mw,
            plan.reserve_mw,
            plan.lead_h,
            plan.dt_h,
            campus.load_fraction,
            campus.cap_min_fraction,
            campus.exponent,
            campus.exposure_per_gpu,
        ],
        dtype=np.float64,
    )
    switches = np.array(
        [
            plan.battery_first,
            plan.charge_from_generators,
            campus.cap_enabled,
            campus.block_gpus,
            _POLICY[campus.policy],
        ],
        dtype=np.int64,
    )
    nf = len(inp.fleets)
    installed = np.array([f.installed for f in inp.fleets], dtype=np.int64).reshape(nf, n)
    unit_mw, avail, heat, fc, ic, fs, ist = _fleet_arrays(units, inp.generators, n)
    bat = np.array(
        [
            battery.soc_mwh,
            battery.soc_min_mwh,
            battery.soc_max_mwh,
            battery.reserve_mwh,
            battery.efficiency,
            battery.dt_h,
            battery.discharge_mw_per_mwh,
            battery.charge_mw_per_mwh,
        ],
        dtype=np.float64,
    )
    qcap = int(avail.max(initial=0)) + 1  # a fleet never has more units starting than available
    out: tuple[np.ndarray, ...] = k.run_steps(
        series,
        np.asarray(plan.years, dtype=np.int64),
        np.asarray(plan.months, dtype=np.int64),
        np.asarray(plan.order, dtype=np.int64),
        settings,
        switches,
        installed,
        np.asarray(campus.slope_w, dtype=np.float64),
        np.asarray(campus.fixed_w, dtype=np.float64),
        np.asarray(campus.idle_w, dtype=np.float64),
        unit_mw,
        avail,
        heat,
        fc,
        ic,
        fs,
        ist,
        bat,
        _PARTLOAD,
        qcap,
    )
    return out


def load() -> None:
    """Load the compiled loop now (from numba's cache, or compile it: ~1 s, or ~5 s after a change): done once
    before replicas are forked, so that every worker inherits it instead of loading it again. [-]"""
    from megacluster.power.config import Source
    from megacluster.power.dispatch import DispatchInputs, FleetDemand, LoopKernel, run_dispatch

    one = np.ones(1)
    run_dispatch(
        DispatchInputs(
            dt_s=300.0,
            grid_cap_mw=one,
            pue=one,
            it_max_mw=one,
            fleets=(FleetDemand(installed=np.ones(1, dtype=np.int64), slope_w=1.0, fixed_w=1.0),),
            load_fraction=1.0,
            cap_enabled=True,
            cap_min_fraction=0.5,
            block_gpus=1,
            battery=None,
            battery_power_mw=np.zeros(1),
            initial_soc_mwh=0.0,
            generators=(),
            merit_order=(Source.GRID, Source.GENERATORS, Source.BATTERY),
            charge_from_generators=False,
            year_index=np.zeros(1, dtype=np.int64),
        ),
        LoopKernel.COMPILED,
    )
