"""Each physical phase of a dispatch step, against values worked by hand."""

from __future__ import annotations

from typing import Any

import pytest

from megacluster.power.phases import (
    BATTERY,
    DEFAULT_ORDER,
    GENERATORS,
    GRID,
    absorb_minimum,
    charge_from_spare,
    commit_units,
    commitment_need_mw,
    fit_demand,
    hold_minimum_load,
    merit_order,
    output_window,
    split_output,
    stop_units,
)
from megacluster.power.state import Campus, Flows, Units


def _units(steps: int = 4, unit_mw: float = 10.0, available: int = 3, **kw: Any) -> Units:
    """A fleet of ``available`` 10 MW units, 50 % minimum load, a 10 MW ramp per step, no start-up delay."""
    args: dict[str, Any] = {
        "unit_mw": [unit_mw] * steps,
        "available": [available] * steps,
        "heat_rate": [10.0] * steps,
        "min_load_fraction": 0.5,
        "ramp_mw_per_step": 10.0,
        "startup_steps": 0,
    }
    args.update(kw)
    return Units(**args)


def _campus(installed: int = 1000, cap: bool = True) -> Campus:
    """1,000 GPUs of 700 W at the cap slope and 500 W fixed: 1.2 MW uncapped at PUE 1."""
    return Campus(
        installed=[[installed] * 3],
        slope_w=[700.0],
        fixed_w=[500.0],
        load_fraction=1.0,
        cap_enabled=cap,
        cap_min_fraction=0.6,
        block_gpus=8,
    )


# --- 1. commit units ahead of need -------------------------------------------------------------------------


def test_commitment_need() -> None:
    # 100 MW ahead, 20 MW firm from the battery, 16.5 MW spinning reserve; the battery has 30 MW of room, of
    # which one unit's worth (16.5 MW) is wanted from running units: start for 100 - 20 + 16.5, keep for
    # 100 + 16.5 + 16.5
    args = {"unit_peak_mw": 16.5, "reserve_mw": 16.5, "charge_from_generators": True}
    assert commitment_need_mw(100.0, 90.0, 50.0, 20.0, 30.0, refill=False, **args) == (96.5, 133.0)
    # below its reserve the battery's refill counts for starting too
    assert commitment_need_mw(100.0, 90.0, 50.0, 20.0, 30.0, refill=True, **args) == (113.0, 133.0)
    # spare grid (50 MW for a 40 MW want) charges 10 MW of it: 6.5 MW left for the units
    assert commitment_need_mw(100.0, 40.0, 50.0, 0.0, 30.0, refill=False, **args)[1] == 123.0
    # spare grid beyond the unit's worth: nothing for the units
    assert commitment_need_mw(100.0, 20.0, 50.0, 0.0, 30.0, refill=False, **args)[1] == 116.5
    args["charge_from_generators"] = False
    assert commitment_need_mw(100.0, 90.0, 50.0, 20.0, 30.0, refill=True, **args) == (96.5, 116.5)


def test_the_first_step_starts_with_its_units_running() -> None:
    u = _units(startup_steps=2)
    # 25 MW of 10 MW units: 3, running at once at the first step, no start-up counted
    left_start, left_keep, avail = commit_units(u, 0, 25.0, 25.0)
    assert u.on == 3 and u.output_mw == 30.0 and u.starts_by_step[0] == 0
    assert (left_start, left_keep, avail) == (-5.0, -5.0, 30.0)


def test_started_units_synchronise_after_their_start_up() -> None:
    u = _units(startup_steps=2)
    commit_units(u, 1, 25.0, 25.0)
    assert u.on == 0 and list(u.starting) == [3, 3, 3] and u.starts_by_step[1] == 3 and u.starts_year == 3
    commit_units(u, 2, 25.0, 25.0)
    assert u.on == 0 and u.starts_by_step[2] == 0  # still starting: not started twice
    commit_units(u, 3, 25.0, 25.0)
    assert u.on == 3 and not u.starting


def test_exact_multiples_are_not_rounded_up() -> None:
    u = _units()
    commit_units(u, 1, 20.0, 20.0)
    assert u.on == 2


def test_forced_outages_trip_running_units() -> None:
    u = _units(available=3, on=3, output_mw=30.0)
    u.available[1] = 1
    commit_units(u, 1, 30.0, 30.0)
    assert u.on == 1 and u.output_mw == 10.0


def test_start_up_cap_limits_starts_and_keeps_units_running() -> None:
    u = _units(starts_cap=2, keep_running=True)
    commit_units(u, 1, 30.0, 30.0)
    assert u.on == 2 and u.starts_year == 2
    commit_units(u, 2, 30.0, 30.0)
    assert u.on == 2  # the cap is spent
    commit_units(u, 3, 5.0, 5.0)
    assert u.on == 2  # never stopped under a start-up cap


def test_units_stop_down_to_the_need_to_keep() -> None:
    u = _units(on=3, output_mw=30.0)
    commit_units(u, 1, 0.0, 15.0)
    assert u.on == 2


def test_the_need_left_passes_to_the_next_fleet() -> None:
    first = _units(available=2)
    left_start, left_keep, _ = commit_units(first, 1, 25.0, 25.0)
    assert first.on == 2 and left_start == 5.0 and left_keep == 5.0
    second = _units(unit_mw=2.5)
    commit_units(second, 1, left_start, left_keep)
    assert second.on == 2


def test_output_window_follows_ramp_and_minimum_load() -> None:
    # two 10 MW units that gave 5 MW: up to 5 + 2 x 4 = 13 MW, down to half of 20 = 10 MW
    u = _units(on=2, output_mw=5.0, ramp_mw_per_step=4.0)
    output_window(u, 1, 0.5)
    assert (u.cap_mw, u.min_mw) == (13.0, 10.0)
    # a slow ramp from standstill: 2 x 2 = 4 MW, and the minimum cannot exceed it
    u = _units(on=2, output_mw=0.0, ramp_mw_per_step=2.0)
    output_window(u, 1, 0.5)
    assert (u.cap_mw, u.min_mw) == (4.0, 4.0)
    # nothing running: nothing to give
    u = _units(on=0, output_mw=7.0)
    output_window(u, 1, 0.5)
    assert (u.cap_mw, u.min_mw, u.output_mw) == (0.0, 0.0, 0.0)


def test_output_window_under_a_nox_cap() -> None:
    # 1 t/yr cap, 0.01 t NOx/MMBtu: 100 MMBtu a year. At minimum load the heat rate is 10 / 0.776 MMBtu/MWh,
    # so a half-hour step may burn what 100 / (10 / 0.776 x 0.5) = 15.52 MW would
    u = _units(on=2, output_mw=20.0, nox_cap_t=1.0, nox_t_per_mmbtu=0.01, track_nox=True)
    output_window(u, 1, 0.5)
    assert u.cap_mw == pytest.approx(100.0 / (10.0 / 0.776 * 0.5)) and u.min_mw == 10.0
    # with 0.9 t spent, 10 MMBtu are left: 1.55 MW, below the 10 MW minimum: the fleet stops for the year
    u = _units(on=2, output_mw=20.0, nox_cap_t=1.0, nox_t_per_mmbtu=0.01, track_nox=True, nox_year_t=0.9)
    output_window(u, 1, 0.5)
    assert u.on == 0 and u.blocked and (u.cap_mw, u.min_mw) == (0.0, 0.0)
    u.new_year()
    assert not u.blocked and u.nox_year_t == 0.0 and u.starts_year == 0


# --- 2. fit the demand -------------------------------------------------------------------------------------


def test_fit_caps_first() -> None:
    # 1.0 MW for 1,000 GPUs of 700 W x cap + 500 W: cap = (1.0 - 0.5) / 0.7 = 0.714
    c = _campus()
    served, cap = fit_demand(c, 1, 1.0, 1.0)
    assert served == pytest.approx(1.0) and cap == pytest.approx(0.5 / 0.7)
    assert c.powered[0][1] == 1000
    # at a PUE of 1.25 the same cap fits 1.25 MW
    assert fit_demand(c, 1, 1.25, 1.25)[1] == pytest.approx(0.5 / 0.7)


def test_fit_idles_whole_blocks_below_the_deepest_cap() -> None:
    # 0.5 MW: at the 60 % cap a GPU draws 0.92 kW, so 0.5 / 0.92 = 54.3 % may run; 456.5 GPUs go idle, rounded
    # up to 58 blocks of 8 = 464; 536 GPUs run at the cap (0.5 - 0.268) / 0.3752 = 0.618
    c = _campus()
    served, cap = fit_demand(c, 2, 0.5, 1.0)
    assert c.powered[0][2] == 536
    assert cap == pytest.approx((0.5 - 0.268) / 0.3752) and served == pytest.approx(0.5)


def test_fit_without_capping_idles_blocks_at_full_power() -> None:
    # 1.0 MW uncapped: 1.0 / 1.2 = 83.3 % may run; 166.7 idle -> 21 blocks = 168; 832 GPUs draw 0.9984 MW
    c = _campus(cap=False)
    served, cap = fit_demand(c, 0, 1.0, 1.0)
    assert c.powered[0][0] == 832 and cap == 1.0 and served == pytest.approx(0.9984)


def test_fit_into_nothing_idles_everything() -> None:
    c = _campus()
    assert fit_demand(c, 0, 0.0, 1.0) == (0.0, 0.6)
    assert c.powered[0][0] == 0


# --- 3. merit order ----------------------------------------------------------------------------------------


def test_merit_order() -> None:
    # grid 150, generators 200, battery 100 MW
    assert merit_order(300.0, 150.0, 200.0, 100.0, DEFAULT_ORDER) == (150.0, 150.0, 0.0, 0.0)
    assert merit_order(400.0, 150.0, 200.0, 100.0, DEFAULT_ORDER) == (150.0, 200.0, 50.0, 0.0)
    assert merit_order(500.0, 150.0, 200.0, 100.0, DEFAULT_ORDER) == (150.0, 200.0, 100.0, 50.0)
    # battery, then grid, then generators
    assert merit_order(300.0, 150.0, 200.0, 100.0, (BATTERY, GRID, GENERATORS)) == (150.0, 50.0, 100.0, 0.0)
    # the general path gives what the unrolled default does
    order = tuple([GRID, GENERATORS, BATTERY])
    assert order is not DEFAULT_ORDER
    assert merit_order(400.0, 150.0, 200.0, 100.0, order) == (150.0, 200.0, 50.0, 0.0)


# --- 4. minimum load ---------------------------------------------------------------------------------------


def test_absorb_minimum() -> None:
    # 10 MW more for the units: 4 from the grid, 3 from the battery, 3 into charging
    assert absorb_minimum(10.0, 4.0, 3.0, 0.0, 5.0, 2.0) == (0.0, 0.0, 3.0, 12.0, 0.0)
    # 20 MW: charging takes its 5 MW limit, 8 MW cannot be absorbed
    assert absorb_minimum(20.0, 4.0, 3.0, 0.0, 5.0, 2.0) == (0.0, 0.0, 5.0, 14.0, 8.0)


def test_stop_units_last_fleets_first() -> None:
    a = _units(on=2, cap_mw=20.0, min_mw=10.0)
    b = _units(unit_mw=5.0, on=2, cap_mw=10.0, min_mw=5.0, output_mw=10.0)
    # 8 MW of output cannot hold a 15 MW minimum: both of B's units stop (12.5, then 10), then one of A's
    cap, low = stop_units([a, b], 1, 8.0, 30.0, 15.0)
    assert (cap, low) == (10.0, 5.0)
    assert a.on == 1 and b.on == 0 and b.output_mw == 0.0


def test_minimum_load_absorbed_by_the_grid() -> None:
    # one 10 MW unit at its 5 MW minimum: the grid steps back 5 MW
    u = _units(on=1, cap_mw=10.0, min_mw=5.0)
    flows, cap, low = hold_minimum_load(
        [u], _campus(), 1, 1.0, Flows(8.0, 8.0, 0.0, 0.0, 0.0, 1.0), (10.0, 0.0, 2.0), 10.0, 5.0
    )
    assert flows == Flows(8.0, 3.0, 5.0, 0.0, 0.0, 1.0) and (cap, low) == (10.0, 5.0)


def test_minimum_load_that_cannot_be_held_stops_the_unit() -> None:
    # 3 MW of demand, all on the grid; the 5 MW minimum cannot be absorbed (3 from the grid, 1 into charging),
    # so the unit stops and the grid serves it all again
    u = _units(on=1, cap_mw=10.0, min_mw=5.0)
    flows, cap, low = hold_minimum_load(
        [u], _campus(), 1, 1.0, Flows(3.0, 3.0, 0.0, 0.0, 0.0, 1.0), (10.0, 0.0, 1.0), 10.0, 5.0
    )
    assert flows == Flows(3.0, 3.0, 0.0, 0.0, 0.0, 1.0) and (cap, low) == (0.0, 0.0) and u.on == 0


def test_minimum_load_without_other_sources_refits_the_campus() -> None:
    # the units gave 0.6 MW under their 5 MW minimum and nothing else can serve: the unit stops, the campus
    # is fitted into nothing
    u = _units(on=1, cap_mw=10.0, min_mw=5.0)
    c = _campus()
    flows, _, _ = hold_minimum_load(
        [u], c, 1, 1.0, Flows(0.6, 0.0, 0.6, 0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 10.0, 5.0
    )
    assert flows == Flows(0.0, 0.0, 0.0, 0.0, 0.0, 0.6) and c.powered[0][1] == 0


# --- 5. charge ---------------------------------------------------------------------------------------------


def test_charge_from_spare() -> None:
    # 10 MW of room: 4 MW of spare grid, the rest from the units' 20 MW spare
    assert charge_from_spare(10.0, 4.0, 20.0, True) == (4.0, 6.0)
    assert charge_from_spare(10.0, 4.0, 20.0, False) == (4.0, 0.0)
    assert charge_from_spare(10.0, 15.0, 20.0, True) == (10.0, 0.0)
    assert charge_from_spare(10.0, -1.0, 20.0, True) == (0.0, 10.0)


# --- 6. split output ---------------------------------------------------------------------------------------


def test_split_output_by_headroom_with_fuel_and_nox() -> None:
    # A: two units, 10-20 MW; B: one unit, 5-8 MW. 21.5 MW = minimums 15 + 6.5 shared 10:3 by headroom
    a = _units(on=2, cap_mw=20.0, min_mw=10.0)
    b = _units(
        on=1, cap_mw=8.0, min_mw=5.0, nox_cap_t=0.5, nox_t_per_mmbtu=0.01, track_nox=True, nox_year_t=0.45
    )
    split_output([a, b], 1, 21.5, 28.0, 15.0, 0.5)
    assert a.output_by_step[1] == pytest.approx(15.0) and b.output_by_step[1] == pytest.approx(6.5)
    assert a.on_by_step[1] == 2 and b.on_by_step[1] == 1 and a.output_mw == pytest.approx(15.0)
    # A at 75 % load: relative efficiency 0.905 + 0.5 x (0.946 - 0.905) = 0.9255 (TransiEnt, interpolated)
    assert a.fuel_by_step[1] == pytest.approx(15.0 * 0.5 * 10.0 / 0.9255)
    # B at 65 %: 0.8755; 37.1 MMBtu -> 0.371 t NOx on top of 0.45 t: past the 0.5 t cap, stopped for the year
    fuel_b = 6.5 * 0.5 * 10.0 / 0.8755
    assert b.fuel_by_step[1] == pytest.approx(fuel_b)
    assert b.nox_year_t == pytest.approx(0.45 + fuel_b * 0.01) and b.blocked
    assert a.nox_year_t == 0.0 and not a.blocked


def test_split_output_at_minimum_and_when_stopped() -> None:
    a = _units(on=2, cap_mw=20.0, min_mw=10.0)
    idle = _units(on=0, output_mw=3.0)
    split_output([a, idle], 1, 10.0, 20.0, 10.0, 0.5)
    assert a.output_by_step[1] == 10.0 and idle.output_mw == 0.0 and idle.output_by_step[1] == 0.0


# --- edges of each phase -----------------------------------------------------------------------------------


def test_commitment_for_a_small_charge() -> None:
    # 0.5 MW of room, less than a unit: all of it is wanted from running units (and from starting ones
    # when the battery is below its reserve)
    args = {"unit_peak_mw": 16.5, "reserve_mw": 0.0, "charge_from_generators": True}
    assert commitment_need_mw(10.0, 10.0, 0.0, 0.0, 0.5, refill=True, **args) == (10.5, 10.5)
    assert commitment_need_mw(10.0, 10.0, 0.0, 0.0, 10.0, refill=True, **args) == (20.0, 20.0)
    # 0.3 MW of spare grid leaves 0.2 MW for the units
    assert commitment_need_mw(10.0, 10.0, 10.3, 0.0, 0.5, refill=True, **args) == pytest.approx((10.2, 10.2))
    # a full battery wants nothing
    assert commitment_need_mw(10.0, 10.0, 0.0, 0.0, 0.0, refill=True, **args) == (10.0, 10.0)


def _two_fleet_campus(cap: bool = True, load: float = 1.0) -> Campus:
    """Fleet A: 1,000 GPUs of 700 W slope and 500 W fixed; fleet B: 500 GPUs of 300 W and 100 W."""
    return Campus(
        installed=[[1000, 1000], [500, 0]],
        slope_w=[700.0, 300.0],
        fixed_w=[500.0, 100.0],
        load_fraction=load,
        cap_enabled=cap,
        cap_min_fraction=0.6,
        block_gpus=8,
    )


def test_fit_caps_every_fleet_alike() -> None:
    # together: 0.85 MW of slope and 0.55 MW fixed at PUE 1; 1.2 MW fits a cap of (1.2 - 0.55) / 0.85
    c = _two_fleet_campus()
    served, cap = fit_demand(c, 0, 1.2, 1.0)
    assert served == pytest.approx(1.2) and cap == pytest.approx(0.65 / 0.85)
    assert (c.powered[0][0], c.powered[1][0]) == (1000, 500)


def test_fit_idles_blocks_in_every_fleet() -> None:
    # at the 60 % cap A's GPUs draw 0.92 kW and B's 0.28 kW: 1.06 MW in all. 0.53 MW is half: half of each
    # fleet idles, rounded up to blocks: A 500 -> 63 blocks (504), B 250 -> 32 blocks (256); the 496 + 244
    # GPUs left run at the cap that fills 0.53 MW
    c = _two_fleet_campus()
    served, cap = fit_demand(c, 0, 0.53, 1.0)
    assert (c.powered[0][0], c.powered[1][0]) == (496, 244)
    slope, fixed = (496 * 700 + 244 * 300) * 1e-6, (496 * 500 + 244 * 100) * 1e-6
    assert cap == pytest.approx((0.53 - fixed) / slope) and served == pytest.approx(0.53)


def test_fit_rounds_idle_gpus_up_to_whole_blocks() -> None:
    # half a GPU's worth short is a whole block of 8; exactly 16 GPUs' worth short is 2 blocks, not 3
    c = _campus()
    fit_demand(c, 0, 999.5 * 0.92e-3, 1.0)
    assert c.powered[0][0] == 992
    fit_demand(c, 1, 984 * 0.92e-3, 1.0)
    assert c.powered[0][1] == 984


def test_fit_a_lightly_loaded_campus() -> None:
    # GPUs drawing 80 % of TDP: 1,000 x (560 + 500) W = 1.06 MW uncapped
    c = _campus()
    c.load_fraction = 0.8
    # exactly the uncapped draw: not capped
    served, cap = fit_demand(c, 0, 1.06, 1.0)
    assert served == pytest.approx(1.06) and cap == 1.0
    # without capping, 1.0 MW idles 57 GPUs (8 blocks = 64) and the rest run uncapped
    c.cap_enabled = False
    served, cap = fit_demand(c, 1, 1.0, 1.0)
    assert c.powered[0][1] == 936 and cap == 1.0 and served == pytest.approx(936 * 1.06e-3)
    assert fit_demand(c, 2, 0.0, 1.0) == (0.0, 1.0) and c.powered[0][2] == 0


def test_fit_given_more_than_needed_draws_the_uncapped_demand() -> None:
    # (the capping path used to return the whole target as served power, above the campus's demand)
    c = _campus(cap=False)
    assert fit_demand(c, 0, 5.0, 1.0) == (pytest.approx(1.2), 1.0) and c.powered[0][0] == 1000
    c = _campus()
    assert fit_demand(c, 0, 5.0, 1.0) == (pytest.approx(1.2), 1.0) and c.powered[0][0] == 1000


def test_fit_a_campus_without_gpus() -> None:
    c = _campus(installed=0)
    assert fit_demand(c, 0, 1.0, 1.0) == (0.0, 0.6) and c.powered[0][0] == 0


def test_absorb_into_a_battery_already_charging() -> None:
    # 2 MW charging of a 5 MW limit: 3 MW more can be absorbed
    assert absorb_minimum(10.0, 0.0, 0.0, 2.0, 5.0, 1.0) == (0.0, 0.0, 5.0, 4.0, 7.0)


def test_stop_units_keeps_a_minimum_that_fits_exactly() -> None:
    a = _units(on=2, cap_mw=20.0, min_mw=10.0)
    assert stop_units([a], 1, 10.0, 20.0, 10.0) == (20.0, 10.0) and a.on == 2


def _fleets_a_b() -> list[Units]:
    """A: one 0.2 MW unit (0.1 MW minimum); B: one 10 MW unit (5 MW minimum), stopped first."""
    a = _units(unit_mw=0.2, on=1, cap_mw=0.2, min_mw=0.1)
    b = _units(on=1, cap_mw=10.0, min_mw=5.0)
    return [a, b]


def test_stopped_units_give_back_to_the_battery_and_grid() -> None:
    # one 10 MW unit gave 0.3 MW of a 1.2 MW campus, the grid 0.5 (of 1.0 MW), the battery 0.4 (of 1.5 MW).
    # Its 5 MW minimum cannot be held: grid, discharge and 0.5 MW of charging absorb 1.4 MW, then the unit
    # stops; its 1.7 MW less the 0.5 MW of charging goes back to the grid (up to 1.0) and the battery (0.2)
    u = _units(on=1, cap_mw=10.0, min_mw=5.0)
    flows, cap, low = hold_minimum_load(
        [u], _campus(), 1, 1.0, Flows(1.2, 0.5, 0.3, 0.4, 0.0, 1.0), (1.0, 1.5, 0.5), 10.0, 5.0
    )
    assert flows == pytest.approx(Flows(1.2, 1.0, 0.0, 0.2, 0.0, 1.0)) and (cap, low) == (0.0, 0.0)
    assert u.on == 0


def test_stopped_units_leave_a_shortfall_the_campus_refits_to() -> None:
    # A and B give 0.3 MW, the grid its full 0.5 MW and the battery its full 0.4 MW. B's minimum cannot be
    # held and it stops; A keeps 0.2 MW: 1.1 MW of supply. Uncapped, 1.1 MW idles 11 blocks: 912 GPUs draw
    # 1.0944 MW, and the 5.6 kW left over comes off the grid
    c = _campus(cap=False)
    flows, cap, low = hold_minimum_load(
        _fleets_a_b(), c, 1, 1.0, Flows(1.2, 0.5, 0.3, 0.4, 0.0, 1.0), (0.5, 0.4, 0.1), 10.2, 5.1
    )
    assert flows == pytest.approx(Flows(1.0944, 0.4944, 0.2, 0.4, 0.0, 1.0))
    assert (cap, low) == pytest.approx((0.2, 0.1))
    assert c.powered[0][1] == 912
    # with capping the 1.1 MW is met exactly at a cap of 0.6 / 0.7
    flows, _, _ = hold_minimum_load(
        _fleets_a_b(), _campus(), 1, 1.0, Flows(1.2, 0.5, 0.3, 0.4, 0.0, 1.0), (0.5, 0.4, 0.1), 10.2, 5.1
    )
    assert flows == pytest.approx(Flows(1.1, 0.5, 0.2, 0.4, 0.0, 0.6 / 0.7))


def test_a_refit_trims_the_battery_then_the_generators() -> None:
    # no grid: the battery's 0.9 MW and A's 0.2 MW, less the 5.6 kW the blocks leave over
    flows, _, _ = hold_minimum_load(
        _fleets_a_b(),
        _campus(cap=False),
        1,
        1.0,
        Flows(1.2, 0.0, 0.3, 0.9, 0.0, 1.0),
        (0.0, 0.9, 0.1),
        10.2,
        5.1,
    )
    assert flows == pytest.approx(Flows(1.0944, 0.0, 0.2, 0.8944, 0.0, 1.0))
    # nothing but A: 0.2 MW idles 105 blocks; 160 GPUs draw 0.192 MW, which A gives (above its minimum)
    c = _campus(cap=False)
    flows, _, _ = hold_minimum_load(
        _fleets_a_b(), c, 1, 1.0, Flows(1.2, 0.0, 1.2, 0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 10.2, 5.1
    )
    assert flows == pytest.approx(Flows(0.192, 0.0, 0.192, 0.0, 0.0, 1.0)) and c.powered[0][1] == 160


def test_charge_from_small_spares() -> None:
    assert charge_from_spare(10.0, 0.5, 0.0, True) == (0.5, 0.0)
    assert charge_from_spare(0.5, 0.0, 2.0, True) == (0.0, 0.5)
    assert charge_from_spare(10.0, 0.0, 0.5, True) == (0.0, 0.5)
    assert charge_from_spare(10.0, 3.0, 0.5, True) == (3.0, 0.5)


def test_a_fleet_stopped_for_the_year_offers_nothing() -> None:
    u = _units(blocked=True)
    assert commit_units(u, 1, 30.0, 30.0) == (30.0, 30.0, 0.0) and u.on == 0 and not u.starting


def test_a_fleet_outside_its_dates_offers_nothing() -> None:
    u = _units(unit_mw=0.0)
    assert commit_units(u, 1, 30.0, 30.0) == (30.0, 30.0, 0.0) and u.on == 0


def test_each_started_unit_synchronises_once() -> None:
    u = _units(available=5, startup_steps=1)
    commit_units(u, 1, 20.0, 20.0)
    commit_units(u, 2, 20.0, 20.0)
    assert u.on == 2 and not u.starting


def test_an_outage_of_fewer_units_keeps_the_output_below_them() -> None:
    # three units gave 5 MW; two trip: the one left can still give the 5 MW
    u = _units(on=3, output_mw=5.0)
    u.available[1] = 1
    commit_units(u, 1, 5.0, 5.0)
    assert u.on == 1 and u.output_mw == 5.0


def test_an_outage_cancels_start_ups_beyond_the_units_available() -> None:
    # three units starting (2 steps); at step 2 only one is available: two start-ups are called off
    u = _units(startup_steps=2)
    commit_units(u, 1, 30.0, 30.0)
    u.available[2] = 1
    commit_units(u, 2, 30.0, 30.0)
    assert list(u.starting) == [3] and u.on == 0
    commit_units(u, 3, 10.0, 10.0)
    assert u.on == 1


def test_units_stop_down_to_an_exact_multiple() -> None:
    u = _units(on=3, output_mw=30.0)
    commit_units(u, 1, 0.0, 20.0)
    assert u.on == 2


def test_start_ups_are_called_off_before_running_units_stop() -> None:
    # one unit running and two starting; the need falls to one unit: both start-ups are called off
    u = _units(on=1, startup_steps=2)
    u.starting.extend([5, 5])
    commit_units(u, 1, 10.0, 10.0)
    assert u.on == 1 and not u.starting


def test_start_up_caps_count_every_start_of_the_year() -> None:
    u = _units(starts_cap=3, keep_running=True)
    commit_units(u, 1, 10.0, 10.0)
    commit_units(u, 2, 20.0, 20.0)
    assert u.on == 2 and u.starts_year == 2 and u.starts_by_step[1:3] == [1, 1]
    commit_units(u, 3, 30.0, 30.0)
    assert u.on == 3 and u.starts_year == 3
    # a permit of no start-ups allows none
    none = _units(starts_cap=0, keep_running=True)
    commit_units(none, 1, 30.0, 30.0)
    assert none.on == 0 and none.starts_year == 0


def test_output_window_under_a_small_or_spent_nox_cap() -> None:
    # a cap of nothing stops the fleet at once
    u = _units(on=2, output_mw=20.0, nox_cap_t=0.0, nox_t_per_mmbtu=0.01, track_nox=True)
    output_window(u, 1, 0.5)
    assert u.blocked and u.on == 0
    # half a tonne: 50 MMBtu a year, 50 / (10 / 0.776 x 0.5) = 7.76 MW, below the 10 MW minimum: stopped
    u = _units(on=2, output_mw=20.0, nox_cap_t=0.5, nox_t_per_mmbtu=0.01, track_nox=True)
    output_window(u, 1, 0.5)
    assert u.blocked and u.on == 0


def test_fit_exactly_at_a_light_load_is_uncapped() -> None:
    # 1,000 GPUs drawing half their 1 kW TDP (0.5 MW) plus 250 W each: exactly 0.5 MW fits them uncapped
    c = Campus(
        installed=[[1000]],
        slope_w=[1000.0],
        fixed_w=[250.0],
        load_fraction=0.5,
        cap_enabled=True,
        cap_min_fraction=0.3,
        block_gpus=8,
    )
    assert fit_demand(c, 0, 0.75, 1.0) == (0.75, 1.0)
