"""Behaviour of the facility-overhead models worked out by hand: dry coolers with and without trim chillers,
the cooling tower's water split, the latent share, and the cooling plant's IT limit."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.cooling import constants as k
from megacluster.cooling.config import CoolingType, FacilityConfig
from megacluster.cooling.overhead import (
    FIT_MARGIN,
    Overhead,
    air_cooled_cop,
    cooling_limit_it_mw,
    facility_overhead,
    latent_fraction,
    latent_heat_kj_per_kg,
    tower_water_l_per_kwh,
)

AMBIENT_C = np.array([-10.0, 10.0, 22.0, 27.0, 32.0, 38.0, 45.0])


def test_dry_cooler_with_trim_chillers_by_hand() -> None:
    """Trim chillers take the share the dry coolers cannot reach: (1 - free) of the heat at the air-cooled
    COP; free = (return - (air + approach)) / loop range, held in 0..1; capacity never falls; no water."""
    fac = FacilityConfig(cooling=CoolingType.DRY_COOLER_CHILLER, electrical_loss_fraction=0.05)
    out = facility_overhead(AMBIENT_C, fac, 35.0, 24.0)
    heat = 1.05
    pumps = fac.pump_fan_fraction * heat
    t_return = fac.liquid_supply_c + k.LIQUID_LOOP_RANGE_K
    free = np.clip((t_return - (AMBIENT_C + k.DRY_COOLER_APPROACH_K)) / k.LIQUID_LOOP_RANGE_K, 0.0, 1.0)
    chiller = heat * (1.0 - free) / air_cooled_cop(AMBIENT_C)
    np.testing.assert_allclose(out.pue, 1.0 + 0.05 + pumps + chiller, rtol=1e-12)
    # cold air: the dry coolers carry it all, no chiller power
    assert out.pue[0] == pytest.approx(1.0 + 0.05 + pumps, rel=1e-12)
    assert out.pue[1] == pytest.approx(1.0 + 0.05 + pumps, rel=1e-12)
    # hot air: some chiller power, more the hotter
    assert out.pue[-1] > out.pue[-2] > out.pue[2]
    np.testing.assert_array_equal(out.water_l_per_kwh_it, np.zeros(AMBIENT_C.size))
    np.testing.assert_array_equal(out.capacity_factor, np.full(AMBIENT_C.size, k.MAX_CAPACITY_FACTOR))
    assert out.pue.shape == out.capacity_factor.shape == AMBIENT_C.shape
    assert out.water_l_per_kwh_it.shape == AMBIENT_C.shape
    # no split of the water: all of it (none) counts as evaporation
    evap, drift, blow = out.parts_l_per_kwh_it()
    assert np.all(evap == 0) and np.all(drift == 0) and np.all(blow == 0)
    assert evap.shape == drift.shape == blow.shape == AMBIENT_C.shape


def test_water_parts_default_to_zero_drift_and_blowdown() -> None:
    water = np.array([1.0, 2.0])
    only_evaporation = Overhead(
        pue=np.ones(2), water_l_per_kwh_it=water, capacity_factor=np.ones(2), evaporation_l_per_kwh_it=water
    )
    evap, drift, blow = only_evaporation.parts_l_per_kwh_it()
    np.testing.assert_array_equal(evap, water)
    np.testing.assert_array_equal(drift, [0.0, 0.0])
    np.testing.assert_array_equal(blow, [0.0, 0.0])
    assert drift.shape == blow.shape == (2,)
    plain = Overhead(pue=np.ones(2), water_l_per_kwh_it=water, capacity_factor=np.ones(2))
    evap, drift, blow = plain.parts_l_per_kwh_it()
    np.testing.assert_array_equal(evap, water)
    assert drift.shape == blow.shape == (2,) and not drift.any() and not blow.any()


def test_trim_chiller_at_an_ambient_above_the_return_water_takes_all_the_heat() -> None:
    fac = FacilityConfig(cooling=CoolingType.DRY_COOLER_CHILLER, liquid_supply_c=20.0)
    t = np.array([40.0])
    out = facility_overhead(t, fac, 35.0, 24.0)
    heat = 1.0 + fac.electrical_loss_fraction
    expected = 1.0 + fac.electrical_loss_fraction + fac.pump_fan_fraction * heat + heat / air_cooled_cop(t)
    assert out.pue[0] == pytest.approx(float(expected[0]), rel=1e-12)


def test_dry_cooler_alone_loses_capacity_linearly_with_ambient() -> None:
    fac = FacilityConfig(
        cooling=CoolingType.DRY_COOLER, electrical_loss_fraction=0.02, pump_fan_fraction=0.05
    )
    design = 35.0
    out = facility_overhead(AMBIENT_C, fac, design, 24.0)
    t_return = fac.liquid_supply_c + k.LIQUID_LOOP_RANGE_K
    expected = np.clip((t_return - AMBIENT_C) / (t_return - design), 0.0, k.MAX_CAPACITY_FACTOR)
    np.testing.assert_allclose(out.capacity_factor, expected, rtol=1e-12)
    assert out.capacity_factor[AMBIENT_C == 45.0][0] == pytest.approx(5.0 / 15.0)
    # the overhead is pumps and losses only, at every ambient
    np.testing.assert_allclose(out.pue, np.full(AMBIENT_C.size, 1.0 + 0.02 + 0.05 * 1.02), rtol=1e-12)
    np.testing.assert_array_equal(out.water_l_per_kwh_it, np.zeros(AMBIENT_C.size))
    assert out.water_l_per_kwh_it.shape == out.pue.shape == AMBIENT_C.shape
    # above the return water: no capacity (not negative)
    hot = facility_overhead(np.array([55.0]), fac, design, 24.0)
    assert hot.capacity_factor[0] == 0.0
    # a design point at the return water itself: capacity held finite
    edge = facility_overhead(np.array([49.0]), fac, t_return, 24.0)
    assert edge.capacity_factor[0] == k.MAX_CAPACITY_FACTOR


def test_latent_fraction_endpoints_and_line() -> None:
    assert float(latent_fraction(30.0, 30.0)) == pytest.approx(k.LATENT_FRACTION_WARM_AIR)
    assert float(latent_fraction(40.0, 30.0)) == pytest.approx(k.LATENT_FRACTION_WARM_AIR)
    assert float(latent_fraction(20.0, 30.0)) == pytest.approx(k.LATENT_FRACTION_COOL_AIR)
    # far colder air than the span: still the cool-air share, never below
    assert float(latent_fraction(0.0, 30.0)) == pytest.approx(k.LATENT_FRACTION_COOL_AIR)
    assert float(latent_fraction(25.0, 30.0)) == pytest.approx(0.5 * (0.95 + 0.77))
    both = latent_fraction(np.array([30.0, 25.0]), np.array([30.0, 30.0]))
    np.testing.assert_allclose(both, [0.95, 0.86])


def test_latent_heat_is_the_steam_table_line() -> None:
    # 2501 kJ/kg at 0 °C less 2.38 kJ/kg per K: ~2430 kJ/kg at 30 °C (steam tables: 2430.5)
    assert float(latent_heat_kj_per_kg(30.0)) == pytest.approx(2430.0, abs=1.0)
    np.testing.assert_allclose(
        latent_heat_kj_per_kg(np.array([25, 35])),
        [k.LATENT_HEAT_KJ_PER_KG_AT_0C - 2.38 * 25, k.LATENT_HEAT_KJ_PER_KG_AT_0C - 2.38 * 35],
    )


def test_tower_water_split_by_hand() -> None:
    heat = np.array([1.2, 1.0])
    t_air = np.array([35.0, 20.0])
    t_water = np.array([30.0, 30.0])
    evap, drift, blow = tower_water_l_per_kwh(heat, t_air, t_water, cycles=5.0, drift=0.0002)
    heat_kj = heat * 3600.0
    lam = k.LATENT_HEAT_KJ_PER_KG_AT_0C - k.LATENT_HEAT_KJ_PER_KG_PER_K * 30.0
    np.testing.assert_allclose(evap, heat_kj * np.array([0.95, 0.77]) / lam, rtol=1e-12)
    circulated = heat_kj / (k.WATER_HEAT_CAPACITY_KJ_PER_KG_K * k.CONDENSER_RANGE_K)
    np.testing.assert_allclose(drift, 0.0002 * circulated, rtol=1e-12)
    np.testing.assert_allclose(blow, evap / 4.0 - drift, rtol=1e-12)
    # ~1.7 L of evaporation per kWh of heat at 95 % latent share
    assert evap[0] / heat[0] == pytest.approx(3600.0 * 0.95 / lam, rel=1e-12)
    assert evap[0] / heat[0] == pytest.approx(1.41, abs=0.01)


def test_tower_blowdown_is_never_negative() -> None:
    # a huge drift already carries more water than the cycles need: no blowdown
    evap, drift, blow = tower_water_l_per_kwh(
        np.array([1.0]), np.array([30.0]), np.array([30.0]), cycles=50.0, drift=0.01
    )
    assert float(drift[0]) > float(evap[0]) / 49.0
    assert float(blow[0]) == 0.0


def test_chiller_tower_water_is_its_three_parts() -> None:
    fac = FacilityConfig(cooling=CoolingType.CHILLER_TOWER, drift_fraction=0.001, cycles_of_concentration=3.0)
    t_db = np.array([5.0, 25.0, 35.0])
    t_wb = np.array([2.0, 18.0, 26.0])
    out = facility_overhead(t_db, fac, 35.0, 25.0, wetbulb=t_wb)
    evap, drift, blow = out.parts_l_per_kwh_it()
    np.testing.assert_allclose(out.water_l_per_kwh_it, evap + drift + blow, rtol=1e-12)
    assert np.all(evap > 0) and np.all(drift > 0) and np.all(blow >= 0)
    # the tower rejects the IT heat, the losses and the chillers' work
    heat = 1.0 + fac.electrical_loss_fraction
    chiller = out.pue - 1.0 - fac.electrical_loss_fraction - fac.pump_fan_fraction * heat
    t_tower = t_wb + fac.tower_approach_k
    e2, d2, b2 = tower_water_l_per_kwh(heat + chiller, t_db, t_tower, 3.0, 0.001)
    np.testing.assert_allclose(evap, e2, rtol=1e-9)
    np.testing.assert_allclose(drift, d2, rtol=1e-9)
    np.testing.assert_allclose(blow, b2, rtol=1e-9)


def test_constant_pue_plant() -> None:
    fac = FacilityConfig(pue=1.35, wue_l_per_kwh=0.5)
    out = facility_overhead(AMBIENT_C, fac, 35.0, 24.0)
    np.testing.assert_array_equal(out.pue, np.full(AMBIENT_C.size, 1.35))
    np.testing.assert_array_equal(out.water_l_per_kwh_it, np.full(AMBIENT_C.size, 0.5))
    np.testing.assert_array_equal(out.capacity_factor, np.full(AMBIENT_C.size, k.MAX_CAPACITY_FACTOR))


def test_cooling_limit_with_a_given_plant_size() -> None:
    fac = FacilityConfig(cooling_capacity_mw=210.0, electrical_loss_fraction=0.05)
    factor = np.array([1.0, 0.5, 1.2])
    np.testing.assert_allclose(cooling_limit_it_mw(fac, factor, 999.0), [200.0, 100.0, 240.0], rtol=1e-12)


def test_cooling_limit_sized_for_the_worst_step() -> None:
    fac = FacilityConfig()
    factor = np.array([1.0, 0.8, 1.6])
    limit = cooling_limit_it_mw(fac, factor, 150.0)
    expected = 150.0 * factor / 0.8 * (1.0 + FIT_MARGIN) + FIT_MARGIN
    np.testing.assert_allclose(limit, expected, rtol=1e-15)
    assert limit.min() > 150.0  # the installed peak always fits
    assert limit.min() - 150.0 < 1e-6
    # every factor above 1: sized at the design point (worst taken as at most 1)
    high = cooling_limit_it_mw(fac, np.array([1.5, 2.0]), 100.0)
    np.testing.assert_allclose(high, 100.0 * np.array([1.5, 2.0]) * (1 + FIT_MARGIN) + FIT_MARGIN)
    # a step with no capacity at all: no plant size helps, sized at the design point
    none = cooling_limit_it_mw(fac, np.array([0.0, 1.0]), 100.0)
    np.testing.assert_allclose(none, [FIT_MARGIN, 100.0 * (1 + FIT_MARGIN) + FIT_MARGIN])
    tiny = cooling_limit_it_mw(fac, np.array([1e-3, 1.0]), 100.0)
    np.testing.assert_allclose(
        tiny, [0.1 * (1 + FIT_MARGIN) + FIT_MARGIN, 100.0 * (1 + FIT_MARGIN) + FIT_MARGIN]
    )
    assert limit.dtype == np.float64
