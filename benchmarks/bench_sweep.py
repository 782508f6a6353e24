"""Sweep benchmark: 100 points x 10 replicas on a local Ray with 1 worker, then with 2 workers.

Each case runs in a fresh subprocess (its own Ray instance). The table shows the wall time of the sweep
(Ray start excluded, validation and writing included), replicas per second and the driver's peak memory.

    uv run python benchmarks/bench_sweep.py
    uv run python benchmarks/bench_sweep.py --points 20 --replicas 5   # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

TARGET_SPEEDUP = 1.7

SWEEP = """
name = "bench"
base = "colossus-2024"
seed = 1
replicas = {replicas}
replicas_per_task = {replicas}
[fixed]
"simulation.horizon_days" = {days}
"simulation.step" = "{step}"
[design]
kind = "random"
samples = {points}
[[design.parameters]]
field = "power.generators[0].count"
min = 0
max = 40
integer = true
[[design.parameters]]
field = "facility.pue"
min = 1.1
max = 1.5
"""


def child(workers: int, sweep_text: str) -> None:
    """Run the sweep once on a fresh local Ray and print a JSON line."""
    import resource

    import ray
    from rich.console import Console

    from megacluster.sweep import execute, plan_from_file

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(sweep_text, encoding="utf-8")
        ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR")
        # warm the workers (imports) so both cases measure the sweep, not Ray's start
        ray.get(
            [ray.remote(lambda: __import__("megacluster.engine.simulate")).remote() for _ in range(workers)]
        )
        started = time.perf_counter()
        outcome = execute(
            plan_from_file(path), Path(tmp) / "out", workers=workers, console=Console(quiet=True)
        )
        elapsed = time.perf_counter() - started
        ray.shutdown()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "workers": workers,
                "seconds": elapsed,
                "rows": len(outcome.results),
                "failed": outcome.rows_failed,
                "driver_peak_mb": peak_kb / 1024,
            }
        )
    )


def run_case(workers: int, sweep_text: str) -> dict[str, Any]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(workers)],
        input=sweep_text,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{workers}-worker case failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--days", type=float, default=30.0, help="Horizon of each replica [d]")
    parser.add_argument("--step", default="1h", help="Time step of each replica")
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, sys.stdin.read())
        return
    text = textwrap.dedent(
        SWEEP.format(points=args.points, replicas=args.replicas, days=args.days, step=args.step)
    )
    one = run_case(1, text)
    two = run_case(2, text)
    speedup = one["seconds"] / two["seconds"]
    rows = one["rows"]
    print(
        f"sweep benchmark: colossus-2024, {args.days:g} days at {args.step}, {args.points} points x "
        f"{args.replicas} replicas = {rows} replicas, Ray local"
    )
    print(f"{'workers':>8} {'wall [s]':>9} {'replicas/s':>11} {'failed':>7} {'driver peak [MB]':>17}")
    for row in (one, two):
        print(
            f"{row['workers']:>8} {row['seconds']:>9.2f} {row['rows'] / row['seconds']:>11.1f} "
            f"{row['failed']:>7} "
            f"{row['driver_peak_mb']:>17.0f}"
        )
    verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
    print(
        f"speed-up 2 workers vs 1: {speedup:.2f}x "
        f"(target >= {TARGET_SPEEDUP:g}x: {verdict}; {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
