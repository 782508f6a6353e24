"""report.html tells the story first, marks the events on every time chart, and keeps its figures honest:
CO2 split by source, non-negative axes from zero, empty charts replaced by a line, daily climate bands."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import numpy as np
import pandas as pd
import pytest
from browser_support import array_values, embedded_figures
from engine_results import engine_results

from megacluster.report.environment import co2_by_source
from megacluster.report.html import SECTIONS, render_report, report_context
from megacluster.report.markers import MarkerKind, run_markers
from megacluster.report.narrative import outcome_line
from megacluster.report.sections import ReportContext
from megacluster.report.sources import scenario_sources
from megacluster.report.uncertainty import TornadoBar, tornado_figure
from megacluster.results.assemble import Results
from megacluster.results.text import training_lines

SIGNED_AXES = {("chart-climate", "yaxis"), ("chart-battery", "yaxis2"), ("chart-tornado", "yaxis")}
"""The only y axes of the report whose quantity may be negative: °C, battery power (charging), and the
tornado's category axis."""


@pytest.fixture(scope="module")
def flagship_year() -> Results:
    """colossus-2024 at its own 300-day horizon, hourly steps (every event inside the horizon)."""
    return engine_results("colossus-2024", days=300, step_s=3600)


@pytest.fixture(scope="module")
def with_battery() -> Results:
    """colossus-2025 over 150 days: Megapacks from 1 May, turbines leaving after 30 April, an air permit."""
    return engine_results("colossus-2025", days=150, step_s=3600)


def _text(html: str) -> str:
    return htmllib.unescape(html)


def test_story_first_in_the_terminals_words(flagship_year: Results) -> None:
    page = _text(render_report(flagship_year))
    story = page.index('id="story"')
    assert story < page.index("<h2>Key figures</h2>") < page.index("<h2>Charts</h2>")
    s = flagship_year.summary
    assert s.training is not None
    for line in (*s.power_story.lines, *training_lines(s.training, s.replicas)):
        assert line in page[story : page.index("<h2>Key figures</h2>")], line
    assert s.training.finished and s.training.finish_date is not None
    assert f"Training finished: yes (on {s.training.finish_date}" in page
    assert outcome_line(s) in page


def test_outcome_says_no_when_the_horizon_is_short(results_one: Results) -> None:
    assert outcome_line(results_one.summary).startswith("Training finished: no (")


def test_markers_of_the_flagship(flagship_year: Results) -> None:
    markers = run_markers(flagship_year)
    by_day = {(m.kind, m.time.date()) for m in markers}
    assert (MarkerKind.GRID, dt.date(2024, 8, 1)) in by_day
    assert (MarkerKind.GRID, dt.date(2024, 11, 1)) in by_day
    assert (MarkerKind.GENERATORS_ARRIVE, dt.date(2024, 10, 1)) in by_day
    assert (MarkerKind.GENERATORS_ARRIVE, dt.date(2024, 12, 1)) in by_day
    assert (MarkerKind.TRAINING_START, dt.date(2024, 7, 22)) in by_day
    training = flagship_year.summary.training
    assert training is not None and training.finish_date is not None  # the date: tests/golden
    assert (MarkerKind.TRAINING_FINISH, dt.date.fromisoformat(training.finish_date)) in by_day
    assert not any(m.time.date() == dt.date(2024, 7, 1) for m in markers)  # the starting point is no event
    assert [m.time for m in markers] == sorted(m.time for m in markers)


def test_every_time_chart_carries_the_markers(flagship_year: Results) -> None:
    figures = embedded_figures(render_report(flagship_year))
    wanted = {
        f"marker:{k.value}"
        for k in (MarkerKind.GRID, MarkerKind.GENERATORS_ARRIVE, MarkerKind.TRAINING_START)
    }
    time_charts = {c.id for c in report_context(flagship_year).charts() if c.time_chart}
    for cid, fig in figures.items():
        if cid not in time_charts:  # e.g. the power swings' charts: seconds into a window, no dates
            continue
        names = {shape.get("name") for shape in fig["layout"].get("shapes", [])}
        assert wanted | {"marker:training_finish"} <= names, cid
        assert "local standard time (UTC−6" in fig["layout"]["xaxis"]["title"]["text"], cid


def test_leaving_fleets_battery_and_permit(with_battery: Results) -> None:
    markers = run_markers(with_battery)
    kinds = {(m.kind, m.time.date()) for m in markers}
    assert (MarkerKind.GENERATORS_LEAVE, dt.date(2025, 5, 1)) in kinds  # available_until 2025-04-30
    assert (MarkerKind.BATTERY, dt.date(2025, 5, 1)) in kinds
    exceedances = with_battery.summary.permit.exceedances
    permits = [m for m in markers if m.kind is MarkerKind.PERMIT]
    assert len(permits) == len(exceedances)
    for m, ex in zip(permits, exceedances, strict=True):
        assert m.time == pd.Timestamp(ex.first_exceeded)


def test_finish_band_with_replicas() -> None:
    results = engine_results("llama3-meta-24k", days=120, step_s=3600, replicas=4)
    training = results.summary.training
    assert (
        training is not None and training.finish_day_p10 is not None and training.finish_day_p90 is not None
    )
    assert training.finish_day_p90 > training.finish_day_p10
    finish = [m for m in run_markers(results) if m.kind is MarkerKind.TRAINING_FINISH]
    band = next(m for m in finish if m.end is not None)
    origin = pd.Timestamp("2024-01-01")
    assert band.time == origin + pd.Timedelta(days=training.finish_day_p10)
    assert band.end == origin + pd.Timedelta(days=training.finish_day_p90)
    assert any(m.end is None and m.label == "finish P50" for m in finish)
    shapes = embedded_figures(render_report(results))["chart-gpus"]["layout"]["shapes"]
    assert any(s["type"] == "rect" and s["name"] == "marker:training_finish" for s in shapes)


def test_co2_split_by_source_adds_up_to_the_summary(flagship_year: Results) -> None:
    s = flagship_year.summary
    grid, generators = co2_by_source(flagship_year.timeseries, s)
    assert grid.min() >= 0 and generators.min() >= 0
    assert np.isclose(grid.sum(), s.emissions_t.co2_grid, rtol=1e-3)
    assert np.isclose(generators.sum(), s.emissions_t.co2_generators, rtol=1e-3)
    page = render_report(flagship_year)
    fig = embedded_figures(page)["chart-emissions"]
    lasts = {t["name"]: array_values(t["y"])[-1] for t in fig["data"]}
    assert np.isclose(lasts["CO2 from grid electricity"], s.emissions_t.co2_grid, rtol=1e-3)
    assert np.isclose(lasts["CO2 from on-site generation"], s.emissions_t.co2_generators, rtol=1e-3)
    caption = _text(page)
    assert f"{s.emissions_t.co2_generators:,.0f} t from on-site generation" in caption
    assert f"{s.emissions_t.co2_grid:,.0f} t from grid electricity (location-based" in caption


def _y_axes(layout: dict) -> dict[str, dict]:
    return {k: v for k, v in layout.items() if k.startswith("yaxis")} or {"yaxis": {}}


@pytest.mark.parametrize("fixture", ["flagship_year", "with_battery", "results_replicas"])
def test_non_negative_axes_start_at_zero(fixture: str, request: pytest.FixtureRequest) -> None:
    results = request.getfixturevalue(fixture)
    bars = [TornadoBar("restart time 5–15 min", 230.0, 250.0)]
    ctx = report_context(results, tornado=bars)
    for chart in ctx.charts():
        if chart.figure is None:
            continue
        layout = chart.figure.to_plotly_json()["layout"]
        for axis, spec in _y_axes(layout).items():
            mode = spec.get("rangemode")
            if (chart.id, axis) in SIGNED_AXES:
                continue
            assert mode == "nonnegative", (chart.id, axis, mode)


def test_empty_charts_are_one_line(flagship_year: Results, with_battery: Results) -> None:
    assert '<p class="chart-note" id="chart-battery">' in render_report(flagship_year)
    assert "chart-battery" in embedded_figures(render_report(with_battery))


def test_climate_daily_bands_with_hourly_detail(flagship_year: Results) -> None:
    fig = embedded_figures(render_report(flagship_year))["chart-climate"]
    assert fig["layout"]["meta"]["zoom_detail_days"] > 0
    overview = [t for t in fig["data"] if t.get("meta") == "overview"]
    detail = [t for t in fig["data"] if t.get("meta") == "detail"]
    assert {t["name"] for t in detail} == {"ambient °C (hourly)", "overhead MW (hourly)"}
    assert all(t.get("visible") is False for t in detail)
    assert all(t.get("visible", True) is not False for t in overview)
    days = flagship_year.summary.horizon_days
    for trace in overview:
        assert abs(len(array_values(trace["y"])) - days) <= 1, trace["name"]
    band = next(t for t in overview if t["name"] == "ambient °C, daily min–max")
    low = next(t for t in overview if t["name"] == "ambient °C, daily min–max min")
    assert band["fill"] == "tonexty" and np.all(array_values(band["y"]) >= array_values(low["y"]))


def test_legends_sit_below_the_plot(flagship_year: Results) -> None:
    for cid, fig in embedded_figures(render_report(flagship_year)).items():
        legend = fig["layout"]["legend"]
        assert (legend["yref"], legend["y"], legend["yanchor"]) == ("container", 0.0, "bottom"), cid


def test_sources_grouped_and_folded(flagship_year: Results) -> None:
    page = render_report(flagship_year)
    lines = scenario_sources(flagship_year.scenario)
    entries = {line.entry for line in lines}
    assert page.count('<details class="sources-group">') == len(entries) > 1
    assert f"Catalog sources: {len(lines)} numbers from {len(entries)} catalog entries" in page
    assert '<details id="sources-section">' in page  # folded by default


def test_finish_distribution_only_with_replicas(results_one: Results, results_replicas: Results) -> None:
    assert "chart-finish-distribution" not in embedded_figures(render_report(results_one))
    page = render_report(results_replicas)
    training = results_replicas.summary.training
    assert training is not None
    if training.finished_fraction == 0:
        assert "0 of 3 finished" in _text(page)
        return
    fig = embedded_figures(page)["chart-finish-distribution"]
    assert sum(array_values(fig["data"][0]["y"])) == round(training.finished_fraction * 3)


def test_finish_distribution_counts_the_replicas() -> None:
    results = engine_results("llama3-meta-24k", days=120, step_s=3600, replicas=4)
    fig = embedded_figures(render_report(results))["chart-finish-distribution"]
    training = results.summary.training
    assert training is not None and training.finished_fraction == 1.0
    assert sum(array_values(fig["data"][0]["y"])) == 4
    assert {s["name"] for s in fig["layout"]["shapes"]} == {"finish:P10", "finish:P50", "finish:P90"}


def test_tornado_hook() -> None:
    bars = [TornadoBar("a", 240.0, 245.0), TornadoBar("b", 200.0, 300.0), TornadoBar("c", 238.0, 250.0)]
    fig = tornado_figure(bars, 242.0).to_plotly_json()
    assert list(fig["data"][0]["y"]) == ["a", "c", "b"]  # widest swing drawn last: on top
    assert list(array_values(fig["data"][0]["x"])) == [-2.0, -4.0, -42.0]
    results = engine_results("colossus-2024", days=300, step_s=3600)
    assert "chart-tornado" not in render_report(results)
    assert "chart-tornado" in embedded_figures(render_report(results, tornado=bars))


def test_a_section_can_be_added(results_one: Results, monkeypatch: pytest.MonkeyPatch) -> None:
    def extra(ctx: ReportContext) -> str:
        return f'<h2 id="extra">Extra for {ctx.results.scenario.name}</h2>'

    monkeypatch.setattr("megacluster.report.html.SECTIONS", [*SECTIONS[:-1], extra, SECTIONS[-1]])
    page = render_report(results_one)
    assert page.index('id="extra"') < page.index("<h2>Scenario and sources</h2>")


def test_battery_discharge_in_the_supply_only_with_a_battery(with_battery: Results) -> None:
    names = {t["name"] for t in embedded_figures(render_report(with_battery))["chart-supply"]["data"]}
    discharged = with_battery.timeseries["battery_mw"].clip(lower=0).sum() > 0
    assert ("battery discharge" in names) == bool(discharged)
