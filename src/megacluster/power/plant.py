"""The plant orchestrator: IT demand, cooling, supply and dispatch for a whole run, step by step.

``simulate_plant`` reads like the physics: climate -> facility overhead -> bottom-up IT demand -> supply
(grid schedule, derated generators with outages, battery) -> sequential dispatch (power-limited operation) ->
fuel, emissions, water and cost. Every model it calls is a pure, vectorised function in ``power/`` or
``cooling/``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.cooling.climate import hourly_ambient_c
from megacluster.cooling.overhead import facility_overhead
from megacluster.power import constants as k
from megacluster.power.battery import BatteryParams
from megacluster.power.config import PermitMode
from megacluster.power.demand import gpu_power_model, throughput_factor
from megacluster.power.dispatch import DispatchInputs, FleetDemand, GenFleetInputs, run_dispatch
from megacluster.power.generators import (
    ambient_heat_rate_factor,
    ambient_output_factor,
    outage_down_units,
)

if TYPE_CHECKING:
    from megacluster.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _hours(h: float) -> str:
    """Hours for the story: one decimal below ten. [h]"""
    return f"{h:,.1f}" if h < 10 else f"{h:,.0f}"


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
    nox_t: FloatArray
    water_m3: FloatArray
    cost_usd: FloatArray
    grid_cost_usd: FloatArray
    fuel_cost_usd: FloatArray
    curtailed: BoolArray
    battery_energy_mwh: float = 0.0
    generator_capacity_mw: float = 0.0
    """Nameplate of all generator units, ISO. [MW]"""
    permit: dict[str, Any] = field(default_factory=dict)

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """Per-step columns for timeseries.parquet (names as in the summary's units: MW, MWh, t, m3, USD)."""
        return {
            "ambient_c": self.ambient_c,
            "gpus_installed": self.gpus_installed,
            "gpus_powered": self.gpus_powered,
            "gpu_power_cap_fraction": self.gpu_power_cap_fraction,
            "throughput_factor": self.throughput_factor,
            "it_power_mw": self.it_power_mw,
            "facility_power_mw": self.facility_power_mw,
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

    def summary(self) -> dict[str, Any]:
        """JSON-ready totals for summary.json. [MWh, MMBtu, USD, t, m3, h, MW]"""
        dt_h = self.dt_s / 3600.0
        hours = len(self.times) * dt_h
        dis = np.clip(self.battery_mw, 0.0, None)
        chg = np.clip(-self.battery_mw, 0.0, None)
        energy = {
            "total": float(self.facility_power_mw.sum() * dt_h),
            "it": float(self.it_power_mw.sum() * dt_h),
            "grid": float(self.grid_mw.sum() * dt_h),
            "generators": float(self.generators_mw.sum() * dt_h),
            "battery_discharge": float(dis.sum() * dt_h),
            "battery_charge": float(chg.sum() * dt_h),
        }
        mean_mw = energy["total"] / hours if hours > 0 else 0.0
        grid_co2 = float(self.co2_t.sum()) - self._gen_co2()
        return {
            "energy_mwh": energy,
            "fuel_mmbtu": float(self.fuel_mmbtu.sum()),
            "cost_usd": {
                "total": float(self.cost_usd.sum()),
                "grid": float(self.grid_cost_usd.sum()),
                "fuel": float(self.fuel_cost_usd.sum()),
            },
            "emissions_t": {
                "co2": float(self.co2_t.sum()),
                "co2_grid": grid_co2,
                "co2_generators": self._gen_co2(),
                "nox": float(self.nox_t.sum()),
            },
            "water_m3": float(self.water_m3.sum()),
            "curtailed_hours": float(self.curtailed.sum() * dt_h),
            "homes_equivalent": {
                "us_average": mean_mw * 1000.0 / k.HOME_US_KW,
                "tennessee": mean_mw * 1000.0 / k.HOME_TN_KW,
            },
            "unserved_energy_mwh": float(self.unserved_mw.sum() * dt_h),
            "it_power_peak_mw": float(self.it_power_mw.max(initial=0.0)),
            "facility_power_peak_mw": float(self.facility_power_mw.max(initial=0.0)),
            "supply_capacity_peak_mw": float(self.supply_capacity_mw.max(initial=0.0)),
            "permit": self.permit,
            "power_story": self.story(),
        }

    def _gen_co2(self) -> float:
        return float(self.fuel_mmbtu.sum() * k.CO2_KG_PER_MMBTU / 1000.0)

    def story(self) -> dict[str, Any]:
        """Ingredients of the plain-words power story, and the story itself as lines."""
        dt_h = self.dt_s / 3600.0
        n = len(self.times)
        inst = self.gpus_installed
        short = self.gpus_powered < inst
        frac = np.where(inst > 0, self.gpus_powered / np.maximum(inst, 1), 1.0)
        worst = int(np.argmin(frac)) if n else 0
        last_short = int(np.nonzero(short)[0][-1]) if short.any() else -1
        all_powered_from = (
            str(self.times[last_short + 1].astype("datetime64[D]")) if 0 <= last_short < n - 1 else None
        )
        gen_hours = float((self.generators_mw > 0).sum() * dt_h)
        gen_mwh = float(self.generators_mw.sum() * dt_h)
        horizon_h = n * dt_h
        nameplate_mwh = self.generator_capacity_mw * horizon_h
        cf = gen_mwh / nameplate_mwh if nameplate_mwh > 0 else 0.0
        dis_mwh = float(np.clip(self.battery_mw, 0.0, None).sum() * dt_h)
        cycles = dis_mwh / self.battery_energy_mwh if self.battery_energy_mwh > 0 else 0.0
        capped_h = float((self.gpu_power_cap_fraction < 1.0).sum() * dt_h)
        years = max(horizon_h / 8760.0, 1e-9)
        ingredients: dict[str, Any] = {
            "peak_demand_mw": float(self.demand_full_mw.max(initial=0.0)),
            "peak_ambient_c": float(self.ambient_c.max(initial=0.0)),
            "mean_pue": float(self.facility_power_mw.sum() / max(self.it_power_mw.sum(), 1e-12)),
            "worst_powered_fraction": float(frac[worst]) if n else 1.0,
            "worst_time": str(self.times[worst].astype("datetime64[m]")) if n else None,
            "gpus_powered_at_worst": int(self.gpus_powered[worst]) if n else 0,
            "gpus_installed_at_worst": int(inst[worst]) if n else 0,
            "all_gpus_powered_from": all_powered_from,
            "short_hours": float(short.sum() * dt_h),
            "capped_hours": capped_h,
            "generator_hours": gen_hours,
            "generator_capacity_factor": cf,
            "generator_starts": int(self.generator_starts.sum()),
            "generator_co2_t_per_year": self._gen_co2() / years,
            "generator_nox_t_per_year": float(self.nox_t.sum()) / years,
            "generator_fleet_homes_us": self.generator_capacity_mw * 1000.0 / k.HOME_US_KW,
            "battery_cycles": cycles,
        }
        lines = []
        if short.any():
            lines.append(
                f"Power was short for {_hours(ingredients['short_hours'])} h: at worst "
                f"({ingredients['worst_time']}) {ingredients['gpus_powered_at_worst']:,} of "
                f"{ingredients['gpus_installed_at_worst']:,} installed GPUs could run."
            )
            if all_powered_from:
                lines.append(f"From {all_powered_from} the supply ran every installed GPU.")
        elif capped_h > 0:
            lines.append("Every installed GPU kept running, but not always at full power.")
        else:
            lines.append("The supply ran every installed GPU, uncapped, at every step.")
        if capped_h > 0:
            idled = ingredients["short_hours"]
            tail = f"; whole blocks were idled for {_hours(idled)} h" if idled > 0 else ""
            lines.append(f"GPU power was capped for {_hours(capped_h)} h{tail}.")
        lines.append(
            f"Peak facility demand {ingredients['peak_demand_mw']:.1f} MW at up to "
            f"{ingredients['peak_ambient_c']:.1f} °C ambient; mean PUE {ingredients['mean_pue']:.3f}."
        )
        if self.generator_capacity_mw > 0:
            lines.append(
                f"Generators ({self.generator_capacity_mw:.0f} MW nameplate, ~"
                f"{ingredients['generator_fleet_homes_us']:,.0f} average US homes' worth) ran "
                f"{gen_hours:.0f} h at a {cf:.0%} capacity factor with {ingredients['generator_starts']} "
                f"start-ups, emitting {ingredients['generator_co2_t_per_year']:,.0f} t CO2 and "
                f"{ingredients['generator_nox_t_per_year']:,.1f} t NOx per year."
            )
        if self.battery_energy_mwh > 0:
            lines.append(f"The battery delivered {dis_mwh:,.0f} MWh ({cycles:.1f} full cycles).")
        ex = self.permit.get("exceedances", [])
        if ex:
            lines.append(f"The air permit was exceeded {len(ex)} time(s).")
        ingredients["lines"] = lines
        return ingredients


# ------------------------------------------------------------------------------------------------------------


def _dates(times: npt.NDArray[np.datetime64]) -> npt.NDArray[np.datetime64]:
    return times.astype("datetime64[D]")


def schedule_values(
    times: npt.NDArray[np.datetime64], starts: list[dt.date], values: list[float], before: float
) -> FloatArray:
    """Value of a dated step schedule at each time (``before`` ahead of its first date). [same unit]"""
    days = _dates(times)
    edges = np.array(starts, dtype="datetime64[D]")
    idx = np.searchsorted(edges, days, side="right") - 1
    table = np.concatenate(([before], np.asarray(values, dtype=np.float64)))
    return np.asarray(table[idx + 1], dtype=np.float64)


def _date_mask(times: npt.NDArray[np.datetime64], start: dt.date | None, until: dt.date | None) -> BoolArray:
    days = _dates(times)
    mask = np.ones(len(times), dtype=bool)
    if start is not None:
        mask &= days >= np.datetime64(start, "D")
    if until is not None:
        mask &= days <= np.datetime64(until, "D")
    return mask


def simulate_plant(
    scenario: Scenario,
    times: npt.NDArray[np.datetime64],
    dt_s: float,
    fleets: tuple[FleetLoad, ...],
    block_gpus: int,
    rng: np.random.Generator,
) -> PlantResult:
    """Simulate the campus plant over ``times`` (step starts, local standard time) of ``dt_s`` seconds.

    Returns per-step powered GPUs, caps, power by source, battery state, fuel, emissions, water and cost.
    Same ``rng`` state, same result. [MW, MWh, t, m3, USD]
    """
    if dt_s <= 0:
        raise ValueError("dt_s must be positive")
    if block_gpus < 1:
        raise ValueError("block_gpus must be at least 1")
    times = np.asarray(times).astype("datetime64[s]")
    n = len(times)
    for f in fleets:
        if len(f.gpus_installed) != n:
            raise ValueError("every fleet's gpus_installed must have one value per step")
    dt_h = dt_s / 3600.0
    power = scenario.power
    facility = scenario.facility
    normals = scenario.site.normals()
    design_db, design_wb = normals.design_pair_c()
    seed = int(rng.integers(0, 2**62))

    # climate and facility overhead
    ambient = hourly_ambient_c(times, normals.tmax_c, normals.tmin_c) if n else np.zeros(0)
    over = facility_overhead(ambient, facility, design_db, design_wb)

    # bottom-up IT demand
    models = [gpu_power_model(f.accelerator, f.server, power.demand) for f in fleets]
    demands = tuple(
        FleetDemand(
            installed=np.asarray(f.gpus_installed, dtype=np.int64), slope_w=m.slope_w, fixed_w=m.fixed_w
        )
        for f, m in zip(fleets, models, strict=True)
    )
    load = power.demand.gpu_load_fraction
    it_full = np.zeros(n)
    for d, m in zip(demands, models, strict=True):
        it_full += d.installed * float(m.per_gpu_w(1.0)) * 1e-6
    heat_per_it = 1.0 + facility.electrical_loss_fraction
    if facility.cooling_capacity_mw is not None:
        it_max = facility.cooling_capacity_mw * over.capacity_factor / heat_per_it
    else:
        it_max = float(it_full.max(initial=0.0)) * over.capacity_factor * (1.0 + 1e-9) + 1e-9

    # supply
    grid_cap = schedule_values(times, [s.start for s in power.grid], [s.mw for s in power.grid], 0.0)
    price = schedule_values(
        times,
        [s.start for s in power.grid_price],
        [s.usd_per_mwh for s in power.grid_price],
        power.grid_price[0].usd_per_mwh,
    )
    grid_ci = schedule_values(
        times,
        [s.start for s in power.grid_co2],
        [s.kg_per_mwh for s in power.grid_co2],
        power.grid_co2[0].kg_per_mwh,
    )
    battery: BatteryParams | None = None
    batt_power = np.zeros(n)
    initial_soc = 0.0
    if power.battery is not None and power.battery.total_power_mw() > 0:
        b = power.battery
        e = b.total_energy_mwh()
        battery = BatteryParams(
            power_mw=b.total_power_mw(),
            energy_mwh=e,
            round_trip_efficiency=b.efficiency(),
            soc_min_mwh=b.soc_min_fraction * e,
            soc_max_mwh=b.soc_max_fraction * e,
            reserve_mwh=b.reserve_fraction * e,
        )
        batt_power = np.where(_date_mask(times, b.available_from, None), b.total_power_mw(), 0.0)
        initial_soc = b.initial_soc_fraction * e

    gens: list[GenFleetInputs] = []
    gen_nameplate = 0.0
    for gi, g in enumerate(power.generators):
        mask = _date_mask(times, g.available_from, g.available_until)
        rating = g.unit_rating_mw()
        gen_nameplate += rating * g.count
        down = outage_down_units(seed, gi, g.count, n, dt_s, g.outage_rate(), g.mean_repair_h)
        units = np.where(mask, np.clip(g.count - down, 0, None), 0).astype(np.int64)
        permit = g.permit
        gens.append(
            GenFleetInputs(
                unit_cap_mw=np.where(mask, rating * ambient_output_factor(ambient, g.derate_per_c), 0.0),
                available_units=units,
                fuel_mmbtu_per_mwh=g.heat_rate() / 1000.0 * ambient_heat_rate_factor(ambient),
                min_load_fraction=g.min_load(),
                ramp_mw_per_step=g.ramp() * dt_s / 60.0,
                startup_steps=math.ceil(g.startup() / dt_s - 1e-9),
                nox_t_per_mmbtu=g.nox_lb_per_mmbtu() * k.LB_T,
                nox_cap_t=permit.nox_t_per_year if permit else None,
                starts_cap=permit.starts_per_year if permit else None,
                permit_mode=permit.mode if permit else PermitMode.REPORT,
            )
        )
    years = times.astype("datetime64[Y]").astype(np.int64) + 1970

    out = run_dispatch(
        DispatchInputs(
            dt_s=dt_s,
            grid_cap_mw=grid_cap,
            pue=over.pue,
            it_max_mw=np.asarray(it_max, dtype=np.float64) * np.ones(n),
            fleets=demands,
            load_fraction=load,
            cap_enabled=power.cap.enabled,
            cap_min_fraction=min(power.cap.min_fraction, load),
            block_gpus=block_gpus,
            battery=battery,
            battery_power_mw=batt_power,
            initial_soc_mwh=initial_soc,
            generators=tuple(gens),
            merit_order=power.merit_order,
            charge_from_generators=power.charge_from_generators,
            year_index=years,
            spinning_reserve_units=power.spinning_reserve_units,
        )
    )

    # results
    installed = np.zeros(n, dtype=np.int64)
    for d in demands:
        installed += d.installed
    powered = out.powered.sum(axis=0) if len(fleets) else np.zeros(n, dtype=np.int64)
    capped = out.cap_fraction < 1.0
    tput = np.where(capped, throughput_factor(out.cap_fraction, load, power.cap.throughput_exponent), 1.0)
    it_power = out.served_mw / over.pue
    gen_total = out.gen_mw.sum(axis=0) if gens else np.zeros(n)
    fuel = out.fuel_mmbtu.sum(axis=0) if gens else np.zeros(n)
    nox_by_fleet = np.array([out.fuel_mmbtu[i] * g.nox_t_per_mmbtu for i, g in enumerate(gens)]).reshape(
        len(gens), n
    )
    co2_by_fleet = np.array(
        [out.fuel_mmbtu[i] * g.co2_kg_per_mmbtu() / 1000.0 for i, g in enumerate(power.generators)]
    ).reshape(len(gens), n)
    grid_co2 = out.grid_mw * dt_h * grid_ci / 1000.0
    grid_cost = out.grid_mw * dt_h * price
    fuel_cost = fuel * power.fuel_price_usd_per_mmbtu
    unserved = np.clip(out.demand_full_mw - out.served_mw, 0.0, None)
    curtailed = (powered < installed) | capped | (unserved > 1e-9 * np.maximum(out.demand_full_mw, 1.0))

    permit_report = _permit_report(scenario, times, years, nox_by_fleet, out.starts, out.units_on)
    return PlantResult(
        times=times,
        dt_s=dt_s,
        ambient_c=ambient,
        gpus_installed=installed,
        gpus_powered=powered.astype(np.int64),
        gpus_powered_by_fleet=out.powered,
        gpu_power_cap_fraction=out.cap_fraction,
        throughput_factor=np.asarray(tput, dtype=np.float64),
        it_power_mw=it_power,
        facility_power_mw=out.served_mw,
        pue=over.pue,
        grid_mw=out.grid_mw,
        generators_mw=gen_total,
        generators_mw_by_fleet=out.gen_mw,
        generator_units_on=out.units_on.sum(axis=0) if gens else np.zeros(n, dtype=np.int64),
        generator_starts=out.starts.sum(axis=0) if gens else np.zeros(n, dtype=np.int64),
        generator_starts_by_fleet=out.starts,
        nox_t_by_fleet=nox_by_fleet,
        battery_mw=out.battery_mw,
        battery_soc_mwh=out.soc_mwh,
        demand_full_mw=out.demand_full_mw,
        unserved_mw=unserved,
        supply_capacity_mw=out.supply_capacity_mw,
        fuel_mmbtu=fuel,
        co2_t=grid_co2 + (co2_by_fleet.sum(axis=0) if gens else 0.0),
        nox_t=nox_by_fleet.sum(axis=0) if gens else np.zeros(n),
        water_m3=it_power * dt_h * over.water_l_per_kwh_it,
        cost_usd=grid_cost + fuel_cost,
        grid_cost_usd=grid_cost,
        fuel_cost_usd=fuel_cost,
        curtailed=curtailed,
        battery_energy_mwh=battery.energy_mwh if battery else 0.0,
        generator_capacity_mw=gen_nameplate,
        permit=permit_report,
    )


def _permit_report(
    scenario: Scenario,
    times: npt.NDArray[np.datetime64],
    years: IntArray,
    nox_by_fleet: FloatArray,
    starts: IntArray,
    units_on: IntArray,
) -> dict[str, Any]:
    """Yearly NOx and start-ups per permitted fleet, and each exceedance with the day it happened."""
    fleets_out = []
    exceedances = []
    for i, g in enumerate(scenario.power.generators):
        if g.permit is None:
            continue
        per_year = []
        for year in np.unique(years):
            sel = years == year
            nox_cum = np.cumsum(nox_by_fleet[i][sel])
            st_cum = np.cumsum(starts[i][sel])
            row = {
                "year": int(year),
                "nox_t": float(nox_cum[-1]) if len(nox_cum) else 0.0,
                "starts": int(st_cum[-1]) if len(st_cum) else 0,
            }
            per_year.append(row)
            t_sel = times[sel]
            for kind, cum, limit in (
                ("nox_t", nox_cum, g.permit.nox_t_per_year),
                ("starts", st_cum, g.permit.starts_per_year),
            ):
                if limit is None:
                    continue
                over = np.nonzero(cum > limit + 1e-9)[0]
                if len(over):
                    exceedances.append(
                        {
                            "fleet": i,
                            "unit": g.unit or f"{g.unit_rating_mw():g} MW",
                            "year": int(year),
                            "kind": kind,
                            "limit": float(limit),
                            "value": float(cum[-1]),
                            "first_exceeded": str(t_sel[over[0]].astype("datetime64[m]")),
                        }
                    )
        fleets_out.append(
            {
                "fleet": i,
                "mode": g.permit.mode.value,
                "nox_t_per_year_cap": g.permit.nox_t_per_year,
                "starts_per_year_cap": g.permit.starts_per_year,
                "years": per_year,
            }
        )
    return {
        "fleets": fleets_out,
        "exceedances": exceedances,
        "respected": not exceedances,
    }
