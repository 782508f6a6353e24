"""compare: a key-figures table and overlaid charts for several scenarios, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from browser_support import ARTIFACTS, array_length, check_page_charts, chromium_browser, embedded_figures
from browser_support import external_references as external
from engine_results import engine_results
from typer.testing import CliRunner

from megacluster import catalog
from megacluster.cli.report import register
from megacluster.report.compare import (
    COMPARE_CHARTS,
    CompareWindow,
    choose_window,
    compare_data,
    compare_table,
    render_compare,
    write_compare,
)
from megacluster.report.intensity import job_intensity
from megacluster.report.race import campus_series
from megacluster.results.assemble import Results
from megacluster.scenario.load import load_scenario


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
    assert 'id="compare-figures"' in html and "Energy per 10²⁴ FLOP (job&#x27;s share)" in html
    assert external(html) == []


def test_compare_json(three: list[Results]) -> None:
    data = compare_data(three)
    assert [s["name"] for s in data["scenarios"]] == ["colossus-2024", "colossus-2025", "llama3-meta-24k"]
    row = next(r for r in data["key_figures"] if r["key"] == "gpus_installed_peak")
    assert len(row["values"]) == 3 and row["unit"] == "GPUs"
    per = next(r for r in data["key_figures"] if r["key"] == "energy_mwh_per_1e24_flop")
    assert all(v is None or v > 0 for v in per["values"])
    a, b, c = row["values"]
    assert row["diff_vs_first"] == [None, b - a, c - a]
    assert row["diff_pct_vs_first"][1:] == [pytest.approx((b - a) / a), pytest.approx((c - a) / a)]


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


def test_difference_columns(three: list[Results]) -> None:
    header, rows, json_rows = compare_table(three)
    assert header == [
        "figure",
        "colossus-2024",
        "colossus-2025",
        "llama3-meta-24k",
        "Δ colossus-2025",
        "Δ% colossus-2025",
        "Δ llama3-meta-24k",
        "Δ% llama3-meta-24k",
        "unit",
    ]
    by_key = {r["key"]: r for r in json_rows}
    start = by_key["start_date"]
    assert start["diff_vs_first"] == [None, 184.0, -182.0]  # days: 2025-01-01 and 2024-01-01 vs 2024-07-01
    co2 = by_key["emissions_t.co2_generators"]
    first, second = co2["values"][:2]
    assert co2["diff_vs_first"][1] == pytest.approx(second - first)
    assert co2["diff_pct_vs_first"][1] == pytest.approx((second - first) / first)
    text = next(r for r in rows if r[0] == "CO2 from on-site generators")
    assert text[4] == f"{second - first:+,.0f}" and text[5] == f"{(second - first) / first:+.1%}"
    for key in ("horizon_days", "cost_usd.total", "emissions_t.co2_grid", "homes_equivalent.us_average"):
        assert key in by_key, key
    finished = next(r for r in rows if r[0] == "Training finished")
    assert finished[4:8] == ["–", "–", "–", "–"]  # no difference of yes/no


def test_common_window_is_chosen_and_stated() -> None:
    short = load_scenario("colossus-2024")
    long = load_scenario("stargate-abilene")
    common = choose_window([short, long], CompareWindow.COMMON)
    assert common.days == 300
    assert "first 300 days" in common.statement and "colossus-2024's" in common.statement
    own = choose_window([short, long], CompareWindow.OWN)
    assert own.days is None and "own horizon" in own.statement
    given = choose_window([short, long], CompareWindow.COMMON, days_given=30)
    assert given.days == 30
    same = choose_window([long, long], CompareWindow.COMMON)
    assert same.days is None and "the same for all" in same.statement


def test_job_share_intensity(three: list[Results]) -> None:
    r = three[0]
    share = job_intensity(r)
    ts = r.timeseries
    whole = Results(r.scenario, r.summary, ts.assign(job_gpus=ts["gpus_powered"]), r.events)
    everything = job_intensity(whole)
    held = ts["gpus_powered"] > 0
    assert everything.energy_mwh == pytest.approx(
        float(ts["facility_power_mw"][held].sum()) * r.summary.step_s / 3600
    )
    assert everything.co2_t == pytest.approx(float(ts["co2_t"][held].sum()))
    assert 0 < share.energy_mwh < everything.energy_mwh  # the job holds GPUs from day 21 only
    idle = job_intensity(Results(r.scenario, r.summary, ts.assign(job_gpus=0), r.events))
    assert idle.energy_mwh == 0 and idle.held_hours == 0
    per = share.per_yflop()
    assert per["co2_t_per_1e24_flop"] == pytest.approx(share.co2_t / (share.flop / 1e24))


def test_compute_race_chart(three: list[Results]) -> None:
    fig = embedded_figures(render_compare(three))["compare-race"]
    lines = [t for t in fig["data"] if t.get("mode") == "lines"]
    assert {t["name"] for t in lines} == {"colossus-2024", "colossus-2025", "llama3-meta-24k"}
    meta = three[2]  # 24,576 H100 on 60 MW: every GPU powered, uncapped, from the first day
    series = campus_series(meta)
    mfu = meta.summary.training.mfu if meta.summary.training else None
    peak = catalog.accelerators()["h100-sxm"].peak_flop_s("bf16")
    assert mfu is not None and len(series.days) == 30
    assert series.effective_flop_s == pytest.approx(24_576 * peak * mfu, rel=1e-6)
    assert series.cumulative_flop[-1] == pytest.approx(24_576 * peak * mfu * 30 * 86400, rel=1e-6)
    ts = three[0].timeseries  # colossus-2024: the same, day by day, from powered GPUs and power caps
    day = ts[(ts["time"] >= "2024-07-10T06:00Z") & (ts["time"] < "2024-07-11T06:00Z")]  # a Memphis day
    first = campus_series(three[0])
    c_mfu = three[0].summary.training.mfu if three[0].summary.training else None
    assert c_mfu is not None
    expected = float((day["gpus_powered"] * day["throughput_factor"]).mean()) * peak * c_mfu
    assert first.effective_flop_s[
        first.days.get_loc(pd.Timestamp("2024-07-10 06:00", tz="UTC"))
    ] == pytest.approx(expected)
    milestones = [t for t in fig["data"] if t.get("meta") == "milestones"]
    assert [t["name"] for t in milestones] == ["colossus-2024: public milestones"]  # only one inside 30 days
    assert list(milestones[0]["hovertext"]) == [
        "3. late July 2024: training starts on the Memphis Supercluster<br>[S] facts.md 1.1"
    ]
    page = render_compare(three)
    assert '<td class="num">3</td><td>late July 2024</td>' in page  # numbered as in the list under the chart
    assert "Meta announces two 24,576-GPU clusters" in page  # listed, outside the simulated window


def test_compare_three_campuses_end_to_end(tmp_path: Path) -> None:
    """The issue's command, presets as shipped: difference columns and the compute-race chart."""
    out = tmp_path / "race"
    args = ["compare", "colossus-2024", "colossus-2025", "stargate-abilene", "--out", str(out)]
    result = CliRunner().invoke(_cli(), args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Compared over a common window: each scenario's first 300 days" in result.output
    assert "Δ colossus-2025" in result.output and "Δ stargate-abilene" in result.output
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert "Δ% stargate-abilene" in html
    race = embedded_figures(html)["compare-race"]
    names = {t["name"] for t in race["data"]}
    assert {"colossus-2024", "colossus-2025", "stargate-abilene"} <= names
    assert "colossus-2024: public milestones" in names and "stargate-abilene: public milestones" in names
    hover = {t["name"]: " ".join(t["hovertext"]) for t in race["data"] if t.get("meta") == "milestones"}
    assert "Grok 3 launched" in hover["colossus-2025: public milestones"]  # a 2025 event on the 2025 campus
    assert "Grok 3 launched" not in hover["colossus-2024: public milestones"]
    assert "Musk: the 100K H100 training cluster is online" in hover["colossus-2024: public milestones"]
    data = json.loads((out / "compare.json").read_text())
    assert data["window"]["days"] == 300 and all(
        s["summary"]["horizon_days"] == 300 for s in data["scenarios"]
    )
