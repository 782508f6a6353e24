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
    """Cooling-tower make-up water (evaporation + drift + blowdown) per kWh of IT energy. [L/kWh]"""
    capacity_factor: FloatArray
    """Cooling capacity relative to the design point. [-]"""
    evaporation_l_per_kwh_it: FloatArray | None = None
    """Of which evaporated (latent share of the heat rejected / latent heat). [L/kWh]"""
    drift_l_per_kwh_it: FloatArray | None = None
    """Of which carried off as droplets. [L/kWh]"""
    blowdown_l_per_kwh_it: FloatArray | None = None
    """Of which bled off to hold the cycles of concentration. [L/kWh]"""

    def parts_l_per_kwh_it(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(evaporation, drift, blowdown) per kWh of IT energy; a plant without a tower's split counts its
        whole water as evaporated. [L/kWh]"""
        zero = np.zeros_like(self.water_l_per_kwh_it)
        if self.evaporation_l_per_kwh_it is None:
            return self.water_l_per_kwh_it, zero, zero
        drift = self.drift_l_per_kwh_it if self.drift_l_per_kwh_it is not None else zero
        blow = self.blowdown_l_per_kwh_it if self.blowdown_l_per_kwh_it is not None else zero
        return self.evaporation_l_per_kwh_it, drift, blow


def latent_heat_kj_per_kg(t_water_c: FloatArray | float) -> FloatArray:
    """Latent heat of vaporisation of water at its temperature (steam-table line, 25-35 °C). [kJ/kg]"""
    t = np.asarray(t_water_c, dtype=np.float64)
    return np.asarray(k.LATENT_HEAT_KJ_PER_KG_AT_0C - k.LATENT_HEAT_KJ_PER_KG_PER_K * t, dtype=np.float64)


def latent_fraction(t_air_c: FloatArray | float, t_water_c: FloatArray | float) -> FloatArray:
    """Share of a tower's heat that leaves as evaporation: 0.95 with the air at or above the leaving water's
    temperature, falling to 0.77 as the air gets 10 K cooler than the water (sensible heat). [-]"""
    gap = np.asarray(t_water_c, dtype=np.float64) - np.asarray(t_air_c, dtype=np.float64)
    x = np.clip(gap / k.LATENT_FRACTION_SPAN_K, 0.0, 1.0)
    return np.asarray(
        k.LATENT_FRACTION_WARM_AIR + (k.LATENT_FRACTION_COOL_AIR - k.LATENT_FRACTION_WARM_AIR) * x,
        dtype=np.float64,
    )


def tower_water_l_per_kwh(
    heat_kwh_per_kwh_it: FloatArray, t_air_c: FloatArray, t_water_c: FloatArray, cycles: float, drift: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(evaporation, drift, blowdown) of a cooling tower per kWh of IT: evaporation = heat x latent share /
    latent heat; drift = drift fraction x the water circulated (heat / (c_p x range)); blowdown = evaporation
    / (cycles - 1) - drift, at least 0. [L/kWh]"""
    heat_kj = np.asarray(heat_kwh_per_kwh_it, dtype=np.float64) * 3600.0
    evaporation = heat_kj * latent_fraction(t_air_c, t_water_c) / latent_heat_kj_per_kg(t_water_c)
    circulated = heat_kj / (k.WATER_HEAT_CAPACITY_KJ_PER_KG_K * k.CONDENSER_RANGE_K)
    drift_l = drift * circulated
    blowdown = np.clip(evaporation / (cycles - 1.0) - drift_l, 0.0, None)
    return evaporation, np.asarray(drift_l, dtype=np.float64), np.asarray(blowdown, dtype=np.float64)


def _chiller_tower(
    t_db: FloatArray, t_wb: FloatArray, facility: FacilityConfig, design_wetbulb_c: float
) -> Overhead:
    """Chillers on evaporative towers with a water-side economiser. [-, L/kWh, -]"""
    heat = 1.0 + facility.electrical_loss_fraction
    t_tower = t_wb + facility.tower_approach_k
    t_tower_design = design_wetbulb_c + facility.tower_approach_k
    econ = economizer_fraction(t_tower, facility.chw_supply_c, k.CHW_RANGE_K)
    cop = chiller_cop(facility.chw_supply_c, t_tower)
    chiller = heat * (1.0 - econ) / cop
    evap, drift, blow = tower_water_l_per_kwh(
        heat + chiller, t_db, t_tower, facility.cycles_of_concentration, facility.drift_fraction
    )
    cap_ratio = chiller_capacity_factor(facility.chw_supply_c, t_tower) / chiller_capacity_factor(
        facility.chw_supply_c, t_tower_design
    )
    capacity = cap_ratio / np.maximum(1.0 - econ, 1.0 / k.MAX_CAPACITY_FACTOR)
    return Overhead(
        pue=1.0 + facility.electrical_loss_fraction + chiller + facility.pump_fan_fraction * heat,
        water_l_per_kwh_it=evap + drift + blow,
        capacity_factor=np.minimum(capacity, k.MAX_CAPACITY_FACTOR),
        evaporation_l_per_kwh_it=evap,
        drift_l_per_kwh_it=drift,
        blowdown_l_per_kwh_it=blow,
    )


def _chiller_air(t_db: FloatArray, facility: FacilityConfig, design_drybulb_c: float) -> Overhead:
    """Air-cooled chillers with an air-side economiser coil: no water. [-, L/kWh, -]"""
    heat = 1.0 + facility.electrical_loss_fraction
    econ = economizer_fraction(t_db + k.DRY_COOLER_APPROACH_K, facility.chw_supply_c, k.CHW_RANGE_K)
    chiller = heat * (1.0 - econ) / air_cooled_cop(t_db)
    cap_ratio = np.clip(1.0 - k.AIR_COOLED_COP_PER_K * (t_db - design_drybulb_c), 0.0, None)
    capacity = cap_ratio / np.maximum(1.0 - econ, 1.0 / k.MAX_CAPACITY_FACTOR)
    return Overhead(
        pue=1.0 + facility.electrical_loss_fraction + chiller + facility.pump_fan_fraction * heat,
        water_l_per_kwh_it=np.zeros_like(t_db),
        capacity_factor=np.minimum(capacity, k.MAX_CAPACITY_FACTOR),
    )


def _dry_cooler(t_db: FloatArray, facility: FacilityConfig, design_drybulb_c: float, trim: bool) -> Overhead:
    """A warm-water loop on dry coolers (heat flow ~ return water - air); with ``trim``, air-cooled chillers
    take the share the dry coolers cannot reach on hot hours, so the capacity never falls. [-, L/kWh, -]"""
    heat = 1.0 + facility.electrical_loss_fraction
    pumps = facility.pump_fan_fraction * heat
    t_return = facility.liquid_supply_c + k.LIQUID_LOOP_RANGE_K
    if trim:
        free = (t_return - (t_db + k.DRY_COOLER_APPROACH_K)) / k.LIQUID_LOOP_RANGE_K
        chiller = heat * (1.0 - np.clip(free, 0.0, 1.0)) / air_cooled_cop(t_db)
        return Overhead(
            pue=1.0 + facility.electrical_loss_fraction + pumps + chiller,
            water_l_per_kwh_it=np.zeros_like(t_db),
            capacity_factor=np.full_like(t_db, k.MAX_CAPACITY_FACTOR),
        )
    capacity = (t_return - t_db) / max(t_return - design_drybulb_c, 1e-6)
    return Overhead(
        pue=1.0 + facility.electrical_loss_fraction + pumps * np.ones_like(t_db),
        water_l_per_kwh_it=np.zeros_like(t_db),
        capacity_factor=np.asarray(np.clip(capacity, 0.0, k.MAX_CAPACITY_FACTOR), dtype=np.float64),
    )


def facility_overhead(
    ambient_c: FloatArray,
    facility: FacilityConfig,
    design_drybulb_c: float,
    design_wetbulb_c: float,
    wetbulb: FloatArray | None = None,
) -> Overhead:
    """PUE, water per IT kWh and cooling-capacity factor at each ambient dry-bulb and wet-bulb (without a
    wet-bulb, the design depression scaled by the dry-bulb, :func:`climate.wetbulb_c`). [-, L/kWh, -]"""
    t_db = np.asarray(ambient_c, dtype=np.float64)
    kind = facility.cooling_type()
    if kind is CoolingType.CONSTANT_PUE:
        ones = np.ones_like(t_db)
        return Overhead(
            pue=ones * facility.pue_value(),
            water_l_per_kwh_it=ones * facility.wue_l_per_kwh,
            capacity_factor=ones * k.MAX_CAPACITY_FACTOR,
        )
    if kind is CoolingType.CHILLER_TOWER:
        t_wb = (
            np.asarray(wetbulb, dtype=np.float64)
            if wetbulb is not None
            else wetbulb_c(t_db, design_drybulb_c, design_wetbulb_c)
        )
        return _chiller_tower(t_db, t_wb, facility, design_wetbulb_c)
    if kind is CoolingType.CHILLER_AIR:
        return _chiller_air(t_db, facility, design_drybulb_c)
    return _dry_cooler(t_db, facility, design_drybulb_c, trim=kind is CoolingType.DRY_COOLER_CHILLER)


MIN_SIZING_FACTOR = 1e-3
"""Below this worst capacity factor (dry coolers at an ambient above their return water) no plant size helps:
the default plant is then sized at the design point. [-]"""

FIT_MARGIN = 1e-9
"""Relative and absolute margin [-, MW] by which a plant sized for the installed peak exceeds it, so that
rounding never makes the design peak throttle."""


def cooling_limit_it_mw(
    facility: FacilityConfig, capacity_factor: FloatArray, it_peak_mw: float
) -> FloatArray:
    """IT power the cooling plant can carry at each step: its heat capacity (``cooling_capacity_mw`` at the
    design point; else sized to carry ``it_peak_mw`` at the run's worst step, as a plant is designed for its
    site's extreme conditions — the weather's hottest hours lie above the 1 % design point by definition)
    times the capacity factor, per unit of heat per IT power. [MW]"""
    factor = np.asarray(capacity_factor, dtype=np.float64)
    if facility.cooling_capacity_mw is not None:
        heat_per_it = 1.0 + facility.electrical_loss_fraction
        return np.asarray(facility.cooling_capacity_mw * factor / heat_per_it, dtype=np.float64)
    worst = float(factor.min(initial=1.0))
    scale = 1.0 / worst if worst > MIN_SIZING_FACTOR else 1.0
    return np.asarray(it_peak_mw * factor * scale * (1.0 + FIT_MARGIN) + FIT_MARGIN, dtype=np.float64)
