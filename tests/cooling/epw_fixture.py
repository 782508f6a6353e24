"""A Memphis typical-year EPW file built from public statistics, independently of megacluster's generator.

Daily highs and lows follow the NREL TMY3 monthly normals of Memphis Intl AP (WMO 723340;
facts-plant.md 1) plus a deterministic multi-day spell (three sines of 3.7, 6.1 and 9.3 days); the hours
follow a cosine from the 06:00 low to the 15:00 high. The hottest 5 % of the hours are then re-ranked so
that the year's 1 % and 0.4 % dry-bulbs and its maximum are ASHRAE 2009's 34.4, 35.6 and 37.0 °C (mean
annual maximum; facts-regions.md 4.1, 8.1). Dew point: the day's low less 1.5 K. Pressure: 100,360 Pa
(standard atmosphere at 81 m).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TMAX_C = (8.8, 11.7, 17.9, 21.6, 26.9, 31.1, 33.5, 32.8, 29.4, 22.4, 17.7, 12.1)
TMIN_C = (-0.8, 1.6, 6.8, 11.4, 17.2, 21.0, 23.2, 22.4, 19.7, 10.9, 6.5, 1.2)
DESIGN_1_C, DESIGN_0P4_C, MAX_MEAN_C = 34.4, 35.6, 37.0
PRESSURE_PA = 100_360
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
HOURS = 8760


def _daily(normals: tuple[float, ...], day: np.ndarray) -> np.ndarray:
    mids = np.cumsum((0, *DAYS_IN_MONTH[:-1])) + np.array(DAYS_IN_MONTH) / 2.0
    ext_x = np.r_[mids[-1] - 365, mids, mids[0] + 365]
    ext_y = np.r_[normals[-1], normals, normals[0]]
    return np.interp(day, ext_x, ext_y)


def memphis_design_year() -> tuple[np.ndarray, np.ndarray]:
    """(dry-bulb, dew point) for the hours starting 1 January 00:00 .. 31 December 23:00. [°C]"""
    day = np.arange(365) + 0.5
    spell = 1.6 * np.sin(2 * np.pi * day / 3.7) + 1.3 * np.sin(2 * np.pi * day / 6.1 + 1.0)
    spell += 1.1 * np.sin(2 * np.pi * day / 9.3 + 2.0)
    high = _daily(TMAX_C, day) + spell
    low = _daily(TMIN_C, day) + 0.7 * spell
    hour = np.arange(24)
    rise = np.clip((hour - 6) / 9.0, 0, 1)  # 06:00 -> 15:00
    fall = np.clip((hour - 15) / 15.0, 0, 1)  # 15:00 -> next 06:00
    shape = np.where(hour < 6, 0.5 + 0.5 * np.cos(np.pi * (hour + 9) / 15.0), 0.0)
    shape = np.where((hour >= 6) & (hour <= 15), 0.5 - 0.5 * np.cos(np.pi * rise), shape)
    shape = np.where(hour > 15, 0.5 + 0.5 * np.cos(np.pi * fall), shape)
    db = (low[:, None] + (high - low)[:, None] * shape[None, :]).ravel()
    order = np.argsort(db)
    n = db.size
    ranks = np.array([0.95, 0.99, 0.996, 1.0]) * (n - 1)
    targets = [float(np.sort(db)[int(ranks[0])]), DESIGN_1_C, DESIGN_0P4_C, MAX_MEAN_C]
    top = order[int(ranks[0]) :]
    db[top] = np.interp(np.arange(int(ranks[0]), n), ranks, targets)
    dew = np.minimum(np.repeat(low, 24) - 1.5, db)
    return db, dew


def write_epw(path: Path, drybulb_c: np.ndarray, dewpoint_c: np.ndarray) -> Path:
    """An EPW file (8 header lines, 8,760 hour-ending rows of 35 fields) with these values."""
    header = [
        "LOCATION,Memphis Intl AP,TN,USA,TMY3,723340,35.06,-89.99,-6.0,81.0",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,test fixture built from public statistics (tests/cooling/epw_fixture.py)",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    rows = []
    for i in range(HOURS):
        month = int(np.searchsorted(np.cumsum(DAYS_IN_MONTH) * 24, i, side="right")) + 1
        day = (i - sum(DAYS_IN_MONTH[: month - 1]) * 24) // 24 + 1
        hour = i % 24 + 1
        rows.append(
            f"2023,{month},{day},{hour},0,?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9*9*9,"
            f"{drybulb_c[i]:.1f},{dewpoint_c[i]:.1f},60,{PRESSURE_PA},0,0,300,0,0,0,0,0,0,0,180,2.0,5,5,16.0,"
            "77777,9,999999999,20,0.1,0,88,0.2,0.0,1.0"
        )
    path.write_text("\n".join(header + rows) + "\n")
    return path
