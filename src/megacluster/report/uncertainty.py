"""Uncertainty made visible: the finish date's distribution across Monte Carlo replicas, and a tornado chart
of what drives the finish date (its bars come from a sensitivity analysis, which the report is handed: the
report itself never re-runs a model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from megacluster.reliability.kinds import EventKind
from megacluster.report.layout import COLORS, Chart, base_layout
from megacluster.results.assemble import Results
from megacluster.results.story import local_times
from megacluster.units import SECONDS_PER_DAY

DAY_MS = SECONDS_PER_DAY * 1000.0
"""A day on a Plotly date axis. [ms]"""


def finish_times(results: Results) -> tuple[pd.Series, int]:
    """Each finished replica's finish (local standard time) and the number of replicas. [-]"""
    events = results.events
    replicas = results.summary.replicas
    if events.empty or "kind" not in events.columns:
        return pd.Series([], dtype="datetime64[ns]"), replicas
    done = events[events["kind"].astype("string") == EventKind.FINISH.value]
    done = done.sort_values("time").drop_duplicates("replica") if "replica" in done.columns else done
    offset = results.scenario.site.utc_offset_hours()
    return local_times(done["time"], offset).reset_index(drop=True), replicas


def finish_distribution_figure(results: Results) -> go.Figure:
    """Replicas finishing on each local day, with the P10, P50 and P90 finish dates marked. [replicas]"""
    times, replicas = finish_times(results)
    layout = base_layout(f"Finish date across {replicas} replicas", "replicas finishing that day")
    layout["hovermode"] = "closest"
    layout["xaxis"] = {"title": {"text": "local calendar day of the finish"}, "tickformat": "%Y-%m-%d"}
    fig = go.Figure(layout=layout)
    days = times.dt.floor("D").value_counts().sort_index()
    noon = days.index + pd.Timedelta(hours=12)  # each bar spans its whole day
    fig.add_trace(
        go.Bar(
            x=noon,
            y=days.to_numpy(),
            width=0.9 * DAY_MS,
            name="replicas finishing",
            marker_color=COLORS["training"],
        )
    )
    training = results.summary.training
    if training is None:
        return fig
    origin = pd.Timestamp(results.scenario.simulation.start.isoformat())
    for q, day in (
        ("P10", training.finish_day_p10),
        ("P50", training.finish_day_p50),
        ("P90", training.finish_day_p90),
    ):
        if day is None:
            continue
        at = origin + pd.Timedelta(days=day)
        fig.add_shape(
            type="line",
            x0=at,
            x1=at,
            y0=0,
            y1=1,
            xref="x",
            yref="paper",
            name=f"finish:{q}",
            line={
                "color": "#1a7f1a",
                "width": 1.5 if q == "P50" else 1,
                "dash": "solid" if q == "P50" else "dot",
            },
            label={"text": q, "textangle": -90, "textposition": "end", "font": {"size": 10}},
        )
    return fig


def finish_distribution_caption(results: Results) -> str:
    """The distribution's caption: how many replicas finished, and by when the others had not. [-]"""
    times, replicas = finish_times(results)
    sim = results.scenario.simulation
    end = pd.Timestamp(sim.start.isoformat()) + pd.Timedelta(days=sim.horizon_days)
    unfinished = replicas - len(times)
    text = f"Finish date of each replica (local calendar days): {len(times)} of {replicas} finished"
    if unfinished:
        text += f"; {unfinished} had not finished by the end of the horizon ({end:%Y-%m-%d})"
    return text + ". Lines: P10, P50 and P90 (unfinished replicas count as never)."


@dataclass(frozen=True)
class TornadoBar:
    """One uncertain assumption of a sensitivity analysis: the finish day with it at its low and at its high
    value, every other assumption at its base value. [d]"""

    driver: str
    """What varies, with its range in words, e.g. 'restart time 5–15 min'."""
    finish_day_low: float
    """Days from the simulation start to the finish with the driver at its low value. [d]"""
    finish_day_high: float
    """Days from the simulation start to the finish with the driver at its high value. [d]"""


def tornado_figure(bars: Sequence[TornadoBar], base_finish_day: float) -> go.Figure:
    """What drives the finish date: for each driver, the days it moves the finish from the base case (low
    and high value), widest swing on top. [d]"""
    ranked = sorted(bars, key=lambda b: abs(b.finish_day_high - b.finish_day_low))
    layout = base_layout(
        "What drives the finish date", "", height=max(260, 90 + 34 * len(ranked)), signed=True
    )
    layout["barmode"] = "overlay"
    layout["hovermode"] = "closest"
    layout["xaxis"] = {"title": {"text": "days earlier (−) or later (+) than the base case"}}
    fig = go.Figure(layout=layout)
    names = [b.driver for b in ranked]
    low = np.array([b.finish_day_low - base_finish_day for b in ranked])
    high = np.array([b.finish_day_high - base_finish_day for b in ranked])
    fig.add_trace(
        go.Bar(y=names, x=low, orientation="h", name="driver at its low value", marker_color="#6b8fb8")
    )
    fig.add_trace(
        go.Bar(y=names, x=high, orientation="h", name="driver at its high value", marker_color="#c0622b")
    )
    return fig


def uncertainty_charts(results: Results, tornado: Sequence[TornadoBar] = ()) -> list[Chart]:
    """The finish-date distribution (with several replicas) and the tornado chart (when a sensitivity
    analysis handed its bars). [-]"""
    charts = []
    training = results.summary.training
    if training is not None and results.summary.replicas > 1:
        charts.append(
            Chart(
                "chart-finish-distribution",
                finish_distribution_caption(results),
                finish_distribution_figure(results),
                time_chart=False,
            )
        )
    base = training.finish_day if training is not None else None
    if tornado and base is not None:
        caption = (
            "Each bar: the finish date with one assumption at the low or high end of its range, the others "
            "at their base values."
        )
        charts.append(Chart("chart-tornado", caption, tornado_figure(tornado, base), time_chart=False))
    return charts
