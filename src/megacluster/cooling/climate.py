"""Hourly ambient temperature from monthly normals: pure, vectorised functions."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster.cooling import constants as k
from megacluster.units import DAYS_PER_YEAR, HOURS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

_MONTH_MID_DAY = np.array([15.5, 45.0, 74.5, 105.0, 135.5, 166.0, 196.5, 227.5, 258.0, 288.5, 319.0, 349.5])
"""Day of year (0-based, non-leap) of each month's middle. [d]"""


def day_of_year(times: npt.NDArray[np.datetime64]) -> FloatArray:
    """Fractional day of the year, 0 at 1 January 00:00. [d]"""
    t = times.astype("datetime64[s]")
    year_start = t.astype("datetime64[Y]").astype("datetime64[s]")
    return np.asarray((t - year_start).astype(np.float64) / SECONDS_PER_DAY, dtype=np.float64)


def hour_of_day(times: npt.NDArray[np.datetime64]) -> FloatArray:
    """Fractional hour of the day (local standard time). [h]"""
    t = times.astype("datetime64[s]")
    day_start = t.astype("datetime64[D]").astype("datetime64[s]")
    return np.asarray((t - day_start).astype(np.float64) / SECONDS_PER_HOUR, dtype=np.float64)


def seasonal_normal(doy: FloatArray, monthly: tuple[float, ...] | FloatArray) -> FloatArray:
    """A monthly normal interpolated over the year (periodic, linear between mid-months). [same unit]"""
    values = np.asarray(monthly, dtype=np.float64)
    if values.shape != (12,):
        raise ValueError("expected 12 monthly values, January to December")
    december_before = _MONTH_MID_DAY[-1] - DAYS_PER_YEAR
    january_after = _MONTH_MID_DAY[0] + DAYS_PER_YEAR
    xp = np.concatenate(([december_before], _MONTH_MID_DAY, [january_after]))
    fp = np.concatenate(([values[-1]], values, [values[0]]))
    return np.asarray(np.interp(np.mod(doy, DAYS_PER_YEAR), xp, fp), dtype=np.float64)


def diurnal_shape(
    hour: FloatArray, hour_min: float = k.HOUR_OF_TMIN, hour_max: float = k.HOUR_OF_TMAX
) -> FloatArray:
    """Position in the daily cycle: 0 at the daily minimum, 1 at the maximum (two half-cosines). [-]"""
    h = np.asarray(hour, dtype=np.float64)
    rise_len = hour_max - hour_min
    fall_len = HOURS_PER_DAY - rise_len
    rising = (h >= hour_min) & (h < hour_max)
    since_max = np.mod(h - hour_max, HOURS_PER_DAY)
    shape_rise = 0.5 * (1.0 - np.cos(np.pi * (h - hour_min) / rise_len))
    shape_fall = 0.5 * (1.0 + np.cos(np.pi * since_max / fall_len))
    return np.where(rising, shape_rise, shape_fall)


def hourly_ambient_c(
    times: npt.NDArray[np.datetime64], tmax_c: tuple[float, ...], tmin_c: tuple[float, ...]
) -> FloatArray:
    """Dry-bulb temperature at each time from monthly normals of daily max/min with a daily cycle. [°C]"""
    doy = day_of_year(times)
    hi = seasonal_normal(doy, tmax_c)
    lo = seasonal_normal(doy, tmin_c)
    return lo + (hi - lo) * diurnal_shape(hour_of_day(times))


def wetbulb_c(drybulb_c: FloatArray, design_drybulb_c: float, design_wetbulb_c: float) -> FloatArray:
    """Wet-bulb: the design depression scaled by dry-bulb / design dry-bulb (none at or below 0 °C). [°C]

    [A] a stand-in for missing humidity normals (facts-plant.md 1: NOT FOUND); exact at the design point.
    """
    depression = max(design_drybulb_c - design_wetbulb_c, 0.0)
    scale = np.clip(np.asarray(drybulb_c) / max(design_drybulb_c, 1e-9), 0.0, 1.0)
    return np.asarray(drybulb_c - depression * scale, dtype=np.float64)
