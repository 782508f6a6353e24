"""The sections of ``report.html``, each a function of a :class:`ReportContext` returning its HTML: the
story, the key figures, the timeline, the charts, the uncertainty, the sources.

A module that adds a section (costs, power swings, …) writes one more such function and lists it in
:data:`megacluster.report.html.SECTIONS`; :meth:`ReportContext.chart_html` embeds its charts the way the
run's own charts are (shared time axis, event markers on time charts).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from megacluster.report.downsample import step_seconds
from megacluster.report.figures import report_charts
from megacluster.report.layout import Chart, time_axis_title, utc_label
from megacluster.report.markers import Marker, add_markers, timeline_rows
from megacluster.report.narrative import run_story
from megacluster.report.page import chart_block, table, time_axis_block
from megacluster.report.sensitivity import assumptions_html
from megacluster.report.sources import grouped_sources, scenario_sources
from megacluster.report.uncertainty import TornadoBar, uncertainty_charts
from megacluster.results.assemble import Results
from megacluster.results.format import fmt
from megacluster.results.keyfigures import key_figures
from megacluster.results.story import monthly_table
from megacluster.scenario.load import scenario_to_toml

TIME_AXIS_ID = "time-axis"
"""Element id of the embedded list of times the run's time charts share."""


@dataclass(frozen=True)
class ReportContext:
    """What every section reads: the results, their series thinned for plotting with ``time`` in the site's
    local standard time, the event markers, and what a caller hands in (a sensitivity analysis's bars)."""

    results: Results
    ts: pd.DataFrame
    markers: tuple[Marker, ...]
    tornado: tuple[TornadoBar, ...] = field(default=())

    @property
    def utc_offset_h(self) -> float:
        """The site's local standard time minus UTC. [h]"""
        return self.results.scenario.site.utc_offset_hours()

    def decorate(self, chart: Chart) -> Chart:
        """The chart with, on a time chart, the event markers and the local-time axis title. [-]"""
        if chart.figure is not None and chart.time_chart:
            add_markers(chart.figure, self.markers)
            chart.figure.update_layout(xaxis=time_axis_title(self.utc_offset_h))
        return chart

    def chart_html(self, chart: Chart) -> str:
        """One chart as HTML, decorated (:meth:`decorate`); a time chart refers to the shared time axis; a
        chart without a figure is its line saying why. [-]"""
        self.decorate(chart)
        if chart.figure is None or not chart.time_chart:
            return chart_block(chart)
        return chart_block(chart, (TIME_AXIS_ID, self.ts["time"]))

    def charts(self) -> list[Chart]:
        """Every chart of the run (the run's and the uncertainty's), decorated: what the static export
        draws. [-]"""
        from megacluster.report.swings import swings_charts  # imports this module: loaded when needed

        every = [*report_charts(self.results, self.ts), *uncertainty_charts(self.results, self.tornado)]
        every += swings_charts(self.results)
        return [self.decorate(chart) for chart in every]


Section = Callable[[ReportContext], str]
"""A section of the report: its HTML from the context ("" leaves it out)."""


def header_section(ctx: ReportContext) -> str:
    """Title, run parameters and the scenario's description."""
    s, scenario = ctx.results.summary, ctx.results.scenario
    meta = (
        f"start {s.start_date}, {s.horizon_days:g} days, step {s.step_s:g} s, seed {s.seed}, "
        f"{s.replicas} replica(s); times are the site's local standard time ({utc_label(ctx.utc_offset_h)})"
    )
    return (
        f"<h1>megacluster — {html.escape(scenario.name)}</h1>\n"
        f'<p class="meta" id="run-meta">{html.escape(meta)}</p>\n'
        f'<p id="scenario-description">{html.escape(scenario.description.strip())}</p>\n'
    )


def _items(lines: Sequence[str]) -> str:
    return "".join(f"<li>{html.escape(line)}</li>" for line in lines)


def story_section(ctx: ReportContext) -> str:
    """The outcome and the power and training story, in the terminal's words."""
    story = run_story(ctx.results.summary)
    parts = [f'<p class="outcome" id="outcome">{html.escape(story.outcome)}</p>']
    if story.power:
        parts.append(f'<h3>Power</h3><ul id="story-power">{_items(story.power)}</ul>')
    if story.training:
        parts.append(f'<h3>Training</h3><ul id="story-training">{_items(story.training)}</ul>')
    return f'<section class="story" id="story">{"".join(parts)}</section>\n'


def _monthly(ctx: ReportContext) -> str:
    monthly = monthly_table(ctx.results.timeseries, ctx.utc_offset_h)
    rows = []
    for month, row in monthly.iterrows():
        stamp = month.strftime("%Y-%m") if isinstance(month, dt.date) else str(month)
        rows.append(
            [stamp, fmt(row["gpus_installed_mean"]), fmt(row["gpus_powered_mean"])]
            + [
                fmt(row[k], ",.1f")
                for k in ("supply_mw_mean", "facility_mw_mean", "grid_mw_mean", "generators_mw_mean")
            ]
        )
    header = ("month", "installed", "powered", "supply MW", "facility MW", "grid MW", "gen. MW")
    return (
        "<details><summary>Month by month (means over local calendar months)</summary>"
        '<div class="table-scroll">'
        f"{table(header, rows, 'monthly', numeric=tuple(range(1, 7)))}</div></details>\n"
    )


def key_figures_section(ctx: ReportContext) -> str:
    """The key figures (one list for the terminal, the report, compare and the dashboard) and the monthly
    means."""
    figures = key_figures(ctx.results.summary)
    campus = [(f.label, f.text, f.unit) for f in figures if not f.key.startswith("training.")]
    training = [(f.label, f.text, f.unit) for f in figures if f.key.startswith("training.")]
    tables = table(("campus and power", "value", "unit"), campus, "key-figures-campus", numeric=(1,))
    if training:
        tables += table(("training run", "value", "unit"), training, "key-figures-training", numeric=(1,))
    return (
        f'<h2>Key figures</h2>\n<div class="figure-tables" id="key-figures">{tables}</div>\n{_monthly(ctx)}'
    )


def timeline_section(ctx: ReportContext) -> str:
    """The events marked on the time charts, as a dated list."""
    rows = timeline_rows(ctx.markers)
    if not rows:
        return ""
    items = "".join(f"<li><time>{html.escape(when)}</time> {html.escape(what)}</li>" for when, what in rows)
    return (
        '<h2>Timeline</h2>\n<p class="meta">The events marked on every time chart (dotted lines; the green '
        "band is the finish date's P10–P90 across replicas).</p>\n"
        f'<ul class="timeline" id="timeline">{items}</ul>\n'
    )


def charts_section(ctx: ReportContext) -> str:
    """Every run chart, with the event markers on the time charts."""
    bucket = step_seconds(ctx.ts)
    note = f"Charts show {bucket / 3600:g}-hour averages. " if bucket >= 3600 else ""
    note += "A y axis of a quantity that cannot be negative starts at zero."
    return "\n".join(
        [
            "<h2>Charts</h2>",
            f'<p class="meta">{html.escape(note)}</p>',
            time_axis_block(TIME_AXIS_ID, ctx.ts["time"]),
            *(ctx.chart_html(chart) for chart in report_charts(ctx.results, ctx.ts)),
        ]
    )


def uncertainty_section(ctx: ReportContext) -> str:
    """With replicas: the finish date's distribution; with a sensitivity analysis: the tornado chart."""
    charts = uncertainty_charts(ctx.results, ctx.tornado)
    sampled = assumptions_html(ctx.results.summary.uncertainty)  # uncertain assumptions (docs/uncertainty.md)
    if not charts:
        if ctx.results.summary.training is None:
            return ""
        return (
            '<h2>Uncertainty</h2>\n<p class="meta" id="uncertainty-hint">One Monte Carlo replica: failures '
            "are random, so the finish date has a spread this run does not show. Run with "
            "<code>--replicas 20</code> for the finish date's distribution and the P10–P90 band of the "
            "compute.</p>\n"
        )
    return "<h2>Uncertainty</h2>\n" + sampled + "".join(ctx.chart_html(c) for c in charts)


def sources_section(ctx: ReportContext) -> str:
    """Where the catalog numbers come from, grouped by catalog entry and folded; the resolved scenario."""
    lines = scenario_sources(ctx.results.scenario)
    groups = grouped_sources(lines)
    blocks = []
    for entry, group in groups:
        items = "".join(f"<li>{html.escape(line.field)}: {html.escape(line.source)}</li>" for line in group)
        blocks.append(
            f'<details class="sources-group"><summary><b>{html.escape(entry)}</b> ({len(group)})</summary>'
            f'<ul class="sources">{items}</ul></details>'
        )
    toml = html.escape(scenario_to_toml(ctx.results.scenario))
    return (
        "<h2>Scenario and sources</h2>\n"
        "<p>The scenario's own numbers are sourced in the comments of its TOML file (for a preset: "
        "<code>megacluster show NAME</code>; a citation such as “facts.md 1.4”: <code>megacluster sources "
        "facts.md 1.4</code>).</p>\n"
        f'<details id="sources-section"><summary>Catalog sources: {len(lines)} numbers from {len(groups)} '
        f'catalog entries</summary><div id="sources">{"".join(blocks)}</div></details>\n'
        f"<details><summary>Resolved scenario (TOML)</summary><pre>{toml}</pre></details>\n"
    )
