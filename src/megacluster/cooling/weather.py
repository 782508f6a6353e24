"""The site's weather at every step: dry-bulb, dew point and wet-bulb, from a typical-year weather file or
from a synthetic generator calibrated to the site's design statistics, with an optional sourced heat wave on
top.

Synthetic weather (no file): the monthly normals' smooth daily cycle (``climate.hourly_ambient_c``) plus a
day-to-day anomaly (an AR(1) process: warm and cold spells of a few days), then a quantile map of the hottest
5 % of the year's hours onto the ASHRAE points the climate gives — 1 % and 0.4 % dry-bulb, and the mean annual
maximum — so that the hottest hours are right in every simulated year. The dew point follows the day's minimum
temperature, lowered by a depression calibrated so that the mean wet-bulb of the hours at the design dry-bulb
is the ASHRAE mean coincident wet-bulb. Wet-bulb from psychrolib (``psychrometrics.py``).

A typical year (from a file or the generator) covers 1 January 00:00 to 31 December 23:00 of a non-leap year;
a leap year repeats 28 February. Every function here is pure; the yearly weather is cached per site and year.
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.cooling import constants as k
from megacluster.cooling.climate import hourly_ambient_c
from megacluster.cooling.config import ClimateNormals, HeatWave
from megacluster.cooling.psychrometrics import standard_pressure_pa, wetbulb_c
from megacluster.units import HOURS_PER_DAY, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

HOURS_PER_TYPICAL_YEAR = 8760
"""Hours of a typical (non-leap) year. [h]"""

DAY_H = int(HOURS_PER_DAY)
"""Hours of a day, as an integer count. [h]"""

HOUR_S = int(SECONDS_PER_HOUR)
"""Seconds of an hour, as an integer count. [s]"""

BISECTIONS = 20
"""Halvings of each humidity calibration's bracket (35 K / 2^20 = 3e-5 K for the dew-point depression)."""


@dataclass(frozen=True)
class TypicalYear:
    """Hourly weather of a typical year read from a file: hour ``h`` starts at 1 January 00:00 + h hours."""

    drybulb_c: tuple[float, ...]
    """Dry-bulb at each hour. [°C]"""
    dewpoint_c: tuple[float, ...]
    """Dew point at each hour. [°C]"""
    pressure_pa: float
    """Mean air pressure. [Pa]"""
    source: str
    """Where it came from (the file)."""


@dataclass(frozen=True)
class Weather:
    """The weather at each step of a run."""

    drybulb_c: FloatArray
    """Dry-bulb temperature. [°C]"""
    wetbulb_c: FloatArray
    """Wet-bulb temperature. [°C]"""
    dewpoint_c: FloatArray
    """Dew point. [°C]"""
    source: str
    """'synthetic (…)' or the weather file."""
    heatwave: str = ""
    """The heat event laid on top ('' for none)."""


def _year_hours(year: int) -> npt.NDArray[np.datetime64]:
    start = np.datetime64(f"{year:04d}-01-01T00:00", "s")
    days = 366 if _is_leap(year) else 365
    return start + np.arange(days * DAY_H) * np.timedelta64(HOUR_S, "s")


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def to_calendar_year(values: npt.ArrayLike, year: int) -> FloatArray:
    """A typical (8,760-hour) series laid on a calendar year: a leap year repeats 28 February. [same unit]"""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size != HOURS_PER_TYPICAL_YEAR:
        raise ValueError(f"a typical year has {HOURS_PER_TYPICAL_YEAR} hours, got {arr.size}")
    if not _is_leap(year):
        return arr
    feb28 = 58 * DAY_H
    return np.concatenate((arr[: feb28 + DAY_H], arr[feb28 : feb28 + DAY_H], arr[feb28 + 24 :]))


def _anomaly_k(n_hours: int, seed: list[int]) -> FloatArray:
    """Day-to-day anomaly at each hour: an AR(1) of daily values (lag-1 ``ANOMALY_LAG1``, standard deviation
    ``ANOMALY_SD_K``), interpolated between days' middles. [K]"""
    rng = np.random.default_rng(seed)
    days = n_hours // DAY_H + 2
    shocks = rng.standard_normal(days)
    phi = k.ANOMALY_LAG1
    daily = np.empty(days)
    daily[0] = shocks[0] * k.ANOMALY_SD_K
    scale = np.sqrt(1.0 - phi * phi) * k.ANOMALY_SD_K
    for d in range(1, days):
        daily[d] = phi * daily[d - 1] + scale * shocks[d]
    mids = (np.arange(days) - 0.5) * DAY_H
    return np.asarray(np.interp(np.arange(n_hours) + 0.5, mids, daily), dtype=np.float64)


def quantile_map(temps_c: FloatArray, points: tuple[tuple[float, float], ...]) -> FloatArray:
    """The series with its hottest hours mapped onto design points (exceedance fraction, dry-bulb): linear
    between the untouched coolest ``1 - CALIBRATION_FROM_FRACTION`` of the hours and each point, order kept.
    [°C]"""
    if not points or temps_c.size == 0:
        return temps_c
    anchor = float(np.quantile(temps_c, 1.0 - k.CALIBRATION_FROM_FRACTION))
    xs, ys = [anchor], [anchor]
    for fraction, target in sorted(points, key=lambda p: -p[0]):
        if fraction >= k.CALIBRATION_FROM_FRACTION:
            continue
        x = float(np.quantile(temps_c, 1.0 - fraction))
        if x <= xs[-1]:
            continue
        xs.append(x)
        ys.append(max(target, ys[-1] + 1e-3))
    if len(xs) == 1:
        return temps_c
    slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    mapped = np.array(temps_c, dtype=np.float64)
    hot = temps_c > anchor
    mapped[hot] = np.interp(temps_c[hot], xs, ys)
    above = temps_c > xs[-1]
    mapped[above] = ys[-1] + slope * (temps_c[above] - xs[-1])
    return mapped


def _daily_min(temps_c: FloatArray) -> FloatArray:
    """Each hour's day minimum. [°C]"""
    days = temps_c.reshape(-1, DAY_H).min(axis=1)
    return np.asarray(np.repeat(days, DAY_H), dtype=np.float64)


def dew_depression_k(
    drybulb_c: FloatArray, day_min_c: FloatArray, pair: tuple[float, float], pressure_pa: float
) -> float:
    """Depression of the dew point below ``day_min_c`` that gives, over the hours within 1 K of the design
    dry-bulb (else the hottest 0.4 %), a mean wet-bulb equal to the mean coincident wet-bulb. [K]"""
    design_db, design_wb = pair
    near = np.abs(drybulb_c - design_db) <= 1.0
    if near.sum() < 3:
        near = drybulb_c >= np.quantile(drybulb_c, 0.996)
    db, lows = drybulb_c[near], day_min_c[near]
    lo, hi = k.DEW_OFFSET_RANGE_K
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        wb = float(np.mean(wetbulb_c(db, np.minimum(lows - mid, db), pressure_pa)))
        if wb > design_wb:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def humid_dewpoint_c(
    drybulb_c: FloatArray, day_min_c: FloatArray, climate: ClimateNormals, seed: list[int], pressure_pa: float
) -> FloatArray:
    """Dew point at each hour: the day's minimum plus a day-to-day humidity anomaly (an AR(1) like the
    temperature's, its size calibrated so the wet-bulb exceeded 0.4 % of the hours is the ASHRAE evaporation
    design wet-bulb, where the climate gives it), less the depression that matches the mean coincident
    wet-bulb (:func:`dew_depression_k`). [°C]"""
    pair = climate.coincident_pair_c() or climate.design_pair_c()
    shape = _anomaly_k(drybulb_c.size, [*seed, 1]) / k.ANOMALY_SD_K

    def dew_for(size_k: float) -> FloatArray:
        lows = day_min_c + size_k * shape
        depression = dew_depression_k(drybulb_c, lows, pair, pressure_pa)
        return np.asarray(np.minimum(lows - depression, drybulb_c), dtype=np.float64)

    target = climate.wetbulb_evap_0p4_c
    if target is None:
        return dew_for(0.0)
    lo, hi = 0.0, k.HUMIDITY_ANOMALY_MAX_K
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        wb = wetbulb_c(drybulb_c, dew_for(mid), pressure_pa)
        if float(np.quantile(wb, 0.996)) < target:
            lo = mid
        else:
            hi = mid
    return dew_for(0.5 * (lo + hi))


def _site_seed(climate: ClimateNormals, year: int) -> list[int]:
    key = repr((climate.tmax_c, climate.tmin_c, climate.design_drybulb_c)).encode("utf-8")
    return [k.WEATHER_SEED, year, zlib.crc32(key)]


@functools.lru_cache(maxsize=32)
def synthetic_year(climate: ClimateNormals, year: int) -> tuple[FloatArray, FloatArray]:
    """(dry-bulb, dew point) at each hour of a calendar year, calibrated to the climate's design statistics.
    [°C]"""
    hours = _year_hours(year)
    base = hourly_ambient_c(hours, climate.tmax_c, climate.tmin_c)
    raw = base + _anomaly_k(hours.size, _site_seed(climate, year))
    temps = quantile_map(raw, climate.hot_points_c())
    pressure = standard_pressure_pa(climate.elevation_m)
    dew = humid_dewpoint_c(temps, _daily_min(temps), climate, _site_seed(climate, year), pressure)
    temps.setflags(write=False)
    dew.setflags(write=False)
    return temps, dew


def heatwave_lift_k(year: int, event: HeatWave, drybulb_c: FloatArray) -> FloatArray:
    """What the heat event adds at each hour of a calendar year: each event day's maximum is raised to at
    least a line from ``threshold_c`` (first and last days) to ``peak_c`` (peak day), the lift interpolated
    between the days' middles (none outside the event). [K]"""
    first = dt.date(year, event.month, event.first_day)
    start = (first - dt.date(year, 1, 1)).days
    peak = event.peak_day - event.first_day
    reach = max(peak, event.days - 1 - peak, 1)
    daily_max = drybulb_c.reshape(-1, DAY_H).max(axis=1)
    n_days = daily_max.size
    lift = np.zeros(n_days)
    for i in range(event.days):
        d = start + i
        if 0 <= d < n_days:
            target = event.threshold_c + (event.peak_c - event.threshold_c) * (1.0 - abs(i - peak) / reach)
            lift[d] = max(0.0, target - daily_max[d])
    mids = (np.arange(n_days) + 0.625) * DAY_H  # each day's lift is whole at its 15:00 maximum
    return np.asarray(np.interp(np.arange(n_days * DAY_H), mids, lift), dtype=np.float64)


def _year_weather(
    climate: ClimateNormals, typical: TypicalYear | None, year: int
) -> tuple[FloatArray, FloatArray]:
    """(dry-bulb, dew point) at each hour of a calendar year, the heat event included. [°C]"""
    if typical is None:
        db, dew = synthetic_year(climate, year)
    else:
        db = to_calendar_year(typical.drybulb_c, year)
        dew = to_calendar_year(typical.dewpoint_c, year)
    if climate.heatwave is not None:
        db = db + heatwave_lift_k(year, climate.heatwave, db)
    return db, np.minimum(dew, db)


def weather_at(
    times: npt.NDArray[np.datetime64], climate: ClimateNormals, typical: TypicalYear | None = None
) -> Weather:
    """The weather at each time (local standard time): the typical year of a file, else the synthetic weather,
    the heat event on top when the climate carries one; linear between hours. [°C]"""
    t = np.asarray(times).astype("datetime64[s]")
    if t.size == 0:
        empty = np.zeros(0)
        return Weather(empty, empty, empty, "none")
    years = range(int(str(t.min())[:4]), int(str(t.max())[:4]) + 1)  # past the last hour: held
    stamps, dbs, dews = [], [], []
    for year in years:
        db, dew = _year_weather(climate, typical, year)
        stamps.append(_year_hours(year))
        dbs.append(db)
        dews.append(dew)
    grid = np.concatenate(stamps).astype(np.int64)
    seconds = t.astype(np.int64)
    drybulb = np.interp(seconds, grid, np.concatenate(dbs))
    dewpoint = np.minimum(np.interp(seconds, grid, np.concatenate(dews)), drybulb)
    pressure = typical.pressure_pa if typical is not None else standard_pressure_pa(climate.elevation_m)
    source = typical.source if typical is not None else "synthetic, calibrated to the design statistics"
    return Weather(
        drybulb_c=np.asarray(drybulb, dtype=np.float64),
        wetbulb_c=wetbulb_c(drybulb, dewpoint, pressure),
        dewpoint_c=np.asarray(dewpoint, dtype=np.float64),
        source=source,
        heatwave=climate.heatwave.name if climate.heatwave is not None else "",
    )
