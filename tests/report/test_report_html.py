"""report.html: self-contained, every chart present with data, opens offline in chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from browser_support import (
    ARTIFACTS,
    array_length,
    array_values,
    check_page_charts,
    chromium_browser,
    embedded_figures,
    external_references,
)
from engine_results import engine_results

from megacluster.reliability.kinds import Cause, EventKind
from megacluster.report.downsample import downsample
from megacluster.report.figures import REPORT_CHARTS, interruption_counts, report_charts
from megacluster.report.html import render_report, report_context
from megacluster.report.uncertainty import uncertainty_charts
from megacluster.results.assemble import Results

CHART_IDS = [cid for cid, _ in REPORT_CHARTS]


def drawn_ids(results: Results) -> list[str]:
    """Ids of the run's and the uncertainty's charts a report draws (the others are one line saying why
    not), in page order. Sections of other modules (costs, power swings) add charts of their own."""
    ctx = report_context(results)
    charts = [*report_charts(results, ctx.ts), *uncertainty_charts(results)]
    return [c.id for c in charts if c.figure is not None]


def own_figures(html: str) -> list[str]:
    """Ids of the embedded figures that are the run's or the uncertainty's, in page order."""
    mine = set(CHART_IDS) | {"chart-finish-distribution", "chart-tornado"}
    return [cid for cid in embedded_figures(html) if cid in mine]


def _trace_points(trace: dict[str, object], time_len: int) -> int:
    n = max(array_length(trace.get("y")), array_length(trace.get("x")))
    if trace.get("_x") == "time":
        n = max(n, time_len)
    return n


def _time_axis_length(html: str) -> int:
    match = re.search(r'<script type="application/json" id="time-axis">(.*?)</script>', html, re.S)
    if match is None:
        raise AssertionError("no shared time axis")
    return match.group(1).count(",") + 1


def test_every_chart_is_embedded_with_data(results_one: Results) -> None:
    html = render_report(results_one)
    figures = embedded_figures(html)
    assert own_figures(html) == drawn_ids(results_one)
    assert set(CHART_IDS) - set(figures) == {"chart-battery"}  # colossus-2024 has no battery
    assert '<p class="chart-note" id="chart-battery">No battery in this scenario' in html
    n_time = _time_axis_length(html)
    assert n_time == len(results_one.timeseries)
    for cid, fig in figures.items():
        assert f'<div class="chart" id="{cid}"></div>' in html
        assert fig["data"], f"{cid} has no traces"
        assert any(_trace_points(t, n_time) > 0 for t in fig["data"]), f"{cid} has no data"


def test_every_figure_has_the_white_template(results_one: Results) -> None:
    figures = embedded_figures(render_report(results_one))
    assert figures
    for cid, fig in figures.items():
        assert fig["layout"]["template"]["layout"]["plot_bgcolor"] == "white", cid


def test_self_contained(results_one: Results) -> None:
    html = render_report(results_one)
    assert external_references(html) == []
    assert "Plotly.newPlot" in html
    assert html.count("<script>") == 2  # plotly.js and the drawing script, both inline


def test_key_figures_description_and_sources(results_one: Results) -> None:
    html = render_report(results_one)
    assert 'id="key-figures"' in html
    for text in ("GPUs installed (peak)", "MWh", "Training target", "FLOP", "CO2"):
        assert text in html
    assert results_one.scenario.description.split()[0] in html
    assert 'id="sources"' in html and "<li>" in html
    assert "Resolved scenario (TOML)" in html


def test_band_only_with_replicas(results_one: Results, results_replicas: Results) -> None:
    single = embedded_figures(render_report(results_one))["chart-training"]
    band = embedded_figures(render_report(results_replicas))["chart-training"]
    assert not any(t.get("name") == "P10–P90" for t in single["data"])
    assert any(t.get("name") == "P10–P90" and t.get("fill") == "tonexty" for t in band["data"])
    assert any(t.get("name") == "target" for t in band["data"])


def test_interruptions_by_cause(results_one: Results) -> None:
    fig = embedded_figures(render_report(results_one))["chart-interruptions"]
    names = {t["name"] for t in fig["data"]}
    assert "faulty_gpu" in names
    charted = sum(array_values(t["y"]).sum() for t in fig["data"])
    training = results_one.summary.training
    assert training is not None
    assert charted == training.interruptions.unexpected + training.interruptions.planned > 0


def test_a_power_loss_suspend_is_not_an_interruption(results_one: Results) -> None:
    events = results_one.events
    first = events.iloc[[0]].assign(kind=EventKind.SUSPEND.value, cause=Cause.NO_GPUS.value)
    with_suspend = pd.concat([events, first], ignore_index=True)
    counted = interruption_counts(with_suspend)["count"].sum()
    assert counted == interruption_counts(events)["count"].sum()
    kinds = set(events["kind"])
    assert kinds <= {k.value for k in EventKind}, kinds  # the engine emits only named kinds
    assert set(events["cause"]) <= {c.value for c in Cause}


def test_curtailment_marked(results_one: Results) -> None:
    fig = embedded_figures(render_report(results_one))["chart-supply"]
    names = {t["name"] for t in fig["data"]}
    assert {"grid", "generators", "facility demand"} <= names
    assert "battery discharge" not in names  # colossus-2024 has no battery: no empty legend entry
    assert "curtailed (unserved demand)" in names and "GPUs curtailed" in names


def test_year_at_one_minute_stays_small() -> None:
    big = engine_results(days=365, step_s=60)
    html = render_report(big)
    assert len(html.encode()) < 8_000_000
    assert _time_axis_length(html) == 8760


def test_downsample_keeps_totals_and_end_values(results_replicas: Results) -> None:
    ts = results_replicas.timeseries
    hourly = downsample(ts, max_points=1000)
    assert len(hourly) == len(ts) // 12
    assert np.isclose(hourly["co2_t"].sum(), ts["co2_t"].sum())
    assert hourly["cumulative_flop"].iloc[-1] == ts["cumulative_flop"].iloc[-1]
    assert np.isclose(hourly["grid_mw"].mean(), ts["grid_mw"].mean())


def test_opens_offline_in_chromium(results_replicas: Results, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_report(results_replicas), encoding="utf-8")
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        fetched: list[str] = []

        def block(route: Any) -> None:
            url = route.request.url
            if not url.startswith(("file:", "data:", "blob:", "about:")):
                fetched.append(url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", block)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path.as_uri())
        drawn = list(embedded_figures(path.read_text(encoding="utf-8")))  # this report's and other sections'
        page.wait_for_selector(f"body[data-charts-drawn='{len(drawn)}']", timeout=20_000)
        counts = check_page_charts(page, drawn)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert errors == []
    assert fetched == []
    assert all(n > 0 for n in counts.values()), counts


def test_run_writes_report(tmp_path: Path) -> None:
    """End to end: ``megacluster run`` writes a report.html whose charts have data (needs the engine)."""
    from typer.testing import CliRunner

    from megacluster.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", "colossus-2024", "--days", "10", "--step", "1h", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    figures = embedded_figures(html)
    assert {"chart-gpus", "chart-supply", "chart-climate", "chart-training", "chart-emissions"} <= set(
        figures
    )
    assert "chart-battery" not in figures and 'id="chart-battery"' in html  # the line saying why
    n_time = _time_axis_length(html)
    for cid, fig in figures.items():
        assert any(_trace_points(t, n_time) > 0 for t in fig["data"]), cid
    assert external_references(html) == []


def test_no_training_and_no_events(results_one: Results) -> None:
    summary = results_one.summary.model_copy(update={"training": None})
    bare = Results(
        scenario=results_one.scenario,
        summary=summary,
        timeseries=results_one.timeseries.drop(columns=["cumulative_flop", "job_gpus"]),
        events=results_one.events.iloc[0:0],
    )
    html = render_report(bare)
    assert own_figures(html) == ["chart-gpus", "chart-supply", "chart-climate", "chart-emissions"]
    for cid in ("chart-training", "chart-interruptions"):
        assert f'<p class="chart-note" id="{cid}">No training run in this scenario' in html
    assert "Training target" not in html
    assert 'id="story-training"' not in html and "No training run" in html


def test_single_step_run(results_one: Results) -> None:
    one = Results(
        scenario=results_one.scenario,
        summary=results_one.summary,
        timeseries=results_one.timeseries.iloc[:1],
        events=results_one.events.iloc[0:0],
    )
    assert own_figures(render_report(one)) == drawn_ids(one)
