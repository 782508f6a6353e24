"""The ``race`` command: the campuses of the compute race simulated side by side on the calendar, measured
with one reference training job, ranked at chosen dates; the CLI calls :func:`register`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from megacluster.cli.kit import (
    FORCE_HELP,
    MAX_MEMORY_HELP,
    MAX_TIME_HELP,
    Progress,
    handle_errors,
    print_json,
    simulation_overrides,
    work_limits,
)

if TYPE_CHECKING:  # types only: the command imports what it needs when it runs
    from megacluster.report.race_view import Race
    from megacluster.scenario.schema import Scenario

AT_HELP = (
    "Date of the ranking table, YYYY-MM-DD (repeat, or separate by commas; default 2025-06-30, 2025-12-31, "
    "2026-06-30)"
)


def parse_dates(values: list[str] | None) -> tuple[dt.date, ...]:
    """``--at`` values as dates, in order, without repeats; InputError naming the bad one. [-]"""
    from megacluster.engine.race import DEFAULT_DATES
    from megacluster.errors import InputError

    if not values:
        return DEFAULT_DATES
    out: list[dt.date] = []
    for text in (part.strip() for value in values for part in value.split(",")):
        try:
            out.append(dt.date.fromisoformat(text))
        except ValueError:
            raise InputError("--at", None, f"expected a date YYYY-MM-DD, got '{text}'") from None
    return tuple(sorted(dict.fromkeys(out)))


def race(
    presets: list[str] | None = typer.Argument(
        None,
        metavar="[PRESETS]...",
        help="Scenario TOML files or preset names (default: the 2024-2026 campuses)",
    ),
    at: list[str] | None = typer.Option(None, "--at", metavar="DATES", help=AT_HELP),
    out: Path | None = typer.Option(None, "--out", metavar="DIR", help="Output folder (default runs/race/)"),
    step: str | None = typer.Option(
        None,
        "--step",
        metavar="DURATION",
        help="Time step for every campus, e.g. 1h (default: each preset's)",
    ),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Seed for every campus"),
    as_json: bool = typer.Option(False, "--json", help="Print race.json on stdout and nothing else"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", metavar="DURATION", help=MAX_TIME_HELP),
) -> None:
    """Race the campuses on the calendar: accelerators, deliverable training compute at a reference job, FLOP
    accumulated, power and on-site CO2, ranked at chosen dates; write race.html and race.json."""
    from megacluster.engine.budget import check_work, estimate_work
    from megacluster.engine.race import RACE_PRESETS
    from megacluster.errors import InputError, with_file
    from megacluster.results.outdir import OutputKind, check_output, output_lock, write_output
    from megacluster.results.writers import to_jsonable
    from megacluster.scenario.load import load_scenario

    names = list(presets) if presets else list(RACE_PRESETS)
    dates = parse_dates(at)
    memory_limit, time_limit = work_limits(max_memory, max_time)
    overrides = simulation_overrides(seed=seed, step=step)
    models = [load_scenario(name, overrides) for name in names]
    target = check_output(out, default=Path("runs") / "race", kind=OutputKind.RACE, force=force)
    for name, model in zip(names, models, strict=True):
        try:
            check_work(estimate_work(model), memory_limit, time_limit, what=f"scenario '{model.name}'")
        except InputError as exc:
            raise with_file(exc, name) from None
    with output_lock(target):
        result = _run_race(names, models, dates)
        from megacluster.report.race_view import race_data, write_race

        write_output(target, lambda folder: write_race(result, folder))
    if as_json:
        print_json(to_jsonable(race_data(result)))
        return
    _print_race(result, out if out is not None else Path("runs") / "race")


def _labels(models: list[Scenario]) -> list[str]:
    """One distinct label per campus run: its name, numbered when repeated. [-]"""
    seen: dict[str, int] = {}
    out = []
    for model in models:
        seen[model.name] = seen.get(model.name, 0) + 1
        out.append(model.name if seen[model.name] == 1 else f"{model.name} #{seen[model.name]}")
    return out


def _run_race(names: list[str], models: list[Scenario], dates: tuple[dt.date, ...]) -> Race:
    """Simulate every campus and measure it with the reference job; each run's Results are dropped once its
    daily race series is taken, so that memory holds one run at a time. [-]"""
    from megacluster.engine.race import REFERENCE_JOB, race_series, reference_rate
    from megacluster.engine.simulate import simulate
    from megacluster.errors import InputError, with_file
    from megacluster.report.race_view import Race

    series = []
    with Progress(len(models), "simulating") as bar:
        for name, model, label in zip(names, models, _labels(models), strict=True):
            bar.describe(f"simulating {model.name}")
            try:
                series.append(race_series(simulate(model), REFERENCE_JOB, label))
            except InputError as exc:
                raise with_file(exc, name) from None
            bar.advance()
    accelerators = dict.fromkeys(f.accelerator for model in models for f in model.fleet)
    rates = tuple(reference_rate(a, REFERENCE_JOB) for a in accelerators)
    return Race(series=tuple(series), job=REFERENCE_JOB, rates=rates, dates=dates)


def _print_race(result: Race, out: Path) -> None:
    """The reference job, its rate on each accelerator, the ranking at each date and what was written."""
    from rich.console import Console
    from rich.table import Table

    from megacluster.report.race_view import campus_name, fleet_text

    console = Console()
    console.print(f"Measured with one reference job: {result.job.describe()}.")
    rates = Table(title="The reference job on each accelerator", show_header=True)
    for col in ("accelerator", "peak TFLOP/s", "MFU", "TFLOP/s each"):
        rates.add_column(col, justify="left" if col == "accelerator" else "right")
    for rate in result.rates:
        per_gpu = f"{rate.flop_s_per_gpu / 1e12:,.0f}"
        rates.add_row(rate.accelerator, f"{rate.peak_flop_s / 1e12:,.0f}", f"{rate.mfu:.1%}", per_gpu)
    console.print(rates)
    columns = ("#", "run", "accelerators installed", "EFLOP/s", "FLOP since start", "MW", "CO2 on site kt")
    for when, ranked in result.standings().items():
        view = Table(title=f"Ranking on {when.isoformat()} (deliverable training compute)", show_header=True)
        for col in columns:
            view.add_column(col, justify="left" if col in ("run", "accelerators installed") else "right")
        for row in (row for row in ranked if row.rank is not None):
            view.add_row(
                str(row.rank),
                row.label,
                fleet_text(row.fleet),
                f"{row.delivered_flop_s / 1e18:,.1f}",
                f"{row.cumulative_flop:.2e}",
                f"{row.facility_mw:,.0f}",
                f"{row.onsite_co2_t / 1e3:,.1f}",
            )
        console.print(view)
        absent = [campus_name(row.key) for row in ranked if row.rank is None]
        if absent:
            console.print(f"  not simulated on {when.isoformat()}: {', '.join(absent)}")
    console.print(f"wrote {out / 'race.html'}, {out / 'race.json'}")


def register(app: typer.Typer) -> None:
    """Add ``race`` to the command-line app."""
    app.command(name="race")(handle_errors(race))
