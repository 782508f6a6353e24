"""The ground floor: canonical units and physical constants, and the small shared types every layer may
import (the frozen base model, durations, dated schedules, safe names, the precision enum, the time grid).

Canonical units: time in seconds [s] (days [d] and hours [h] only where a name says so), power in megawatts
[MW] at plant level and watts [W] per component, energy in megawatt-hours [MWh], compute in FLOP and FLOP/s,
memory in bytes [B], mass in tonnes [t], temperature in degrees Celsius [°C], money in US dollars [USD].
Nothing here imports another megacluster module.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

SECONDS_PER_MINUTE = 60.0
"""[s/min]"""
SECONDS_PER_HOUR = 3600.0
"""[s/h]"""
SECONDS_PER_DAY = 86400.0
"""[s/d]"""
HOURS_PER_DAY = 24.0
"""[h/d]"""
DAYS_PER_YEAR = 365.0
"""Days in a (non-leap) year, for per-year figures. [d/yr]"""
HOURS_PER_YEAR = 8760.0
"""Hours in a (non-leap) year: 365 x 24. [h/yr]"""
W_PER_MW = 1e6
"""[W/MW]"""
KW_PER_MW = 1e3
"""[kW/MW]"""
GIB = 2.0**30
"""Bytes in a gibibyte. [B]"""
TB = 1e12
"""Bytes in a terabyte (storage bandwidths are quoted in decimal TB/s). [B]"""
TERA = 1e12
"""Peak FLOP/s are quoted in TFLOP/s. [-]"""
BILLION = 1e9
"""Parameter counts are quoted in billions. [-]"""
MW_PER_W = 1e-6
"""[MW/W]"""
KG_PER_T = 1e3
"""[kg/t]"""
BTU_PER_KWH_PER_MMBTU_PER_MWH = 1e3
"""A heat rate of 1,000 Btu/kWh is 1 MMBtu/MWh (1e6 Btu/MMBtu over 1e3 kWh/MWh). [(Btu/kWh)/(MMBtu/MWh)]"""
GB = 1e9
"""Bytes in a gigabyte (memory sizes and link bandwidths are quoted in decimal GB and GB/s). [B]"""
SECONDS_PER_US = 1e-6
"""Latencies and kernel gaps are quoted in microseconds. [s/us]"""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|d)\s*$")
_UNIT_S = {
    "s": 1.0,
    "sec": 1.0,
    "min": SECONDS_PER_MINUTE,
    "m": SECONDS_PER_MINUTE,
    "h": SECONDS_PER_HOUR,
    "d": SECONDS_PER_DAY,
}


class Frozen(BaseModel):
    """Base of every scenario model: immutable, no unknown keys, no infinite or NaN numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)


MAX_NAME_LENGTH = 100
"""Longest scenario or sweep name (it becomes a folder name). [characters]"""


def check_safe_name(value: str) -> str:
    """A name that is one safe path component: no separators, no ``..``, no NUL or control characters, not
    hidden, at most :data:`MAX_NAME_LENGTH` characters. Raises ValueError otherwise."""
    if not value or len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"a name must have 1 to {MAX_NAME_LENGTH} characters")
    bad = sorted({ch for ch in value if ch in "/\\:" or ord(ch) < 32 or ord(ch) == 127})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise ValueError(f"a name becomes a folder name and must not contain {shown}")
    if value.startswith(".") or value != value.strip():
        raise ValueError(
            "a name must not start with '.' nor start or end with a space (it becomes a folder name)"
        )
    return value


def safe_name_from(stem: str) -> str:
    """A safe name made from a file name's stem (unsafe characters become '_'). [-]"""
    cleaned = "".join("_" if ch in "/\\:" or ord(ch) < 32 or ord(ch) == 127 else ch for ch in stem)
    cleaned = cleaned.strip().lstrip(".") or "scenario"
    return cleaned[:MAX_NAME_LENGTH]


SafeName = Annotated[str, AfterValidator(check_safe_name)]
"""A name that can be used as one folder name."""


class Precision(enum.StrEnum):
    """Numeric precision of training."""

    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"


def parse_duration_s(value: Any) -> float:
    """A duration such as ``"5min"``, ``"1h"``, ``"30s"`` or a number of seconds. [s]"""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '5min', '1h' or a number of seconds")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNIT_S[match.group(2)]
    raise ValueError(f"expected a duration such as '5min', '1h', '30s' or a number of seconds, got {value!r}")


DurationS = Annotated[float, BeforeValidator(parse_duration_s), Field(gt=0)]


class DatedValue(Frozen):
    """One step of a dated schedule: ``value`` holds from ``start`` until the next step."""

    start: dt.date = Field(alias="from", description="First day the value holds")
    mw: float = Field(ge=0, le=100_000, description="Value from that day [MW]")


def check_ascending(steps: tuple[DatedValue, ...], what: str) -> tuple[DatedValue, ...]:
    """Raise unless a schedule's dates strictly increase."""
    for before, after in itertools.pairwise(steps):
        if after.start <= before.start:
            raise ValueError(
                f"{what} must be in date order: {after.start.isoformat()} comes after "
                f"{before.start.isoformat()}"
            )
    return steps


@dataclass(frozen=True)
class TimeGrid:
    """Step starts of a run: ``n`` steps of ``dt_s`` from ``start`` (midnight)."""

    start: dt.date
    dt_s: float
    n: int

    @classmethod
    def build(cls, start: dt.date, horizon_days: float, step_s: float) -> TimeGrid:
        """A grid covering ``horizon_days`` with steps of ``step_s``. [-]"""
        n = max(1, round(horizon_days * SECONDS_PER_DAY / step_s))
        return cls(start=start, dt_s=float(step_s), n=n)

    @property
    def start_s(self) -> npt.NDArray[np.float64]:
        """Step starts on the simulation clock. [s]"""
        return np.arange(self.n, dtype=np.float64) * self.dt_s

    @property
    def times(self) -> npt.NDArray[np.datetime64]:
        """Step starts as datetimes (second resolution)."""
        origin = np.datetime64(self.start.isoformat(), "s")
        return origin + (self.start_s * 1000).astype("timedelta64[ms]").astype("timedelta64[s]")

    @property
    def horizon_s(self) -> float:
        """Simulated span. [s]"""
        return self.n * self.dt_s

    def seconds_at(self, day: dt.date) -> float:
        """A date's midnight on the simulation clock. [s]"""
        return (day - self.start).total_seconds()
