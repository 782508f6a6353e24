"""The plant orchestrator: IT demand, cooling, supply and dispatch for a whole run, step by step.

``simulate_plant`` reads like the physics: climate -> facility overhead -> bottom-up IT demand -> supply
(grid schedule, derated generators with outages, battery: ``supply.py``) -> sequential dispatch
(power-limited operation: ``dispatch.py``) -> fuel, emissions, water and cost. Every model it calls is a
pure, vectorised function in ``power/`` or ``cooling/``; it knows only its own configuration sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.cooling.config import ClimateNormals, CoolingType, FacilityConfig
from megacluster.cooling.overhead import Overhead, cooling_limit_it_mw, facility_overhead
from megacluster.cooling.weather import Weather, weather_at
from megacluster.power.accounts import AccountInputs, plant_accounts
from megacluster.power.config import DemandConfig, PowerConfig, TariffKind
from megacluster.power.demand import gpu_power_model, throughput_factor
from megacluster.power.dispatch import DispatchInputs, DispatchOutputs, FleetDemand, run_dispatch
from megacluster.power.meandraw import DrawProfile, mean_outputs, scenario_profile
from megacluster.power.permit import permit_report
from megacluster.power.supply import Supply, assemble_supply
from megacluster.power.tariff import tou_price_usd_per_mwh
from megacluster.power.totals import PermitReport
from megacluster.units import KG_PER_T, MW_PER_W, SECONDS_PER_HOUR

_EMPTY = np.zeros(0)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class FleetLoad:
    """GPUs of one kind installed over time, with the server that holds them."""

    accelerator: catalog.Accelerator
    server: catalog.Server
    gpus_installed: IntArray
    """Installed GPUs at each step. [-]"""


@dataclass(frozen=True)
class PlantResult:
    """Per-step plant results (arrays of length n unless noted) and the run's summary."""

    times: npt.NDArray[np.datetime64]
    dt_s: float
    ambient_c: FloatArray
    gpus_installed: IntArray
    gpus_powered: IntArray
    gpus_powered_by_fleet: IntArray
    """Shape (n_fleets, n). [-]"""
    gpu_power_cap_fraction: FloatArray
    """GPU power cap as a fraction of TDP; 1 = uncapped. [-]"""
    throughput_factor: FloatArray
    """Throughput per powered GPU relative to uncapped. [-]"""
    it_power_mw: FloatArray
    facility_power_mw: FloatArray
    pue: FloatArray
    grid_mw: FloatArray
    generators_mw: FloatArray
    generators_mw_by_fleet: FloatArray
    """Shape (n_generator_fleets, n). [MW]"""
    generator_units_on: IntArray
    generator_starts: IntArray
    """Start-ups commanded per step, all fleets. [-]"""
    generator_starts_by_fleet: IntArray
    """Shape (n_generator_fleets, n). [-]"""
    nox_t_by_fleet: FloatArray
    """Shape (n_generator_fleets, n). [t]"""
    battery_mw: FloatArray
    """Positive = discharge. [MW]"""
    battery_soc_mwh: FloatArray
    demand_full_mw: FloatArray
    """Facility power all installed GPUs would draw uncapped. [MW]"""
    unserved_mw: FloatArray
    supply_capacity_mw: FloatArray
    """Grid capacity + battery discharge limit + available generator capacity. [MW]"""
    fuel_mmbtu: FloatArray
    co2_t: FloatArray
    """CO2 of grid energy and on-site generation. [t]"""
    co2_generators_t: FloatArray
    """CO2 of on-site generation, each fleet at its own factor. [t]"""
    nox_t: FloatArray
    water_m3: FloatArray
    cost_usd: FloatArray
    grid_cost_usd: FloatArray
    fuel_cost_usd: FloatArray
    curtailed: BoolArray
    battery_energy_mwh: float = 0.0
    generator_capacity_mw: float = 0.0
    """Nameplate of all generator units, ISO. [MW]"""
    permit: PermitReport = field(default_factory=PermitReport)
    """Rolling (or calendar-year) totals of every permitted fleet, and each exceedance."""
    wetbulb_c: FloatArray = field(default_factory=lambda: _EMPTY)
    """Ambient wet-bulb. [°C]"""
    facility_peak_mw: FloatArray = field(default_factory=lambda: _EMPTY)
    """Facility power served on the peak basis (GPUs at their compute draw): what supply carried. [MW]"""
    water_evaporation_m3: FloatArray = field(default_factory=lambda: _EMPTY)
    """Cooling-tower evaporation (part of water_m3). [m3]"""
    water_drift_m3: FloatArray = field(default_factory=lambda: _EMPTY)
    """Cooling-tower drift (part of water_m3). [m3]"""
    water_blowdown_m3: FloatArray = field(default_factory=lambda: _EMPTY)
    """Cooling-tower blowdown (part of water_m3). [m3]"""
    co2_grid_market_t: FloatArray = field(default_factory=lambda: _EMPTY)
    """CO2 of grid energy, market-based (the supplier's rate net of certificates). [t]"""
    co2_grid_marginal_t: FloatArray = field(default_factory=lambda: _EMPTY)
    """CO2 of grid energy at the marginal (non-baseload) rate. [t]"""
    demand_charge_usd: float = 0.0
    """Demand and coincident-peak charges of a time-of-use tariff over the run. [USD]"""
    n1_capacity_mw: FloatArray = field(default_factory=lambda: _EMPTY)
    """Supply capacity with the largest single element out (transformer, feeder or unit). [MW]"""
    contingency_grid_mw: FloatArray = field(default_factory=lambda: _EMPTY)
    """Grid capacity lost with one transformer or feeder out. [MW]"""
    contingency_unit_mw: FloatArray = field(default_factory=lambda: _EMPTY)
    """Capacity of the largest available generating unit. [MW]"""
    grid_n1_assessed: bool = False
    """Whether the grid connection's N-1 was assessed (an interconnect was given)."""
    fuel_mmbtu_by_fleet: FloatArray = field(default_factory=lambda: _EMPTY)
    """Shape (n_generator_fleets, n). [MMBtu]"""
    generator_units_on_by_fleet: IntArray = field(default_factory=lambda: _EMPTY.astype(np.int64))
    """Shape (n_generator_fleets, n). [-]"""
    weather_source: str = ""
    heatwave: str = ""
    """The heat event laid on the weather ('' for none)."""
    draw_source: str = ""
    """Where the GPUs' mean draw comes from."""
    draw_mean_fraction: float = 1.0
    """Mean GPU draw / TDP, uncapped. [-]"""
    draw_peak_fraction: float = 1.0
    """Peak (compute-phase) GPU draw / TDP. [-]"""
    design_drybulbs_c: tuple[float | None, float | None, float | None] = (None, None, None)
    """The site's ASHRAE 1 %, 0.4 % and mean annual maximum dry-bulbs. [°C]"""
    region: catalog.Region | None = None
    grid_tariff: str = "flat"
    cycles_of_concentration: float = 0.0
    """Cooling-tower cycles of concentration (0: no tower). [-]"""

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """Per-step columns for timeseries.parquet (names as in the summary's units: MW, MWh, t, m3, USD)."""
        return {
            "ambient_c": self.ambient_c,
            "wetbulb_c": self.wetbulb_c,
            "gpus_installed": self.gpus_installed,
            "gpus_powered": self.gpus_powered,
            "gpu_power_cap_fraction": self.gpu_power_cap_fraction,
            "throughput_factor": self.throughput_factor,
            "it_power_mw": self.it_power_mw,
            "facility_power_mw": self.facility_power_mw,
            "facility_peak_mw": self.facility_peak_mw,
            "pue": self.pue,
            "grid_mw": self.grid_mw,
            "generators_mw": self.generators_mw,
            "generator_units_on": self.generator_units_on,
            "battery_mw": self.battery_mw,
            "battery_soc_mwh": self.battery_soc_mwh,
            "demand_full_mw": self.demand_full_mw,
            "unserved_mw": self.unserved_mw,
            "supply_capacity_mw": self.supply_capacity_mw,
            "fuel_mmbtu": self.fuel_mmbtu,
            "co2_t": self.co2_t,
            "nox_t": self.nox_t,
            "water_m3": self.water_m3,
            "cost_usd": self.cost_usd,
            "curtailed": self.curtailed,
        }


# ------------------------------------------------------------------------------------------------------------


def simulate_plant(
    power: PowerConfig,
    facility: FacilityConfig,
    climate: ClimateNormals,
    times: npt.NDArray[np.datetime64],
    dt_s: float,
    fleets: tuple[FleetLoad, ...],
    block_gpus: int,
    rng: np.random.Generator,
    *,
    weather: Weather | None = None,
    region: catalog.Region | None = None,
    draw: DrawProfile | None = None,
    exposure_per_gpu: float = 0.0,
) -> PlantResult:
    """Simulate the campus plant over ``times`` (step starts, local standard time) of ``dt_s`` seconds, with
    ``block_gpus`` GPUs idled together when power is short; ``weather`` (default: synthetic from ``climate``),
    the grid ``region`` (market-based and marginal CO2, tariff) and the GPUs' ``draw`` profile (default:
    ``demand.gpu_mean_fraction`` if set, else the GPUs draw their peak all the time) are optional;
    ``exposure_per_gpu`` is the time a running GPU's failures cost per second, for the 'best' power policy.

    Returns per-step powered GPUs, caps, power by source, battery state, fuel, emissions, water and cost.
    Same ``rng`` state, same result. [MW, MWh, t, m3, USD]
    """
    times = _checked_times(times, dt_s, fleets, block_gpus)
    n = len(times)
    seed = int(rng.integers(0, 2**62))
    # weather and facility overhead
    wx = weather if weather is not None else weather_at(times, climate)
    ambient = wx.drybulb_c
    design_drybulb_c, design_wetbulb_c = climate.design_pair_c()
    over = facility_overhead(ambient, facility, design_drybulb_c, design_wetbulb_c, wx.wetbulb_c)
    # bottom-up IT demand, within what the cooling plant removes
    demands, it_full = it_demand(fleets, power.demand, n)
    it_max = cooling_limit_it_mw(facility, over.capacity_factor, float(it_full.max(initial=0.0)))
    # supply: grid schedules, battery, derated generators with forced outages
    supply = assemble_supply(power, times, dt_s, ambient, seed)
    if power.grid_tariff is TariffKind.TIME_OF_USE and region is not None:
        supply = replace(supply, price_usd_per_mwh=tou_price_usd_per_mwh(times, region))
    years = times.astype("datetime64[Y]").astype(np.int64) + 1970
    # sequential dispatch: power-limited operation
    load = power.demand.gpu_load_fraction
    out = run_dispatch(
        DispatchInputs(
            dt_s=dt_s,
            grid_cap_mw=supply.grid_cap_mw,
            pue=over.pue,
            it_max_mw=np.asarray(it_max, dtype=np.float64) * np.ones(n),
            fleets=demands,
            load_fraction=load,
            cap_enabled=power.cap.enabled,
            cap_min_fraction=min(power.cap.min_fraction, load),
            block_gpus=block_gpus,
            battery=supply.battery,
            battery_power_mw=supply.battery_power_mw,
            initial_soc_mwh=supply.initial_soc_mwh,
            generators=supply.generators,
            merit_order=power.merit_order,
            charge_from_generators=power.charge_from_generators,
            year_index=years,
            month_index=times.astype("datetime64[M]").astype(np.int64),
            spinning_reserve_units=power.spinning_reserve_units,
            policy=power.cap.policy,
            cap_exponent=power.cap.throughput_exponent,
            exposure_per_gpu=exposure_per_gpu,
        )
    )
    # energy at the GPUs' mean draw; fuel, emissions, water and cost; the accounts
    profile = draw if draw is not None else scenario_profile(power.demand)
    mean = mean_outputs(out, demands, profile, load, over.pue) if profile is not None else out
    result = _plant_result(power, times, dt_s, ambient, over, demands, supply, years, mean)
    cycles = facility.cycles_of_concentration if facility.cooling_type() is CoolingType.CHILLER_TOWER else 0.0
    accounts = AccountInputs(
        power, times, dt_s, wx, over, supply, mean, out.served_mw, region, profile, cycles
    )
    design = (climate.design_drybulb_c, climate.drybulb_0p4_c, climate.drybulb_max_mean_c)
    return replace(result, design_drybulbs_c=design, **_peak_basis(result, out), **plant_accounts(accounts))


def _peak_basis(result: PlantResult, out: DispatchOutputs) -> dict[str, Any]:
    """Unserved demand and curtailment judged on the peak basis the supply carried (not the mean). [MW]"""
    unserved = np.clip(out.demand_full_mw - out.served_mw, 0.0, None)
    short = unserved > 1e-9 * np.maximum(out.demand_full_mw, 1.0)
    curtailed = (result.gpus_powered < result.gpus_installed) | (out.cap_fraction < 1.0) | short
    return {"unserved_mw": unserved, "curtailed": curtailed}


def _checked_times(
    times: npt.NDArray[np.datetime64], dt_s: float, fleets: tuple[FleetLoad, ...], block_gpus: int
) -> npt.NDArray[np.datetime64]:
    """The step starts at second resolution, once the arguments are known to fit together."""
    if dt_s <= 0:
        raise ValueError("dt_s must be positive")
    if block_gpus < 1:
        raise ValueError("block_gpus must be at least 1")
    times = np.asarray(times).astype("datetime64[s]")
    for f in fleets:
        if len(f.gpus_installed) != len(times):
            raise ValueError("every fleet's gpus_installed must have one value per step")
    return times


def it_demand(
    fleets: tuple[FleetLoad, ...], cfg: DemandConfig, n: int
) -> tuple[tuple[FleetDemand, ...], FloatArray]:
    """Each fleet's per-GPU power terms (from its catalog components), and the IT power all installed GPUs
    draw uncapped at each step. [W, MW]"""
    models = [gpu_power_model(f.accelerator, f.server, cfg) for f in fleets]
    demands = tuple(
        FleetDemand(
            installed=np.asarray(f.gpus_installed, dtype=np.int64),
            slope_w=m.slope_w,
            fixed_w=m.fixed_w,
            idle_w=m.idle_w,
        )
        for f, m in zip(fleets, models, strict=True)
    )
    it_full = np.zeros(n)
    for d, m in zip(demands, models, strict=True):
        it_full += d.installed * float(m.per_gpu_w(1.0)) * MW_PER_W
    return demands, it_full


def _permit(
    power: PowerConfig,
    times: npt.NDArray[np.datetime64],
    years: IntArray,
    nox_by_fleet: FloatArray,
    out: DispatchOutputs,
    dt_s: float,
) -> PermitReport:
    """The air-permit report of the run (rolling windows from each permit's effective day). [t, -, h]"""
    return permit_report(
        power.generators,
        times,
        years,
        nox_by_fleet,
        out.starts,
        fuel_mmbtu_by_fleet=out.fuel_mmbtu,
        units_on_by_fleet=out.units_on,
        dt_s=dt_s,
    )


def _plant_result(
    power: PowerConfig,
    times: npt.NDArray[np.datetime64],
    dt_s: float,
    ambient_c: FloatArray,
    over: Overhead,
    demands: tuple[FleetDemand, ...],
    supply: Supply,
    years: IntArray,
    out: DispatchOutputs,
) -> PlantResult:
    """The run's per-step results from the dispatch: powered GPUs, throughput, fuel, emissions, water, cost
    and curtailment. [MW, MMBtu, t, m3, USD]"""
    n = len(times)
    ng = len(supply.generators)
    dt_h = dt_s / SECONDS_PER_HOUR
    installed = np.zeros(n, dtype=np.int64)
    for d in demands:
        installed += d.installed
    powered = out.powered.sum(axis=0) if demands else np.zeros(n, dtype=np.int64)
    capped = out.cap_fraction < 1.0
    load = power.demand.gpu_load_fraction
    tput = np.where(capped, throughput_factor(out.cap_fraction, load, power.cap.throughput_exponent), 1.0)
    it_power = out.served_mw / over.pue
    fuel = out.fuel_mmbtu.sum(axis=0) if ng else np.zeros(n)
    nox_by_fleet = np.array([out.fuel_mmbtu[i] * g.nox_t_per_mmbtu for i, g in enumerate(supply.generators)])
    nox_by_fleet = nox_by_fleet.reshape(ng, n)
    co2_by_fleet = np.array(
        [out.fuel_mmbtu[i] * c / KG_PER_T for i, c in enumerate(supply.generator_co2_kg_per_mmbtu)]
    ).reshape(ng, n)
    co2_generators = co2_by_fleet.sum(axis=0) if ng else np.zeros(n)
    grid_co2 = out.grid_mw * dt_h * supply.grid_co2_kg_per_mwh / KG_PER_T
    grid_cost = out.grid_mw * dt_h * supply.price_usd_per_mwh
    fuel_cost = fuel * power.fuel_price_usd_per_mmbtu
    unserved = np.clip(out.demand_full_mw - out.served_mw, 0.0, None)
    curtailed = (powered < installed) | capped | (unserved > 1e-9 * np.maximum(out.demand_full_mw, 1.0))
    return PlantResult(
        times=times,
        dt_s=dt_s,
        ambient_c=ambient_c,
        gpus_installed=installed,
        gpus_powered=powered.astype(np.int64),
        gpus_powered_by_fleet=out.powered,
        gpu_power_cap_fraction=out.cap_fraction,
        throughput_factor=np.asarray(tput, dtype=np.float64),
        it_power_mw=it_power,
        facility_power_mw=out.served_mw,
        pue=over.pue,
        grid_mw=out.grid_mw,
        generators_mw=out.gen_mw.sum(axis=0) if ng else np.zeros(n),
        generators_mw_by_fleet=out.gen_mw,
        generator_units_on=out.units_on.sum(axis=0) if ng else np.zeros(n, dtype=np.int64),
        generator_starts=out.starts.sum(axis=0) if ng else np.zeros(n, dtype=np.int64),
        generator_starts_by_fleet=out.starts,
        nox_t_by_fleet=nox_by_fleet,
        battery_mw=out.battery_mw,
        battery_soc_mwh=out.soc_mwh,
        demand_full_mw=out.demand_full_mw,
        unserved_mw=unserved,
        supply_capacity_mw=out.supply_capacity_mw,
        fuel_mmbtu=fuel,
        co2_t=grid_co2 + (co2_generators if ng else 0.0),
        co2_generators_t=co2_generators,
        nox_t=nox_by_fleet.sum(axis=0) if ng else np.zeros(n),
        water_m3=it_power * dt_h * over.water_l_per_kwh_it,
        cost_usd=grid_cost + fuel_cost,
        grid_cost_usd=grid_cost,
        fuel_cost_usd=fuel_cost,
        curtailed=curtailed,
        battery_energy_mwh=supply.battery.energy_mwh if supply.battery else 0.0,
        generator_capacity_mw=supply.generator_nameplate_mw,
        permit=_permit(power, times, years, nox_by_fleet, out, dt_s),
    )
