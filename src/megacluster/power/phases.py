"""The physical phases of one dispatch step, in the order ``dispatch.run_dispatch`` calls them.

1. commit units ahead of need (``commitment.py``: :func:`commitment_need_mw`, :func:`commit_units`,
   :func:`output_window`): start units when the sources ahead of the generators cannot cover the demand a
   start-up and ramp ahead, stop them when those sources suffice; the running units' output range follows
   from their ramp, minimum stable load and the NOx left under a permit;
2. fit the demand (:func:`fit_demand`): short of supply or cooling, cap the GPUs, then idle whole blocks;
3. merit order (:func:`merit_order`): each source serves what the ones before it left;
4. minimum load (:func:`hold_minimum_load`): running units never go below their minimum stable load: grid
   import, battery discharge and battery charging make room, else units stop and the campus re-fits;
5. charge (:func:`charge_from_spare`): spare grid and generator output charge the battery;
6. split output (:func:`split_output`): the generators' output over fleets, with fuel and NOx;
7. state of charge: :meth:`megacluster.power.battery.BatteryState.advance`.

The functions work on plain Python floats: the loop runs once per step (a year at one-minute steps is 525,600
runs). Each generator fleet's carried state and record live in a :class:`~megacluster.power.state.Units`, the
GPU fleets' in a :class:`~megacluster.power.state.Campus` (``state.py``).
"""

from __future__ import annotations

import math

from megacluster.power.commitment import (  # phase 1 lives in its own module; re-exported here
    COUNT_SLACK,
    ROUNDING_MW,
    commit_units,
    commitment_need_mw,
    output_window,
)
from megacluster.power.policy import target_cap_fraction
from megacluster.power.state import PARTLOAD_STEPS, Campus, Flows, Units, partload_factor
from megacluster.units import MW_PER_W

GRID, GENERATORS, BATTERY = 0, 1, 2
"""Indices of the sources in a merit order given as a tuple of them."""

DEFAULT_ORDER = (GRID, GENERATORS, BATTERY)


# --- 2. fit the demand -------------------------------------------------------------------------------------


def fit_demand(campus: Campus, t: int, target_mw: float, pue: float) -> tuple[float, float]:
    """Fit the campus into ``target_mw`` of facility power at step ``t``: cap every GPU while the cap that
    fits stays at or above the policy's target cap (``policy.py``: the deepest cap for 'cap_first', none for
    'idle_first', the cap of most throughput per MW for 'best'), else idle whole blocks, which then draw
    their idle power, and run the rest at the cap that fills the target (recorded in ``campus.powered``).
    Returns (facility power, cap fraction, 1 = uncapped). [MW, -]"""
    load = campus.load_fraction
    installed = [steps[t] for steps in campus.installed]
    slope_sum = fixed_sum = idle_sum = 0.0
    gpus = 0.0
    for n, slope, fixed, idle in zip(installed, campus.slope_w, campus.fixed_w, campus.idle_w, strict=True):
        gpus += float(n)
        slope_sum += float(n) * slope
        fixed_sum += float(n) * fixed
        idle_sum += float(n) * idle
    a = pue * slope_sum * MW_PER_W
    b = pue * fixed_sum * MW_PER_W
    z = pue * idle_sum * MW_PER_W
    for j, n in enumerate(installed):
        campus.powered[j][t] = n
    c_idle = load
    if campus.cap_enabled and a > 0.0:
        exposure = campus.exposure_per_gpu * gpus * max(target_mw - z, 0.0)  # the failures running GPUs bring
        c_idle = target_cap_fraction(
            campus.policy,
            a,
            b,
            z,
            load,
            campus.cap_min_fraction,
            campus.exponent,
            campus.cap_enabled,
            exposure,
        )
        c = (target_mw - b) / a
        if c >= load:  # room for the uncapped draw: the campus takes no more than that
            return a * load + b, 1.0
        if c >= c_idle:
            return a * c + b, c
    elif campus.cap_enabled:
        c_idle = min(campus.cap_min_fraction, load)
    run_all = sum(
        float(n) * pue * (s * c_idle + f) * MW_PER_W
        for n, s, f in zip(installed, campus.slope_w, campus.fixed_w, strict=True)
    )
    phi = (max(target_mw, 0.0) - z) / (run_all - z) if run_all > z else 0.0
    phi = min(max(phi, 0.0), 1.0)
    p_slope = p_fixed = p_idle = 0.0
    block = campus.block_gpus
    for j, n in enumerate(installed):
        idle = n * (1.0 - phi)
        blocks = math.ceil(idle / block - COUNT_SLACK) if idle > 0 else 0
        p = max(n - blocks * block, 0)
        campus.powered[j][t] = p
        p_slope += p * campus.slope_w[j]
        p_fixed += p * campus.fixed_w[j]
        p_idle += (n - p) * campus.idle_w[j]
    a2 = pue * p_slope * MW_PER_W
    b2 = pue * p_fixed * MW_PER_W
    z2 = pue * p_idle * MW_PER_W
    if a2 <= 0.0:
        for j in range(len(installed)):
            campus.powered[j][t] = 0
        return min(max(target_mw, 0.0), z), c_idle if c_idle < load else 1.0
    c = min(load, (target_mw - b2 - z2) / a2)
    if c < c_idle - 1e-12:  # rounding left nothing: should not happen, stay safe
        c = c_idle
    served = a2 * c + b2 + z2
    if served > target_mw:  # numerical guard
        served = target_mw
    return served, c if c < load else 1.0


# --- 3. merit order ----------------------------------------------------------------------------------------


def merit_order(
    served_mw: float, grid_mw: float, generators_mw: float, battery_mw: float, order: tuple[int, ...]
) -> tuple[float, float, float, float]:
    """Serve ``served_mw`` from the sources in ``order`` (indices GRID, GENERATORS, BATTERY), each up to its
    limit; ``DEFAULT_ORDER`` itself takes an unrolled path. Returns (grid, generators, battery discharge, left
    unserved). [MW]"""
    rem = served_mw
    if order is DEFAULT_ORDER:
        grid = rem if rem < grid_mw else grid_mw
        rem -= grid
        gen = rem if rem < generators_mw else generators_mw
        rem -= gen
        dis = rem if rem < battery_mw else battery_mw
        return grid, gen, dis, rem - dis
    limits = (grid_mw, generators_mw, battery_mw)
    used = [0.0, 0.0, 0.0]
    for source in order:
        x = rem if rem < limits[source] else limits[source]
        used[source] = x
        rem -= x
    return used[GRID], used[GENERATORS], used[BATTERY], rem


# --- 4. minimum load ---------------------------------------------------------------------------------------


def absorb_minimum(
    need_mw: float,
    grid_mw: float,
    discharge_mw: float,
    charge_mw: float,
    charge_limit_mw: float,
    generators_mw: float,
) -> tuple[float, float, float, float, float]:
    """Make room for ``need_mw`` more generator output: less grid import, then less discharge, then more
    charging (up to ``charge_limit_mw``). Returns (grid, discharge, charge, generators, need left). [MW]"""
    x = min(need_mw, grid_mw)
    grid_mw -= x
    generators_mw += x
    need_mw -= x
    x = min(need_mw, discharge_mw)
    discharge_mw -= x
    generators_mw += x
    need_mw -= x
    x = min(need_mw, charge_limit_mw - charge_mw)
    charge_mw += x
    generators_mw += x
    return grid_mw, discharge_mw, charge_mw, generators_mw, need_mw - x


def stop_units(
    units: list[Units], t: int, generators_mw: float, cap_total_mw: float, min_total_mw: float
) -> tuple[float, float]:
    """Stop units, last fleets first, until the running minimum fits under ``generators_mw``. Returns the new
    (capacity, minimum) of all fleets. [MW]"""
    for u in reversed(units):
        while u.on > 0 and min_total_mw > generators_mw + ROUNDING_MW:
            u.on -= 1
            running = u.on * u.unit_mw[t]
            new_cap = min(running, u.cap_mw)
            new_min = min(running * u.min_load_fraction, new_cap)
            cap_total_mw += new_cap - u.cap_mw
            min_total_mw += new_min - u.min_mw
            u.cap_mw = new_cap
            u.min_mw = new_min
        if u.on == 0:
            u.output_mw = 0.0
    return cap_total_mw, min_total_mw


def hold_minimum_load(
    units: list[Units],
    campus: Campus,
    t: int,
    pue: float,
    flows: Flows,
    limits: tuple[float, float, float],
    cap_total_mw: float,
    min_total_mw: float,
) -> tuple[Flows, float, float]:
    """Raise the generators to their running units' minimum stable load: the grid, the battery and charging
    make room (:func:`absorb_minimum`); short of that, units stop (:func:`stop_units`), the other sources take
    back what the stopped units no longer give, and when they cannot, the campus re-fits to the supply.

    ``limits`` are this step's grid capacity, discharge and charge limits. Returns the flows and the fleets'
    new (capacity, minimum). [MW]"""
    served, grid, gen, dis, chg, cap = flows
    grid_cap, dis_max, chg_max = limits
    guard = 0
    while gen < min_total_mw - ROUNDING_MW and guard <= 2 * len(units) + 2:  # repeats only after a re-fit
        guard += 1
        grid, dis, chg, gen, left = absorb_minimum(min_total_mw - gen, grid, dis, chg, chg_max, gen)
        if left <= ROUNDING_MW:
            continue
        cap_total_mw, min_total_mw = stop_units(units, t, gen, cap_total_mw, min_total_mw)
        if gen <= cap_total_mw:
            continue
        over = gen - cap_total_mw
        gen = cap_total_mw
        x = min(over, chg)
        chg -= x
        over -= x
        x = min(over, grid_cap - grid)
        grid += x
        over -= x
        x = min(over, dis_max - dis)
        dis += x
        over -= x
        if over > 1e-12:
            served, cap = fit_demand(campus, t, grid + dis + gen - chg, pue)
            # re-balance with the reduced demand: trim grid, then battery, then generators
            surplus = grid + dis + gen - chg - served
            x = min(surplus, grid)
            grid -= x
            surplus -= x
            x = min(surplus, dis)
            dis -= x
            surplus -= x
            gen -= surplus
    return Flows(served, grid, gen, dis, chg, cap), cap_total_mw, min_total_mw


# --- 5. charge ---------------------------------------------------------------------------------------------


def charge_from_spare(
    room_mw: float, grid_spare_mw: float, generators_spare_mw: float, from_generators: bool
) -> tuple[float, float]:
    """Charge the battery's ``room_mw`` from spare grid capacity, then (if allowed) from the running units'
    spare output. Returns (from the grid, from the generators). [MW]"""
    from_grid = 0.0
    x = grid_spare_mw if grid_spare_mw < room_mw else room_mw
    if x > 0.0:
        from_grid = x
        room_mw -= x
    if from_generators and room_mw > 0.0 and generators_spare_mw > 0.0:
        return from_grid, generators_spare_mw if generators_spare_mw < room_mw else room_mw
    return from_grid, 0.0


# --- 6. split output ---------------------------------------------------------------------------------------


def split_output(
    units: list[Units], t: int, generators_mw: float, cap_total_mw: float, min_total_mw: float, dt_h: float
) -> None:
    """Share ``generators_mw`` over the fleets at step ``t``: each runs at its minimum plus a share of the
    rest in proportion to its headroom; record output, units, fuel (full-load heat rate x part-load factor)
    and the year's NOx, which stops a fleet for the year once the next step would pass an enforced cap.
    [MW, MMBtu]"""
    spare_total = cap_total_mw - min_total_mw
    extra = generators_mw - min_total_mw
    for u in units:
        on = u.on
        if on == 0:
            u.output_mw = 0.0
            continue
        out = u.min_mw
        if spare_total > 1e-12 and extra > 0.0:
            out += extra * (u.cap_mw - u.min_mw) / spare_total
        u.output_mw = out
        u.output_by_step[t] = out
        u.on_by_step[t] = on
        if out > 0.0:
            lf = out / (on * u.unit_mw[t])
            steps = int(lf * PARTLOAD_STEPS + 0.5) if lf < 1.0 else PARTLOAD_STEPS
            fuel = out * dt_h * u.heat_rate[t] * partload_factor[steps]
            u.fuel_by_step[t] = fuel
            if u.track_nox:
                step_nox = fuel * u.nox_t_per_mmbtu
                u.nox_year_t += step_nox
                if u.nox_cap_t >= 0.0 and u.nox_year_t + step_nox > u.nox_cap_t:
                    u.blocked = True


__all__ = [
    "BATTERY",
    "COUNT_SLACK",
    "DEFAULT_ORDER",
    "GENERATORS",
    "GRID",
    "ROUNDING_MW",
    "absorb_minimum",
    "charge_from_spare",
    "commit_units",
    "commitment_need_mw",
    "fit_demand",
    "hold_minimum_load",
    "merit_order",
    "output_window",
    "split_output",
    "stop_units",
]
