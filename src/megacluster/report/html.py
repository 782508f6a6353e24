"""``report.html``: one self-contained page of a run that opens offline — the story first, then the key
figures, the timeline of events, the charts (event markers on every time chart), the uncertainty and the
sources. Built from the Results only.

The page is the list :data:`SECTIONS`, in order; a module that adds a section writes a function
``ReportContext -> str`` (see :mod:`megacluster.report.sections`) and adds one line here.
"""

from __future__ import annotations

from collections.abc import Sequence

from megacluster.report.costs import costs_section
from megacluster.report.downsample import downsample
from megacluster.report.jobsize import job_size_section
from megacluster.report.markers import run_markers
from megacluster.report.page import page
from megacluster.report.sections import (
    ReportContext,
    Section,
    charts_section,
    header_section,
    key_figures_section,
    sources_section,
    story_section,
    timeline_section,
    uncertainty_section,
)
from megacluster.report.swings import swings_section
from megacluster.report.uncertainty import TornadoBar
from megacluster.results.assemble import Results
from megacluster.results.story import local_times

REPORT_MAX_POINTS = 9000
"""Most points per series in the report: a year at hourly buckets (8,760) fits. [-]"""

SECTIONS: list[Section] = [
    header_section,
    story_section,
    key_figures_section,
    timeline_section,
    charts_section,
    job_size_section,
    uncertainty_section,
    swings_section,
    costs_section,
    # further sections (costs, power swings, …) go here, before the sources
    sources_section,
]
"""The report's sections, in page order."""


def report_context(
    results: Results, max_points: int = REPORT_MAX_POINTS, tornado: Sequence[TornadoBar] = ()
) -> ReportContext:
    """The context the sections read: the series thinned to at most ``max_points`` time buckets (hourly or
    coarser) with ``time`` in the site's local standard time, and the run's event markers. [-]"""
    ts = downsample(results.timeseries, max_points=max_points)
    ts["time"] = local_times(ts["time"], results.scenario.site.utc_offset_hours()).to_numpy()
    return ReportContext(results=results, ts=ts, markers=tuple(run_markers(results)), tornado=tuple(tornado))


def render_report(results: Results, tornado: Sequence[TornadoBar] = ()) -> str:
    """The HTML report of a run, as text: one file, Plotly inlined, series thinned to at most
    ``REPORT_MAX_POINTS`` time buckets (hourly or coarser). ``tornado``: the bars of a sensitivity analysis of
    the finish date, when one was run. [-]"""
    ctx = report_context(results, tornado=tornado)
    body = "\n".join(part for section in SECTIONS if (part := section(ctx)))
    return page(f"megacluster report — {results.scenario.name}", body)
