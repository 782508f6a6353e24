"""The presets at scale validate and run (a short horizon keeps the test quick)."""

from __future__ import annotations

import pytest

from megacluster.engine.simulate import simulate
from megacluster.scenario.load import load_scenario, preset_names


@pytest.mark.parametrize(
    ("name", "gpus", "capacity_mw"),
    [("stargate-abilene", 400_000, (1_100, 1_300)), ("gigacampus-1m", 1_000_000, (2_000, 3_000))],
)
def test_scale_presets_validate_and_run(name: str, gpus: int, capacity_mw: tuple[float, float]) -> None:
    assert name in preset_names()
    scenario = load_scenario(name)
    assert scenario.total_gpus() == gpus
    assert all(f.server == "gb200-nvl72-tray" for f in scenario.fleet)
    # the last day of the horizon, so that every delivery and every grid step is in place
    end = scenario.simulation.horizon_days
    short = load_scenario(name, {"simulation.horizon_days": end, "simulation.step": "1d"})
    summary = simulate(short, seed=0).summary
    assert summary.gpus_installed_peak == pytest.approx(gpus, rel=1e-2)  # daily steps: the last day ramps
    low, high = capacity_mw
    assert low <= summary.supply_capacity_peak_mw <= high
    assert summary.facility_power_peak_mw <= summary.supply_capacity_peak_mw
