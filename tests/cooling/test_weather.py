"""Issue 15: the synthetic weather hits the site's design statistics, the heat event is laid on as sourced,
the wet-bulb is psychrolib's, and a typical-year EPW file is read with pvlib."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.cooling.config import SiteConfig
from megacluster.cooling.psychrometrics import standard_pressure_pa, wetbulb_c, wetbulb_exact_c
from megacluster.cooling.weather import (
    HOURS_PER_TYPICAL_YEAR,
    heatwave_lift_k,
    quantile_map,
    synthetic_year,
    to_calendar_year,
    weather_at,
)
from megacluster.cooling.weatherfile import read_weather_file
from megacluster.errors import InputError

from .epw_fixture import memphis_design_year, write_epw

MEMPHIS = SiteConfig(climate="memphis").normals()


def test_synthetic_year_hits_the_memphis_design_statistics() -> None:
    """ASHRAE 2009 Memphis: 1 % 34.4 °C, 0.4 % 35.6 °C, mean annual maximum 37.0 °C (facts-regions.md 4.1,
    8.1)."""
    db, dew = synthetic_year(MEMPHIS, 2023)
    assert db.size == HOURS_PER_TYPICAL_YEAR
    assert np.quantile(db, 0.99) == pytest.approx(34.4, abs=0.5)
    assert np.quantile(db, 0.996) == pytest.approx(35.6, abs=0.5)
    assert db.max() == pytest.approx(37.0, abs=1.0)
    assert np.all(dew <= db + 1e-9)
    # the old smooth sine peaked at 33.5 °C (the July normal): the synthetic year has real heat
    assert db.max() > 33.5 + 2.0


def test_synthetic_wetbulb_matches_the_coincident_and_evaporation_design_values() -> None:
    db, dew = synthetic_year(MEMPHIS, 2023)
    wb = wetbulb_c(db, dew, standard_pressure_pa(MEMPHIS.elevation_m))
    near = np.abs(db - 35.6) <= 1.0
    assert float(wb[near].mean()) == pytest.approx(25.2, abs=0.5)  # mean coincident wet-bulb at 0.4 %
    assert float(np.quantile(wb, 0.996)) == pytest.approx(26.8, abs=0.5)  # 0.4 % evaporation wet-bulb


def test_synthetic_weather_has_day_to_day_spells() -> None:
    """Not a smooth sine: July daily maxima vary by several kelvin from day to day."""
    db, _ = synthetic_year(MEMPHIS, 2023)
    july = db.reshape(-1, 24)[181:212].max(axis=1)
    assert july.std() > 1.0
    assert july.max() - july.min() > 4.0


def test_psychrolib_table_agrees_with_psychrolib() -> None:
    rng = np.random.default_rng(3)
    db = rng.uniform(-10.0, 42.0, 40)
    dew = db - rng.uniform(0.0, 25.0, 40)
    p = standard_pressure_pa(81.0)
    table = wetbulb_c(db, dew, p)
    exact = np.array([wetbulb_exact_c(float(a), float(b), p) for a, b in zip(db, dew, strict=True)])
    assert np.max(np.abs(table - exact)) < 0.05
    assert np.all(table <= db + 1e-9) and np.all(table >= np.minimum(dew, db) - 0.05)


def test_known_wetbulb() -> None:
    """ASHRAE psychrometric chart: 35 °C dry-bulb, 20 °C dew point at sea level -> wet-bulb about 24.3 °C."""
    assert wetbulb_exact_c(35.0, 20.0, 101_325.0) == pytest.approx(24.3, abs=0.2)
    assert standard_pressure_pa(0.0) == pytest.approx(101_325.0, rel=1e-6)


def test_heatwave_reaches_the_sourced_peak_on_its_days() -> None:
    event = SiteConfig(climate="memphis", heatwave=True).normals().heatwave
    assert event is not None
    db, _ = synthetic_year(MEMPHIS, 1980)
    lifted = db + heatwave_lift_k(1980, event, db)
    days = lifted.reshape(-1, 24).max(axis=1)
    july6 = 31 + 29 + 31 + 30 + 31 + 30 + 5  # 1980 is a leap year
    event_days = days[july6 : july6 + event.days]
    assert np.all(event_days >= event.threshold_c - 0.3)  # every day above 100 °F
    assert event_days.max() == pytest.approx(event.peak_c, abs=0.3)  # 108 °F on 13 July
    outside = np.r_[0 : july6 - 1, july6 + event.days + 1 : days.size]
    assert np.allclose(lifted.reshape(-1, 24).max(axis=1)[outside], db.reshape(-1, 24).max(axis=1)[outside])


def test_quantile_map_is_monotone_and_hits_points() -> None:
    temps = np.linspace(0.0, 30.0, 10_001)
    out = quantile_map(temps, ((0.01, 34.0), (0.004, 36.0)))
    assert np.all(np.diff(out) >= 0)
    assert np.quantile(out, 0.99) == pytest.approx(34.0, abs=0.05)
    assert np.quantile(out, 0.996) == pytest.approx(36.0, abs=0.05)
    assert np.array_equal(out[:9000], temps[:9000])  # the cool 95 % untouched


def test_leap_year_repeats_february_28() -> None:
    typical = np.arange(HOURS_PER_TYPICAL_YEAR, dtype=float)
    leap = to_calendar_year(typical, 2024)
    assert leap.size == HOURS_PER_TYPICAL_YEAR + 24
    feb28 = 58 * 24
    assert np.array_equal(leap[feb28 : feb28 + 24], leap[feb28 + 24 : feb28 + 48])
    assert np.array_equal(to_calendar_year(typical, 2023), typical)
    with pytest.raises(ValueError):
        to_calendar_year(typical[:100], 2023)


def test_epw_file_is_read_hour_by_hour(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, dew = memphis_design_year()
    path = write_epw(tmp_path / "memphis.epw", db, dew)
    found = read_weather_file(path)
    assert found.utc_offset_h == -6.0 and found.elevation_m == 81.0
    # EPW rows are hour-ending: row 1 (01:00) is the hour starting 00:00
    assert found.year.drybulb_c[1] == pytest.approx(db[0], abs=0.05)
    assert found.year.drybulb_c[100] == pytest.approx(db[99], abs=0.05)
    assert found.year.pressure_pa == pytest.approx(100_360.0, abs=1.0)
    times = np.datetime64("2023-01-01T00:00") + np.arange(HOURS_PER_TYPICAL_YEAR) * np.timedelta64(1, "h")
    w = weather_at(times, MEMPHIS, found.year)
    assert w.source == "memphis.epw"
    assert w.drybulb_c.max() == pytest.approx(db.max(), abs=0.05)
    assert np.all(w.wetbulb_c <= w.drybulb_c + 1e-9)


def test_bad_epw_names_the_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, dew = memphis_design_year()
    path = write_epw(tmp_path / "bad.epw", db, dew)
    lines = path.read_text().splitlines()
    parts = lines[20].split(",")
    parts[6] = "hot"
    lines[20] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 21"):
        read_weather_file(path)
    short = tmp_path / "short.epw"
    short.write_text("\n".join(lines[:100]) + "\n")
    with pytest.raises(InputError, match="8760"):
        read_weather_file(short)
    with pytest.raises(InputError, match="not found"):
        read_weather_file(tmp_path / "missing.epw")


def test_heatwave_switch_reaches_the_engine() -> None:
    """``--heatwave`` sets ``[site] heatwave``: the engine's weather for July 2024 peaks at 108 °F."""
    from megacluster.engine.site import site_weather
    from megacluster.scenario.load import load_scenario

    times = np.datetime64("2024-07-01T00:00") + np.arange(31 * 24) * np.timedelta64(1, "h")
    hot = site_weather(load_scenario("colossus-2024", {"site.heatwave": True}), times)
    plain = site_weather(load_scenario("colossus-2024"), times)
    assert hot.heatwave.startswith("Memphis, July 1980") and plain.heatwave == ""
    assert hot.drybulb_c.max() == pytest.approx(42.2, abs=0.3)
    assert plain.drybulb_c.max() < 40.0
    assert np.all(hot.drybulb_c >= plain.drybulb_c - 1e-9)


def test_the_wetbulb_table_filled_on_demand_equals_the_whole_table() -> None:
    """The table's cells are computed when an interpolation first reads them: the answers are those of the
    table computed whole (every cell straight from psychrolib), and only the cells read are computed."""
    from megacluster.cooling import constants as k
    from megacluster.cooling import psychrometrics

    pressure = 99_300.0  # a pressure no other test uses: a fresh table
    psychrometrics._table.cache_clear()
    rng = np.random.default_rng(4)
    db = rng.uniform(-5.0, 42.0, 300)
    dew = db - rng.exponential(8.0, 300)
    got = wetbulb_c(db, dew, pressure)
    table = psychrometrics._table(pressure)
    filled = np.argwhere(~np.isnan(table.values))
    assert 0 < len(filled) < table.values.size
    whole = np.array(
        [
            [t if d >= t else wetbulb_exact_c(float(t), float(d), pressure) for d in table.dew]
            for t in table.db
        ]
    )
    np.testing.assert_array_equal(table.values[~np.isnan(table.values)], whole[~np.isnan(table.values)])
    # the bilinear interpolation on the whole table, as computed before the table was filled on demand
    dbc = np.clip(db, table.db[0], table.db[-1])
    dwc = np.clip(np.minimum(dew, dbc), table.dew[0], table.dew[-1])
    fi, fj = (dbc - table.db[0]) / k.PSYCHRO_STEP_K, (dwc - table.dew[0]) / k.PSYCHRO_STEP_K
    i = np.clip(np.floor(fi).astype(np.int64), 0, table.db.size - 2)
    j = np.clip(np.floor(fj).astype(np.int64), 0, table.dew.size - 2)
    u, v = fi - i, fj - j
    expected = (
        whole[i, j] * (1 - u) * (1 - v)
        + whole[i + 1, j] * u * (1 - v)
        + whole[i, j + 1] * (1 - u) * v
        + whole[i + 1, j + 1] * u * v
    )
    np.testing.assert_array_equal(got, np.minimum(expected, dbc))
