"""Command-line commands of the performance model: estimate, plan, validate, calibrate. [-]

Start-up stays light: the performance model (numpy, scipy, the catalog) is imported inside each command, so
``megacluster --help`` never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from megacluster.cli.kit import handle_errors, print_json

if TYPE_CHECKING:
    from rich.table import Table

    from megacluster.performance.estimator import Estimate
    from megacluster.performance.layout import ParallelLayout
    from megacluster.performance.overlay import Overlay
    from megacluster.performance.validate import ValidationReport

EFFICIENCY_HELP = "Efficiency overlay TOML (from `megacluster calibrate`) laid over the catalog"


def _overlay(path: Path | None) -> Overlay | None:
    """The overlay of ``--efficiency`` (None without one). [-]"""
    from megacluster.performance.overlay import load_overlay

    return load_overlay(path)


def _layout_text(lay: ParallelLayout) -> str:
    """A compact layout label, e.g. ``tp8 pp8 dp64 cp4 v8 mb2 none SP Z2``. [-]"""
    parts = [f"tp{lay.tp}", f"pp{lay.pp}", f"dp{lay.dp}"]
    parts += [f"{k}{v}" for k, v in (("cp", lay.cp), ("ep", lay.ep)) if v != 1]
    parts += [f"etp{lay.etp}"] if lay.ep != 1 and lay.etp is not None else []
    parts += [f"v{lay.virtual_stages}", f"mb{lay.micro_batch}", lay.recompute.value]
    parts += ["SP"] if lay.sequence_parallel else []
    parts += [f"Z{lay.zero_stage}"]
    return " ".join(parts)


def _summary_table(title: str, estimates: list[Estimate]) -> Table:
    """A table of layouts and their predictions. [-]"""
    from rich.table import Table

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
    """A table of the step's terms (they add up to the step time). [s]"""
    from rich.table import Table

    table = Table(title="Step time breakdown by term (pacing stage; exposed communication only)")
    table.add_column("term")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    for k, v in e.breakdown.items():
        table.add_row(k, f"{v:.4f}", f"{v / e.step_time_s:.1%}")
    return table


def estimate_cmd(
    spec_path: Path = typer.Argument(
        ..., metavar="SPEC.toml", help="Flat spec: one key per published column"
    ),
    efficiency: Path | None = typer.Option(None, "--efficiency", metavar="FILE", help=EFFICIENCY_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only"),
) -> None:
    """Predict step time, throughput, MFU, memory and every term of the step of one configuration."""
    from rich.console import Console

    from megacluster.performance.estimator import estimate
    from megacluster.performance.spec import load_spec

    spec = load_spec(spec_path, need_layout=True)
    est = estimate(spec, str(spec_path), _overlay(efficiency))
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
    efficiency: Path | None = typer.Option(None, "--efficiency", metavar="FILE", help=EFFICIENCY_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only"),
) -> None:
    """Search every parallel layout for N GPUs and rank those that fit by step time."""
    from rich.console import Console

    from megacluster.performance.plan import plan
    from megacluster.performance.spec import load_spec

    spec = load_spec(spec_path, need_layout=False)
    best = plan(spec, gpus=gpus, top=top, file=str(spec_path), overlay=_overlay(efficiency))
    if as_json:
        print_json({"plans": [e.to_dict() for e in best]})
        return
    console = Console()
    n = gpus or spec.gpus
    console.print(_summary_table(f"plan: {spec.model or spec.id} on {n} x {spec.gpu}", best))
    console.print(_breakdown_table(best[0]))


def _validation_table(report: ValidationReport) -> Table:
    """A table of predicted vs measured step time, one row per published run. [s]"""
    from rich.table import Table

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


def validation_markdown(report: ValidationReport) -> str:
    """The validation as a Markdown table with its summary line (what docs/performance.md shows). [-]"""
    lines = [
        "| run | predicted [s] | measured [s] | error | predicted MFU |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in report.runs:
        lines.append(
            f"| {r.id} | {r.predicted_step_time_s:.3f} | {r.measured_step_time_s:.3f} | {r.error:+.1%} "
            f"| {r.mfu:.1%} |"
        )
    lines.append("")
    lines.append(
        f"Median \\|error\\| **{report.median_abs_error:.1%}**, "
        f"max \\|error\\| **{report.max_abs_error:.1%}** over {len(report.runs)} runs."
    )
    return "\n".join(lines)


def validate_cmd(
    runs: Path | None = typer.Option(None, "--runs", help="Published-runs CSV (default: the shipped one)"),
    efficiency: Path | None = typer.Option(None, "--efficiency", metavar="FILE", help=EFFICIENCY_HELP),
    max_median_error: float | None = typer.Option(
        None, "--max-median-error", help="Exit 1 when the median |error| exceeds this (e.g. 0.10)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only"),
    markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table only (for the docs)"),
) -> None:
    """Predict every published run and compare with the measured step time."""
    from megacluster.performance.validate import validate_runs

    report = validate_runs(runs, _overlay(efficiency))
    if as_json:
        print_json(report.to_dict())
    elif markdown:
        typer.echo(validation_markdown(report))
    else:
        from rich.console import Console

        console = Console()
        console.print(_validation_table(report))
        console.print(
            f"median |error| {report.median_abs_error:.1%}, max |error| {report.max_abs_error:.1%} "
            f"over {len(report.runs)} runs"
        )
    if max_median_error is not None and report.median_abs_error > max_median_error:
        raise typer.Exit(code=1)


def _calibration_text(summary: dict[str, Any], fitted: dict[str, float], out: Path) -> str:
    """The calibration's result as a few plain lines. [-]"""
    lines = [
        f"calibrated {summary['accelerator']} on {summary['network']} from {len(summary['rows'])} runs",
        "fitted: "
        + (", ".join(f"{k} {summary['defaults'][k]:.4g} -> {v:.4g}" for k, v in fitted.items()) or "nothing"),
        "not identifiable from these runs: " + (", ".join(summary["unidentifiable"]) or "none"),
    ]
    if summary["identifiable_but_not_fitted"]:
        lines.append(
            "identifiable, left out for want of runs: " + ", ".join(summary["identifiable_but_not_fitted"])
        )
    before = f"{summary['median_abs_error_before']:.1%} (max {summary['max_abs_error_before']:.1%})"
    loo = f"{summary['median_abs_error_loo_after']:.1%} (max {summary['max_abs_error_loo_after']:.1%})"
    lines.append(
        f"median |error| before {before}; leave-one-out after {loo}; "
        f"in-sample after {summary['median_abs_error_fit']:.1%}"
    )
    lines.append(f'wrote {out}: use it with --efficiency {out}, or [performance] efficiency = "{out}"')
    return "\n".join(lines)


def _check_overlay_target(out: Path, force: bool) -> None:
    """InputError unless ``out`` is new, or an overlay megacluster wrote and ``--force`` was given: a file
    megacluster did not write is never replaced. [-]"""
    from megacluster.errors import InputError
    from megacluster.performance.overlay import OVERLAY_HEAD

    if out.is_dir():
        raise InputError(str(out), "--out", "a file path for the overlay, not a folder")
    if not out.parent.is_dir():
        raise InputError(str(out), "--out", f"a file in an existing folder ({out.parent} does not exist)")
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_file() or out.is_symlink():
        raise InputError(str(out), "--out", "a new file name (this one is a link or not a plain file)")
    with out.open("rb") as f:
        first = f.readline(len(OVERLAY_HEAD) + 1)
    if first != OVERLAY_HEAD.encode("utf-8"):
        raise InputError(
            str(out), "--out", "a new file name: this file was not written by megacluster calibrate"
        )
    if not force:
        raise InputError(str(out), "--out", "the overlay exists; pass --force to replace it")


def _write_whole(out: Path, text: str) -> None:
    """Write ``text`` to a unique staging file beside ``out``, then move it over ``out`` (never half a file,
    never another file's name). [-]"""
    import os
    import tempfile

    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.megacluster-tmp-")
    try:
        os.fchmod(fd, 0o644)  # an ordinary, readable file (mkstemp creates it owner-only)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(name, out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def calibrate_cmd(
    runs: Path = typer.Option(..., "--runs", metavar="CSV", help="Your measured runs, published-runs format"),
    out: Path = typer.Option(..., "--out", metavar="FILE", help="Overlay TOML to write"),
    accelerator: str | None = typer.Option(None, "--accelerator", metavar="ID", help="Accelerator to fit"),
    network: str | None = typer.Option(None, "--network", metavar="ID", help="Network to fit"),
    params: str | None = typer.Option(
        None, "--params", metavar="A,B", help="Parameters to fit (default: those the runs identify)"
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing overlay file"),
    as_json: bool = typer.Option(False, "--json", help="Print the calibration as JSON only"),
) -> None:
    """Fit one accelerator's and network's efficiency parameters to your runs; write an overlay file."""
    from megacluster.errors import InputError
    from megacluster.performance.calibrate import calibrate
    from megacluster.performance.overlay import overlay_to_toml
    from megacluster.performance.validate import read_runs

    if out.is_dir():
        raise InputError(str(out), "--out", "a file path for the overlay, not a folder")
    if not out.parent.is_dir():
        raise InputError(str(out), "--out", f"a file in an existing folder ({out.parent} does not exist)")
    _check_overlay_target(out, force)
    specs = read_runs(runs)
    names = [p.strip() for p in params.split(",") if p.strip()] if params else None
    result = calibrate(specs, accelerator, network, names, file=str(runs))
    overlay = result.overlay(str(runs))
    _write_whole(out, overlay_to_toml(overlay))
    summary = result.summary(str(runs))
    if as_json:
        print_json({**summary, "fitted_values": result.fitted, "out": str(out)})
        return
    typer.echo(_calibration_text(summary, result.fitted, out))


def register(app: typer.Typer) -> None:
    """Add the estimate, plan, validate and calibrate commands to a typer app. [-]"""
    app.command("estimate")(handle_errors(estimate_cmd))
    app.command("plan")(handle_errors(plan_cmd))
    app.command("validate")(handle_errors(validate_cmd))
    app.command("calibrate")(handle_errors(calibrate_cmd))
