"""The compute race: effective training compute online over calendar time — FLOP/s delivered by each campus
and the FLOP accumulated — for several simulated campuses side by side, with their sourced public
milestones as markers, so that "who had the most compute when" is read off the simulations.

Reusable: :func:`campus_series` turns any run's Results into a :class:`CampusSeries`;
:func:`compute_race_figure` draws any number of them with any milestones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from megacluster.report.downsample import downsample
from megacluster.report.layout import LEGEND_BELOW
from megacluster.report.milestones import Milestone, campus_of, milestones_for
from megacluster.results.assemble import Results
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_DAY

EFLOP = 1e18
"""FLOP/s per EFLOP/s. [FLOP/s]"""


def mean_peak_flop_s(scenario: Scenario) -> float:
    """Dense peak of the fleet's accelerators at the training precision (BF16 without training),
    averaged over the delivered GPUs. [FLOP/s per GPU]"""
    precision = scenario.training.precision.value if scenario.training else "bf16"
    total = 0.0
    count = 0
    for delivery in scenario.fleet:
        accel = scenario.fleet_accelerator(delivery)
        try:
            peak = accel.peak_flop_s(precision)
        except ValueError:
            peak = accel.peak_flop_s("bf16")
        total += peak * delivery.count
        count += delivery.count
    return total / count if count else 0.0


@dataclass(frozen=True)
class CampusSeries:
    """One campus's effective training compute, day by day: 24-hour buckets from the scenario's start (the
    site's local midnights, as UTC times)."""

    label: str
    campus: str | None
    """Campus id of ``data/milestones.toml`` (None: a campus without milestones)."""
    days: pd.DatetimeIndex
    effective_flop_s: np.ndarray
    """Powered GPUs × dense peak × MFU × throughput under power caps, daily mean. [FLOP/s]"""
    cumulative_flop: np.ndarray
    """The same, accumulated from the scenario's start to the end of each day. [FLOP]"""
    mfu: float | None
    """The MFU used (the job's; None: dense peak, no training job). [-]"""


def campus_series(results: Results, label: str | None = None) -> CampusSeries:
    """A run's effective training compute online: every powered GPU at the dense peak of the fleet, times the
    training job's MFU (from the performance model) and its throughput factor under power caps, daily. [-]"""
    ts = results.timeseries
    mfu = results.summary.training.mfu if results.summary.training is not None else None
    powered = np.asarray(ts["gpus_powered"], dtype=np.float64) if "gpus_powered" in ts else np.zeros(len(ts))
    factor = np.asarray(ts["throughput_factor"], dtype=np.float64) if "throughput_factor" in ts else 1.0
    rate = np.nan_to_num(powered * factor) * mean_peak_flop_s(results.scenario) * (mfu if mfu else 1.0)
    frame = pd.DataFrame(
        {"time": ts["time"], "rate_flop_s": rate, "cumulative_flop": np.cumsum(rate * results.summary.step_s)}
    )
    daily = downsample(frame, max_points=100_000, min_bucket_s=SECONDS_PER_DAY)
    campus = campus_of(results.scenario.name)
    return CampusSeries(
        label=label or results.scenario.name,
        campus=campus.id if campus else None,
        days=pd.DatetimeIndex(pd.to_datetime(daily["time"])),
        effective_flop_s=np.asarray(daily["rate_flop_s"], dtype=np.float64),
        cumulative_flop=np.asarray(daily["cumulative_flop"], dtype=np.float64),
        mfu=mfu,
    )


def _at(series: CampusSeries, values: np.ndarray, when: pd.Timestamp) -> float | None:
    """The series' value on a day, or None outside its window. [-]"""
    if not len(series.days) or when < series.days[0] or when > series.days[-1] + pd.Timedelta(days=1):
        return None
    return float(values[max(0, int(series.days.searchsorted(when, side="right")) - 1)])


def _milestone_trace(
    series: CampusSeries, placed: Sequence[tuple[int, Milestone, float]], color: str
) -> go.Scatter:
    """The milestones on a campus's curve: a diamond each (hollow: planned), numbered as in the list. [-]"""
    text = [
        f"{n}. {m.when}: {m.what}<br>[{m.tag.value}] {m.source}" + (" (planned)" if m.planned else "")
        for n, m, _ in placed
    ]
    return go.Scatter(
        x=[pd.Timestamp(m.date, tz="UTC") for _, m, _ in placed],
        y=[y / EFLOP for _, _, y in placed],
        mode="markers+text",
        text=[str(n) for n, _, _ in placed],
        textposition="top center",
        textfont={"size": 10, "color": color},
        name=f"{series.label}: public milestones",
        marker={
            "symbol": ["diamond-open" if m.planned else "diamond" for _, m, _ in placed],
            "size": 11,
            "color": color,
            "line": {"width": 1, "color": "#222"},
        },
        hovertext=text,
        hoverinfo="text",
        meta="milestones",
    )


def _milestone_owners(
    campuses: Sequence[CampusSeries], milestones: Sequence[Milestone]
) -> dict[Milestone, tuple[int, float]]:
    """Which series draws each milestone, and at what value: of the series of its campus whose window holds
    its date, the one that starts last (the campus's latest state: a 2025 event on colossus-2025, not on
    colossus-2024). Milestones outside every window are left out. [-, FLOP/s]"""
    owner: dict[Milestone, tuple[int, float]] = {}
    for m in milestones:
        when = pd.Timestamp(m.date, tz="UTC")
        best: tuple[int, float] | None = None
        for i, series in enumerate(campuses):
            at = _at(series, series.effective_flop_s, when) if m.campus == series.campus else None
            if at is not None and (best is None or series.days[0] > campuses[best[0]].days[0]):
                best = (i, at)
        if best is not None:
            owner[m] = best
    return owner


EFFECTIVE_TITLES = (
    "The compute race: effective training compute by date",
    "Effective training compute online",
)
"""Figure title and top panel's title of the compute-race chart of ``compare`` (effective FLOP/s). [-]"""


def compute_race_figure(
    campuses: Sequence[CampusSeries],
    colors: Sequence[str],
    milestones: Sequence[Milestone] | None = None,
    titles: tuple[str, str] = EFFECTIVE_TITLES,
) -> go.Figure:
    """Effective FLOP/s online (top) and FLOP accumulated (bottom) by calendar date for each campus, with
    each campus's milestones (diamonds; hollow: planned) on its curves. ``milestones`` default: those of
    ``data/milestones.toml`` for the campuses shown; ``titles``: the figure's and the top panel's (what the
    series measure, e.g. the race's reference job). [EFLOP/s], [FLOP]"""
    if milestones is None:
        milestones = milestones_for([c.campus for c in campuses if c.campus])
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[f"{titles[1]} [EFLOP/s]", "Compute accumulated [FLOP]"],
    )
    fig.update_layout(
        title={"text": titles[0], "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=640,
        margin={"l": 70, "r": 30, "t": 80, "b": 40},
        legend=dict(LEGEND_BELOW),
        hovermode="closest",
    )
    fig.update_yaxes(rangemode="nonnegative")
    fig.update_xaxes(title_text="date (UTC)", row=2, col=1)
    numbers = {id(m): n for n, m in enumerate(milestones, start=1)}
    owner = _milestone_owners(campuses, milestones)
    for i, (series, color) in enumerate(zip(campuses, colors, strict=True)):
        line = {"color": color, "width": 2}
        y = series.effective_flop_s / EFLOP
        top = go.Scatter(
            x=series.days, y=y, name=series.label, mode="lines", line=line, legendgroup=series.label
        )
        fig.add_trace(top, row=1, col=1)
        bottom = go.Scatter(
            x=series.days,
            y=series.cumulative_flop,
            name=series.label,
            mode="lines",
            line=line,
            legendgroup=series.label,
            showlegend=False,
        )
        fig.add_trace(bottom, row=2, col=1)
        placed = [(numbers[id(m)], m, at) for m, (j, at) in owner.items() if j == i]
        if placed:
            fig.add_trace(_milestone_trace(series, sorted(placed, key=lambda p: p[0]), color), row=1, col=1)
    return fig
