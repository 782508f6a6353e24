"""The ``megacluster sweep`` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from megacluster.cli.kit import MAX_MEMORY_HELP, MAX_TIME_HELP, handle_errors, work_limits
from megacluster.errors import InputError

if TYPE_CHECKING:
    from megacluster.sweep.plan import SweepPlan


def check_sweep_work(
    plan: SweepPlan, workers: int, memory_limit: float | None, time_limit: float | None
) -> None:
    """Refuse, before any work, a sweep whose biggest point would not fit in memory on ``workers`` workers
    at once, or whose points x replicas would take longer than the time limit on them."""
    from dataclasses import replace

    from megacluster.engine.budget import check_work, estimate_work

    estimates = [estimate_work(p.scenario, replicas=1) for p in plan.points]
    biggest = max(estimates, key=lambda e: e.memory_bytes)
    per_worker_replicas = min(plan.spec.chunk(), plan.spec.replicas)
    total_s = sum(e.seconds for e in estimates) * plan.spec.replicas / max(1, workers)
    parallel = replace(
        biggest,
        replicas=per_worker_replicas * workers,
        memory_bytes=biggest.memory_bytes * min(workers, len(plan.points) * plan.spec.replicas),
        seconds=total_s,
    )
    check_work(parallel, memory_limit, time_limit, what=f"the sweep ({workers} workers at once)")


def sweep(
    sweep_file: Path = typer.Argument(
        ..., metavar="SWEEP.toml", help="Sweep TOML file: base scenario, parameters, replicas"
    ),
    address: str | None = typer.Option(
        None,
        "--address",
        metavar="ADDRESS",
        help="An existing Ray cluster (HOST:PORT, ray://HOST:PORT or 'auto'); default: local Ray",
    ),
    workers: int | None = typer.Option(
        None, "--workers", metavar="N", help="Local worker processes (default: all cores)"
    ),
    out: Path | None = typer.Option(
        None, "--out", metavar="DIR", help="Output folder (default sweeps/<name>/); reuse it to resume"
    ),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="On resume, run failed replicas again"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar"),
    force: bool = typer.Option(False, "--force", help="Replace another sweep's results in --out"),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", metavar="DURATION", help=MAX_TIME_HELP),
) -> None:
    """Run a parameter sweep on Ray: one row per point x replica, P10/P50/P90 per point; resumable."""
    from rich.console import Console

    from megacluster.sweep.plan import plan_from_file
    from megacluster.sweep.runner import execute
    from megacluster.sweep.tables import missing_report, render_summary

    if workers is not None and workers < 1:
        raise InputError("--workers", None, f"expected at least 1 worker (got {workers})")
    memory_limit, time_limit = work_limits(max_memory, max_time)
    plan = plan_from_file(sweep_file)
    out_dir = out if out is not None else Path("sweeps") / plan.spec.name
    n_workers = workers if workers is not None else max(1, os.cpu_count() or 1)
    check_sweep_work(plan, n_workers, memory_limit, time_limit)
    err = Console(stderr=True, quiet=quiet)
    outcome = execute(
        plan,
        out,
        workers=n_workers,
        address=address,
        retry_failed=retry_failed,
        console=err,
        force=force,
    )
    title = (
        f"sweep {plan.spec.name}: {len(plan.points)} points × {plan.spec.replicas} replicas "
        f"(seed {plan.spec.seed})"
    )
    console = Console() if Console().is_terminal else Console(width=200)
    console.print(render_summary(outcome.summary, plan.fields, plan.spec.report, title))
    for name in missing_report(outcome.summary, plan.spec.report):
        console.print(f"note: no replica reported '{name}'")
    console.print(
        f"{outcome.rows_computed} replicas run, {outcome.rows_reused} reused from an earlier run, "
        f"{outcome.rows_failed} failed; {outcome.elapsed_s:.1f} s"
    )
    console.print(f"wrote {out_dir}/results.parquet, summary.parquet, summary.csv")


def register(app: typer.Typer) -> None:
    """Add the ``sweep`` command to the command line."""
    app.command(name="sweep")(handle_errors(sweep))
