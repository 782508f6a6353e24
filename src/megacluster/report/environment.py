"""The climate and emissions charts: ambient temperature as daily min–max bands with the facility overhead as
a daily mean (hourly detail when zoomed in), and cumulative CO2 split by source with NOx.

CO2 convention (the engine's, stated on the chart): grid electricity at the scenario's dated grid carbon
intensity (location-based, scope 2) plus the fuel burnt on site (scope 1); no upstream methane, no embodied
carbon. The time series holds the total per step (``co2_t``) and the fuel (``fuel_mmbtu``); the on-site part
of each step is its fuel times the run's own on-site factor (summary CO2 from generators / summary fuel), the
grid part the rest, so that both parts add up to the summary's totals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from megacluster.report.layout import COLORS, base_layout, column, line, second_axis
from megacluster.results.summary import Summary

ZOOM_DETAIL_DAYS = 21.0
"""Zoomed in to this span or less, the climate chart shows the hourly series instead of daily bands. [d]"""

DETAIL, OVERVIEW = "detail", "overview"
"""``meta`` of the traces shown zoomed in (hourly) and zoomed out (daily); the page's script swaps them."""


def daily(ts: pd.DataFrame, name: str) -> pd.DataFrame:
    """Daily min, mean and max of a column over local calendar days (``time`` is local). [-]"""
    frame = pd.DataFrame({"time": pd.to_datetime(ts["time"]), "v": np.asarray(ts[name], dtype=np.float64)})
    grouped = frame.groupby(frame["time"].dt.floor("D"))["v"]
    return pd.DataFrame({"min": grouped.min(), "mean": grouped.mean(), "max": grouped.max()})


def _band(days: pd.DataFrame, name: str, color: str, fill: str) -> list[go.Scatter]:
    low = go.Scatter(
        x=days.index,
        y=days["min"].to_numpy(np.float32),
        name=f"{name} min",
        mode="lines",
        line={"width": 0.6, "color": color},
        showlegend=False,
        meta=OVERVIEW,
        legendgroup=name,
    )
    high = go.Scatter(
        x=days.index,
        y=days["max"].to_numpy(np.float32),
        name=name,
        mode="lines",
        line={"width": 0.6, "color": color},
        fill="tonexty",
        fillcolor=fill,
        meta=OVERVIEW,
        legendgroup=name,
    )
    return [low, high]


def climate_figure(ts: pd.DataFrame) -> go.Figure:
    """Ambient temperature, daily min–max band, and facility overhead (facility − IT power), daily mean;
    hourly (bucketed) series of both, hidden until zoomed in to ``ZOOM_DETAIL_DAYS``. [°C], [MW]"""
    layout = base_layout("Ambient temperature and facility overhead", "°C", signed=True)
    layout["yaxis2"] = second_axis("overhead MW")
    layout["meta"] = {"zoom_detail_days": ZOOM_DETAIL_DAYS}
    fig = go.Figure(layout=layout)
    ambient = column(ts, "ambient_c")
    facility, it = column(ts, "facility_power_mw"), column(ts, "it_power_mw")
    if ambient is not None and len(ts):
        for trace in _band(
            daily(ts, "ambient_c"), "ambient °C, daily min–max", COLORS["ambient"], "rgba(227,119,194,0.25)"
        ):
            fig.add_trace(trace)
        fig.add_trace(
            line(
                ts["time"], ambient, "ambient °C (hourly)", COLORS["ambient"], 1.0, visible=False, meta=DETAIL
            )
        )
    if facility is not None and it is not None and len(ts):
        overhead = ts.assign(overhead=facility - it)
        days = daily(overhead, "overhead")
        fig.add_trace(
            line(
                days.index,
                days["mean"].to_numpy(np.float32),
                "overhead MW, daily mean",
                COLORS["overhead"],
                2.0,
                yaxis="y2",
                meta=OVERVIEW,
            )
        )
        fig.add_trace(
            line(
                ts["time"],
                facility - it,
                "overhead MW (hourly)",
                COLORS["overhead"],
                1.0,
                yaxis="y2",
                visible=False,
                meta=DETAIL,
            )
        )
    return fig


def generator_co2_factor_t_per_mmbtu(summary: Summary) -> float:
    """The run's on-site CO2 per unit of fuel: summary CO2 from generators / summary fuel. [t/MMBtu]"""
    return summary.emissions_t.co2_generators / summary.fuel_mmbtu if summary.fuel_mmbtu > 0 else 0.0


def co2_by_source(ts: pd.DataFrame, summary: Summary) -> tuple[np.ndarray, np.ndarray]:
    """CO2 of each step from the grid and from on-site generation (see the module's convention). [t]"""
    total = np.nan_to_num(np.asarray(ts.get("co2_t", pd.Series(np.zeros(len(ts)))), dtype=np.float64))
    fuel = np.nan_to_num(np.asarray(ts.get("fuel_mmbtu", pd.Series(np.zeros(len(ts)))), dtype=np.float64))
    generators = np.minimum(fuel * generator_co2_factor_t_per_mmbtu(summary), total)
    return total - generators, generators


def emissions_caption(summary: Summary) -> str:
    """What the emissions chart shows, with the run's totals by source. [-]"""
    e = summary.emissions_t
    factor_kg = generator_co2_factor_t_per_mmbtu(summary) * 1000.0
    onsite = f" (fuel × {factor_kg:.1f} kg CO2/MMBtu)" if factor_kg > 0 else ""
    return (
        f"Cumulative CO2 by source, stacked: {e.co2:,.0f} t in all = {e.co2_grid:,.0f} t from grid "
        "electricity (location-based, at the scenario's dated grid carbon intensity; scope 2) + "
        f"{e.co2_generators:,.0f} t "
        f"from on-site generation{onsite} (scope 1); no upstream methane, no embodied carbon. NOx "
        f"({e.nox:,.1f} t, right axis) is from on-site generation only." + _other_conventions(summary)
    )


def _other_conventions(summary: Summary) -> str:
    """The same total with the grid counted market-based and at the marginal rate (summary.grid). [t]"""
    g, e = summary.grid, summary.emissions_t
    if g is None:
        return ""
    return (
        f" Counted market-based (grid at {g.market_kg_per_mwh:,.0f} kg/MWh) the total is "
        f"{e.co2_market_based:,.0f} t; at the marginal rate ({g.marginal_kg_per_mwh:,.0f} kg/MWh), "
        f"{e.co2_marginal:,.0f} t."
    )


def emissions_figure(ts: pd.DataFrame, summary: Summary) -> go.Figure:
    """Cumulative CO2 stacked by source (grid, on-site generation) and cumulative NOx. [t]"""
    layout = base_layout("Cumulative emissions by source", "t CO2")
    layout["yaxis2"] = second_axis("t NOx")
    fig = go.Figure(layout=layout)
    grid, generators = co2_by_source(ts, summary)
    stack: dict[str, Any] = {"mode": "lines", "stackgroup": "co2"}
    fig.add_trace(
        go.Scatter(
            x=ts["time"],
            y=np.cumsum(grid).astype(np.float32),
            name="CO2 from grid electricity",
            line={"width": 0.5, "color": COLORS["co2_grid"]},
            **stack,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=ts["time"],
            y=np.cumsum(generators).astype(np.float32),
            name="CO2 from on-site generation",
            line={"width": 0.5, "color": COLORS["co2_generators"]},
            **stack,
        )
    )
    nox = column(ts, "nox_t")
    if nox is not None:
        cumulative = np.nancumsum(nox).astype(np.float32)
        fig.add_trace(
            line(
                ts["time"],
                cumulative,
                "NOx (on-site generation)",
                COLORS["nox"],
                2.0,
                yaxis="y2",
                line_dash="dash",
            )
        )
    return fig
