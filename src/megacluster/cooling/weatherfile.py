"""Reading a typical-year weather file: an EnergyPlus EPW or an NREL TMY3 CSV, parsed with pvlib.

The file is checked line by line first, so that a bad file is refused with its path, the line and what was
expected (``InputError``); pvlib then reads the values. Only the dry-bulb, the dew point and the air pressure
are used; the file's time zone and elevation come back so that the engine can check them against the site.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from megacluster.cooling.weather import HOURS_PER_TYPICAL_YEAR, TypicalYear
from megacluster.errors import InputError, read_text_file

EPW_HEADER_LINES = 8
"""Header lines of an EPW file before the hourly data (LOCATION … DATA PERIODS)."""
EPW_DRYBULB, EPW_DEWPOINT, EPW_PRESSURE = 6, 7, 9
"""Columns of an EPW data line (0-based): dry-bulb [°C], dew point [°C], station pressure [Pa]."""
EPW_MISSING = (99.9, 999999.0)
"""EPW's missing-value codes for temperatures and pressure."""
TMY3_DRYBULB, TMY3_DEWPOINT, TMY3_PRESSURE = "Dry-bulb (C)", "Dew-point (C)", "Pressure (mbar)"
"""Column names of a TMY3 file."""
TMY3_MISSING = -9900.0
"""TMY3's missing-value code."""
PLAUSIBLE_C = (-70.0, 60.0)
"""Temperatures outside this range are refused as errors of the file. [°C]"""
PA_PER_MBAR = 100.0


@dataclass(frozen=True)
class WeatherFile:
    """A typical year read from a file, with the station's time zone and elevation."""

    year: TypicalYear
    utc_offset_h: float
    """The file's local standard time minus UTC. [h]"""
    elevation_m: float
    """Station elevation. [m]"""


def _number(text: str, path: str, line: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            path, f"line {line}", f"expected a number for the {what}, got '{text.strip()}'"
        ) from None
    if not np.isfinite(value):
        raise InputError(path, f"line {line}", f"expected a finite number for the {what}")
    return value


def _temperature(text: str, path: str, line: int, what: str, missing: tuple[float, ...]) -> float:
    value = _number(text, path, line, what)
    if value in missing or not PLAUSIBLE_C[0] <= value <= PLAUSIBLE_C[1]:
        raise InputError(
            path,
            f"line {line}",
            f"expected a {what} in {PLAUSIBLE_C[0]:g}..{PLAUSIBLE_C[1]:g} °C, got {value:g}",
        )
    return value


def _check_epw(path: str, lines: list[str]) -> tuple[float, float]:
    """Line-by-line check of an EPW file; returns (time zone, elevation). [h, m]"""
    fields = lines[0].split(",") if lines else []
    if not fields or fields[0].strip().upper() != "LOCATION" or len(fields) < 10:
        raise InputError(
            path,
            "line 1",
            "expected an EPW header 'LOCATION,city,state,country,source,WMO,lat,lon,time zone,elevation'",
        )
    tz = _number(fields[8], path, 1, "time zone")
    elevation = _number(fields[9], path, 1, "elevation")
    data = [(i + 1, line) for i, line in enumerate(lines) if i >= EPW_HEADER_LINES and line.strip()]
    if len(data) not in (HOURS_PER_TYPICAL_YEAR, HOURS_PER_TYPICAL_YEAR + 24):
        raise InputError(
            path,
            None,
            f"expected {HOURS_PER_TYPICAL_YEAR} hourly data lines after the "
            f"{EPW_HEADER_LINES}-line header, found {len(data)}",
        )
    for number, line in data:
        parts = line.split(",")
        if len(parts) <= EPW_PRESSURE:
            raise InputError(
                path,
                f"line {number}",
                f"expected at least {EPW_PRESSURE + 1} comma-separated "
                "fields (year, month, day, hour, minute, flags, dry-bulb, dew point, RH, pressure)",
            )
        _temperature(parts[EPW_DRYBULB], path, number, "dry-bulb", EPW_MISSING)
        _temperature(parts[EPW_DEWPOINT], path, number, "dew point", EPW_MISSING)
    return tz, elevation


def _check_tmy3(path: str, lines: list[str]) -> tuple[float, float]:
    """Line-by-line check of a TMY3 CSV file; returns (time zone, elevation). [h, m]"""
    meta = lines[0].split(",") if lines else []
    if len(meta) < 7:
        raise InputError(
            path, "line 1", "expected TMY3 metadata 'USAF,name,state,time zone,lat,lon,elevation'"
        )
    tz = _number(meta[3], path, 1, "time zone")
    elevation = _number(meta[6], path, 1, "elevation")
    header = lines[1].split(",") if len(lines) > 1 else []
    for name in (TMY3_DRYBULB, TMY3_DEWPOINT, TMY3_PRESSURE):
        if name not in header:
            raise InputError(path, "line 2", f"expected a TMY3 column header with '{name}'")
    cols = [header.index(n) for n in (TMY3_DRYBULB, TMY3_DEWPOINT)]
    data = [(i + 1, line) for i, line in enumerate(lines) if i >= 2 and line.strip()]
    if len(data) != HOURS_PER_TYPICAL_YEAR:
        raise InputError(
            path, None, f"expected {HOURS_PER_TYPICAL_YEAR} hourly data lines, found {len(data)}"
        )
    for number, line in data:
        parts = line.split(",")
        if len(parts) < len(header):
            raise InputError(path, f"line {number}", f"expected {len(header)} comma-separated fields")
        _temperature(parts[cols[0]], path, number, "dry-bulb", (TMY3_MISSING,))
        _temperature(parts[cols[1]], path, number, "dew point", (TMY3_MISSING,))
    return tz, elevation


def _hour_start(values: np.ndarray) -> tuple[float, ...]:
    """Hour-ending values (row i ends at hour i + 1) as values at the hours' starts, on a non-leap year."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == HOURS_PER_TYPICAL_YEAR + 24:  # a leap-year file: drop 29 February
        arr = np.concatenate((arr[: 59 * 24], arr[60 * 24 :]))
    return tuple(float(v) for v in np.roll(arr, 1))


@functools.lru_cache(maxsize=8)
def _read(path: str, stamp: tuple[int, int]) -> WeatherFile:
    """The file at ``path`` (``stamp``: its modification time and size, so an edited file is re-read)."""
    del stamp
    text = read_text_file(Path(path), "weather file (EPW or TMY3 CSV)")
    lines = text.splitlines()
    is_epw = path.lower().endswith(".epw") or (bool(lines) and lines[0].upper().startswith("LOCATION"))
    from pvlib import iotools  # type: ignore[import-untyped]  # heavy: imported only for a weather file

    if is_epw:
        tz, elevation = _check_epw(path, lines)
        frame, _ = iotools.read_epw(path)
        drybulb, dewpoint = frame["temp_air"].to_numpy(), frame["temp_dew"].to_numpy()
        pressure = frame["atmospheric_pressure"].to_numpy(dtype=np.float64)
    else:
        tz, elevation = _check_tmy3(path, lines)
        frame, _ = iotools.read_tmy3(path, map_variables=True)
        drybulb, dewpoint = frame["temp_air"].to_numpy(), frame["temp_dew"].to_numpy()
        pressure = frame["pressure"].to_numpy(dtype=np.float64) * PA_PER_MBAR
    good = (pressure > 30_000) & (pressure < 120_000)
    mean_pressure = float(pressure[good].mean()) if good.any() else 101_325.0
    year = TypicalYear(
        drybulb_c=_hour_start(drybulb),
        dewpoint_c=_hour_start(np.minimum(dewpoint, drybulb)),
        pressure_pa=mean_pressure,
        source=Path(path).name,
    )
    return WeatherFile(year=year, utc_offset_h=tz, elevation_m=elevation)


def read_weather_file(path: str | Path) -> WeatherFile:
    """A typical year from an EPW or TMY3 file; InputError naming the file, the line and what was expected."""
    p = Path(path)
    try:
        info = p.stat()
    except OSError:
        raise InputError(str(p), None, "weather file not found (expected an EPW or TMY3 CSV file)") from None
    return _read(str(p), (info.st_mtime_ns, info.st_size))
