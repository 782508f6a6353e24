"""Plant sizing and the plant outlook of a scenario: the searches that run the plant for candidate supplies.

The time grid and the fleets come from what the engine uses (``TimeGrid.build``, ``engine/fleets.py``); the
pure pieces (bisection, candidate ``[power]`` sections, costs, result types) live in ``power/sizing.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from megacluster import catalog
from megacluster.engine.fleets import constant_fleet
from megacluster.power.demand import gpu_power_model, it_breakdown_mw
from megacluster.power.generators import ambient_output_factor
from megacluster.power.plant import PlantResult, simulate_plant
from megacluster.power.sizing import (
    BATTERY_STEPS,
    MAX_UNITS,
    SizingPoint,
    SizingResult,
    candidate_power,
    first_guess_units,
    sized_unit,
    sizing_costs,
    smallest_feasible,
)
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_HOUR, TimeGrid

OUTLOOK_STEP_S = SECONDS_PER_HOUR
"""Step of the outlook's one-day runs: the hottest hour is what it looks for. [s]"""


class _Evaluator:
    """Runs the plant of a scenario for a generator count and battery energy, ``gpus`` GPUs installed at
    every step of its horizon; counts the runs."""

    def __init__(self, scenario: Scenario, gpus: int, unit: str, seed: int, reserve_units: int) -> None:
        sim = scenario.simulation
        self.scenario = scenario
        self.reserve_units = reserve_units
        self.unit = unit
        self.seed = seed
        self.grid = TimeGrid.build(sim.start, sim.horizon_days, sim.step)
        self.fleets = constant_fleet(scenario, gpus, self.grid)
        self.block = self.fleets[0].server.gpus_per_server
        self.climate = scenario.site.normals()
        self.runs = 0
        self.on_run: Callable[[], None] | None = None

    def plant(self, generators: int, battery_mwh: float | None) -> PlantResult:
        """The plant with ``generators`` units and, if given, a battery of ``battery_mwh``. [MWh]"""
        power = candidate_power(self.scenario.power, self.unit, generators, battery_mwh, self.reserve_units)
        self.runs += 1
        if self.on_run is not None:
            self.on_run()
        return simulate_plant(
            power,
            self.scenario.facility,
            self.climate,
            self.grid.times,
            self.grid.dt_s,
            self.fleets,
            self.block,
            np.random.default_rng(self.seed),
        )

    def point(self, generators: int, battery_mwh: float | None) -> SizingPoint:
        """Whether that plant keeps every GPU powered, and its costs."""
        result = self.plant(generators, battery_mwh)
        feasible = not bool(result.curtailed.any())
        energy = battery_mwh if battery_mwh is not None else result.battery_energy_mwh
        return SizingPoint(generators, float(energy), feasible, sizing_costs(result, generators, self.unit))


def size_plant(
    scenario: Scenario,
    target_gpus: int,
    *,
    unit: str | None = None,
    battery_tradeoffs: int = 0,
    max_battery_mwh: float = 20_000.0,
    seed: int | None = None,
    reserve_units: int = 1,
    on_run: Callable[[], None] | None = None,
) -> SizingResult:
    """Fewest ``unit`` generators that, with the scenario's grid and battery, keep ``target_gpus`` GPUs on
    (never capped, never idled) at every step of the horizon; optionally, for 1..``battery_tradeoffs`` fewer
    units, the smallest 2-hour battery that still does. Units run N + ``reserve_units`` (spinning reserve
    against a trip). [-, MWh]"""
    if target_gpus < 1:
        raise ValueError("target_gpus must be at least 1")
    unit_id = sized_unit(scenario.power.generators, unit)
    ev = _Evaluator(
        scenario, target_gpus, unit_id, scenario.simulation.seed if seed is None else seed, reserve_units
    )
    ev.on_run = on_run  # a progress bar's hook, called after each plant simulation
    probe = ev.plant(0, None)
    peak = int(np.argmax(probe.demand_full_mw))
    rating = catalog.generators()[unit_id].rating_mw
    derated = rating * float(ambient_output_factor(probe.ambient_c[peak]))
    deficit = float((probe.demand_full_mw - probe.supply_capacity_mw).max(initial=0.0))
    cache: dict[int, bool] = {0: not bool(probe.curtailed.any())}

    def ok(count: int) -> bool:
        if count not in cache:
            cache[count] = ev.point(count, None).feasible
        return cache[count]

    hi = first_guess_units(deficit, derated)
    while not ok(hi) and hi < MAX_UNITS:
        hi = min(MAX_UNITS, hi * 2)
    best_n = smallest_feasible(ok, 0, hi)
    best = ev.point(best_n, None) if best_n is not None else None
    trade = _battery_tradeoffs(ev, best_n, battery_tradeoffs, max_battery_mwh) if best_n is not None else []
    return SizingResult(
        target_gpus=target_gpus,
        accelerator=ev.fleets[0].accelerator.id,
        unit=unit_id,
        unit_rating_mw=rating,
        grid_peak_mw=float(probe.grid_mw.max(initial=0.0)) if len(probe.grid_mw) else 0.0,
        peak_demand_mw=float(probe.demand_full_mw.max(initial=0.0)),
        peak_ambient_c=float(probe.ambient_c[peak]),
        derated_unit_mw=derated,
        best=best,
        battery_tradeoffs=tuple(trade),
        evaluations=ev.runs,
    )


def _battery_tradeoffs(
    ev: _Evaluator, best_n: int, tradeoffs: int, max_battery_mwh: float
) -> list[SizingPoint]:
    """For 1..``tradeoffs`` fewer units than ``best_n``, the smallest battery (on a 1/BATTERY_STEPS grid of
    ``max_battery_mwh``) that keeps every GPU powered; stops at the first that none does. [MWh]"""
    trade: list[SizingPoint] = []
    for fewer in range(1, tradeoffs + 1):
        count = best_n - fewer
        if count < 0:
            break

        def fits(step: int, count: int = count) -> bool:
            return ev.point(count, max_battery_mwh * step / BATTERY_STEPS).feasible

        grid_ok = smallest_feasible(fits, 0, BATTERY_STEPS)
        if grid_ok is None:
            trade.append(SizingPoint(count, max_battery_mwh, False))
            break
        trade.append(ev.point(count, max_battery_mwh * grid_ok / BATTERY_STEPS))
    return trade


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
    first = dt.date.fromisoformat(str(np.datetime64(day).astype("datetime64[D]")))
    grid = TimeGrid.build(first, 1.0, OUTLOOK_STEP_S)
    fleets = constant_fleet(scenario, scenario.total_gpus(), grid)
    block = fleets[0].server.gpus_per_server
    climate = scenario.site.normals()
    out: dict[str, Any] = {"day": str(day)}
    for label, cap_on in (("uncapped", False), ("capped", True)):
        power = scenario.power.model_copy(
            update={"cap": scenario.power.cap.model_copy(update={"enabled": cap_on})}
        )
        r = simulate_plant(
            power,
            scenario.facility,
            climate,
            grid.times,
            grid.dt_s,
            fleets,
            block,
            np.random.default_rng(seed),
        )
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
