"""Command-line commands of the performance model: estimate, plan, validate. [-]"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from megacluster.cli.kit import handle_errors, print_json
from megacluster.performance.estimator import Estimate, estimate
from megacluster.performance.layout import ParallelLayout
from megacluster.performance.plan import plan
from megacluster.performance.spec import load_spec
from megacluster.performance.validate import ValidationReport, validate_runs


def _layout_text(lay: ParallelLayout) -> str:
    """A compact layout label, e.g. ``tp8 pp8 dp64 cp4 v8 mb2 none SP Z2``. [-]"""
    parts = [f"tp{lay.tp}", f"pp{lay.pp}", f"dp{lay.dp}"]
    parts += [f"{k}{v}" for k, v in (("cp", lay.cp), ("ep", lay.ep)) if v != 1]
    parts += [f"v{lay.virtual_stages}", f"mb{lay.micro_batch}", lay.recompute.value]
    parts += ["SP"] if lay.sequence_parallel else []
    parts += [f"Z{lay.zero_stage}"]
    return " ".join(parts)


def _summary_table(title: str, estimates: list[Estimate]) -> Table:
    """A table of layouts and their predictions. [-]"""
    table = Table(title=title)
    table.add_column("#", justify="right")
    table.add_column("layout")
    for col in ("step s", "tokens/s", "TFLOP/s/GPU", "MFU", "GiB/GPU", "fits"):
        table.add_column(col, justify="right")
    for i, e in enumerate(estimates, start=1):
        table.add_row(
            str(i),
            _layout_text(e.layout),
            f"{e.step_time_s:.3f}",
            f"{e.tokens_per_s:,.0f}",
            f"{e.tflops_per_gpu:.1f}",
            f"{e.mfu:.1%}",
            f"{e.memory_per_gpu_gib:.1f}",
            "yes" if e.fits else "NO",
        )
    return table


def _breakdown_table(e: Estimate) -> Table:
    """A table of the step-time breakdown. [s]"""
    table = Table(title="Step time breakdown (busiest stage)")
    table.add_column("part")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    for k, v in e.breakdown.items():
        table.add_row(k, f"{v:.4f}", f"{v / e.step_time_s:.1%}")
    return table


def estimate_cmd(
    spec_path: Path = typer.Argument(
        ..., metavar="SPEC.toml", help="Flat spec: one key per published column"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only"),
) -> None:
    """Predict step time, throughput, MFU and memory of one training configuration."""
    spec = load_spec(spec_path, need_layout=True)
    est = estimate(spec, str(spec_path))
    if as_json:
        print_json(est.to_dict())
        return
    console = Console()
    console.print(_summary_table(f"estimate: {spec.model or spec.id} on {spec.gpus} x {spec.gpu}", [est]))
    console.print(_breakdown_table(est))
    if est.chosen:
        console.print(
            "unpublished knobs chosen by the model: " + ", ".join(f"{k}={v}" for k, v in est.chosen.items())
        )
    if not est.fits:
        console.print("[bold red]does not fit in memory[/bold red]")


def plan_cmd(
    spec_path: Path = typer.Argument(
        ..., metavar="SPEC.toml", help="Flat spec; parallel degrees may be blank"
    ),
    gpus: int | None = typer.Option(None, "--gpus", help="GPU count (default: the spec's gpus)"),
    top: int = typer.Option(5, "--top", help="How many layouts to show"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only"),
) -> None:
    """Search every parallel layout for N GPUs and rank those that fit by step time."""
    spec = load_spec(spec_path, need_layout=False)
    best = plan(spec, gpus=gpus, top=top, file=str(spec_path))
    if as_json:
        print_json({"plans": [e.to_dict() for e in best]})
        return
    console = Console()
    n = gpus or spec.gpus
    console.print(_summary_table(f"plan: {spec.model or spec.id} on {n} x {spec.gpu}", best))
    console.print(_breakdown_table(best[0]))


def _validation_table(report: ValidationReport) -> Table:
    """A table of predicted vs measured step time, one row per published run. [s]"""
    table = Table(title="predicted vs measured step time")
    for col in ("id", "predicted s", "measured s", "error", "MFU"):
        table.add_column(col, justify="right" if col != "id" else "left")
    for r in report.runs:
        table.add_row(
            r.id,
            f"{r.predicted_step_time_s:.3f}",
            f"{r.measured_step_time_s:.3f}",
            f"{r.error:+.1%}",
            f"{r.mfu:.1%}",
        )
    return table


def validate_cmd(
    runs: Path | None = typer.Option(None, "--runs", help="Published-runs CSV (default: the shipped one)"),
    max_median_error: float | None = typer.Option(
        None, "--max-median-error", help="Exit 1 when the median |error| exceeds this (e.g. 0.10)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only"),
) -> None:
    """Predict every published run and compare with the measured step time."""
    report = validate_runs(runs)
    if as_json:
        print_json(report.to_dict())
    else:
        console = Console()
        console.print(_validation_table(report))
        console.print(
            f"median |error| {report.median_abs_error:.1%}, max |error| {report.max_abs_error:.1%} "
            f"over {len(report.runs)} runs"
        )
    if max_median_error is not None and report.median_abs_error > max_median_error:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the estimate, plan and validate commands to a typer app. [-]"""
    app.command("estimate")(handle_errors(estimate_cmd))
    app.command("plan")(handle_errors(plan_cmd))
    app.command("validate")(handle_errors(validate_cmd))
