"""Issue 15: a permit's caps count over rolling 12-month windows from its effective date, by hand."""

from __future__ import annotations

import pytest

from megacluster.power.commitment import commit_units
from megacluster.power.state import Units


def _fleet(**kw: object) -> Units:
    args: dict[str, object] = {
        "unit_mw": [10.0] * 40,
        "available": [3] * 40,
        "heat_rate": [10.0] * 40,
        "min_load_fraction": 0.5,
        "ramp_mw_per_step": 10.0,
        "startup_steps": 0,
    }
    args.update(kw)
    return Units(**args)  # type: ignore[arg-type]


def test_rolling_window_drops_the_month_a_year_back() -> None:
    """One start-up and 1 t of NOx in each of 14 months: the window never holds more than 12 of them."""
    u = _fleet(caps=(100, 1000.0), in_force=False, permit_from=0)
    totals = []
    for month in range(14):
        u.new_period(month, month)
        u.starts_year += 1
        u.nox_year_t += 1.0
        totals.append((u.starts_year, u.nox_year_t))
    assert totals[0] == (1, 1.0)
    assert totals[11] == (12, 12.0)
    assert totals[12] == (12, 12.0) and totals[13] == (12, 12.0)  # months 0 and 1 have left the window


def test_calendar_years_start_again_in_january() -> None:
    u = _fleet(caps=(100, 1000.0), in_force=False, permit_from=0, rolling=False)
    for month in range(14):  # months since 1970-01: month 12 is January 1971
        u.new_period(month, month)
        u.starts_year += 1
    assert u.starts_year == 2


def test_nothing_counts_or_is_capped_before_the_permit_takes_effect() -> None:
    u = _fleet(caps=(1, 1000.0), in_force=False, permit_from=5, keep_when_in_force=True)
    u.starts_cap = -1  # not yet in force: no cap
    u.new_period(0, 0)
    assert not u.in_force
    commit_units(u, 1, 25.0, 25.0)
    assert u.on == 3  # three starts, uncapped before the permit
    u.on = 0
    u.new_period(5, 0)
    assert u.in_force and u.starts_cap == 1 and u.starts_year == 0 and u.keep_running
    commit_units(u, 6, 25.0, 25.0)
    assert u.on == 1 and u.starts_year == 1  # the cap of one start-up holds
    commit_units(u, 7, 25.0, 25.0)
    assert u.on == 1 and u.starts_year == pytest.approx(1)
