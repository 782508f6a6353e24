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


def plant_result(**changes: Any) -> PlantResult:
    """Four half-hour steps around midnight on 30 June 2024, every flow chosen by hand (MW unless noted).

    step      0     1     2     3
    facility  10    12    8     10    -> 20 MWh
    IT        8     10    6.4   8     -> 16.2 MWh
    grid      10    8     0     6     -> 12 MWh
    gens      0     4     6     5     -> 7.5 MWh
    battery   0     0     +2    -1    -> 1 MWh out, 0.5 MWh in (12 + 7.5 + 1 - 0.5 = 20)
    """
    times = np.array(
        ["2024-06-30T23:00", "2024-06-30T23:30", "2024-07-01T00:00", "2024-07-01T00:30"],
        dtype="datetime64[s]",
    )
    f = np.array
    fields: dict[str, Any] = {
        "times": times,
        "dt_s": 1800.0,
        "ambient_c": f([20.0, 25.0, 30.0, 22.0]),
        "gpus_installed": f([100, 100, 100, 100]),
        "gpus_powered": f([100, 80, 60, 100]),
        "gpus_powered_by_fleet": f([[100, 80, 60, 100]]),
        "gpu_power_cap_fraction": f([1.0, 0.8, 0.6, 1.0]),
        "throughput_factor": f([1.0, 0.9, 0.8, 1.0]),
        "it_power_mw": f([8.0, 10.0, 6.4, 8.0]),
        "facility_power_mw": f([10.0, 12.0, 8.0, 10.0]),
        "pue": f([1.25, 1.2, 1.25, 1.25]),
        "grid_mw": f([10.0, 8.0, 0.0, 6.0]),
        "generators_mw": f([0.0, 4.0, 6.0, 5.0]),
        "generators_mw_by_fleet": f([[0.0, 4.0, 6.0, 5.0]]),
        "generator_units_on": f([0, 1, 1, 1]),
        "generator_starts": f([0, 1, 0, 2]),
        "generator_starts_by_fleet": f([[0, 1, 0, 2]]),
        "nox_t_by_fleet": f([[0.0, 0.1, 0.2, 0.15]]),
        "battery_mw": f([0.0, 0.0, 2.0, -1.0]),
        "battery_soc_mwh": f([4.0, 4.0, 2.8, 3.3]),
        "demand_full_mw": f([10.0, 14.0, 12.0, 10.0]),
        "unserved_mw": f([0.0, 2.0, 4.0, 0.0]),
        "supply_capacity_mw": f([20.0, 15.0, 12.0, 18.0]),
        "fuel_mmbtu": f([0.0, 20.0, 30.0, 25.0]),
        "co2_t": f([2.8, 3.3, 1.5, 2.95]),
        "co2_generators_t": f([0.0, 1.0, 1.5, 1.25]),
        "nox_t": f([0.0, 0.1, 0.2, 0.15]),
        "water_m3": f([1.0, 2.0, 3.0, 4.0]),
        "cost_usd": f([300.0, 310.0, 100.0, 260.0]),
        "grid_cost_usd": f([300.0, 240.0, 0.0, 180.0]),
        "fuel_cost_usd": f([0.0, 70.0, 100.0, 80.0]),
        "curtailed": f([False, True, True, False]),
        "battery_energy_mwh": 4.0,
        "generator_capacity_mw": 10.0,
    }
    fields.update(changes)
    return PlantResult(**fields)
