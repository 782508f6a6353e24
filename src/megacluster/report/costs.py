"""The report's "Costs" section: the cost paragraph, the cost breakdown over the run (capital charge by what
it buys, rentals and operating costs) and the daily cost of stranded compute. Built from ``summary.tco``
and the run's series only."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from megacluster.economics.tco import TcoSummary
from megacluster.report.layout import COLORS, Chart, base_layout, column
from megacluster.report.page import table
from megacluster.report.sections import ReportContext
from megacluster.results.costs import cost_lines
from megacluster.units import SECONDS_PER_DAY

CAPITAL_COLOR = "#4c72b0"
OPERATING_COLOR = "#dd8452"
MUSD = 1e6
"""Charts show millions of dollars. [USD]"""


def cost_rows(tco: TcoSummary) -> list[tuple[str, float, str]]:
    """(label, USD over the run, kind) of every part of the total, largest first; parts that are zero are
    left out. [USD]"""
    c, o = tco.capital_charge_usd, tco.operating_usd
    parts = [
        ("GPU servers (capital charge)", c.gpus, "capital"),
        ("network (capital charge)", c.network, "capital"),
        ("buildings and cooling (capital charge)", c.facility, "capital"),
        ("substation and grid (capital charge)", c.grid, "capital"),
        ("bought generators (capital charge)", c.generators, "capital"),
        ("battery (capital charge)", c.battery, "capital"),
        ("generator rent", o.generator_rentals, "operating"),
        ("grid energy", o.grid_energy, "operating"),
        ("fuel", o.fuel, "operating"),
        ("generator and battery O&M", o.generator_om + o.battery_om, "operating"),
        ("demand charges", o.demand_charges, "operating"),
        ("carbon price", o.co2, "operating"),
    ]
    return sorted((p for p in parts if p[1] > 0), key=lambda p: -p[1])


def cost_breakdown_figure(tco: TcoSummary) -> go.Figure:
    """Horizontal bars of every part of the run's cost, capital charges and operating costs coloured apart.
    [USD]"""
    rows = cost_rows(tco)[::-1]
    layout = base_layout(f"What the campus cost over {tco.span_days:.0f} days", "")
    layout.update(hovermode="closest", showlegend=False, margin={"l": 260, "r": 40, "t": 50, "b": 50})
    layout["xaxis"] = {"title": {"text": "million USD over the run"}, "rangemode": "nonnegative"}
    layout["yaxis"] = {"automargin": True}
    fig = go.Figure(layout=layout)
    fig.add_trace(
        go.Bar(
            x=[r[1] / MUSD for r in rows],
            y=[r[0] for r in rows],
            orientation="h",
            marker={"color": [CAPITAL_COLOR if r[2] == "capital" else OPERATING_COLOR for r in rows]},
            hovertemplate="%{y}: $%{x:,.1f} M<extra></extra>",
        )
    )
    return fig


def stranded_daily_usd(ts: pd.DataFrame, usd_per_gpu_day: float) -> pd.Series | None:
    """GPU capital idle per day: installed GPUs minus powered GPUs at their throughput, at the fleet's mean
    capital charge per GPU-day (the report's view of ``tco.stranded``). [USD/d]"""
    installed, powered = column(ts, "gpus_installed"), column(ts, "gpus_powered")
    if installed is None or powered is None or len(ts) < 2:
        return None
    tput = column(ts, "throughput_factor")
    delivered = powered * (tput if tput is not None else 1.0)
    idle = np.clip(installed.astype(np.float64) - delivered, 0.0, None)
    times = pd.to_datetime(ts["time"])
    step_s = float((times.iloc[1] - times.iloc[0]).total_seconds())
    usd = pd.Series(idle * usd_per_gpu_day * step_s / SECONDS_PER_DAY, index=times)
    return usd.resample("1D").sum()


def stranded_figure(ts: pd.DataFrame, tco: TcoSummary) -> go.Figure | None:
    """The daily cost of stranded compute. [USD/d]"""
    daily = stranded_daily_usd(ts, tco.stranded.gpu_usd_per_gpu_day)
    if daily is None:
        return None
    fig = go.Figure(
        layout=base_layout("GPU capital idle for lack of power or cooling, per day", "million USD/day")
    )
    fig.add_trace(
        go.Bar(
            x=daily.index,
            y=daily.to_numpy() / MUSD,
            name="stranded compute",
            marker={"color": COLORS["curtailed"]},
        )
    )
    return fig


def cost_charts(ctx: ReportContext) -> list[Chart]:
    """The section's charts (none without a TCO block)."""
    tco = ctx.results.summary.tco
    if tco is None:
        return []
    stranded = stranded_figure(ctx.ts, tco)
    return [
        Chart(
            "chart-costs",
            "Cost over the run: capital charged at the discount rate over each asset's life (blue) and "
            "operating costs and rent (orange); assumptions below the chart.",
            cost_breakdown_figure(tco),
            time_chart=False,
        ),
        Chart(
            "chart-stranded",
            "Daily capital charge of installed GPUs that were switched off or capped for lack of power or "
            "cooling.",
            stranded,
            time_chart=False,
        ),
    ]


def costs_section(ctx: ReportContext) -> str:
    """The "Costs" section ("" without a TCO block)."""
    tco = ctx.results.summary.tco
    if tco is None:
        return ""
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in cost_lines(tco))
    rows = [(label, f"{usd / MUSD:,.1f}", kind) for label, usd, kind in cost_rows(tco)]
    rows.append(("total", f"{tco.total_usd / MUSD:,.1f}", ""))
    return "\n".join(
        [
            '<h2 id="costs">Costs</h2>',
            f'<ul id="costs-story">{lines}</ul>',
            *(ctx.chart_html(chart) for chart in cost_charts(ctx)),
            table(("part", "million USD", "kind"), rows, "cost-table", numeric=(1,)),
        ]
    )
