"""The fixed time grid of a run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class TimeGrid:
    """Step starts of a run: ``n`` steps of ``dt_s`` from ``start`` (midnight)."""

    start: dt.date
    dt_s: float
    n: int

    @classmethod
    def build(cls, start: dt.date, horizon_days: float, step_s: float) -> TimeGrid:
        """A grid covering ``horizon_days`` with steps of ``step_s``. [-]"""
        n = max(1, round(horizon_days * 86400.0 / step_s))
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
