"""The report's training-job section: the job's size over time with every restart marked (issue 12)."""

from __future__ import annotations

from browser_support import embedded_figures

from megacluster.report.html import render_report
from megacluster.results.assemble import Results


def test_the_job_size_chart_marks_every_restart(results_one: Results) -> None:
    html = render_report(results_one)
    fig = embedded_figures(html)["chart-job-size"]
    names = [str(t.get("name", "")) for t in fig["data"]]
    assert names[:2] == ["layout", "computing"]
    markers = [t for t in fig["data"] if str(t.get("name", "")).startswith("restart: ")]
    ev = results_one.events
    restarts = ev[(ev["kind"] == "restart") & (ev["replica"] == 0)]
    assert len(restarts) > 0
    assert sum(len(t["x"]) for t in markers) == len(restarts)
    training = results_one.summary.training
    assert training is not None
    assert 'id="job-layout"' in html and f"Restarts: {training.restarts:,} ({training.resizes:,}" in html
