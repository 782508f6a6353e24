"""Issue 15: N-1 — the capacity left with one transformer or feeder, or the largest unit, out — by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from megacluster.power.config import Interconnect
from megacluster.power.contingency import contingency, equipment_limited_grid_mw


def _fleet(unit_mw: float, available: list[int]) -> SimpleNamespace:
    return SimpleNamespace(unit_cap_mw=unit_mw, available_units=np.array(available))


def test_interconnect_capacity_by_hand() -> None:
    link = Interconnect(transformers=2, transformer_mva=80.0, power_factor=0.95)
    assert link.capacity_mw(0) == pytest.approx(152.0)  # 2 x 80 MVA x 0.95
    assert link.capacity_mw(1) == pytest.approx(76.0)  # one out
    feeders = Interconnect(
        transformers=3, transformer_mva=80.0, power_factor=0.95, feeders=2, feeder_mw=100.0
    )
    assert feeders.capacity_mw(0) == pytest.approx(200.0)  # feeders bind: min(228, 200)
    assert feeders.capacity_mw(1) == pytest.approx(100.0)  # min(152, 100)
    with pytest.raises(ValueError, match="feeders"):
        Interconnect(transformers=2, transformer_mva=80.0, feeders=2)


def test_equipment_limits_the_allocation() -> None:
    link = Interconnect(transformers=2, transformer_mva=80.0, power_factor=0.95)
    grid = np.array([50.0, 150.0, 200.0])
    assert np.allclose(equipment_limited_grid_mw(grid, link), [50.0, 150.0, 152.0])
    assert np.array_equal(equipment_limited_grid_mw(grid, None), grid)


def test_n_minus_1_takes_the_larger_loss() -> None:
    """150 MW of grid on 2 x 76 MW transformers plus 2.5 MW and 25 MW units: one transformer out loses 74 MW
    (150 - 76), the largest unit 25 MW while one is available; N-1 = supply - the larger."""
    link = Interconnect(transformers=2, transformer_mva=80.0, power_factor=0.95)
    grid = np.array([150.0, 150.0, 50.0])
    fleets = (_fleet(2.5, [14, 14, 14]), _fleet(25.0, [4, 0, 4]))
    supply = grid + np.array([135.0, 35.0, 135.0])
    c = contingency(grid, supply, fleets, link)  # type: ignore[arg-type]
    assert np.allclose(c.grid_loss_mw, [74.0, 74.0, 0.0])
    assert np.allclose(c.unit_loss_mw, [25.0, 2.5, 25.0])
    assert np.allclose(c.n1_capacity_mw, supply - np.array([74.0, 74.0, 25.0]))
    assert c.grid_assessed


def test_without_an_interconnect_only_units_are_assessed() -> None:
    grid = np.array([100.0, 100.0])
    c = contingency(grid, grid + 10.0, (_fleet(5.0, [2, 0]),), None)  # type: ignore[arg-type]
    assert not c.grid_assessed
    assert np.allclose(c.grid_loss_mw, 0.0)
    assert np.allclose(c.n1_capacity_mw, [105.0, 110.0])
