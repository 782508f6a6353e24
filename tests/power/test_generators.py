"""Generator models against hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.power import constants as k
from megacluster.power.generators import (
    ambient_heat_rate_factor,
    ambient_output_factor,
    co2_t,
    fuel_mmbtu,
    nox_t,
    outage_down_units,
    partload_factor_scalar,
    partload_heat_rate_factor,
)


def test_heat_rate_by_hand_half_load() -> None:
    # SMT-130: 10,670 Btu/kWh HHV at full load; at 50 % load the relative efficiency is 0.776 (TransiEnt),
    # so 8.25 MW for one hour burns 8.25 MWh x 10.670 MMBtu/MWh / 0.776 = 113.44 MMBtu.
    fuel = fuel_mmbtu(8.25, 1.0, 10_670.0, load_fraction=0.5, ambient_c=15.0)
    assert float(fuel) == pytest.approx(8.25 * 10.670 / 0.776, rel=1e-12)
    assert float(fuel) == pytest.approx(113.43, abs=0.01)


def test_heat_rate_full_load_hot_day() -> None:
    # 35 °C: heat rate +0.33 %/K x 20 K = +6.6 %; 16.5 MW x 1 h x 10.670 x 1.066 = 187.67 MMBtu
    fuel = fuel_mmbtu(16.5, 1.0, 10_670.0, load_fraction=1.0, ambient_c=35.0)
    assert float(fuel) == pytest.approx(16.5 * 10.670 * 1.066, rel=1e-12)


def test_partload_curve_interpolates_and_holds() -> None:
    assert float(partload_heat_rate_factor(1.0)) == pytest.approx(1.0)
    assert float(partload_heat_rate_factor(0.75)) == pytest.approx(1 / ((0.905 + 0.946) / 2))
    assert float(partload_heat_rate_factor(0.1)) == pytest.approx(1 / 0.619)
    for x in (0.1, 0.3, 0.45, 0.77, 0.99, 1.0):
        assert partload_factor_scalar(x) == pytest.approx(float(partload_heat_rate_factor(x)), rel=1e-12)


def test_ap42_factor_times_fuel() -> None:
    # 1,000 MMBtu uncontrolled: 0.32 lb/MMBtu x 1,000 = 320 lb = 0.14515 t; DLN 99.2 lb = 0.044996 t
    assert float(nox_t(1000.0, k.NOX_LB_PER_MMBTU["uncontrolled"])) == pytest.approx(320 * 0.45359237e-3)
    assert float(nox_t(1000.0, k.NOX_LB_PER_MMBTU["dln"])) == pytest.approx(0.044996, rel=1e-4)
    # CO2: 1,000 MMBtu x 53.06 kg = 53.06 t
    assert float(co2_t(1000.0)) == pytest.approx(53.06)


def test_ambient_derating() -> None:
    assert float(ambient_output_factor(15.0)) == pytest.approx(1.0)
    assert float(ambient_output_factor(40.0)) == pytest.approx(0.83)
    assert float(ambient_output_factor(-10.0)) == pytest.approx(1.0)  # held at the rating
    assert float(ambient_heat_rate_factor(45.0)) == pytest.approx(1.099)


def test_outages_match_rate_and_are_per_unit_stable() -> None:
    n = 200_000
    down = outage_down_units(7, 0, 20, n, 300.0, 0.05, 24.0)
    assert down.min() >= 0 and down.max() <= 20
    assert down.mean() / 20 == pytest.approx(0.05, abs=0.015)
    # adding units never changes the outages of the first ones
    more = outage_down_units(7, 0, 21, n, 300.0, 0.05, 24.0)
    assert np.all(more >= down) and np.all(more - down <= 1)


def test_no_outages_when_rate_zero() -> None:
    assert outage_down_units(1, 0, 5, 100, 60.0, 0.0, 24.0).sum() == 0
