"""Benchmark of the plant: a year of a 200,000-GPU campus (colossus-2025 supply) at 5- and 1-minute steps.

    uv run python benchmarks/bench_plant.py              # 5-minute and 1-minute steps
    uv run python benchmarks/bench_plant.py --steps 5min

The campus: 200,000 H100 installed all year at Memphis, chilled water with towers, 150 MW grid, 15 SMT-130
turbines with forced outages, 150 MW / 811 MWh of Megapacks. Prints the wall time of ``simulate_plant`` and of
its sequential dispatch loop, on the interpreted loop (``loop.run_steps``, the previous method) and
the compiled one (``kernel.py``) side by side in one run, their ratio, and what loading the compiled loop
cost this process (numba's import and its cached machine code, or a compilation on the first run after a
change).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from megacluster import catalog
from megacluster.power import dispatch
from megacluster.power.plant import FleetLoad, simulate_plant
from megacluster.scenario.schema import Scenario
from megacluster.units import parse_duration_s

SCENARIO = {
    "name": "bench-200k",
    "simulation": {"start": "2025-01-01", "horizon_days": 365, "step": "5min"},
    "site": {"climate": "memphis"},
    "fleet": [
        {
            "accelerator": "h100-sxm",
            "count": 200_000,
            "install_start": "2025-01-01",
            "install_end": "2025-01-01",
        }
    ],
    "power": {
        "grid": [{"from": "2025-01-01", "mw": 150.0}],
        "generators": [{"unit": "smt-130", "count": 15}],
        "battery": {"power_mw": 150.0, "energy_mwh": 811.0, "round_trip_efficiency": 0.85},
    },
    "facility": {"cooling": "chiller_tower"},
}


def run(step: str, repeats: int, kernel: dispatch.LoopKernel) -> tuple[int, float, float]:
    """(steps, best seconds of simulate_plant, seconds in the dispatch loop of that run)."""
    sc = Scenario.model_validate(SCENARIO)
    dt_s = parse_duration_s(step)
    n = round(365 * 86400 / dt_s)
    times = np.datetime64("2025-01-01", "s") + np.arange(n) * np.timedelta64(int(dt_s), "s")
    fleets = (
        FleetLoad(
            catalog.accelerators()["h100-sxm"],
            catalog.servers()["hgx-h100"],
            np.full(n, 200_000, dtype=np.int64),
        ),
    )
    original = dispatch.run_dispatch
    spent: list[float] = []

    def timed(inp: dispatch.DispatchInputs) -> dispatch.DispatchOutputs:
        t0 = time.perf_counter()
        out = original(inp, kernel)
        spent.append(time.perf_counter() - t0)
        return out

    import megacluster.power.plant as plant_module

    plant_module.run_dispatch = timed  # type: ignore[assignment]
    best = float("inf")
    loop = 0.0
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            simulate_plant(
                sc.power, sc.facility, sc.site.normals(), times, dt_s, fleets, 512, np.random.default_rng(0)
            )
            took = time.perf_counter() - t0
            if took < best:
                best, loop = took, spent[-1]
    finally:
        plant_module.run_dispatch = original  # type: ignore[assignment]
    return n, best, loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", nargs="+", default=["5min", "1min"], help="step lengths to time")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    t0 = time.perf_counter()
    from megacluster.power.compiled import load  # numba and the compiled loop's module
    from megacluster.power.kernel import run_steps

    load()  # the first compiled call loads (or compiles) the machine code
    load_s = time.perf_counter() - t0
    table = Table(
        "step", "steps", "loop", "simulate_plant s", "dispatch loop s", "µs per step (loop)", "loop speed-up"
    )
    for step in args.steps:
        loops = {}
        for kernel in (dispatch.LoopKernel.PYTHON, dispatch.LoopKernel.COMPILED):
            n, best, loop = run(step, args.repeats, kernel)
            loops[kernel] = loop
            ratio = loops[dispatch.LoopKernel.PYTHON] / loop
            table.add_row(
                step,
                f"{n:,}",
                kernel.value,
                f"{best:.2f}",
                f"{loop:.3f}",
                f"{loop / n * 1e6:.2f}",
                f"x{ratio:.1f}",
            )
    Console().print("A year of a 200,000-GPU campus (colossus-2025 supply, Memphis)")
    Console().print(table)
    signatures = len(run_steps.signatures)
    Console().print(f"loading the compiled loop in this process: {load_s:.2f} s ({signatures} signature)")


if __name__ == "__main__":
    main()
