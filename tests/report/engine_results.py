"""Results of real, short engine runs for the report tests: the same summary, series and events (kinds and
causes) that the engine emits, so the views are tested on what they will really show."""

from __future__ import annotations

from functools import cache

from megacluster.engine.simulate import simulate
from megacluster.results.assemble import Results
from megacluster.scenario.load import load_scenario


@cache
def engine_results(
    preset: str = "colossus-2024",
    days: float = 10.0,
    step_s: float = 3600.0,
    replicas: int = 1,
    seed: int = 0,
) -> Results:
    """A preset simulated over ``days`` at ``step_s`` steps (cached: the tests only read it)."""
    overrides = {
        "simulation.horizon_days": days,
        "simulation.step": step_s,
        "simulation.replicas": replicas,
        "simulation.seed": seed,
    }
    return simulate(load_scenario(preset, overrides))
