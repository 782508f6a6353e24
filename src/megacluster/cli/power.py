"""Command-line commands of the plant: ``megacluster size`` and ``megacluster power``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from megacluster.cli.kit import (
    HEATWAVE_HELP,
    MAX_MEMORY_HELP,
    MAX_TIME_HELP,
    Progress,
    handle_errors,
    print_json,
    simulation_overrides,
    work_limits,
)
from megacluster.errors import InputError, with_file

if TYPE_CHECKING:
    from megacluster.power.sizing import SizingResult


def register(app: typer.Typer) -> None:
    """Add the plant's commands to the ``megacluster`` app."""
    app.command("size")(size)
    app.command("power")(power)


@handle_errors
def power(
    scenario: str = typer.Argument(..., help="Scenario TOML file or preset name"),
    cooling: str | None = typer.Option(
        None, "--cooling", help="Cooling model: constant_pue, chiller_tower, chiller_air or dry_cooler"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON only"),
) -> None:
    """The plant at a glance: IT load from components, and the GPUs each step of the supply can run."""
    from rich.console import Console
    from rich.table import Table

    from megacluster.engine.sizing import power_outlook
    from megacluster.scenario.load import load_scenario

    overrides: dict[str, Any] = {"facility.cooling": cooling} if cooling is not None else {}
    sc = load_scenario(scenario, overrides)
    data = power_outlook(sc, sc.simulation.seed)
    if as_json:
        print_json(data)
        return
    console = Console()
    for f in data["fleets"]:
        parts = ", ".join(f"{k} {v:,.1f}" for k, v in f["it_mw"].items() if k != "total")
        console.print(
            f"[bold]{f['gpus']:,} x {f['accelerator']}[/bold]: IT load {f['it_mw']['total']:,.1f} MW "
            f"({f['it_per_gpu_w']:,.0f} W per GPU) = {parts} MW"
        )
    table = Table("from", "supply MW", "ambient °C", "PUE", "GPUs uncapped", "GPUs capped", "cap")
    for row in data["supply_steps"]:
        table.add_row(
            row["day"],
            f"{row['supply_mw']:,.1f}",
            f"{row['ambient_c']:.1f}",
            f"{row['pue']:.3f}",
            f"{row['gpus_uncapped']:,}",
            f"{row['gpus_capped']:,}",
            f"{row['cap_fraction']:.2f}",
        )
    console.print("GPUs each supply step runs through the worst hour of its first day (with outages):")
    console.print(table)


@handle_errors
def size(
    scenario: str = typer.Argument(..., help="Scenario TOML file or preset name"),
    target_gpus: int = typer.Option(
        ..., "--target-gpus", min=1, max=10_000_000, help="GPUs to keep powered at every step"
    ),
    unit: str | None = typer.Option(
        None, "--unit", help="Generator catalog id (default: the scenario's largest)"
    ),
    battery: int = typer.Option(
        0, "--battery", min=0, max=5, help="Also size a battery for 1..N fewer units"
    ),
    days: float | None = typer.Option(None, "--days", help="Horizon in days (default: the scenario's)"),
    start: str | None = typer.Option(
        None, "--start", help="First day, e.g. 2025-07-01 (default: the scenario's)"
    ),
    step: str | None = typer.Option(None, "--step", help="Time step, e.g. 5min, 1h"),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the forced outages"),
    reserve: int = typer.Option(1, "--reserve-units", min=0, max=20, help="Spinning reserve units (N+k)"),
    n_plus_1: bool = typer.Option(
        False, "--n-plus-1", help="Size with one grid transformer or feeder out ([power.interconnect])"
    ),
    heatwave: bool = typer.Option(False, "--heatwave", help=HEATWAVE_HELP),
    cooling: str | None = typer.Option(
        None, "--cooling", help="Cooling model: constant_pue, chiller_tower, chiller_air or dry_cooler"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON only"),
    max_memory: str | None = typer.Option(None, "--max-memory", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", help=MAX_TIME_HELP),
) -> None:
    """Smallest generator count (and optionally battery) that keeps N GPUs powered through the horizon."""
    from megacluster.engine.budget import check_work, estimate_plant_runs
    from megacluster.engine.sizing import size_plant
    from megacluster.power.sizing import sizing_evaluations
    from megacluster.scenario.load import load_scenario

    overrides = simulation_overrides(step=step, days=days, start=start)
    if cooling is not None:
        overrides["facility.cooling"] = cooling
    if heatwave:
        overrides["site.heatwave"] = True
    memory_limit, time_limit = work_limits(max_memory, max_time)
    sc = load_scenario(scenario, overrides)
    try:
        check_work(
            estimate_plant_runs(sc, sizing_evaluations(battery)),
            memory_limit,
            time_limit,
            what="sizing (one plant simulation per candidate count)",
        )
    except InputError as exc:
        raise with_file(exc, scenario) from None
    try:
        with Progress(sizing_evaluations(battery), "sizing: plant simulations") as bar:
            result = size_plant(
                sc,
                target_gpus,
                unit=unit,
                battery_tradeoffs=battery,
                seed=seed,
                reserve_units=reserve,
                n_plus_1=n_plus_1,
                on_run=bar.advance,
            )
    except ValueError as exc:
        field = "--n-plus-1" if "interconnect" in str(exc) else "--unit" if unit else None
        raise InputError(scenario, field, str(exc)) from None
    if as_json:
        print_json(result.to_dict())
        return
    _print_sizing(sc.name, result)


def _print_sizing(scenario_name: str, result: SizingResult) -> None:
    """The sizing answer as text: the peak it was sized for, then each feasible plant's yearly figures."""
    from rich.console import Console
    from rich.table import Table

    from megacluster.power.sizing import MAX_UNITS

    console = Console()
    console.print(
        f"[bold]{result.target_gpus:,} x {result.accelerator}[/bold] at {scenario_name}: "
        f"peak facility demand {result.peak_demand_mw:,.1f} MW at {result.peak_ambient_c:.1f} °C; "
        f"grid up to {result.grid_peak_mw:,.1f} MW; "
        f"one {result.unit} gives {result.derated_unit_mw:.2f} MW there ({result.unit_rating_mw:g} MW ISO)."
    )
    conditions = [
        f"air permit of the units: {result.permit}" if result.permit else "no air permit on the units",
        "N+1: one grid transformer or feeder out" if result.n_plus_1 else "grid at full strength",
        f"heat wave: {result.heatwave}" if result.heatwave else "typical weather",
    ]
    console.print("Sized with " + "; ".join(conditions) + ".")
    table = Table(
        "generators",
        "battery MWh",
        "CO2 t/yr (grid loc.+gen)",
        "NOx t/yr",
        "worst 12-mo NOx t",
        "worst 12-mo starts",
        "N-1 h at risk",
        "operating USD/yr",
        "capex USD",
    )
    for p in (q for q in (result.best, *result.battery_tradeoffs) if q is not None):
        if not p.feasible:
            table.add_row(str(p.generators), f"> {p.battery_mwh:,.0f}", *["-"] * 6, "not feasible")
            continue
        per = p.summary["per_year"]
        worst = {lim["kind"]: lim["worst"] for lim in p.summary.get("permit_limits", [])}
        table.add_row(
            str(p.generators),
            f"{p.battery_mwh:,.0f}",
            f"{per['co2_t']:,.0f}",
            f"{per['nox_t']:,.1f}",
            f"{worst['nox_t']:,.1f}" if "nox_t" in worst else "-",
            f"{worst['starts']:,.0f}" if "starts" in worst else "-",
            f"{p.summary.get('n_minus_1_hours_at_risk', 0.0):,.1f}",
            f"{per['operating_cost_usd']:,.0f}",
            f"{sum(p.summary['capex_usd'].values()):,.0f}",
        )
    if result.best is None:
        console.print(f"No count up to {MAX_UNITS:,} {result.unit} units meets every limit:")
        for limit in result.limits:
            console.print(f"  - {limit}")
    else:
        console.print(table)
    console.print(f"({result.evaluations} plant simulations, bisection over whole units)")
