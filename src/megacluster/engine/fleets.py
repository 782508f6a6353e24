"""The GPU deliveries on the run's time grid: what the engine (and the plant sizing) hands the plant."""

from __future__ import annotations

import numpy as np

from megacluster.fleet import installed_gpus
from megacluster.power.plant import FleetLoad
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_DAY, TimeGrid


def build_fleets(scenario: Scenario, grid: TimeGrid) -> tuple[FleetLoad, ...]:
    """Installed GPUs of every delivery at each step start."""
    t = grid.start_s
    loads = []
    for delivery in scenario.fleet:
        server = delivery.server_entry()
        gpus = installed_gpus(
            t,
            delivery.count,
            grid.seconds_at(delivery.install_start),
            grid.seconds_at(delivery.install_end) + SECONDS_PER_DAY - 1.0,
            server.gpus_per_server,
        )
        accel = scenario.fleet_accelerator(delivery)
        loads.append(FleetLoad(accelerator=accel, server=server, gpus_installed=gpus))
    return tuple(loads)


def constant_fleet(scenario: Scenario, gpus: int, grid: TimeGrid) -> tuple[FleetLoad, ...]:
    """``gpus`` of the scenario's training (else first) accelerator, in the server of its first delivery of
    that accelerator, installed at every step: the load the plant sizing offers a candidate supply."""
    accel = scenario.training_accelerator()
    delivery = next((f for f in scenario.fleet if f.accelerator == accel.id), scenario.fleet[0])
    installed = np.full(grid.n, gpus, dtype=np.int64)
    return (FleetLoad(accelerator=accel, server=delivery.server_entry(), gpus_installed=installed),)
