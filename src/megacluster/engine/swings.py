"""The engine's side of the power-swing analysis: it asks the performance model for the job's phase breakdown,
the plant's catalog for the per-GPU power terms and the generators' inertia and governors, picks the operating
points the year-long run visited, runs the representative windows (``transients``) and attaches them to the
year. The models know nothing of the scenario; this module hands each its plain inputs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.engine.training import JobThroughput
from megacluster.performance.engine_api import spec_for_model
from megacluster.performance.estimator import resolve
from megacluster.performance.layout import RECOMPUTE_CODES, Layout, ParallelLayout
from megacluster.performance.step_time import evaluate
from megacluster.power import constants as pk
from megacluster.power.demand import gpu_power_model
from megacluster.power.plant import PlantResult
from megacluster.results.assemble import Results
from megacluster.results.replica import ReplicaRun
from megacluster.scenario.schema import Scenario
from megacluster.transients import constants as tk
from megacluster.transients.analysis import (
    OperatingPoint,
    Regime,
    WindowInputs,
    WindowRun,
    analyse_window,
    battery_spec,
)
from megacluster.transients.config import TransientsConfig
from megacluster.transients.facility import Campus, JobPower
from megacluster.transients.island import IslandUnits
from megacluster.transients.storage import StorageSpec
from megacluster.transients.summary import SwingAnalysis, SwingsSummary, battery_over_run, window_summary
from megacluster.transients.waveform import IterationPhases, JobSchedule
from megacluster.transients.year import regime_hours
from megacluster.units import SECONDS_PER_DAY, TimeGrid

FAILURE_AT_FRACTION = 0.25
"""A failure window's failure comes a quarter of the base window after its start. [-]"""
CAPPED_BELOW = 0.995
"""A step counts as capped when its GPU cap is below this fraction of TDP (a cap within 0.5 % is none). [-]"""


def phase_breakdown(scenario: Scenario, layout: ParallelLayout) -> IterationPhases:
    """The performance model's phases of one step of the job on its layout. [s]"""
    training = scenario.training
    if training is None:
        raise ValueError("no training run")
    accel = scenario.training_accelerator().id
    spec = spec_for_model(
        training.shape(), accel, training.job_gpus, training.global_batch, training.precision
    )
    from megacluster.performance.overlay import load_overlay

    efficiency = scenario.performance.efficiency if scenario.performance else None
    g, hw = resolve(spec, None, load_overlay(efficiency))
    lay = Layout.build(
        tp=layout.tp,
        pp=layout.pp,
        dp=layout.dp or 1,
        cp=layout.cp,
        ep=layout.ep,
        v=layout.virtual_stages,
        mb=layout.micro_batch,
        gb=training.global_batch,
        recompute=RECOMPUTE_CODES[layout.recompute.value],
        sp=float(bool(layout.sequence_parallel)),
        zero=layout.zero_stage,
        dp_overlap=float(bool(layout.dp_overlap)),
        fused=float(hw.fused_attention if layout.fused_attention is None else layout.fused_attention),
    )
    out = evaluate(g, hw, lay, training.precision.value)
    breakdown = {key: float(out[key][0]) for key in out}
    return IterationPhases.from_breakdown(
        breakdown, layout.pp, layout.virtual_stages, int(lay.micro_batches()[0])
    )


def _server(scenario: Scenario) -> catalog.Server:
    accel = scenario.training_accelerator().id
    return next(f.server_entry() for f in scenario.fleet if f.accelerator == accel)


def job_power(scenario: Scenario, config: TransientsConfig) -> JobPower:
    """Per-GPU power terms of the job's servers from the catalog and the plant's demand settings. [W]"""
    accel, server = scenario.training_accelerator(), _server(scenario)
    model = gpu_power_model(accel, server, scenario.power.demand)
    fan = float(server.fan_w or 0.0) / float(server.psu_efficiency or 1.0) / server.gpus_per_server
    rack = server.servers_per_rack * server.gpus_per_server
    return JobPower(
        tdp_wall_w=model.slope_w,
        steady_non_gpu_w=model.fixed_w - fan,
        fan_w=fan,
        fan_idle_fraction=server.non_gpu_idle_fraction,
        group_gpus=config.jitter_group_gpus or rack,
    )


def _island_units(
    scenario: Scenario, plant: PlantResult, i: int, config: TransientsConfig
) -> IslandUnits | None:
    """The generators online at step ``i`` lumped into one machine (rating-weighted per-class figures)."""
    fleets = scenario.power.generators
    by_fleet = np.asarray(plant.generators_mw_by_fleet)
    ratings, weights = [], []
    for j, fleet in enumerate(fleets):
        mw = float(by_fleet[j, i]) if by_fleet.ndim == 2 and j < by_fleet.shape[0] else 0.0
        if mw <= 0:
            continue
        unit = catalog.generators().get(fleet.unit) if fleet.unit else None
        rating = fleet.unit_rating_mw()
        online = math.ceil(mw / rating - 1e-9) * rating
        ratings.append(online)
        weights.append(
            (
                (unit.inertia_h_s if unit else None) or tk.INERTIA_H_S,
                (unit.governor_droop if unit else None) or tk.GOVERNOR_DROOP,
                tk.GOVERNOR_ACTUATOR_S
                if unit is None or unit.governor_actuator_s is None
                else unit.governor_actuator_s,
                tk.GOVERNOR_TURBINE_S
                if unit is None or unit.governor_turbine_s is None
                else unit.governor_turbine_s,
                (unit.governor_rate_pu_per_s if unit else None) or tk.GOVERNOR_RATE_PU_PER_S,
                (unit.load_step_fraction if unit else None) or tk.LOAD_STEP_FRACTION,
            )
        )
    total = sum(ratings)
    if total <= 0:
        return None
    mean = np.average(np.array(weights), axis=0, weights=np.array(ratings))
    return IslandUnits(
        rating_mw=total,
        inertia_h_s=float(mean[0]),
        droop=float(mean[1]),
        actuator_s=float(mean[2]),
        turbine_s=float(mean[3]),
        rate_pu_per_s=float(mean[4]),
        load_step_fraction=float(mean[5]),
        nominal_hz=config.nominal_frequency_hz,
    )


def _battery(scenario: Scenario, config: TransientsConfig, day: np.datetime64) -> StorageSpec | None:
    """The smoothing battery at a step: the one the section sizes (always there), else the scenario's
    ``[power.battery]`` once it is available (usable energy between its state-of-charge bounds)."""
    cfg = config.battery
    if not cfg.enabled:
        return None
    plant = scenario.power.battery
    if plant is not None and plant.available_from is not None and day < np.datetime64(plant.available_from):
        plant = None
    rte = cfg.round_trip_efficiency or (plant.efficiency() if plant else pk.BATTERY_ROUND_TRIP_EFFICIENCY)
    if cfg.power_mw is not None and cfg.energy_mwh is not None:
        return battery_spec(cfg.power_mw, cfg.energy_mwh, rte, config)
    if plant is None:
        return None
    usable = plant.soc_max_fraction - plant.soc_min_fraction
    power = cfg.power_mw or plant.total_power_mw()
    energy = cfg.energy_mwh or plant.total_energy_mwh() * usable
    return battery_spec(power, energy, rte, config) if power > 0 and energy > 0 else None


def _pick(mask: npt.NDArray[np.bool_], score: npt.NDArray[np.float64]) -> int | None:
    """The latest step among those scoring within 1 % of the best (None when the mask is empty)."""
    if not mask.any():
        return None
    best = float(score[mask].max())
    near = np.flatnonzero(mask & (score >= 0.99 * best))
    return int(near[-1])


@dataclass(frozen=True)
class _Year:
    """The first replica's per-step facts the windows are picked from. [-]"""

    held: npt.NDArray[np.bool_]
    capped: npt.NDArray[np.bool_]
    island: npt.NDArray[np.bool_]
    island_share: npt.NDArray[np.float64]
    battery: npt.NDArray[np.bool_]


def _year(scenario: Scenario, config: TransientsConfig, run: ReplicaRun) -> _Year:
    plant = run.plant
    held = np.asarray(run.job_gpus) > 0
    facility = np.asarray(plant.facility_power_mw, dtype=np.float64)
    generators = np.asarray(plant.generators_mw, dtype=np.float64)
    share = np.divide(generators, facility, out=np.zeros_like(facility), where=facility > 0)
    island = (generators > 0) if config.generators_islanded else np.zeros(held.size, dtype=bool)
    battery = np.zeros(held.size, dtype=bool)
    if config.battery.enabled:
        plant_battery = scenario.power.battery
        explicit = config.battery.power_mw is not None and config.battery.energy_mwh is not None
        if explicit:
            battery[:] = True
        elif plant_battery is not None:
            start = plant_battery.available_from
            battery = np.ones(held.size, dtype=bool) if start is None else plant.times >= np.datetime64(start)
    return _Year(
        held=held,
        capped=np.asarray(plant.gpu_power_cap_fraction) < CAPPED_BELOW,
        island=island,
        island_share=np.clip(share, 0.0, 1.0),
        battery=battery,
    )


def _point(
    scenario: Scenario, config: TransientsConfig, run: ReplicaRun, i: int, regime: Regime, year: _Year
) -> OperatingPoint:
    """The campus at step ``i`` of the first replica, as a window's operating point."""
    plant = run.plant
    gpus = int(run.job_gpus[i])
    cap = float(plant.gpu_power_cap_fraction[i])
    model = gpu_power_model(scenario.training_accelerator(), _server(scenario), scenario.power.demand)
    it = float(plant.it_power_mw[i])
    facility = float(plant.facility_power_mw[i])
    on_island = regime in (Regime.ISLAND, Regime.ISLAND_FAILURE)
    return OperatingPoint(
        regime=regime,
        time=str(plant.times[i])[:16],
        job_gpus=gpus,
        cap_fraction=cap,
        throughput_factor=float(plant.throughput_factor[i]) or 1.0,
        campus=Campus(
            other_it_mw=max(it - gpus * float(model.per_gpu_w(cap)) / 1e6, 0.0),
            pue=facility / it if it > 0 else 1.0,
        ),
        island=_island_units(scenario, plant, i, config) if on_island else None,
        island_share=float(year.island_share[i]) if on_island else 0.0,
        battery=_battery(scenario, config, plant.times[i]),
    )


def _points(
    scenario: Scenario, config: TransientsConfig, run: ReplicaRun, year: _Year
) -> list[OperatingPoint]:
    """One operating point per regime the run visited: the largest job in it (the latest such step)."""
    gpus = np.asarray(run.job_gpus, dtype=np.float64)
    base = year.held & ~year.island
    picks = [
        (Regime.TRAINING, _pick(base & ~year.capped, gpus)),
        (Regime.CAPPED, _pick(base & year.capped, gpus)),
        (Regime.ISLAND, _pick(year.held & year.island, gpus * year.island_share)),
    ]
    points = [_point(scenario, config, run, i, regime, year) for regime, i in picks if i is not None]
    steady = {p.regime: p for p in points}
    first = steady.get(Regime.TRAINING) or steady.get(Regime.CAPPED)
    if first is not None:
        points.append(dataclasses.replace(first, regime=Regime.FAILURE, island=None, island_share=0.0))
    if Regime.ISLAND in steady:
        points.append(dataclasses.replace(steady[Regime.ISLAND], regime=Regime.ISLAND_FAILURE))
    return points


def _windows(
    scenario: Scenario, config: TransientsConfig, perf: JobThroughput, run: ReplicaRun, year: _Year
) -> list[WindowInputs]:
    """The inputs of every representative window of the run."""
    if perf.layout is None or run.job is None:
        return []
    phases = phase_breakdown(scenario, perf.layout)
    power = job_power(scenario, config)
    rel = scenario.reliability
    stall = rel.checkpoint_policy(perf.checkpoint_bytes).stall_s
    restart = rel.restart_time_s(perf.checkpoint_bytes)
    interval = run.job.checkpoint_interval_s
    out = []
    for index, point in enumerate(_points(scenario, config, run, year)):
        failure = point.regime in (Regime.FAILURE, Regime.ISLAND_FAILURE)
        window = config.window + (restart if failure else 0.0)
        schedule = JobSchedule(
            checkpoint_interval_s=interval,
            checkpoint_stall_s=stall,
            failure_at_s=FAILURE_AT_FRACTION * config.window if failure else None,
            restart_s=restart,
        )
        seed = int(np.random.SeedSequence([scenario.simulation.seed, index]).generate_state(1)[0])
        out.append(WindowInputs(point, phases, power, schedule, window, config.resolution, seed))
    return out


def _summary(
    scenario: Scenario,
    config: TransientsConfig,
    runs: list[WindowRun],
    run: ReplicaRun,
    year: _Year,
    grid: TimeGrid,
) -> SwingsSummary:
    """The summary block: every window, the hours in each regime, and the year's worst figures."""
    job = run.job
    interruptions = (job.interruptions_unexpected + job.interruptions_planned) if job else 0
    restart = runs[0].inputs.schedule.restart_s
    dt = grid.dt_s
    hours = regime_hours(run.job_gpus, year.capped, year.island, dt, interruptions, restart)
    battery_hours = regime_hours(
        run.job_gpus, year.capped, year.island, dt, interruptions, restart, year.battery
    )
    windows = tuple(window_summary(w, config.island_frequency_limit_fraction) for w in runs)
    worst = max(windows, key=lambda w: w.unmitigated.swing_mw)
    cycles, throughput, years = battery_over_run(
        windows, battery_hours, grid.horizon_s / SECONDS_PER_DAY, config.battery.cycle_life
    )
    islands = [w.island for w in windows if w.island is not None]
    held_days = float(np.sum(year.held)) * dt / SECONDS_PER_DAY
    computing_days = (job.useful_s if job else 0.0) / SECONDS_PER_DAY
    training = next((w for w in windows if w.regime == Regime.TRAINING.value), windows[0])
    limits = [w.limits for w in windows if w.limits is not None]
    return SwingsSummary(
        resolution_s=config.resolution,
        window_s=config.window,
        mitigations=config.mitigations(),
        nominal_frequency_hz=config.nominal_frequency_hz,
        hours=hours,
        interruptions_per_day=interruptions / held_days if held_days > 0 else 0.0,
        checkpoints_per_day=(job.checkpoints / computing_days) if job and computing_days > 0 else 0.0,
        windows=windows,
        worst_swing_mw=worst.unmitigated.swing_mw,
        worst_swing_regime=worst.regime,
        worst_ramp_mw_per_s=max(w.unmitigated.ramp_max_mw_per_s for w in windows),
        mitigated_worst_swing_mw=max(w.mitigated.swing_mw for w in windows),
        mitigated_worst_ramp_mw_per_s=max(w.mitigated.ramp_max_mw_per_s for w in windows),
        dominant_hz=training.unmitigated.dominant_in_band_hz,
        battery_cycles_per_day=cycles,
        battery_throughput_mwh_per_day=throughput,
        battery_years_to_cycle_life=years,
        island_max_deviation_hz=max(i.max_deviation_hz for i in islands) if islands else None,
        island_limit_exceeded=any(i.step_limit_exceeded or i.deviation_limit_exceeded for i in islands)
        if islands
        else None,
        limits_met=all(item.passed for group in limits for item in group) if limits else None,
    )


def analyse_run(
    scenario: Scenario, grid: TimeGrid, perf: JobThroughput | None, run: ReplicaRun
) -> SwingAnalysis | None:
    """The representative windows of one replica and their summary; None without a job whose layout the
    performance model knows (a constant-MFU job has no phase breakdown). [-]"""
    if scenario.training is None or perf is None or perf.layout is None or run.job is None:
        return None
    config = scenario.transients or TransientsConfig()
    year = _year(scenario, config, run)
    inputs = _windows(scenario, config, perf, run, year)
    if not inputs:
        return None
    windows = [analyse_window(w, config) for w in inputs]
    summary = _summary(scenario, config, windows, run, year, grid)
    return SwingAnalysis(config=config, windows=tuple(windows), summary=summary)


def with_swings(
    results: Results, scenario: Scenario, grid: TimeGrid, perf: JobThroughput | None, runs: list[ReplicaRun]
) -> Results:
    """The results with the swings of the first replica attached (summary block and windows). [-]"""
    analysis = analyse_run(scenario, grid, perf, runs[0]) if runs else None
    if analysis is None:
        return results
    summary = results.summary.model_copy(update={"swings": analysis.summary})
    return dataclasses.replace(results, summary=summary, swings=analysis)
