"""The size-before-work estimate against measurement: peak memory and time of real runs, and how fast
oversized work is refused.

Each case runs ``simulate`` in a fresh subprocess; the table shows the estimate, the child's measured peak
resident memory and the time of ``simulate``, and their ratios (the estimate is meant to be on the high side:
ratio >= 1). Then the refusals: the oversized scenarios of the bad-input corpus, estimated and refused.

    uv run python benchmarks/bench_budget.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from megacluster.engine.budget import check_work, estimate_work, fmt_bytes
from megacluster.errors import InputError
from megacluster.scenario.load import load_scenario

CASES: list[tuple[str, str, dict[str, object]]] = [
    ("flagship, 1 replica", "colossus-2024", {}),
    ("flagship, 8 replicas", "colossus-2024", {"simulation.replicas": 8}),
    (
        "flagship, 1-min steps, 120 days",
        "colossus-2024",
        {"simulation.step": 60, "simulation.horizon_days": 120},
    ),
    (
        "failure storm (rate x50), 40 days",
        "colossus-2024",
        {"simulation.horizon_days": 40, "reliability.interruption_rate_per_gpu_hour": 1e-3},
    ),
    ("gigacampus 1M GPUs, 60 days", "gigacampus-1m", {"simulation.horizon_days": 60}),
]

CHILD = """
import json, resource, sys, time
from megacluster.engine.simulate import simulate
from megacluster.scenario.load import load_scenario
sc = load_scenario(sys.argv[1], json.loads(sys.argv[2]))
t = time.perf_counter()
simulate(sc)
print(json.dumps({"s": time.perf_counter() - t,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "bad_inputs" / "scenarios"


def main() -> None:
    table = Table(title="estimate vs measured (fresh process per case)")
    for col in (
        "case",
        "steps x replicas",
        "events/replica",
        "est. memory",
        "peak RSS",
        "ratio",
        "est. s",
        "simulate s",
        "ratio",
    ):
        table.add_column(col, justify="left" if col == "case" else "right")
    for label, preset, overrides in CASES:
        est = estimate_work(load_scenario(preset, overrides))
        out = subprocess.run(
            [sys.executable, "-c", CHILD, preset, json.dumps(overrides)],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(out.stdout.strip().splitlines()[-1])
        table.add_row(
            label,
            f"{est.steps:,} x {est.replicas}",
            f"{est.events_per_replica:,.0f}",
            fmt_bytes(est.memory_bytes),
            fmt_bytes(got["rss"]),
            f"{est.memory_bytes / got['rss']:.2f}",
            f"{est.seconds:.1f}",
            f"{got['s']:.1f}",
            f"{est.seconds / got['s']:.2f}",
        )
    Console(width=160).print(table)

    refusals = Table(title="oversized work refused before it starts")
    for col in ("scenario", "load + estimate + refuse", "estimate"):
        refusals.add_column(col)
    for path in sorted(CORPUS.glob("oversized_*.toml")):
        start = time.perf_counter()
        try:
            check_work(estimate_work(load_scenario(path)))
            message = "accepted (!)"
        except InputError as exc:
            message = exc.expected.split(", over")[0]
        refusals.add_row(path.stem, f"{(time.perf_counter() - start) * 1000:.0f} ms", message)
    Console(width=160).print(refusals)
    print(f"this process's peak RSS: {fmt_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}")


if __name__ == "__main__":
    main()
