"""The figures the golden flagship test pins, computed from a run (also used to write the golden file)."""

from __future__ import annotations

from typing import Any

from megacluster.engine.simulate import simulate
from megacluster.results.story import monthly_table
from megacluster.scenario.load import load_scenario

PRESET = "colossus-2024"


def flagship_figures() -> dict[str, Any]:
    """colossus-2024 as shipped (seed 0, one replica): finish, goodput, powered GPUs by month, energy by
    source, emissions by source."""
    results = simulate(load_scenario(PRESET))
    s = results.summary
    if s.training is None:
        raise ValueError("the flagship has a training run")
    monthly = monthly_table(results.timeseries, results.scenario.site.utc_offset_hours())["gpus_powered_mean"]
    return {
        "finish_day": s.training.finish_day,
        "goodput": s.training.goodput,
        "mfu": s.training.mfu,
        "interruptions_unexpected": s.training.interruptions.unexpected,
        "gpus_powered_by_month": {str(k.date())[:7]: float(v) for k, v in monthly.items()},
        "energy_mwh": s.energy_mwh.model_dump(),
        "emissions_t": s.emissions_t.model_dump(),
        "water_m3": s.water_m3,
    }


if __name__ == "__main__":  # python tests/golden/golden_figures.py > tests/data/golden/colossus-2024.json
    import json

    print(json.dumps(flagship_figures(), indent=2))
