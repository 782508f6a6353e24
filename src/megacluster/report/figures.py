"""The charts of one run, built from its (downsampled) time series, its events and its summary.

Each function takes plain data and returns a ``plotly.graph_objects.Figure``; missing optional columns
leave their trace out, never the chart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from megacluster.reliability.kinds import EventKind
from megacluster.results.assemble import Results

COLORS = {
    "installed": "#7f7f7f",
    "powered": "#1f77b4",
    "training": "#2ca02c",
    "grid": "#1f77b4",
    "generators": "#ff7f0e",
    "battery": "#2ca02c",
    "demand": "#111111",
    "capacity": "#9467bd",
    "curtailed": "#d62728",
    "ambient": "#e377c2",
    "overhead": "#8c564b",
    "co2": "#444444",
    "nox": "#bcbd22",
}


def base_layout(title: str, y_title: str, height: int = 380) -> dict[str, Any]:
    """Common layout: white template, legend on top, unified hover on time. [-]"""
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 70, "r": 70, "t": 60, "b": 40},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1.0, "xanchor": "right"},
        "hovermode": "x unified",
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
    }


def _col(ts: pd.DataFrame, name: str) -> np.ndarray | None:
    if name not in ts.columns:
        return None
    return np.asarray(ts[name], dtype=np.float32)


def _line(x: Any, y: np.ndarray, name: str, color: str, line_width: float = 1.6, **kw: Any) -> go.Scatter:
    return go.Scatter(x=x, y=y, name=name, mode="lines", line={"color": color, "width": line_width}, **kw)


def gpus_figure(ts: pd.DataFrame) -> go.Figure:
    """GPUs installed, powered and held by the training job over time. [GPUs]"""
    fig = go.Figure(layout=base_layout("GPUs installed, powered and training", "GPUs"))
    for column, label, color in (
        ("gpus_installed", "installed", COLORS["installed"]),
        ("gpus_powered", "powered", COLORS["powered"]),
        ("job_gpus", "training job", COLORS["training"]),
    ):
        y = _col(ts, column)
        if y is not None:
            width = 4.0 if column == "gpus_powered" else 1.6
            fig.add_trace(_line(ts["time"], y, label, color, line_width=width))
    return fig


def curtailed_steps(ts: pd.DataFrame) -> np.ndarray | None:
    """Where GPUs were curtailed for want of power: the engine's ``curtailed`` flag (any step in a bucket),
    else installed GPUs above powered GPUs. [bool]"""
    flag = _col(ts, "curtailed")
    if flag is not None:
        return np.asarray(flag > 0)
    installed, powered = _col(ts, "gpus_installed"), _col(ts, "gpus_powered")
    if installed is None or powered is None:
        return None
    return np.asarray(installed - powered > 0.5)


def supply_figure(ts: pd.DataFrame) -> go.Figure:
    """Supply stacked by source (grid, generators, battery discharge) against facility demand; demand left
    unserved (curtailed GPUs) stacked on top in red, and the times GPUs were curtailed marked by a red bar.
    [MW]"""
    fig = go.Figure(layout=base_layout("Power supply by source against demand", "MW"))
    x = ts["time"]
    battery = _col(ts, "battery_mw")
    stack = [
        ("grid_mw", "grid", COLORS["grid"], _col(ts, "grid_mw")),
        ("generators_mw", "generators", COLORS["generators"], _col(ts, "generators_mw")),
        (
            "battery_mw",
            "battery discharge",
            COLORS["battery"],
            None if battery is None else np.clip(battery, 0, None),
        ),
    ]
    for _, label, color, y in stack:
        if y is not None:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    name=label,
                    mode="lines",
                    stackgroup="supply",
                    line={"width": 0.5, "color": color},
                )
            )
    served = _col(ts, "facility_power_mw")
    unserved = _col(ts, "unserved_mw")
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
    full = _col(ts, "demand_full_mw")
    if full is not None:
        fig.add_trace(_line(x, full, "facility demand", COLORS["demand"], line_dash="dot"))
    elif served is not None:
        demand = served + (unserved if unserved is not None else 0.0)
        fig.add_trace(_line(x, demand, "facility demand", COLORS["demand"], line_dash="dot"))
    capacity = _col(ts, "supply_capacity_mw")
    if capacity is not None:
        fig.add_trace(_line(x, capacity, "supply capacity", COLORS["capacity"], line_dash="dash"))
    short = curtailed_steps(ts)
    if short is not None and np.any(short):
        tops = [float(np.nanmax(a)) for a in (capacity, served) if a is not None and len(a)]
        top = max(tops, default=1.0)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.where(short, top * 1.04, np.nan),
                name="GPUs curtailed",
                mode="lines",
                line={"color": COLORS["curtailed"], "width": 5},
                hoverinfo="skip",
            )
        )
    return fig


def battery_figure(ts: pd.DataFrame) -> go.Figure:
    """Battery state of charge and its power (positive = discharge). [MWh], [MW]"""
    layout = base_layout("Battery state of charge", "MWh")
    layout["yaxis2"] = {
        "title": {"text": "MW (+ discharge)"},
        "overlaying": "y",
        "side": "right",
        "showgrid": False,
    }
    fig = go.Figure(layout=layout)
    soc = _col(ts, "battery_soc_mwh")
    fig.add_trace(
        _line(ts["time"], soc if soc is not None else np.zeros(len(ts)), "state of charge", COLORS["battery"])
    )
    power = _col(ts, "battery_mw")
    if power is not None:
        fig.add_trace(_line(ts["time"], power, "power", COLORS["capacity"], yaxis="y2", opacity=0.6))
    return fig


def climate_figure(ts: pd.DataFrame) -> go.Figure:
    """Ambient temperature and facility overhead (facility power − IT power). [°C], [MW]"""
    layout = base_layout("Ambient temperature and facility overhead", "°C")
    layout["yaxis"]["rangemode"] = "normal"
    layout["yaxis2"] = {
        "title": {"text": "overhead MW"},
        "overlaying": "y",
        "side": "right",
        "showgrid": False,
    }
    fig = go.Figure(layout=layout)
    ambient = _col(ts, "ambient_c")
    if ambient is not None:
        fig.add_trace(_line(ts["time"], ambient, "ambient °C", COLORS["ambient"]))
    facility, it = _col(ts, "facility_power_mw"), _col(ts, "it_power_mw")
    if facility is not None and it is not None:
        fig.add_trace(
            _line(ts["time"], facility - it, "overhead (facility − IT) MW", COLORS["overhead"], yaxis="y2")
        )
    return fig


def training_figure(ts: pd.DataFrame, target_flop: float | None) -> go.Figure:
    """Cumulative model FLOP against the target, with the P10–P90 band across replicas. [FLOP]"""
    fig = go.Figure(layout=base_layout("Training progress", "FLOP"))
    x = ts["time"]
    p10, p90 = _col(ts, "cumulative_flop_p10"), _col(ts, "cumulative_flop_p90")
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
    median = _col(ts, "cumulative_flop_p50")
    flop = median if median is not None else _col(ts, "cumulative_flop")
    if flop is not None:
        fig.add_trace(_line(x, flop, "cumulative FLOP" + (" (P50)" if median is not None else ""), "#2ca02c"))
    if target_flop:
        fig.add_trace(
            _line(
                [x.iloc[0], x.iloc[-1]] if len(x) else [],
                np.array([target_flop, target_flop]),
                "target",
                COLORS["curtailed"],
                line_dash="dash",
            )
        )
    return fig


INTERRUPTIONS = frozenset(kind.value for kind in EventKind if kind.is_interruption)
"""Event kinds the summary counts as interruptions (a power-loss suspend is not one)."""

MAX_CAUSES = 8
"""Causes drawn separately; the rarer ones are summed as 'other'. [-]"""


def interruption_counts(events: pd.DataFrame, replica: int = 0) -> pd.DataFrame:
    """Interruptions of one replica per day and cause: columns ``day`` (date), ``cause``, ``count``. [-]"""
    if events.empty or "cause" not in events.columns or "time" not in events.columns:
        return pd.DataFrame({"day": [], "cause": [], "count": []})
    ev = events
    if "replica" in ev.columns:
        ev = ev[ev["replica"] == replica]
    if "kind" not in ev.columns:
        return pd.DataFrame({"day": [], "cause": [], "count": []})
    ev = ev[ev["kind"].astype("string").fillna("").isin(list(INTERRUPTIONS))]
    if ev.empty:
        return pd.DataFrame({"day": [], "cause": [], "count": []})
    day = pd.to_datetime(ev["time"]).dt.floor("D")
    counts = ev.assign(day=day).groupby(["day", "cause"]).size().rename("count").reset_index()
    return counts


def interruptions_figure(events: pd.DataFrame, ts: pd.DataFrame) -> go.Figure:
    """Interruptions of the training job per day, stacked by cause (first replica). [-]"""
    layout = base_layout("Interruptions per day by cause", "interruptions per day")
    layout["barmode"] = "stack"
    layout["hovermode"] = "closest"
    fig = go.Figure(layout=layout)
    counts = interruption_counts(events)
    if counts.empty:
        x = [ts["time"].iloc[0], ts["time"].iloc[-1]] if len(ts) else []
        fig.add_trace(go.Bar(x=x, y=[0] * len(x), name="no interruptions"))
        return fig
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


def emissions_figure(ts: pd.DataFrame) -> go.Figure:
    """Cumulative CO2 and NOx of the on-site generators. [t]"""
    layout = base_layout("Cumulative emissions", "t CO2")
    layout["yaxis2"] = {"title": {"text": "t NOx"}, "overlaying": "y", "side": "right", "showgrid": False}
    fig = go.Figure(layout=layout)
    co2, nox = _col(ts, "co2_t"), _col(ts, "nox_t")
    zeros = np.zeros(len(ts))
    fig.add_trace(_line(ts["time"], np.nancumsum(co2 if co2 is not None else zeros), "CO2", COLORS["co2"]))
    fig.add_trace(
        _line(ts["time"], np.nancumsum(nox if nox is not None else zeros), "NOx", COLORS["nox"], yaxis="y2")
    )
    return fig


@dataclass(frozen=True)
class Chart:
    """One chart of the report: a stable element id, what it shows and its figure."""

    id: str
    caption: str
    figure: go.Figure


REPORT_CHARTS: tuple[tuple[str, str], ...] = (
    ("chart-gpus", "GPUs installed, powered and held by the training job."),
    (
        "chart-supply",
        "Supply by source against demand; red: demand that could not be served (GPUs curtailed).",
    ),
    ("chart-battery", "Battery state of charge and power."),
    ("chart-climate", "Ambient temperature and facility overhead (facility power minus IT power)."),
    ("chart-training", "Cumulative model FLOP against the target (P10–P90 band across replicas)."),
    ("chart-interruptions", "Interruptions of the training job per day, by root cause (first replica)."),
    ("chart-emissions", "Cumulative CO2 and NOx from on-site generation."),
)
"""Element id and caption of every report chart, in page order."""


def report_charts(results: Results, ts: pd.DataFrame) -> list[Chart]:
    """Every chart of the report, from the results and their downsampled time series."""
    training = results.summary.training
    target = training.target_flop if training is not None else None
    builders: dict[str, Callable[[], go.Figure]] = {
        "chart-gpus": lambda: gpus_figure(ts),
        "chart-supply": lambda: supply_figure(ts),
        "chart-battery": lambda: battery_figure(ts),
        "chart-climate": lambda: climate_figure(ts),
        "chart-training": lambda: training_figure(ts, float(target) if target else None),
        "chart-interruptions": lambda: interruptions_figure(results.events, ts),
        "chart-emissions": lambda: emissions_figure(ts),
    }
    return [Chart(id=cid, caption=caption, figure=builders[cid]()) for cid, caption in REPORT_CHARTS]
