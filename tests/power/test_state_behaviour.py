"""The dispatch's carried state (power/state.py, power/battery.py): what it refuses, what a run without a
battery can do, and how a permit's counts restart, by hand."""

from __future__ import annotations

import pytest

from megacluster.power.battery import BatteryState
from megacluster.power.state import Campus, Units


def _fleet(**kw: object) -> Units:
    args: dict[str, object] = {
        "unit_mw": [10.0] * 4,
        "available": [3] * 4,
        "heat_rate": [10.0] * 4,
        "min_load_fraction": 0.5,
        "ramp_mw_per_step": 10.0,
        "startup_steps": 0,
    }
    args.update(kw)
    return Units(**args)  # type: ignore[arg-type]


def _campus(**kw: object) -> Campus:
    args: dict[str, object] = {
        "installed": [[8, 16], [4, 4]],
        "slope_w": [700.0, 600.0],
        "fixed_w": [500.0, 400.0],
        "load_fraction": 1.0,
        "cap_enabled": True,
        "cap_min_fraction": 0.6,
        "block_gpus": 4,
    }
    args.update(kw)
    return Campus(**args)  # type: ignore[arg-type]


def test_no_battery_can_do_nothing_whatever_it_is_asked() -> None:
    b = BatteryState.none(0.5)
    for power_mw in (0.0, 5.0, 1e6):
        assert b.limits_mw(power_mw, 1.0) == (0.0, 0.0, 0.0)
    for discharge_mw, charge_mw in ((0.0, 5.0), (5.0, 0.0), (3.0, 3.0)):
        assert b.advance(discharge_mw, charge_mw) == 0.0
        assert b.soc_mwh == 0.0


def test_limits_are_never_negative_even_outside_the_state_of_charge_limits() -> None:
    # a state of charge below its minimum (limits tightened under it) cannot discharge; above its maximum it
    # cannot charge
    low = BatteryState(0.5, 1.0, 4.0, 2.0, 0.9, 1.0, 0.9, 1 / 0.9)
    dis, chg, firm = low.limits_mw(2.0, 1.0)
    assert dis == 0.0 and chg == 2.0 and firm == 0.0
    high = BatteryState(4.5, 1.0, 4.0, 2.0, 0.9, 1.0, 0.9, 1 / 0.9)
    dis, chg, firm = high.limits_mw(2.0, 1.0)
    assert dis == 2.0 and chg == 0.0 and firm == pytest.approx(2.0)  # 2.5 MWh x 0.9 over 1 h, within 2 MW


def test_a_generator_fleet_needs_one_value_per_step() -> None:
    msg = r"^unit_mw, available and heat_rate need one value per step$"
    with pytest.raises(ValueError, match=msg):
        _fleet(available=[3] * 3)
    with pytest.raises(ValueError, match=msg):
        _fleet(heat_rate=[10.0] * 5)
    u = _fleet()
    assert u.output_by_step == [0.0] * 4 and u.on_by_step == [0] * 4
    assert u.fuel_by_step == [0.0] * 4 and u.starts_by_step == [0] * 4


def test_a_campus_needs_one_entry_per_fleet_and_whole_blocks() -> None:
    with pytest.raises(ValueError, match=r"^installed, slope_w and fixed_w need one entry per fleet$"):
        _campus(slope_w=[700.0])
    with pytest.raises(ValueError, match=r"^installed, slope_w and fixed_w need one entry per fleet$"):
        _campus(fixed_w=[500.0, 400.0, 300.0])
    with pytest.raises(ValueError, match=r"^block_gpus must be at least 1$"):
        _campus(block_gpus=0)
    with pytest.raises(ValueError, match=r"^idle_w needs one entry per fleet$"):
        _campus(idle_w=[100.0])
    c = _campus()
    assert c.idle_w == [0.0, 0.0]  # idled GPUs draw nothing unless told
    assert c.powered == [[8, 16], [4, 4]]
    c.powered[0][0] = 0  # the record is the campus's own, not the installed schedule
    assert c.installed[0][0] == 8
    assert _campus(idle_w=[100.0, 50.0]).idle_w == [100.0, 50.0]


def test_a_rolling_window_unblocks_the_fleet_each_month() -> None:
    u = _fleet(caps=(100, 1.0), in_force=False, permit_from=0)
    u.new_period(0, 0)
    u.blocked = True  # the NOx cap stopped it this month
    u.new_period(1, 0)  # same month: still stopped
    assert u.blocked
    u.new_period(2, 1)  # a new month: the window moves on and the fleet may run again
    assert not u.blocked


def test_calendar_years_count_every_month_of_the_year() -> None:
    u = _fleet(caps=(100, 1000.0), in_force=False, permit_from=0, rolling=False)
    for month in range(6):  # January to June 1970: one start-up and 1 t of NOx a month
        u.new_period(month, month)
        u.starts_year += 1
        u.nox_year_t += 1.0
    assert u.starts_year == 6 and u.nox_year_t == 6.0
    u.blocked = True
    for month in range(6, 12):
        u.new_period(month, month)
    assert u.blocked and u.starts_year == 6  # blocked for the rest of the calendar year
    u.new_period(12, 12)  # January 1971
    assert not u.blocked and u.starts_year == 0 and u.nox_year_t == 0.0
