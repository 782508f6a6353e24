"""The ``sensitivity`` command: which uncertain assumption moves which output (SALib: Sobol or Morris on a
scenario's ``{ dist = ... }`` fields, or RBD-FAST on a finished sweep folder); the CLI calls
:func:`register`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from megacluster.cli.kit import (
    FORCE_HELP,
    MAX_MEMORY_HELP,
    Progress,
    handle_errors,
    simulation_overrides,
    work_limits,
)

if TYPE_CHECKING:  # types only: the command imports what it needs when it runs
    from megacluster.engine.sensitivity import SensitivityResult
    from megacluster.results.outdir import OutputTarget

OUTPUTS_HELP = (
    "Outputs to analyse, comma-separated summary.json figures (default finish_day,cost_usd,emissions_t.co2,"
    "goodput; 'training.' may be left out)"
)
SAMPLES_HELP = "Model runs to spend (Sobol: N(d+2) with N a power of two; Morris: r(d+1)); default 256"
SENSITIVITY_MAX_TIME_HELP = "Refuse analyses estimated to take longer, e.g. 2h (default: 1h)"
SHORT = {
    "S1_conf": "±95%",
    "ST_conf": "±95%",
    "mu_star": "mu*",
    "mu_star_conf": "±95%",
    "mu_star_scaled": "mu*/sd",
    "mu_star_conf_scaled": "±95%",
}
"""Short column headers for the terminal (the CSV keeps SALib's names). [-]"""
DEFAULT_MAX_SECONDS = 3600.0
"""[A] Default time limit of one analysis: it is meant for minutes, not a night's batch. [s]"""


def sensitivity(
    source: str = typer.Argument(
        ..., metavar="SCENARIO", help="Scenario TOML file, preset name, or a finished sweep folder"
    ),
    outputs: str | None = typer.Option(None, "--outputs", metavar="NAMES", help=OUTPUTS_HELP),
    samples: int = typer.Option(256, "--samples", metavar="N", min=4, max=1_000_000, help=SAMPLES_HELP),
    method: str = typer.Option("sobol", "--method", metavar="sobol|morris", help="Global method"),
    step: str | None = typer.Option(
        None,
        "--step",
        metavar="DURATION",
        help="Time step of the runs (default: 1h, or the scenario's if coarser)",
    ),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Seed of the design and of every run"),
    out: Path | None = typer.Option(
        None, "--out", metavar="DIR", help="Output folder (default runs/<name>-sensitivity/)"
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(
        None, "--max-time", metavar="DURATION", help=SENSITIVITY_MAX_TIME_HELP
    ),
) -> None:
    """Rank the uncertain assumptions by how much each moves the outputs (SALib), and write a report with a
    tornado chart and the table of indices (docs/uncertainty.md)."""
    from megacluster.engine.budget import check_work
    from megacluster.engine.sensitivity import DEFAULT_OUTPUTS
    from megacluster.errors import InputError
    from megacluster.uncertainty.salib import Method

    _require_salib()
    names = [o.strip() for o in (outputs or ",".join(DEFAULT_OUTPUTS)).split(",") if o.strip()]
    if not names:
        raise InputError("--outputs", None, "name at least one output")
    if method not in (Method.SOBOL.value, Method.MORRIS.value):
        raise InputError("--method", None, f"expected sobol or morris (got '{method}')")
    folder = Path(source)
    if folder.is_dir():
        result, name = _from_sweep(folder, names), folder.name
    else:
        from megacluster.engine.sensitivity import (
            coarse,
            output_path,
            plan,
            run_sensitivity,
            sensitivity_work,
        )
        from megacluster.errors import with_file
        from megacluster.scenario.load import load_scenario

        for n in names:
            output_path(n)  # unknown outputs fail before any work
        memory_limit, time_limit = work_limits(max_memory, max_time)
        model = load_scenario(source, simulation_overrides(seed=seed, step=step))
        runs_model = coarse(model, model.simulation.step if step is not None else None)
        try:
            base, runs = plan(runs_model, Method(method), samples)
            check_work(
                sensitivity_work(runs_model, runs),
                memory_limit,
                DEFAULT_MAX_SECONDS if time_limit is None else time_limit,
                what="this sensitivity analysis",
            )
        except InputError as exc:
            raise with_file(exc, source) from None
        name = model.name
        target = _target(out, name, force)
        with Progress(runs, f"{method}: {runs} runs of {name}") as bar:
            try:
                result = run_sensitivity(runs_model, names, base, Method(method), on_run=bar.advance)
            except InputError as exc:
                raise with_file(exc, source) from None
        _write(target, result, name)
        _print(result, target.path)
        return
    target = _target(out, name, force)
    _write(target, result, name)
    _print(result, target.path)


def _from_sweep(folder: Path, names: list[str]) -> SensitivityResult:
    from megacluster.engine.sensitivity import from_given_data
    from megacluster.sweep.designs import finished_sweep

    fields, bounds, frame = finished_sweep(folder)
    return from_given_data(fields, bounds, frame, names)


def _target(out: Path | None, name: str, force: bool) -> OutputTarget:
    from megacluster.results.outdir import OutputKind, check_output

    default = Path("runs") / f"{name}-sensitivity"
    return check_output(out, default=default, kind=OutputKind.SENSITIVITY, force=force)


def _write(target: OutputTarget, result: SensitivityResult, name: str) -> None:
    from megacluster.report.sensitivity import write_sensitivity
    from megacluster.results.outdir import output_lock, write_output

    with output_lock(target):
        write_output(target, lambda folder: write_sensitivity(result, folder, f"Sensitivity of {name}"))


def _print(result: SensitivityResult, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from megacluster.uncertainty.salib import COLUMNS

    cols = list(dict.fromkeys(COLUMNS[result.method]))
    console = Console()
    for output in result.outputs:
        view = Table(title=f"{output}: ranked by {COLUMNS[result.method][2]} ({result.method.value})")
        view.add_column("#", justify="right")
        view.add_column("assumption", no_wrap=True, min_width=max(len(i) for i in result.inputs))
        for c in cols:
            view.add_column(SHORT.get(c, c), justify="right")
        ranked = [r for r in result.rows if r["output"] == output]
        for i, row in enumerate(ranked, 1):
            view.add_row(str(i), str(row["input"]), *(f"{float(row[c]):.3g}" for c in cols))
        console.print(view)
    if result.unfinished:
        console.print(
            f"{result.unfinished} of {result.runs} runs had not finished: finish day = horizon (a bound)."
        )
    console.print(
        f"{result.runs} model runs. Report: {path / 'report.html'}, table: {path / 'sensitivity.csv'}"
    )


def _require_salib() -> None:
    """InputError with the install hint when SALib (the optional extra) is missing (checked first)."""
    from megacluster.errors import InputError

    try:
        import SALib  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise InputError(
            "sensitivity",
            None,
            "global sensitivity needs SALib: pip install 'megacluster[sensitivity]' "
            "(or, in a checkout, uv sync --extra sensitivity)",
        ) from None


def register(app: typer.Typer) -> None:
    """Add ``sensitivity`` to the command-line app."""
    app.command(name="sensitivity")(handle_errors(sensitivity))
