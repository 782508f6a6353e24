"""A run's results as the JSON the API returns (read from Results only).

Besides the summary, the key figures and the thinned time series, the answer carries what the dashboard
shows: the story in the terminal's words, the timeline of events, and the report's own charts (the same
figures, labels and event markers as ``report.html``), so that the page draws them as they are.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from megacluster.report.downsample import downsample, step_seconds
from megacluster.report.html import report_context
from megacluster.report.markers import timeline_rows
from megacluster.report.narrative import run_story
from megacluster.report.page import figure_json, time_labels
from megacluster.report.sections import ReportContext
from megacluster.results.assemble import Results
from megacluster.results.keyfigures import key_figures
from megacluster.results.writers import to_jsonable


def columnar(timeseries: pd.DataFrame, max_points: int) -> tuple[dict[str, list[Any]], float]:
    """The series bucketed (hourly or coarser, at most ``max_points`` rows) as column lists, and the
    bucket length. NaN becomes null. [-], [s]"""
    ts = downsample(timeseries, max_points=max_points)
    out: dict[str, list[Any]] = {"time": [t.isoformat() for t in pd.to_datetime(ts["time"])]}
    for column in ts.columns:
        if column == "time":
            continue
        values = np.asarray(ts[column], dtype=np.float64)
        out[column] = [None if not np.isfinite(v) else float(v) for v in values]
    return out, step_seconds(ts)


def dashboard_charts(ctx: ReportContext) -> list[dict[str, Any]]:
    """The report's charts as JSON for the page: id, caption, whether x is the shared (local) time axis,
    and the Plotly figure (None: the caption says why there is no chart). [-]"""
    out = []
    for chart in ctx.charts():
        shared = chart.figure is not None and chart.time_chart
        figure = None
        if chart.figure is not None:
            figure = json.loads(
                figure_json(chart.figure, ctx.ts["time"] if shared else None).replace("<\\/", "</")
            )
        out.append({"id": chart.id, "caption": chart.caption, "time_axis": shared, "figure": figure})
    return out


def simulation_payload(results: Results, max_points: int, elapsed_s: float) -> dict[str, Any]:
    """The body of a successful ``POST /api/simulate``."""
    series, bucket = columnar(results.timeseries, max_points)
    figures = [
        {"key": f.key, "label": f.label, "value": to_jsonable(f.value), "text": f.text, "unit": f.unit}
        for f in key_figures(results.summary)
    ]
    ctx = report_context(results, max_points=max_points)
    story = run_story(results.summary)
    return {
        "scenario": {"name": results.scenario.name, "description": results.scenario.description.strip()},
        "summary": to_jsonable(results.summary.model_dump(mode="json")),
        "timeseries": series,
        "timeseries_step_s": bucket,
        "key_figures": figures,
        "elapsed_s": elapsed_s,
        "story": {"outcome": story.outcome, "power": list(story.power), "training": list(story.training)},
        "timeline": [{"when": when, "what": what} for when, what in timeline_rows(ctx.markers)],
        "chart_time": time_labels(ctx.ts["time"]),
        "charts": dashboard_charts(ctx),
        "site_utc_offset_h": ctx.utc_offset_h,
    }
