"""The island's swing equation on a load step (known values), the stated-limit check, the sizing of the
smallest battery and floor (a smaller one fails), and the hours attached to the year."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.transients.analysis import Regime
from megacluster.transients.config import Limits, TransientsConfig
from megacluster.transients.island import IslandUnits, island_response, largest_step_mw
from megacluster.transients.limits import check_limits
from megacluster.transients.sizing import passes, size_battery, size_floor
from megacluster.transients.storage import StorageSpec
from megacluster.transients.year import regime_hours

DT = 0.02
UNITS = IslandUnits(
    rating_mw=40.0,
    inertia_h_s=3.0,
    droop=0.04,
    actuator_s=0.5,
    turbine_s=0.5,
    rate_pu_per_s=10.0,
    load_step_fraction=0.25,
)


def test_a_load_step_settles_at_the_droop_and_starts_at_the_inertia_rate() -> None:
    load = np.r_[np.full(100, 40.0), np.full(3000, 30.0)]  # a 10 MW (0.25 pu) rejection
    r = island_response(load, DT, UNITS)
    # steady state: droop x step x nominal = 0.04 x 0.25 x 60 = 0.6 Hz (the frequency rises)
    assert r.deviation_hz[-1] == pytest.approx(0.6, rel=1e-3)
    # first sample after the step: the mechanical power has not moved, so df/dt = dP / 2H x f0 = 2.5 Hz/s
    assert r.deviation_hz[100] == pytest.approx(0.25 / (2 * 3.0) * 60.0 * DT, rel=0.05)
    assert r.max_rocof_hz_per_s == pytest.approx(2.5, rel=0.05)
    assert r.largest_step_mw == pytest.approx(10.0)
    assert r.largest_step_fraction == pytest.approx(0.25)
    assert not r.step_limit_exceeded
    heavier = island_response(np.r_[np.full(100, 40.0), np.full(3000, 29.0)], DT, UNITS)
    assert heavier.step_limit_exceeded


def test_more_inertia_lowers_the_rate_of_change() -> None:
    load = np.r_[np.full(100, 40.0), np.full(1000, 30.0)]
    light = island_response(load, DT, UNITS)
    heavy = island_response(load, DT, IslandUnits(**{**UNITS.__dict__, "inertia_h_s": 6.0}))
    assert heavy.max_rocof_hz_per_s == pytest.approx(light.max_rocof_hz_per_s / 2, rel=0.05)
    assert heavy.max_deviation_hz < light.max_deviation_hz


def test_largest_step_within_a_second() -> None:
    assert largest_step_mw(
        np.r_[np.zeros(10), np.linspace(0, 5, 100), np.full(10, 5.0)], DT
    ) == pytest.approx(5.0 * 50 / 99, rel=1e-6)


LIMITS = Limits(ramp_up_mw_per_min=20.0, ramp_down_mw_per_min=20.0)


def failure_like(n: int = 60_000) -> np.ndarray:
    """A campus at 200 MW swinging 40 MW every 3 s, dropping 80 MW for 4 minutes (a failure and restart)."""
    t = np.arange(n) * DT
    x = np.where((t % 3.0) < 2.5, 200.0, 160.0)
    return np.where((t > 200) & (t < 440), 120.0, x)


def test_limits_are_checked_only_when_stated() -> None:
    x = failure_like()
    check = check_limits(x, DT, LIMITS)
    assert not check.passed
    assert {i.name for i in check.items} == {"ramp_up_1min", "ramp_down_1min"}
    assert check_limits(x, DT, Limits()).items == ()
    assert not Limits().stated() and LIMITS.stated()


def test_the_sized_battery_is_the_smallest_that_meets_the_limits() -> None:
    loads = [failure_like()]
    base = StorageSpec(
        power_mw=1.0, energy_mwh=1.0, round_trip_efficiency=0.85, ramp_mw_per_s=0.3, response_s=0.11
    )
    sized = size_battery(loads, DT, base, LIMITS)
    assert sized.reachable and sized.power_mw is not None and sized.energy_mwh is not None
    p, e = sized.power_mw, sized.energy_mwh

    def ok(power: float, energy: float) -> bool:
        return passes(
            loads, DT, StorageSpec(**{**base.__dict__, "power_mw": power, "energy_mwh": energy}), LIMITS
        )

    assert ok(p, e)
    assert sized.failed_power_mw is not None and sized.failed_energy_mwh is not None
    assert not ok(sized.failed_power_mw, e)
    assert not ok(p, sized.failed_energy_mwh)
    assert not ok(0.9 * p, e)
    assert not ok(p, 0.9 * e)
    assert sized.failed_power_mw >= 0.99 * p - 1e-9  # within the bisection's 1 % of the answer


def test_no_battery_is_needed_when_the_limits_already_hold() -> None:
    flat = [np.full(20_000, 100.0)]
    base = StorageSpec(power_mw=1.0, energy_mwh=1.0, ramp_mw_per_s=0.3)
    sized = size_battery(flat, DT, base, LIMITS)
    assert (sized.power_mw, sized.energy_mwh) == (0.0, 0.0)


def test_the_sized_floor_is_the_smallest_that_meets_the_limits() -> None:
    config = TransientsConfig(limits=LIMITS)
    t = np.arange(30_000) * DT

    def site(floor: float) -> list[np.ndarray]:
        # a 100 MW job at full draw that falls to its floor for two minutes
        job = np.where((t > 100) & (t < 220), 100.0 * floor, 100.0)
        return [50.0 + job]

    sized = size_floor(site, DT, config)
    assert sized.reachable and sized.floor_fraction is not None and sized.failed_floor_fraction is not None
    assert all(check_limits(x, DT, LIMITS).passed for x in site(sized.floor_fraction))
    assert not all(check_limits(x, DT, LIMITS).passed for x in site(sized.failed_floor_fraction))
    assert sized.floor_fraction == pytest.approx(0.8, abs=0.01)  # the drop must be at most 20 MW


def test_hours_by_regime_add_up_to_the_run() -> None:
    n = 1000
    gpus = np.r_[np.zeros(100), np.full(900, 64)]
    capped = np.r_[np.zeros(500, dtype=bool), np.ones(500, dtype=bool)]
    island = np.r_[np.zeros(800, dtype=bool), np.ones(200, dtype=bool)]
    hours = regime_hours(gpus, capped, island, 300.0, interruptions=12, restart_s=600.0)
    assert sum(hours.values()) == pytest.approx(n * 300.0 / 3600.0)
    assert hours[Regime.NO_JOB.value] == pytest.approx(100 * 300.0 / 3600.0)
    assert hours[Regime.FAILURE.value] + hours[Regime.ISLAND_FAILURE.value] == pytest.approx(2.0)
    assert hours[Regime.ISLAND_FAILURE.value] == pytest.approx(2.0 * 200 / 900)
