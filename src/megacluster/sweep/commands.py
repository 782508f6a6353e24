"""The ``megacluster sweep`` command."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from megacluster.clikit import handle_errors
from megacluster.errors import InputError


def sweep(
    sweep_file: Path = typer.Argument(..., help="Sweep TOML file: base scenario, parameters, replicas"),
    address: str | None = typer.Option(
        None,
        "--address",
        help="An existing Ray cluster (HOST:PORT, ray://HOST:PORT or 'auto'); default: local Ray",
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Local Ray worker processes (default: all cores)"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default sweeps/<name>/); reuse it to resume"
    ),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="On resume, run failed replicas again"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar"),
) -> None:
    """Run a parameter sweep on Ray: one row per point x replica, P10/P50/P90 per point; resumable."""
    from megacluster.sweep.plan import plan_from_file
    from megacluster.sweep.runner import execute
    from megacluster.sweep.tables import missing_report, render_summary

    if workers is not None and workers < 1:
        raise InputError("--workers", None, f"expected at least 1 worker (got {workers})")
    plan = plan_from_file(sweep_file)
    out_dir = out if out is not None else Path("sweeps") / plan.spec.name
    n_workers = workers if workers is not None else max(1, os.cpu_count() or 1)
    err = Console(stderr=True, quiet=quiet)
    outcome = execute(
        plan, out_dir, workers=n_workers, address=address, retry_failed=retry_failed, console=err
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
