"""Facility overhead, cooling capacity and water versus ambient: pure, vectorised functions.

All results are per unit of IT power, so the facility power is ``IT x pue``; the cooling capacity factor is
the plant's heat capacity relative to its design point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.cooling import constants as k
from megacluster.cooling.climate import wetbulb_c
from megacluster.cooling.config import CoolingType, FacilityConfig

FloatArray = npt.NDArray[np.float64]


def _biquadratic(c: tuple[float, ...], x: FloatArray, y: FloatArray) -> FloatArray:
    return np.asarray(
        c[0] + c[1] * x + c[2] * x * x + c[3] * y + c[4] * y * y + c[5] * x * y, dtype=np.float64
    )


def chiller_cop(t_chw_c: FloatArray | float, t_cond_c: FloatArray | float) -> FloatArray:
    """Full-load COP of the DOE-2 reference centrifugal chiller (inputs clipped to the curve's range). [-]"""
    chw = np.clip(np.asarray(t_chw_c, dtype=np.float64), *k.CHILLER_T_CHW_RANGE_C)
    cond = np.clip(np.asarray(t_cond_c, dtype=np.float64), *k.CHILLER_T_COND_RANGE_C)
    return np.asarray(k.CHILLER_COP_REF / _biquadratic(k.CHILLER_EIR_FT, chw, cond), dtype=np.float64)


def chiller_capacity_factor(t_chw_c: FloatArray | float, t_cond_c: FloatArray | float) -> FloatArray:
    """Capacity of the DOE-2 reference chiller relative to its reference point (CapFunT). [-]"""
    chw = np.clip(np.asarray(t_chw_c, dtype=np.float64), *k.CHILLER_T_CHW_RANGE_C)
    cond = np.clip(np.asarray(t_cond_c, dtype=np.float64), *k.CHILLER_T_COND_RANGE_C)
    return _biquadratic(k.CHILLER_CAP_FT, chw, cond)


def air_cooled_cop(t_db_c: FloatArray) -> FloatArray:
    """COP of an air-cooled chiller: 2.80 at 35 °C, 2 %/K better per K cooler, within 1.5..8. [-]"""
    cop = k.AIR_COOLED_COP_AT_35C * (1.0 + k.AIR_COOLED_COP_PER_K * (35.0 - np.asarray(t_db_c)))
    return np.asarray(np.clip(cop, *k.CHILLER_COP_RANGE), dtype=np.float64)


def economizer_fraction(t_source_c: FloatArray, chw_supply_c: float, chw_range_k: float) -> FloatArray:
    """Share of the heat a water-side economiser takes ahead of the chillers, from its cold source. [-]"""
    chw_return = chw_supply_c + chw_range_k
    frac = (chw_return - (np.asarray(t_source_c) + k.ECONOMIZER_HX_APPROACH_K)) / chw_range_k
    return np.asarray(np.clip(frac, 0.0, 1.0), dtype=np.float64)


@dataclass(frozen=True)
class Overhead:
    """Per-step facility factors."""

    pue: FloatArray
    """Facility power / IT power. [-]"""
    water_l_per_kwh_it: FloatArray
    """Water consumed per kWh of IT energy. [L/kWh]"""
    capacity_factor: FloatArray
    """Cooling capacity relative to the design point. [-]"""


def facility_overhead(
    ambient_c: FloatArray, facility: FacilityConfig, design_drybulb_c: float, design_wetbulb_c: float
) -> Overhead:
    """PUE, water per IT kWh and cooling-capacity factor at each ambient temperature. [-, L/kWh, -]"""
    t_db = np.asarray(ambient_c, dtype=np.float64)
    kind = facility.cooling_type()
    heat = 1.0 + facility.electrical_loss_fraction  # heat moved per unit IT power
    pumps = facility.pump_fan_fraction * heat
    ones = np.ones_like(t_db)
    if kind is CoolingType.CONSTANT_PUE:
        return Overhead(
            pue=ones * facility.pue_value(),
            water_l_per_kwh_it=ones * facility.wue_l_per_kwh,
            capacity_factor=ones * k.MAX_CAPACITY_FACTOR,
        )
    if kind is CoolingType.CHILLER_TOWER:
        t_tower = wetbulb_c(t_db, design_drybulb_c, design_wetbulb_c) + facility.tower_approach_k
        t_tower_design = design_wetbulb_c + facility.tower_approach_k
        econ = economizer_fraction(t_tower, facility.chw_supply_c, k.CHW_RANGE_K)
        cop = chiller_cop(facility.chw_supply_c, t_tower)
        chiller = heat * (1.0 - econ) / cop
        rejected = heat + chiller
        water = (
            rejected
            * k.EVAPORATION_L_PER_KWH
            * facility.cycles_of_concentration
            / (facility.cycles_of_concentration - 1.0)
        )
        cap_ratio = chiller_capacity_factor(facility.chw_supply_c, t_tower) / chiller_capacity_factor(
            facility.chw_supply_c, t_tower_design
        )
        capacity = cap_ratio / np.maximum(1.0 - econ, 1.0 / k.MAX_CAPACITY_FACTOR)
        return Overhead(
            pue=1.0 + facility.electrical_loss_fraction + chiller + pumps,
            water_l_per_kwh_it=water,
            capacity_factor=np.minimum(capacity, k.MAX_CAPACITY_FACTOR),
        )
    if kind is CoolingType.CHILLER_AIR:
        econ = economizer_fraction(t_db + k.DRY_COOLER_APPROACH_K, facility.chw_supply_c, k.CHW_RANGE_K)
        chiller = heat * (1.0 - econ) / air_cooled_cop(t_db)
        cap_ratio = np.clip(1.0 - k.AIR_COOLED_COP_PER_K * (t_db - design_drybulb_c), 0.0, None)
        capacity = cap_ratio / np.maximum(1.0 - econ, 1.0 / k.MAX_CAPACITY_FACTOR)
        return Overhead(
            pue=1.0 + facility.electrical_loss_fraction + chiller + pumps,
            water_l_per_kwh_it=np.zeros_like(t_db),
            capacity_factor=np.minimum(capacity, k.MAX_CAPACITY_FACTOR),
        )
    # dry coolers: heat flow ~ (water return - air) with a fixed heat exchanger and airflow
    t_return = facility.liquid_supply_c + 10.0  # [A] 10 K loop range (25 -> 45 °C quoted, facts-plant.md 6)
    capacity = (t_return - t_db) / max(t_return - design_drybulb_c, 1e-6)
    return Overhead(
        pue=1.0 + facility.electrical_loss_fraction + pumps * ones,
        water_l_per_kwh_it=np.zeros_like(t_db),
        capacity_factor=np.asarray(np.clip(capacity, 0.0, k.MAX_CAPACITY_FACTOR), dtype=np.float64),
    )


FIT_MARGIN = 1e-9
"""Relative and absolute margin [-, MW] by which a plant sized for the installed peak exceeds it, so that
rounding never makes the design peak throttle."""


def cooling_limit_it_mw(
    facility: FacilityConfig, capacity_factor: FloatArray, it_peak_mw: float
) -> FloatArray:
    """IT power the cooling plant can carry at each step: its heat capacity (``cooling_capacity_mw`` at the
    design point, else sized for ``it_peak_mw``) times the capacity factor, per unit of heat per IT power.
    [MW]"""
    factor = np.asarray(capacity_factor, dtype=np.float64)
    if facility.cooling_capacity_mw is not None:
        heat_per_it = 1.0 + facility.electrical_loss_fraction
        return np.asarray(facility.cooling_capacity_mw * factor / heat_per_it, dtype=np.float64)
    return np.asarray(it_peak_mw * factor * (1.0 + FIT_MARGIN) + FIT_MARGIN, dtype=np.float64)
