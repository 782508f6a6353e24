"""The ``compare`` and ``serve`` commands; the CLI calls :func:`register`."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # types only: the command imports what it needs when it runs
    from megacluster.report.compare import WindowChoice
    from megacluster.results.assemble import Results


class Window(enum.StrEnum):
    """``--window``: see :class:`megacluster.report.compare.CompareWindow`."""

    COMMON = "common"
    OWN = "own"


class ImageFormat(enum.StrEnum):
    """``--format``: see :class:`megacluster.report.export.ImageFormat`."""

    PNG = "png"
    SVG = "svg"
    PDF = "pdf"


WINDOW_HELP = (
    "Scenarios with different horizons: 'common' (default) compares each over its first N days, N the "
    "shortest horizon; 'own' over each one's own horizon"
)
FORMAT_HELP = "Also write every chart as an image, <chart id>.png|svg|pdf (needs the export extra: kaleido)"


def check_format(image_format: ImageFormat | None) -> None:
    """Before any work: ``--format`` needs kaleido (exit code 2 and the install hint without it)."""
    if image_format is not None:
        from megacluster.report.export import require_kaleido

        require_kaleido()


def run_output(results: Results, image_format: ImageFormat | None = None) -> Callable[[Path], None]:
    """What ``megacluster run`` writes into its staging folder: the run's files and report.html, and with
    ``--format`` every chart of the report as an image (chart-*.png|svg|pdf)."""

    def write(folder: Path) -> None:
        from megacluster.report.html import render_report, report_context
        from megacluster.results.writers import write_run_files

        write_run_files(results, folder, extra_files={"report.html": render_report})
        if image_format is not None:
            from megacluster.report.export import ImageFormat as Format
            from megacluster.report.export import export_charts

            export_charts(report_context(results).charts(), folder, Format(image_format.value))

    return write


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
    window: Window = typer.Option(Window.COMMON, "--window", help=WINDOW_HELP),
    image_format: ImageFormat | None = typer.Option(None, "--format", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print compare.json on stdout and nothing else"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", metavar="DURATION", help=MAX_TIME_HELP),
) -> None:
    """Simulate scenarios side by side; write compare.html and compare.json."""
    from megacluster.engine.budget import check_work, estimate_work
    from megacluster.engine.simulate import simulate
    from megacluster.errors import InputError, with_file
    from megacluster.report import compare as cmp
    from megacluster.results.outdir import OutputKind, check_output, output_lock, write_output
    from megacluster.results.writers import to_jsonable
    from megacluster.scenario.load import load_scenario

    if len(scenarios) < 2:
        raise InputError(None, "SCENARIOS", "give at least two scenarios or presets to compare")
    check_format(image_format)
    memory_limit, time_limit = work_limits(max_memory, max_time)
    overrides = {**set_overrides(sets), **simulation_overrides(seed=seed, step=step, days=days)}
    models = [load_scenario(name, overrides) for name in scenarios]
    chosen = cmp.choose_window(models, cmp.CompareWindow(window.value), days)
    if chosen.days is not None:
        windowed = {**overrides, "simulation.horizon_days": chosen.days}
        models = [load_scenario(name, windowed) for name in scenarios]
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
        write_output(target, lambda folder: _write_compare(results, folder, chosen, image_format))
    out = out if out is not None else Path("runs") / "compare"
    if as_json:
        print_json(to_jsonable(cmp.compare_data(results, chosen)))
        return
    _print_compare(results, chosen, out, image_format)


def _write_compare(
    results: Sequence[Results], folder: Path, chosen: WindowChoice, image_format: ImageFormat | None
) -> None:
    """compare.html, compare.json and, with ``--format``, compare-*.png|svg|pdf into the staging folder."""
    from megacluster.report.compare import labels_for, write_compare

    write_compare(results, folder, chosen)
    if image_format is not None:
        from megacluster.report.compare_charts import compare_charts
        from megacluster.report.export import ImageFormat as Format
        from megacluster.report.export import export_charts

        export_charts(compare_charts(results, labels_for(results)), folder, Format(image_format.value))


def _print_compare(
    results: Sequence[Results], chosen: WindowChoice, out: Path, image_format: ImageFormat | None
) -> None:
    """The table of figures and differences, the window used and what was written."""
    from rich.console import Console
    from rich.table import Table

    from megacluster.report.compare import compare_table

    header, rows, _ = compare_table(results)
    n = len(results)
    view = Table(title="Side by side (Δ: minus the first scenario, and in % of it)", show_header=True)
    columns = [header[0], *header[1 : n + 1], *header[n + 1 : -1 : 2], header[-1]]
    for i, col in enumerate(columns):
        view.add_column(col, justify="right" if 0 < i < len(columns) - 1 else "left", overflow="fold")
    for row in rows:
        pairs = row[n + 1 : -1]
        merged = [d if p == "–" else f"{d} ({p})" for d, p in zip(pairs[::2], pairs[1::2], strict=True)]
        view.add_row(row[0], *row[1 : n + 1], *merged, row[-1])
    console = Console()
    console.print(chosen.statement)
    console.print(view)
    charts = f" and {out}/compare-*.{image_format.value}" if image_format is not None else ""
    console.print(f"wrote {out / 'compare.html'}, {out / 'compare.json'}{charts}")


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
