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
