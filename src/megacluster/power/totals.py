"""The plant's totals over a run, computed once from its per-step arrays: energy by source, fuel, cost,
emissions, water, curtailment, peaks, the air-permit report, and the facts the power story is told from.

Numbers only (typed, with units); the words are the views' business.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from megacluster.power import constants as k
from megacluster.power.config import PermitMode, PermitPeriod
from megacluster.power.summaries import (
    DrawBasis,
    GridCarbon,
    NMinus1,
    WaterUse,
    WeatherSeen,
    draw_basis,
    grid_carbon,
    n_minus_1,
    water_use,
    weather_seen,
)
from megacluster.units import HOURS_PER_YEAR, KW_PER_MW, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from megacluster.power.plant import PlantResult


class Record(BaseModel):
    """Base of the plant's result records: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EnergyMWh(Record):
    """Energy over the run, by source. [MWh]"""

    total: float = Field(description="Facility energy served [MWh]")
    it: float = Field(description="IT energy (servers, network, storage) [MWh]")
    grid: float = Field(description="Drawn from the grid [MWh]")
    generators: float = Field(description="Produced by on-site generators [MWh]")
    battery_discharge: float = Field(description="Delivered by the battery [MWh]")
    battery_charge: float = Field(description="Taken in by the battery [MWh]")


class CostUSD(Record):
    """Energy and fuel cost over the run (no capital costs). [USD]"""

    total: float = Field(description="Grid energy + demand charges + generator fuel [USD]")
    grid: float = Field(description="Grid energy at the price schedule (or the tariff's energy price) [USD]")
    fuel: float = Field(description="Generator fuel [USD]")
    demand: float = Field(default=0.0, description="Demand and coincident-peak charges of a tariff [USD]")


class EmissionsT(Record):
    """Emissions over the run. [t]"""

    co2: float = Field(
        description="CO2, location-based: grid energy at its location-based intensity (eGRID subregion) + "
        "fuel burnt on site; no upstream methane, no embodied carbon [t]"
    )
    co2_grid: float = Field(description="CO2 of grid energy at the dated location-based intensity [t]")
    co2_generators: float = Field(description="CO2 of on-site generation (fuel burnt, HHV factor) [t]")
    nox: float = Field(description="NOx of on-site generation [t]")
    co2_location_based: float = Field(default=0.0, description="= co2: grid location-based + on site [t]")
    co2_market_based: float = Field(
        default=0.0, description="Grid at the supplier's rate net of certificates + on site [t]"
    )
    co2_marginal: float = Field(
        default=0.0, description="Grid at the marginal (non-baseload) rate + on site [t]"
    )
    co2_grid_market_based: float = Field(default=0.0, description="CO2 of grid energy, market-based [t]")
    co2_grid_marginal: float = Field(default=0.0, description="CO2 of grid energy, marginal [t]")


class HomesEquivalent(Record):
    """Homes' worth of the campus, on two bases: energy (homes that use, over the same time, what the campus
    used: mean facility draw / mean home draw) and peak (homes whose individual peak demands add up to the
    campus's peak draw). [-]"""

    us_average: float = Field(description="Energy basis: average US homes (EIA 2020: 10,715 kWh/yr) [homes]")
    tennessee: float = Field(description="Energy basis: Tennessee homes (1,128 kWh/month) [homes]")
    us_peak_demand: float = Field(
        default=0.0, description="Peak basis: campus peak draw / a home's 6 kW peak (APPA) [homes]"
    )


class PermitKind(enum.StrEnum):
    """What an air permit caps (or reports)."""

    NOX_T = "nox_t"
    STARTS = "starts"
    CO_T = "co_t"
    PM_T = "pm_t"
    VOC_T = "voc_t"
    HCHO_T = "hcho_t"
    STARTUP_HOURS = "startup_hours"
    OPERATING_HOURS = "operating_hours"


class PermitYear(Record):
    """One calendar year of a permitted fleet (from the day its permit takes effect)."""

    year: int
    nox_t: float = Field(description="NOx emitted in the year (within the horizon) [t]")
    starts: int = Field(description="Start-ups in the year [-]")


class PermitLimit(Record):
    """One quantity a permit caps or reports, over its windows (rolling 12 months or calendar years)."""

    kind: PermitKind
    cap: float | None = Field(description="The cap per permit year, None when only reported [t, starts or h]")
    worst: float = Field(description="Highest total over a permit window within the run [t, starts or h]")
    worst_window_end: str | None = Field(description="Last month (ISO) of the window with the highest total")
    per_year: float = Field(description="Total since the permit took effect, annualised [t, starts, h /yr]")
    years_in_force: float = Field(
        default=1.0,
        description="Time of the run under the permit (below 1: no full 12-month window seen) [yr]",
    )


class PermitFleet(Record):
    """A generator fleet with an air permit: its windows' worst totals and its calendar years."""

    fleet: int = Field(description="Index of the fleet in [[power.generators]] [-]")
    mode: PermitMode
    period: PermitPeriod = PermitPeriod.ROLLING_12_MONTHS
    effective_from: str | None = Field(default=None, description="Day the permit took effect (ISO)")
    nox_t_per_year_cap: float | None = Field(description="NOx cap per permit year [t]")
    starts_per_year_cap: int | None = Field(description="Start-up cap per permit year [-]")
    years: tuple[PermitYear, ...]
    limits: tuple[PermitLimit, ...] = ()


class PermitExceedance(Record):
    """A cap exceeded, and when it first was."""

    fleet: int = Field(description="Index of the fleet in [[power.generators]] [-]")
    unit: str = Field(description="Catalog id of the units, or their rating")
    year: int
    kind: PermitKind
    limit: float = Field(description="The cap per permit year [t, starts or h]")
    value: float = Field(description="Highest total over a permit window within the run [t, starts or h]")
    first_exceeded: str = Field(description="When the window's total first passed the cap (ISO minute)")
    window: PermitPeriod = PermitPeriod.ROLLING_12_MONTHS


class PermitReport(Record):
    """Every permitted fleet's years and exceedances."""

    fleets: tuple[PermitFleet, ...] = ()
    exceedances: tuple[PermitExceedance, ...] = ()
    respected: bool = True


class PowerFacts(Record):
    """The facts the plain-words power story is told from. [MW, °C, h, -, t/yr]"""

    peak_demand_mw: float = Field(description="Facility power all installed GPUs would draw, peak [MW]")
    peak_ambient_c: float = Field(description="Highest ambient dry-bulb [°C]")
    mean_pue: float = Field(description="Facility energy / IT energy [-]")
    worst_powered_fraction: float = Field(description="Lowest share of installed GPUs powered [-]")
    worst_time: str | None = Field(description="When that was (ISO minute)")
    gpus_powered_at_worst: int = Field(description="Powered GPUs then [-]")
    gpus_installed_at_worst: int = Field(description="Installed GPUs then [-]")
    all_gpus_powered_from: str | None = Field(description="Day from which every installed GPU ran")
    short_hours: float = Field(description="Hours with installed GPUs switched off [h]")
    capped_hours: float = Field(description="Hours with GPU power capped [h]")
    generator_hours: float = Field(description="Hours with any generator running [h]")
    generator_capacity_factor: float = Field(description="Generator energy / nameplate over the run [-]")
    generator_starts: int = Field(description="Generator start-ups [-]")
    generator_co2_t_per_year: float = Field(description="Generator CO2, annualised [t/yr]")
    generator_nox_t_per_year: float = Field(description="Generator NOx, annualised [t/yr]")
    generator_fleet_homes_us: float = Field(
        description="Nameplate / average US home draw (1.22 kW): homes the units could supply at full output "
        "all year [homes]"
    )
    generator_fleet_homes_us_peak: float = Field(
        default=0.0, description="Nameplate / a home's 6 kW peak demand: homes at their peak [homes]"
    )
    generator_homes_us_energy: float = Field(
        default=0.0, description="Energy the units produced / average US home use over the run [homes]"
    )
    generator_energy_mwh: float = Field(default=0.0, description="Energy the units produced in the run [MWh]")
    generator_co2_t: float = Field(default=0.0, description="Generator CO2 over the run [t]")
    generator_nox_t: float = Field(default=0.0, description="Generator NOx over the run [t]")
    horizon_days: float = Field(default=0.0, description="Length of the run [d]")
    battery_cycles: float = Field(description="Battery discharge / energy capacity [-]")
    battery_discharge_mwh: float = Field(description="Energy the battery delivered [MWh]")
    generator_capacity_mw: float = Field(description="Nameplate of all generator units, ISO [MW]")
    battery_energy_mwh: float = Field(description="Battery energy capacity [MWh]")


class PlantTotals(Record):
    """The plant's figures over a run."""

    energy_mwh: EnergyMWh
    fuel_mmbtu: float = Field(description="Generator fuel burnt, HHV [MMBtu]")
    cost_usd: CostUSD
    emissions_t: EmissionsT
    water_m3: float = Field(description="Cooling-tower make-up water: evaporation + drift + blowdown [m3]")
    curtailed_hours: float = Field(description="Hours with GPUs capped or off or demand unserved [h]")
    homes_equivalent: HomesEquivalent
    unserved_energy_mwh: float = Field(description="Demand of installed GPUs left unserved [MWh]")
    it_power_peak_mw: float = Field(description="Peak IT power, GPUs at their compute draw [MW]")
    facility_power_peak_mw: float = Field(description="Peak facility power, GPUs at their compute draw [MW]")
    supply_capacity_peak_mw: float = Field(description="Peak supply: grid + battery + generators [MW]")
    permit: PermitReport
    facts: PowerFacts
    grid: GridCarbon | None = None
    water: WaterUse | None = None
    n_minus_1: NMinus1 | None = None
    weather: WeatherSeen | None = None
    draw: DrawBasis | None = None


def _mwh(power_mw: np.ndarray, dt_h: float) -> float:
    return float(np.sum(power_mw) * dt_h)


def generator_co2_t(p: PlantResult) -> float:
    """CO2 of the fuel burnt on site, each fleet at its own emission factor. [t]"""
    return float(p.co2_generators_t.sum())


def power_facts(p: PlantResult) -> PowerFacts:
    """What the power story is told from: shortfall, caps, generators, battery. [MW, h, -]"""
    dt_h = p.dt_s / SECONDS_PER_HOUR
    n = len(p.times)
    inst = p.gpus_installed
    short = p.gpus_powered < inst
    frac = np.where(inst > 0, p.gpus_powered / np.maximum(inst, 1), 1.0)
    worst = int(np.argmin(frac)) if n else 0
    last_short = int(np.nonzero(short)[0][-1]) if short.any() else -1
    horizon_h = n * dt_h
    gen_mwh = _mwh(p.generators_mw, dt_h)
    nameplate_mwh = p.generator_capacity_mw * horizon_h
    dis_mwh = _mwh(np.clip(p.battery_mw, 0.0, None), dt_h)
    years = max(horizon_h / HOURS_PER_YEAR, 1e-9)
    return PowerFacts(
        peak_demand_mw=float(p.demand_full_mw.max(initial=0.0)),
        peak_ambient_c=float(p.ambient_c.max()) if n else 0.0,  # a winter run's peak is below 0 °C
        mean_pue=float(p.facility_power_mw.sum() / max(p.it_power_mw.sum(), 1e-12)),
        worst_powered_fraction=float(frac[worst]) if n else 1.0,
        worst_time=str(p.times[worst].astype("datetime64[m]")) if n else None,
        gpus_powered_at_worst=int(p.gpus_powered[worst]) if n else 0,
        gpus_installed_at_worst=int(inst[worst]) if n else 0,
        all_gpus_powered_from=(
            str(p.times[last_short + 1].astype("datetime64[D]")) if 0 <= last_short < n - 1 else None
        ),
        short_hours=float(short.sum() * dt_h),
        capped_hours=float((p.gpu_power_cap_fraction < 1.0).sum() * dt_h),
        generator_hours=float((p.generators_mw > 0).sum() * dt_h),
        generator_capacity_factor=gen_mwh / nameplate_mwh if nameplate_mwh > 0 else 0.0,
        generator_starts=int(p.generator_starts.sum()),
        generator_co2_t_per_year=generator_co2_t(p) / years,
        generator_nox_t_per_year=float(p.nox_t.sum()) / years,
        generator_fleet_homes_us=p.generator_capacity_mw * KW_PER_MW / k.HOME_US_KW,
        generator_fleet_homes_us_peak=p.generator_capacity_mw * KW_PER_MW / k.HOME_PEAK_KW,
        generator_homes_us_energy=gen_mwh / horizon_h * KW_PER_MW / k.HOME_US_KW if horizon_h > 0 else 0.0,
        generator_energy_mwh=gen_mwh,
        generator_co2_t=generator_co2_t(p),
        generator_nox_t=float(p.nox_t.sum()),
        horizon_days=horizon_h / 24.0,
        battery_cycles=dis_mwh / p.battery_energy_mwh if p.battery_energy_mwh > 0 else 0.0,
        battery_discharge_mwh=dis_mwh,
        generator_capacity_mw=p.generator_capacity_mw,
        battery_energy_mwh=p.battery_energy_mwh,
    )


def plant_totals(p: PlantResult) -> PlantTotals:
    """Totals over the run, computed once from the per-step arrays. [MWh, MMBtu, USD, t, m3, h, MW]"""
    dt_h = p.dt_s / SECONDS_PER_HOUR
    hours = len(p.times) * dt_h
    energy = EnergyMWh(
        total=_mwh(p.facility_power_mw, dt_h),
        it=_mwh(p.it_power_mw, dt_h),
        grid=_mwh(p.grid_mw, dt_h),
        generators=_mwh(p.generators_mw, dt_h),
        battery_discharge=_mwh(np.clip(p.battery_mw, 0.0, None), dt_h),
        battery_charge=_mwh(np.clip(-p.battery_mw, 0.0, None), dt_h),
    )
    mean_mw = energy.total / hours if hours > 0 else 0.0
    gen_co2 = generator_co2_t(p)
    grid_co2 = float(p.co2_t.sum()) - gen_co2
    market = float(p.co2_grid_market_t.sum()) if p.co2_grid_market_t.size else grid_co2
    marginal = float(p.co2_grid_marginal_t.sum()) if p.co2_grid_marginal_t.size else grid_co2
    peak_mw = p.facility_peak_mw if p.facility_peak_mw.size else p.facility_power_mw
    return PlantTotals(
        energy_mwh=energy,
        fuel_mmbtu=float(p.fuel_mmbtu.sum()),
        cost_usd=CostUSD(
            total=float(p.cost_usd.sum()) + p.demand_charge_usd,
            grid=float(p.grid_cost_usd.sum()),
            fuel=float(p.fuel_cost_usd.sum()),
            demand=p.demand_charge_usd,
        ),
        emissions_t=EmissionsT(
            co2=float(p.co2_t.sum()),
            co2_grid=grid_co2,
            co2_generators=gen_co2,
            nox=float(p.nox_t.sum()),
            co2_location_based=float(p.co2_t.sum()),
            co2_market_based=market + gen_co2,
            co2_marginal=marginal + gen_co2,
            co2_grid_market_based=market,
            co2_grid_marginal=marginal,
        ),
        water_m3=float(p.water_m3.sum()),
        curtailed_hours=float(p.curtailed.sum() * dt_h),
        homes_equivalent=HomesEquivalent(
            us_average=mean_mw * KW_PER_MW / k.HOME_US_KW,
            tennessee=mean_mw * KW_PER_MW / k.HOME_TN_KW,
            us_peak_demand=float(peak_mw.max(initial=0.0)) * KW_PER_MW / k.HOME_PEAK_KW,
        ),
        unserved_energy_mwh=_mwh(p.unserved_mw, dt_h),
        it_power_peak_mw=float(
            (p.facility_peak_mw / np.maximum(p.pue, 1e-12)).max(initial=0.0)
            if p.facility_peak_mw.size
            else p.it_power_mw.max(initial=0.0)
        ),
        facility_power_peak_mw=float(peak_mw.max(initial=0.0)),
        supply_capacity_peak_mw=float(p.supply_capacity_mw.max(initial=0.0)),
        permit=p.permit,
        facts=power_facts(p),
        grid=grid_carbon(p, energy.grid, grid_co2),
        water=water_use(p, energy.it),
        n_minus_1=n_minus_1(p),
        weather=weather_seen(p),
        draw=draw_basis(p, energy.total),
    )
