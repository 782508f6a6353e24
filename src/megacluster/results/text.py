"""The run as readable text for the terminal (rich), from the results only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from megacluster.results.assemble import Results
from megacluster.results.format import dig, fmt
from megacluster.results.story import monthly_table, power_story


def print_results(results: Results, out_dir: Path | None, console: Console | None = None) -> None:
    """Print the key figures, the power story, a monthly table and the training outcome."""
    console = console or Console()
    s = results.summary
    console.print(f"[bold]{s['scenario']}[/bold] — {results.scenario.description.strip()}")
    console.print(
        f"{s['start_date']} + {s['horizon_days']:.0f} days, step {s['step_s']:.0f} s, seed {s['seed']}, "
        f"{s['replicas']} replica(s)"
    )
    figures = Table(title="Key figures", show_header=True)
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    figures.add_column("unit")
    rows = [
        ("GPUs installed (peak)", fmt(s.get("gpus_installed_peak")), "GPUs"),
        ("GPUs powered (mean)", fmt(s.get("gpus_powered_mean")), "GPUs"),
        ("IT power (peak)", fmt(s.get("it_power_peak_mw"), ",.1f"), "MW"),
        ("Facility power (peak)", fmt(s.get("facility_power_peak_mw"), ",.1f"), "MW"),
        ("Supply capacity (peak)", fmt(s.get("supply_capacity_peak_mw"), ",.1f"), "MW"),
        ("Energy, total", fmt(dig(s, "energy_mwh", "total")), "MWh"),
        ("  from the grid", fmt(dig(s, "energy_mwh", "grid")), "MWh"),
        ("  from generators", fmt(dig(s, "energy_mwh", "generators")), "MWh"),
        ("  from the battery", fmt(dig(s, "energy_mwh", "battery_discharge")), "MWh"),
        ("Unserved demand", fmt(s.get("unserved_energy_mwh")), "MWh"),
        ("CO2", fmt(dig(s, "emissions_t", "co2")), "t"),
        ("NOx", fmt(dig(s, "emissions_t", "nox"), ",.1f"), "t"),
    ]
    for key, label, unit in (
        ("fuel_mmbtu", "Fuel", "MMBtu"),
        ("water_m3", "Water", "m³"),
        ("curtailed_hours", "Hours curtailed", "h"),
    ):
        if key in s:
            rows.append((label, fmt(s[key]), unit))
    if isinstance(s.get("cost_usd"), dict):
        rows.append(("Cost, total", fmt(dig(s, "cost_usd", "total")), "USD"))
    homes = s.get("homes_equivalent")
    if isinstance(homes, dict):
        for k, v in homes.items():
            if isinstance(v, int | float):
                rows.append((f"Homes equivalent ({k})", fmt(v), "homes"))
    for row in rows:
        figures.add_row(*row)
    console.print(figures)
    console.print("[bold]Power[/bold]")
    for line in power_story(results):
        console.print(f"  {line}")
    monthly = monthly_table(results)
    table = Table(title="Month by month (means)", show_header=True)
    for col in ["month", "installed", "powered", "supply MW", "facility MW", "grid MW", "gen. MW"]:
        table.add_column(col, justify="right")
    for month, month_row in monthly.iterrows():
        stamp = month if isinstance(month, dt.date) else None
        table.add_row(
            stamp.strftime("%Y-%m") if stamp else str(month),
            fmt(month_row["gpus_installed_mean"]),
            fmt(month_row["gpus_powered_mean"]),
            fmt(month_row["supply_mw_mean"], ",.1f"),
            fmt(month_row["facility_mw_mean"], ",.1f"),
            fmt(month_row["grid_mw_mean"], ",.1f"),
            fmt(month_row["generators_mw_mean"], ",.1f"),
        )
    console.print(table)
    t = s.get("training")
    if isinstance(t, dict):
        console.print("[bold]Training[/bold]")
        for line in training_lines(t, int(s["replicas"])):
            console.print(f"  {line}")
    if out_dir is not None:
        console.print(f"Results written to {out_dir}/")


def training_lines(t: dict[str, Any], replicas: int) -> list[str]:
    """The training outcome in plain words: finish, band, MFU, and what the failures cost."""
    lines = []
    if not t.get("wall_hours"):
        return [
            f"The run did not start within the horizon (training.start is at or after its end): 0 of "
            f"{t['target_flop']:.3g} FLOP."
        ]
    if t.get("finished") and t.get("finish_day") is not None:
        lines.append(
            f"Finished on day {t['finish_day']:.1f} ({t['finish_date']}): {t['target_flop']:.3g} FLOP."
        )
    else:
        done = t["completed_flop"] / t["target_flop"] if t["target_flop"] else 0.0
        lines.append(
            f"Not finished in the horizon: {t['completed_flop']:.3g} of {t['target_flop']:.3g} FLOP "
            f"({done:.0%})."
        )
    if replicas > 1:
        band = [t.get(f"finish_date_p{q}") or "not finished" for q in (10, 50, 90)]
        lines.append(
            f"Finish date P10 / P50 / P90: {band[0]} / {band[1]} / {band[2]} "
            f"({t['finished_fraction']:.0%} of {replicas} replicas finished)."
        )
    lines.append(f"MFU {fmt(t.get('mfu'), '.1%')} ({t.get('throughput_source', '')}).")
    if t.get("layout"):
        keys = ("tp", "pp", "dp", "cp", "ep", "virtual_stages", "micro_batch", "recompute", "zero_stage")
        lines.append("Layout: " + ", ".join(f"{k}={t['layout'][k]}" for k in keys if k in t["layout"]) + ".")
    inter = t["interruptions"]
    lines.append(
        f"Interruptions: {inter['unexpected']} unexpected, {inter['planned']} planned "
        f"(checkpoint every {fmt(t.get('checkpoint_interval_min'), '.1f')} min)."
    )
    by_cause = inter.get("by_cause") or {}
    if any(by_cause.values()):
        top = sorted(((c, n) for c, n in by_cause.items() if n), key=lambda kv: -kv[1])
        shown = ", ".join(f"{cause} {count}" for cause, count in top[:8])
        rest = sum(count for _, count in top[8:])
        lines.append(f"By cause: {shown}" + (f", other {rest}." if rest else "."))
    wall = t.get("wall_hours") or 0.0
    held = wall - (t.get("waiting_hours") or 0.0)
    lines.append(
        f"What failures cost: goodput {t['goodput']:.1%} of {held:,.0f} h holding GPUs; "
        f"{t['lost_hours']:,.0f} h lost to interruptions (rework + restarts), "
        f"{t['checkpoint_overhead_hours']:,.0f} h writing checkpoints."
    )
    if replicas > 1:
        lines.append(
            f"Goodput P10-P90 {t['goodput_p10']:.1%}-{t['goodput_p90']:.1%}; unexpected interruptions "
            f"P10-P90 {t['interruptions_p10']:.0f}-{t['interruptions_p90']:.0f}."
        )
    return lines
