"""Capacity sizing: the fewest generator units (and optionally the battery) that keep N GPUs powered.

Why a bisection over ``simulate_plant`` rather than a linear program (e.g. PyPSA + HiGHS): the question is
"does this plant keep every GPU running at every step", and the answer depends on what an LP cannot express
without integer variables and much modelling — whole-unit commitment with minimum load, start-up delays, ramp
limits, random forced outages (drawn per unit, so adding a unit never removes another's availability), ambient
derating and the battery's state of charge. The simulation already models all of that; feasibility is monotone
in the unit count, so a bisection needs only ~log2(units) runs of about a second each for a year at 5 minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.power.config import BatteryConfig, GeneratorFleet
from megacluster.power.generators import ambient_output_factor
from megacluster.power.plant import FleetLoad, PlantResult, simulate_plant

if TYPE_CHECKING:
    from megacluster.scenario.schema import Scenario

GAS_CT_CAPEX_USD_PER_KW = 1092.8
"""[P via GitHub] facts-plant.md 4: NREL ATB 2024 (ReEDS conv_ATB_2024.csv) Gas-CT overnight capex, 2024."""

BATTERY_2H_CAPEX_USD_PER_KW = 1058.0
"""[P via GitHub] facts-plant.md 7: NREL ATB 2024 moderate, utility Li-ion 2-hour overnight capex, 2024."""

BATTERY_HOURS = 2.0
"""[U] facts-plant.md 7: Megapack 2 XL 1.927 MW / 3.854 MWh = 2-hour (0.5 C); sized batteries use it."""

MAX_UNITS = 10_000
"""Largest generator count searched (the schema's limit)."""


@dataclass(frozen=True)
class SizingPoint:
    """One feasible (or not) plant: generator count and battery energy."""

    generators: int
    battery_mwh: float
    feasible: bool
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SizingResult:
    """The answer to 'how much supply keeps N GPUs powered'."""

    target_gpus: int
    accelerator: str
    unit: str
    unit_rating_mw: float
    grid_peak_mw: float
    peak_demand_mw: float
    """Facility demand of the N GPUs at the horizon's hottest step. [MW]"""
    peak_ambient_c: float
    derated_unit_mw: float
    """One unit's output at the peak-demand ambient. [MW]"""
    best: SizingPoint | None
    """Fewest generators with the scenario's battery (None: not feasible within MAX_UNITS)."""
    battery_tradeoffs: tuple[SizingPoint, ...] = ()
    """Fewer generators with the smallest battery that still keeps every GPU powered."""
    evaluations: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form. [MW, MWh, USD, t]"""

        def point(p: SizingPoint | None) -> dict[str, Any] | None:
            if p is None:
                return None
            return {
                "generators": p.generators,
                "battery_mwh": p.battery_mwh,
                "feasible": p.feasible,
                **p.summary,
            }

        return {
            "target_gpus": self.target_gpus,
            "accelerator": self.accelerator,
            "unit": self.unit,
            "unit_rating_mw": self.unit_rating_mw,
            "grid_peak_mw": self.grid_peak_mw,
            "peak_demand_mw": self.peak_demand_mw,
            "peak_ambient_c": self.peak_ambient_c,
            "derated_unit_mw": self.derated_unit_mw,
            "best": point(self.best),
            "battery_tradeoffs": [point(p) for p in self.battery_tradeoffs],
            "evaluations": self.evaluations,
            "method": "bisection over simulate_plant (whole units, outages, start-ups, ambient derating)",
        }


def sizing_times(scenario: Scenario) -> tuple[npt.NDArray[np.datetime64], float]:
    """Step starts and step length of the scenario's horizon. [s]"""
    sim = scenario.simulation
    n = max(1, round(sim.horizon_days * 86400.0 / sim.step))
    start = np.datetime64(sim.start, "s")
    return start + np.arange(n) * np.timedelta64(round(sim.step), "s"), float(sim.step)


def constant_fleet(scenario: Scenario, gpus: int, n: int) -> tuple[FleetLoad, ...]:
    """``gpus`` of the scenario's training (else first) accelerator, installed at every step."""
    accel = scenario.training_accelerator()
    delivery = next((f for f in scenario.fleet if f.accelerator == accel.id), scenario.fleet[0])
    server = delivery.server_entry()
    return (FleetLoad(accelerator=accel, server=server, gpus_installed=np.full(n, gpus, dtype=np.int64)),)


def _unit_for(scenario: Scenario, unit: str | None) -> str:
    if unit is not None:
        if unit not in catalog.generators():
            raise ValueError(f"unknown generator unit '{unit}'")
        return unit
    rated = [g for g in scenario.power.generators if g.unit is not None]
    if rated:
        return str(max(rated, key=lambda g: g.unit_rating_mw()).unit)
    return "smt-130"


class _Evaluator:
    """Runs the plant for a generator count and battery energy; counts runs."""

    def __init__(self, scenario: Scenario, gpus: int, unit: str, seed: int, reserve_units: int) -> None:
        self.scenario = scenario
        self.reserve_units = reserve_units
        self.unit = unit
        self.seed = seed
        self.times, self.dt_s = sizing_times(scenario)
        self.fleets = constant_fleet(scenario, gpus, len(self.times))
        self.block = self.fleets[0].server.gpus_per_server
        self.runs = 0

    def plant(self, generators: int, battery_mwh: float | None) -> PlantResult:
        power = self.scenario.power
        update: dict[str, Any] = {
            "generators": (GeneratorFleet(unit=self.unit, count=generators),),
            # a sized battery is the reserve; otherwise the units run N + reserve_units
            "spinning_reserve_units": self.reserve_units if battery_mwh is None else 0,
        }
        if battery_mwh is not None:
            update["battery"] = (
                BatteryConfig(
                    power_mw=battery_mwh / BATTERY_HOURS,
                    energy_mwh=battery_mwh,
                    round_trip_efficiency=catalog.batteries()["megapack-2xl"].round_trip_efficiency,
                )
                if battery_mwh > 0
                else None
            )
        sc = self.scenario.model_copy(update={"power": power.model_copy(update=update)})
        self.runs += 1
        return simulate_plant(
            sc, self.times, self.dt_s, self.fleets, self.block, np.random.default_rng(self.seed)
        )

    def point(self, generators: int, battery_mwh: float | None) -> SizingPoint:
        result = self.plant(generators, battery_mwh)
        feasible = not bool(result.curtailed.any())
        energy = battery_mwh if battery_mwh is not None else result.battery_energy_mwh
        return SizingPoint(generators, float(energy), feasible, _costs(result, generators, self.unit))


def _costs(result: PlantResult, generators: int, unit: str) -> dict[str, Any]:
    s = result.summary()
    rating = catalog.generators()[unit].rating_mw
    batt_mw = result.battery_energy_mwh / BATTERY_HOURS
    years = max(len(result.times) * result.dt_s / 3600.0 / 8760.0, 1e-9)
    return {
        "energy_mwh": s["energy_mwh"],
        "fuel_mmbtu": s["fuel_mmbtu"],
        "operating_cost_usd": s["cost_usd"],
        "emissions_t": s["emissions_t"],
        "per_year": {
            "co2_t": s["emissions_t"]["co2"] / years,
            "nox_t": s["emissions_t"]["nox"] / years,
            "operating_cost_usd": s["cost_usd"]["total"] / years,
        },
        "capex_usd": {
            "generators": generators * rating * 1000.0 * GAS_CT_CAPEX_USD_PER_KW,
            "battery": batt_mw * 1000.0 * BATTERY_2H_CAPEX_USD_PER_KW,
        },
        "generator_starts": int(result.generator_starts.sum()),
        "curtailed_hours": s["curtailed_hours"],
    }


def smallest_feasible(feasible: Any, lo: int, hi: int) -> int | None:
    """Smallest integer in [lo, hi] where the monotone predicate holds, or None. [-]"""
    if not feasible(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if feasible(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def sizing_evaluations(battery_tradeoffs: int) -> int:
    """Plant simulations a sizing run makes at most: a doubling search and a bisection over up to
    ``MAX_UNITS`` units, then a bisection over 40 battery sizes per trade-off. [-]"""
    doublings = math.ceil(math.log2(MAX_UNITS))
    return 2 + 2 * doublings + battery_tradeoffs * (math.ceil(math.log2(40)) + 2)


def size_plant(
    scenario: Scenario,
    target_gpus: int,
    *,
    unit: str | None = None,
    battery_tradeoffs: int = 0,
    max_battery_mwh: float = 20_000.0,
    seed: int | None = None,
    reserve_units: int = 1,
) -> SizingResult:
    """Fewest ``unit`` generators that, with the scenario's grid and battery, keep ``target_gpus`` GPUs on
    (never capped, never idled) at every step of the horizon; optionally, for 1..``battery_tradeoffs`` fewer
    units, the smallest 2-hour battery that still does. Units run N + ``reserve_units`` (spinning reserve
    against a trip). [-, MWh]"""
    if target_gpus < 1:
        raise ValueError("target_gpus must be at least 1")
    unit_id = _unit_for(scenario, unit)
    ev = _Evaluator(
        scenario, target_gpus, unit_id, scenario.simulation.seed if seed is None else seed, reserve_units
    )
    probe = ev.plant(0, None)
    peak = int(np.argmax(probe.demand_full_mw))
    rating = catalog.generators()[unit_id].rating_mw
    derated = rating * float(ambient_output_factor(probe.ambient_c[peak]))
    grid_peak = float(probe.grid_mw.max(initial=0.0)) if len(probe.grid_mw) else 0.0
    deficit = float((probe.demand_full_mw - (probe.supply_capacity_mw)).max(initial=0.0))
    guess = min(MAX_UNITS, max(1, math.ceil(deficit / max(derated, 1e-9) * 1.3) + 2))
    cache: dict[int, bool] = {0: not bool(probe.curtailed.any())}

    def ok(count: int) -> bool:
        if count not in cache:
            cache[count] = ev.point(count, None).feasible
        return cache[count]

    hi = guess
    while not ok(hi) and hi < MAX_UNITS:
        hi = min(MAX_UNITS, hi * 2)
    best_n = smallest_feasible(ok, 0, hi)
    best = ev.point(best_n, None) if best_n is not None else None
    trade: list[SizingPoint] = []
    if best_n is not None:
        for fewer in range(1, battery_tradeoffs + 1):
            count = best_n - fewer
            if count < 0:
                break
            steps = 40  # bisect the battery energy on a 1/40 grid of the maximum, then refine
            grid_ok = smallest_feasible(
                lambda i, c=count, k=steps: ev.point(c, max_battery_mwh * i / k).feasible, 0, steps
            )
            if grid_ok is None:
                trade.append(SizingPoint(count, max_battery_mwh, False))
                break
            trade.append(ev.point(count, max_battery_mwh * grid_ok / steps))
    return SizingResult(
        target_gpus=target_gpus,
        accelerator=ev.fleets[0].accelerator.id,
        unit=unit_id,
        unit_rating_mw=rating,
        grid_peak_mw=grid_peak,
        peak_demand_mw=float(probe.demand_full_mw.max(initial=0.0)),
        peak_ambient_c=float(probe.ambient_c[peak]),
        derated_unit_mw=derated,
        best=best,
        battery_tradeoffs=tuple(trade),
        evaluations=ev.runs,
    )


def supply_dates(scenario: Scenario) -> list[np.datetime64]:
    """Days on which the supply changes: grid steps and generator/battery availability, within the horizon."""
    sim = scenario.simulation
    start = np.datetime64(sim.start, "D")
    end = start + np.timedelta64(math.ceil(sim.horizon_days), "D")
    days = {start}
    power = scenario.power
    for step in power.grid:
        days.add(np.datetime64(step.start, "D"))
    for g in power.generators:
        if g.available_from:
            days.add(np.datetime64(g.available_from, "D"))
        if g.available_until:
            days.add(np.datetime64(g.available_until, "D") + np.timedelta64(1, "D"))
    if power.battery is not None and power.battery.available_from:
        days.add(np.datetime64(power.battery.available_from, "D"))
    return sorted(d for d in days if start <= d < end)


def runnable_gpus(scenario: Scenario, day: np.datetime64, seed: int = 0) -> dict[str, Any]:
    """GPUs the supply of ``day`` keeps running through that day's hottest hour, uncapped and capped.

    The whole fleet is offered as installed, at hourly steps; the count is the smallest number powered over
    the day (so the battery counts only as far as its energy lasts the day). [-, MW]
    """
    n = 24
    times = day.astype("datetime64[s]") + np.arange(n) * np.timedelta64(3600, "s")
    accel = scenario.training_accelerator()
    total = scenario.total_gpus()
    delivery = next((f for f in scenario.fleet if f.accelerator == accel.id), scenario.fleet[0])
    fleets = (FleetLoad(accel, delivery.server_entry(), np.full(n, total, dtype=np.int64)),)
    block = fleets[0].server.gpus_per_server
    out: dict[str, Any] = {"day": str(day)}
    for label, cap_on in (("uncapped", False), ("capped", True)):
        power = scenario.power.model_copy(
            update={"cap": scenario.power.cap.model_copy(update={"enabled": cap_on})}
        )
        sc = scenario.model_copy(update={"power": power})
        r = simulate_plant(sc, times, 3600.0, fleets, block, np.random.default_rng(seed))
        worst = int(np.argmin(r.gpus_powered))
        out[f"gpus_{label}"] = int(r.gpus_powered[worst])
        if label == "uncapped":
            out["supply_mw"] = float(r.supply_capacity_mw[worst])
            out["ambient_c"] = float(r.ambient_c[worst])
            out["pue"] = float(r.pue[worst])
            out["facility_mw"] = float(r.facility_power_mw[worst])
        else:
            out["cap_fraction"] = float(r.gpu_power_cap_fraction[worst])
    return out


def power_outlook(scenario: Scenario, seed: int = 0) -> dict[str, Any]:
    """The plant at a glance: IT load from components for the fleet, and the GPUs each supply step runs."""
    from megacluster.power.demand import gpu_power_model, it_breakdown_mw

    fleets = []
    for f in scenario.fleet:
        accel = catalog.accelerators()[f.accelerator]
        server = f.server_entry()
        parts = it_breakdown_mw(accel, server, scenario.power.demand, f.count)
        per_gpu = float(gpu_power_model(accel, server, scenario.power.demand).per_gpu_w(1.0))
        fleets.append({"accelerator": accel.id, "gpus": f.count, "it_per_gpu_w": per_gpu, "it_mw": parts})
    return {
        "scenario": scenario.name,
        "fleets": fleets,
        "supply_steps": [runnable_gpus(scenario, d, seed) for d in supply_dates(scenario)],
    }
