"""The plant's accounts beyond the dispatch's flows, per step: the weather it ran in, the cooling tower's
water split (evaporation, drift, blowdown), the grid's CO2 in the market-based and marginal conventions, the
demand and coincident-peak charges of a time-of-use tariff, the N-1 capacity, and where the GPUs' mean draw
comes from. Pure functions; ``plant.py`` adds their arrays to the run's ``PlantResult``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.cooling.overhead import Overhead
from megacluster.cooling.weather import Weather
from megacluster.power.config import PowerConfig, TariffKind
from megacluster.power.contingency import contingency
from megacluster.power.dispatch import DispatchOutputs
from megacluster.power.meandraw import DrawProfile
from megacluster.power.supply import Supply
from megacluster.power.tariff import coincident_peak_usd, demand_charge_usd
from megacluster.units import KG_PER_T, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class AccountInputs:
    """What the accounts read: the run's configuration, weather, overhead, supply and mean flows."""

    power: PowerConfig
    times: npt.NDArray[np.datetime64]
    dt_s: float
    weather: Weather
    overhead: Overhead
    supply: Supply
    out: DispatchOutputs
    """The dispatch's flows at the mean draw."""
    peak_mw: FloatArray
    """Facility power served on the peak basis (what the supply carried). [MW]"""
    region: catalog.Region | None
    profile: DrawProfile | None
    """The GPUs' draw profile (None: they drew their peak)."""
    cycles_of_concentration: float


def _water_m3(a: AccountInputs, it_mwh: FloatArray) -> dict[str, FloatArray]:
    """Evaporation, drift and blowdown of each step (make-up = their sum = ``water_m3``). [m3]"""
    evap, drift, blow = a.overhead.parts_l_per_kwh_it()  # L/kWh x MWh = m3
    return {
        "water_evaporation_m3": np.asarray(it_mwh * evap, dtype=np.float64),
        "water_drift_m3": np.asarray(it_mwh * drift, dtype=np.float64),
        "water_blowdown_m3": np.asarray(it_mwh * blow, dtype=np.float64),
    }


def _carbon_t(a: AccountInputs, grid_mwh: FloatArray) -> dict[str, FloatArray]:
    """CO2 of grid energy in the market-based and marginal conventions (the region's rates; without a region,
    the location-based schedule stands for both). [t]"""
    location = a.supply.grid_co2_kg_per_mwh
    market = np.full_like(location, a.region.co2_market_kg_per_mwh) if a.region else location
    marginal = np.full_like(location, a.region.co2_marginal_kg_per_mwh) if a.region else location
    return {
        "co2_grid_market_t": np.asarray(grid_mwh * market / KG_PER_T, dtype=np.float64),
        "co2_grid_marginal_t": np.asarray(grid_mwh * marginal / KG_PER_T, dtype=np.float64),
    }


def _demand_charges_usd(a: AccountInputs) -> float:
    """Demand and coincident-peak charges of the region's tariff (none on a flat price). [USD]"""
    if a.power.grid_tariff is not TariffKind.TIME_OF_USE or a.region is None:
        return 0.0
    grid = np.asarray(a.out.grid_mw, dtype=np.float64)
    monthly = demand_charge_usd(a.times, grid, a.dt_s, float(a.region.demand_usd_per_kw_month or 0.0))
    cp = coincident_peak_usd(
        a.times, grid, a.weather.drybulb_c, a.dt_s, float(a.region.coincident_peak_usd_per_kw_year or 0.0)
    )
    return monthly + cp


def plant_accounts(a: AccountInputs) -> dict[str, Any]:
    """The ``PlantResult`` fields the accounts add. [°C, MW, m3, t, USD]"""
    dt_h = a.dt_s / SECONDS_PER_HOUR
    it_mwh = np.asarray(a.out.served_mw / a.overhead.pue * dt_h, dtype=np.float64)
    n1 = contingency(
        a.supply.grid_cap_mw, a.out.supply_capacity_mw, a.supply.generators, a.power.interconnect
    )
    uncapped_peak = a.power.demand.gpu_load_fraction
    return {
        "wetbulb_c": a.weather.wetbulb_c,
        "facility_peak_mw": np.asarray(a.peak_mw, dtype=np.float64),
        **_water_m3(a, it_mwh),
        **_carbon_t(a, np.asarray(a.out.grid_mw * dt_h, dtype=np.float64)),
        "demand_charge_usd": _demand_charges_usd(a),
        "n1_capacity_mw": n1.n1_capacity_mw,
        "contingency_grid_mw": n1.grid_loss_mw,
        "contingency_unit_mw": n1.unit_loss_mw,
        "grid_n1_assessed": n1.grid_assessed,
        "fuel_mmbtu_by_fleet": np.asarray(a.out.fuel_mmbtu, dtype=np.float64),
        "generator_units_on_by_fleet": np.asarray(a.out.units_on, dtype=np.int64),
        "weather_source": a.weather.source,
        "heatwave": a.weather.heatwave,
        "draw_source": a.profile.source if a.profile is not None else "peak (no draw profile)",
        "draw_mean_fraction": (
            float(a.profile.mean_fraction(uncapped_peak)) if a.profile is not None else uncapped_peak
        ),
        "draw_peak_fraction": uncapped_peak,
        "region": a.region,
        "grid_tariff": a.power.grid_tariff.value,
        "cycles_of_concentration": a.cycles_of_concentration,
    }
