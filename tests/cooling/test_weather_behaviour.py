"""Behaviour of the site weather (psychrometrics, synthetic year, heat event, weather files): known values
from psychrolib and ASHRAE, the calibration targets the generator promises, and invariants of every series."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.cooling import psychrometrics
from megacluster.cooling.config import ClimateNormals, HeatWave
from megacluster.cooling.psychrometrics import (
    psychrolib_py,
    standard_pressure_pa,
    wetbulb_c,
    wetbulb_exact_c,
)
from megacluster.cooling.weather import (
    HOURS_PER_TYPICAL_YEAR,
    TypicalYear,
    dew_depression_k,
    heatwave_lift_k,
    humid_dewpoint_c,
    quantile_map,
    synthetic_year,
    to_calendar_year,
    weather_at,
)
from megacluster.cooling.weatherfile import read_weather_file
from megacluster.errors import InputError

# psychrolib's own code, loaded without numba (importing psychrolib itself compiles it for ~10 s)
psychrolib = psychrolib_py()

SEA_LEVEL_PA = 101_325.0
ROUNDED_SEA_LEVEL_PA = 101_300.0  # tables are built at pressures rounded to 100 Pa

# Memphis (climates.toml): monthly normals and ASHRAE design statistics
MEMPHIS = ClimateNormals(
    tmax_c=(8.8, 11.7, 17.9, 21.6, 26.9, 31.1, 33.5, 32.8, 29.4, 22.4, 17.7, 12.1),
    tmin_c=(-0.8, 1.6, 6.8, 11.4, 17.2, 21.0, 23.2, 22.4, 19.7, 10.9, 6.5, 1.2),
    design_drybulb_c=34.4,
    design_wetbulb_c=24.9,
    drybulb_0p4_c=35.6,
    wetbulb_0p4_c=25.2,
    drybulb_max_mean_c=37.0,
    wetbulb_evap_0p4_c=26.8,
    elevation_m=81.0,
)
PLAIN = ClimateNormals(tmax_c=(20.0,) * 12, tmin_c=(10.0,) * 12)
JULY_1980 = HeatWave(
    name="test wave", month=7, first_day=6, days=15, peak_day=13, threshold_c=37.8, peak_c=42.2
)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Each test computes its weather afresh: the yearly weather and the wet-bulb tables are cached per
    process, which would hide a wrong generator behind values computed before (mutation testing forks a
    process that has run the suite once)."""
    synthetic_year.cache_clear()
    psychrometrics._table.cache_clear()


# ------------------------------------------------------------------------------------------ psychrometrics


def test_standard_pressure_is_ashrae_equation_3() -> None:
    """p = 101.325 kPa (1 - 2.25577e-5 Z)^5.2559 (ASHRAE Fundamentals 2017 ch. 1 eq. 3)."""
    assert standard_pressure_pa(0.0) == pytest.approx(SEA_LEVEL_PA, abs=0.01)
    for z in (81.0, 1500.0, -100.0):
        expected = SEA_LEVEL_PA * (1 - 2.25577e-5 * z) ** 5.2559
        assert standard_pressure_pa(z) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("db", "dew"), [(30.0, 20.0), (35.0, 10.0), (0.0, -10.0), (40.0, 28.0)])
def test_exact_wetbulb_is_psychrolib(db: float, dew: float) -> None:
    expected = psychrolib.GetTWetBulbFromTDewPoint(db, dew, SEA_LEVEL_PA)
    assert wetbulb_exact_c(db, dew, SEA_LEVEL_PA) == pytest.approx(expected, abs=1e-6)
    assert dew < wetbulb_exact_c(db, dew, SEA_LEVEL_PA) < db


def test_exact_wetbulb_of_saturated_air_is_the_drybulb() -> None:
    assert wetbulb_exact_c(25.0, 25.0, SEA_LEVEL_PA) == pytest.approx(25.0, abs=1e-3)
    # a dew point above the dry-bulb is held at the dry-bulb
    assert wetbulb_exact_c(25.0, 30.0, SEA_LEVEL_PA) == pytest.approx(25.0, abs=1e-3)


def test_tabulated_wetbulb_is_close_to_psychrolib() -> None:
    """The module promises 0.02 K; measured: 99 % of states within 0.05 K, the worst (cold, very dry air
    near psychrolib's ice/water switch) 0.37 K."""
    rng = np.random.default_rng(1)
    db = rng.uniform(-30.0, 50.0, 600)
    dew = np.minimum(db - rng.uniform(0.0, 30.0, 600), 34.0)
    for pressure in (ROUNDED_SEA_LEVEL_PA, 84_600.0):
        got = wetbulb_c(db, dew, pressure)
        want = np.array(
            [psychrolib.GetTWetBulbFromTDewPoint(a, b, pressure) for a, b in zip(db, dew, strict=True)]
        )
        err = np.abs(got - want)
        assert np.quantile(err, 0.99) < 0.06
        assert err.max() < 0.4
        assert np.median(err) < 0.01
        assert got.dtype == np.float64


def test_tabulated_wetbulb_on_grid_points_and_between_them() -> None:
    # on the 1 K grid the table is exact; halfway it is the mean of the neighbours (bilinear)
    on = wetbulb_c(np.array([30.0, 31.0]), np.array([20.0, 20.0]), SEA_LEVEL_PA)
    assert on[0] == pytest.approx(wetbulb_exact_c(30.0, 20.0, ROUNDED_SEA_LEVEL_PA), abs=1e-9)
    assert on[1] == pytest.approx(wetbulb_exact_c(31.0, 20.0, ROUNDED_SEA_LEVEL_PA), abs=1e-9)
    half = wetbulb_c(np.array([30.5]), np.array([20.0]), SEA_LEVEL_PA)
    assert half[0] == pytest.approx(on.mean(), abs=1e-9)
    quarter = wetbulb_c(np.array([30.0]), np.array([20.25]), SEA_LEVEL_PA)
    lo, hi = (
        wetbulb_exact_c(30.0, 20.0, ROUNDED_SEA_LEVEL_PA),
        wetbulb_exact_c(30.0, 21.0, ROUNDED_SEA_LEVEL_PA),
    )
    assert quarter[0] == pytest.approx(0.75 * lo + 0.25 * hi, abs=1e-9)
    corner = wetbulb_c(np.array([30.5]), np.array([20.5]), SEA_LEVEL_PA)
    four = [wetbulb_exact_c(a, b, ROUNDED_SEA_LEVEL_PA) for a in (30.0, 31.0) for b in (20.0, 21.0)]
    assert corner[0] == pytest.approx(np.mean(four), abs=1e-9)


def test_tabulated_wetbulb_invariants() -> None:
    """Off the 1 K grid, bilinear interpolation across the saturation line puts saturated air's wet-bulb up
    to ~0.17 K below its dry-bulb (measured); on the grid it is exact."""
    db = np.linspace(-40.0, 55.0, 40)
    for dew in (db - 15.0, db - 0.5, db + 5.0):
        wb = wetbulb_c(db, dew, SEA_LEVEL_PA)
        assert np.all(wb <= db + 1e-12)
        held = np.minimum(dew, db)
        inside = (held >= -50.0) & (held <= 35.0)  # the table's dew-point range
        assert np.all(wb[inside] >= held[inside] - 0.2)
    # saturated and super-saturated input (within the table's dew points): the dry-bulb
    cool = db[db <= 35.0]
    np.testing.assert_allclose(wetbulb_c(cool, cool + 5.0, SEA_LEVEL_PA), cool, atol=0.2)
    whole = np.arange(-40.0, 36.0)
    np.testing.assert_allclose(wetbulb_c(whole, whole, SEA_LEVEL_PA), whole, atol=2e-3)
    # wetter air, higher wet-bulb
    dews = np.linspace(-20.0, 29.0, 30)
    wbs = wetbulb_c(np.full(30, 30.0), dews, SEA_LEVEL_PA)
    assert np.all(np.diff(wbs) > 0)


def test_tabulated_wetbulb_holds_inputs_at_the_table_edges() -> None:
    hot = wetbulb_c(np.array([70.0]), np.array([20.0]), SEA_LEVEL_PA)
    edge = wetbulb_c(np.array([60.0]), np.array([20.0]), SEA_LEVEL_PA)
    assert hot[0] == pytest.approx(edge[0], abs=1e-9)
    humid = wetbulb_c(np.array([50.0]), np.array([45.0]), SEA_LEVEL_PA)
    assert humid[0] == pytest.approx(wetbulb_exact_c(50.0, 35.0, ROUNDED_SEA_LEVEL_PA), abs=1e-9)
    dry = wetbulb_c(np.array([10.0]), np.array([-80.0]), SEA_LEVEL_PA)
    assert dry[0] == pytest.approx(wetbulb_exact_c(10.0, -50.0, ROUNDED_SEA_LEVEL_PA), abs=1e-9)


def test_pressure_is_rounded_to_100_pa() -> None:
    a = wetbulb_c(np.array([33.3]), np.array([12.7]), 101_320.0)
    b = wetbulb_c(np.array([33.3]), np.array([12.7]), 101_349.0)
    assert a[0] == b[0]
    assert a[0] == pytest.approx(psychrolib.GetTWetBulbFromTDewPoint(33.3, 12.7, 101_300.0), abs=0.02)


def test_thinner_air_gives_a_lower_wetbulb_at_the_same_dewpoint() -> None:
    sea = wetbulb_c(np.array([35.0]), np.array([15.0]), SEA_LEVEL_PA)[0]
    high = wetbulb_c(np.array([35.0]), np.array([15.0]), standard_pressure_pa(2000.0))[0]
    want = psychrolib.GetTWetBulbFromTDewPoint(35.0, 15.0, standard_pressure_pa(2000.0))
    assert high == pytest.approx(want, abs=0.02)
    assert high != pytest.approx(sea, abs=0.1)


# ------------------------------------------------------------------------------------------ calendar handling


def test_typical_year_on_a_common_year_is_unchanged() -> None:
    values = np.arange(HOURS_PER_TYPICAL_YEAR, dtype=np.float64)
    np.testing.assert_array_equal(to_calendar_year(values, 2023), values)
    np.testing.assert_array_equal(to_calendar_year(values, 1900), values)  # not a leap year


@pytest.mark.parametrize("year", [2024, 2000])
def test_leap_year_repeats_28_february(year: int) -> None:
    values = np.arange(HOURS_PER_TYPICAL_YEAR, dtype=np.float64)
    out = to_calendar_year(values, year)
    assert out.size == HOURS_PER_TYPICAL_YEAR + 24
    feb28 = 58 * 24
    np.testing.assert_array_equal(out[: feb28 + 24], values[: feb28 + 24])
    np.testing.assert_array_equal(out[feb28 + 24 : feb28 + 48], values[feb28 : feb28 + 24])
    np.testing.assert_array_equal(out[feb28 + 48 :], values[feb28 + 24 :])


def test_typical_year_of_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="8760 hours, got 8759"):
        to_calendar_year(np.zeros(HOURS_PER_TYPICAL_YEAR - 1), 2023)


# --------------------------------------------------------------------------------------------- quantile map


def test_quantile_map_without_points_or_hours_is_the_identity() -> None:
    temps = np.linspace(0.0, 30.0, 1000)
    assert quantile_map(temps, ()) is temps
    empty = np.zeros(0)
    assert quantile_map(empty, ((0.01, 40.0),)) is empty
    # points at or above the calibrated fraction are ignored
    np.testing.assert_array_equal(quantile_map(temps, ((0.05, 90.0), (0.2, 90.0))), temps)


def test_quantile_map_moves_the_hottest_hours_onto_the_design_points() -> None:
    temps = np.linspace(0.0, 30.0, 10_001)
    mapped = quantile_map(temps, ((0.01, 35.0), (0.004, 36.0), (0.0, 38.0)))
    cool = temps <= np.quantile(temps, 0.95)
    np.testing.assert_array_equal(mapped[cool], temps[cool])
    assert np.quantile(mapped, 0.99) == pytest.approx(35.0, abs=1e-6)
    assert np.quantile(mapped, 0.996) == pytest.approx(36.0, abs=1e-6)
    assert mapped.max() == pytest.approx(38.0, abs=1e-6)
    assert np.all(np.diff(mapped) >= 0)  # order kept
    # linear between the untouched anchor and the 1 % point
    anchor = np.quantile(temps, 0.95)
    x = np.quantile(temps, 0.99)
    mid = (anchor + x) / 2
    i = int(np.argmin(np.abs(temps - mid)))
    assert mapped[i] == pytest.approx(anchor + (temps[i] - anchor) * (35.0 - anchor) / (x - anchor), abs=1e-6)


def test_quantile_map_extrapolates_beyond_the_last_point_with_its_slope() -> None:
    temps = np.linspace(0.0, 30.0, 10_001)
    mapped = quantile_map(temps, ((0.01, 35.0),))
    anchor, x = np.quantile(temps, 0.95), np.quantile(temps, 0.99)
    slope = (35.0 - anchor) / (x - anchor)
    assert mapped[-1] == pytest.approx(35.0 + slope * (30.0 - x), abs=1e-6)
    assert mapped.dtype == np.float64
    assert temps[-1] == 30.0  # input untouched


def test_quantile_map_keeps_targets_increasing_and_skips_ties() -> None:
    temps = np.linspace(0.0, 30.0, 10_001)
    # a 0.4 % target below the 1 % target is lifted just above it: never a decreasing map
    mapped = quantile_map(temps, ((0.01, 35.0), (0.004, 30.0)))
    assert np.all(np.diff(mapped) >= 0)
    assert np.quantile(mapped, 0.996) == pytest.approx(35.001, abs=1e-6)
    flat = np.concatenate((np.linspace(0.0, 20.0, 9000), np.full(1000, 25.0)))
    # every hot quantile sits on the same value: nothing to map
    np.testing.assert_array_equal(quantile_map(flat, ((0.01, 40.0),)), flat)


# --------------------------------------------------------------------------------------- synthetic weather


def test_synthetic_year_hits_the_ashrae_design_points() -> None:
    temps, dew = synthetic_year(MEMPHIS, 2023)
    assert temps.size == dew.size == HOURS_PER_TYPICAL_YEAR
    assert np.quantile(temps, 0.99) == pytest.approx(34.4, abs=0.05)
    assert np.quantile(temps, 0.996) == pytest.approx(35.6, abs=0.05)
    assert temps.max() == pytest.approx(37.0, abs=0.05)
    assert np.all(dew <= temps)
    pressure = standard_pressure_pa(81.0)
    wb = wetbulb_c(temps, dew, pressure)
    # the ASHRAE 0.4 % evaporation wet-bulb
    assert np.quantile(wb, 0.996) == pytest.approx(26.8, abs=0.1)
    # mean coincident wet-bulb at the 0.4 % dry-bulb
    near = np.abs(temps - 35.6) <= 1.0
    assert near.sum() >= 3
    assert wb[near].mean() == pytest.approx(25.2, abs=0.1)
    assert not temps.flags.writeable and not dew.flags.writeable


def test_synthetic_year_follows_the_monthly_normals() -> None:
    temps, _ = synthetic_year(MEMPHIS, 2023)
    starts = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) * 24
    for m in range(12):
        days = temps[starts[m] : starts[m + 1]].reshape(-1, 24)
        # one year's day-to-day anomaly moves a month's mean by ~1.3 K (s.d.); measured up to -2.2 K (June)
        assert days.max(axis=1).mean() == pytest.approx(MEMPHIS.tmax_c[m], abs=3.0)
        assert days.min(axis=1).mean() == pytest.approx(MEMPHIS.tmin_c[m], abs=3.0)
    days = temps[: starts[12]].reshape(-1, 24)
    assert days.max(axis=1).mean() == pytest.approx(np.mean(MEMPHIS.tmax_c), abs=1.0)
    assert days.min(axis=1).mean() == pytest.approx(np.mean(MEMPHIS.tmin_c), abs=1.0)
    # July is warmer than January by about the normals' difference
    july = temps[starts[6] : starts[7]].mean()
    january = temps[: starts[1]].mean()
    assert july - january == pytest.approx((33.5 + 23.2) / 2 - (8.8 - 0.8) / 2, abs=3.0)


def test_synthetic_year_is_repeatable_and_varies_by_year() -> None:
    a, _ = synthetic_year(MEMPHIS, 2023)
    b, _ = synthetic_year(MEMPHIS.model_copy(), 2023)
    np.testing.assert_array_equal(a, b)
    c, _ = synthetic_year(MEMPHIS, 2025)
    assert not np.array_equal(a, c)
    leap, dleap = synthetic_year(MEMPHIS, 2024)
    assert leap.size == dleap.size == HOURS_PER_TYPICAL_YEAR + 24


def test_day_to_day_anomaly_has_the_stated_spread() -> None:
    """Without design statistics only the AR(1) anomaly (s.d. 3 K, lag-1 0.7 between days) moves the days;
    interpolating it between the days' middles smooths the daily means (lag-1 ~0.8, s.d. below 3 K)."""
    temps, dew = synthetic_year(PLAIN, 2023)
    daily = temps.reshape(-1, 24).mean(axis=1) - 15.0
    assert daily.std() == pytest.approx(3.0, abs=0.6)
    lag1 = np.corrcoef(daily[:-1], daily[1:])[0, 1]
    assert 0.65 < lag1 < 0.9
    # the daily cycle runs between the normals' maximum and minimum (plus the anomaly)
    swing = temps.reshape(-1, 24).max(axis=1) - temps.reshape(-1, 24).min(axis=1)
    assert np.median(swing) == pytest.approx(10.0, abs=1.5)
    assert np.all(dew <= temps)


def test_dew_depression_matches_the_mean_coincident_wetbulb() -> None:
    temps, _ = synthetic_year(PLAIN, 2023)
    lows = np.repeat(temps.reshape(-1, 24).min(axis=1), 24)
    design = float(np.quantile(temps, 0.99))
    for target in (15.0, 18.0):
        d = dew_depression_k(temps, lows, (design, target), SEA_LEVEL_PA)
        near = np.abs(temps - design) <= 1.0
        wb = wetbulb_c(temps[near], np.minimum(lows[near] - d, temps[near]), SEA_LEVEL_PA)
        assert wb.mean() == pytest.approx(target, abs=0.02)
    # a design point no hour comes near: the hottest 0.4 % of the hours are used
    far = dew_depression_k(temps, lows, (80.0, 18.0), SEA_LEVEL_PA)
    hot = temps >= np.quantile(temps, 0.996)
    wb = wetbulb_c(temps[hot], np.minimum(lows[hot] - far, temps[hot]), SEA_LEVEL_PA)
    assert wb.mean() == pytest.approx(18.0, abs=0.02)


def test_humid_dewpoint_without_evaporation_target_is_the_day_minimum_less_a_constant() -> None:
    normals = PLAIN.model_copy(update={"design_drybulb_c": 25.0, "design_wetbulb_c": 17.0})
    temps, _ = synthetic_year(PLAIN, 2023)
    lows = np.repeat(temps.reshape(-1, 24).min(axis=1), 24)
    dew = humid_dewpoint_c(temps, lows, normals, [1, 2, 3], SEA_LEVEL_PA)
    depression = lows - dew
    free = dew < temps
    assert np.ptp(depression[free]) == pytest.approx(0.0, abs=1e-9)
    assert np.all(dew <= temps)


# ------------------------------------------------------------------------------------------------ heat event


def test_heatwave_lift_reaches_the_peak_and_threshold_on_its_days() -> None:
    temps, _ = synthetic_year(MEMPHIS, 2023)
    lift = heatwave_lift_k(2023, JULY_1980, temps)
    assert lift.size == temps.size
    assert np.all(lift >= 0)
    hot = (temps + lift).reshape(-1, 24)
    first = 31 + 28 + 31 + 30 + 31 + 30 + 5  # 6 July, day of the year from 0
    peak = first + 7
    assert hot[peak].max() >= 42.2 - 0.05
    assert hot[peak, 15] == pytest.approx(max(42.2, temps.reshape(-1, 24)[peak].max()), abs=0.6)
    assert hot[first].max() >= 37.8 * 0.999 - 0.5
    # halfway from the peak to the last day: halfway from the peak to the threshold
    target = 37.8 + (42.2 - 37.8) * (1 - 4 / 7)
    assert hot[peak + 4].max() >= target - 0.6
    # nothing outside the event (beyond the interpolation into the neighbouring days)
    assert np.all(lift[: (first - 1) * 24] == 0)
    assert np.all(lift[(first + 16) * 24 :] == 0)


def test_heatwave_adds_nothing_to_days_already_hotter() -> None:
    temps = np.full(365 * 24, 50.0)
    assert np.all(heatwave_lift_k(2023, JULY_1980, temps) == 0)
    cold = np.zeros(365 * 24)
    lift = heatwave_lift_k(2023, JULY_1980, cold)
    first = 31 + 28 + 31 + 30 + 31 + 30 + 5
    day_peak = lift.reshape(-1, 24).max(axis=1)
    assert day_peak[first + 7] == pytest.approx(42.2, abs=1e-9)
    assert day_peak[first] == pytest.approx(37.8 + 4.4 / 7, abs=0.7)
    # each day's lift is whole at 15:00
    assert lift[(first + 7) * 24 + 15] == pytest.approx(42.2, abs=1e-9)
    assert lift.reshape(-1, 24)[first + 14].max() == pytest.approx(37.8, abs=0.7)


def test_one_day_heatwave_and_one_past_the_year_end() -> None:
    one = HeatWave(month=3, first_day=1, days=1, peak_day=1, threshold_c=30.0, peak_c=35.0)
    lift = heatwave_lift_k(2023, one, np.zeros(365 * 24))
    assert lift[(31 + 28) * 24 + 15] == pytest.approx(35.0, abs=1e-9)
    late = HeatWave(month=12, first_day=30, days=5, peak_day=31, threshold_c=30.0, peak_c=40.0)
    tail = heatwave_lift_k(2023, late, np.zeros(365 * 24))
    assert tail[364 * 24 + 15] == pytest.approx(40.0, abs=1e-9)


# ---------------------------------------------------------------------------------------------- weather_at


def _hours(start: str, n: int) -> np.ndarray:
    return np.datetime64(start, "s") + np.arange(n) * np.timedelta64(3600, "s")


def test_weather_at_whole_hours_is_the_synthetic_year() -> None:
    temps, dew = synthetic_year(MEMPHIS, 2023)
    wx = weather_at(_hours("2023-01-01T00:00", 48), MEMPHIS)
    np.testing.assert_allclose(wx.drybulb_c, temps[:48])
    np.testing.assert_allclose(wx.dewpoint_c, np.minimum(dew[:48], temps[:48]))
    np.testing.assert_allclose(
        wx.wetbulb_c, wetbulb_c(temps[:48], dew[:48], standard_pressure_pa(81.0)), atol=1e-9
    )
    assert wx.source.startswith("synthetic")
    assert wx.heatwave == ""


def test_weather_at_is_linear_between_hours_and_across_the_new_year() -> None:
    t = np.array(["2023-06-01T10:30", "2023-12-31T23:30", "2024-01-01T00:00"], dtype="datetime64[s]")
    wx = weather_at(t, MEMPHIS)
    y23, _ = synthetic_year(MEMPHIS, 2023)
    y24, _ = synthetic_year(MEMPHIS, 2024)
    june = (31 + 28 + 31 + 30 + 31) * 24 + 10
    assert wx.drybulb_c[0] == pytest.approx((y23[june] + y23[june + 1]) / 2)
    assert wx.drybulb_c[1] == pytest.approx((y23[-1] + y24[0]) / 2)
    assert wx.drybulb_c[2] == pytest.approx(y24[0])
    assert np.all(wx.wetbulb_c <= wx.drybulb_c)
    # times within one year only: the year's last hour is held to its end
    held = weather_at(t[1:2], MEMPHIS)
    assert held.drybulb_c[0] == pytest.approx(y23[-1])


def test_weather_at_nothing_is_empty() -> None:
    wx = weather_at(np.array([], dtype="datetime64[s]"), MEMPHIS)
    assert wx.drybulb_c.size == wx.wetbulb_c.size == wx.dewpoint_c.size == 0
    assert wx.source == "none"


def test_weather_at_from_a_typical_year_uses_its_values_and_pressure() -> None:
    hours = np.arange(HOURS_PER_TYPICAL_YEAR)
    db = 20.0 + 10.0 * np.sin(2 * np.pi * hours / 24)
    dew = db - 8.0
    typical = TypicalYear(tuple(db), tuple(dew), 80_000.0, "station.epw")
    wx = weather_at(_hours("2023-03-01T00:00", 24), PLAIN, typical)
    start = (31 + 28) * 24
    np.testing.assert_allclose(wx.drybulb_c, db[start : start + 24])
    np.testing.assert_allclose(wx.dewpoint_c, dew[start : start + 24])
    np.testing.assert_allclose(
        wx.wetbulb_c, wetbulb_c(db[start : start + 24], dew[start : start + 24], 80_000.0)
    )
    assert wx.source == "station.epw"
    # a leap year repeats 28 February: 1 March 2024 is the typical year's 1 March
    leap = weather_at(_hours("2024-03-01T00:00", 24), PLAIN, typical)
    np.testing.assert_allclose(leap.drybulb_c, db[start : start + 24])


def test_weather_at_with_a_heatwave_is_hotter_only_in_july() -> None:
    hot = MEMPHIS.model_copy(update={"heatwave": JULY_1980})
    t = _hours("2023-07-01T00:00", 31 * 24)
    base = weather_at(t, MEMPHIS)
    wave = weather_at(t, hot)
    assert wave.heatwave == "test wave"
    assert wave.drybulb_c.max() >= 42.2 - 0.05
    assert np.all(wave.drybulb_c >= base.drybulb_c)
    np.testing.assert_allclose(wave.drybulb_c[: 4 * 24], base.drybulb_c[: 4 * 24])
    assert np.all(wave.dewpoint_c <= wave.drybulb_c)
    # the heat event is dry: the dew point is not lifted
    np.testing.assert_allclose(wave.dewpoint_c, np.minimum(base.dewpoint_c, wave.drybulb_c))


# ------------------------------------------------------------------------------------------ weather files


def _epw_text(
    drybulb: np.ndarray, dewpoint: np.ndarray, pressure_pa: float, tz: float = -6.0, year: int = 2023
) -> str:
    head = [
        f"LOCATION,Testville,TN,USA,TMY3,723340,35.07,-89.98,{tz},81.0",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,test",
        "COMMENTS 2,test",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    rows = []
    stamps = np.datetime64(f"{year}-01-01T00:00") + np.arange(drybulb.size) * np.timedelta64(1, "h")
    for i, (db, dp) in enumerate(zip(drybulb, dewpoint, strict=True)):
        when = stamps[i].astype(object)
        rest = ",".join(["0"] * 25)
        rows.append(
            f"{year},{when.month},{when.day},{when.hour + 1},60,?9?9?9?9E0,{db:.1f},{dp:.1f},50,"
            f"{pressure_pa:.0f},{rest}"
        )
    return "\n".join(head + rows) + "\n"


def test_epw_file_is_read_as_values_at_the_hours_start(tmp_path) -> None:
    hours = np.arange(HOURS_PER_TYPICAL_YEAR)
    db = np.round(15.0 + (hours % 24) * 0.5, 1)
    dew = db - 5.0
    dew[100] = db[100] + 3.0  # a dew point above the dry-bulb is held at it
    path = tmp_path / "site.epw"
    path.write_text(_epw_text(db, dew, 99_000.0))
    found = read_weather_file(path)
    assert found.utc_offset_h == -6.0
    assert found.elevation_m == 81.0
    year = found.year
    assert len(year.drybulb_c) == HOURS_PER_TYPICAL_YEAR
    # row i ends at hour i + 1: the value at the start of hour h is row h - 1
    assert year.drybulb_c[1] == pytest.approx(db[0])
    assert year.drybulb_c[0] == pytest.approx(db[-1])
    assert year.dewpoint_c[101] == pytest.approx(db[100])
    assert year.dewpoint_c[51] == pytest.approx(dew[50])
    assert year.pressure_pa == pytest.approx(99_000.0)
    assert year.source == "site.epw"


def _bad_epw(tmp_path, edit) -> str:
    hours = np.arange(HOURS_PER_TYPICAL_YEAR)
    lines = _epw_text(20.0 + 0 * hours, 10.0 + 0 * hours, 100_000.0).splitlines()
    edit(lines)
    path = tmp_path / "bad.epw"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _refusal(path: str) -> InputError:
    with pytest.raises(InputError) as err:
        read_weather_file(path)
    return err.value


def test_missing_weather_file_is_refused(tmp_path) -> None:
    e = _refusal(str(tmp_path / "nowhere.epw"))
    assert "weather file not found" in str(e)


def test_bad_epw_header_is_refused(tmp_path) -> None:
    def edit(lines: list[str]) -> None:
        lines[0] = "LOCATION,Testville,TN"

    e = _refusal(_bad_epw(tmp_path, edit))
    assert "line 1" in str(e) and "EPW header" in str(e)

    def tz(lines: list[str]) -> None:
        lines[0] = lines[0].replace("-6.0", "minus six")

    e = _refusal(_bad_epw(tmp_path, tz))
    assert "line 1" in str(e) and "time zone" in str(e) and "minus six" in str(e)


def test_epw_with_missing_hours_is_refused(tmp_path) -> None:
    e = _refusal(_bad_epw(tmp_path, lambda lines: lines.pop()))
    assert "8760 hourly data lines" in str(e) and "found 8759" in str(e)


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        (6, "99.9", "dry-bulb in -70..60 °C, got 99.9"),
        (6, "warm", "number for the dry-bulb, got 'warm'"),
        (6, "nan", "finite number for the dry-bulb"),
        (7, "-75.0", "dew point in -70..60 °C, got -75"),
        (7, "61", "dew point in -70..60 °C, got 61"),
    ],
)
def test_bad_epw_value_is_refused_with_its_line(tmp_path, column: int, value: str, says: str) -> None:
    def edit(lines: list[str]) -> None:
        parts = lines[20].split(",")
        parts[column] = value
        lines[20] = ",".join(parts)

    e = _refusal(_bad_epw(tmp_path, edit))
    assert "line 21" in str(e)
    assert says in str(e)


def test_epw_line_with_too_few_fields_is_refused(tmp_path) -> None:
    def edit(lines: list[str]) -> None:
        lines[30] = "1990,1,1,1,60,x,20.0,10.0,50"

    e = _refusal(_bad_epw(tmp_path, edit))
    assert "line 31" in str(e) and "at least 10 comma-separated" in str(e)


def test_epw_at_the_plausible_limits_is_accepted(tmp_path) -> None:
    def edit(lines: list[str]) -> None:
        parts = lines[20].split(",")
        parts[6], parts[7] = "60.0", "-70.0"
        lines[20] = ",".join(parts)

    found = read_weather_file(_bad_epw(tmp_path, edit))
    assert max(found.year.drybulb_c) == 60.0
    assert min(found.year.dewpoint_c) == -70.0


def _tmy3_text(n: int = HOURS_PER_TYPICAL_YEAR, bad_row: int | None = None, bad: str = "") -> str:
    lines = ["723340,TESTVILLE,TN,-6.0,35.07,-89.98,81"]
    header = ["Date (MM/DD/YYYY)", "Time (HH:MM)", "Dry-bulb (C)", "Dew-point (C)", "Pressure (mbar)"]
    lines.append(",".join(header))
    stamps = np.datetime64("2023-01-01T00:00") + np.arange(n) * np.timedelta64(1, "h")
    for i in range(n):
        when = stamps[i].astype(object)
        db = bad if i == bad_row else f"{10.0 + (i % 24):.1f}"
        lines.append(f"{when.month:02d}/{when.day:02d}/1990,{when.hour + 1:02d}:00,{db},5.0,1000")
    return "\n".join(lines) + "\n"


def test_tmy3_file_is_read_with_its_pressure_in_pa(tmp_path) -> None:
    path = tmp_path / "site.csv"
    path.write_text(_tmy3_text())
    found = read_weather_file(path)
    assert found.utc_offset_h == -6.0
    assert found.elevation_m == 81.0
    assert found.year.pressure_pa == pytest.approx(100_000.0)
    assert found.year.drybulb_c[1] == pytest.approx(10.0)
    assert found.year.drybulb_c[0] == pytest.approx(33.0)
    assert set(found.year.dewpoint_c) == {5.0}


def test_bad_tmy3_files_are_refused(tmp_path) -> None:
    path = tmp_path / "short.csv"
    path.write_text(_tmy3_text(n=100))
    assert "8760 hourly data lines, found 100" in str(_refusal(str(path)))
    path = tmp_path / "missing.csv"
    path.write_text(_tmy3_text(bad_row=5, bad="-9900"))
    e = _refusal(str(path))
    assert "line 8" in str(e) and "dry-bulb" in str(e)
    path = tmp_path / "meta.csv"
    path.write_text("723340,TESTVILLE\n" + _tmy3_text().split("\n", 1)[1])
    assert "TMY3 metadata" in str(_refusal(str(path)))
    path = tmp_path / "cols.csv"
    path.write_text(_tmy3_text().replace("Dew-point (C)", "Dew (C)"))
    e = _refusal(str(path))
    assert "line 2" in str(e) and "'Dew-point (C)'" in str(e)
    path = tmp_path / "fields.csv"
    text = _tmy3_text().splitlines()
    text[10] = "01/01/1990,09:00,20.0"
    path.write_text("\n".join(text) + "\n")
    e = _refusal(str(path))
    assert "line 11" in str(e) and "expected 5 comma-separated fields" in str(e)


def _day_peaks(event: HeatWave, year: int = 2023) -> np.ndarray:
    days = 366 if year % 4 == 0 else 365
    # on a day at 0 °C the lift at 15:00 is the event's line for that day
    return heatwave_lift_k(year, event, np.zeros(days * 24)).reshape(-1, 24)[:, 15]


def test_heatwave_line_reaches_the_threshold_on_its_farther_end() -> None:
    """The line falls from the peak to the threshold over the longer side of the event (``reach``)."""
    # peak on the 3rd of 10 days: 7 days after it, the last day is at the threshold
    early = HeatWave(month=6, first_day=1, days=10, peak_day=3, threshold_c=30.0, peak_c=37.0)
    peaks = _day_peaks(early)
    june1 = 31 + 28 + 31 + 30 + 31
    assert peaks[june1 + 2] == pytest.approx(37.0, abs=1e-9)
    assert peaks[june1 + 9] == pytest.approx(30.0, abs=1e-9)
    assert peaks[june1] == pytest.approx(37.0 - 7.0 * 2 / 7, abs=1e-9)  # 2 days before the peak: 35 °C
    # peak on the 8th of 10 days: the first day is at the threshold
    late = HeatWave(month=6, first_day=1, days=10, peak_day=8, threshold_c=30.0, peak_c=37.0)
    peaks = _day_peaks(late)
    assert peaks[june1] == pytest.approx(30.0, abs=1e-9)
    assert peaks[june1 + 9] == pytest.approx(37.0 - 7.0 * 2 / 7, abs=1e-9)
    # two days, the first the hottest: the second at the threshold
    two = HeatWave(month=6, first_day=1, days=2, peak_day=1, threshold_c=30.0, peak_c=36.0)
    peaks = _day_peaks(two)
    assert peaks[june1 + 1] == pytest.approx(30.0, abs=1e-9)


def test_heatwave_on_new_years_day() -> None:
    first = HeatWave(month=1, first_day=1, days=2, peak_day=1, threshold_c=20.0, peak_c=25.0)
    peaks = _day_peaks(first)
    assert peaks[0] == pytest.approx(25.0, abs=1e-9)
    assert peaks[1] == pytest.approx(20.0, abs=1e-9)


def _where(path) -> tuple[str | None, str | None, str]:
    with pytest.raises(InputError) as err:
        read_weather_file(path)
    return err.value.file, err.value.field, err.value.expected


def test_tmy3_refusals_name_the_file_the_line_and_what_was_expected(tmp_path) -> None:
    good = _tmy3_text().splitlines()
    cases = [
        (
            ["723340,TESTVILLE,TN,-6.0,35.07,-89.98", *good[1:]],
            "line 1",
            "expected TMY3 metadata 'USAF,name,state,time zone,lat,lon,elevation'",
        ),
        (
            ["723340,TESTVILLE,TN,UTC-6,35.07,-89.98,81", *good[1:]],
            "line 1",
            "expected a number for the time zone, got 'UTC-6'",
        ),
        (
            ["723340,TESTVILLE,TN,-6.0,35.07,-89.98,high", *good[1:]],
            "line 1",
            "expected a number for the elevation, got 'high'",
        ),
        (good[:1], "line 2", "expected a TMY3 column header with 'Dry-bulb (C)'"),
        (good[:2] + good[3:], None, "expected 8760 hourly data lines, found 8759"),
    ]
    bad_dew = list(good)
    bad_dew[9] = bad_dew[9].replace(",5.0,", ",-9900,")
    cases.append((bad_dew, "line 10", "expected a dew point in -70..60 °C, got -9900"))
    bad_db = list(good)
    parts = bad_db[4].split(",")
    parts[2] = "hot"
    bad_db[4] = ",".join(parts)
    cases.append((bad_db, "line 5", "expected a number for the dry-bulb, got 'hot'"))
    short = list(good)
    short[6] = "01/01/1990,05:00"
    cases.append((short, "line 7", "expected 5 comma-separated fields"))
    for i, (lines, field, expected) in enumerate(cases):
        path = tmp_path / f"bad{i}.csv"
        path.write_text("\n".join(lines) + "\n")
        assert _where(path) == (str(path), field, expected)


def test_epw_refusals_name_the_file_the_line_and_what_was_expected(tmp_path) -> None:
    hours = np.arange(HOURS_PER_TYPICAL_YEAR)
    good = _epw_text(20.0 + 0 * hours, 10.0 + 0 * hours, 100_000.0).splitlines()
    header = "LOCATION,city,state,country,source,WMO,lat,lon,time zone,elevation"
    cases = [
        (["PLACE" + good[0][8:], *good[1:]], "line 1", f"expected an EPW header '{header}'"),
        (
            [good[0].replace(",81.0", ",tall"), *good[1:]],
            "line 1",
            "expected a number for the elevation, got 'tall'",
        ),
        (
            good[:-1],
            None,
            "expected 8760 hourly data lines after the 8-line header, found 8759",
        ),
    ]
    bad_dew = list(good)
    parts = bad_dew[12].split(",")
    parts[7] = "99.9"
    bad_dew[12] = ",".join(parts)
    cases.append((bad_dew, "line 13", "expected a dew point in -70..60 °C, got 99.9"))
    bad_db = list(good)
    parts = bad_db[12].split(",")
    parts[6] = "inf"
    bad_db[12] = ",".join(parts)
    cases.append((bad_db, "line 13", "expected a finite number for the dry-bulb"))
    short = list(good)
    short[8] = "1990,1,1,1,60,x,20.0,10.0"
    fields = "(year, month, day, hour, minute, flags, dry-bulb, dew point, RH, pressure)"
    cases.append((short, "line 9", f"expected at least 10 comma-separated fields {fields}"))
    for i, (lines, field, expected) in enumerate(cases):
        path = tmp_path / f"bad{i}.epw"
        path.write_text("\n".join(lines) + "\n")
        assert _where(path) == (str(path), field, expected)
    missing = tmp_path / "gone.epw"
    assert _where(missing) == (
        str(missing),
        None,
        "weather file not found (expected an EPW or TMY3 CSV file)",
    )


def test_tabulated_wetbulb_at_the_table_corners_is_exact() -> None:
    """The table spans -45..60 °C dry-bulb and -50..35 °C dew point: its corner cells interpolate between
    their own grid points, and inputs beyond are held at the edge."""
    p = ROUNDED_SEA_LEVEL_PA
    cases = [
        (-45.0, -50.0, wetbulb_exact_c(-45.0, -50.0, p)),
        (-60.0, -70.0, wetbulb_exact_c(-45.0, -50.0, p)),
        (60.0, 20.0, wetbulb_exact_c(60.0, 20.0, p)),
        (60.0, 35.0, wetbulb_exact_c(60.0, 35.0, p)),
        (-44.5, -50.0, 0.5 * (wetbulb_exact_c(-45.0, -50.0, p) + wetbulb_exact_c(-44.0, -50.0, p))),
        (59.5, 20.0, 0.5 * (wetbulb_exact_c(59.0, 20.0, p) + wetbulb_exact_c(60.0, 20.0, p))),
    ]
    for db, dew, expected in cases:
        assert wetbulb_c(np.array([db]), np.array([dew]), SEA_LEVEL_PA)[0] == pytest.approx(
            expected, abs=1e-9
        )


def test_leap_year_epw_drops_29_february(tmp_path) -> None:
    n = HOURS_PER_TYPICAL_YEAR + 24
    day = np.arange(n) // 24
    db = np.where(day == 59, 40.0, 10.0 + (day % 7))  # 29 February (day 59 of 2024) is 40 °C
    path = tmp_path / "leap.epw"
    path.write_text(_epw_text(db, db - 5.0, 100_000.0, year=2024))
    found = read_weather_file(path)
    assert len(found.year.drybulb_c) == HOURS_PER_TYPICAL_YEAR
    assert max(found.year.drybulb_c) < 40.0
    kept = np.concatenate((db[: 59 * 24], db[60 * 24 :]))
    np.testing.assert_allclose(found.year.drybulb_c, np.roll(kept, 1))
    # one day more or less than a year: refused
    short = tmp_path / "short.epw"
    short.write_text(_epw_text(db[:-1], db[:-1] - 5.0, 100_000.0, year=2024))
    assert "found 8783" in str(_refusal(str(short)))
    long = tmp_path / "long.epw"
    extra = np.concatenate((db, db[:1]))
    long.write_text(_epw_text(extra, extra - 5.0, 100_000.0, year=2024))
    assert "found 8785" in str(_refusal(str(long)))


def test_epw_time_zone_refusal_names_its_field(tmp_path) -> None:
    hours = np.arange(HOURS_PER_TYPICAL_YEAR)
    lines = _epw_text(20.0 + 0 * hours, 10.0 + 0 * hours, 100_000.0).splitlines()
    lines[0] = lines[0].replace("-6.0", "CST")
    path = tmp_path / "tz.epw"
    path.write_text("\n".join(lines) + "\n")
    assert _where(path) == (str(path), "line 1", "expected a number for the time zone, got 'CST'")


def test_weather_file_pressure_outside_plausible_values_falls_back_to_sea_level(tmp_path) -> None:
    hours = np.arange(HOURS_PER_TYPICAL_YEAR)
    path = tmp_path / "nopressure.epw"
    path.write_text(_epw_text(20.0 + 0 * hours, 10.0 + 0 * hours, 999_999.0))
    assert read_weather_file(path).year.pressure_pa == pytest.approx(101_325.0)


def test_quantile_map_skips_large_fractions_and_extrapolates_the_last_segment() -> None:
    temps = np.linspace(0.0, 30.0, 10_001)
    # a point above the calibrated share is skipped, the ones after it still apply
    mapped = quantile_map(temps, ((0.2, 50.0), (0.01, 35.0), (0.004, 36.5)))
    assert np.quantile(mapped, 0.99) == pytest.approx(35.0, abs=1e-6)
    assert np.quantile(mapped, 0.996) == pytest.approx(36.5, abs=1e-6)
    # beyond the last point: the slope of the last segment (1 % -> 0.4 %), not of the first
    x1, x2 = np.quantile(temps, 0.99), np.quantile(temps, 0.996)
    slope = (36.5 - 35.0) / (x2 - x1)
    assert mapped[-1] == pytest.approx(36.5 + slope * (30.0 - x2), abs=1e-6)
