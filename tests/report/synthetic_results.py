"""A realistic synthetic Results (no engine needed): a campus ramping up under a power cap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from megacluster.results.assemble import Results
from megacluster.scenario.load import load_scenario
from megacluster.scenario.schema import Scenario


def synthetic_results(
    preset: str = "colossus-2024",
    days: float = 10.0,
    step_s: float = 3600.0,
    replicas: int = 1,
    seed: int = 0,
) -> Results:
    """A Results shaped like the engine's, from a preset's scenario and simple formulas."""
    overrides: dict[str, Any] = {
        "simulation.horizon_days": days,
        "simulation.step": step_s,
        "simulation.replicas": replicas,
    }
    return synthetic_for(load_scenario(preset, overrides), seed)


def _supply_mw(scenario: Scenario, t: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Grid and generator capacity at each time. [MW]"""
    days = t.normalize().date
    grid = np.zeros(len(t))
    for step in scenario.power.grid:
        grid = np.where(days >= step.start, step.mw, grid)
    cap = np.zeros(len(t))
    for gen in scenario.power.generators:
        on = np.ones(len(t), dtype=bool)
        if gen.available_from is not None:
            on &= days >= gen.available_from
        if gen.available_until is not None:
            on &= days <= gen.available_until
        cap = cap + on * gen.count * gen.unit_rating_mw()
    return grid, cap


def synthetic_for(scenario: Scenario, seed: int | None = None) -> Results:
    """Synthetic results of a scenario: installed GPUs ramp over the install window, powered GPUs are capped
    by the grid schedule plus the available generators, the job trains on 90 % of them."""
    seed = scenario.simulation.seed if seed is None else seed
    step_s = scenario.simulation.step
    days = scenario.simulation.horizon_days
    replicas = scenario.simulation.replicas
    n = max(2, round(days * 86400 / step_s))
    rng = np.random.default_rng(seed)
    t = pd.date_range(pd.Timestamp(scenario.simulation.start), periods=n, freq=pd.Timedelta(seconds=step_s))
    total = scenario.total_gpus()
    first = pd.Timestamp(min(f.install_start for f in scenario.fleet))
    last = pd.Timestamp(max(f.install_end for f in scenario.fleet)) + pd.Timedelta(days=1)
    frac = np.clip(np.asarray((t - first) / (last - first), dtype=np.float64), 0, 1)
    installed = np.floor(total * frac / 8) * 8
    grid_cap, gen_cap = _supply_mw(scenario, t)
    cap = grid_cap + gen_cap
    battery_mw = scenario.power.battery.total_power_mw() if scenario.power.battery else 0.0
    per_gpu_mw = 1.275e-3 * 1.2
    powered = np.floor(np.minimum(installed, (cap + 0.5 * battery_mw) / per_gpu_mw) / 8) * 8
    it = powered * 1.275e-3
    facility = it * 1.2
    unserved = installed * per_gpu_mw - facility
    grid = np.minimum(facility, grid_cap)
    battery = np.where(np.arange(n) % 24 < 4, 0.5, -0.3) * battery_mw * (facility > grid)
    gens = np.clip(facility - grid - battery, 0, None)
    soc = np.clip(np.cumsum(-battery) * step_s / 3600 + 20, 0, 40)
    ambient = 27 + 6 * np.sin(np.arange(n) * step_s / 86400 * 2 * np.pi)
    job = np.floor(powered * 0.9 / 1024) * 1024
    rate = job * 989e12 * 0.38 * step_s
    cum = np.cumsum(rate * (1 + 0.05 * rng.standard_normal(n)).clip(0))
    co2 = gens * step_s / 3600 * 0.55
    nox = gens * step_s / 3600 * 0.0003
    columns: dict[str, Any] = {
        "time": t,
        "gpus_installed": installed,
        "gpus_powered": powered,
        "job_gpus": job,
        "it_power_mw": it,
        "facility_power_mw": facility,
        "grid_mw": grid,
        "generators_mw": gens,
        "battery_mw": battery,
        "battery_soc_mwh": soc,
        "ambient_c": ambient,
        "supply_capacity_mw": cap,
        "unserved_mw": unserved,
        "co2_t": co2,
        "nox_t": nox,
        "fuel_mmbtu": gens * step_s / 3600 * 9.5,
        "cumulative_flop": cum,
    }
    if replicas > 1:
        columns["cumulative_flop_p10"] = cum * 0.93
        columns["cumulative_flop_p50"] = cum
        columns["cumulative_flop_p90"] = cum * 1.05
    ts = pd.DataFrame(columns)
    k = 12
    ev_t = np.sort(rng.uniform(0, days * 86400, k))
    causes = ["faulty_gpu", "gpu_hbm3", "network_switch_cable", "planned"]
    events = pd.DataFrame(
        {
            "replica": np.zeros(k, dtype=np.int64),
            "time": pd.Timestamp(scenario.simulation.start) + pd.to_timedelta(ev_t, unit="s"),
            "time_s": ev_t,
            "kind": ["interruption"] * k,
            "cause": [causes[i % len(causes)] for i in range(k)],
            "gpus_affected": np.full(k, 8, dtype=np.int64),
            "work_lost_s": rng.uniform(600, 3000, k),
        }
    )
    target = scenario.training.flop_target() if scenario.training else 0.0
    energy = float(np.sum(facility) * step_s / 3600)
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "seed": seed,
        "replicas": replicas,
        "horizon_days": days,
        "start_date": scenario.simulation.start.isoformat(),
        "step_s": step_s,
        "gpus_installed_peak": int(installed.max()),
        "gpus_powered_mean": float(powered.mean()),
        "it_power_peak_mw": float(it.max()),
        "facility_power_peak_mw": float(facility.max()),
        "supply_capacity_peak_mw": float(cap.max()),
        "unserved_energy_mwh": float(np.sum(unserved) * step_s / 3600),
        "energy_mwh": {
            "total": energy,
            "grid": float(np.sum(grid) * step_s / 3600),
            "generators": float(np.sum(gens) * step_s / 3600),
            "battery_discharge": float(np.sum(np.clip(battery, 0, None)) * step_s / 3600),
        },
        "emissions_t": {"co2": float(co2.sum()), "nox": float(nox.sum())},
        "training": {
            "target_flop": target,
            "completed_flop": float(cum[-1]),
            "finished": False,
            "finish_day": None,
            "finish_date": None,
            "goodput": 0.91,
            "interruptions": {"unexpected": 9, "planned": 3},
            "mfu": 0.38,
        },
    }
    return Results(scenario=scenario, summary=summary, timeseries=ts, events=events)
