"""Time of the power-swing analysis, measured side by side in one run:

1. one 10-minute window at 20 ms (30,000 samples) for a 100,000-GPU job (colossus-2024's 99,840-GPU job on
   its planned layout), before and after the mitigations, by part;
2. the full set of windows attached to a year-long run (colossus-2024: 300 days at 5-minute steps; and
   colossus-2025, 365 days, with its Megapacks smoothing), against the year-long simulation itself;
3. the sizing of the smallest battery and floor for colossus-2025's stated limits (what ``megacluster
   swings`` adds).

    uv run python benchmarks/bench_swings.py

Median of a few repeats for the window; one pass for the rest (each already takes seconds).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from megacluster.engine.simulate import prepare
from megacluster.engine.swing_sizing import size_swings
from megacluster.engine.swings import analyse_run, job_power, phase_breakdown
from megacluster.scenario.load import load_scenario
from megacluster.transients.analysis import (
    OperatingPoint,
    Regime,
    WindowInputs,
    analyse_window,
    site_facility,
)
from megacluster.transients.config import TransientsConfig
from megacluster.transients.facility import Campus
from megacluster.transients.waveform import JobSchedule

REPEATS = 3


def _median(func: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _once(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def one_window(table: Table) -> None:
    """A 10-minute window at 20 ms of a 100,000-GPU job, before and after GPU and rack mitigations."""
    scenario = load_scenario("colossus-2024")
    perf = prepare(scenario).perf
    if perf is None or perf.layout is None:
        raise SystemExit("colossus-2024 has no planned layout")
    config = TransientsConfig.model_validate(
        {"gpu_smoothing": {"floor_fraction": 0.3}, "rack_storage": {"j_per_gpu": 65.0}}
    )
    point = OperatingPoint(
        regime=Regime.TRAINING,
        time="-",
        job_gpus=perf.layout.replica_gpus() * (perf.layout.dp or 1),
        cap_fraction=1.0,
        throughput_factor=1.0,
        campus=Campus(other_it_mw=0.0, pue=1.2),
    )
    inputs = WindowInputs(
        point=point,
        phases=phase_breakdown(scenario, perf.layout),
        power=job_power(scenario, config),
        schedule=JobSchedule(checkpoint_interval_s=175.0, checkpoint_stall_s=6.0),
        window_s=600.0,
        dt_s=0.02,
        seed=0,
    )
    plain = TransientsConfig()
    gpus = f"{point.job_gpus:,} GPUs, 30,000 samples"
    table.add_row(
        "one window, no mitigation: waveform + campus",
        gpus,
        f"{_median(lambda: site_facility(inputs, plain, 0.0, False)):.3f}",
    )
    table.add_row(
        "one window, no mitigation: everything", gpus, f"{_median(lambda: analyse_window(inputs, plain)):.3f}"
    )
    table.add_row(
        "one window, floor 30 % + 65 J/GPU racks: everything",
        gpus,
        f"{_median(lambda: analyse_window(inputs, config)):.3f}",
    )


def year(table: Table, preset: str) -> None:
    """The year-long simulation and, separately, the windows attached to it."""
    scenario = load_scenario(preset)
    prepared = prepare(scenario)
    sim_s, run = _once(lambda: prepared.replica(np.random.default_rng(np.random.SeedSequence(0).spawn(1)[0])))
    swings_s, analysis = _once(lambda: analyse_run(scenario, prepared.grid, prepared.perf, run))
    windows = len(analysis.windows) if analysis is not None else 0
    samples = sum(w.grid_mw.size for w in analysis.windows) if analysis is not None else 0
    what = f"{windows} windows, {samples:,} samples"
    table.add_row(
        f"{preset}: year-long simulation (one replica)", f"{prepared.grid.n:,} steps", f"{sim_s:.2f}"
    )
    table.add_row(f"{preset}: every window attached to it", what, f"{swings_s:.2f}")
    table.add_row(f"{preset}: ratio swings / simulation", "", f"{swings_s / sim_s:.2f}")
    if analysis is not None and analysis.config.limits.stated():
        size_s, sizing = _once(lambda: size_swings(scenario, analysis))
        evals = (sizing.battery.evaluations + sizing.floor.evaluations) if sizing is not None else 0
        table.add_row(
            f"{preset}: sizing battery and floor (swings command)", f"{evals} evaluations", f"{size_s:.2f}"
        )


def main() -> None:
    table = Table(title="Power-swing analysis", show_header=True)
    table.add_column("what")
    table.add_column("size", justify="right")
    table.add_column("seconds", justify="right")
    one_window(table)
    year(table, "colossus-2024")
    year(table, "colossus-2025")
    Console().print(table)


if __name__ == "__main__":
    main()
