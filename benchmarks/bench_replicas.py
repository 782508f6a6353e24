"""Benchmark of Monte Carlo replicas of the flagship (colossus-2024, 300 days at 5-minute steps).

    uv run python benchmarks/bench_replicas.py                 # 100 replicas (minutes on 2 busy cores)
    uv run python benchmarks/bench_replicas.py --replicas 8    # a quicker look
    uv run python benchmarks/bench_replicas.py --start-methods # the pool's start-up: fork, forkserver, spawn

Each case runs in a fresh subprocess (its own peak memory), side by side in one run:

- ``previous``: the method before engine/replicas.py: every replica kept whole, one after another, then
  assembled (``PreparedRun.results``);
- ``lean x1``: each replica reduced to its digest as it finishes, in this process (``workers=1``);
- ``lean xW``: the same on W forked worker processes (``workers=None``: the usable cores).

Prints the set-up time (shared by all replicas), the replicas' wall and CPU time, seconds per replica, the
ratio to one replica, the peak memory of the driver and of the largest worker (RSS; forked workers share
the driver's pages, so the two do not add up), and where a replica's time goes: the job's event loop
(``run_job``: JobMachine) and the plant's dispatch loop (``run_dispatch``), per interruption and per step.
The two hot loops are not compiled in this change (see docs/replicas.md); their figures here are the
baseline a compiled kernel must beat.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

PRESET = "colossus-2024"


def _case(kind: str, replicas: int) -> dict[str, Any]:
    """Run one case in this process; figures as a JSON-able dict."""
    import megacluster.engine.simulate as sim
    import megacluster.power.plant as plant_module
    from megacluster.engine.replicas import replica_generators, run_replicas
    from megacluster.results.assemble import assemble_digests
    from megacluster.scenario.load import load_scenario

    loops = {"run_job_s": 0.0, "run_dispatch_s": 0.0, "interruptions": 0, "steps": 0}
    if kind == "lean1":  # time the hot loops (in this process only)
        job, dispatch = sim.run_job, plant_module.run_dispatch

        def timed_job(*args: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            out = job(*args, **kw)
            loops["run_job_s"] += time.perf_counter() - t
            loops["interruptions"] += out.interruptions_unexpected + out.interruptions_planned
            return out

        def timed_dispatch(inp: Any) -> Any:
            t = time.perf_counter()
            out = dispatch(inp)
            loops["run_dispatch_s"] += time.perf_counter() - t
            loops["steps"] += len(inp.grid_cap_mw)
            return out

        sim.run_job = timed_job  # type: ignore[assignment]
        plant_module.run_dispatch = timed_dispatch  # type: ignore[assignment]

    scenario = load_scenario(PRESET)
    seed = scenario.simulation.seed
    t0 = time.perf_counter()
    prepared = sim.prepare(scenario)
    setup_s = time.perf_counter() - t0
    c0, t1 = time.process_time(), time.perf_counter()
    if kind == "previous":
        runs = [prepared.replica(rng) for rng in replica_generators(seed, replicas)]
        results = prepared.results(runs, seed, swings=False)
    else:
        done = run_replicas(prepared, seed, replicas, workers=1 if kind == "lean1" else None)
        results = assemble_digests(scenario, prepared.grid, done.first, done.digests, seed, prepared.job)
    wall_s = time.perf_counter() - t1
    cpu_s = time.process_time() - c0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    training = results.summary.model_dump(mode="json").get("training") or {}
    return {
        "kind": kind,
        "replicas": replicas,
        "workers": 1 if kind != "lean" else len(os.sched_getaffinity(0)),
        "setup_s": setup_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s + children.ru_utime + children.ru_stime,
        "driver_peak_mb": self_mb,
        "worker_peak_mb": child_mb,
        "finish_day_p50": training.get("finish_day_p50"),
        **loops,
    }


def _start_case(method: str) -> dict[str, Any]:
    """4 replicas of a 10-day flagship on 2 workers started with ``method``: the pool's start-up cost."""
    import multiprocessing as mp

    import megacluster.engine.replicas as reps
    from megacluster.engine.simulate import prepare
    from megacluster.scenario.load import load_scenario

    prepared = prepare(load_scenario(PRESET, {"simulation.horizon_days": 10}))
    reps.pool_context = lambda: mp.get_context(method)  # type: ignore[assignment,return-value]
    t = time.perf_counter()
    reps.run_replicas(prepared, 1, 4, workers=1)
    serial_s = time.perf_counter() - t
    t = time.perf_counter()
    reps.run_replicas(prepared, 1, 4, workers=2)
    return {"method": method, "serial_s": serial_s, "pool_s": time.perf_counter() - t}


def _run(kind: str, replicas: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--case", kind, "--replicas", str(replicas)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--case", choices=("previous", "lean1", "lean"), help=argparse.SUPPRESS)
    parser.add_argument("--skip-previous", action="store_true", help="leave out the previous method")
    parser.add_argument("--start", choices=("fork", "forkserver", "spawn"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--start-methods", action="store_true", help="only compare the pool's start methods (10-day runs)"
    )
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.replicas)))
        return
    if args.start:
        print(json.dumps(_start_case(args.start)))
        return
    if args.start_methods:
        for method in ("fork", "forkserver", "spawn"):
            command = [sys.executable, __file__, "--start", method]
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"4 replicas of a 10-day {PRESET}: 1 process {row['serial_s']:.1f} s, "
                f"2 workers started by {method} {row['pool_s']:.1f} s"
            )
        return

    from rich.console import Console
    from rich.table import Table

    one = _run("lean1", 1)
    kinds = ["lean1", "lean"] if args.skip_previous else ["previous", "lean1", "lean"]
    rows = [_run(kind, args.replicas) for kind in kinds]
    table = Table(title=f"{args.replicas} replicas of {PRESET} (set-up shared by the replicas, excluded)")
    for col in (
        "method",
        "set-up [s]",
        "wall [s]",
        "CPU, all [s]",
        "s / replica",
        "x one replica",
        "driver peak [MB]",
        "worker peak [MB]",
        "finish P50 [day]",
    ):
        table.add_column(col, justify="right")
    labels = {
        "previous": "previous (all kept, serial)",
        "lean1": "lean, 1 process",
        "lean": "lean, forked pool",
    }
    for row in rows:
        table.add_row(
            labels[row["kind"]] + ("" if row["kind"] != "lean" else f" ({row['workers']} cores)"),
            f"{row['setup_s']:.1f}",
            f"{row['wall_s']:.1f}",
            f"{row['cpu_s']:.1f}",
            f"{row['wall_s'] / row['replicas']:.2f}",
            f"{row['wall_s'] / one['wall_s']:.1f}",
            f"{row['driver_peak_mb']:.0f}",
            f"{row['worker_peak_mb']:.0f}" if row["kind"] == "lean" else "-",
            f"{row['finish_day_p50']:.2f}" if row["finish_day_p50"] is not None else "-",
        )
    console = Console(width=150)
    console.print(table)
    console.print(
        f"one replica (lean, 1 process): {one['wall_s']:.2f} s after {one['setup_s']:.1f} s of set-up"
    )
    lean1 = next(r for r in rows if r["kind"] == "lean1")
    per, job_s, dispatch_s = lean1["wall_s"], lean1["run_job_s"], lean1["run_dispatch_s"]
    per_interruption_us = 1e6 * job_s / max(lean1["interruptions"], 1)
    per_step_us = 1e6 * dispatch_s / max(lean1["steps"], 1)
    console.print(
        f"hot loops, {lean1['replicas']} replicas in 1 process: job event loop (run_job) {job_s:.1f} s = "
        f"{100 * job_s / per:.0f} % of the replicas' time, {per_interruption_us:.0f} us per interruption "
        f"({lean1['interruptions']} interruptions); dispatch loop (run_dispatch) {dispatch_s:.1f} s = "
        f"{100 * dispatch_s / per:.0f} %, {per_step_us:.1f} us per step ({lean1['steps']} steps)"
    )
    console.print("speed-up of the hot loops: none yet (not compiled in this change; docs/replicas.md)")


if __name__ == "__main__":
    main()
