"""Benchmark of the training job's reliability model: a year at 1-minute steps (525,600 steps).

    uv run python benchmarks/bench_reliability.py
    uv run python benchmarks/bench_reliability.py --gpus 100000 200000 --repeats 3

For each job size: Llama 3 405B checkpoints (405e9 x 14 B at 2 TB/s, 'auto' interval), 128-GPU replicas, the
Llama 3 cause table; and a row at the interruption rate that gives ~30,000 interruptions a year at 100k GPUs.
Prints the best CPU and wall time of ``run_job`` over the repeats.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from megacluster.performance.memory import checkpoint_bytes_for
from megacluster.reliability import JobInputs, ReliabilityConfig, run_job


def _inputs(gpus: int, rate: float | None, days: float, step_s: float) -> JobInputs:
    n = round(days * 86400 / step_s)
    held = np.full(n, gpus, dtype=np.int64)
    cfg = ReliabilityConfig() if rate is None else ReliabilityConfig(interruption_rate_per_gpu_hour=rate)
    return JobInputs(
        step_start_s=np.arange(n) * step_s,
        dt_s=step_s,
        flop_rate=held * 989e12 * 0.4,
        job_gpus=held,
        replica_gpus=128,
        target_flop=1e40,
        start_s=0.0,
        config=cfg,
        checkpoint_bytes=checkpoint_bytes_for(405e9),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gpus", type=int, nargs="+", default=[16_384, 100_000, 200_000])
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--step-s", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    cases: list[tuple[int, float | None]] = [(g, None) for g in args.gpus] + [(100_000, 3.4e-5)]
    table = Table(title=f"run_job: {args.days:g} days at {args.step_s:g} s steps")
    for col in ("GPUs", "rate [1/(GPU h)]", "interruptions", "checkpoints", "goodput", "CPU [s]", "wall [s]"):
        table.add_column(col, justify="right")
    for gpus, rate in cases:
        inp = _inputs(gpus, rate, args.days, args.step_s)
        cpu = wall = np.inf
        for _ in range(args.repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            result = run_job(inp, np.random.default_rng(0))
            cpu = min(cpu, time.process_time() - c0)
            wall = min(wall, time.perf_counter() - w0)
        table.add_row(
            f"{gpus:,}",
            f"{inp.config.interruption_rate_per_gpu_hour:.2e}",
            f"{result.interruptions_unexpected:,}",
            f"{result.checkpoints:,}",
            f"{result.goodput:.3f}",
            f"{cpu:.2f}",
            f"{wall:.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
