"""The orchestrator: scenario -> fleet -> plant -> training job -> results.

``simulate(scenario, seed)`` is pure: the CLI, the web API, the tests and the sweeps all call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from megacluster.engine.fleets import build_fleets
from megacluster.engine.jobpower import failure_exposure, job_inputs
from megacluster.engine.replicas import loading_before_fork, run_replicas
from megacluster.engine.site import plant_site
from megacluster.engine.swings import with_swings
from megacluster.engine.training import JobThroughput, job_throughput
from megacluster.errors import InputError
from megacluster.power.plant import FleetLoad, PlantResult, simulate_plant
from megacluster.reliability.job import JobLoop, run_job
from megacluster.results.assemble import JobSetup, Results, assemble, assemble_digests, utc_times
from megacluster.results.eventlog import EventLog
from megacluster.results.replica import ReplicaRun
from megacluster.results.writers import prepare_events_file
from megacluster.scenario.schema import Scenario
from megacluster.units import TimeGrid


def job_gpus_over_time(
    scenario: Scenario, grid: TimeGrid, fleets: tuple[FleetLoad, ...], plant: PlantResult, replica_gpus: int
) -> npt.NDArray[np.int64]:
    """GPUs the training job holds at each step: powered GPUs of its accelerator, up to its size,
    in whole data-parallel replicas, from its start day. [-]"""
    training = scenario.training
    if training is None:
        return np.zeros(grid.n, dtype=np.int64)
    accel_id = scenario.training_accelerator().id
    by_fleet = np.asarray(plant.gpus_powered_by_fleet)
    eligible = np.zeros(grid.n)
    for i, fleet in enumerate(fleets):
        if fleet.accelerator.id == accel_id:
            eligible = eligible + by_fleet[i]
    held = np.minimum(eligible, training.job_gpus)
    held = (held // replica_gpus) * replica_gpus
    start_s = grid.seconds_at(training.start or scenario.simulation.start)
    held[grid.start_s + grid.dt_s <= start_s] = 0
    return held.astype(np.int64)


def simulate_replica(
    scenario: Scenario,
    grid: TimeGrid,
    fleets: tuple[FleetLoad, ...],
    perf: JobThroughput | None,
    rng: np.random.Generator,
    job_loop: JobLoop = JobLoop.PYTHON,
) -> ReplicaRun:
    """One replica: the plant step by step, then the training job on the GPUs the plant powers (on
    ``job_loop``: both give the same result)."""
    replica_gpus = perf.replica_gpus if perf is not None else min(f.server.gpus_per_server for f in fleets)
    site = plant_site(scenario, grid.times, perf)
    plant = simulate_plant(
        scenario.power,
        scenario.facility,
        scenario.site.normals(),
        grid.times,
        grid.dt_s,
        fleets,
        replica_gpus,
        rng,
        weather=site.weather,
        region=site.region,
        draw=site.draw,
        exposure_per_gpu=failure_exposure(scenario, perf),
    )
    job_gpus = job_gpus_over_time(scenario, grid, fleets, plant, replica_gpus)
    job = None
    allotment = None
    if scenario.training is not None and perf is not None:
        inputs, allotment = job_inputs(scenario, grid, fleets, plant, perf)
        job = run_job(inputs, rng, job_loop)
        job_gpus = job.layout_replicas * replica_gpus  # the layout in force: it changes only at restarts
    return ReplicaRun(
        plant=plant, job_gpus=job_gpus, job=job, allotment=allotment, replica_gpus=replica_gpus if job else 0
    )


@dataclass(frozen=True)
class PreparedRun:
    """What every replica of a scenario shares: the time grid, the fleets, the job's throughput."""

    scenario: Scenario
    grid: TimeGrid
    fleets: tuple[FleetLoad, ...]
    perf: JobThroughput | None
    job: JobSetup

    def replica(self, rng: np.random.Generator, job_loop: JobLoop = JobLoop.PYTHON) -> ReplicaRun:
        """One Monte Carlo replica with its own generator (its job on ``job_loop``)."""
        return simulate_replica(self.scenario, self.grid, self.fleets, self.perf, rng, job_loop)

    def results(self, runs: list[ReplicaRun], seed: int, swings: bool = True) -> Results:
        """The Results of these replicas (figures are medians across them; the power swings, unless
        ``swings`` is False, are the first replica's)."""
        results = assemble(self.scenario, self.grid, runs, seed, self.job)
        return with_swings(results, self.scenario, self.grid, self.perf, runs) if swings else results


def steps(scenario: Scenario) -> int:
    """Steps of the scenario's time grid (what :func:`prepare` builds). [-]"""
    sim = scenario.simulation
    return TimeGrid.build(sim.start, sim.horizon_days, sim.step).n


def prepare(scenario: Scenario) -> PreparedRun:
    """The set-up shared by all replicas (the performance model's layout search is the costly part)."""
    sim = scenario.simulation
    grid = TimeGrid.build(sim.start, sim.horizon_days, sim.step)
    fleets = build_fleets(scenario, grid)
    perf: JobThroughput | None = None
    job = JobSetup()
    if scenario.training is not None:
        perf, source = job_throughput(scenario)
        if perf.replica_gpus > scenario.training.job_gpus:
            raise InputError(
                None,
                "training.job_gpus",
                f"{scenario.training.job_gpus} GPUs cannot hold one model replica of "
                f"{perf.replica_gpus} GPUs (tp x pp x cp)",
            )
        try:
            scenario.reliability.check_checkpoint(perf.checkpoint_bytes)
        except ValueError as exc:
            raise InputError(None, "reliability.checkpoint_interval_min", str(exc)) from None
        job = JobSetup(mfu=float(perf.mfu), layout=perf.layout, throughput_source=source)
    return PreparedRun(scenario=scenario, grid=grid, fleets=fleets, perf=perf, job=job)


def event_log(scenario: Scenario, grid: TimeGrid) -> EventLog:
    """A spooled event log for the replicas of a run on ``grid`` (``results/eventlog.py``). [-]"""
    return EventLog(utc_times([pd.Timestamp(grid.start)], scenario.site.utc_offset_hours())[0])


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    replicas: int | None = None,
    *,
    on_replica: Callable[[], None] | None = None,
    swings: bool = True,
    workers: int | None = None,
    events_ahead: bool = False,
) -> Results:
    """Simulate a scenario: every replica from one seed; the same seed gives the same results.

    ``on_replica`` is called after each replica (a progress bar's hook; it cannot change the results);
    ``swings=False`` leaves out the sub-second power swings (~0.5-1 s a run; sweeps skip them);
    ``workers`` local processes run the replicas (None: the local cores from 4 replicas on, see
    engine/replicas.py; the results do not depend on it); ``events_ahead``: a run of several replicas starts
    writing events.parquet as soon as every replica's events are in, for ``write_run_files`` to move into
    place (``EventLog.prepare``: for a caller that writes the outputs).
    With uncertain fields (``scenario.uncertain``) and several replicas, each replica samples them (a Latin
    hypercube); one replica runs their medians, the ``--fixed`` run.
    """
    seed = scenario.simulation.seed if seed is None else seed
    replicas = scenario.simulation.replicas if replicas is None else replicas
    if scenario.uncertain and replicas > 1:  # one Latin-hypercube sample per replica (engine/uncertain.py)
        from megacluster.engine.uncertain import simulate_uncertain

        return simulate_uncertain(
            scenario,
            seed,
            replicas,
            on_replica=on_replica,
            swings=swings,
            workers=workers,
            events_ahead=events_ahead,
        )
    with loading_before_fork(steps(scenario), replicas):
        prepared = prepare(scenario)
    log = event_log(scenario, prepared.grid) if replicas > 1 else None
    done = run_replicas(prepared, seed, replicas, workers=workers, on_replica=on_replica, log=log)
    if events_ahead and log is not None:
        prepare_events_file(log, scenario, seed)
    results = assemble_digests(scenario, prepared.grid, done.first, done.digests, seed, prepared.job, log)
    return with_swings(results, scenario, prepared.grid, prepared.perf, [done.first]) if swings else results
