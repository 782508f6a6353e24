"""The charts of one run, built from its (downsampled) time series — ``time`` in the site's local standard
time — its events and its summary; shared by the report, the static export and the dashboard.

Each function takes plain data and returns a ``plotly.graph_objects.Figure``; missing optional columns
leave their trace out, never the chart. A chart with nothing to show (no battery, no training run) is
replaced by one line saying why (:class:`megacluster.report.layout.Chart` without a figure).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from megacluster.reliability.kinds import EventKind
from megacluster.report.environment import climate_figure, emissions_caption, emissions_figure
from megacluster.report.layout import COLORS, Chart, base_layout, column, line, second_axis
from megacluster.results.assemble import Results
from megacluster.results.story import local_times

# Re-exported for the modules that drew on them here before.
__all__ = ["COLORS", "REPORT_CHARTS", "Chart", "base_layout", "report_charts"]


def gpus_figure(ts: pd.DataFrame) -> go.Figure:
    """GPUs installed, powered and held by the training job over time. [GPUs]"""
    fig = go.Figure(layout=base_layout("GPUs installed, powered and training", "GPUs"))
    for name, label, color in (
        ("gpus_installed", "installed", COLORS["installed"]),
        ("gpus_powered", "powered", COLORS["powered"]),
        ("job_gpus", "training job", COLORS["training"]),
    ):
        y = column(ts, name)
        if y is not None:
            fig.add_trace(line(ts["time"], y, label, color, 4.0 if name == "gpus_powered" else 1.6))
    return fig


def curtailed_steps(ts: pd.DataFrame) -> np.ndarray | None:
    """Where GPUs were curtailed for want of power: the engine's ``curtailed`` flag (any step in a bucket),
    else installed GPUs above powered GPUs. [bool]"""
    flag = column(ts, "curtailed")
    if flag is not None:
        return np.asarray(flag > 0)
    installed, powered = column(ts, "gpus_installed"), column(ts, "gpus_powered")
    if installed is None or powered is None:
        return None
    return np.asarray(installed - powered > 0.5)


def _supply_stack(ts: pd.DataFrame) -> list[go.Scatter]:
    battery = column(ts, "battery_mw")
    stack = [
        ("grid", COLORS["grid"], column(ts, "grid_mw")),
        ("generators", COLORS["generators"], column(ts, "generators_mw")),
        ("battery discharge", COLORS["battery"], None if battery is None else np.clip(battery, 0, None)),
    ]
    if battery is None or not float(np.nanmax(battery, initial=0.0)) > 0:  # no battery, or never discharged
        stack.pop()
    return [
        go.Scatter(
            x=ts["time"],
            y=y,
            name=label,
            mode="lines",
            stackgroup="supply",
            line={"width": 0.5, "color": color},
        )
        for label, color, y in stack
        if y is not None
    ]


def supply_figure(ts: pd.DataFrame) -> go.Figure:
    """Supply stacked by source (grid, generators, battery discharge) against facility demand; demand left
    unserved (curtailed GPUs) stacked on top in red, and the times GPUs were curtailed marked by a red bar.
    [MW]"""
    fig = go.Figure(layout=base_layout("Power supply by source against demand", "MW"))
    x = ts["time"]
    for trace in _supply_stack(ts):
        fig.add_trace(trace)
    served, unserved = column(ts, "facility_power_mw"), column(ts, "unserved_mw")
    if unserved is not None and served is not None and float(np.nanmax(unserved, initial=0.0)) > 0:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=unserved,
                name="curtailed (unserved demand)",
                mode="lines",
                stackgroup="supply",
                line={"width": 0.5, "color": COLORS["curtailed"]},
                fillpattern={"shape": "/", "fgcolor": COLORS["curtailed"]},
            )
        )
    full = column(ts, "demand_full_mw")
    if full is None and served is not None:
        full = served + (unserved if unserved is not None else 0.0)
    if full is not None:
        fig.add_trace(line(x, full, "facility demand", COLORS["demand"], line_dash="dot"))
    capacity = column(ts, "supply_capacity_mw")
    if capacity is not None:
        fig.add_trace(line(x, capacity, "supply capacity", COLORS["capacity"], line_dash="dash"))
    short = curtailed_steps(ts)
    if short is not None and np.any(short):
        top = max((float(np.nanmax(a)) for a in (capacity, served) if a is not None and len(a)), default=1.0)
        fig.add_trace(
            line(
                x,
                np.where(short, top * 1.04, np.nan),
                "GPUs curtailed",
                COLORS["curtailed"],
                5.0,
                hoverinfo="skip",
            )
        )
    return fig


def battery_figure(ts: pd.DataFrame) -> go.Figure:
    """Battery state of charge and its power (positive = discharge, negative = charge). [MWh], [MW]"""
    layout = base_layout("Battery state of charge and power", "MWh")
    layout["yaxis2"] = second_axis("MW (+ discharge, − charge)", signed=True)
    fig = go.Figure(layout=layout)
    soc = column(ts, "battery_soc_mwh")
    fig.add_trace(
        line(ts["time"], soc if soc is not None else np.zeros(len(ts)), "state of charge", COLORS["battery"])
    )
    power = column(ts, "battery_mw")
    if power is not None:
        fig.add_trace(line(ts["time"], power, "power", COLORS["capacity"], yaxis="y2", opacity=0.6))
    return fig


def training_figure(ts: pd.DataFrame, target_flop: float | None) -> go.Figure:
    """Cumulative model FLOP against the target, with the P10–P90 band across replicas. [FLOP]"""
    fig = go.Figure(layout=base_layout("Training progress", "FLOP"))
    x = ts["time"]
    p10, p90 = column(ts, "cumulative_flop_p10"), column(ts, "cumulative_flop_p90")
    if p10 is not None and p90 is not None:
        fig.add_trace(go.Scatter(x=x, y=p10, name="P10", mode="lines", line={"width": 0}, showlegend=False))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=p90,
                name="P10–P90",
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(44,160,44,0.2)",
            )
        )
    median = column(ts, "cumulative_flop_p50")
    flop = median if median is not None else column(ts, "cumulative_flop")
    if flop is not None:
        fig.add_trace(
            line(x, flop, "cumulative FLOP" + (" (P50)" if median is not None else ""), COLORS["training"])
        )
    if target_flop and len(x):
        ends = [x.iloc[0], x.iloc[-1]]
        fig.add_trace(
            line(ends, np.array([target_flop, target_flop]), "target", COLORS["curtailed"], line_dash="dash")
        )
    return fig


INTERRUPTIONS = frozenset(kind.value for kind in EventKind if kind.is_interruption)
"""Event kinds the summary counts as interruptions (a power-loss suspend is not one)."""

MAX_CAUSES = 8
"""Causes drawn separately; the rarer ones are summed as 'other'. [-]"""


def interruption_counts(events: pd.DataFrame, replica: int = 0, utc_offset_h: float = 0.0) -> pd.DataFrame:
    """Interruptions of one replica per local calendar day and cause: columns ``day``, ``cause``,
    ``count``."""
    empty = pd.DataFrame({"day": [], "cause": [], "count": []})
    if events.empty or not {"cause", "time", "kind"} <= set(events.columns):
        return empty
    ev = events[events["replica"] == replica] if "replica" in events.columns else events
    ev = ev[ev["kind"].astype("string").fillna("").isin(list(INTERRUPTIONS))]
    if ev.empty:
        return empty
    day = local_times(ev["time"], utc_offset_h).dt.floor("D")
    return ev.assign(day=day.to_numpy()).groupby(["day", "cause"]).size().rename("count").reset_index()


def interruptions_figure(counts: pd.DataFrame) -> go.Figure:
    """Interruptions of the training job per day, stacked by cause (first replica). [-]"""
    layout = base_layout("Interruptions per day by cause", "interruptions per day")
    layout["barmode"] = "stack"
    layout["hovermode"] = "closest"
    fig = go.Figure(layout=layout)
    totals = counts.groupby("cause")["count"].sum().sort_values(ascending=False)
    if len(totals) > MAX_CAUSES:
        rare = set(totals.index[MAX_CAUSES - 1 :])
        counts = counts.assign(cause=counts["cause"].where(~counts["cause"].isin(rare), "other"))
        counts = counts.groupby(["day", "cause"])["count"].sum().reset_index()
        totals = counts.groupby("cause")["count"].sum().sort_values(ascending=False)
    for cause in totals.index:
        part = counts[counts["cause"] == cause]
        fig.add_trace(go.Bar(x=part["day"], y=part["count"], name=str(cause)))
    return fig


REPORT_CHARTS: tuple[tuple[str, str], ...] = (
    ("chart-gpus", "GPUs installed, powered and held by the training job."),
    (
        "chart-supply",
        "Supply by source against demand; red: demand that could not be served (GPUs curtailed).",
    ),
    ("chart-battery", "Battery state of charge and power (positive: discharge)."),
    (
        "chart-climate",
        "Ambient temperature (band: each day's minimum to maximum) and facility overhead (facility power "
        "minus IT power, daily mean); zoom in to three weeks or less for the hourly series.",
    ),
    ("chart-training", "Cumulative model FLOP against the target (P10–P90 band across replicas)."),
    ("chart-interruptions", "Interruptions of the training job per day, by root cause (first replica)."),
    ("chart-emissions", "Cumulative CO2 by source and NOx."),
)
"""Element id and caption of every run chart, in page order."""

NO_TRAINING = "No training run in this scenario ([training] is not set): no {what} chart."


def _why_not(results: Results, cid: str) -> str | None:
    """The one line that replaces a chart with nothing to show, or None. [-]"""
    summary = results.summary
    if cid == "chart-battery" and summary.power_story.battery_energy_mwh <= 0:
        return "No battery in this scenario ([power.battery] is not set): no battery chart."
    if cid == "chart-training" and summary.training is None:
        return NO_TRAINING.format(what="training progress")
    if cid == "chart-interruptions":
        if summary.training is None:
            return NO_TRAINING.format(what="interruptions")
        if summary.training.interruptions.unexpected + summary.training.interruptions.planned == 0:
            return "The training job was never interrupted in this run: no interruptions chart."
    return None


def report_charts(results: Results, ts: pd.DataFrame) -> list[Chart]:
    """Every run chart, from the results and their downsampled series (``time`` local). [-]"""
    training = results.summary.training
    target = float(training.target_flop) if training is not None and training.target_flop else None
    offset = results.scenario.site.utc_offset_hours()
    builders: dict[str, Callable[[], go.Figure]] = {
        "chart-gpus": lambda: gpus_figure(ts),
        "chart-supply": lambda: supply_figure(ts),
        "chart-battery": lambda: battery_figure(ts),
        "chart-climate": lambda: climate_figure(ts),
        "chart-training": lambda: training_figure(ts, target),
        "chart-interruptions": lambda: interruptions_figure(interruption_counts(results.events, 0, offset)),
        "chart-emissions": lambda: emissions_figure(ts, results.summary),
    }
    charts = []
    for cid, caption in REPORT_CHARTS:
        why = _why_not(results, cid)
        if why is not None:
            charts.append(Chart(cid, why, None))
            continue
        if cid == "chart-emissions":
            caption = emissions_caption(results.summary)
        charts.append(Chart(cid, caption, builders[cid]()))
    return charts
