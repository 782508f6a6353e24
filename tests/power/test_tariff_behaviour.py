"""Behaviour of the large-load tariff and of the permit periods, worked by hand: on/off-peak prices, the
monthly demand charge prorated for part months, ERCOT's 4CP charge at the hottest summer days' 17:00 step,
and the counter that moves at every month and permit boundary."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster import catalog
from megacluster.power.periods import month_index, permit_boundaries
from megacluster.power.tariff import (
    coincident_peak_usd,
    demand_charge_usd,
    hour_of_day,
    tou_price_usd_per_mwh,
)

HOUR_S = 3600.0


def _hours(start: str, n: int, step_h: float = 1.0) -> np.ndarray:
    return np.datetime64(start, "s") + (np.arange(n) * step_h * HOUR_S).astype("timedelta64[s]")


def _region(**update: object) -> catalog.Region:
    base = next(iter(catalog.regions().values()))
    return base.model_copy(update=update)


def test_hour_of_day() -> None:
    t = np.array(["2024-03-01T00:00", "2024-03-01T13:30", "2024-03-02T23:45"], dtype="datetime64[s]")
    np.testing.assert_allclose(hour_of_day(t), [0.0, 13.5, 23.75])
    assert hour_of_day(t).dtype == np.float64


def test_time_of_use_price_inside_and_outside_the_window() -> None:
    region = _region(
        tou_on_peak_usd_per_mwh=60.0,
        tou_off_peak_usd_per_mwh=30.0,
        tou_on_peak_start_h=14,
        tou_on_peak_end_h=19,
    )
    t = _hours("2024-07-01T00:00", 24)
    price = tou_price_usd_per_mwh(t, region)
    expected = np.where((np.arange(24) >= 14) & (np.arange(24) < 19), 60.0, 30.0)
    np.testing.assert_array_equal(price, expected)
    assert price.dtype == np.float64
    # no tariff figures: free (the region's flat price applies elsewhere)
    bare = _region(
        tou_on_peak_usd_per_mwh=None,
        tou_off_peak_usd_per_mwh=None,
        tou_on_peak_start_h=None,
        tou_on_peak_end_h=None,
    )
    np.testing.assert_array_equal(tou_price_usd_per_mwh(t, bare), np.zeros(24))


def test_demand_charge_is_each_months_peak_times_the_rate() -> None:
    # all of July and August 2024, hourly: July peaks at 120 MW, August at 90 MW
    t = _hours("2024-07-01T00:00", (31 + 31) * 24)
    grid = np.full(t.size, 50.0)
    grid[100] = 120.0
    grid[31 * 24 + 5] = 90.0
    got = demand_charge_usd(t, grid, HOUR_S, 10.0)
    assert got == pytest.approx((120.0 + 90.0) * 1000.0 * 10.0)


def test_demand_charge_is_prorated_for_a_part_month() -> None:
    # 10 days of June (30 days): a third of the month's charge
    t = _hours("2024-06-01T00:00", 10 * 24)
    grid = np.full(t.size, 60.0)
    assert demand_charge_usd(t, grid, HOUR_S, 9.0) == pytest.approx(60.0 * 1000.0 * 9.0 / 3.0)
    # 15-minute steps: the same share of the month
    t4 = _hours("2024-06-01T00:00", 10 * 96, step_h=0.25)
    assert demand_charge_usd(t4, np.full(t4.size, 60.0), 900.0, 9.0) == pytest.approx(180_000.0)


def test_demand_charge_prorates_by_the_real_length_of_the_month() -> None:
    feb = _hours("2024-02-01T00:00", 29 * 24)  # all of February 2024 (29 days)
    assert demand_charge_usd(feb, np.full(feb.size, 1.0), HOUR_S, 1.0) == pytest.approx(1000.0)
    july_half = _hours("2024-07-01T00:00", 31 * 12)  # 15.5 of July's 31 days
    assert demand_charge_usd(july_half, np.full(july_half.size, 1.0), HOUR_S, 1.0) == pytest.approx(500.0)


def test_demand_charge_without_a_rate_or_steps_is_nothing() -> None:
    t = _hours("2024-06-01T00:00", 24)
    assert demand_charge_usd(t, np.full(24, 100.0), HOUR_S, 0.0) == 0.0
    assert demand_charge_usd(t[:0], np.zeros(0), HOUR_S, 5.0) == 0.0
    # a month drawing nothing from the grid: no charge (never negative)
    assert demand_charge_usd(t, np.full(24, -5.0), HOUR_S, 5.0) == 0.0


def test_coincident_peak_charge_takes_the_hottest_days_1700_draw() -> None:
    # June..September 2024 hourly: the draw is 100 MW, but 150 MW at 17:00 of each month's hottest day
    t = _hours("2024-06-01T00:00", (30 + 31 + 31 + 30) * 24)
    hours = hour_of_day(t)
    ambient = np.full(t.size, 25.0)
    grid = np.full(t.size, 100.0)
    for day in (12, 30 + 3, 61 + 20, 92 + 7):
        i = day * 24 + 17
        assert hours[i] == 17.0
        ambient[i] = 40.0
        grid[i] = 150.0
    # a hotter hour that is not at 17:00 does not count
    ambient[5 * 24 + 13] = 45.0
    grid[5 * 24 + 13] = 400.0
    years = t.size / 8760.0
    got = coincident_peak_usd(t, grid, ambient, HOUR_S, 100.0)
    assert got == pytest.approx(150.0 * 1000.0 * 100.0 * years)


def test_coincident_peak_charge_outside_the_summer_or_without_a_rate_is_nothing() -> None:
    t = _hours("2024-01-01T00:00", 31 * 24)
    grid = np.full(t.size, 100.0)
    ambient = np.full(t.size, 20.0)
    assert coincident_peak_usd(t, grid, ambient, HOUR_S, 100.0) == 0.0
    summer = _hours("2024-07-01T00:00", 48)
    assert coincident_peak_usd(summer, grid[:48], ambient[:48], HOUR_S, 0.0) == 0.0
    assert coincident_peak_usd(summer[:0], grid[:0], ambient[:0], HOUR_S, 100.0) == 0.0
    # summer steps that never fall on 17:00: nothing to charge
    night = _hours("2024-07-01T00:00", 10)
    assert coincident_peak_usd(night, grid[:10], ambient[:10], HOUR_S, 100.0) == 0.0


def test_coincident_peak_with_coarse_steps_uses_the_step_holding_1700() -> None:
    # 4-hour steps starting at 01:00: 17:00 is a step start; the step at 17:00 of 3 July is the hottest
    t = _hours("2024-07-01T01:00", 31 * 6, step_h=4.0)
    ambient = np.full(t.size, 20.0)
    grid = np.full(t.size, 80.0)
    i = 2 * 6 + 4  # 3 July, 17:00
    assert hour_of_day(t[i : i + 1])[0] == 17.0
    ambient[i] = 39.0
    grid[i] = 200.0
    years = t.size * 4.0 / 8760.0
    assert coincident_peak_usd(t, grid, ambient, 4 * HOUR_S, 50.0) == pytest.approx(200.0 * 1000 * 50 * years)


def test_month_index_from_months_or_years() -> None:
    np.testing.assert_array_equal(month_index([54, 54, 55], None), [648, 648, 660])
    np.testing.assert_array_equal(month_index([54, 54], [650, 651]), [650, 651])
    # integer month counts, whatever the input's type
    assert month_index([1.0], None).dtype == np.int64
    assert month_index([1.0], [650.0]).dtype == np.int64


def test_permit_boundaries_move_at_each_new_month_and_permit_step() -> None:
    months = np.array([0, 0, 0, 1, 1, 2, 2, 2], dtype=np.int64)
    np.testing.assert_array_equal(permit_boundaries(months, []), [0, 0, 0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(permit_boundaries(months, [1]), [0, 1, 1, 2, 2, 3, 3, 3])
    # a permit at a month boundary moves the counter once; steps at 0 or past the end are ignored
    np.testing.assert_array_equal(permit_boundaries(months, [3, 0, 8, 99]), [0, 0, 0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(permit_boundaries(months, [7]), [0, 0, 0, 1, 1, 2, 2, 3])
    assert permit_boundaries(np.zeros(0, dtype=np.int64), [1]).size == 0
    assert permit_boundaries(months, [1]).dtype == np.int64  # a counter


def test_time_of_use_defaults_for_missing_tariff_figures() -> None:
    t = _hours("2024-07-01T00:00", 24)
    # no on-peak price: free on peak; a window without a start: from midnight
    region = _region(
        tou_on_peak_usd_per_mwh=None,
        tou_off_peak_usd_per_mwh=30.0,
        tou_on_peak_start_h=None,
        tou_on_peak_end_h=5,
    )
    np.testing.assert_array_equal(tou_price_usd_per_mwh(t, region), np.where(np.arange(24) < 5, 0.0, 30.0))
    # a window without an end: no on-peak hours
    no_end = _region(
        tou_on_peak_usd_per_mwh=60.0,
        tou_off_peak_usd_per_mwh=30.0,
        tou_on_peak_start_h=None,
        tou_on_peak_end_h=None,
    )
    np.testing.assert_array_equal(tou_price_usd_per_mwh(t, no_end), np.full(24, 30.0))


def test_small_rates_and_single_steps_are_charged() -> None:
    one = _hours("2024-06-01T00:00", 1)
    assert demand_charge_usd(one, np.array([60.0]), 30 * 24 * HOUR_S, 0.5) == pytest.approx(30_000.0)
    t = _hours("2024-07-01T00:00", 31 * 24)
    ambient = np.full(t.size, 20.0)
    grid = np.full(t.size, 80.0)
    years = t.size / 8760.0
    assert coincident_peak_usd(t, grid, ambient, HOUR_S, 0.5) == pytest.approx(80.0 * 1000 * 0.5 * years)
    at_five = np.array(["2024-07-01T17:00"], dtype="datetime64[s]")
    assert coincident_peak_usd(at_five, np.array([80.0]), np.array([30.0]), HOUR_S, 10.0) == pytest.approx(
        80.0 * 1000 * 10.0 / 8760.0
    )


def test_coincident_peak_months_are_june_to_september_each_its_own() -> None:
    # May..September 2024: each month's hottest-day 17:00 draw differs, May's must not count
    t = _hours("2024-05-01T00:00", (31 + 30 + 31 + 31 + 30) * 24)
    ambient = np.full(t.size, 25.0)
    grid = np.full(t.size, 100.0)
    for first_day, draw in ((0, 900.0), (31, 100.0), (61, 200.0), (92, 300.0), (123, 400.0)):
        i = (first_day + 2) * 24 + 17
        ambient[i] = 40.0
        grid[i] = draw
    years = t.size / 8760.0
    got = coincident_peak_usd(t, grid, ambient, HOUR_S, 1.0)
    assert got == pytest.approx((100.0 + 200.0 + 300.0 + 400.0) / 4 * 1000.0 * years)


def test_coincident_peak_averages_every_step_around_1700_on_the_hottest_day() -> None:
    # 2-hour steps from midnight: the steps at 16:00 and 18:00 both lie within half a step of 17:00
    t = _hours("2024-07-01T00:00", 31 * 12, step_h=2.0)
    ambient = np.full(t.size, 20.0)
    grid = np.full(t.size, 50.0)
    day = 9 * 12
    ambient[day + 8] = 38.0  # 16:00, the hottest
    grid[day + 8] = 120.0
    grid[day + 9] = 80.0  # 18:00 the same day
    years = t.size * 2.0 / 8760.0
    got = coincident_peak_usd(t, grid, ambient, 2 * HOUR_S, 1.0)
    assert got == pytest.approx(100.0 * 1000.0 * years)


def test_a_summer_month_without_a_1700_step_is_skipped_not_the_end() -> None:
    # the run starts on 30 June at 18:00: June has no 17:00 step, July does
    t = _hours("2024-06-30T18:00", 6 + 31 * 24)
    ambient = np.full(t.size, 20.0)
    grid = np.full(t.size, 70.0)
    years = t.size / 8760.0
    assert coincident_peak_usd(t, grid, ambient, HOUR_S, 1.0) == pytest.approx(70.0 * 1000.0 * years)
