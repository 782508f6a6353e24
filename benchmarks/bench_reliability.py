"""Benchmark of the training job's reliability model: a year at 1-minute steps (525,600 steps).

    uv run python benchmarks/bench_reliability.py
    uv run python benchmarks/bench_reliability.py --gpus 100000 200000 --repeats 3
    uv run python benchmarks/bench_reliability.py --days 60 --repeats 2 --against d89ec9d
    uv run python benchmarks/bench_reliability.py --inputs flagship_job.pkl --against HEAD
    uv run python benchmarks/bench_reliability.py --days 60 --loop python --against HEAD   # compiled vs not

For each job size: Llama 3 405B checkpoints (405e9 x 14 B at 2 TB/s, 'auto' interval), 128-GPU replicas, the
Llama 3 cause table; and a row at the interruption rate that gives ~30,000 interruptions a year at 100k GPUs.
``--inputs`` adds a row for captured inputs: a pickle of ``JobInputs``, of ``(JobInputs, rng state)``, or of a
dict holding that pair under ``"job"``. Prints the best CPU and wall time of ``run_job`` over the repeats.

``--loop python`` times the interpreted event loop (``JobMachine``), ``--loop compiled`` (the default) the
compiled one (``reliability/kernel.py``, loaded before timing); both give the same results to the bit.
``--against REV`` also times the code of git revision ``REV`` on the same cases, side by side: its ``src`` is
extracted (``git archive``) to a temporary folder and the same cases run in a subprocess with ``PYTHONPATH``
there; the table gains that revision's CPU time, the speed-up and whether the results are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from megacluster.performance.memory import checkpoint_bytes_for
from megacluster.reliability import JobInputs, ReliabilityConfig, run_job

REPO = Path(__file__).resolve().parent.parent


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


def _captured(path: str) -> tuple[JobInputs, dict[str, Any] | None]:
    """Captured inputs and the generator state they were run with (None: seed 0)."""
    with open(path, "rb") as f:
        obj = pickle.load(f)  # the user's own capture
    if isinstance(obj, dict):
        obj = obj["job"]
    if isinstance(obj, tuple):
        return obj[0], obj[1]
    return obj, None


def _rng(state: dict[str, Any] | None) -> np.random.Generator:
    rng = np.random.default_rng(0)
    if state is not None:
        rng.bit_generator.state = state
    return rng


def _cases(args: argparse.Namespace) -> list[tuple[str, JobInputs, dict[str, Any] | None]]:
    """(label, inputs, generator state) of each row."""
    sizes: list[tuple[int, float | None]] = [(g, None) for g in args.gpus] + [(100_000, 3.4e-5)]
    out: list[tuple[str, JobInputs, dict[str, Any] | None]] = [
        (f"{g:,} GPUs", _inputs(g, rate, args.days, args.step_s), None) for g, rate in sizes
    ]
    if args.inputs:
        inp, state = _captured(args.inputs)
        out.append((Path(args.inputs).name, inp, state))
    return out


def _time_cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Best CPU and wall time of each case, with the figures that show the runs are the same."""
    rows = []
    try:
        from megacluster.reliability.job import JobLoop, load_compiled
    except ImportError:  # the code of a revision before the compiled loop (``--against``): its only loop
        loop: tuple[Any, ...] = ()
    else:
        loop = (JobLoop(args.loop),)
        if args.loop == "compiled":
            load_compiled()  # loaded (or compiled) once, before any timing
    for label, inp, state in _cases(args):
        cpu = wall = np.inf
        for _ in range(args.repeats):
            rng = _rng(state)
            c0, w0 = time.process_time(), time.perf_counter()
            result = run_job(inp, rng, *loop)
            cpu = min(cpu, time.process_time() - c0)
            wall = min(wall, time.perf_counter() - w0)
        check = [
            result.useful_s,
            result.lost_s,
            float(result.cumulative_flop[-1]),
            len(result.events["time_s"]),
        ]
        rows.append(
            {
                "case": label,
                "rate": inp.config.interruption_rate_per_gpu_hour,
                "interruptions": result.interruptions_unexpected,
                "checkpoints": result.checkpoints,
                "goodput": result.goodput,
                "check": check,
                "cpu": cpu,
                "wall": wall,
            }
        )
    return rows


def _time_revision(rev: str, argv: list[str]) -> list[dict[str, Any]]:
    """The same cases timed with the code of git revision ``rev`` (its ``src`` on the path, in a
    subprocess)."""
    with tempfile.TemporaryDirectory(prefix="bench-rev-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", rev, "src"], check=True, capture_output=True
        ).stdout
        tar_path = Path(tmp) / "src.tar"
        tar_path.write_bytes(archive)
        with tarfile.open(tar_path) as tar:
            tar.extractall(tmp, filter="data")
        out = Path(tmp) / "rows.json"
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        subprocess.run([sys.executable, __file__, *argv, "--json-out", str(out)], check=True, env=env)
        rows: list[dict[str, Any]] = json.loads(out.read_text())
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gpus", type=int, nargs="+", default=[16_384, 100_000, 200_000])
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--step-s", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--inputs", help="a pickle of captured job inputs to time as well")
    parser.add_argument("--against", metavar="REV", help="also time the code of this git revision")
    parser.add_argument("--loop", choices=("python", "compiled"), default="compiled", help="job event loop")
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # the --against subprocess's answer
    args = parser.parse_args()

    same_cases = ["--gpus", *map(str, args.gpus), "--days", str(args.days), "--step-s", str(args.step_s)]
    same_cases += ["--repeats", str(args.repeats), *(["--inputs", args.inputs] if args.inputs else [])]
    rows = _time_cases(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows))
        return
    old = _time_revision(args.against, same_cases) if args.against else None

    title = f"run_job, {args.loop} loop: {args.days:g} days at {args.step_s:g} s steps"
    table = Table(title=f"{title} (best of {args.repeats})")
    cols = ["case", "rate [1/(GPU h)]", "interruptions", "checkpoints", "goodput", "CPU [s]", "wall [s]"]
    if old is not None:
        cols += [f"CPU {args.against} [s]", "speed-up", "identical"]
    for col in cols:
        table.add_column(col, justify="right")
    for i, row in enumerate(rows):
        cells = [row["case"], f"{row['rate']:.2e}", f"{row['interruptions']:,}", f"{row['checkpoints']:,}"]
        cells += [f"{row['goodput']:.3f}", f"{row['cpu']:.3f}", f"{row['wall']:.3f}"]
        if old is not None:
            same = all(row[k] == old[i][k] for k in ("interruptions", "checkpoints", "goodput", "check"))
            cells += [f"{old[i]['cpu']:.3f}", f"{old[i]['cpu'] / row['cpu']:.2f}x", "yes" if same else "NO"]
        table.add_row(*cells)
    Console(width=max(Console().width, 150)).print(table)


if __name__ == "__main__":
    main()
