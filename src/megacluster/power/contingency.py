"""N-1: what the campus can count on with its largest single element out - one transformer or feeder of the
grid connection, or the largest generating unit running - and the hours its draw sat above that.

The grid's contingency needs the interconnect as equipment (``[power.interconnect]``); without it only the
generators are assessed (and the result says so). Pure functions of the supply and the served power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.power.config import Interconnect
from megacluster.power.dispatch import GenFleetInputs

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Contingency:
    """The largest single loss at each step and the supply left after it. [MW]"""

    grid_loss_mw: FloatArray
    """Grid capacity lost with one transformer or feeder out (0 without an interconnect). [MW]"""
    unit_loss_mw: FloatArray
    """Capacity of the largest generating unit available. [MW]"""
    n1_capacity_mw: FloatArray
    """Supply capacity less the larger of the two losses. [MW]"""
    grid_assessed: bool
    """Whether the grid connection was assessed (an interconnect is given)."""


def equipment_limited_grid_mw(grid_mw: FloatArray, interconnect: Interconnect | None) -> FloatArray:
    """The utility's allocation, limited by what the transformers and feeders carry, all in service. [MW]"""
    if interconnect is None:
        return grid_mw
    return np.asarray(np.minimum(grid_mw, interconnect.capacity_mw(0)), dtype=np.float64)


def contingency(
    grid_cap_mw: FloatArray,
    supply_capacity_mw: FloatArray,
    generators: tuple[GenFleetInputs, ...],
    interconnect: Interconnect | None,
) -> Contingency:
    """The N-1 capacity at each step: supply less the worse of losing one transformer or feeder and losing the
    largest available unit. [MW]"""
    grid = np.asarray(grid_cap_mw, dtype=np.float64)
    if interconnect is not None:
        grid_loss = grid - np.minimum(grid, interconnect.capacity_mw(1))
    else:
        grid_loss = np.zeros_like(grid)
    unit_loss = np.zeros_like(grid)
    for g in generators:
        has_unit = np.asarray(g.available_units) > 0
        unit_loss = np.maximum(unit_loss, np.where(has_unit, g.unit_cap_mw, 0.0))
    loss = np.maximum(grid_loss, unit_loss)
    return Contingency(
        grid_loss_mw=grid_loss,
        unit_loss_mw=unit_loss,
        n1_capacity_mw=np.asarray(supply_capacity_mw - loss, dtype=np.float64),
        grid_assessed=interconnect is not None,
    )
