"""The dashboard in Debian's chromium (Playwright) against a real uvicorn server and the real engine: the
flagship runs on load at its own horizon and finishes; an edit marks the charts stale; a run shows its
progress and time; bad input is explained inline; a battery given by unit and count reads as such; at a
phone's width no legend covers a title."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))

from browser_support import ARTIFACTS, chromium_browser

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIRST_RUN_TIMEOUT_MS = 120_000
"""The flagship at its own 300 days and 5-minute steps takes a few seconds; generous on a loaded machine."""

SIGNED = ("°C", "− charge", "deviation")
"""Words in the title of a y axis whose quantity may be negative (as in tests/report/)."""

AXIS_RANGES = """() => { const out = [];
  document.querySelectorAll('#charts .js-plotly-plot').forEach(div => {
    Object.keys(div._fullLayout).filter(k => /^yaxis\\d*$/.test(k))
      // a log axis's range is in decades, a category axis's in slots: neither is a quantity's value
      .filter(k => !['log', 'category'].includes(div._fullLayout[k].type))
      .forEach(k => {
      out.push([div.id, k, div._fullLayout[k].range[0], (div._fullLayout[k].title || {}).text || '']); }); });
  return out; }"""

BOXES = """() => { const out = {};
  document.querySelectorAll('#charts .js-plotly-plot').forEach(div => {
    const box = s => { const e = div.querySelector(s); if (!e) return null;
      const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    out[div.id] = {legend: box('.legend'), title: box('.gtitle'), xtitle: box('.g-xtitle')}; });
  return out; }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A uvicorn server of the app factory on 127.0.0.1 and a free port."""
    port = _free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "megacluster.web.app:create_app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/api/presets", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the uvicorn server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _open(browser: Any, server: str, width: int, height: int) -> tuple[Any, list[str], list[str]]:
    """A page of the dashboard after its first run (the preset's, on load)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: None if req.url.startswith((server, "data:")) else outside.append(req.url))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='true']", timeout=30_000)
    page.wait_for_selector("body[data-runs='1']", timeout=FIRST_RUN_TIMEOUT_MS)
    return page, errors, outside


def _powered_sum(page: Any) -> float:
    return float(
        page.evaluate(
            """() => { const d = document.getElementById('dash-gpus')._fullData;
                const t = d.find(x => x.name === 'powered');
                return Array.from(t.y).reduce((a, b) => a + b, 0); }"""
        )
    )


def _run_and_wait(page: Any, runs: int) -> None:
    page.click("#run")
    page.wait_for_selector(f"body[data-runs='{runs}']", timeout=FIRST_RUN_TIMEOUT_MS)


def _flagship_loaded(page: Any) -> None:
    """The page ran colossus-2024 with the preset's defaults and shows it finished."""
    assert page.input_value("#preset") == "colossus-2024"
    assert page.input_value("#days") == "300" and page.input_value("#step") == "300"
    note = page.inner_text("#step-note")
    assert "the preset's own" in note and "86,400 steps" in note and "120,000 steps per replica" in note
    assert page.evaluate("document.querySelector('#step option[value=\"60\"]').disabled")  # 432,000 steps
    # the date itself is pinned by tests/golden; here the page must say yes with a date inside the horizon
    outcome = re.match(r"Training finished: yes \(on (\d{4}-\d\d-\d\d)", page.inner_text("#outcome"))
    assert outcome is not None and "2024-07-22" < outcome.group(1) < "2025-04-28"
    finished = page.inner_text("#key-figures tr[data-key='training.finished']")
    assert finished.split("\t")[1].strip() == "yes"
    assert "Power was short for" in page.inner_text("#story")
    shapes = page.evaluate("document.getElementById('dash-gpus').layout.shapes.map(s => s.name)")
    assert {"marker:grid", "marker:generators_arrive", "marker:training_finish"} <= set(shapes)
    assert "No battery in this scenario" in page.inner_text("#dash-battery")
    names = page.evaluate("document.getElementById('dash-emissions').data.map(t => t.name)")
    assert {"CO2 from grid electricity", "CO2 from on-site generation"} <= set(names)
    for cid, axis, low, title in page.evaluate(AXIS_RANGES):
        assert any(word in title for word in SIGNED) or low >= 0, (cid, axis, low, title)


def test_flagship_stale_progress_errors_battery(server: str) -> None:
    with chromium_browser() as browser:
        page, errors, outside = _open(browser, server, 1400, 1100)
        _flagship_loaded(page)
        assert page.get_attribute("body", "data-stale") in (None, "false")

        page.fill("#days", "60")  # an edit: the old charts are marked stale at once
        page.wait_for_selector("body[data-stale='true']", timeout=5_000)
        assert page.is_visible("#stale-note") and "stale" in (page.get_attribute("#results", "class") or "")
        page.click("#run")
        page.wait_for_selector("#progress:not([hidden])", timeout=5_000)  # a visible indicator while running
        assert page.is_disabled("#run")
        page.wait_for_selector("body[data-runs='2']", timeout=FIRST_RUN_TIMEOUT_MS)
        assert page.get_attribute("body", "data-stale") == "false" and not page.is_visible("#stale-note")
        assert re.match(
            r"done: colossus-2024 in \d+\.\d s \(simulation \d+\.\d s", page.inner_text("#status")
        )
        assert not page.is_visible("#progress")
        before = _powered_sum(page)

        page.fill("#generators", "60")
        _run_and_wait(page, 3)
        assert _powered_sum(page) > before
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        page.fill("#generators", "-3")
        page.click("#run")
        page.wait_for_selector("#error-generators:not(:empty)", timeout=30_000)
        assert "greater than or equal to 0" in page.inner_text("#error-generators")
        assert "invalid" in (page.get_attribute("#generators", "class") or "")
        assert page.get_attribute("body", "data-stale") == "true"  # the charts shown are not for these inputs
        page.screenshot(path=str(ARTIFACTS / "dashboard-error.png"), full_page=True)

        page.fill("#generators", "14")
        page.fill("#grid", "2024-07-01 8\nnext month 50")
        page.click("#run")
        page.wait_for_selector("#error-grid:not(:empty)", timeout=10_000)
        assert "YYYY-MM-DD MW" in page.inner_text("#error-grid")
        assert page.inner_text("#error-generators") == ""

        page.select_option("#preset", "gigacampus-1m")  # a battery of 260 catalog units
        page.wait_for_function("document.getElementById('battery-count').value === '260'", timeout=10_000)
        assert page.is_visible("#battery-count") and not page.is_visible("#battery-mw")
        assert "megapack-2xl" in page.inner_text("#battery-unit")
    assert errors == []
    assert outside == []


def _overlap(a: list[float] | None, b: list[float] | None) -> bool:
    if a is None or b is None:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_phone_width_no_overlapping_legends(server: str) -> None:
    with chromium_browser() as browser:
        page, errors, outside = _open(browser, server, 390, 844)
        assert page.inner_text("#outcome").startswith("Training finished: yes")
        boxes = page.evaluate(BOXES)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    assert len(boxes) >= 5
    for cid in ("dash-gpus", "dash-supply", "dash-climate", "dash-training", "dash-emissions"):
        assert boxes[cid]["legend"] is not None, cid
    for cid, box in boxes.items():  # a chart without a legend (showlegend false) has nothing to overlap
        assert box["title"] is not None, cid
        assert not _overlap(box["legend"], box["title"]), (cid, box)
        assert not _overlap(box["legend"], box["xtitle"]), (cid, box)
    assert overflow <= 1
    assert errors == [] and outside == []
