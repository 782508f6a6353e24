"""The flagship's report.html opened offline in chromium: the story, the event markers, CO2 by source, no
y axis of a non-negative quantity below zero, the climate's hourly detail on zoom, and at a phone's width
no legend over a title."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARTIFACTS, chromium_browser, embedded_figures

from megacluster.engine.simulate import simulate
from megacluster.report.html import render_report
from megacluster.results.assemble import Results
from megacluster.scenario.load import load_scenario

pytestmark = pytest.mark.slow

SIGNED = ("°C", "− charge", "deviation")
"""Words in the title of a y axis whose quantity may be negative: a temperature, battery power while
charging, a frequency deviation. Every other quantity the report plots cannot be negative."""

TIME_CHARTS = (
    "chart-gpus",
    "chart-supply",
    "chart-climate",
    "chart-training",
    "chart-interruptions",
    "chart-emissions",
)

AXIS_RANGES = """() => { const out = [];
  document.querySelectorAll('.js-plotly-plot').forEach(div => {
    Object.keys(div._fullLayout).filter(k => /^yaxis\\d*$/.test(k))
      // a log axis's range is in decades, a category axis's in slots: neither is a quantity's value
      .filter(k => !['log', 'category'].includes(div._fullLayout[k].type))
      .forEach(k => {
      out.push([div.id, k, div._fullLayout[k].range[0], div._fullLayout[k].range[1],
                (div._fullLayout[k].title || {}).text || '']); }); });
  return out; }"""

BOXES = """() => { const out = {};
  document.querySelectorAll('.js-plotly-plot').forEach(div => {
    const box = s => { const e = div.querySelector(s); if (!e) return null;
      const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    out[div.id] = {legend: box('.legend'), title: box('.gtitle'), xtitle: box('.g-xtitle')}; });
  return out; }"""


@pytest.fixture(scope="module")
def flagship() -> Results:
    """colossus-2024 exactly as shipped: 300 days at 5-minute steps, seed 0."""
    return simulate(load_scenario("colossus-2024"))


@pytest.fixture(scope="module")
def report_path(flagship: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flagship") / "report.html"
    path.write_text(render_report(flagship), encoding="utf-8")
    return path


def _offline_page(browser: Any, width: int, height: int, fetched: list[str], errors: list[str]) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})

    def block(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            fetched.append(url)
            route.abort()

    page.route("**/*", block)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


@pytest.fixture(scope="module")
def drawn(report_path: Path) -> int:
    return len(embedded_figures(report_path.read_text(encoding="utf-8")))


@pytest.fixture
def wide_page(report_path: Path, drawn: int) -> Iterator[tuple[Any, list[str], list[str]]]:
    with chromium_browser() as browser:
        fetched: list[str] = []
        errors: list[str] = []
        page = _offline_page(browser, 1280, 900, fetched, errors)
        page.goto(report_path.as_uri())
        page.wait_for_selector(f"body[data-charts-drawn='{drawn}']", timeout=60_000)
        yield page, fetched, errors


def test_flagship_report_offline(wide_page: tuple[Any, list[str], list[str]], flagship: Results) -> None:
    page, fetched, errors = wide_page
    story = page.inner_text("#story")
    training = flagship.summary.training
    assert training is not None and training.finish_date is not None  # the date: tests/golden
    assert f"Training finished: yes (on {training.finish_date}" in story
    assert flagship.summary.power_story.lines[1] in story  # "Power was short for …"
    assert "From 2024-11-01 the supply ran every installed GPU." in story
    for cid in TIME_CHARTS:
        markers = page.evaluate(
            f"""() => (document.getElementById('{cid}')._fullLayout.shapes || [])
                .filter(s => (s.name || '').startsWith('marker:')).map(s => s.name)"""
        )
        assert {"marker:grid", "marker:generators_arrive", "marker:training_start"} <= set(markers), cid
        text = page.evaluate(f"document.getElementById('{cid}').textContent")
        assert "grid 150 MW" in text and "training finishes" in text, cid
    assert "grid 150 MW (from 50 MW)" in page.inner_text("#timeline")
    names = page.evaluate("document.getElementById('chart-emissions')._fullData.map(t => t.name)")
    assert {"CO2 from grid electricity", "CO2 from on-site generation"} <= set(names)
    caption = page.inner_text("#chart-emissions + p.caption")
    assert "t from on-site generation" in caption and "t from grid electricity" in caption
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-flagship.png"), full_page=True)
    assert fetched == [] and errors == []


def test_no_non_negative_axis_below_zero(wide_page: tuple[Any, list[str], list[str]]) -> None:
    page, _, _ = wide_page
    ranges = page.evaluate(AXIS_RANGES)
    assert len({cid for cid, *_ in ranges}) >= len(TIME_CHARTS)
    assert [title for cid, axis, *_, title in ranges if cid == "chart-climate" and axis == "yaxis"] == ["°C"]
    for cid, axis, low, high, title in ranges:
        if any(word in title for word in SIGNED):
            continue
        assert low >= 0, (cid, axis, low, high)
        assert high > low, (cid, axis, low, high)


def test_climate_hourly_detail_on_zoom(wide_page: tuple[Any, list[str], list[str]]) -> None:
    page, _, _ = wide_page
    visible = """() => { const d = document.getElementById('chart-climate').data;
        return d.filter(t => t.meta === 'detail').map(t => t.visible !== false).concat(
               d.filter(t => t.meta === 'overview').map(t => t.visible === false)); }"""
    assert not any(page.evaluate(visible))  # zoomed out: daily bands only
    page.evaluate(
        "Plotly.relayout('chart-climate', {'xaxis.range': ['2024-08-01 00:00', '2024-08-08 00:00']})"
    )
    page.wait_for_function(
        "document.getElementById('chart-climate').data.some(t => t.meta === 'detail' && t.visible !== false)"
    )
    assert all(page.evaluate(visible))  # zoomed in to a week: hourly series only


def _overlap(a: list[float] | None, b: list[float] | None) -> bool:
    if a is None or b is None:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_phone_width_no_legend_over_a_title(report_path: Path, drawn: int) -> None:
    with chromium_browser() as browser:
        fetched: list[str] = []
        errors: list[str] = []
        page = _offline_page(browser, 390, 844, fetched, errors)
        page.goto(report_path.as_uri())
        page.wait_for_selector(f"body[data-charts-drawn='{drawn}']", timeout=60_000)
        boxes = page.evaluate(BOXES)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert len(boxes) == drawn
    for cid in TIME_CHARTS:
        assert boxes[cid]["legend"] is not None, cid
    for cid, box in boxes.items():  # a chart without a legend (showlegend false) has nothing to overlap
        assert box["title"] is not None, cid
        assert not _overlap(box["legend"], box["title"]), (cid, box)
        assert not _overlap(box["legend"], box["xtitle"]), (cid, box)
    assert overflow <= 1
    assert errors == [] and fetched == []
