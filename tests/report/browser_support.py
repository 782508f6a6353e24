"""Shared by the report and web tests: Debian's chromium under Playwright, and reading embedded figures."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CHROMIUM = os.environ.get("MEGACLUSTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def require_chromium() -> str:
    """Path of chromium; fail under CI when it is missing, skip otherwise."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            path = None
    if not path:
        message = f"chromium ({CHROMIUM}) or playwright is missing: apt-get install -y chromium; uv sync"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """A launched chromium browser (Playwright), closed on exit."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def array_length(value: Any) -> int:
    """Number of values in a Plotly data array (a JSON list or a base64 typed array)."""
    if isinstance(value, dict) and "bdata" in value:
        raw = base64.b64decode(value["bdata"])
        return len(np.frombuffer(raw, dtype=np.dtype(value["dtype"])))
    if isinstance(value, list):
        return len(value)
    return 0


def array_values(value: Any) -> np.ndarray:
    """The numbers of a Plotly data array."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).astype(float)
    return np.asarray([np.nan if v is None else v for v in value], dtype=float)


_BLOCK = re.compile(
    r'<script type="application/json" class="figure-data" data-target="([^"]+)"[^>]*>(.*?)</script>', re.S
)


def embedded_figures(html: str) -> dict[str, dict[str, Any]]:
    """Chart id -> figure dict of every figure embedded in a page."""
    return {m.group(1): json.loads(m.group(2).replace("<\\/", "</")) for m in _BLOCK.finditer(html)}


def external_references(html: str) -> list[str]:
    """Every tag attribute that would load something over the network (scripts, styles, images, frames)."""
    pattern = re.compile(
        r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"' >]+)"
    )
    return pattern.findall(html) + re.findall(r"@import\s+url\(\s*[\"']?(https?://[^\"')]+)", html)


def check_page_charts(page: Any, chart_ids: list[str]) -> dict[str, int]:
    """Traces drawn in each chart div of a loaded page (fails if a chart is missing or empty)."""
    counts: dict[str, int] = {}
    for cid in chart_ids:
        n = page.evaluate(
            """(id) => { const el = document.getElementById(id);
                if (!el || !el.classList.contains('js-plotly-plot')) return -1;
                if (!el.querySelector('svg.main-svg')) return -2;
                return (el._fullData || []).length; }""",
            cid,
        )
        counts[cid] = int(n)
    return counts
