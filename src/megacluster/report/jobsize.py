"""The report's training-job section: the job's size over time with every restart marked, and in words what
the restarts, the power modes and the power policy cost (first replica)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from megacluster.reliability.kinds import Cause, EventKind
from megacluster.report.layout import COLORS, Chart, base_layout
from megacluster.report.sections import ReportContext
from megacluster.results.jobtext import layout_lines
from megacluster.results.story import local_times

CHART_ID = "chart-job-size"
CAPTION = (
    "GPUs of the training job's layout (held, restarting or running) and GPUs computing, hourly means; each "
    "dot a restart, at the GPUs it restarts on, by what triggered it (first replica). The layout changes "
    "only at restarts."
)
_GROUPS = {
    Cause.PLANNED_MAINTENANCE.value: ("planned", "#1f77b4"),
    Cause.POWER_SHORTFALL.value: ("power stop", "#d62728"),
    Cause.GROW.value: ("grow", "#2ca02c"),
    Cause.NO_GPUS.value: ("after a wait", "#7f7f7f"),
}
_FAILURE = ("failure", "#ff7f0e")


def restart_rows(events: pd.DataFrame, replica: int = 0) -> pd.DataFrame:
    """The restart rows of one replica's event log. [-]"""
    if events.empty or "kind" not in events:
        return events.iloc[0:0]
    kind = events["kind"].astype("string")
    rows = events[(kind == EventKind.RESTART.value) & (events["replica"] == replica)]
    return rows


def job_size_figure(ts: pd.DataFrame, restarts: pd.DataFrame, utc_offset_h: float) -> go.Figure:
    """The layout's GPUs and the GPUs computing over time, restarts as dots. [GPUs]"""
    fig = go.Figure(layout=base_layout("Training job: layout and restarts", "GPUs"))
    fig.add_trace(
        go.Scatter(x=ts["time"], y=ts["job_gpus"], name="layout", line={"color": COLORS["training"]})
    )
    if "job_running_gpus" in ts:
        fig.add_trace(
            go.Scatter(
                x=ts["time"],
                y=ts["job_running_gpus"],
                name="computing",
                line={"color": COLORS["training"], "dash": "dot", "width": 1},
            )
        )
    if not restarts.empty:
        when = local_times(restarts["time"], utc_offset_h)
        cause = restarts["cause"].astype("string").fillna("")
        group = cause.map(lambda c: _GROUPS.get(str(c), _FAILURE)[0])
        for label, color in (*_GROUPS.values(), _FAILURE):
            pick = (group == label).to_numpy()
            if pick.any():
                fig.add_trace(
                    go.Scatter(
                        x=when[pick],
                        y=restarts["gpus_affected"][pick],
                        mode="markers",
                        marker={"size": 4, "color": color},
                        name=f"restart: {label} ({int(pick.sum()):,})",
                    )
                )
    return fig


def job_size_section(ctx: ReportContext) -> str:
    """The training job's layout over time with its restarts, and what they cost ("" without a job)."""
    training = ctx.results.summary.training
    if training is None or "job_gpus" not in ctx.ts:
        return ""
    restarts = restart_rows(ctx.results.events)
    figure = job_size_figure(ctx.ts, restarts, ctx.utc_offset_h)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in layout_lines(training))
    return "\n".join(
        [
            "<h2>Training job: layout and restarts</h2>",
            f'<ul id="job-layout">{items}</ul>' if items else "",
            ctx.chart_html(Chart(CHART_ID, CAPTION, figure)),
        ]
    )
