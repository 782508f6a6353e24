"""What every chart of the report, the comparison and the dashboard shares: colours, the base layout (legend
below the plot, so that it never covers the title at any width; non-negative axes never below zero), small
trace helpers and the :class:`Chart` record (a figure, or one line saying why there is none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

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
    "co2_grid": "#6b8fb8",
    "co2_generators": "#c0622b",
    "nox": "#8a8a00",
    "permit": "#b00020",
}
"""One colour per quantity, the same in every chart."""

CHART_HEIGHT_PX = 400
"""Height of a chart: room for the plot, a two-row legend below it and the marker labels. [px]"""

LEGEND_BELOW = {
    "orientation": "h",
    "x": 0.0,
    "xanchor": "left",
    "y": 0.0,
    "yanchor": "bottom",
    "yref": "container",
}
"""The legend sits at the bottom of the figure, below the x axis and its title (placed against the figure,
``yref: container``, so that Plotly grows the bottom margin to fit it): it wraps downwards at narrow widths
and never covers the title or the axis labels."""


def base_layout(
    title: str, y_title: str, height: int = CHART_HEIGHT_PX, signed: bool = False
) -> dict[str, Any]:
    """Common layout: white template, title top left, legend below the plot, unified hover on x; the y axis
    starts at zero (``rangemode: nonnegative``, also when every value is 0) unless the quantity is
    ``signed``. [-]"""
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 70, "r": 70, "t": 50, "b": 40},
        "legend": dict(LEGEND_BELOW),
        "hovermode": "x unified",
        "yaxis": {"title": {"text": y_title}, "rangemode": "normal" if signed else "nonnegative"},
    }


def second_axis(title: str, signed: bool = False) -> dict[str, Any]:
    """A right-hand y axis over the first (``yaxis2``), non-negative unless ``signed``. [-]"""
    return {
        "title": {"text": title},
        "overlaying": "y",
        "side": "right",
        "showgrid": False,
        "tickmode": "auto",
        "rangemode": "normal" if signed else "nonnegative",
    }


def time_axis_title(utc_offset_h: float) -> dict[str, Any]:
    """The x axis of a time chart: the site's local standard time, with its offset from UTC. [-]"""
    return {"title": {"text": f"site local standard time ({utc_label(utc_offset_h)}, no daylight saving)"}}


def utc_label(utc_offset_h: float) -> str:
    """``UTC−6``, ``UTC+5:30``, ``UTC``. [-]"""
    if utc_offset_h == 0:
        return "UTC"
    sign = "+" if utc_offset_h > 0 else "−"
    hours = int(abs(utc_offset_h))
    minutes = round((abs(utc_offset_h) - hours) * 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def column(ts: pd.DataFrame, name: str) -> np.ndarray | None:
    """A column as float32, or None when the series does not have it. [-]"""
    if name not in ts.columns:
        return None
    return np.asarray(ts[name], dtype=np.float32)


def line(x: Any, y: Any, name: str, color: str, width: float = 1.6, **kw: Any) -> go.Scatter:
    """A plain line trace. [-]"""
    return go.Scatter(x=x, y=y, name=name, mode="lines", line={"color": color, "width": width}, **kw)


@dataclass(frozen=True)
class Chart:
    """One chart: a stable element id, what it shows (its caption) and its figure; without a figure the
    caption is the one line that says why the chart is left out (no battery, no training run)."""

    id: str
    caption: str
    figure: go.Figure | None
    time_chart: bool = True
    """Whether its x axis is the run's time (it then gets the event markers). [-]"""
