"""The step-by-step dispatch: the only sequential part of the plant (battery state, unit commitment, permits).

Everything that does not depend on the previous step is precomputed as arrays by the orchestrator; the loop
works on plain Python floats. Per step:

1. units whose start-up finished come online; forced outages trip running units;
2. commitment, looking ahead over a start-up and ramp (the install schedule and the weather are known): start
   units when the sources ahead of the generators in the merit order cannot cover the residual demand (the
   battery counts only above its reserve, and only for what it can carry through a start-up), plus any
   spinning reserve; stop them only when the sources ahead, without the battery, suffice (never under a
   start-up cap); refill a battery that is below its reserve;
3. the facility power served is the demand limited by supply and by cooling; short of it the GPUs are capped
   (down to the deepest cap), then whole blocks are idled;
4. sources are dispatched in merit order, except that running units serve before the battery; running
   units are held at their minimum stable load (grid import, battery discharge, then battery charging absorb
   the excess, else units stop and the campus re-fits); spare grid and running generator output charge the
   battery.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from megacluster.power.battery import BatteryParams
from megacluster.power.config import PermitMode, Source
from megacluster.power.generators import partload_factor_scalar

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FleetDemand:
    """One GPU fleet's per-GPU power terms and installed count."""

    installed: IntArray
    """Installed GPUs per step. [-]"""
    slope_w: float
    """IT watts per GPU per unit of cap fraction. [W]"""
    fixed_w: float
    """IT watts per powered GPU independent of the cap. [W]"""


@dataclass(frozen=True)
class GenFleetInputs:
    """One generator fleet, precomputed per step."""

    unit_cap_mw: FloatArray
    """Derated capacity of one unit; 0 outside the fleet's dates. [MW]"""
    available_units: IntArray
    """Units neither on forced outage nor outside their dates. [-]"""
    fuel_mmbtu_per_mwh: FloatArray
    """Full-load heat rate at the ambient (HHV). [MMBtu/MWh]"""
    min_load_fraction: float
    """Minimum stable load / unit capacity. [-]"""
    ramp_mw_per_step: float
    """Up-ramp of one unit within a step. [MW]"""
    startup_steps: int
    """Steps from start command to synchronised output. [-]"""
    nox_t_per_mmbtu: float
    """NOx per fuel. [t/MMBtu]"""
    nox_cap_t: float | None = None
    """Yearly NOx cap under a permit. [t]"""
    starts_cap: int | None = None
    """Yearly start-ups under a permit. [-]"""
    permit_mode: PermitMode = PermitMode.RESPECT


@dataclass(frozen=True)
class DispatchInputs:
    """Everything the loop needs, per step."""

    dt_s: float
    grid_cap_mw: FloatArray
    pue: FloatArray
    it_max_mw: FloatArray
    """IT power the cooling plant can remove. [MW]"""
    fleets: tuple[FleetDemand, ...]
    load_fraction: float
    cap_enabled: bool
    cap_min_fraction: float
    block_gpus: int
    battery: BatteryParams | None
    battery_power_mw: FloatArray
    """Battery power limit per step (0 before it is available). [MW]"""
    initial_soc_mwh: float
    generators: tuple[GenFleetInputs, ...]
    merit_order: tuple[Source, ...]
    charge_from_generators: bool
    year_index: IntArray
    """Calendar year of each step (permit periods). [-]"""
    spinning_reserve_units: int = 0
    """Largest units kept running beyond the need (1 = N+1). [-]"""


@dataclass
class DispatchOutputs:
    """Per-step results of the loop."""

    served_mw: FloatArray
    demand_full_mw: FloatArray
    grid_mw: FloatArray
    battery_mw: FloatArray
    soc_mwh: FloatArray
    cap_fraction: FloatArray
    supply_capacity_mw: FloatArray
    gen_mw: FloatArray
    """Per fleet, shape (n_gen_fleets, n). [MW]"""
    units_on: IntArray
    """Per fleet. [-]"""
    fuel_mmbtu: FloatArray
    """Per fleet. [MMBtu]"""
    starts: IntArray
    """Per fleet, start-ups commanded at each step. [-]"""
    powered: IntArray
    """Per GPU fleet. [-]"""
    notes: list[str] = field(default_factory=list)


def _fit(
    target: float,
    t: int,
    pue_t: float,
    fleets: tuple[FleetDemand, ...],
    load: float,
    cap_on: bool,
    cap_min: float,
    block: int,
    powered_out: list[list[int]],
) -> tuple[float, float]:
    """Fit the campus into ``target`` facility MW: cap first, then idle whole blocks. Returns (MW, cap)."""
    slope_sum = 0.0
    fixed_sum = 0.0
    for f in fleets:
        n = float(f.installed[t])
        slope_sum += n * f.slope_w
        fixed_sum += n * f.fixed_w
    a = pue_t * slope_sum * 1e-6
    b = pue_t * fixed_sum * 1e-6
    for j, f in enumerate(fleets):
        powered_out[j][t] = int(f.installed[t])
    if cap_on and a > 0.0:
        c = (target - b) / a
        if c >= cap_min:
            return a * c + b, min(c, load)
    c_idle = cap_min if cap_on else load
    per_gpu = [pue_t * (f.slope_w * c_idle + f.fixed_w) * 1e-6 for f in fleets]
    full = sum(float(f.installed[t]) * q for f, q in zip(fleets, per_gpu, strict=True))
    phi = max(target, 0.0) / full if full > 0.0 else 0.0
    p_slope = 0.0
    p_fixed = 0.0
    for j, f in enumerate(fleets):
        n = int(f.installed[t])
        idle = n * (1.0 - phi)
        blocks = math.ceil(idle / block - 1e-9) if idle > 0 else 0
        p = max(n - blocks * block, 0)
        powered_out[j][t] = p
        p_slope += p * f.slope_w
        p_fixed += p * f.fixed_w
    a2 = pue_t * p_slope * 1e-6
    b2 = pue_t * p_fixed * 1e-6
    if a2 <= 0.0:
        for j in range(len(fleets)):
            powered_out[j][t] = 0
        return 0.0, c_idle
    c = min(load, (target - b2) / a2)
    if c < c_idle - 1e-12:  # rounding left nothing: should not happen, stay safe
        c = c_idle
    served = a2 * c + b2
    if served > target:  # numerical guard
        served = target
    return served, c


def run_dispatch(inp: DispatchInputs) -> DispatchOutputs:
    """Run the sequential dispatch over all steps. [MW, MWh, MMBtu]"""
    n = len(inp.grid_cap_mw)
    dt_h = inp.dt_s / 3600.0
    fleets = inp.fleets
    load = inp.load_fraction
    gens = inp.generators
    ng = len(gens)

    # demand terms per step (vectorised)
    slope = np.zeros(n)
    fixed = np.zeros(n)
    for f in fleets:
        slope += f.installed.astype(np.float64) * f.slope_w
        fixed += f.installed.astype(np.float64) * f.fixed_w
    demand_full = inp.pue * (slope * load + fixed) * 1e-6
    cool_max = inp.it_max_mw * inp.pue

    dfull = demand_full.tolist()
    coolmax = cool_max.tolist()
    gridcap = inp.grid_cap_mw.tolist()
    pue = inp.pue.tolist()
    bpow = inp.battery_power_mw.tolist()
    years = inp.year_index.tolist()
    ucap = [g.unit_cap_mw.tolist() for g in gens]
    avail = [g.available_units.tolist() for g in gens]
    hr = [g.fuel_mmbtu_per_mwh.tolist() for g in gens]

    # outputs
    served_o = [0.0] * n
    grid_o = [0.0] * n
    batt_o = [0.0] * n
    soc_o = [0.0] * n
    cap_o = [1.0] * n
    supply_o = [0.0] * n
    gen_o = [[0.0] * n for _ in range(ng)]
    on_o = [[0] * n for _ in range(ng)]
    fuel_o = [[0.0] * n for _ in range(ng)]
    starts_o = [[0] * n for _ in range(ng)]
    powered_o = [f.installed.tolist() for f in fleets]  # _fit overwrites the steps it curtails

    bp = inp.battery
    if bp is not None:
        eta = bp.one_way_efficiency
        smin, smax = bp.soc_min_mwh, bp.soc_max_mwh
        sres = min(max(bp.reserve_mwh, smin), smax)
        eta_per_h = eta / dt_h
        inv_eta_per_h = 1.0 / (eta * dt_h)
        soc = min(max(inp.initial_soc_mwh, smin), smax)
    else:
        eta, smin, smax, sres, soc = 1.0, 0.0, 0.0, 0.0, 0.0
        eta_per_h = inv_eta_per_h = 0.0

    merit = inp.merit_order
    gpos = merit.index(Source.GENERATORS)
    grid_before_gen = merit.index(Source.GRID) < gpos
    batt_before_gen = merit.index(Source.BATTERY) < gpos
    # the merit order decides what is called upon first (commitment); once units run, their output is used
    # before the battery's, so a battery ahead of the generators bridges start-ups instead of cycling
    order = list(merit)
    if batt_before_gen:
        order.remove(Source.BATTERY)
        order.insert(order.index(Source.GENERATORS) + 1, Source.BATTERY)
    default_order = order == [Source.GRID, Source.GENERATORS, Source.BATTERY]
    # the battery counts as firm only while it can carry the gap through a start-up and the ramp to full load
    lead_steps = 1
    for gf in gens:
        peak_cap = float(gf.unit_cap_mw.max(initial=0.0))
        ramp_steps = math.ceil(peak_cap / gf.ramp_mw_per_step) if gf.ramp_mw_per_step > 0 else 0
        lead_steps = max(lead_steps, gf.startup_steps + ramp_steps + 1)
    lead_h = lead_steps * dt_h
    unit_peak = max((float(g.unit_cap_mw.max(initial=0.0)) for g in gens), default=0.0)
    reserve = inp.spinning_reserve_units * unit_peak
    # residual demand the generators must cover, at its highest over the next start-up and ramp
    residual = np.minimum(demand_full, cool_max) - (inp.grid_cap_mw if grid_before_gen else 0.0)
    if n and lead_steps > 1:
        padded = np.concatenate((residual, np.full(lead_steps - 1, residual[-1])))
        residual = np.lib.stride_tricks.sliding_window_view(padded, lead_steps).max(axis=1)
    ahead = residual.tolist()

    g_ml = [g.min_load_fraction for g in gens]
    g_ramp = [g.ramp_mw_per_step for g in gens]
    g_sup = [g.startup_steps for g in gens]
    g_keep_all = [g.starts_cap is not None for g in gens]  # a start-up cap: never stop a unit to save it
    g_scap = [
        g.starts_cap if g.starts_cap is not None and g.permit_mode is PermitMode.RESPECT else -1 for g in gens
    ]
    g_noxcap = [
        g.nox_cap_t if g.nox_cap_t is not None and g.permit_mode is PermitMode.RESPECT else -1.0 for g in gens
    ]
    g_noxtrack = [g.nox_cap_t is not None for g in gens]
    g_noxrate = [g.nox_t_per_mmbtu for g in gens]
    g_plm_min = [partload_factor_scalar(g.min_load_fraction) for g in gens]
    plm_table = [partload_factor_scalar(i / 1000.0) for i in range(1001)]
    charge_gen = inp.charge_from_generators
    cap_now = [0.0] * ng
    min_now = [0.0] * ng
    on = [0] * ng
    starting: list[deque[int]] = [deque() for _ in range(ng)]
    prev = [0.0] * ng
    year = years[0] if n else 0
    nox_year = [0.0] * ng
    starts_year = [0] * ng
    blocked = [False] * ng

    for t in range(n):
        if years[t] != year:
            year = years[t]
            nox_year = [0.0] * ng
            starts_year = [0] * ng
            blocked = [False] * ng
        d = dfull[t]
        gc = gridcap[t]
        p_t = pue[t]
        dmax = coolmax[t]
        pb = bpow[t]
        if pb > 0.0:
            dis_max = (soc - smin) * eta_per_h
            if dis_max > pb:
                dis_max = pb
            elif dis_max < 0.0:
                dis_max = 0.0
            chg_max = (smax - soc) * inv_eta_per_h
            if chg_max > pb:
                chg_max = pb
            elif chg_max < 0.0:
                chg_max = 0.0
        else:
            dis_max = 0.0
            chg_max = 0.0

        # ---- generators: start-ups completing, outages, commitment
        gen_cap_total = 0.0
        gen_min_total = 0.0
        avail_cap = 0.0
        if ng:
            # commitment looks ahead over a start-up and ramp (demand and grid schedules are known in advance)
            resid = ahead[t]
            want = d if d < dmax else dmax
            firm_start = 0.0
            if batt_before_gen and pb > 0.0 and soc > sres:
                firm_start = (soc - sres) * eta / lead_h
                if firm_start > pb:
                    firm_start = pb
            # running units refill a battery that is not full (at most one unit's worth beyond spare grid);
            # a unit is started for it once the battery is below its reserve
            charge_want = 0.0
            if charge_gen and chg_max > 0.0:
                charge_want = chg_max if chg_max < unit_peak else unit_peak
                if gc > want:
                    charge_want -= gc - want
                if charge_want < 0.0:
                    charge_want = 0.0
            need_start = resid - firm_start + reserve
            if soc < sres:
                need_start += charge_want
            need_keep = resid + charge_want + reserve
            for g in range(ng):
                uc = ucap[g][t]
                av = 0 if blocked[g] else avail[g][t]
                q = starting[g]
                on_g = on[g]
                while q and q[0] <= t:
                    q.popleft()
                    on_g += 1
                if on_g > av:
                    on_g = av
                    if prev[g] > av * uc:
                        prev[g] = av * uc
                while q and on_g + len(q) > av:
                    q.pop()
                n_start = 0
                n_keep = 0
                if uc > 0.0:
                    if need_start > 1e-9:
                        n_start = math.ceil(need_start / uc - 1e-9)
                        if n_start > av:
                            n_start = av
                    if need_keep > 1e-9:
                        n_keep = math.ceil(need_keep / uc - 1e-9)
                        if n_keep > av:
                            n_keep = av
                need_start -= n_start * uc
                need_keep -= n_keep * uc
                total = on_g + len(q)
                if total < n_start:
                    add = n_start - total
                    if g_scap[g] >= 0:
                        add = max(0, min(add, g_scap[g] - starts_year[g]))
                    if add and t == 0:
                        on_g += add  # the run starts with the units its first step needs already running
                        prev[g] = on_g * uc
                    elif add:
                        starts_o[g][t] = add
                        starts_year[g] += add
                        if g_sup[g] == 0:
                            on_g += add
                        else:
                            for _ in range(add):
                                q.append(t + g_sup[g])
                elif total > n_keep and not g_keep_all[g]:
                    drop = total - n_keep
                    while drop and q:
                        q.pop()
                        drop -= 1
                    if drop:
                        on_g -= drop
                if on_g == 0:
                    prev[g] = 0.0
                    on[g] = 0
                    cap_now[g] = 0.0
                    min_now[g] = 0.0
                    avail_cap += av * uc
                    continue
                full = on_g * uc
                cn = prev[g] + g_ramp[g] * on_g
                if cn > full:
                    cn = full
                mn = full * g_ml[g]
                if mn > cn:
                    mn = cn
                if g_noxcap[g] >= 0.0:
                    # the NOx left this year bounds this step's output (worst heat rate: at minimum load)
                    fuel_left = max(g_noxcap[g] - nox_year[g], 0.0) / max(g_noxrate[g], 1e-300)
                    cn = min(cn, fuel_left / (hr[g][t] * g_plm_min[g] * dt_h))
                    if cn < mn:
                        on_g = 0
                        q.clear()
                        blocked[g] = True
                        cn = mn = 0.0
                on[g] = on_g
                cap_now[g] = cn
                min_now[g] = mn
                gen_cap_total += cn
                gen_min_total += mn
                avail_cap += av * uc

        # ---- what can be served
        supply = gc + dis_max + gen_cap_total
        supply_o[t] = gc + dis_max + avail_cap
        target = d
        if supply < target:
            target = supply
        if dmax < target:
            target = dmax
        if target >= d - 1e-12 * (d if d > 1.0 else 1.0):
            f_used = d
            cap = 1.0
        else:
            f_used, c = _fit(
                target, t, p_t, fleets, load, inp.cap_enabled, inp.cap_min_fraction, inp.block_gpus, powered_o
            )
            cap = c if c < load else 1.0

        # ---- merit-order dispatch
        rem = f_used
        grid_use = 0.0
        dis = 0.0
        g_tot = 0.0
        if default_order:  # grid, generators, battery: unrolled
            grid_use = rem if rem < gc else gc
            rem -= grid_use
            g_tot = rem if rem < gen_cap_total else gen_cap_total
            rem -= g_tot
            dis = rem if rem < dis_max else dis_max
            rem -= dis
        else:
            for src in order:
                if src is Source.GRID:
                    x = rem if rem < gc else gc
                    grid_use = x
                elif src is Source.BATTERY:
                    x = rem if rem < dis_max else dis_max
                    dis = x
                else:
                    x = rem if rem < gen_cap_total else gen_cap_total
                    g_tot = x
                rem -= x
        if rem > 0.0:  # rounding only
            f_used -= rem
        chg = 0.0

        # ---- minimum stable load
        guard = 0
        while g_tot < gen_min_total - 1e-9 and guard <= 2 * ng + 2:  # repeats only after a re-fit
            guard += 1
            need = gen_min_total - g_tot
            x = min(need, grid_use)
            grid_use -= x
            g_tot += x
            need -= x
            x = min(need, dis)
            dis -= x
            g_tot += x
            need -= x
            x = min(need, chg_max)
            chg += x
            g_tot += x
            need -= x
            if need > 1e-9:
                # stop units (last fleets first) until the minimum fits
                for g in range(ng - 1, -1, -1):
                    while on[g] > 0 and gen_min_total > g_tot + 1e-9:
                        uc = ucap[g][t]
                        on[g] -= 1
                        new_cap = min(on[g] * uc, cap_now[g])
                        new_min = min(on[g] * uc * gens[g].min_load_fraction, new_cap)
                        gen_cap_total += new_cap - cap_now[g]
                        gen_min_total += new_min - min_now[g]
                        cap_now[g] = new_cap
                        min_now[g] = new_min
                    if on[g] == 0:
                        prev[g] = 0.0
                if g_tot > gen_cap_total:
                    over = g_tot - gen_cap_total
                    g_tot = gen_cap_total
                    x = min(over, chg)
                    chg -= x
                    over -= x
                    x = min(over, gc - grid_use)
                    grid_use += x
                    over -= x
                    x = min(over, dis_max - dis)
                    dis += x
                    over -= x
                    if over > 1e-12:
                        f_used = grid_use + dis + g_tot - chg
                        f_used, c = _fit(
                            f_used,
                            t,
                            p_t,
                            fleets,
                            load,
                            inp.cap_enabled,
                            inp.cap_min_fraction,
                            inp.block_gpus,
                            powered_o,
                        )
                        cap = c if c < load else 1.0
                        # re-balance with the reduced demand: trim grid, then battery, then generators
                        surplus = grid_use + dis + g_tot - chg - f_used
                        x = min(surplus, grid_use)
                        grid_use -= x
                        surplus -= x
                        x = min(surplus, dis)
                        dis -= x
                        surplus -= x
                        g_tot -= surplus

        # ---- charge the battery from spare supply
        if pb > 0.0 and dis <= 0.0 and chg < chg_max:
            room = chg_max - chg
            x = gc - grid_use
            if x > room:
                x = room
            if x > 0.0:
                grid_use += x
                chg += x
                room -= x
            if charge_gen and room > 0.0 and gen_cap_total > g_tot:
                x = gen_cap_total - g_tot
                if x > room:
                    x = room
                g_tot += x
                chg += x

        # ---- split generator output over fleets, fuel and permits
        if ng:
            spare_total = gen_cap_total - gen_min_total
            extra = g_tot - gen_min_total
            for g in range(ng):
                if on[g] == 0:
                    prev[g] = 0.0
                    continue
                out = min_now[g]
                if spare_total > 1e-12 and extra > 0.0:
                    out += extra * (cap_now[g] - min_now[g]) / spare_total
                prev[g] = out
                gen_o[g][t] = out
                on_o[g][t] = on[g]
                if out > 0.0:
                    lf = out / (on[g] * ucap[g][t])
                    fuel = out * dt_h * hr[g][t] * plm_table[int(lf * 1000.0 + 0.5) if lf < 1.0 else 1000]
                    fuel_o[g][t] = fuel
                    if g_noxtrack[g]:
                        step_nox = fuel * g_noxrate[g]
                        nox_year[g] += step_nox
                        if g_noxcap[g] >= 0.0 and nox_year[g] + step_nox > g_noxcap[g]:
                            blocked[g] = True

        # ---- battery state
        if pb > 0.0:
            soc = soc + (chg * eta - dis / eta) * dt_h
            if soc < smin:
                soc = smin
            elif soc > smax:
                soc = smax
        served_o[t] = f_used
        grid_o[t] = grid_use
        batt_o[t] = dis - chg
        soc_o[t] = soc
        cap_o[t] = cap

    return DispatchOutputs(
        served_mw=np.array(served_o),
        demand_full_mw=demand_full,
        grid_mw=np.array(grid_o),
        battery_mw=np.array(batt_o),
        soc_mwh=np.array(soc_o),
        cap_fraction=np.array(cap_o),
        supply_capacity_mw=np.array(supply_o),
        gen_mw=np.array(gen_o, dtype=np.float64).reshape(ng, n),
        units_on=np.array(on_o, dtype=np.int64).reshape(ng, n),
        fuel_mmbtu=np.array(fuel_o, dtype=np.float64).reshape(ng, n),
        starts=np.array(starts_o, dtype=np.int64).reshape(ng, n),
        powered=np.array(powered_o, dtype=np.int64).reshape(len(fleets), n),
    )
