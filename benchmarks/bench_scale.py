"""Scale benchmark: a 365-day run at 1-minute steps with failures on, for 100,000 and 1,000,000 GPUs.

Each case runs in a fresh subprocess pinned to one core; the table shows the time of ``simulate`` (and of the
whole child, imports included) and the child's peak resident memory.

    uv run python benchmarks/bench_scale.py            # the table
    uv run python benchmarks/bench_scale.py --profile  # plus a cProfile of the 1,000,000-GPU run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

PRESET = "gigacampus-1m"
DAYS = 365
STEP_S = 60.0
TARGET_S = 10.0
TARGET_GB = 2.0
TARGET_RATIO = 3.0


def overrides_for(gpus: int) -> dict[str, Any]:
    """The gigacampus preset scaled to ``gpus`` GPUs (power and job scaled alike), a year at 1-min steps."""
    scale = gpus / 1_000_000
    return {
        "simulation.horizon_days": DAYS,
        "simulation.step": STEP_S,
        "simulation.replicas": 1,
        "fleet[0].count": gpus,
        "training.job_gpus": gpus // 4,
        "power.grid[0].mw": 800 * scale,
        "power.grid[1].mw": 1500 * scale,
        "power.generators[0].count": max(1, round(24 * scale)),
        "power.battery.count": max(1, round(260 * scale)),
    }


def child(gpus: int, profile: bool) -> None:
    """Run one case and print a JSON line: seconds and peak memory."""
    import resource

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from megacluster.engine.simulate import simulate
    from megacluster.scenario.load import load_scenario

    scenario = load_scenario(PRESET, overrides_for(gpus))
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        results = profiler.runcall(simulate, scenario, 0)
        elapsed = time.perf_counter() - started
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(30)
    else:
        results = simulate(scenario, seed=0)
        elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    training = results.summary.training
    print(
        json.dumps(
            {
                "gpus": gpus,
                "simulate_s": elapsed,
                "peak_mb": peak_kb / 1024,
                "steps": int(DAYS * 86400 / STEP_S),
                "interruptions": training.interruptions.unexpected if training else None,
                "gpus_powered_mean": results.summary.gpus_powered_mean,
            }
        )
    )


def run_case(gpus: int, profile: bool = False) -> dict[str, Any]:
    """One case in a fresh interpreter with single-threaded numeric libraries."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    started = time.perf_counter()
    args = [sys.executable, __file__, "--child", str(gpus)] + (["--profile"] if profile else [])
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{gpus:,}-GPU case failed:\n{proc.stderr[-4000:]}")
    if profile:
        sys.stderr.write(proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["child_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="cProfile the 1,000,000-GPU run (to stderr)")
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.profile)
        return
    small = run_case(100_000)
    large = run_case(1_000_000)
    ratio = large["simulate_s"] / small["simulate_s"]
    print(
        f"scale benchmark: {PRESET}, {DAYS} days at {STEP_S:g}-s steps ({small['steps']:,} steps), "
        "failures on"
    )
    print(f"{'GPUs':>10} {'simulate [s]':>13} {'child [s]':>10} {'peak [MB]':>10} {'interruptions':>14}")
    for row in (small, large):
        print(
            f"{row['gpus']:>10,} {row['simulate_s']:>13.2f} {row['child_s']:>10.2f} {row['peak_mb']:>10.0f} "
            f"{row['interruptions']!s:>14}"
        )
    ok_time = large["simulate_s"] <= TARGET_S
    ok_mem = large["peak_mb"] / 1024 <= TARGET_GB
    ok_ratio = ratio <= TARGET_RATIO
    print(
        f"1M / 100k time ratio: {ratio:.2f}  (target <= {TARGET_RATIO:g}: {'met' if ok_ratio else 'NOT met'})"
    )
    print(
        f"1M time: {large['simulate_s']:.2f} s (target <= {TARGET_S:g} s: {'met' if ok_time else 'NOT met'})"
    )
    print(
        f"1M peak: {large['peak_mb'] / 1024:.2f} GB "
        f"(target <= {TARGET_GB:g} GB: {'met' if ok_mem else 'NOT met'})"
    )
    if args.profile:
        run_case(1_000_000, profile=True)


if __name__ == "__main__":
    main()
