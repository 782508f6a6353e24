"""Small builders shared by the plant tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from megacluster import catalog
from megacluster.power.plant import FleetLoad, PlantResult, simulate_plant
from megacluster.scenario.schema import Scenario


def scenario(
    power: dict[str, Any] | None = None, facility: dict[str, Any] | None = None, **extra: Any
) -> Scenario:
    """A one-fleet H100 scenario with the given [power] and [facility] tables."""
    data: dict[str, Any] = {
        "name": "test",
        "simulation": {"start": "2024-07-01", "horizon_days": 2, "step": "5min"},
        "site": {"climate": "memphis"},
        "fleet": [
            {
                "accelerator": "h100-sxm",
                "count": 1000,
                "install_start": "2024-07-01",
                "install_end": "2024-07-01",
            }
        ],
        "power": power or {"grid": [{"from": "2024-01-01", "mw": 100.0}]},
    }
    if facility is not None:
        data["facility"] = facility
    data.update(extra)
    return Scenario.model_validate(data)


def times(start: str = "2024-07-01", days: float = 2.0, step_s: float = 300.0) -> np.ndarray:
    """Step starts. [s]"""
    n = round(days * 86400 / step_s)
    return np.datetime64(start, "s") + np.arange(n) * np.timedelta64(int(step_s), "s")


def h100_fleet(installed: np.ndarray) -> tuple[FleetLoad, ...]:
    """One H100 fleet in HGX servers."""
    return (
        FleetLoad(
            accelerator=catalog.accelerators()["h100-sxm"],
            server=catalog.servers()["hgx-h100"],
            gpus_installed=np.asarray(installed, dtype=np.int64),
        ),
    )


def run_plant(
    sc: Scenario,
    tt: np.ndarray,
    dt_s: float,
    fleets: tuple[FleetLoad, ...],
    block_gpus: int,
    rng: np.random.Generator,
) -> PlantResult:
    """``simulate_plant`` on the scenario's own sections, as the engine calls it."""
    return simulate_plant(sc.power, sc.facility, sc.site.normals(), tt, dt_s, fleets, block_gpus, rng)
