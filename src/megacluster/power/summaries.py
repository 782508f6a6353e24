"""The plant's summary blocks an analyst quotes, each labelled with what it includes: the grid's CO2 in three
conventions with their sources, the cooling water (make-up, evaporation, drift, blowdown, WUE), the N-1 hours
at risk, the weather the run saw against its design statistics, and the GPUs' mean versus peak draw.

Numbers only (typed, with units); computed once from a run's per-step arrays (``totals.plant_totals``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from megacluster.catalog import Co2Convention
from megacluster.units import KW_PER_MW, SECONDS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from megacluster.power.plant import PlantResult

GALLONS_PER_M3 = 264.172
"""[P] definition: one US gallon = 3.785411784 L, 1 m3 = 264.172 gallons."""


class Block(BaseModel):
    """Base of the summary blocks: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class GridCarbon(Block):
    """The grid region and its CO2 per MWh in the three conventions, with their sources. The headline
    ``emissions_t.co2`` counts the grid at the location-based rate."""

    region: str = Field(description="Grid region catalog id")
    region_name: str = Field(description="Readable region")
    egrid_subregion: str = Field(description="eGRID subregion of the location-based rate")
    headline_convention: str = Field(description="What emissions_t.co2 counts for the grid")
    location_kg_per_mwh: float = Field(
        description="Location-based rate, energy-weighted over the run [kg/MWh]"
    )
    location_source: str = Field(description="Where the location-based rate comes from")
    market_kg_per_mwh: float = Field(description="Market-based rate (supplier net of certificates) [kg/MWh]")
    market_source: str = Field(description="Where the market-based rate comes from")
    marginal_kg_per_mwh: float = Field(description="Marginal rate (eGRID non-baseload proxy) [kg/MWh]")
    marginal_source: str = Field(description="Where the marginal rate comes from")
    tariff: str = Field(description="flat or time_of_use")
    price_usd_per_mwh: float = Field(description="Energy price, energy-weighted over the run [USD/MWh]")
    demand_charges_usd: float = Field(description="Demand and coincident-peak charges over the run [USD]")


class WaterUse(Block):
    """Cooling water: what the towers take in (make-up, the WUE basis) and where it goes."""

    makeup_m3: float = Field(description="Make-up water withdrawn = evaporation + drift + blowdown [m3]")
    evaporation_m3: float = Field(description="Evaporated: latent share of the heat / latent heat [m3]")
    drift_m3: float = Field(description="Carried off as droplets [m3]")
    blowdown_m3: float = Field(description="Bled off to hold the cycles of concentration [m3]")
    consumed_m3: float = Field(description="Lost to the air: evaporation + drift [m3]")
    wue_l_per_kwh_it: float = Field(description="Make-up water / IT energy (The Green Grid WUE) [L/kWh]")
    wue_consumed_l_per_kwh_it: float = Field(description="Evaporation + drift / IT energy [L/kWh]")
    cycles_of_concentration: float = Field(description="Tower cycles of concentration (0: no tower) [-]")
    mean_day_m3: float = Field(description="Make-up per day, mean over the run [m3/d]")
    peak_day_m3: float = Field(description="Make-up of the run's highest day [m3/d]")
    mean_day_gallons: float = Field(description="Make-up per day, mean over the run [US gal/d]")
    peak_day_gallons: float = Field(description="Make-up of the run's highest day [US gal/d]")


class NMinus1(Block):
    """Hours the campus drew more than it could count on with its largest single element out."""

    criterion: str = Field(description="What N-1 takes out")
    grid_assessed: bool = Field(
        description="Whether the grid connection's transformers/feeders were assessed"
    )
    hours_at_risk: float = Field(description="Hours with the peak draw above the N-1 capacity [h]")
    hours_at_risk_grid: float = Field(description="Of which above supply less one transformer or feeder [h]")
    hours_at_risk_unit: float = Field(description="Of which above supply less the largest unit [h]")
    energy_at_risk_mwh: float = Field(description="Draw above the N-1 capacity over those hours [MWh]")
    worst_margin_mw: float = Field(
        description="Lowest N-1 capacity less the peak draw (negative: at risk) [MW]"
    )
    worst_time: str | None = Field(description="When that was (ISO minute)")


class WeatherSeen(Block):
    """The weather the run saw, against the site's design statistics."""

    source: str = Field(description="Weather file, or the synthetic generator")
    heatwave: str = Field(description="The heat event laid on top ('' for none)")
    hottest_c: float = Field(description="Highest dry-bulb of the run [°C]")
    p99_c: float = Field(description="Dry-bulb exceeded 1 % of the run's time [°C]")
    p99_6_c: float = Field(description="Dry-bulb exceeded 0.4 % of the run's time [°C]")
    wetbulb_max_c: float = Field(description="Highest wet-bulb of the run [°C]")
    wetbulb_p99_6_c: float = Field(description="Wet-bulb exceeded 0.4 % of the run's time [°C]")
    design_1_c: float | None = Field(description="ASHRAE 1 % cooling dry-bulb of the site [°C]")
    design_0p4_c: float | None = Field(description="ASHRAE 0.4 % cooling dry-bulb of the site [°C]")
    design_max_mean_c: float | None = Field(description="Mean annual maximum dry-bulb of the site [°C]")


class DrawBasis(Block):
    """The GPUs' mean draw (energy) against their peak (what supply and cooling carry)."""

    source: str = Field(description="Where the mean draw comes from")
    gpu_mean_fraction: float = Field(description="Mean GPU draw / TDP, uncapped [-]")
    gpu_peak_fraction: float = Field(description="Peak (compute-phase) GPU draw / TDP [-]")
    facility_energy_at_peak_mwh: float = Field(
        description="Facility energy had every step drawn its peak [MWh]"
    )
    mean_to_peak_energy: float = Field(description="Facility energy at the mean / at the peak [-]")


def grid_carbon(p: PlantResult, grid_mwh: float, grid_co2_location_t: float) -> GridCarbon | None:
    """The grid block (None without a region). [kg/MWh, USD/MWh, USD]"""
    r = p.region
    if r is None:
        return None
    location = grid_co2_location_t * 1000.0 / grid_mwh if grid_mwh > 0 else r.co2_location_kg_per_mwh
    given = abs(location - r.co2_location_kg_per_mwh) > 0.05
    price = float(p.grid_cost_usd.sum()) / grid_mwh if grid_mwh > 0 else 0.0
    return GridCarbon(
        region=r.id,
        region_name=r.name,
        egrid_subregion=r.egrid_subregion,
        headline_convention="location-based: grid energy at the eGRID subregion average "
        "(generation-based, no certificates) + fuel burnt on site",
        location_kg_per_mwh=location,
        location_source="scenario [power] grid_co2 (as given)"
        if given
        else r.co2_source(Co2Convention.LOCATION),
        market_kg_per_mwh=r.co2_market_kg_per_mwh,
        market_source=r.source.get("co2_market_kg_per_mwh", ""),
        marginal_kg_per_mwh=r.co2_marginal_kg_per_mwh,
        marginal_source=r.source.get("co2_marginal_kg_per_mwh", ""),
        tariff=p.grid_tariff,
        price_usd_per_mwh=price,
        demand_charges_usd=p.demand_charge_usd,
    )


def _daily(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Totals per calendar day (one total when the arrays do not pair up). [same unit]"""
    if values.size != times.size:
        return np.array([values.sum()])
    days = times.astype("datetime64[D]")
    _, idx = np.unique(days, return_inverse=True)
    return np.bincount(idx, weights=values) if values.size else np.zeros(0)


def water_use(p: PlantResult, it_mwh: float) -> WaterUse:
    """The water block. [m3, L/kWh]"""
    makeup = float(p.water_m3.sum())
    evap = float(p.water_evaporation_m3.sum()) if p.water_evaporation_m3.size else makeup
    drift = float(p.water_drift_m3.sum())
    blow = float(p.water_blowdown_m3.sum())
    days = len(p.times) * p.dt_s / SECONDS_PER_DAY
    daily = _daily(np.asarray(p.water_m3, dtype=np.float64), p.times)
    peak = float(daily.max(initial=0.0))
    per_kwh = 1.0 / (it_mwh * KW_PER_MW) if it_mwh > 0 else 0.0
    return WaterUse(
        makeup_m3=makeup,
        evaporation_m3=evap,
        drift_m3=drift,
        blowdown_m3=blow,
        consumed_m3=evap + drift,
        wue_l_per_kwh_it=makeup * 1000.0 * per_kwh,
        wue_consumed_l_per_kwh_it=(evap + drift) * 1000.0 * per_kwh,
        cycles_of_concentration=p.cycles_of_concentration,
        mean_day_m3=makeup / days if days > 0 else 0.0,
        peak_day_m3=peak,
        mean_day_gallons=makeup / days * GALLONS_PER_M3 if days > 0 else 0.0,
        peak_day_gallons=peak * GALLONS_PER_M3,
    )


def n_minus_1(p: PlantResult) -> NMinus1:
    """The N-1 block: steps whose peak draw exceeds the supply less its largest single loss. [h, MW, MWh]"""
    dt_h = p.dt_s / SECONDS_PER_HOUR
    peak = p.facility_peak_mw if p.facility_peak_mw.size else p.facility_power_mw
    if p.n1_capacity_mw.size != peak.size or not peak.size:
        return NMinus1(
            criterion="not assessed",
            grid_assessed=False,
            hours_at_risk=0.0,
            hours_at_risk_grid=0.0,
            hours_at_risk_unit=0.0,
            energy_at_risk_mwh=0.0,
            worst_margin_mw=0.0,
            worst_time=None,
        )
    tol = 1e-6
    margin = p.n1_capacity_mw - peak
    worst = int(np.argmin(margin))
    grid_risk = peak > p.supply_capacity_mw - p.contingency_grid_mw + tol
    unit_risk = peak > p.supply_capacity_mw - p.contingency_unit_mw + tol
    at_risk = margin < -tol
    return NMinus1(
        criterion="N-1: the larger of one grid transformer or feeder and the largest available unit out"
        if p.grid_n1_assessed
        else "N-1: the largest available unit out (grid not assessed: no [power.interconnect])",
        grid_assessed=p.grid_n1_assessed,
        hours_at_risk=float(at_risk.sum() * dt_h),
        hours_at_risk_grid=float(grid_risk.sum() * dt_h),
        hours_at_risk_unit=float(unit_risk.sum() * dt_h),
        energy_at_risk_mwh=float(np.clip(-margin, 0.0, None).sum() * dt_h),
        worst_margin_mw=float(margin[worst]),
        worst_time=str(p.times[worst].astype("datetime64[m]")),
    )


def weather_seen(p: PlantResult) -> WeatherSeen:
    """The weather block, against the site's (1 %, 0.4 %, mean annual maximum) design dry-bulbs. [°C]"""
    design = p.design_drybulbs_c
    db = np.asarray(p.ambient_c, dtype=np.float64)
    wb = np.asarray(p.wetbulb_c, dtype=np.float64) if p.wetbulb_c.size else db
    empty = db.size == 0
    return WeatherSeen(
        source=p.weather_source,
        heatwave=p.heatwave,
        hottest_c=0.0 if empty else float(db.max()),
        p99_c=0.0 if empty else float(np.quantile(db, 0.99)),
        p99_6_c=0.0 if empty else float(np.quantile(db, 0.996)),
        wetbulb_max_c=0.0 if empty else float(wb.max()),
        wetbulb_p99_6_c=0.0 if empty else float(np.quantile(wb, 0.996)),
        design_1_c=design[0],
        design_0p4_c=design[1],
        design_max_mean_c=design[2],
    )


def draw_basis(p: PlantResult, energy_mwh: float) -> DrawBasis:
    """The draw block. [-, MWh]"""
    dt_h = p.dt_s / SECONDS_PER_HOUR
    at_peak = float(p.facility_peak_mw.sum() * dt_h) if p.facility_peak_mw.size else energy_mwh
    return DrawBasis(
        source=p.draw_source,
        gpu_mean_fraction=p.draw_mean_fraction,
        gpu_peak_fraction=p.draw_peak_fraction,
        facility_energy_at_peak_mwh=at_peak,
        mean_to_peak_energy=energy_mwh / at_peak if at_peak > 0 else 1.0,
    )
