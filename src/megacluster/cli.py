"""The command line: a thin shell over the library."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from megacluster.clikit import handle_errors, print_json, simulation_overrides
from megacluster.errors import InputError, with_file
from megacluster.results.writers import to_jsonable, write_run
from megacluster.scenario.load import load_scenario, preset_names, preset_text

app = typer.Typer(
    name="megacluster",
    help="Simulate and plan giant AI-training campuses: power, cooling, training, failures, cost, emissions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
@handle_errors
def run(
    scenario: str = typer.Argument(..., help="Scenario TOML file or preset name"),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default runs/<name>/)"),
    seed: int | None = typer.Option(None, "--seed", help="Seed (overrides [simulation] seed)"),
    replicas: int | None = typer.Option(None, "--replicas", help="Monte Carlo replicas"),
    step: str | None = typer.Option(None, "--step", help="Time step, e.g. 1min, 5min, 1h"),
    days: float | None = typer.Option(None, "--days", help="Horizon in days"),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout and nothing else"),
) -> None:
    """Simulate a scenario and write summary.json, timeseries.parquet, events.parquet, report.html."""
    from megacluster.engine.simulate import simulate
    from megacluster.report.html import render_report
    from megacluster.results.text import print_results

    overrides = simulation_overrides(seed=seed, step=step, days=days, replicas=replicas)
    scenario_model = load_scenario(scenario, overrides)
    try:
        results = simulate(scenario_model)
    except InputError as exc:
        raise with_file(exc, scenario) from None
    out_dir = out if out is not None else Path("runs") / scenario_model.name
    write_run(results, out_dir, extra_files={"report.html": render_report})
    if as_json:
        print_json(to_jsonable(results.summary))
    else:
        print_results(results, out_dir)


@app.command()
@handle_errors
def presets() -> None:
    """List the shipped presets."""
    table = Table(show_header=True)
    table.add_column("preset")
    table.add_column("description")
    for name in preset_names():
        table.add_row(name, load_scenario(name).description.strip())
    Console().print(table)


@app.command()
@handle_errors
def show(preset: str = typer.Argument(..., help="Preset name")) -> None:
    """Print a preset's TOML."""
    typer.echo(preset_text(preset), nl=False)


def _register_commands() -> None:
    """Commands of the other layers, each registered by its own package."""
    from megacluster.performance.commands import register as performance_commands
    from megacluster.power.commands import register as power_commands
    from megacluster.report.commands import register as report_commands
    from megacluster.sweep.commands import register as sweep_commands

    for register in (performance_commands, power_commands, report_commands, sweep_commands):
        register(app)


_register_commands()


def main() -> None:
    """Entry point of the ``megacluster`` command."""
    app()
