"""What the grid energy costs under a region's large-load tariff: an on/off-peak energy price, a demand charge
on each month's largest draw, and a coincident-peak transmission charge (ERCOT's 4CP) on the draw at the
system's summer peaks. Pure functions of the step times and the grid import; the region's figures come from
``catalog/data/regions.toml``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.units import HOURS_PER_YEAR, KW_PER_MW, SECONDS_PER_DAY, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

COINCIDENT_PEAK_MONTHS = (6, 7, 8, 9)
"""[P] facts-regions.md 2.2: 16 TAC 25.192 - 'the average of ERCOT coincident peak demand for the months of
June, July, August and September (4CP)'."""

COINCIDENT_PEAK_HOUR = 17.0
"""[S, A] facts-regions.md 2.2: 4CP peaks 'typically occur between 3:00 PM and 5:30 PM on the hottest
weekdays'; the 2025 coincident peak came at 5:45 pm: the step at 17:00 local standard time of each month's
hottest day is taken as the month's coincident-peak interval. [h]"""


def hour_of_day(times: npt.NDArray[np.datetime64]) -> FloatArray:
    """Hour of the day (local standard time). [h]"""
    t = times.astype("datetime64[s]")
    return np.asarray((t - t.astype("datetime64[D]")).astype(np.float64) / SECONDS_PER_HOUR, dtype=np.float64)


def tou_price_usd_per_mwh(times: npt.NDArray[np.datetime64], region: catalog.Region) -> FloatArray:
    """The tariff's energy price at each step: on-peak inside its daily window, off-peak outside. [USD/MWh]"""
    on = float(region.tou_on_peak_usd_per_mwh or 0.0)
    off = float(region.tou_off_peak_usd_per_mwh or 0.0)
    start, end = region.tou_on_peak_start_h or 0, region.tou_on_peak_end_h or 0
    hours = hour_of_day(times)
    peak = (hours >= start) & (hours < end)
    return np.where(peak, on, off).astype(np.float64)


def _month_weights(months: npt.NDArray[np.int64], dt_s: float) -> dict[int, float]:
    """Each calendar month's share simulated (a charge per month is prorated). [-]"""
    weights = {}
    for month in np.unique(months):
        # the month's first and next month's first day as dates: a [M] difference cast to [D] is 30 days
        first = np.datetime64(int(month), "M").astype("datetime64[D]")
        following = np.datetime64(int(month) + 1, "M").astype("datetime64[D]")
        days_in_month = float((following - first).astype(np.int64))
        simulated = float((months == month).sum()) * dt_s / SECONDS_PER_DAY
        weights[int(month)] = min(simulated / days_in_month, 1.0)
    return weights


def demand_charge_usd(
    times: npt.NDArray[np.datetime64], grid_mw: FloatArray, dt_s: float, usd_per_kw_month: float
) -> float:
    """The monthly demand charge: each month's largest grid draw (step mean) x the rate, prorated for months
    simulated in part. [USD]"""
    if usd_per_kw_month <= 0 or len(times) == 0:
        return 0.0
    months = times.astype("datetime64[M]").astype(np.int64)
    total = 0.0
    for month, weight in _month_weights(months, dt_s).items():
        peak_mw = float(np.max(grid_mw[months == month], initial=0.0))
        total += peak_mw * KW_PER_MW * usd_per_kw_month * weight
    return total


def coincident_peak_usd(
    times: npt.NDArray[np.datetime64],
    grid_mw: FloatArray,
    ambient_c: FloatArray,
    dt_s: float,
    usd_per_kw_year: float,
) -> float:
    """The coincident-peak transmission charge: the mean grid draw at the 17:00 step of the hottest day of
    each June-September month simulated, x the yearly rate, x the years simulated. [USD]"""
    if usd_per_kw_year <= 0 or len(times) == 0:
        return 0.0
    months = times.astype("datetime64[M]").astype(np.int64)
    month_of_year = months % 12 + 1
    days = times.astype("datetime64[D]")
    at_peak_hour = np.abs(hour_of_day(times) - COINCIDENT_PEAK_HOUR) < dt_s / SECONDS_PER_HOUR / 2 + 1e-9
    draws = []
    for month in np.unique(months[np.isin(month_of_year, COINCIDENT_PEAK_MONTHS)]):
        candidates = np.flatnonzero((months == month) & at_peak_hour)
        if candidates.size == 0:
            continue
        hottest = candidates[np.argmax(ambient_c[candidates])]
        same_day = np.flatnonzero((days == days[hottest]) & at_peak_hour)
        draws.append(float(np.mean(grid_mw[same_day])))
    if not draws:
        return 0.0
    years = len(times) * dt_s / SECONDS_PER_HOUR / HOURS_PER_YEAR
    return float(np.mean(draws)) * KW_PER_MW * usd_per_kw_year * years
