"""Moist-air psychrometrics from psychrolib (ASHRAE Handbook - Fundamentals 2017, ch. 1): wet-bulb from
dry-bulb and dew point, and the standard air pressure at an elevation.

psychrolib compiles itself with numba when numba is importable, which costs ~10 s in every new process; the
plant needs a few thousand wet-bulbs per run, so a private pure-Python instance of psychrolib is loaded
instead (same equations, same code). The wet-bulb of every (dry-bulb, dew point) pair on a 1 K grid is
computed once per air pressure (each cell when first needed) and interpolated bilinearly: within 0.02 K of
psychrolib's own answer.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from types import ModuleType

import numpy as np
import numpy.typing as npt

from megacluster.cooling import constants as k

FloatArray = npt.NDArray[np.float64]

PRESSURE_ROUNDING_PA = 100.0
"""Air pressures are rounded to this before a table is built (0.1 % of sea-level pressure). [Pa]"""


@functools.cache
def psychrolib_py() -> ModuleType:
    """psychrolib loaded as plain Python (without numba), in SI units."""
    found = importlib.util.find_spec("psychrolib")  # its file only: importing it would import numba (~3 s)
    origin = found.origin if found is not None else None
    spec = importlib.util.spec_from_file_location("megacluster_psychrolib_py", origin) if origin else None
    if spec is None or spec.loader is None:
        raise ImportError("psychrolib is not installed (a required dependency)")
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("numba")
    sys.modules["numba"] = None  # type: ignore[assignment]  # makes 'from numba import ...' fail in the copy
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["numba"]
        else:
            sys.modules["numba"] = saved
    module.SetUnitSystem(module.SI)
    return module


def standard_pressure_pa(elevation_m: float) -> float:
    """Standard atmospheric pressure at an elevation (psychrolib, ASHRAE eqn 3). [Pa]"""
    return float(psychrolib_py().GetStandardAtmPressure(float(elevation_m)))


def wetbulb_exact_c(drybulb_c: float, dewpoint_c: float, pressure_pa: float) -> float:
    """Wet-bulb of one state straight from psychrolib (dew point held at or below the dry-bulb). [°C]"""
    psy = psychrolib_py()
    dew = min(dewpoint_c, drybulb_c)
    hum = psy.GetHumRatioFromTDewPoint(dew, pressure_pa)
    return float(psy.GetTWetBulbFromHumRatio(drybulb_c, hum, pressure_pa))


class _Table:
    """Wet-bulb on the (dry-bulb, dew point) grid at one pressure, each cell computed the first time an
    interpolation needs it; a dew point above the dry-bulb is saturated air (wet-bulb = dry-bulb). The
    flagship's year of weather reads ~1,070 of the grid's 5,795 cells: filling the whole grid up front took
    ~0.6 s a run, filling what is read ~0.1 s, with the same values. [°C]"""

    def __init__(self, pressure_pa: float) -> None:
        self.pressure_pa = pressure_pa
        self.db = np.arange(k.PSYCHRO_DRYBULB_C[0], k.PSYCHRO_DRYBULB_C[1] + 0.5, k.PSYCHRO_STEP_K)
        self.dew = np.arange(k.PSYCHRO_DEWPOINT_C[0], k.PSYCHRO_DEWPOINT_C[1] + 0.5, k.PSYCHRO_STEP_K)
        self.values = np.full((self.db.size, self.dew.size), np.nan)

    def cells(self, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64]) -> FloatArray:
        """The wet-bulb at cells (i, j), computed where not yet known. [°C]"""
        missing = np.isnan(self.values[i, j])
        if missing.any():
            for flat in np.unique(i[missing] * self.dew.size + j[missing]).tolist():
                a, b = divmod(flat, self.dew.size)
                t, d = float(self.db[a]), float(self.dew[b])
                self.values[a, b] = t if d >= t else wetbulb_exact_c(t, d, self.pressure_pa)
        return self.values[i, j]


@functools.cache
def _table(pressure_pa: float) -> _Table:
    """The wet-bulb table of one pressure (kept for the process). [°C]"""
    return _Table(pressure_pa)


def wetbulb_c(drybulb_c: npt.ArrayLike, dewpoint_c: npt.ArrayLike, pressure_pa: float) -> FloatArray:
    """Wet-bulb temperature from dry-bulb and dew point at an air pressure (psychrolib, tabulated on a 1 K
    grid and interpolated bilinearly; inputs held within the table's range). [°C]"""
    p = round(float(pressure_pa) / PRESSURE_ROUNDING_PA) * PRESSURE_ROUNDING_PA
    table = _table(p)
    db_grid, dew_grid = table.db, table.dew
    db = np.clip(np.asarray(drybulb_c, dtype=np.float64), db_grid[0], db_grid[-1])
    dew = np.clip(np.minimum(np.asarray(dewpoint_c, dtype=np.float64), db), dew_grid[0], dew_grid[-1])
    step = k.PSYCHRO_STEP_K
    fi = (db - db_grid[0]) / step
    fj = (dew - dew_grid[0]) / step
    i = np.clip(np.floor(fi).astype(np.int64), 0, db_grid.size - 2)
    j = np.clip(np.floor(fj).astype(np.int64), 0, dew_grid.size - 2)
    u = fi - i
    v = fj - j
    out = (
        table.cells(i, j) * (1 - u) * (1 - v)
        + table.cells(i + 1, j) * u * (1 - v)
        + table.cells(i, j + 1) * (1 - u) * v
        + table.cells(i + 1, j + 1) * u * v
    )
    return np.asarray(np.minimum(out, db), dtype=np.float64)
