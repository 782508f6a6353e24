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


class SleepUnit:
    """A stand-in unit of work that sleeps instead of computing: measures the runner's parallelism on a
    machine whose cores are busy with other work."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, scenario: Any, seed: int) -> dict[str, Any]:
        time.sleep(self.seconds)
        return {"seed_echo": seed}


def child(workers: int, sweep_text: str, sleep_s: float | None) -> None:
    """Run the sweep once on a fresh local Ray and print a JSON line."""
    import resource

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"  # workers run this interpreter
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
        extra: dict[str, Any] = {} if sleep_s is None else {"unit": SleepUnit(sleep_s)}
        plan = plan_from_file(path)
        outcome = execute(plan, Path(tmp) / "out", workers=workers, console=Console(quiet=True), **extra)
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
                "first_error": next(iter(outcome.results["error"].dropna()), None),
                "driver_peak_mb": peak_kb / 1024,
            }
        )
    )


def _busy(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def machine_speedup(n: int = 20_000_000) -> float:
    """Control: the speed-up two plain processes get on this machine right now (2.0 on two idle cores)."""
    import multiprocessing

    started = time.perf_counter()
    _busy(n)
    _busy(n)
    serial = time.perf_counter() - started
    started = time.perf_counter()
    with multiprocessing.Pool(2) as pool:
        pool.map(_busy, [n, n])
    return serial / (time.perf_counter() - started)


def run_case(workers: int, sweep_text: str, sleep_s: float | None = None) -> dict[str, Any]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(workers)]
        + ([] if sleep_s is None else ["--sleep", str(sleep_s)]),
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
    parser.add_argument(
        "--sleep", type=float, default=None, help="Replace the simulator by a unit sleeping this long [s]"
    )
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, sys.stdin.read(), args.sleep)
        return
    text = textwrap.dedent(
        SWEEP.format(points=args.points, replicas=args.replicas, days=args.days, step=args.step)
    )
    control_before = machine_speedup()
    one = run_case(1, text, args.sleep)
    two = run_case(2, text, args.sleep)
    control_after = machine_speedup()
    speedup = one["seconds"] / two["seconds"]
    rows = one["rows"]
    unit = "colossus-2024" if args.sleep is None else f"a unit sleeping {args.sleep:g} s (no simulator)"
    print(
        f"sweep benchmark: {unit}, {args.days:g} days at {args.step}, {args.points} points x "
        f"{args.replicas} replicas = {rows} replicas, Ray local"
    )
    print(f"{'workers':>8} {'wall [s]':>9} {'replicas/s':>11} {'failed':>7} {'driver peak [MB]':>17}")
    for row in (one, two):
        print(
            f"{row['workers']:>8} {row['seconds']:>9.2f} {row['rows'] / row['seconds']:>11.1f} "
            f"{row['failed']:>7} "
            f"{row['driver_peak_mb']:>17.0f}"
        )
    for row in (one, two):
        if row["failed"]:
            print(f"  {row['workers']} worker(s): first error: {row['first_error']}")
    print(
        f"control: two plain Python processes run {control_before:.2f}x (before) and {control_after:.2f}x "
        "(after) as fast as one on this machine now (2.00x = two idle cores)"
    )
    verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
    print(
        f"speed-up 2 workers vs 1: {speedup:.2f}x "
        f"(target >= {TARGET_SPEEDUP:g}x: {verdict}; {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
