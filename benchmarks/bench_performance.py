"""Benchmark of the performance model: layouts evaluated per second, vectorised vs one at a time.

Run with ``uv run python benchmarks/bench_performance.py``. The search space is `plan`'s for Llama-3-405B
on 16,384 H100 at a global batch of 2,048 sequences of 8,192 tokens.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from megacluster.catalog import models
from megacluster.performance.engine_api import geometry_of, spec_for_model
from megacluster.performance.params import hardware
from megacluster.performance.plan import plan, search_space
from megacluster.performance.step_time import evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gpus", type=int, default=16384)
    parser.add_argument("--scalar-sample", type=int, default=3000, help="configs timed one at a time")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    shape = models()["llama3-405b"]
    g = geometry_of(shape)
    hw = hardware("h100-sxm")
    t0 = time.perf_counter()
    space = search_space(g, hw, args.gpus, 2048)
    build_s = time.perf_counter() - t0
    n = len(space)

    vec_s = np.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        evaluate(g, hw, space, "bf16")
        vec_s = min(vec_s, time.perf_counter() - t0)

    rng = np.random.default_rng(0)
    idx = rng.choice(n, size=min(args.scalar_sample, n), replace=False)
    singles = [space.take(np.array([i])) for i in idx]
    t0 = time.perf_counter()
    for one in singles:
        evaluate(g, hw, one, "bf16")
    scalar_s = time.perf_counter() - t0

    spec = spec_for_model(shape, "h100-sxm", args.gpus, 2048, "bf16")
    t0 = time.perf_counter()
    best = plan(spec, top=1)[0]
    plan_s = time.perf_counter() - t0

    vec_rate = n / vec_s
    scalar_rate = len(idx) / scalar_s
    table = Table(title=f"performance model: llama3-405b on {args.gpus} x h100-sxm")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row(escape("layouts in the search space"), f"{n:,}")
    table.add_row(escape("build search space [s]"), f"{build_s:.3f}")
    table.add_row(escape("vectorised evaluate, all layouts [s]"), f"{vec_s:.3f}")
    table.add_row(escape("vectorised [configs/s]"), f"{vec_rate:,.0f}")
    table.add_row(escape(f"scalar path, {len(idx):,} layouts one at a time [s]"), f"{scalar_s:.3f}")
    table.add_row(escape("scalar [configs/s]"), f"{scalar_rate:,.0f}")
    table.add_row(escape("speed-up vectorised / scalar"), f"{vec_rate / scalar_rate:,.0f} x")
    table.add_row(escape("full `plan` (build + evaluate + rank) [s]"), f"{plan_s:.3f}")
    lay = best.layout
    table.add_row(
        escape("best layout"),
        f"tp{lay.tp} pp{lay.pp} dp{lay.dp} cp{lay.cp} v{lay.virtual_stages} "
        f"mb{lay.micro_batch} {lay.recompute.value} zero{lay.zero_stage}",
    )
    table.add_row(escape("best step time [s] / MFU"), f"{best.step_time_s:.2f} / {best.mfu:.1%}")
    Console().print(table)


if __name__ == "__main__":
    main()
