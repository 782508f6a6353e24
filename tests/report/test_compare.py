"""compare: a key-figures table and overlaid charts for several scenarios, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from browser_support import ARTIFACTS, array_length, check_page_charts, chromium_browser, embedded_figures
from browser_support import external_references as external
from engine_results import engine_results
from typer.testing import CliRunner

from megacluster.cli.report import register
from megacluster.report.compare import COMPARE_CHARTS, compare_data, render_compare, write_compare
from megacluster.results.assemble import Results


@pytest.fixture(scope="module")
def three() -> list[Results]:
    return [
        engine_results("colossus-2024", days=30),
        engine_results("colossus-2025", days=30),
        engine_results("llama3-meta-24k", days=30),
    ]


def _cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """megacluster (test shell)."""

    register(app)
    return app


def test_compare_page_has_table_and_charts(three: list[Results]) -> None:
    html = render_compare(three)
    figures = embedded_figures(html)
    assert list(figures) == list(COMPARE_CHARTS)
    gpus = figures["compare-gpus"]
    assert {"colossus-2024", "colossus-2025", "llama3-meta-24k"} <= {t["name"] for t in gpus["data"]}
    for cid, fig in figures.items():
        assert any(array_length(t.get("y")) > 0 for t in fig["data"]), cid
    assert 'id="compare-figures"' in html and "Energy per 10²⁴ FLOP" in html
    assert external(html) == []


def test_compare_json(three: list[Results]) -> None:
    data = compare_data(three)
    assert [s["name"] for s in data["scenarios"]] == ["colossus-2024", "colossus-2025", "llama3-meta-24k"]
    row = next(r for r in data["key_figures"] if r["key"] == "gpus_installed_peak")
    assert len(row["values"]) == 3 and row["unit"] == "GPUs"
    per = next(r for r in data["key_figures"] if r["key"] == "energy_mwh_per_1e24_flop")
    assert all(v is None or v > 0 for v in per["values"])


def test_same_scenario_twice_gets_distinct_labels() -> None:
    a = engine_results("colossus-2024", days=5)
    data = compare_data([a, a])
    assert [s["label"] for s in data["scenarios"]] == ["colossus-2024", "colossus-2024 #2"]


def test_write_compare_files(three: list[Results], tmp_path: Path) -> None:
    out = write_compare(three, tmp_path / "cmp")
    assert sorted(p.name for p in out.iterdir()) == ["compare.html", "compare.json"]
    json.loads((out / "compare.json").read_text())


def test_compare_opens_in_chromium(three: list[Results], tmp_path: Path) -> None:
    out = write_compare(three, tmp_path / "cmp")
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((out / "compare.html").as_uri())
        page.wait_for_selector(f"body[data-charts-drawn='{len(COMPARE_CHARTS)}']", timeout=20_000)
        counts = check_page_charts(page, list(COMPARE_CHARTS))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    assert all(n > 0 for n in counts.values()), counts


def test_compare_command_needs_two(tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["compare", "colossus-2024", "--out", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "at least two" in result.output


def test_compare_command_bad_preset(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _cli(), ["compare", "colossus-2024", "colossus-2042", "--out", str(tmp_path / "c")]
    )
    assert result.exit_code == 2 and "did you mean" in result.output
    assert not (tmp_path / "c").exists()


def test_compare_command_end_to_end(tmp_path: Path) -> None:
    """Real engine, short horizon: three presets side by side."""
    out = tmp_path / "cmp"
    args = ["compare", "colossus-2024", "colossus-2025", "llama3-meta-24k", "--days", "10", "--step", "1h"]
    result = CliRunner().invoke(_cli(), [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == json.loads((out / "compare.json").read_text())
    assert len(printed["scenarios"]) == 3
    assert list(embedded_figures((out / "compare.html").read_text())) == list(COMPARE_CHARTS)
