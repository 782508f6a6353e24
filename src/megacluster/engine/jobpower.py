"""What the training job gets from the plant: the GPUs it may use, the power allotted to them, the rates of
its layouts, what one rack or leaf switch takes out, and the hazard of site power events. The engine's seam
between ``power`` and ``reliability`` (neither imports the other).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster.engine.training import JobThroughput
from megacluster.power.demand import gpu_power_model
from megacluster.power.plant import FleetLoad, PlantResult
from megacluster.power.policy import JobAllotment, fleet_it_w
from megacluster.reliability.constants import LEAF_DOWNLINK_SERVERS
from megacluster.reliability.jobdata import JobInputs
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, TimeGrid

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def held_gpus(
    scenario: Scenario, grid: TimeGrid, fleets: tuple[FleetLoad, ...], replica_gpus: int
) -> IntArray:
    """GPUs the job may use at each step: installed GPUs of its accelerator, up to its size, in whole
    replicas, from its start day (powered or not: the power allotted decides how many run). [-]"""
    training = scenario.training
    if training is None:
        return np.zeros(grid.n, dtype=np.int64)
    accel_id = scenario.training_accelerator().id
    installed = np.zeros(grid.n, dtype=np.int64)
    for fleet in fleets:
        if fleet.accelerator.id == accel_id:
            installed = installed + np.asarray(fleet.gpus_installed, dtype=np.int64)
    held = np.minimum(installed, training.job_gpus)
    held = (held // replica_gpus) * replica_gpus
    start_s = grid.seconds_at(training.start or scenario.simulation.start)
    held[grid.start_s + grid.dt_s <= start_s] = 0
    return held.astype(np.int64)


def job_allotment(
    scenario: Scenario,
    fleets: tuple[FleetLoad, ...],
    plant: PlantResult,
    held: IntArray,
    exposure_per_gpu: float = 0.0,
) -> JobAllotment:
    """The IT power the plant gave the job's GPUs at each step: its accelerator's fleets as the plant ran them
    (powered GPUs at the cap, the rest idle), pro rata to the GPUs the job may use. [W]"""
    power = scenario.power
    accel_id = scenario.training_accelerator().id
    load = power.demand.gpu_load_fraction
    cap = np.asarray(plant.gpu_power_cap_fraction, dtype=np.float64)
    total = np.zeros(len(held))
    installed = np.zeros(len(held))
    terms = np.zeros(3)
    for i, fleet in enumerate(fleets):
        if fleet.accelerator.id != accel_id:
            continue
        m = gpu_power_model(fleet.accelerator, fleet.server, power.demand)
        n = np.asarray(fleet.gpus_installed, dtype=np.int64)
        powered = np.asarray(plant.gpus_powered_by_fleet[i], dtype=np.int64)
        total += fleet_it_w(powered, n, cap, m.slope_w, m.fixed_w, m.idle_w, load)
        installed += n
        terms += float(n.max(initial=0.0)) * np.array([m.slope_w, m.fixed_w, m.idle_w])
    weight = max(float(installed.max(initial=0.0)), 1.0)
    slope, fixed, idle = (terms / weight).tolist()
    share = np.where(installed > 0, held / np.maximum(installed, 1.0), 0.0)
    return JobAllotment(
        allot_w=total * share,
        held_gpus=np.asarray(held, dtype=np.int64),
        slope_w=slope,
        fixed_w=fixed,
        idle_w=idle,
        load=load,
        cap_min=min(power.cap.min_fraction, load),
        exponent=power.cap.throughput_exponent,
        cap_enabled=power.cap.enabled,
        policy=power.cap.policy,
        exposure_per_gpu=exposure_per_gpu,
    )


def failure_exposure(scenario: Scenario, perf: JobThroughput | None) -> float:
    """Time the failures of one running GPU cost per second of running, for the 'best' power policy: the
    interruption rate per GPU-second x the loss of one interruption (the restart at the job's size plus half a
    checkpoint interval of rework at its mean time to interruption). 0 without a training job. [1/GPU]"""
    training = scenario.training
    if training is None or perf is None:
        return 0.0
    cfg = scenario.reliability
    rate_s = cfg.unexpected_rate_per_gpu_hour() / SECONDS_PER_HOUR
    if rate_s <= 0.0:
        return 0.0
    gpus = training.job_gpus
    mtti = 1.0 / (rate_s * gpus + cfg.planned_interruptions_per_day / SECONDS_PER_DAY)
    restart = cfg.restart_time_s(perf.checkpoint_bytes, gpus)
    interval = cfg.checkpoint_policy(perf.checkpoint_bytes, gpus).interval_s(mtti, restart)
    return rate_s * (restart + 0.5 * interval)


def site_event_rate_per_s(scenario: Scenario, grid: TimeGrid, plant: PlantResult) -> FloatArray | None:
    """Hazard of a site power event per step: running generator units trip at their forced-outage process's
    rate (``power/generators.py``: mean up time = mean repair x (1 - rate) / rate) while they feed an island
    that no battery of a unit's size covers ([A] a grid-parallel campus or a battery rides a trip through).
    None when no trip can stop the job. [1/s]"""
    power = scenario.power
    islanded = scenario.transients is not None and scenario.transients.generators_islanded
    if not power.generators or not islanded:
        return None
    units = sum(g.count for g in power.generators)
    trips_per_unit_h = sum(
        g.count * g.outage_rate() / max((1.0 - g.outage_rate()) * g.mean_repair_h, 1e-9)
        for g in power.generators
    ) / max(units, 1)
    rate = np.asarray(plant.generator_units_on, dtype=np.float64) * trips_per_unit_h / SECONDS_PER_HOUR
    battery = power.battery
    largest = max(g.unit_rating_mw() for g in power.generators)
    if battery is not None and battery.total_power_mw() >= largest:
        since = grid.seconds_at(battery.available_from) if battery.available_from else -np.inf
        rate = np.where(grid.start_s >= since, 0.0, rate)
    return rate if float(rate.max(initial=0.0)) > 0.0 else None


def job_inputs(
    scenario: Scenario,
    grid: TimeGrid,
    fleets: tuple[FleetLoad, ...],
    plant: PlantResult,
    perf: JobThroughput,
) -> tuple[JobInputs, JobAllotment]:
    """The training job's inputs for one replica of the plant, and the allotment they carry."""
    training = scenario.training
    if training is None:
        raise ValueError("scenario has no training run")
    rg = perf.replica_gpus
    held = held_gpus(scenario, grid, fleets, rg)
    allotment = job_allotment(scenario, fleets, plant, held, failure_exposure(scenario, perf))
    full = max(training.job_gpus // rg, 1)
    per_replicas = perf.model_flop_per_s_at(np.arange(full + 1, dtype=np.int64) * rg)
    server = next(f.server for f in fleets if f.accelerator.id == scenario.training_accelerator().id)
    rack = server.servers_per_rack * server.gpus_per_server
    leaf = LEAF_DOWNLINK_SERVERS * server.gpus_per_server
    start_s = grid.seconds_at(training.start or scenario.simulation.start)
    inputs = JobInputs(
        step_start_s=grid.start_s,
        dt_s=grid.dt_s,
        flop_rate=perf.model_flop_per_s_at(held),
        job_gpus=held,
        replica_gpus=rg,
        target_flop=training.flop_target(),
        start_s=max(0.0, start_s),
        config=scenario.reliability,
        checkpoint_bytes=perf.checkpoint_bytes,
        replica_flop_rate=np.asarray(per_replicas, dtype=np.float64),
        power=allotment,
        blast_gpus=(int(rack), int(leaf)),
        site_event_rate_per_s=site_event_rate_per_s(scenario, grid, plant),
    )
    return inputs, allotment
