"""The command line: a thin shell over the library. The only place that parses a command line.

Start-up is kept light: only typer is imported here; every command imports what it needs when it runs.
"""

from __future__ import annotations

from pathlib import Path

import typer

from megacluster.cli.kit import (
    FORCE_HELP,
    HEATWAVE_HELP,
    MAX_MEMORY_HELP,
    MAX_TIME_HELP,
    SET_HELP,
    Progress,
    handle_errors,
    print_json,
    set_overrides,
    simulation_overrides,
    work_limits,
)
from megacluster.cli.report import FORMAT_HELP, ImageFormat, check_format, run_output

CONTEXT = {"help_option_names": ["-h", "--help"]}
"""``-h`` as well as ``--help`` on every command."""

app = typer.Typer(
    name="megacluster",
    help="Simulate and plan giant AI-training campuses: power, cooling, training, failures, cost, emissions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        from megacluster._version import __version__

        typer.echo(f"megacluster {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", "-V", help="Print the version and exit", callback=_version, is_eager=True
    ),
) -> None:
    """Simulate and plan giant AI-training campuses: power, cooling, training, failures, cost, emissions."""


@app.command()
@handle_errors
def run(
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="Scenario TOML file or preset name"),
    out: Path | None = typer.Option(
        None, "--out", metavar="DIR", help="Output folder (default runs/<name>/)"
    ),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Seed (overrides [simulation] seed)"),
    replicas: int | None = typer.Option(None, "--replicas", metavar="N", help="Monte Carlo replicas"),
    step: str | None = typer.Option(
        None, "--step", metavar="DURATION", help="Time step, e.g. 1min, 5min, 1h"
    ),
    days: float | None = typer.Option(None, "--days", metavar="DAYS", help="Horizon in days"),
    sets: list[str] | None = typer.Option(None, "--set", metavar="FIELD=VALUE", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout and nothing else"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", metavar="DURATION", help=MAX_TIME_HELP),
    image_format: ImageFormat | None = typer.Option(None, "--format", help=FORMAT_HELP),
    efficiency: Path | None = typer.Option(
        None, "--efficiency", metavar="FILE", help="Efficiency overlay from `megacluster calibrate`"
    ),
    heatwave: bool = typer.Option(False, "--heatwave", help=HEATWAVE_HELP),
    fixed: bool = typer.Option(
        False, "--fixed", "--median", help="Uncertain assumptions at their medians (the single-number run)"
    ),
) -> None:
    """Simulate a scenario and write summary.json, timeseries.parquet, events.parquet, report.html."""
    from megacluster.engine.budget import check_work, estimate_work
    from megacluster.engine.simulate import simulate
    from megacluster.errors import InputError, with_file
    from megacluster.results.outdir import OutputKind, check_output, output_lock, write_output
    from megacluster.results.text import print_results
    from megacluster.results.writers import to_jsonable
    from megacluster.scenario.load import load_scenario

    check_format(image_format)
    memory_limit, time_limit = work_limits(max_memory, max_time)
    overrides = {
        **set_overrides(sets),
        **simulation_overrides(seed=seed, step=step, days=days, replicas=replicas),
        **({"performance.efficiency": str(efficiency)} if efficiency is not None else {}),
        **({"site.heatwave": True} if heatwave else {}),
    }
    scenario_model = load_scenario(scenario, overrides)
    if fixed:  # every { dist = ... } field at its median (docs/uncertainty.md)
        scenario_model = scenario_model.model_copy(update={"uncertain": ()})
    target = check_output(out, default=Path("runs") / scenario_model.name, kind=OutputKind.RUN, force=force)
    try:
        check_work(estimate_work(scenario_model), memory_limit, time_limit)
    except InputError as exc:
        raise with_file(exc, scenario) from None
    with output_lock(target):
        n = scenario_model.simulation.replicas
        with Progress(n, f"simulating {scenario_model.name}") as bar:
            try:
                results = simulate(scenario_model, on_replica=bar.advance, events_ahead=True)
            except InputError as exc:
                raise with_file(exc, scenario) from None
            bar.describe("writing the outputs")
            write_output(target, run_output(results, image_format))
    out_dir = out if out is not None else Path("runs") / scenario_model.name
    if as_json:
        print_json(to_jsonable(results.summary.model_dump(mode="json")))
    else:
        print_results(results, out_dir)


@app.command()
@handle_errors
def presets() -> None:
    """List the shipped presets."""
    from megacluster.scenario.presets import preset_description, preset_names

    names = preset_names()
    width = max(len(name) for name in names)
    for name in names:
        description = " ".join(preset_description(name).split())
        typer.echo(f"{name.ljust(width)}  {description}")


@app.command()
@handle_errors
def show(preset: str = typer.Argument(..., metavar="PRESET", help="Preset name")) -> None:
    """Print a preset's TOML."""
    from megacluster.scenario.presets import preset_text

    typer.echo(preset_text(preset), nl=False)


@app.command()
@handle_errors
def sources(
    file: str | None = typer.Argument(None, metavar="FILE", help="facts.md or facts-plant.md"),
    section: str | None = typer.Argument(None, metavar="SECTION", help="A section number, e.g. 5.1"),
) -> None:
    """Print the bibliography a source string cites (e.g. 'facts.md §5.1'), from the installed package."""
    from megacluster.sources import source_files, source_section, source_text

    if file is None:
        for name in source_files():
            typer.echo(name)
        return
    typer.echo(source_section(file, section) if section else source_text(file), nl=False)


def _register_commands() -> None:
    """The other command groups, one module each in this package."""
    from megacluster.cli.optimize import register as optimize_commands
    from megacluster.cli.performance import register as performance_commands
    from megacluster.cli.power import register as power_commands
    from megacluster.cli.report import register as report_commands
    from megacluster.cli.sweep import register as sweep_commands
    from megacluster.cli.swings import register as swings_commands

    for register in (performance_commands, power_commands, report_commands, sweep_commands, swings_commands):
        register(app)
    optimize_commands(app)
    from megacluster.cli.race import register as race_commands

    race_commands(app)
    from megacluster.cli.restart_time import register as restart_time_commands

    restart_time_commands(app)
    from megacluster.cli.sensitivity import register as sensitivity_commands

    sensitivity_commands(app)


_register_commands()


def main() -> None:
    """Entry point of the ``megacluster`` command: usage errors as one line and exit code 2."""
    import os
    import sys

    # Arrow's buffers (tables written, events spooled) from the C heap rather than Arrow's own allocator
    # (mimalloc), whose pages a process keeps besides its heap: 100 flagship replicas peaked ~40 MB lower
    # with it, in the same time (docs/replicas.md). Read by Arrow when it first allocates, inherited by the
    # replica workers; a user's own choice of ARROW_DEFAULT_MEMORY_POOL is kept.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except typer.TyperException as exc:  # click's usage errors, as typer ships them
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")
            sys.exit(0)
        command = ctx.command_path if ctx is not None else "megacluster"
        message = " ".join(str(exc.format_message()).split())
        sys.stderr.write(f"error: {command}: {message} (see '{command} --help')\n")
        sys.exit(int(getattr(exc, "exit_code", 2)))
    sys.exit(code if isinstance(code, int) else 0)
