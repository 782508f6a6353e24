"""The ``swings`` command: seconds-scale power swings of the synchronous job before and after mitigation,
attached to the year-long run, and the smallest battery or GPU floor meeting the scenario's limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from megacluster.cli.kit import (
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

if TYPE_CHECKING:
    from megacluster.engine.swing_sizing import SwingSizing
    from megacluster.transients.summary import SwingsSummary

ROWS: tuple[tuple[str, str, str], ...] = (
    ("swing_mw", "swing, peak to peak", "MW"),
    ("swing_1s_mw", "swing of 1-s means", "MW"),
    ("ramp_max_mw_per_s", "largest ramp between samples", "MW/s"),
    ("ramp_p99_mw_per_s", "99th percentile ramp", "MW/s"),
    ("ramp_1s_mw_per_s", "largest ramp of 1-s means", "MW/s"),
    ("ramp_up_1min_mw_per_min", "largest rise of 1-min means", "MW/min"),
    ("ramp_down_1min_mw_per_min", "largest fall of 1-min means", "MW/min"),
    ("dominant_in_band_hz", "dominant frequency in the band", "Hz"),
    ("band_rms_mw", "RMS in the band", "MW"),
    ("band_energy_fraction", "share of fluctuation in the band", "-"),
)
"""The figures of each window, as (field of SwingSide, label, unit)."""


@handle_errors
def swings(
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="Scenario TOML file or preset name"),
    window: str | None = typer.Option(
        None,
        "--window",
        metavar="DURATION",
        help="Length of each window, e.g. 600s (default: the scenario's)",
    ),
    resolution: str | None = typer.Option(
        None, "--resolution", metavar="DURATION", help="Sample interval, e.g. 20ms (default: the scenario's)"
    ),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Seed (overrides [simulation] seed)"),
    days: float | None = typer.Option(None, "--days", metavar="DAYS", help="Horizon in days"),
    step: str | None = typer.Option(
        None, "--step", metavar="DURATION", help="Time step of the year-long run"
    ),
    sets: list[str] | None = typer.Option(None, "--set", metavar="FIELD=VALUE", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON only"),
    max_memory: str | None = typer.Option(None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP),
    max_time: str | None = typer.Option(None, "--max-time", metavar="DURATION", help=MAX_TIME_HELP),
) -> None:
    """Sub-second power swings of the training job before and after mitigation; size a battery or floor."""
    from megacluster.engine.budget import check_work, estimate_work
    from megacluster.engine.simulate import simulate
    from megacluster.engine.swing_sizing import size_swings
    from megacluster.errors import InputError, with_file
    from megacluster.scenario.load import load_scenario

    memory_limit, time_limit = work_limits(max_memory, max_time)
    overrides: dict[str, Any] = {
        **set_overrides(sets),
        **simulation_overrides(seed=seed, step=step, days=days, replicas=1),
    }
    if window is not None:
        overrides["transients.window"] = window
    if resolution is not None:
        overrides["transients.resolution"] = resolution
    model = load_scenario(scenario, overrides)
    if model.training is None:
        raise InputError(scenario, "training", "the scenario has no training run, so nothing swings")
    try:
        check_work(estimate_work(model), memory_limit, time_limit)
    except InputError as exc:
        raise with_file(exc, scenario) from None
    with Progress(None, f"simulating {model.name}") as bar:
        try:
            results = simulate(model)
        except InputError as exc:
            raise with_file(exc, scenario) from None
        if results.swings is None:
            raise InputError(
                scenario, "training.mfu", "the job's throughput is a constant MFU: no phase breakdown to draw"
            )
        bar.describe("sizing the mitigations")
        sizing = size_swings(model, results.swings)
    summary = results.swings.summary
    if as_json:
        from megacluster.results.writers import to_jsonable

        print_json(
            to_jsonable(
                {
                    "scenario": model.name,
                    "swings": summary.model_dump(mode="json"),
                    "sizing": sizing.to_dict() if sizing is not None else None,
                }
            )
        )
        return
    _print(model.name, summary, sizing)


def _value(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "-":
        return f"{value:.0%}"
    if unit == "Hz":
        return f"{value:.3g}"
    return f"{value:,.1f}"


def _print(name: str, s: SwingsSummary, sizing: SwingSizing | None) -> None:
    """The figures as text: one table per window, the battery's use, the island, the limits, the sizing."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from megacluster.results.swings import REGIME_WORDS, swing_lines

    console = Console()
    after = ", ".join(s.mitigations) or "no mitigation"
    console.print(
        f"[bold]{name}[/bold]: windows of {s.window_s:g} s at {s.resolution_s * 1000:g} ms "
        f"(a failure window adds the restart); mitigations: {after}"
    )
    for w in s.windows:
        table = Table(
            title=f"{REGIME_WORDS.get(w.regime, w.regime)} — {w.job_gpus:,} GPUs at {w.time}, cap "
            f"{w.cap_fraction:.2f}, iteration {w.iteration_s:.2f} s",
            show_header=True,
        )
        for col in ("figure", "unmitigated", "mitigated", "unit"):
            table.add_column(col, justify="left" if col == "figure" else "right")
        for key, label, unit in ROWS:
            table.add_row(
                label,
                _value(getattr(w.unmitigated, key), unit),
                _value(getattr(w.mitigated, key), unit),
                unit,
            )
        if w.battery is not None:
            table.add_row("battery cycles a day (if all day)", "-", f"{w.battery.cycles_per_day:.2f}", "1/d")
        console.print(table)
    for line in swing_lines(s):
        console.print(f"  {escape(line)}")
    if sizing is not None:
        for line in sizing_lines(sizing):
            console.print(f"  {escape(line)}")


def sizing_lines(z: SwingSizing) -> list[str]:
    """The sizing answer in plain words. [-]"""
    b, f = z.battery, z.floor
    control = f"ramp limiter at {z.ramp_mw_per_s:g} MW/s" if z.ramp_mw_per_s is not None else "low-pass"
    out = []
    if b.reachable and b.power_mw is not None and b.energy_mwh is not None:
        smaller = ""
        if b.failed_power_mw is not None and b.failed_energy_mwh is not None:
            smaller = (
                f"; {b.failed_power_mw:,.1f} MW or {b.failed_energy_mwh:,.2f} MWh fails "
                f"({b.evaluations} evaluations)"
            )
        out.append(
            f"Smallest site battery meeting the limits ({control}): {b.power_mw:,.1f} MW / "
            f"{b.energy_mwh:,.2f} MWh usable{smaller}. {b.note}".rstrip()
        )
    else:
        out.append(f"Site battery ({control}): {b.note}.")
    if f.reachable and f.floor_fraction is not None:
        failed = f"; {f.failed_floor_fraction:.1%} fails" if f.failed_floor_fraction is not None else ""
        out.append(
            "Smallest GPU power floor meeting the limits without a battery: "
            f"{f.floor_fraction:.1%} of TDP{failed}."
        )
    else:
        out.append(f"GPU power floor: {f.note}.")
    if z.note:
        out.append(z.note + ".")
    return out


def register(app: typer.Typer) -> None:
    """Add ``swings`` to the command-line app."""
    app.command(name="swings")(swings)
