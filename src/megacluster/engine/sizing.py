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
from megacluster.engine.site import plant_site
from megacluster.engine.training import JobThroughput, job_throughput
from megacluster.power.config import AirPermit, GeneratorFleet, IdledBlocks, PermitMode
from megacluster.power.demand import gpu_power_model, it_breakdown_mw
from megacluster.power.generators import ambient_output_factor
from megacluster.power.plant import PlantResult, simulate_plant
from megacluster.power.policy import PowerPolicy
from megacluster.power.sizing import (
    BATTERY_STEPS,
    MAX_UNITS,
    SizingPoint,
    SizingResult,
    annualised_over_caps,
    candidate_power,
    first_guess_units,
    n_minus_1_grid,
    sized_unit,
    sizing_costs,
    sizing_limits,
    smallest_feasible,
    template_fleet,
)
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_HOUR, TimeGrid

OUTLOOK_STEP_S = SECONDS_PER_HOUR
"""Step of the outlook's one-day runs: the hottest hour is what it looks for. [s]"""


class _Evaluator:
    """Runs the plant of a scenario for a generator count and battery energy, ``gpus`` GPUs installed at
    every step of its horizon; counts the runs. The sized units inherit the controls and air permit of the
    scenario's fleet of that unit; ``n_plus_1`` takes one grid transformer or feeder out."""

    def __init__(
        self, scenario: Scenario, gpus: int, unit: str, seed: int, reserve_units: int, n_plus_1: bool = False
    ) -> None:
        sim = scenario.simulation
        self.scenario = scenario
        self.reserve_units = reserve_units
        self.unit = unit
        self.seed = seed
        self.grid = TimeGrid.build(sim.start, sim.horizon_days, sim.step)
        self.fleets = constant_fleet(scenario, gpus, self.grid)
        self.block = self.fleets[0].server.gpus_per_server
        self.climate = scenario.site.normals()
        self.site = plant_site(scenario, self.grid.times, _job_perf(scenario))
        self.power = n_minus_1_grid(scenario.power) if n_plus_1 else scenario.power
        self.template = template_fleet(scenario.power.generators, unit)
        self.runs = 0
        self.on_run: Callable[[], None] | None = None

    def _template(self, mode: PermitMode) -> GeneratorFleet | None:
        """The template fleet with its permit in ``mode`` (respect: the law; report: what it would take)."""
        t = self.template
        if t is None or t.permit is None:
            return t
        return t.model_copy(update={"permit": t.permit.model_copy(update={"mode": mode})})

    def plant(
        self, generators: int, battery_mwh: float | None, mode: PermitMode = PermitMode.RESPECT
    ) -> PlantResult:
        """The plant with ``generators`` units and, if given, a battery of ``battery_mwh``. [MWh]"""
        power = candidate_power(
            self.power, self.unit, generators, battery_mwh, self.reserve_units, self._template(mode)
        )
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
            weather=self.site.weather,
            region=self.site.region,
            draw=self.site.draw,
        )

    def point(
        self, generators: int, battery_mwh: float | None, mode: PermitMode = PermitMode.RESPECT
    ) -> SizingPoint:
        """Whether that plant keeps every GPU powered (within the permit, in 'respect': with a run shorter
        than a permit window, its annualised totals within the caps too), and its costs."""
        result = self.plant(generators, battery_mwh, mode)
        feasible = not bool(result.curtailed.any())
        if mode is PermitMode.RESPECT and feasible:  # caps the dispatch does not enforce (CO, PM, ...) too
            over = annualised_over_caps(result, generators, self.unit)
            feasible = not result.permit.exceedances and not over
        energy = battery_mwh if battery_mwh is not None else result.battery_energy_mwh
        return SizingPoint(generators, float(energy), feasible, sizing_costs(result, generators, self.unit))


def _job_perf(scenario: Scenario) -> JobThroughput | None:
    """The job's throughput model (its phase breakdown sets the GPUs' mean draw), None without a job."""
    if scenario.training is None:
        return None
    return job_throughput(scenario)[0]


def size_plant(
    scenario: Scenario,
    target_gpus: int,
    *,
    unit: str | None = None,
    battery_tradeoffs: int = 0,
    max_battery_mwh: float = 20_000.0,
    seed: int | None = None,
    reserve_units: int = 1,
    n_plus_1: bool = False,
    on_run: Callable[[], None] | None = None,
) -> SizingResult:
    """Fewest ``unit`` generators that, with the scenario's grid and battery, keep ``target_gpus`` GPUs on
    (never capped, never idled) at every step of the horizon within the units' air permit (rolling NOx and
    start-up caps, from its effective day); optionally, for 1..``battery_tradeoffs`` fewer units, the smallest
    2-hour battery that still does. Units run N + ``reserve_units`` (spinning reserve against a trip);
    ``n_plus_1`` also takes one grid transformer or feeder out. Without a solution, ``limits`` says which
    limit the plant cannot meet. [-, MWh]"""
    if target_gpus < 1:
        raise ValueError("target_gpus must be at least 1")
    unit_id = sized_unit(scenario.power.generators, unit)
    seed_used = scenario.simulation.seed if seed is None else seed
    ev = _Evaluator(scenario, target_gpus, unit_id, seed_used, reserve_units, n_plus_1)
    ev.on_run = on_run  # a progress bar's hook, called after each plant simulation
    probe = ev.plant(0, None)
    peak = int(np.argmax(probe.demand_full_mw))
    rating = catalog.generators()[unit_id].rating_mw
    derated = rating * float(ambient_output_factor(probe.ambient_c[peak]))
    deficit = float((probe.demand_full_mw - probe.supply_capacity_mw).max(initial=0.0))
    guess = first_guess_units(deficit, derated)
    best_n, limits = _smallest_lawful(ev, guess, not bool(probe.curtailed.any()))
    best = ev.point(best_n, None) if best_n is not None else None
    trade = _battery_tradeoffs(ev, best_n, battery_tradeoffs, max_battery_mwh) if best_n is not None else []
    permit = ev.template.permit if ev.template is not None else None
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
        n_plus_1=n_plus_1,
        limits=tuple(limits),
        heatwave=ev.climate.heatwave.name if ev.climate.heatwave is not None else "",
        permit=_permit_text(permit),
    )


def _permit_text(permit: AirPermit | None) -> str:
    if permit is None:
        return ""
    caps = [
        f"{name} {value:g}"
        for name, value in (("NOx t", permit.nox_t_per_year), ("start-ups", permit.starts_per_year))
        if value is not None
    ]
    since = f" from {permit.effective_from.isoformat()}" if permit.effective_from else ""
    return f"{', '.join(caps)} per {permit.period.value.replace('_', ' ')}{since}"


def _smallest_lawful(ev: _Evaluator, guess: int, zero_ok: bool) -> tuple[int | None, list[str]]:
    """Fewest units that keep every GPU on within the permit: first the fewest that carry the load with the
    permit only reported (capacity), then, if the permit curtails them, more units up to twice as many (kept
    running under a start-up cap, they need fewer starts). Returns (count or None, the limits not met)."""
    report: dict[int, bool] = {0: zero_ok}
    law: dict[int, bool] = {}

    def carries(count: int) -> bool:
        if count not in report:
            report[count] = ev.point(count, None, PermitMode.REPORT).feasible
        return report[count]

    def lawful(count: int) -> bool:
        if count not in law:
            law[count] = ev.point(count, None).feasible
        return law[count]

    hi = guess
    while not carries(hi) and hi < MAX_UNITS:
        hi = min(MAX_UNITS, hi * 2)
    n_cap = smallest_feasible(carries, 0, hi)
    if n_cap is None:
        return None, [f"capacity: no count up to {MAX_UNITS:,} {ev.unit} units keeps every GPU on"]
    if lawful(n_cap):
        return n_cap, []
    top = min(MAX_UNITS, 2 * n_cap + 2)
    if not lawful(top):
        return None, sizing_limits(ev.plant(n_cap, None, PermitMode.REPORT), n_cap, ev.unit)
    return smallest_feasible(lawful, n_cap, top), []


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
    # the supply's capacity question: GPUs that cannot run are switched off (no idle draw); 'capped' caps
    # every GPU down to the deepest cap before any is switched off
    demand = scenario.power.demand.model_copy(update={"idled_blocks": IdledBlocks.OFF})
    for label, cap_on in (("uncapped", False), ("capped", True)):
        cap = scenario.power.cap.model_copy(update={"enabled": cap_on, "policy": PowerPolicy.CAP_FIRST})
        power = scenario.power.model_copy(update={"cap": cap, "demand": demand})
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
