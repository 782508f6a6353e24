"""Phase 1 of a dispatch step (``phases.py`` lists all): commit generator units ahead of need.

:func:`commitment_need_mw` says how much generator capacity to start and to keep running, :func:`commit_units`
starts and stops one fleet's whole units (start-up delays, forced outages, the permit's yearly start-up cap),
and :func:`output_window` gives the running units' output range from their ramp, minimum stable load and the
NOx left under a permit. Plain Python floats: called once per step and fleet.
"""

from __future__ import annotations

import math

from megacluster.power.state import Units

ROUNDING_MW = 1e-9
"""A need or an excess below this is rounding noise (1 mW). [MW]"""

COUNT_SLACK = 1e-9
"""Slack when a need is rounded up to whole units or blocks, so an exact multiple is not rounded up. [-]"""


def commitment_need_mw(
    ahead_mw: float,
    want_mw: float,
    grid_mw: float,
    firm_battery_mw: float,
    charge_room_mw: float,
    unit_peak_mw: float,
    reserve_mw: float,
    refill: bool,
    charge_from_generators: bool,
) -> tuple[float, float]:
    """Generator capacity to start units for, and to keep units running for. [MW]

    ``ahead_mw`` is the residual demand the generators must cover at its highest over the next start-up and
    ramp; a battery ahead of them in the merit order covers ``firm_battery_mw`` of it. Running units also
    refill a battery that is not full (at most one unit's worth beyond the grid's spare ``grid_mw -
    want_mw``); units are started for that only when the battery is below its reserve (``refill``). Both add
    the spinning ``reserve_mw``.
    """
    charge_want = 0.0
    if charge_from_generators and charge_room_mw > 0.0:
        charge_want = charge_room_mw if charge_room_mw < unit_peak_mw else unit_peak_mw
        if grid_mw > want_mw:
            charge_want -= grid_mw - want_mw
        if charge_want < 0.0:
            charge_want = 0.0
    need_start = ahead_mw - firm_battery_mw + reserve_mw
    if refill:
        need_start += charge_want
    return need_start, ahead_mw + charge_want + reserve_mw


def commit_units(u: Units, t: int, need_start_mw: float, need_keep_mw: float) -> tuple[float, float, float]:
    """Commit one fleet at step ``t``: finished start-ups synchronise, forced outages trip running units, then
    units are started to cover ``need_start_mw`` (within the yearly start-up cap) or stopped down to what
    covers ``need_keep_mw``. Returns the two needs left for the next fleet and this fleet's available
    capacity. [MW]"""
    uc = u.unit_mw[t]
    av = 0 if u.blocked else u.available[t]
    queue = u.starting
    on = u.on
    while queue and queue[0] <= t:
        queue.popleft()
        on += 1
    if on > av:
        on = av
        if u.output_mw > av * uc:
            u.output_mw = av * uc
    while queue and on + len(queue) > av:
        queue.pop()
    n_start = n_keep = 0  # whole units that cover each need, at most those available
    if uc > 0.0:
        if need_start_mw > ROUNDING_MW:
            n_start = math.ceil(need_start_mw / uc - COUNT_SLACK)
            if n_start > av:
                n_start = av
        if need_keep_mw > ROUNDING_MW:
            n_keep = math.ceil(need_keep_mw / uc - COUNT_SLACK)
            if n_keep > av:
                n_keep = av
    need_start_mw -= n_start * uc
    need_keep_mw -= n_keep * uc
    total = on + len(queue)
    if total < n_start:
        add = n_start - total
        if u.starts_cap >= 0:
            add = max(0, min(add, u.starts_cap - u.starts_year))
        if add and t == 0:
            on += add  # the run starts with the units its first step needs already running
            u.output_mw = on * uc
        elif add:
            u.starts_by_step[t] = add
            u.starts_year += add
            if u.startup_steps == 0:
                on += add
            else:
                queue.extend([t + u.startup_steps] * add)
    elif total > n_keep and not u.keep_running:
        drop = total - n_keep
        while drop and queue:
            queue.pop()
            drop -= 1
        on -= drop
    u.on = on
    return need_start_mw, need_keep_mw, av * uc


def output_window(u: Units, t: int, dt_h: float) -> None:
    """The running units' output range at step ``t``: up to the last output plus a ramp (at most their
    capacity), down to their minimum stable load. Under an enforced NOx cap the NOx left this year bounds the
    output (burning at the minimum-load heat rate); below the minimum the fleet stops for the year. [MW]"""
    on = u.on
    if on == 0:
        u.output_mw = 0.0
        u.cap_mw = 0.0
        u.min_mw = 0.0
        return
    full = on * u.unit_mw[t]
    cap = u.output_mw + u.ramp_mw_per_step * on
    if cap > full:
        cap = full
    low = full * u.min_load_fraction
    if low > cap:
        low = cap
    if u.nox_cap_t >= 0.0:
        fuel_left = max(u.nox_cap_t - u.nox_year_t, 0.0) / max(u.nox_t_per_mmbtu, 1e-300)
        cap = min(cap, fuel_left / (u.heat_rate[t] * u.heat_rate_at_min * dt_h))
        if cap < low:
            u.on = 0
            u.starting.clear()
            u.blocked = True
            cap = low = 0.0
    u.cap_mw = cap
    u.min_mw = low
