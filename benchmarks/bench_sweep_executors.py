"""Benchmark of a small sweep's executors: local processes (the default without ``--address``) vs Ray.

    uv run python benchmarks/bench_sweep_executors.py
    uv run python benchmarks/bench_sweep_executors.py --points 8 --workers 2

The sweep: ``--points`` points x 2 replicas of a 3-day, 1-hour-step scenario (the real engine), one task
per replica. Each executor runs in a fresh subprocess and the wall time includes everything a user waits
for: for Ray, ``ray.init`` (its start-up) and the shutdown; for the local pool, the forks. Printed side by
side in one run, with Ray's start-up alone and the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TINY_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "tiny_scenario.toml"
SCENARIO = TINY_FILE.read_text(encoding="utf-8")
"""The sweep tests' tiny scenario: 1,024 GPUs, 3 days, 1-h steps."""

SWEEP = """
name = "executors"
base = "tiny.toml"
seed = 1
replicas = 2
replicas_per_task = 1
[design]
kind = "grid"
[[design.parameters]]
field = "power.generators[0].count"
values = {values}
"""


def _case(kind: str, folder: Path, workers: int) -> dict[str, float]:
    import os

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    from rich.console import Console

    from megacluster.sweep import execute, plan_from_file

    plan = plan_from_file(folder / "sweep.toml")
    t0 = time.perf_counter()
    start_s = 0.0
    if kind == "ray":
        import ray

        ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR")
        start_s = time.perf_counter() - t0
    execute(plan, folder / f"out-{kind}", workers=workers, console=Console(quiet=True))
    if kind == "ray":
        import ray

        ray.shutdown()
    return {"wall_s": time.perf_counter() - t0, "start_s": start_s}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--case", choices=("local", "ray"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, Path(args.folder), args.workers)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "tiny.toml").write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
        values = list(range(1, args.points + 1))
        (folder / "sweep.toml").write_text(SWEEP.format(values=values), encoding="utf-8")
        figures = {}
        for kind in ("local", "ray"):
            command = [
                sys.executable,
                __file__,
                "--case",
                kind,
                "--folder",
                tmp,
                "--workers",
                str(args.workers),
            ]
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            figures[kind] = json.loads(out.stdout.strip().splitlines()[-1])
    local, ray = figures["local"], figures["ray"]
    print(
        f"sweep of {args.points} points x 2 replicas, {args.workers} workers, wall time including start-up:"
    )
    print(f"  local processes: {local['wall_s']:.1f} s")
    print(f"  local Ray:       {ray['wall_s']:.1f} s (of which ray.init {ray['start_s']:.1f} s)")
    print(f"  Ray / local: {ray['wall_s'] / local['wall_s']:.1f}x")


if __name__ == "__main__":
    main()
