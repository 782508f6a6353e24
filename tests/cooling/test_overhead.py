"""Cooling overhead, DOE-2 chiller curve, water."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.cooling.config import CoolingType, FacilityConfig
from megacluster.cooling.overhead import chiller_capacity_factor, chiller_cop, facility_overhead


def test_doe2_chiller_reference_point() -> None:
    assert float(chiller_cop(6.67, 29.4)) == pytest.approx(5.5, rel=2e-3)
    assert float(chiller_cop(6.67, 35.0)) == pytest.approx(4.81, abs=0.02)  # facts-plant.md 6
    assert float(chiller_cop(6.67, 24.0)) == pytest.approx(6.18, abs=0.02)
    assert float(chiller_capacity_factor(6.67, 29.4)) == pytest.approx(1.0, abs=0.01)


def test_constant_pue_default_when_only_pue_given() -> None:
    fac = FacilityConfig(pue=1.3)
    assert fac.cooling_type() is CoolingType.CONSTANT_PUE
    o = facility_overhead(np.array([0.0, 40.0]), fac, 34.4, 24.9)
    assert np.allclose(o.pue, 1.3)
    assert FacilityConfig().cooling_type() is CoolingType.CHILLER_TOWER


def test_chiller_tower_overhead_rises_with_heat_and_uses_water() -> None:
    amb = np.array([-5.0, 10.0, 25.0, 34.4])
    o = facility_overhead(amb, FacilityConfig(), 34.4, 24.9)
    assert np.all(np.diff(o.pue) >= 0)
    assert 1.05 < o.pue[0] < 1.12  # economiser: losses + pumps only
    assert 1.2 < o.pue[-1] < 1.35
    # water: (heat + chiller work) x 1.60 L/kWh x 5/4
    assert o.water_l_per_kwh_it[-1] == pytest.approx(
        (1.04 + (o.pue[-1] - 1.04 - 0.0312)) * 1.6 * 1.25, rel=1e-6
    )
    assert o.capacity_factor[-1] == pytest.approx(1.0)


def test_dry_and_air_cooled_use_no_water() -> None:
    amb = np.array([10.0, 35.0])
    for kind in (CoolingType.DRY_COOLER, CoolingType.CHILLER_AIR):
        o = facility_overhead(amb, FacilityConfig(cooling=kind), 34.4, 24.9)
        assert np.all(o.water_l_per_kwh_it == 0)
        assert o.capacity_factor[0] > o.capacity_factor[1]
