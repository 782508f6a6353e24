"""Re-take docs/img/report.png and docs/img/dashboard.png with Debian's chromium (Playwright).

uv run megacluster run colossus-2024 --out runs/colossus-2024
uv run megacluster serve --port 8765 &
uv run python docs/img/make_screenshots.py runs/colossus-2024/report.html http://127.0.0.1:8765
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
HERE = Path(__file__).resolve().parent


def main(report: str, server: str) -> None:
    """Screenshot the top of a report and a dashboard run of colossus-2024."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[*ARGS, "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 1700})
        page.goto(Path(report).resolve().as_uri())
        page.wait_for_selector("body[data-charts-drawn]")
        page.screenshot(path=str(HERE / "report.png"))
        page = browser.new_page(viewport={"width": 1400, "height": 1150})
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready='true']")
        page.select_option("#preset", "colossus-2024")
        page.wait_for_function("document.getElementById('gpus').value === '100000'")
        page.fill("#days", "240")
        page.click("#run")
        page.wait_for_selector("body[data-runs='1']", timeout=120_000)
        page.screenshot(path=str(HERE / "dashboard.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
