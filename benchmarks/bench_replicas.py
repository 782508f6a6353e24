"""Benchmark of Monte Carlo replicas of the flagship (colossus-2024, 300 days at 5-minute steps).

    uv run python benchmarks/bench_replicas.py                   # the command, 1 and 100 replicas; hot loops
    uv run python benchmarks/bench_replicas.py --replicas 20     # a quicker look
    uv run python benchmarks/bench_replicas.py --methods         # lean digests against every replica kept
    uv run python benchmarks/bench_replicas.py --start-methods   # pool start-up: fork, forkserver, spawn
    uv run python benchmarks/bench_replicas.py --against a7eb46f # N replicas: this tree, then a revision

Default: ``megacluster run colossus-2024 --replicas N`` as a user runs it (a fresh process writing its output
folder, with the preset's uncertain assumptions sampled per replica), for 1 and N replicas, each
``--repeats`` times (alternated; printed: the median times, the range of the wall times and the highest
peaks): wall time, CPU time of the process tree, and the peak memory of the whole tree (the sum of the
processes' proportional set sizes, PSS, sampled every 0.1 s: forked workers share the driver's pages, so
their resident sizes would count those pages twice); then the two hot loops on one replica's own inputs, side
by side in this run: the plant's dispatch loop interpreted (``loop.run_steps``, the previous method) against
compiled (``kernel.py``), and the job's event loop (``run_job``) of this tree, interpreted (``JobMachine``)
and compiled (``reliability/kernel.py``), against that of an earlier git revision (``--job-rev``, run from a
``git archive`` of it; its loop is the interpreted one before this tree's changes).

``--against REV`` runs only the N-replica command, for this tree and for git revision REV in turn (REV's
``src`` from ``git archive`` on ``PYTHONPATH``, its bytecode compiled and its compiled loops loaded once
before the timed runs, ~1 min the first time): this machine's speed drifts by ~25 % over a day, so a speed-up
is a ratio of runs made side by side.

``--methods`` runs each case in a fresh subprocess (its own peak memory), side by side:

- ``previous``: every replica kept whole, one after another, then assembled (``PreparedRun.results``);
- ``lean x1``: each replica reduced to its digest as it finishes, in this process (``workers=1``);
- ``lean xW``: the same on W forked worker processes (``workers=None``: the usable cores).
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

import numpy as np

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


def _command_case(replicas: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``megacluster run PRESET --replicas N`` in a fresh process (``env``: its environment), its output in a
    temporary folder."""
    import shutil
    import tempfile

    from treemem import measure

    folder = tempfile.mkdtemp(prefix="megacluster-bench-")
    try:
        program = os.path.join(os.path.dirname(sys.executable), "megacluster")  # the installed command
        exe = [program, "run", PRESET, "--replicas", str(replicas)]
        run = measure([*exe, "--out", os.path.join(folder, "out")], env=env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if run.returncode != 0:
        raise SystemExit(f"megacluster run exited {run.returncode}")
    return {"replicas": replicas, **run.__dict__}


def _capture(path: str) -> None:
    """Run one replica of the flagship at its medians; pickle its job's and dispatch's inputs to ``path``."""
    import pickle

    import numpy as np

    import megacluster.engine.simulate as sim
    import megacluster.power.plant as plant_module
    from megacluster.engine.uncertain import fixed
    from megacluster.scenario.load import load_scenario

    captured: dict[str, Any] = {}
    job, dispatch = sim.run_job, plant_module.run_dispatch

    def keep_job(inputs: Any, rng: Any, *loop: Any) -> Any:
        captured["job"] = (inputs, rng.bit_generator.state)
        return job(inputs, rng, *loop)

    def keep_dispatch(inputs: Any, *args: Any) -> Any:
        captured["dispatch"] = inputs
        return dispatch(inputs, *args)

    sim.run_job = keep_job  # type: ignore[assignment]
    plant_module.run_dispatch = keep_dispatch  # type: ignore[assignment]
    sim.prepare(fixed(load_scenario(PRESET))).replica(np.random.default_rng(0))
    with open(path, "wb") as handle:
        pickle.dump(captured, handle)


def _job_child(path: str, repeats: int) -> dict[str, Any]:
    """Best CPU time of ``run_job`` on the captured inputs, with whatever megacluster this process imports: on
    each loop it has (a revision before the compiled loop has only the Python one)."""
    import pickle

    import numpy as np

    import megacluster.reliability.job as job_module

    with open(path, "rb") as handle:
        inputs, state = pickle.load(handle)["job"]
    loops: dict[str, Any] = {"python": None}
    if hasattr(job_module, "JobLoop"):
        job_module.load_compiled()
        loops = {"python": job_module.JobLoop.PYTHON, "compiled": job_module.JobLoop.COMPILED}
    out: dict[str, Any] = {}
    for name, loop in loops.items():
        best, result = float("inf"), None
        for _ in range(repeats):
            rng = np.random.default_rng()
            rng.bit_generator.state = state
            t0 = time.process_time()
            args = (inputs, rng) if loop is None else (inputs, rng, loop)
            result = job_module.run_job(*args)
            best = min(best, time.process_time() - t0)
        assert result is not None
        out[name] = {
            "cpu_s": best,
            "interruptions": result.interruptions_unexpected,
            "finish_s": result.finish_s,
            "goodput": result.goodput,
            "useful_s": result.useful_s,
        }
    return out


def _dispatch_loops(path: str, repeats: int) -> dict[str, float]:
    """Best CPU time of the dispatch on the captured inputs, interpreted and compiled (outputs compared)."""
    import pickle

    import numpy as np

    from megacluster.power.dispatch import LoopKernel, run_dispatch

    with open(path, "rb") as handle:
        inputs = pickle.load(handle)["dispatch"]
    out: dict[str, float] = {"steps": float(len(inputs.grid_cap_mw))}
    results = {}
    for kernel in (LoopKernel.PYTHON, LoopKernel.COMPILED):
        run_dispatch(inputs, kernel)  # the compiled loop loads on its first call
        best = float("inf")
        for _ in range(repeats):
            t0 = time.process_time()
            results[kernel] = run_dispatch(inputs, kernel)
            best = min(best, time.process_time() - t0)
        out[kernel.value] = best
    a, b = results[LoopKernel.PYTHON], results[LoopKernel.COMPILED]
    out["identical"] = float(
        all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("served_mw", "gen_mw"))
    )
    return out


def _source_of(rev: str, into: str) -> str:
    """The ``src`` folder of git revision ``rev`` of this repository, extracted under ``into``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    archive = subprocess.run(
        ["git", "-C", root, "archive", rev, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return os.path.join(into, "src")


def _hot_loops(rev: str, repeats: int) -> dict[str, Any]:
    """Both hot loops on one replica's inputs: dispatch interpreted vs compiled, job loop now vs ``rev``."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="megacluster-bench-")
    try:
        path = os.path.join(folder, "inputs.pkl")
        _capture(path)
        loops = _dispatch_loops(path, repeats)
        child = [sys.executable, __file__, "--job-child", path, "--repeats", str(repeats)]
        now = json.loads(
            subprocess.run(child, capture_output=True, text=True, check=True).stdout.splitlines()[-1]
        )
        env = {**os.environ, "PYTHONPATH": _source_of(rev, folder)}
        out = subprocess.run(child, capture_output=True, text=True, check=True, env=env)
        before = json.loads(out.stdout.splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"dispatch": loops, "job_now": now, "job_before": before, "rev": rev}


def _against(rev: str, replicas: int, repeats: int) -> None:
    """The N-replica command for this tree and for revision ``rev``, alternated; their medians and ratio."""
    import shutil
    import tempfile

    from rich.console import Console
    from rich.table import Table

    folder = tempfile.mkdtemp(prefix="megacluster-bench-")
    try:
        source = _source_of(rev, folder)
        subprocess.run([sys.executable, "-m", "compileall", "-q", source], check=True)
        env = {**os.environ, "PYTHONPATH": source}
        _command_case(4, env)  # compiles or loads ``rev``'s numba loops once, untimed
        runs: dict[str, list[dict[str, Any]]] = {"this tree": [], rev: []}
        for _ in range(repeats):  # alternated, so that a slow spell of the machine touches both
            runs["this tree"].append(_command_case(replicas))
            runs[rev].append(_command_case(replicas, env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    medians = {name: _median_run(r) for name, r in runs.items()}
    table = Table(title=f"megacluster run {PRESET} --replicas {replicas}, {repeats} runs each, alternated")
    for col in ("code", "wall [s]", "wall, fastest - slowest [s]", "CPU [s]", "peak PSS, tree [MB]"):
        table.add_column(col, justify="right")
    for name, row in medians.items():
        table.add_row(
            name,
            f"{row['wall_s']:.2f}",
            f"{row['wall_range'][0]:.2f} - {row['wall_range'][1]:.2f}",
            f"{row['cpu_s']:.1f}",
            f"{row['peak_pss_mb']:.0f}",
        )
    console = Console(width=150)
    console.print(table)
    mine, theirs = medians["this tree"], medians[rev]
    console.print(
        f"this tree against {rev}: wall x{theirs['wall_s'] / mine['wall_s']:.2f} faster, "
        f"peak memory x{mine['peak_pss_mb'] / theirs['peak_pss_mb']:.2f}"
    )


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one command: the median wall and CPU time, the highest memory peaks (a user's machine
    must hold the worst run), and the range of the wall times. [s, MB]"""
    walls = sorted(r["wall_s"] for r in runs)
    return {
        "replicas": runs[0]["replicas"],
        "runs": len(runs),
        "wall_s": float(np.median(walls)),
        "wall_range": (walls[0], walls[-1]),
        "cpu_s": float(np.median([r["cpu_s"] for r in runs])),
        "peak_pss_mb": max(r["peak_pss_mb"] for r in runs),
        "driver_peak_pss_mb": max(r["driver_peak_pss_mb"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def _print_command(one: dict[str, Any], many: dict[str, Any], loops: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    table = Table(
        title=f"megacluster run {PRESET} (fresh process, output written; {os.cpu_count()} cores; "
        f"{many['runs']} runs each: median times, highest peaks)"
    )
    columns = (
        "replicas",
        "wall [s]",
        "wall, fastest - slowest [s]",
        "CPU, all processes [s]",
        "peak PSS, tree [MB]",
        "driver peak PSS [MB]",
    )
    for col in (*columns, "peak RSS summed [MB]", "wall / one replica's run"):
        table.add_column(col, justify="right")
    for row in (one, many):
        table.add_row(
            str(row["replicas"]),
            f"{row['wall_s']:.1f}",
            f"{row['wall_range'][0]:.1f} - {row['wall_range'][1]:.1f}",
            f"{row['cpu_s']:.1f}",
            f"{row['peak_pss_mb']:.0f}",
            f"{row['driver_peak_pss_mb']:.0f}",
            f"{row['peak_rss_mb']:.0f}",
            f"x{row['wall_s'] / one['wall_s']:.1f}",
        )
    console.print(table)
    d, now, before = loops["dispatch"], loops["job_now"], loops["job_before"]
    steps = d["steps"]
    console.print(
        f"dispatch loop, one replica ({steps:,.0f} steps): interpreted {d['python']:.3f} s "
        f"({1e6 * d['python'] / steps:.2f} us a step), compiled {d['compiled']:.3f} s "
        f"({1e6 * d['compiled'] / steps:.2f} us a step): x{d['python'] / d['compiled']:.1f}"
        f"{'' if d['identical'] else ' - OUTPUTS DIFFER'}"
    )
    base = before["python"]
    for name in ("python", "compiled"):
        mine = now[name]
        same = all(mine[key] == base[key] for key in ("finish_s", "interruptions", "useful_s"))
        console.print(
            f"job event loop, one replica ({mine['interruptions']:,} interruptions): revision {loops['rev']} "
            f"{base['cpu_s']:.3f} s, now {name} {mine['cpu_s']:.3f} s: x{base['cpu_s'] / mine['cpu_s']:.1f}"
            f"{'' if same else ' - RESULTS DIFFER'}"
        )


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
    parser.add_argument("--methods", action="store_true", help="lean digests against every replica kept")
    parser.add_argument("--job-rev", default="d89ec9d", help="revision whose job loop is the baseline")
    parser.add_argument("--against", metavar="REV", help="only the N-replica command: this tree against REV")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each command and of each hot loop (median / best)"
    )
    parser.add_argument("--job-child", help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=("previous", "lean1", "lean"), help=argparse.SUPPRESS)
    parser.add_argument("--skip-previous", action="store_true", help="leave out the previous method")
    parser.add_argument("--start", choices=("fork", "forkserver", "spawn"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--start-methods", action="store_true", help="only compare the pool's start methods (10-day runs)"
    )
    args = parser.parse_args()
    if args.job_child:
        print(json.dumps(_job_child(args.job_child, args.repeats)))
        return
    if args.against:
        _against(args.against, args.replicas, args.repeats)
        return
    if not (args.case or args.start or args.start_methods or args.methods):
        ones: list[dict[str, Any]] = []
        manys: list[dict[str, Any]] = []
        for _ in range(args.repeats):  # alternated, so that a slow spell of the machine touches both
            ones.append(_command_case(1))
            manys.append(_command_case(args.replicas))
        _print_command(_median_run(ones), _median_run(manys), _hot_loops(args.job_rev, args.repeats))
        return
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


if __name__ == "__main__":
    main()
