"""Re-take docs/img/report.png, docs/img/dashboard.png and docs/img/compare-race.png with Debian's chromium
(Playwright), from the current code:

uv run megacluster run colossus-2024 --out runs/colossus-2024
uv run megacluster compare colossus-2024 colossus-2025 stargate-abilene --out runs/compare
uv run megacluster serve --port 8765 &
uv run python docs/img/make_screenshots.py runs/colossus-2024/report.html http://127.0.0.1:8765 \
    runs/compare/compare.html
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
HERE = Path(__file__).resolve().parent


def main(report: str, server: str, compare: str | None = None) -> None:
    """Screenshot the top of the flagship's report, the dashboard's flagship run (on load, the preset's
    defaults) and the compute-race chart of a comparison."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[*ARGS, "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 2300})
        page.goto(Path(report).resolve().as_uri())
        page.wait_for_selector("body[data-charts-drawn]")
        page.screenshot(path=str(HERE / "report.png"))
        page = browser.new_page(viewport={"width": 1400, "height": 1250})
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready='true']")
        page.wait_for_selector("body[data-runs='1']", timeout=120_000)
        page.screenshot(path=str(HERE / "dashboard.png"))
        if compare:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(Path(compare).resolve().as_uri())
            page.wait_for_selector("body[data-charts-drawn]")
            page.locator("#compare-race").screenshot(path=str(HERE / "compare-race.png"))
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
