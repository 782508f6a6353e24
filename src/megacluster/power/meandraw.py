"""Average, not peak: a training GPU's draw swings within every iteration between its compute level (the peak
the supply and the cooling must carry) and the lower levels of communication, pipeline bubbles and the
optimizer step. The dispatch sizes every step for the peak; energy, fuel, emissions, water and cost count the
mean.

:class:`DrawProfile` is the time share of each phase of an iteration and the GPU's draw in it (fractions of
TDP). The engine builds it from the performance model's phase breakdown and the power-swing model's phase
levels (``transients``); without a training job it is the measured average (``DrawProfile.measured``); a
scenario may set a flat mean (``[power.demand] gpu_mean_fraction``). Without a profile the GPUs draw their
peak all the time (the plant called on its own).

:func:`mean_outputs` turns the dispatch's peak-basis flows into mean flows: the difference between the peak
and the mean draw of the powered GPUs is taken off the grid import first (the grid follows the load's
sub-second swings while the units hold their set points), then off the generators' output (their fuel scaling
with it); a step served by the battery alone keeps its peak-basis draw (its state of charge was moved by the
dispatch).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.power import constants as k
from megacluster.power.config import DemandConfig
from megacluster.power.dispatch import DispatchOutputs, FleetDemand
from megacluster.units import MW_PER_W

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DrawProfile:
    """A training GPU's draw over an iteration: each phase's share of the time and the GPU's draw in it, as
    fractions of TDP (at most the peak ``gpu_load_fraction``), raised to a firmware floor. [-]"""

    shares: tuple[float, ...]
    """Time share of each phase (they add up to 1). [-]"""
    levels: tuple[float, ...]
    """GPU draw in each phase / TDP. [-]"""
    floor: float = 0.0
    """Power floor / TDP (GPU smoothing firmware). [-]"""
    source: str = ""
    """Where the profile comes from."""

    def __post_init__(self) -> None:
        if len(self.shares) != len(self.levels) or not self.shares:
            raise ValueError("a draw profile needs one level per phase share")
        if any(s < 0 for s in self.shares) or abs(sum(self.shares) - 1.0) > 1e-6:
            raise ValueError("phase shares must be non-negative and add up to 1")

    @classmethod
    def measured(cls) -> DrawProfile:
        """No job to break down: the measured mean of intensive workloads on HGX H100 servers. [-]"""
        return cls((1.0,), (k.GPU_MEAN_FRACTION_MEASURED,), source=k.GPU_MEAN_SOURCE)

    @classmethod
    def flat(cls, fraction: float, source: str) -> DrawProfile:
        """A constant mean draw (a scenario's ``gpu_mean_fraction``). [-]"""
        return cls((1.0,), (fraction,), source=source)

    def mean_fraction(self, peak_fraction: npt.ArrayLike) -> FloatArray:
        """Mean GPU draw / TDP when the peak is held at ``peak_fraction`` (the load, or a power cap below it):
        every phase at its level, capped at the peak, raised to the floor. [-]"""
        peak = np.asarray(peak_fraction, dtype=np.float64)
        mean = np.zeros_like(peak)
        for share, level in zip(self.shares, self.levels, strict=True):
            mean += share * np.maximum(np.minimum(level, peak), np.minimum(self.floor, peak))
        return np.asarray(np.minimum(mean, peak), dtype=np.float64)


def scenario_profile(demand: DemandConfig) -> DrawProfile | None:
    """The profile a ``[power.demand]`` section sets alone: a flat ``gpu_mean_fraction`` (None: none). [-]"""
    if demand.gpu_mean_fraction is None:
        return None
    return DrawProfile.flat(demand.gpu_mean_fraction, "scenario [power.demand] gpu_mean_fraction")


def peak_minus_mean_mw(
    out: DispatchOutputs, demands: tuple[FleetDemand, ...], profile: DrawProfile, load: float, pue: FloatArray
) -> FloatArray:
    """Facility power the powered GPUs draw at their peak above their mean, at each step. [MW]"""
    peak = np.minimum(load, np.asarray(out.cap_fraction, dtype=np.float64))
    gap = peak - profile.mean_fraction(peak)
    watts = np.zeros_like(peak)
    for j, d in enumerate(demands):
        watts += np.asarray(out.powered[j], dtype=np.float64) * d.slope_w
    return np.asarray(pue * watts * gap * MW_PER_W, dtype=np.float64)


def mean_outputs(
    out: DispatchOutputs, demands: tuple[FleetDemand, ...], profile: DrawProfile, load: float, pue: FloatArray
) -> DispatchOutputs:
    """The dispatch's flows at the GPUs' mean draw: the peak-to-mean difference comes off the grid import,
    then off the generators (fuel in proportion); the battery's flows are kept. [MW, MMBtu]"""
    gap = peak_minus_mean_mw(out, demands, profile, load, pue)
    grid_cut = np.minimum(gap, np.clip(out.grid_mw, 0.0, None))
    left = gap - grid_cut
    gen_total = out.gen_mw.sum(axis=0) if out.gen_mw.size else np.zeros_like(gap)
    gen_cut = np.minimum(left, gen_total)
    keep = np.divide(gen_total - gen_cut, gen_total, out=np.ones_like(gen_total), where=gen_total > 0)
    mean = copy.copy(out)
    mean.grid_mw = np.asarray(out.grid_mw - grid_cut, dtype=np.float64)
    mean.gen_mw = np.asarray(out.gen_mw * keep, dtype=np.float64)
    mean.fuel_mmbtu = np.asarray(out.fuel_mmbtu * keep, dtype=np.float64)
    mean.served_mw = np.asarray(out.served_mw - grid_cut - gen_cut, dtype=np.float64)
    return mean
