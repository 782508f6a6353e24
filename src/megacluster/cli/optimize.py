"""``megacluster optimize``: the least-cost build of a scenario (PyPSA + HiGHS), written as a PyPSA NetCDF
network, ``optimize.json`` and the build as a scenario (``build.toml``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from megacluster.cli.kit import (
    FORCE_HELP,
    MAX_MEMORY_HELP,
    MAX_TIME_HELP,
    SET_HELP,
    handle_errors,
    print_json,
    set_overrides,
    simulation_overrides,
    work_limits,
)

if TYPE_CHECKING:
    from megacluster.economics.result import OptimizeResult

INSTALL_HINT = "pip install 'megacluster[optimize]' (or, in a checkout, uv sync --extra optimize)"

MAX_HOURS = 3 * 8784
"""Longest span solved: three years of hourly snapshots; longer is refused before any work. [h]"""


def _require_solver() -> None:
    """InputError with the install hint when PyPSA, linopy or HiGHS is missing."""
    from megacluster.errors import InputError

    for module in ("pypsa", "linopy", "highspy"):
        try:
            __import__(module)
        except ImportError:
            raise InputError(
                "optimize",
                None,
                f"the least-cost build needs PyPSA and the HiGHS solver ({module} is missing): "
                f"{INSTALL_HINT}",
            ) from None


def _overrides(
    sets: list[str] | None,
    days: float | None,
    start: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    out = {**set_overrides(sets), **simulation_overrides(days=days, start=start)}
    for key, value in options.items():
        if value is not None:
            out[key] = value
    return out


def optimize(
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="Scenario TOML file or preset name"),
    as_json: bool = typer.Option(False, "--json", help="Print optimize.json on stdout and nothing else"),
    co2_price: float | None = typer.Option(
        None,
        "--co2-price",
        metavar="USD_PER_T",
        min=0,
        max=10_000,
        help="Carbon price on grid and on-site CO2",
    ),
    co2_cap: float | None = typer.Option(
        None, "--co2-cap", metavar="T", min=0, max=1e9, help="CO2 cap over the horizon, grid and on-site [t]"
    ),
    solar: bool = typer.Option(False, "--solar", help="Offer solar PV as a candidate (pvlib profile)"),
    target_gpus: int | None = typer.Option(
        None, "--target-gpus", metavar="N", min=1, max=10_000_000, help="Power at most N GPUs (default: all)"
    ),
    dispatch: str | None = typer.Option(
        None, "--dispatch", metavar="RULE", help="merit_order (the scenario's, default) or least_cost"
    ),
    relax: bool = typer.Option(False, "--relax", help="Continuous unit counts instead of whole units"),
    resolution: str | None = typer.Option(
        None,
        "--resolution",
        metavar="STEP",
        help="Snapshot length: auto (default: 1h up to 122 days, 3h for a year), 1h, 2h, 3h or 6h",
    ),
    check: bool = typer.Option(
        False, "--check", help="Feed the build back into the simulator and compare energy by source"
    ),
    days: float | None = typer.Option(None, "--days", metavar="DAYS", help="Horizon in days"),
    start: str | None = typer.Option(None, "--start", metavar="DATE", help="First day, e.g. 2025-01-01"),
    sets: list[str] | None = typer.Option(None, "--set", metavar="FIELD=VALUE", help=SET_HELP),
    out: Path | None = typer.Option(
        None, "--out", metavar="DIR", help="Output folder (default runs/<name>-optimize/)"
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", metavar="DURATION", help=MAX_TIME_HELP),
) -> None:
    """Least-cost build (turbines bought or rented by the month, battery, optional solar) that powers the
    scenario's GPUs, with the value of lost load set by the GPUs' idle capital; solved with PyPSA + HiGHS."""
    from megacluster.errors import InputError, with_file
    from megacluster.results.outdir import OutputKind, check_output, output_lock, write_output

    options = {
        "economics.co2_price_usd_per_t": co2_price,
        "economics.optimize.co2_cap_t": co2_cap,
        "economics.optimize.solar": True if solar else None,
        "economics.optimize.target_gpus": target_gpus,
        "economics.optimize.dispatch": dispatch,
        "economics.optimize.whole_units": False if relax else None,
        "economics.optimize.resolution": resolution,
    }
    model = _load_plant(scenario, _overrides(sets, days, start, options))
    hours = model.simulation.horizon_days * 24.0
    if hours > MAX_HOURS:
        raise InputError(scenario, "simulation.horizon_days", f"optimize solves at most {MAX_HOURS:,} hours")
    if check and model.economics is not None and model.economics.optimize.target_gpus is not None:
        raise InputError(scenario, "--check", "the check simulates every installed GPU: drop --target-gpus")
    _require_solver()
    from megacluster.engine.optimize import prepare_site

    try:
        site = prepare_site(model, *work_limits(max_memory, max_time))
    except InputError as exc:
        raise with_file(exc, scenario) from None
    default = Path("runs") / f"{model.name}-optimize"
    target = check_output(out, default=default, kind=OutputKind.OPTIMIZE, force=force)
    with output_lock(target):
        try:
            network, result, built = _solve(model, site, check)
        except InputError as exc:
            raise with_file(exc, scenario) from None
        write_output(target, lambda folder: _write(folder, network, result, built))
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    _print_result(result, out if out is not None else default)


def _load_plant(source: str, overrides: dict[str, Any]) -> Any:
    """The scenario without its training job: the least-cost build powers the installed GPUs at full training
    power, and its check simulates the plant alone, so the job's dates must not limit the horizon."""
    from megacluster.scenario.load import read_scenario_dict, scenario_from_dict, set_dotted

    data, label = read_scenario_dict(source)
    for key, value in overrides.items():
        set_dotted(data, key, value, label)
    data.pop("training", None)
    return scenario_from_dict(data, label)


def _solve(model: Any, site: Any, check: bool) -> tuple[Any, OptimizeResult, Any]:
    from megacluster.engine.buildcheck import check_build, scenario_with_build
    from megacluster.engine.optimize import optimize_scenario

    network, result, site = optimize_scenario(model, site)
    built = scenario_with_build(model, result, site)
    if check:
        result = result.model_copy(update={"check": check_build(model, result, site)})
    return network, result, built


def _write(folder: Path, network: Any, result: OptimizeResult, built: Any) -> None:
    """network.nc (PyPSA NetCDF), optimize.json and build.toml into a staging folder."""
    import json
    import logging

    from megacluster.scenario.load import scenario_to_toml

    log = logging.getLogger("pypsa")
    level = log.level
    log.setLevel(logging.WARNING)  # PyPSA logs each export at INFO; the command says what it wrote
    try:
        network.export_to_netcdf(str(folder / "network.nc"))
    finally:
        log.setLevel(level)
    (folder / "optimize.json").write_text(
        json.dumps(result.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
    )
    (folder / "build.toml").write_text(
        "# The least-cost build of 'megacluster optimize' as a scenario: megacluster run build.toml\n"
        + scenario_to_toml(built),
        encoding="utf-8",
    )


def _print_result(result: OptimizeResult, out_dir: Path) -> None:
    from rich.console import Console
    from rich.markup import escape

    from megacluster.cli.optimize_text import build_table, check_table, summary_lines

    console = Console()
    console.print(
        f"[bold]Least-cost build of {escape(result.scenario)}[/bold] ({result.hours:,} hours from "
        f"{result.start_date}, solved in {result.step_h:g}-hour snapshots)"
    )
    console.print(build_table(result))
    for line in summary_lines(result):
        console.print(f"  {escape(line)}")
    if result.check is not None:
        console.print(check_table(result.check))
    console.print(
        f"wrote {out_dir / 'network.nc'} (PyPSA NetCDF), {out_dir / 'optimize.json'} and "
        f"{out_dir / 'build.toml'} (megacluster run {out_dir / 'build.toml'})"
    )


def register(app: typer.Typer) -> None:
    """Add ``optimize`` to the command-line app."""
    app.command(name="optimize")(handle_errors(optimize))
