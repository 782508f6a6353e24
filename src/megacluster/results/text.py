"""The run as readable text for the terminal (rich), from the results only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from megacluster.results.assemble import Results
from megacluster.results.costs import cost_lines
from megacluster.results.format import fmt
from megacluster.results.jobtext import layout_lines
from megacluster.results.keyfigures import key_figures
from megacluster.results.story import monthly_table
from megacluster.results.summary import TrainingSummary
from megacluster.results.swings import swing_lines
from megacluster.results.uncertainty import uncertainty_lines


def print_results(results: Results, out_dir: Path | None, console: Console | None = None) -> None:
    """Print the key figures, the power story, a monthly table and the training outcome."""
    console = console or Console()
    s = results.summary
    console.print(f"[bold]{s.scenario}[/bold] — {results.scenario.description.strip()}")
    console.print(
        f"{s.start_date} + {s.horizon_days:.0f} days, step {s.step_s:.0f} s, seed {s.seed}, "
        f"{s.replicas} replica(s)"
    )
    figures = Table(title="Key figures", show_header=True)
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    figures.add_column("unit")
    for figure in key_figures(s):
        if not figure.key.startswith("training."):
            figures.add_row(figure.label, figure.text, figure.unit)
    console.print(figures)
    console.print("[bold]Power[/bold]")
    for line in s.power_story.lines:
        console.print(f"  {line}")
    monthly = monthly_table(results.timeseries, results.scenario.site.utc_offset_hours())
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
    if s.training is not None:
        console.print("[bold]Training[/bold]")
        for line in training_lines(s.training, s.replicas):
            console.print(f"  {line}")
    if s.uncertainty is not None:
        console.print("[bold]Uncertain assumptions[/bold] (docs/uncertainty.md)")
        for line in uncertainty_lines(s.uncertainty):
            console.print(f"  {escape(line)}")
    if s.swings is not None:
        console.print("[bold]Power swings[/bold] (sub-second; docs/power-swings.md)")
        for line in swing_lines(s.swings):
            console.print(f"  {escape(line)}")
    if s.tco is not None:
        console.print("[bold]Cost[/bold]")
        for line in cost_lines(s.tco):
            console.print(f"  {escape(line)}")
    if out_dir is not None:
        console.print(f"Results written to {out_dir}/ — the report: {out_dir / 'report.html'}")


def training_lines(t: TrainingSummary, replicas: int) -> list[str]:
    """The training outcome in plain words: finish, band, MFU, and what the failures cost."""
    lines = []
    if not t.wall_hours:
        return [
            f"The run did not start within the horizon (training.start is at or after its end): 0 of "
            f"{t.target_flop:.3g} FLOP."
        ]
    if t.finished and t.finish_day is not None:
        lines.append(f"Finished on day {t.finish_day:.1f} ({t.finish_date}): {t.target_flop:.3g} FLOP.")
    else:
        done = t.completed_flop / t.target_flop if t.target_flop else 0.0
        lines.append(
            f"Not finished in the horizon: {t.completed_flop:.3g} of {t.target_flop:.3g} FLOP ({done:.0%})."
        )
    if replicas > 1:
        band = [d or "not finished" for d in (t.finish_date_p10, t.finish_date_p50, t.finish_date_p90)]
        lines.append(
            f"Finish date P10 / P50 / P90: {band[0]} / {band[1]} / {band[2]} "
            f"({t.finished_fraction:.0%} of {replicas} replicas finished)."
        )
    lines.append(f"MFU {fmt(t.mfu, '.1%')} ({t.throughput_source}).")
    if t.layout is not None:
        lay = t.layout
        lines.append(
            f"Layout: tp={lay.tp}, pp={lay.pp}, dp={lay.dp}, cp={lay.cp}, ep={lay.ep}, "
            f"virtual_stages={lay.virtual_stages}, micro_batch={lay.micro_batch}, "
            f"recompute={lay.recompute.value}, zero_stage={lay.zero_stage}."
        )
    inter = t.interruptions
    lines.append(
        f"Interruptions: {inter.unexpected} unexpected, {inter.planned} planned "
        f"(checkpoint every {fmt(t.checkpoint_interval_min, '.1f')} min)."
    )
    top = sorted(((c, n) for c, n in inter.by_cause.items() if n), key=lambda kv: -kv[1])
    if top:
        shown = ", ".join(f"{cause} {count}" for cause, count in top[:8])
        rest = sum(count for _, count in top[8:])
        lines.append(f"By cause: {shown}" + (f", other {rest}." if rest else "."))
    held = t.wall_hours - t.waiting_hours
    lines.append(
        f"What failures cost: goodput {t.goodput:.1%} of {held:,.0f} h holding GPUs; "
        f"{t.lost_hours:,.0f} h lost to interruptions (rework + restarts), "
        f"{t.checkpoint_overhead_hours:,.0f} h writing checkpoints."
    )
    lines.extend(layout_lines(t))
    if replicas > 1 and t.goodput_p10 is not None and t.goodput_p90 is not None:
        lines.append(
            f"Goodput P10-P90 {t.goodput_p10:.1%}-{t.goodput_p90:.1%}; unexpected interruptions "
            f"P10-P90 {t.interruptions_p10:.0f}-{t.interruptions_p90:.0f}."
        )
    return lines
