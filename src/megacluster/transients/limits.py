"""Checking a grid-facing waveform against the limits a scenario states (only the stated ones). [MW]"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.transients import constants as k
from megacluster.transients.config import Limits
from megacluster.transients.metrics import mean_ramp, spectrum


@dataclass(frozen=True)
class LimitItem:
    """One stated limit: what the waveform reached and whether that is within it. Units in ``unit``."""

    name: str
    value: float
    limit: float
    unit: str

    @property
    def passed(self) -> bool:
        """Within the limit. [-]"""
        return self.value <= self.limit


@dataclass(frozen=True)
class LimitCheck:
    """Every stated limit of one waveform."""

    items: tuple[LimitItem, ...]

    @property
    def passed(self) -> bool:
        """Every stated limit met. [-]"""
        return all(item.passed for item in self.items)


def check_limits(grid_mw: npt.ArrayLike, dt_s: float, limits: Limits) -> LimitCheck:
    """The stated limits against a waveform sampled every ``dt_s``. [MW]"""
    x = np.asarray(grid_mw, dtype=np.float64)
    items: list[LimitItem] = []
    if limits.ramp_mw_per_s is not None:
        up, down = mean_ramp(x, dt_s, k.RAMP_SHORT_S)
        items.append(LimitItem("ramp_1s", max(up, down) / k.RAMP_SHORT_S, limits.ramp_mw_per_s, "MW/s"))
    if limits.ramp_up_mw_per_min is not None or limits.ramp_down_mw_per_min is not None:
        up, down = mean_ramp(x, dt_s, k.RAMP_LONG_S)
        scale = 60.0 / k.RAMP_LONG_S
        if limits.ramp_up_mw_per_min is not None:
            items.append(LimitItem("ramp_up_1min", up * scale, limits.ramp_up_mw_per_min, "MW/min"))
        if limits.ramp_down_mw_per_min is not None:
            items.append(LimitItem("ramp_down_1min", down * scale, limits.ramp_down_mw_per_min, "MW/min"))
    if limits.max_band_energy_fraction is not None or limits.max_band_rms_mw is not None:
        spec = spectrum(x, dt_s)
        band = spec.band_mw2(limits.band_low_hz, limits.band_high_hz)
        total = spec.total_mw2()
        if limits.max_band_energy_fraction is not None:
            share = band / total if total > 0 else 0.0
            items.append(LimitItem("band_energy_fraction", share, limits.max_band_energy_fraction, "-"))
        if limits.max_band_rms_mw is not None:
            items.append(LimitItem("band_rms", float(np.sqrt(band)), limits.max_band_rms_mw, "MW"))
    return LimitCheck(items=tuple(items))
