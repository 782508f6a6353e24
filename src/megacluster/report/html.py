"""``report.html``: one self-contained page of a run — key figures, sources and every chart — that
opens offline. Built from the Results only."""

from __future__ import annotations

import html

from megacluster.report.downsample import downsample, step_seconds
from megacluster.report.figures import report_charts
from megacluster.report.page import chart_block, page, table, time_axis_block
from megacluster.report.sources import scenario_sources
from megacluster.results.assemble import Results
from megacluster.results.keyfigures import key_figures
from megacluster.scenario.load import scenario_to_toml

REPORT_MAX_POINTS = 9000
"""Most points per series in the report: a year at hourly buckets (8,760) fits. [-]"""


def _header(results: Results) -> str:
    s = results.summary
    scenario = results.scenario
    meta = (
        f"start {s.start_date}, {s.horizon_days:g} days, step {s.step_s:g} s, seed {s.seed}, "
        f"{s.replicas} replica(s)"
    )
    return (
        f"<h1>megacluster — {html.escape(scenario.name)}</h1>\n"
        f'<p class="meta" id="run-meta">{html.escape(meta)}</p>\n'
        f'<p id="scenario-description">{html.escape(scenario.description.strip())}</p>\n'
    )


def _sources(results: Results) -> str:
    lines = scenario_sources(results.scenario)
    items = "".join(
        f"<li><b>{html.escape(line.entry)}</b> · {html.escape(line.field)}: {html.escape(line.source)}</li>"
        for line in lines
    )
    toml = html.escape(scenario_to_toml(results.scenario))
    return (
        "<h2>Scenario and sources</h2>\n"
        "<p>The scenario's own numbers are sourced in the comments of its TOML file (for a preset: "
        "<code>megacluster show NAME</code>); the catalog numbers it uses come from:</p>\n"
        f'<ul class="sources" id="sources">{items}</ul>\n'
        f"<details><summary>Resolved scenario (TOML)</summary><pre>{toml}</pre></details>\n"
    )


def render_report(results: Results) -> str:
    """The HTML report of a run, as text: one file, Plotly inlined, series thinned to at most
    ``REPORT_MAX_POINTS`` time buckets (hourly or coarser). [-]"""
    ts = downsample(results.timeseries, max_points=REPORT_MAX_POINTS)
    figures = key_figures(results.summary)
    campus = [(f.label, f.text, f.unit) for f in figures if not f.key.startswith("training.")]
    training = [(f.label, f.text, f.unit) for f in figures if f.key.startswith("training.")]
    tables = table(("campus and power", "value", "unit"), campus, "key-figures-campus", numeric=(1,))
    if training:
        tables += table(("training run", "value", "unit"), training, "key-figures-training", numeric=(1,))
    bucket = step_seconds(ts)
    note = f"Charts show {bucket / 3600:g}-hour averages." if bucket >= 3600 else ""
    body = [
        _header(results),
        "<h2>Key figures</h2>",
        f'<div class="figure-tables" id="key-figures">{tables}</div>',
        "<h2>Charts</h2>",
        f'<p class="meta">{html.escape(note)}</p>',
        time_axis_block("time-axis", ts["time"]),
        *(chart_block(chart, ("time-axis", ts["time"])) for chart in report_charts(results, ts)),
        _sources(results),
    ]
    return page(f"megacluster report — {results.scenario.name}", "\n".join(body))
