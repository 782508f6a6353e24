"""Cooling overhead, DOE-2 chiller curve, water."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.cooling.config import CoolingType, FacilityConfig
from megacluster.cooling.overhead import chiller_capacity_factor, chiller_cop, facility_overhead


def _tower_l_per_kwh(t_air_c: float, t_water_c: float) -> float:
    """Evaporation per kWh of heat (issue 15): latent share (0.95 with air at or above the water, down to 0.77
    10 K below it) / latent heat (2,501 - 2.38 t kJ/kg); make-up = this x cycles / (cycles - 1). [L/kWh]"""
    share = 0.95 - 0.18 * min(max((t_water_c - t_air_c) / 10.0, 0.0), 1.0)
    return 3600.0 * share / (2501.0 - 2.38 * t_water_c)


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
    # water (issue 15): (heat + chiller work) x 3,600 kJ x latent share 0.95 (air warmer than the tower water)
    # / latent heat at the tower water (2,501 - 2.38 x 28.8 kJ/kg) x 5/4 cycles
    assert o.water_l_per_kwh_it[-1] == pytest.approx(
        (1.04 + (o.pue[-1] - 1.04 - 0.0312)) * _tower_l_per_kwh(34.4, 28.8) * 1.25, rel=1e-6
    )
    assert o.capacity_factor[-1] == pytest.approx(1.0)


def test_dry_and_air_cooled_use_no_water() -> None:
    amb = np.array([10.0, 35.0])
    for kind in (CoolingType.DRY_COOLER, CoolingType.CHILLER_AIR):
        o = facility_overhead(amb, FacilityConfig(cooling=kind), 34.4, 24.9)
        assert np.all(o.water_l_per_kwh_it == 0)
        assert o.capacity_factor[0] > o.capacity_factor[1]


DOE2_EIR = (0.933884, -0.058212, 0.00450036, 0.00243, 0.000486, -0.001215)
DOE2_CAP = (0.257896, 0.0389016, -0.00021708, 0.0468684, -0.00094284, -0.00034344)


def _biquad(c: tuple[float, ...], x: float, y: float) -> float:
    return c[0] + c[1] * x + c[2] * x * x + c[3] * y + c[4] * y * y + c[5] * x * y


def test_doe2_curves_by_hand_and_clipped_to_their_range() -> None:
    # COP = 5.5 / EIRFunT(T_chw, T_cond); capacity = CapFunT(T_chw, T_cond)
    assert float(chiller_cop(10.0, 28.8)) == pytest.approx(5.5 / _biquad(DOE2_EIR, 10.0, 28.8), rel=1e-12)
    assert float(chiller_capacity_factor(10.0, 30.0)) == pytest.approx(
        _biquad(DOE2_CAP, 10.0, 30.0), rel=1e-12
    )
    assert float(chiller_capacity_factor(10.0, 30.0)) == pytest.approx(1.0797, abs=1e-4)
    # chilled water held within 4..10 °C, condenser water within 24..35 °C: no extrapolation
    assert float(chiller_cop(6.67, 45.0)) == float(chiller_cop(6.67, 35.0))
    assert float(chiller_cop(6.67, 10.0)) == float(chiller_cop(6.67, 24.0))
    assert float(chiller_cop(2.0, 29.4)) == float(chiller_cop(4.0, 29.4))
    assert float(chiller_cop(15.0, 29.4)) == float(chiller_cop(10.0, 29.4))
    assert float(chiller_capacity_factor(15.0, 45.0)) == float(chiller_capacity_factor(10.0, 35.0))
    assert float(chiller_capacity_factor(0.0, 0.0)) == float(chiller_capacity_factor(4.0, 24.0))


def test_air_cooled_cop() -> None:
    from megacluster.cooling.overhead import air_cooled_cop

    # ASHRAE 90.1 minimum: COP 2.80 at 35 °C, 2 %/K better per K cooler, held within 1.5..8
    assert air_cooled_cop(np.array([35.0, 25.0, 45.0])).tolist() == pytest.approx([2.80, 3.36, 2.24])
    assert air_cooled_cop(np.array([-200.0, 200.0])).tolist() == [8.0, 1.5]


def test_economizer_fraction() -> None:
    from megacluster.cooling.overhead import economizer_fraction

    # 10 °C supply, 5.6 K range: return 15.6 °C; source + 1.5 K approach
    frac = economizer_fraction(np.array([5.0, 10.0, 14.1, 20.0]), 10.0, 5.6)
    assert frac.tolist() == pytest.approx([1.0, (15.6 - 11.5) / 5.6, 0.0, 0.0])


def test_chiller_tower_at_the_design_point_by_hand() -> None:
    # Memphis design 34.4/24.9 °C: towers give 24.9 + 3.9 = 28.8 °C, too warm for the economiser; the chillers
    # move 1.04 of heat per IT at COP(10, 28.8); pumps and fans 3 % of 1.04
    fac = FacilityConfig(cooling="chiller_tower")
    o = facility_overhead(np.array([34.4]), fac, 34.4, 24.9)
    cop = 5.5 / _biquad(DOE2_EIR, 10.0, 28.8)
    chiller = 1.04 / cop
    assert o.pue[0] == pytest.approx(1.04 + chiller + 0.03 * 1.04, rel=1e-9)
    tower = _tower_l_per_kwh(34.4, 28.8)
    assert o.water_l_per_kwh_it[0] == pytest.approx((1.04 + chiller) * tower * 5 / 4, rel=1e-9)
    assert o.capacity_factor[0] == pytest.approx(1.0)
    # cold: full economiser, no chiller work; capacity capped at 10x
    cold = facility_overhead(np.array([-10.0]), fac, 34.4, 24.9)
    assert cold.pue[0] == pytest.approx(1.04 + 0.0312) and cold.capacity_factor[0] == 10.0
    assert cold.water_l_per_kwh_it[0] == pytest.approx(1.04 * _tower_l_per_kwh(-10.0, -6.1) * 1.25)
    # other settings: warmer chilled water, wider approach, more cycles
    fac2 = FacilityConfig(
        cooling="chiller_tower",
        chw_supply_c=8.0,
        tower_approach_k=5.0,
        cycles_of_concentration=3.0,
        electrical_loss_fraction=0.1,
        pump_fan_fraction=0.05,
    )
    o2 = facility_overhead(np.array([34.4]), fac2, 34.4, 24.9)
    chiller2 = 1.1 / (5.5 / _biquad(DOE2_EIR, 8.0, 29.9))
    assert o2.pue[0] == pytest.approx(1.1 + chiller2 + 0.05 * 1.1, rel=1e-9)
    tower2 = _tower_l_per_kwh(34.4, 29.9)
    assert o2.water_l_per_kwh_it[0] == pytest.approx((1.1 + chiller2) * tower2 * 3 / 2, rel=1e-9)


def test_chiller_tower_capacity_relative_to_the_design_point() -> None:
    # at 30 °C dry-bulb the tower water is cooler than at the design point: more capacity (CapFunT ratio),
    # and the economiser's share (if any) is taken off the chillers
    fac = FacilityConfig(cooling="chiller_tower")
    o = facility_overhead(np.array([30.0]), fac, 34.4, 24.9)
    wet = 30.0 - 9.5 * 30.0 / 34.4
    t_tower = wet + 3.9
    econ = min(max((15.6 - (t_tower + 1.5)) / 5.6, 0.0), 1.0)
    ratio = _biquad(DOE2_CAP, 10.0, t_tower) / _biquad(DOE2_CAP, 10.0, 28.8)
    assert o.capacity_factor[0] == pytest.approx(ratio / max(1.0 - econ, 0.1), rel=1e-9)


def test_air_cooled_chillers_by_hand() -> None:
    # 35 °C: no economiser (43 °C air side), COP 2.80: 1.04 / 2.8 of chiller work; capacity 2 %/K below the
    # 34.4 °C design
    fac = FacilityConfig(cooling="chiller_air")
    o = facility_overhead(np.array([35.0, -20.0]), fac, 34.4, 24.9)
    assert o.pue[0] == pytest.approx(1.04 + 1.04 / 2.8 + 0.0312, rel=1e-9)
    assert o.capacity_factor[0] == pytest.approx(1.0 - 0.02 * 0.6)
    # -20 °C: the economiser carries it all
    assert o.pue[1] == pytest.approx(1.0712) and o.capacity_factor[1] == 10.0
    # 10 °C: 18 °C on the air side is too warm to pre-cool 15.6 °C water; COP 2.8 x 1.5 = 4.2
    mild = facility_overhead(np.array([10.0]), fac, 34.4, 24.9)
    assert mild.pue[0] == pytest.approx(1.04 + 1.04 / 4.2 + 0.0312, rel=1e-9)
    assert mild.capacity_factor[0] == pytest.approx(1.0 + 0.02 * 24.4)
    # 1.34 °C: the economiser takes 85 % of the heat, the chillers' capacity counts for the other 15 %
    cool = facility_overhead(np.array([1.34]), fac, 34.4, 24.9)
    assert cool.capacity_factor[0] == pytest.approx(min((1.0 + 0.02 * 33.06) / 0.15, 10.0))
    # far above the design point the air-cooled chillers have nothing left
    assert facility_overhead(np.array([100.0]), fac, 34.4, 24.9).capacity_factor[0] == 0.0
    assert o.water_l_per_kwh_it.shape == (2,)


def test_dry_coolers_by_hand() -> None:
    # 40 °C supply, 50 °C return: capacity ~ (50 - ambient) / (50 - design); no chillers
    fac = FacilityConfig(cooling="dry_cooler")
    o = facility_overhead(np.array([30.0, 34.4, 55.0, -500.0]), fac, 34.4, 24.9)
    assert o.capacity_factor.tolist() == pytest.approx([20.0 / 15.6, 1.0, 0.0, 10.0])
    assert o.pue.tolist() == pytest.approx([1.0712] * 4)
    assert o.water_l_per_kwh_it.shape == (4,)
    # a design dry-bulb within a degree of the return water still gives a finite ratio
    near = facility_overhead(np.array([49.9]), fac, 49.5, 24.9)
    assert near.capacity_factor[0] == pytest.approx(0.1 / 0.5)
    hot = facility_overhead(
        np.array([30.0]), FacilityConfig(cooling="dry_cooler", liquid_supply_c=45.0), 34.4, 0.0
    )
    assert hot.capacity_factor[0] == pytest.approx(25.0 / 20.6)


def test_constant_pue_uses_its_water_and_never_limits() -> None:
    o = facility_overhead(np.array([20.0, 45.0]), FacilityConfig(pue=1.4, wue_l_per_kwh=0.5), 34.4, 24.9)
    assert o.pue.tolist() == [1.4, 1.4] and o.water_l_per_kwh_it.tolist() == [0.5, 0.5]
    assert o.capacity_factor.tolist() == [10.0, 10.0]
    # the default constant PUE is 1.2 (facts.md 2.1), the default water the LBNL 0.38 L/kWh
    d = facility_overhead(np.array([20.0]), FacilityConfig(cooling="constant_pue"), 34.4, 24.9)
    assert d.pue.tolist() == [1.2] and d.water_l_per_kwh_it.tolist() == [0.38]


def test_cooling_limit() -> None:
    from megacluster.cooling.overhead import cooling_limit_it_mw

    factor = np.array([1.0, 0.5])
    # a 104 MW plant removes the heat of 100 MW of IT (4 % electrical losses)
    given = cooling_limit_it_mw(FacilityConfig(cooling_capacity_mw=104.0), factor, 50.0)
    assert given.tolist() == pytest.approx([100.0, 50.0])
    # sized for the installed peak at the worst step (issue 15: the weather's hottest hours), a hair of margin
    sized = cooling_limit_it_mw(FacilityConfig(), factor, 80.0)
    assert sized.tolist() == pytest.approx([160.0, 80.0]) and np.all(sized > [160.0, 80.0])
    assert sized[1] == 80.0 * (1 + 1e-9) + 1e-9
    assert cooling_limit_it_mw(FacilityConfig(), factor, 0.0).tolist() == [1e-9, 1e-9]
