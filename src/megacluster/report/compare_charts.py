"""The charts of ``compare.html``: the compute race by calendar date, GPUs powered and FLOP accumulated
overlaid, and energy and emissions per unit of compute charged to the training job.

Built from each scenario's Results only (the catalog supplies the accelerators' peak FLOP/s).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from megacluster.report.downsample import downsample
from megacluster.report.intensity import JOB_SHARE_NOTE, job_intensity
from megacluster.report.layout import LEGEND_BELOW, Chart, base_layout
from megacluster.report.race import campus_series, compute_race_figure
from megacluster.results.assemble import Results
from megacluster.units import SECONDS_PER_DAY

COMPARE_MAX_POINTS = 4000
"""Most points per scenario and series in compare.html. [-]"""

COMPARE_CHARTS = (
    "compare-race",
    "compare-gpus",
    "compare-flop",
    "compare-flop-elapsed",
    "compare-intensity",
)
"""Element ids of the comparison charts, in page order."""

PER_COMPUTE = (
    ("energy_mwh_per_1e24_flop", "Energy per 10²⁴ FLOP (job's share)", "MWh"),
    ("co2_t_per_1e24_flop", "CO2 per 10²⁴ FLOP (job's share)", "t"),
    ("nox_t_per_1e24_flop", "NOx per 10²⁴ FLOP (job's share)", "t"),
)
"""Key, label and unit of the per-compute figures (see :mod:`megacluster.report.intensity`)."""


def color(i: int) -> str:
    """The i-th scenario's colour, the same in every chart. [-]"""
    palette = qualitative.D3
    return palette[i % len(palette)]


def _intensity_figure(results: Sequence[Results], names: list[str]) -> go.Figure:
    """Energy, CO2 and NOx per 10^24 model FLOP charged to the job, one bar per scenario."""
    fig = make_subplots(
        rows=1, cols=3, subplot_titles=[f"{label} [{unit}]" for _, label, unit in PER_COMPUTE]
    )
    fig.update_layout(
        title={"text": "Energy and emissions per unit of compute (the job's share)", "x": 0.01},
        template="plotly_white",
        height=400,
        showlegend=False,
        margin={"l": 60, "r": 30, "t": 90, "b": 40},
    )
    fig.update_yaxes(rangemode="nonnegative")
    ratios = [job_intensity(r).per_yflop() for r in results]
    for col, (key, _, _) in enumerate(PER_COMPUTE, start=1):
        values = [np.nan if q[key] is None else q[key] for q in ratios]
        bar = go.Bar(x=names, y=values, marker_color=[color(i) for i in range(len(names))], name=key)
        fig.add_trace(bar, row=1, col=col)
    return fig


def _days_since_start(ts: pd.DataFrame) -> np.ndarray:
    times = pd.to_datetime(ts["time"])
    if not len(ts):
        return np.zeros(0)
    return np.asarray((times - times.iloc[0]).dt.total_seconds() / SECONDS_PER_DAY)


def _overlays(results: Sequence[Results], names: list[str]) -> tuple[go.Figure, go.Figure, go.Figure]:
    elapsed = {"xaxis": {"title": {"text": "days since the scenario's start"}}}
    gpus = go.Figure(layout=base_layout("GPUs powered (installed dotted)", "GPUs") | elapsed)
    flop = go.Figure(layout=base_layout("Model FLOP committed by the training job, by date", "FLOP"))
    flop.update_layout(xaxis={"title": {"text": "date (UTC)"}})
    flop_elapsed = go.Figure(layout=base_layout("Model FLOP committed since the start", "FLOP") | elapsed)
    for i, (name, r) in enumerate(zip(names, results, strict=True)):
        ts = downsample(r.timeseries, max_points=COMPARE_MAX_POINTS)
        days, solid = _days_since_start(ts), {"color": color(i), "width": 2}
        if "gpus_powered" in ts:
            gpus.add_trace(
                go.Scatter(x=days, y=np.asarray(ts["gpus_powered"]), name=name, mode="lines", line=solid)
            )
        if "gpus_installed" in ts:
            dotted = {"color": color(i), "dash": "dot", "width": 1}
            y = np.asarray(ts["gpus_installed"])
            gpus.add_trace(go.Scatter(x=days, y=y, name=f"{name} (installed)", mode="lines", line=dotted))
        cumulative = ts.get("cumulative_flop_p50", ts.get("cumulative_flop"))
        if cumulative is None or r.summary.training is None:
            continue
        y = np.asarray(cumulative, dtype=np.float64)
        flop.add_trace(go.Scatter(x=ts["time"], y=y, name=name, mode="lines", line=solid))
        flop_elapsed.add_trace(go.Scatter(x=days, y=y, name=name, mode="lines", line=solid))
        target, dashed = r.summary.training.target_flop, {"color": color(i), "dash": "dash", "width": 1}
        if len(ts):
            ends = [ts["time"].iloc[0], ts["time"].iloc[-1]]
            flop.add_trace(
                go.Scatter(x=ends, y=[target] * 2, name=f"{name} target", mode="lines", line=dashed)
            )
            elapsed_ends = [0, days[-1]]
            flop_elapsed.add_trace(
                go.Scatter(x=elapsed_ends, y=[target] * 2, name=f"{name} target", mode="lines", line=dashed)
            )
    return gpus, flop, flop_elapsed


def race_caption(results: Sequence[Results]) -> str:
    """What the compute-race chart counts, with each scenario's MFU. [-]"""
    mfus = []
    for r in results:
        mfu = r.summary.training.mfu if r.summary.training is not None else None
        mfus.append(f"{r.scenario.name} {mfu:.1%}" if mfu else f"{r.scenario.name} dense peak (no job MFU)")
    return (
        "Effective training compute online, daily means by calendar date: every powered GPU at the fleet's "
        "dense peak FLOP/s at the training precision, times the training job's MFU from the performance "
        f"model ({'; '.join(mfus)}) and its throughput under power caps; below, the same accumulated from "
        "each scenario's start. Diamonds: sourced public milestones of each campus (hollow: planned; hover "
        "for the source); the full list is under the chart."
    )


def compare_charts(results: Sequence[Results], names: list[str]) -> list[Chart]:
    """The comparison's charts, in :data:`COMPARE_CHARTS` order. [-]"""
    colors = [color(i) for i in range(len(results))]
    race = compute_race_figure([campus_series(r, n) for r, n in zip(results, names, strict=True)], colors)
    gpus, flop, flop_elapsed = _overlays(results, names)
    for fig in (gpus, flop, flop_elapsed):
        fig.update_layout(legend=dict(LEGEND_BELOW))
    captions = (
        race_caption(results),
        "Powered GPUs (solid) and installed GPUs (dotted) of each scenario.",
        "Model FLOP committed by each training job by calendar date (P50 across replicas when several); "
        "targets dashed.",
        "The same, against days since each scenario's start.",
        f"Facility energy, CO2 (grid and on-site) and NOx per 10²⁴ model FLOP, {JOB_SHARE_NOTE}.",
    )
    figures = (race, gpus, flop, flop_elapsed, _intensity_figure(results, names))
    return [
        Chart(cid, cap, fig, time_chart=False)
        for cid, cap, fig in zip(COMPARE_CHARTS, captions, figures, strict=True)
    ]
