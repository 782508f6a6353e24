"""The dashboard in Debian's chromium (Playwright) against a real uvicorn server and the real engine."""

from __future__ import annotations

import os
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

ROOT = Path(__file__).resolve().parents[2]


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


def _figures(page: Any) -> str:
    return str(page.inner_text("#key-figures tbody"))


def _powered_sum(page: Any) -> float:
    return float(
        page.evaluate(
            """() => { const d = document.getElementById('dash-gpus').data;
                const t = d.find(x => x.name === 'powered'); return t.y.reduce((a, b) => a + b, 0); }"""
        )
    )


def _run_and_wait(page: Any, runs: int) -> None:
    page.click("#run")
    page.wait_for_selector(f"body[data-runs='{runs}']", timeout=60_000)


def test_dashboard_run_change_and_errors(server: str) -> None:
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        outside: list[str] = []
        page.on("request", lambda req: None if req.url.startswith(server) else outside.append(req.url))
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready='true']", timeout=30_000)
        page.select_option("#preset", "colossus-2024")
        page.wait_for_function("document.getElementById('gpus').value === '100000'", timeout=10_000)
        page.fill("#days", "60")
        _run_and_wait(page, 1)
        before_figures, before_powered = _figures(page), _powered_sum(page)
        assert "GPUs installed (peak)" in before_figures
        for cid in ("dash-gpus", "dash-supply", "dash-training", "dash-battery"):
            assert page.evaluate(f"document.getElementById('{cid}').data.length") > 0, cid

        page.fill("#generators", "60")
        _run_and_wait(page, 2)
        after_figures, after_powered = _figures(page), _powered_sum(page)
        assert after_figures != before_figures
        assert after_powered > before_powered
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        page.fill("#generators", "-3")
        page.click("#run")
        page.wait_for_selector("#error-generators:not(:empty)", timeout=30_000)
        assert "greater than or equal to 0" in page.inner_text("#error-generators")
        assert "invalid" in (page.get_attribute("#generators", "class") or "")
        page.screenshot(path=str(ARTIFACTS / "dashboard-error.png"), full_page=True)

        page.fill("#generators", "14")
        page.fill("#grid", "2024-07-01 8\nnext month 50")
        page.click("#run")
        page.wait_for_selector("#error-grid:not(:empty)", timeout=10_000)
        assert "YYYY-MM-DD MW" in page.inner_text("#error-grid")
        assert page.inner_text("#error-generators") == ""
    assert errors == []
    assert outside == []
