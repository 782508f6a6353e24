"""The ``compare`` and ``serve`` commands; the CLI calls :func:`register`."""

from __future__ import annotations

from pathlib import Path

import typer

from megacluster.cli.kit import (
    FORCE_HELP,
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


def compare(
    scenarios: list[str] = typer.Argument(
        ..., metavar="SCENARIO...", help="Two or more scenario TOML files or preset names"
    ),
    out: Path | None = typer.Option(
        None, "--out", metavar="DIR", help="Output folder (default runs/compare/)"
    ),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Seed for every scenario"),
    step: str | None = typer.Option(
        None, "--step", metavar="DURATION", help="Time step for every scenario, e.g. 1h"
    ),
    days: float | None = typer.Option(
        None, "--days", metavar="DAYS", help="Horizon in days for every scenario"
    ),
    sets: list[str] | None = typer.Option(
        None, "--set", metavar="FIELD=VALUE", help=SET_HELP + "; applied to every scenario"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print compare.json on stdout and nothing else"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", metavar="DURATION", help=MAX_TIME_HELP),
) -> None:
    """Simulate scenarios side by side; write compare.html and compare.json."""
    from rich.console import Console
    from rich.table import Table

    from megacluster.engine.budget import check_work, estimate_work
    from megacluster.engine.simulate import simulate
    from megacluster.errors import InputError, with_file
    from megacluster.report.compare import compare_data, compare_table, write_compare
    from megacluster.results.outdir import OutputKind, check_output, output_lock, write_output
    from megacluster.results.writers import to_jsonable
    from megacluster.scenario.load import load_scenario

    if len(scenarios) < 2:
        raise InputError(None, "SCENARIOS", "give at least two scenarios or presets to compare")
    memory_limit, time_limit = work_limits(max_memory, max_time)
    overrides = {**set_overrides(sets), **simulation_overrides(seed=seed, step=step, days=days)}
    models = [load_scenario(name, overrides) for name in scenarios]
    target = check_output(out, default=Path("runs") / "compare", kind=OutputKind.COMPARE, force=force)
    for name, model in zip(scenarios, models, strict=True):
        try:
            check_work(estimate_work(model), memory_limit, time_limit, what=f"scenario '{model.name}'")
        except InputError as exc:
            raise with_file(exc, name) from None
    with output_lock(target), Progress(len(models), "simulating") as bar:
        results = []
        for name, model in zip(scenarios, models, strict=True):
            bar.describe(f"simulating {model.name}")
            try:
                results.append(simulate(model))
            except InputError as exc:
                raise with_file(exc, name) from None
            bar.advance()
        bar.describe("writing compare.html")
        write_output(target, lambda folder: write_compare(results, folder))
    out = out if out is not None else Path("runs") / "compare"
    if as_json:
        print_json(to_jsonable(compare_data(results)))
        return
    header, rows, _ = compare_table(results)
    view = Table(title="Side by side", show_header=True)
    for i, col in enumerate(header):
        view.add_column(col, justify="right" if 0 < i < len(header) - 1 else "left")
    for row in rows:
        view.add_row(*row)
    console = Console()
    console.print(view)
    console.print(f"wrote {out / 'compare.html'} and {out / 'compare.json'}")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", metavar="HOST", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, metavar="PORT", help="Port"),
) -> None:
    """Start the web dashboard and JSON API (docs at /docs)."""
    from megacluster.errors import InputError

    try:
        from megacluster.web.app import create_app
        from megacluster.web.server import run_server
    except ImportError as exc:
        raise InputError(
            "serve",
            None,
            f"the dashboard needs the web extra ({exc.name} is missing): pip install 'megacluster[web]' "
            "(or, in a checkout, uv sync --extra web)",
        ) from None

    typer.echo(f"megacluster dashboard on http://{host}:{port}/  (API docs: /docs; Ctrl-C to stop)")
    run_server(create_app(), host, port)


def register(app: typer.Typer) -> None:
    """Add ``compare`` and ``serve`` to the command-line app."""
    app.command(name="compare")(handle_errors(compare))
    app.command(name="serve")(handle_errors(serve))
