# mypy: disable-error-code="no-untyped-def"
# (numba compiles these functions for the argument types it is given: no annotations)
"""The dispatch's step loop compiled with numba: the same phases as ``loop.run_steps`` (which calls the
plain-Python functions of ``phases.py`` and ``commitment.py``), on arrays instead of objects.

Why a second copy of the loop: the plant is simulated once per Monte Carlo replica (its generators' forced
outages are random), and the interpreted loop costs ~4 us a step (86,400 steps for the flagship's 300 days at
5-minute steps), a third of a replica. This kernel is the same arithmetic in the same order, so its outputs
are the Python loop's to the last bit: ``tests/power/test_dispatch_kernel.py`` runs both on random campuses,
plants, batteries and permits and requires exact equality, and ``benchmarks/bench_plant.py`` times
them side by side. The Python loop stays the readable reference (each phase unit-tested) and the fallback.

State of generator fleet ``g`` lives in rows of small arrays (columns named below); its start-up queue is a
ring buffer (``qbuf``: synchronisation steps, oldest at ``qhead``), and the permit's rolling window keeps the
NOx and start-ups of the last eleven whole months in ring buffers of ``WINDOW_SLOTS``. Python's float
operations are IEEE doubles evaluated left to right; every expression below keeps the reference's order.
"""

# long module because: one compiled loop and its phase helpers must sit in one module for numba to compile
# and cache them together; each helper mirrors one function of phases.py / commitment.py / state.py.

from __future__ import annotations

import math

import numpy as np
from numba import njit

from megacluster.borrowed import borrowed
from megacluster.power.commitment import COUNT_SLACK, ROUNDING_MW
from megacluster.power.state import MONTHS_PER_YEAR, ROLLING_MONTHS
from megacluster.units import MW_PER_W

WINDOW_SLOTS = 12
"""Ring-buffer slots of a rolling permit window's months (it keeps at most eleven). [-]"""
ROLLING_KEEP = ROLLING_MONTHS - 1
"""Whole months a rolling window keeps besides the current one. [-]"""

# policy codes (power.policy.PowerPolicy)
P_BEST, P_CAP_FIRST, P_IDLE_FIRST = 0, 1, 2

# float state columns of a generator fleet
F_OUT, F_CAP, F_MIN, F_NOX_YEAR, F_NOX_CAP = 0, 1, 2, 3, 4
N_FSTATE = 5
# int state columns
I_ON, I_STARTS_YEAR, I_BLOCKED, I_MONTH, I_IN_FORCE, I_STARTS_CAP, I_KEEP, I_ROLLING = range(8)
N_ISTATE = 8
# float constants of a fleet
C_MIN_LF, C_RAMP, C_NOX_RATE, C_CAPS_NOX, C_HR_MIN = range(5)
N_FCONST = 5
# int constants of a fleet
K_STARTUP, K_TRACK_NOX, K_PERMIT_FROM, K_CAPS_STARTS, K_KEEP_WHEN = range(5)
N_ICONST = 5
# battery values
B_SOC, B_MIN, B_MAX, B_RESERVE, B_EFF, B_DT_H, B_DIS_PER, B_CHG_PER = range(8)
N_BATTERY = 8
# scalar settings of the loop
S_UNIT_PEAK, S_RESERVE, S_LEAD_H, S_DT_H, S_LOAD, S_CAP_MIN, S_EXPONENT, S_EXPOSURE = range(8)
N_SETTINGS = 8
# integer switches of the loop
W_BATTERY_FIRST, W_CHARGE_GEN, W_CAP_ENABLED, W_BLOCK, W_POLICY = range(5)
N_SWITCHES = 5


# --- permit periods (state.Units.new_period) --------------------------------------------------------------
@njit(cache=True)
def _new_period(g, t, month, fs, ist, fc, ic, nox_m, st_m, mhead, mlen):
    if ist[g, I_IN_FORCE] == 0:
        if t >= ic[g, K_PERMIT_FROM]:
            mlen[g] = 0
            fs[g, F_NOX_YEAR] = 0.0
            ist[g, I_STARTS_YEAR] = 0
            ist[g, I_BLOCKED] = 0
            ist[g, I_STARTS_CAP] = ic[g, K_CAPS_STARTS]
            fs[g, F_NOX_CAP] = fc[g, C_CAPS_NOX]
            ist[g, I_KEEP] = ic[g, K_KEEP_WHEN]
            ist[g, I_IN_FORCE] = 1
        ist[g, I_MONTH] = month
        return
    if month == ist[g, I_MONTH]:
        return
    if ist[g, I_ROLLING] != 0:
        nox_sum = 0.0
        st_sum = 0
        for i in range(mlen[g]):
            j = (mhead[g] + i) % WINDOW_SLOTS
            nox_sum += nox_m[g, j]
            st_sum += st_m[g, j]
        j = (mhead[g] + mlen[g]) % WINDOW_SLOTS
        nox_m[g, j] = fs[g, F_NOX_YEAR] - nox_sum
        st_m[g, j] = ist[g, I_STARTS_YEAR] - st_sum
        mlen[g] += 1
        if mlen[g] > ROLLING_KEEP:
            fs[g, F_NOX_YEAR] -= nox_m[g, mhead[g]]
            ist[g, I_STARTS_YEAR] -= st_m[g, mhead[g]]
            mhead[g] = (mhead[g] + 1) % WINDOW_SLOTS
            mlen[g] -= 1
        ist[g, I_BLOCKED] = 0
    elif month // MONTHS_PER_YEAR != ist[g, I_MONTH] // MONTHS_PER_YEAR:
        fs[g, F_NOX_YEAR] = 0.0
        ist[g, I_STARTS_YEAR] = 0
        ist[g, I_BLOCKED] = 0
    ist[g, I_MONTH] = month


# --- 1. commit units (commitment.commit_units, output_window) ---------------------------------------------
@njit(cache=True, inline="always")  # inlined in the step loop
def _commit(g, t, need_start, need_keep, unit_mw, avail, fs, ist, ic, qbuf, qhead, qlen, starts_o):
    qcap = qbuf.shape[1]
    uc = unit_mw[g, t]
    av = 0 if ist[g, I_BLOCKED] != 0 else avail[g, t]
    on = ist[g, I_ON]
    while qlen[g] > 0 and qbuf[g, qhead[g]] <= t:
        qhead[g] = (qhead[g] + 1) % qcap
        qlen[g] -= 1
        on += 1
    if on > av:
        on = av
        if fs[g, F_OUT] > av * uc:
            fs[g, F_OUT] = av * uc
    while qlen[g] > 0 and on + qlen[g] > av:
        qlen[g] -= 1
    n_start = 0
    n_keep = 0
    if uc > 0.0:
        if need_start > ROUNDING_MW:
            n_start = math.ceil(need_start / uc - COUNT_SLACK)
            if n_start > av:
                n_start = av
        if need_keep > ROUNDING_MW:
            n_keep = math.ceil(need_keep / uc - COUNT_SLACK)
            if n_keep > av:
                n_keep = av
    need_start -= n_start * uc
    need_keep -= n_keep * uc
    total = on + qlen[g]
    if total < n_start:
        add = n_start - total
        cap = ist[g, I_STARTS_CAP]
        if cap >= 0:
            add = max(0, min(add, cap - ist[g, I_STARTS_YEAR]))
        if add != 0 and t == 0:
            on += add
            fs[g, F_OUT] = on * uc
        elif add != 0:
            starts_o[g, t] = add
            ist[g, I_STARTS_YEAR] += add
            if ic[g, K_STARTUP] == 0:
                on += add
            else:
                for _ in range(add):
                    qbuf[g, (qhead[g] + qlen[g]) % qcap] = t + ic[g, K_STARTUP]
                    qlen[g] += 1
    elif total > n_keep and ist[g, I_KEEP] == 0:
        drop = total - n_keep
        while drop != 0 and qlen[g] > 0:
            qlen[g] -= 1
            drop -= 1
        on -= drop
    ist[g, I_ON] = on
    return need_start, need_keep, av * uc


@njit(cache=True, inline="always")  # inlined in the step loop
def _window(g, t, dt_h, unit_mw, heat_rate, fs, ist, fc, qlen):
    on = ist[g, I_ON]
    if on == 0:
        fs[g, F_OUT] = 0.0
        fs[g, F_CAP] = 0.0
        fs[g, F_MIN] = 0.0
        return
    full = on * unit_mw[g, t]
    cap = fs[g, F_OUT] + fc[g, C_RAMP] * on
    if cap > full:
        cap = full
    low = full * fc[g, C_MIN_LF]
    if low > cap:
        low = cap
    if fs[g, F_NOX_CAP] >= 0.0:
        fuel_left = max(fs[g, F_NOX_CAP] - fs[g, F_NOX_YEAR], 0.0) / max(fc[g, C_NOX_RATE], 1e-300)
        cap = min(cap, fuel_left / (heat_rate[g, t] * fc[g, C_HR_MIN] * dt_h))
        if cap < low:
            ist[g, I_ON] = 0
            qlen[g] = 0
            ist[g, I_BLOCKED] = 1
            cap = 0.0
            low = 0.0
    fs[g, F_CAP] = cap
    fs[g, F_MIN] = low


# --- 2. fit the demand (phases.fit_demand, policy.target_cap_fraction) ------------------------------------
@njit(cache=True)
def _target_cap(policy, a, b, z, load, cap_min, exponent, exposure):
    if policy == P_IDLE_FIRST:
        return load
    if policy == P_CAP_FIRST:
        return min(cap_min, load)
    lo = min(cap_min, load)
    gap = b - z + max(exposure, 0.0)
    if exponent >= 1.0 or a <= 0.0:
        return load if gap >= 0.0 or a <= 0.0 else lo
    c = exponent * gap / ((1.0 - exponent) * a)
    return min(max(c, lo), load)


@njit(cache=True, inline="always")  # inlined in the step loop
def _fit(t, target_mw, pue, installed, slope_w, fixed_w, idle_w, settings, switches, powered):
    nf = installed.shape[0]
    load = settings[S_LOAD]
    cap_enabled = switches[W_CAP_ENABLED] != 0
    slope_sum = 0.0
    fixed_sum = 0.0
    idle_sum = 0.0
    gpus = 0.0
    for j in range(nf):
        n = float(installed[j, t])
        gpus += n
        slope_sum += n * slope_w[j]
        fixed_sum += n * fixed_w[j]
        idle_sum += n * idle_w[j]
    a = pue * slope_sum * MW_PER_W
    b = pue * fixed_sum * MW_PER_W
    z = pue * idle_sum * MW_PER_W
    for j in range(nf):
        powered[j, t] = installed[j, t]
    c_idle = load
    if cap_enabled and a > 0.0:
        exposure = settings[S_EXPOSURE] * gpus * max(target_mw - z, 0.0)
        c_idle = _target_cap(
            switches[W_POLICY], a, b, z, load, settings[S_CAP_MIN], settings[S_EXPONENT], exposure
        )
        c = (target_mw - b) / a
        if c >= load:
            return a * load + b, 1.0
        if c >= c_idle:
            return a * c + b, c
    elif cap_enabled:
        c_idle = min(settings[S_CAP_MIN], load)
    run_all = 0.0
    for j in range(nf):
        run_all += float(installed[j, t]) * pue * (slope_w[j] * c_idle + fixed_w[j]) * MW_PER_W
    phi = (max(target_mw, 0.0) - z) / (run_all - z) if run_all > z else 0.0
    phi = min(max(phi, 0.0), 1.0)
    p_slope = 0.0
    p_fixed = 0.0
    p_idle = 0.0
    block = switches[W_BLOCK]
    for j in range(nf):
        n = installed[j, t]
        idle = n * (1.0 - phi)
        blocks = math.ceil(idle / block - COUNT_SLACK) if idle > 0 else 0
        p = max(n - blocks * block, 0)
        powered[j, t] = p
        p_slope += p * slope_w[j]
        p_fixed += p * fixed_w[j]
        p_idle += (n - p) * idle_w[j]
    a2 = pue * p_slope * MW_PER_W
    b2 = pue * p_fixed * MW_PER_W
    z2 = pue * p_idle * MW_PER_W
    if a2 <= 0.0:
        for j in range(nf):
            powered[j, t] = 0
        return min(max(target_mw, 0.0), z), (c_idle if c_idle < load else 1.0)
    c = min(load, (target_mw - b2 - z2) / a2)
    if c < c_idle - 1e-12:
        c = c_idle
    served = a2 * c + b2 + z2
    if served > target_mw:
        served = target_mw
    return served, (c if c < load else 1.0)


# --- 3. merit order, 4. minimum load, 5. charge (phases.py) -----------------------------------------------
@njit(cache=True)
def _merit(served, grid_mw, gen_mw, bat_mw, order):
    rem = served
    grid = 0.0
    gen = 0.0
    dis = 0.0
    for i in range(3):
        source = order[i]
        limit = grid_mw if source == 0 else (gen_mw if source == 1 else bat_mw)
        x = rem if rem < limit else limit
        if source == 0:
            grid = x
        elif source == 1:
            gen = x
        else:
            dis = x
        rem -= x
    return grid, gen, dis, rem


@njit(cache=True)
def _stop_units(t, gen, cap_total, min_total, unit_mw, fs, ist, fc):
    for g in range(fs.shape[0] - 1, -1, -1):
        while ist[g, I_ON] > 0 and min_total > gen + ROUNDING_MW:
            ist[g, I_ON] -= 1
            running = ist[g, I_ON] * unit_mw[g, t]
            new_cap = min(running, fs[g, F_CAP])
            new_min = min(running * fc[g, C_MIN_LF], new_cap)
            cap_total += new_cap - fs[g, F_CAP]
            min_total += new_min - fs[g, F_MIN]
            fs[g, F_CAP] = new_cap
            fs[g, F_MIN] = new_min
        if ist[g, I_ON] == 0:
            fs[g, F_OUT] = 0.0
    return cap_total, min_total


@njit(cache=True)
def _hold_minimum(t, pue, flows, limits, cap_total, min_total, unit_mw, fs, ist, fc, campus_args):
    served, grid, gen, dis, chg, cap = flows
    grid_cap, dis_max, chg_max = limits
    installed, slope_w, fixed_w, idle_w, settings, switches, powered = campus_args
    guard = 0
    ng = fs.shape[0]
    while gen < min_total - ROUNDING_MW and guard <= 2 * ng + 2:
        guard += 1
        need = min_total - gen
        x = min(need, grid)
        grid -= x
        gen += x
        need -= x
        x = min(need, dis)
        dis -= x
        gen += x
        need -= x
        x = min(need, chg_max - chg)
        chg += x
        gen += x
        left = need - x
        if left <= ROUNDING_MW:
            continue
        cap_total, min_total = _stop_units(t, gen, cap_total, min_total, unit_mw, fs, ist, fc)
        if gen <= cap_total:
            continue
        over = gen - cap_total
        gen = cap_total
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
            served, cap = _fit(
                t,
                grid + dis + gen - chg,
                pue,
                installed,
                slope_w,
                fixed_w,
                idle_w,
                settings,
                switches,
                powered,
            )
            surplus = grid + dis + gen - chg - served
            x = min(surplus, grid)
            grid -= x
            surplus -= x
            x = min(surplus, dis)
            dis -= x
            surplus -= x
            gen -= surplus
    return (served, grid, gen, dis, chg, cap), cap_total, min_total


# --- 6. split output (phases.split_output) ----------------------------------------------------------------
@njit(cache=True)
def _split(
    t, gen, cap_total, min_total, dt_h, unit_mw, heat_rate, fs, ist, fc, ic, partload, out_o, on_o, fuel_o
):
    steps_max = partload.size - 1
    spare_total = cap_total - min_total
    extra = gen - min_total
    for g in range(fs.shape[0]):
        on = ist[g, I_ON]
        if on == 0:
            fs[g, F_OUT] = 0.0
            continue
        out = fs[g, F_MIN]
        if spare_total > 1e-12 and extra > 0.0:
            out += extra * (fs[g, F_CAP] - fs[g, F_MIN]) / spare_total
        fs[g, F_OUT] = out
        out_o[g, t] = out
        on_o[g, t] = on
        if out > 0.0:
            lf = out / (on * unit_mw[g, t])
            steps = int(lf * steps_max + 0.5) if lf < 1.0 else steps_max
            fuel = out * dt_h * heat_rate[g, t] * partload[steps]
            fuel_o[g, t] = fuel
            if ic[g, K_TRACK_NOX] != 0:
                step_nox = fuel * fc[g, C_NOX_RATE]
                fs[g, F_NOX_YEAR] += step_nox
                if fs[g, F_NOX_CAP] >= 0.0 and fs[g, F_NOX_YEAR] + step_nox > fs[g, F_NOX_CAP]:
                    ist[g, I_BLOCKED] = 1


# --- battery (battery.BatteryState) -----------------------------------------------------------------------
@njit(cache=True)
def _battery_limits(bat, power_mw, firm_hours):
    if power_mw <= 0.0:
        return 0.0, 0.0, 0.0
    soc = bat[B_SOC]
    dis = (soc - bat[B_MIN]) * bat[B_DIS_PER]
    if dis > power_mw:
        dis = power_mw
    elif dis < 0.0:
        dis = 0.0
    chg = (bat[B_MAX] - soc) * bat[B_CHG_PER]
    if chg > power_mw:
        chg = power_mw
    elif chg < 0.0:
        chg = 0.0
    firm = 0.0
    if soc > bat[B_RESERVE]:
        firm = (soc - bat[B_RESERVE]) * bat[B_EFF] / firm_hours
        if firm > power_mw:
            firm = power_mw
    return dis, chg, firm


@njit(cache=True)
def _battery_advance(bat, dis, chg):
    soc = bat[B_SOC] + (chg * bat[B_EFF] - dis / bat[B_EFF]) * bat[B_DT_H]
    if soc < bat[B_MIN]:
        soc = bat[B_MIN]
    elif soc > bat[B_MAX]:
        soc = bat[B_MAX]
    bat[B_SOC] = soc
    return soc


# --- the loop (loop.run_steps) -----------------------------------------------------------------------
@njit(cache=True)
def _need(ahead, want, grid_mw, firm, charge_room, unit_peak, reserve, refill, charge_gen):
    charge_want = 0.0
    if charge_gen and charge_room > 0.0:
        charge_want = charge_room if charge_room < unit_peak else unit_peak
        if grid_mw > want:
            charge_want -= grid_mw - want
        if charge_want < 0.0:
            charge_want = 0.0
    need_start = ahead - firm + reserve
    if refill:
        need_start += charge_want
    return need_start, ahead + charge_want + reserve


@njit(cache=True)
def _charge(room, grid_spare, gen_spare, charge_gen):
    """``phases.charge_from_spare``: (from the grid, from the generators). [MW]"""
    from_grid = 0.0
    x = grid_spare if grid_spare < room else room
    if x > 0.0:
        from_grid = x
        room -= x
    from_gen = 0.0
    if charge_gen and room > 0.0 and gen_spare > 0.0:
        from_gen = gen_spare if gen_spare < room else room
    return from_grid, from_gen


@njit(cache=True, inline="always")  # inlined in the step loop
def _commit_all(
    t, need_start, need_keep, dt_h, unit_mw, avail, heat_rate, fc, ic, fs, ist, qbuf, qhead, qlen, starts_o
):  # fmt: skip
    """Phase 1 over every generator fleet in order: (capacity, minimum, available capacity). [MW]"""
    cap_total = 0.0
    min_total = 0.0
    avail_mw = 0.0
    for g in range(fs.shape[0]):
        need_start, need_keep, a = _commit(
            g, t, need_start, need_keep, unit_mw, avail, fs, ist, ic, qbuf, qhead, qlen, starts_o
        )
        _window(g, t, dt_h, unit_mw, heat_rate, fs, ist, fc, qlen)
        cap_total += fs[g, F_CAP]
        min_total += fs[g, F_MIN]
        avail_mw += a
    return cap_total, min_total, avail_mw


@njit(cache=True)
def _outputs(n, ng, installed, qcap):
    """The loop's records and its ring buffers, zeroed. [-]"""
    records = (np.zeros((6, n)), np.zeros((ng, n)), np.zeros((ng, n), dtype=np.int64), np.zeros((ng, n)),
               np.zeros((ng, n), dtype=np.int64), installed.copy())  # fmt: skip
    queue = (np.zeros((ng, max(qcap, 1)), dtype=np.int64), np.zeros(ng, dtype=np.int64),
             np.zeros(ng, dtype=np.int64))  # fmt: skip
    window = (np.zeros((ng, WINDOW_SLOTS)), np.zeros((ng, WINDOW_SLOTS), dtype=np.int64),
              np.zeros(ng, dtype=np.int64), np.zeros(ng, dtype=np.int64))  # fmt: skip
    return records, queue, window


@njit(cache=True)
def run_steps(
    series, years, months, order, settings, switches, installed, slope_w, fixed_w, idle_w,
    unit_mw, avail, heat_rate, fc, ic, fs, ist, bat, partload, qcap,
):  # fmt: skip
    """The per-step loop on arrays; ``series`` rows are demand, cooling limit, residual ahead, grid
    capacity, PUE and battery power per step. Returns (flows per step: served, grid, battery, state of
    charge, cap fraction, supply capacity; per fleet: output, units on, fuel, starts; powered GPUs).
    [MW, MWh, MMBtu, -]"""
    records, queue, window = _outputs(series.shape[1], fs.shape[0], installed, qcap)
    _borrowing(
        series, years, months, order, settings, switches, installed, slope_w, fixed_w, idle_w, unit_mw, avail,
        heat_rate, fc, ic, fs, ist, bat, partload, records, queue, window,
    )  # fmt: skip
    return records


@njit(cache=True)
def _borrowing(
    series, years, months, order, settings, switches, installed, slope_w, fixed_w, idle_w,
    unit_mw, avail, heat_rate, fc, ic, fs, ist, bat, partload, records, queue, window,
):  # fmt: skip
    """The loop on borrowed views of its arrays (``borrowed.py``: no reference counting at each step); the
    caller owns the arrays, and keeps them alive until this returns. [-]"""
    b = borrowed
    _loop(
        b(series), b(years), b(months), b(order), b(settings), b(switches), b(installed), b(slope_w),
        b(fixed_w), b(idle_w), b(unit_mw), b(avail), b(heat_rate), b(fc), b(ic), b(fs), b(ist), b(bat),
        b(partload), b(records[0]), b(records[1]), b(records[2]), b(records[3]), b(records[4]), b(records[5]),
        b(queue[0]), b(queue[1]), b(queue[2]), b(window[0]), b(window[1]), b(window[2]), b(window[3]),
    )  # fmt: skip


@njit(cache=True)
def _loop(
    series, years, months, order, settings, switches, installed, slope_w, fixed_w, idle_w,
    unit_mw, avail, heat_rate, fc, ic, fs, ist, bat, partload,
    flows_o, out_o, on_o, fuel_o, starts_o, powered, qbuf, qhead, qlen, nox_m, st_m, mhead, mlen,
):  # fmt: skip
    """``run_steps``' loop, filling its records (``flows_o`` .. ``powered``). [MW, MWh, MMBtu, -]"""
    n, ng = series.shape[1], fs.shape[0]
    dfull, coolmax, ahead, gridcap = series[0], series[1], series[2], series[3]
    pue, bpow = series[4], series[5]
    campus_args = (installed, slope_w, fixed_w, idle_w, settings, switches, powered)
    lead_h, dt_h = settings[S_LEAD_H], settings[S_DT_H]
    charge_gen = switches[W_CHARGE_GEN] != 0
    year = years[0] if n else 0
    for t in range(n):
        if years[t] != year:
            year = years[t]
            for g in range(ng):
                _new_period(g, t, months[t], fs, ist, fc, ic, nox_m, st_m, mhead, mlen)
        d, gc, dmax, pb = dfull[t], gridcap[t], coolmax[t], bpow[t]
        dis_max, chg_max, firm = _battery_limits(bat, pb, lead_h)
        cap_total, min_total, avail_mw = 0.0, 0.0, 0.0
        if ng:
            want = d if d < dmax else dmax
            refill = bat[B_SOC] < bat[B_RESERVE]
            firm = firm if switches[W_BATTERY_FIRST] != 0 else 0.0
            peak, reserve = settings[S_UNIT_PEAK], settings[S_RESERVE]
            need_start, need_keep = _need(
                ahead[t], want, gc, firm, chg_max, peak, reserve, refill, charge_gen
            )
            cap_total, min_total, avail_mw = _commit_all(
                t, need_start, need_keep, dt_h, unit_mw, avail, heat_rate, fc, ic, fs, ist, qbuf, qhead, qlen,
                starts_o,
            )  # fmt: skip
        flows_o[5, t] = gc + dis_max + avail_mw
        target = gc + dis_max + cap_total
        target = d if d < target else target
        target = dmax if dmax < target else target
        if target >= d - 1e-12 * (d if d > 1.0 else 1.0):
            served, cap = d, 1.0
        else:
            served, cap = _fit(
                t, target, pue[t], installed, slope_w, fixed_w, idle_w, settings, switches, powered
            )  # fmt: skip
        grid, gen, dis, rem = _merit(served, gc, cap_total, dis_max, order)
        served = served - rem if rem > 0.0 else served
        chg = 0.0
        if gen < min_total - ROUNDING_MW:
            flows, cap_total, min_total = _hold_minimum(
                t, pue[t], (served, grid, gen, dis, chg, cap), (gc, dis_max, chg_max), cap_total, min_total,
                unit_mw, fs, ist, fc, campus_args,
            )  # fmt: skip
            served, grid, gen, dis, chg, cap = flows
        if pb > 0.0 and dis <= 0.0 and chg < chg_max:
            from_grid, from_gen = _charge(chg_max - chg, gc - grid, cap_total - gen, charge_gen)
            grid += from_grid
            chg += from_grid
            gen += from_gen
            chg += from_gen
        if ng:
            _split(
                t, gen, cap_total, min_total, dt_h, unit_mw, heat_rate, fs, ist, fc, ic, partload,
                out_o, on_o, fuel_o,
            )  # fmt: skip
        flows_o[3, t] = _battery_advance(bat, dis, chg) if pb > 0.0 else bat[B_SOC]
        flows_o[0, t], flows_o[1, t], flows_o[2, t], flows_o[4, t] = served, grid, dis - chg, cap
