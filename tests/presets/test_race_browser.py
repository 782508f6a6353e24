"""race.html opened offline in chromium: every chart is drawn with data, the ranking table is there and ranks,
the milestones are on the compute chart, and nothing is fetched from the network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    ARTIFACTS,
    check_page_charts,
    chromium_browser,
    embedded_figures,
    external_references,
)

from megacluster.engine.race import REFERENCE_JOB, race_series, reference_rate
from megacluster.report.race_view import RACE_CHARTS, RANKING_TABLE, Race, render_race
from megacluster.results.assemble import Results

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def race_page(short_runs: dict[str, Results], tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = [short_runs["colossus-2"], short_runs["microsoft-fairwater"]]
    series = tuple(race_series(r) for r in runs)
    rates = tuple(reference_rate(a) for a in ("gb200", "gb300"))
    race = Race(
        series=series, job=REFERENCE_JOB, rates=rates, dates=(dt.date(2025, 9, 30), dt.date(2025, 10, 15))
    )
    path = tmp_path_factory.mktemp("race") / "race.html"
    path.write_text(render_race(race), encoding="utf-8")
    return path


def test_race_page_offline(race_page: Path) -> None:
    html = race_page.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert set(RACE_CHARTS) <= set(embedded_figures(html))
    fetched: list[str] = []
    errors: list[str] = []
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def block(route: Any) -> None:
            url = route.request.url
            if url.startswith(("file:", "data:", "blob:", "about:")):
                route.continue_()
            else:
                fetched.append(url)
                route.abort()

        page.route("**/*", block)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(race_page.as_uri())
        page.wait_for_selector(f"body[data-charts-drawn='{len(RACE_CHARTS)}']", timeout=60_000)
        counts = check_page_charts(page, list(RACE_CHARTS))
        assert all(n >= 2 for n in counts.values()), counts
        names = page.evaluate("document.getElementById('race-compute')._fullData.map(t => t.name)")
        assert "colossus-2: public milestones" in names
        rows = page.evaluate(
            f"""() => Array.from(document.querySelectorAll('#{RANKING_TABLE} tbody tr'))
                .map(tr => Array.from(tr.cells).map(c => c.textContent))"""
        )
        assert [r[1] for r in rows if r[0] == "2025-10-15"] == ["1", "2"]
        assert rows[0][2].startswith("xAI Colossus 2") and "gb200" in rows[0][3]
        assert "Llama 3.1 405B" in page.inner_text("#reference-job")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "race.png"), full_page=True)
    assert fetched == [] and errors == []
