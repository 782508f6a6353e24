"""Benchmark of the performance model: layouts evaluated per second, vectorised vs one at a time.

Run with ``uv run python benchmarks/bench_performance.py``. The search spaces are `plan`'s for Llama-3-405B
on 16,384 H100 (BF16) and for the catalog's MoE proxy (grok3-proxy) on 16,384 GB200 (FP8), at a global
batch of 2,048 sequences. Target (issue 18): at least 1 million layouts/s on one core.
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
from megacluster.performance.layout import Layout
from megacluster.performance.params import Hardware, hardware
from megacluster.performance.plan import plan, search_space
from megacluster.performance.spec import Geometry
from megacluster.performance.step_time import evaluate

WORKLOADS = (("llama3-405b", "h100-sxm", "bf16"), ("grok3-proxy", "gb200", "fp8"))
"""(catalog model, accelerator, precision): the dense flagship search and a MoE one in FP8 on Blackwell."""


def _rates(g: Geometry, hw: Hardware, space: Layout, precision: str, repeats: int) -> tuple[float, float]:
    """Best wall-clock and best process-CPU time of one vectorised pass over the whole space. [s]

    The CPU time is this process's own: on a machine shared with other jobs it is close to what the pass takes
    on a quiet core, while the wall-clock time includes the waits for a core."""
    wall_s = cpu_s = np.inf
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        evaluate(g, hw, space, precision)
        wall_s = min(wall_s, time.perf_counter() - t0)
        cpu_s = min(cpu_s, time.process_time() - c0)
    return wall_s, cpu_s


def bench(name: str, accelerator: str, precision: str, gpus: int, sample: int, repeats: int) -> Table:
    """One workload: the search space, vectorised vs one layout at a time, and a full `plan`. [-]"""
    shape = models()[name]
    g = geometry_of(shape)
    hw = hardware(accelerator)
    t0 = time.perf_counter()
    space = search_space(g, hw, gpus, 2048)
    build_s = time.perf_counter() - t0
    n = len(space)
    evaluate(g, hw, space.take(slice(0, 64)), precision)  # warm-up
    vec_s, vec_cpu_s = _rates(g, hw, space, precision, repeats)

    rng = np.random.default_rng(0)
    idx = rng.choice(n, size=min(sample, n), replace=False)
    singles = [space.take(np.array([i])) for i in idx]
    t0, c0 = time.perf_counter(), time.process_time()
    for one in singles:
        evaluate(g, hw, one, precision)
    scalar_s, scalar_cpu_s = time.perf_counter() - t0, time.process_time() - c0

    spec = spec_for_model(shape, accelerator, gpus, 2048, precision)
    t0 = time.perf_counter()
    best = plan(spec, top=1)[0]
    plan_s = time.perf_counter() - t0

    table = Table(title=f"performance model: {name} on {gpus} x {accelerator}, {precision}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row(escape("layouts in the search space"), f"{n:,}")
    table.add_row(escape("build search space [s]"), f"{build_s:.3f}")
    table.add_row(
        escape("vectorised evaluate, all layouts: wall / CPU [s]"), f"{vec_s:.3f} / {vec_cpu_s:.3f}"
    )
    table.add_row(escape("vectorised [layouts/s], wall clock"), f"{n / vec_s:,.0f}")
    table.add_row(escape("vectorised [layouts/s], process CPU time"), f"{n / vec_cpu_s:,.0f}")
    table.add_row(escape(f"scalar path, {len(idx):,} layouts one at a time (wall) [s]"), f"{scalar_s:.3f}")
    table.add_row(
        escape("scalar [layouts/s], wall / CPU"),
        f"{len(idx) / scalar_s:,.0f} / {len(idx) / scalar_cpu_s:,.0f}",
    )
    table.add_row(
        escape("speed-up vectorised / scalar (CPU time)"),
        f"{(n / vec_cpu_s) / (len(idx) / scalar_cpu_s):,.0f} x",
    )
    table.add_row(escape("full `plan` (build + evaluate + rank), wall [s]"), f"{plan_s:.3f}")
    lay = best.layout
    table.add_row(
        escape("best layout"),
        f"tp{lay.tp} pp{lay.pp} dp{lay.dp} cp{lay.cp} ep{lay.ep} v{lay.virtual_stages} "
        f"mb{lay.micro_batch} {lay.recompute.value} zero{lay.zero_stage}",
    )
    table.add_row(escape("best step time [s] / MFU"), f"{best.step_time_s:.2f} / {best.mfu:.1%}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gpus", type=int, default=16384)
    parser.add_argument("--scalar-sample", type=int, default=1000, help="layouts timed one at a time")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    for name, accelerator, precision in WORKLOADS:
        console.print(bench(name, accelerator, precision, args.gpus, args.scalar_sample, args.repeats))


if __name__ == "__main__":
    main()
