"""Hourly climate from monthly normals."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster import catalog
from megacluster.cooling.climate import diurnal_shape, hourly_ambient_c, seasonal_normal, wetbulb_c


def test_diurnal_shape_extremes() -> None:
    assert float(diurnal_shape(np.array([6.0]))[0]) == pytest.approx(0.0)
    assert float(diurnal_shape(np.array([15.0]))[0]) == pytest.approx(1.0)
    h = np.linspace(0, 24, 24 * 60, endpoint=False)
    s = diurnal_shape(h)
    assert s.min() >= 0 and s.max() <= 1
    assert np.abs(np.diff(s)).max() < 0.01  # continuous, also across midnight


def test_mid_july_memphis() -> None:
    mem = catalog.climates()["memphis"]
    t = np.datetime64("2024-07-16T15:00", "s") + np.array([0, 15 * 3600]) * np.timedelta64(1, "s")
    temps = hourly_ambient_c(t, mem.tmax_c, mem.tmin_c)
    assert temps[0] == pytest.approx(33.5, abs=0.2)  # afternoon max ~ July normal
    assert temps[1] == pytest.approx(23.2, abs=0.2)  # next morning min


def test_seasonal_normal_hits_mid_month_values() -> None:
    vals = tuple(float(i) for i in range(12))
    assert float(seasonal_normal(np.array([15.5]), vals)[0]) == pytest.approx(0.0)
    assert float(seasonal_normal(np.array([196.5]), vals)[0]) == pytest.approx(6.0)
    with pytest.raises(ValueError):
        seasonal_normal(np.array([1.0]), (1.0, 2.0))


def test_wetbulb_exact_at_design() -> None:
    assert float(wetbulb_c(np.array([34.4]), 34.4, 24.9)[0]) == pytest.approx(24.9)
    assert float(wetbulb_c(np.array([-5.0]), 34.4, 24.9)[0]) == pytest.approx(-5.0)


def test_day_and_hour_of_the_year() -> None:
    from megacluster.cooling.climate import day_of_year, hour_of_day

    t = np.array(
        ["2024-01-01T00:00", "2024-01-02T12:00", "2024-12-31T18:00", "2025-03-01T13:30"],
        dtype="datetime64[s]",
    )
    assert day_of_year(t).tolist() == pytest.approx([0.0, 1.5, 365.75, 59.0 + 13.5 / 24])
    assert hour_of_day(t).tolist() == pytest.approx([0.0, 12.0, 18.0, 13.5])
    # coarser inputs are read at second resolution
    assert day_of_year(np.array(["2024-02-01"], dtype="datetime64[D]")).tolist() == [31.0]


def test_seasonal_normal_interpolates_and_wraps_the_year() -> None:
    vals = tuple(float(10 * i) for i in range(12))  # 0, 10, ..., 110 (December)
    # halfway between mid-January (15.5) and mid-February (45.0)
    assert float(seasonal_normal(np.array([30.25]), vals)[0]) == pytest.approx(5.0)
    # New Year lies halfway between mid-December (349.5 - 365) and mid-January: (110 + 0) / 2
    assert float(seasonal_normal(np.array([0.0]), vals)[0]) == pytest.approx(55.0)
    assert float(seasonal_normal(np.array([360.0]), vals)[0]) == pytest.approx(110.0 - 110.0 * 10.5 / 31.0)
    # a leap year's last day wraps around like the first
    assert float(seasonal_normal(np.array([365.0]), vals)[0]) == pytest.approx(55.0)
    with pytest.raises(ValueError, match=r"^expected 12 monthly values, January to December$"):
        seasonal_normal(np.array([1.0]), tuple(range(13)))


def test_diurnal_shape_between_the_extremes() -> None:
    # rising half-cosine from 06:00 to 15:00, falling one over the 15 h to the next 06:00
    s = diurnal_shape(np.array([10.5, 3.0, 22.5, 0.0]))
    assert s.tolist() == pytest.approx(
        [0.5, 0.5 * (1 + np.cos(np.pi * 12 / 15)), 0.5, 0.5 * (1 + np.cos(np.pi * 9 / 15))]
    )
    # another daily cycle: minimum at 4:00, maximum at 16:00
    assert diurnal_shape(np.array([4.0, 10.0, 16.0, 22.0]), 4.0, 16.0).tolist() == pytest.approx(
        [0, 0.5, 1, 0.5]
    )


def test_hourly_ambient_between_the_normals() -> None:
    # flat normals of 30/20 °C: the minimum at 06:00, the maximum at 15:00, the mean halfway between
    t = np.array(["2024-05-10T06:00", "2024-05-10T10:30", "2024-05-10T15:00"], dtype="datetime64[s]")
    temps = hourly_ambient_c(t, (30.0,) * 12, (20.0,) * 12)
    assert temps.tolist() == pytest.approx([20.0, 25.0, 30.0])


def test_wetbulb_scales_the_design_depression() -> None:
    # Memphis design 34.4 / 24.9 °C: a 9.5 K depression; at half the design dry-bulb half of it
    assert float(wetbulb_c(np.array([17.2]), 34.4, 24.9)[0]) == pytest.approx(17.2 - 4.75)
    # above the design dry-bulb the full depression holds
    assert float(wetbulb_c(np.array([40.0]), 34.4, 24.9)[0]) == pytest.approx(30.5)
    # a wet-bulb above the dry-bulb gives no depression; a design dry-bulb at 0 °C no scale
    assert float(wetbulb_c(np.array([20.0]), 30.0, 35.0)[0]) == 20.0
    assert float(wetbulb_c(np.array([5.0]), 0.0, -5.0)[0]) == pytest.approx(0.0)
    # a design dry-bulb of 0.5 °C still scales: a quarter degree is half of it
    assert float(wetbulb_c(np.array([0.25]), 0.5, 0.0)[0]) == pytest.approx(0.0)
