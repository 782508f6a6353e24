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


def test_partload_curve_at_every_point() -> None:
    # TransiEnt: eta / eta_nom at 30..100 % load; heat rate = full-load heat rate / relative efficiency
    for x, eff in zip(k.PARTLOAD_LOAD_FRACTION, k.PARTLOAD_RELATIVE_EFFICIENCY, strict=True):
        assert partload_factor_scalar(x) == pytest.approx(1.0 / eff, rel=1e-12)
        assert float(partload_heat_rate_factor(x)) == pytest.approx(1.0 / eff, rel=1e-12)
    assert partload_factor_scalar(0.5) == pytest.approx(1 / 0.776)
    # between points: linear in efficiency; below 30 % the 30 % value holds; above full load, full load
    assert partload_factor_scalar(0.35) == pytest.approx(1 / 0.660)
    assert partload_factor_scalar(0.0) == pytest.approx(1 / 0.619)
    assert partload_factor_scalar(1.2) == 1.0 and float(partload_heat_rate_factor(1.2)) == 1.0


def test_ambient_factors_by_hand() -> None:
    # 0.68 %/K lost above 15 °C: 25 °C -> 0.932; a steeper derate reaches zero and holds there
    assert float(ambient_output_factor(25.0)) == pytest.approx(0.932)
    assert float(ambient_output_factor(25.0, derate_per_c=0.01)) == pytest.approx(0.9)
    assert float(ambient_output_factor(40.0, derate_per_c=0.05)) == 0.0
    assert ambient_output_factor(np.array([15.0, 40.0])).tolist() == pytest.approx([1.0, 0.83])
    # heat rate: +0.33 %/K above 15 °C, and better below
    assert float(ambient_heat_rate_factor(15.0)) == 1.0
    assert float(ambient_heat_rate_factor(5.0)) == pytest.approx(0.967)


def test_fuel_defaults_to_full_load_at_iso() -> None:
    # 10 MW for half an hour at 9,717 Btu/kWh (NREL ATB Gas-CT): 5 MWh x 9.717 MMBtu/MWh
    assert float(fuel_mmbtu(10.0, 0.5, 9717.0)) == pytest.approx(5.0 * 9.717)
    assert fuel_mmbtu(np.array([0.0, 10.0]), 1.0, 10_000.0, load_fraction=np.array([0.3, 1.0])).tolist() == [
        0.0,
        pytest.approx(100.0),
    ]


def test_co2_and_nox_factors() -> None:
    assert float(co2_t(2000.0, kg_per_mmbtu=50.0)) == pytest.approx(100.0)
    assert float(nox_t(2000.0, k.NOX_LB_PER_MMBTU["scr"])) == pytest.approx(2000 * 0.0099 * 0.45359237e-3)


def test_outage_durations_follow_the_repair_time_and_rate() -> None:
    # rate 0.2, 2 h repairs at 5-minute steps: 24-step outages every 24 / 0.2 = 120 steps on average
    down = outage_down_units(0, 0, 1, 200_000, 300.0, 0.2, 2.0)
    edges = np.diff(np.concatenate(([0], down, [0])))
    lengths = np.nonzero(edges == -1)[0] - np.nonzero(edges == 1)[0]
    assert lengths.mean() == pytest.approx(24.0, rel=0.15)
    assert len(lengths) == pytest.approx(200_000 / 120, rel=0.15)
    assert down.mean() == pytest.approx(0.2, abs=0.03)
    # longer steps: fewer steps per repair
    hourly = outage_down_units(0, 0, 1, 20_000, 3600.0, 0.2, 2.0)
    edges = np.diff(np.concatenate(([0], hourly, [0])))
    assert (np.nonzero(edges == -1)[0] - np.nonzero(edges == 1)[0]).mean() == pytest.approx(2.5, abs=0.5)


def test_units_start_down_at_the_outage_rate() -> None:
    # at a 90 % rate most of 50 units are down at the first step
    assert outage_down_units(3, 0, 50, 5, 300.0, 0.9, 24.0)[0] >= 40
    assert outage_down_units(3, 0, 50, 5, 300.0, 0.1, 24.0)[0] <= 10


def test_outages_of_nothing() -> None:
    assert outage_down_units(1, 0, 0, 10, 60.0, 0.5, 24.0).tolist() == [0] * 10
    assert len(outage_down_units(1, 0, 3, 0, 60.0, 0.5, 24.0)) == 0
    # fleets draw independently
    a = outage_down_units(1, 0, 5, 5000, 300.0, 0.3, 2.0)
    b = outage_down_units(1, 1, 5, 5000, 300.0, 0.3, 2.0)
    assert not np.array_equal(a, b)
