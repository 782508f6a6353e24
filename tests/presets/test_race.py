"""The compute race: the reference job's rate on every accelerator, the deliverable compute of a campus worked
by hand from its time series, the ranking's rules, the ``race`` command end to end (outputs, bad input)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from cli.entry import invoke
from megacluster import catalog
from megacluster.engine.fleets import build_fleets
from megacluster.engine.race import REFERENCE_JOB, RaceSeries, race_series, reference_rate, standings
from megacluster.results.assemble import Results
from megacluster.units import TimeGrid


@pytest.mark.parametrize("accelerator", sorted(catalog.accelerators()))
def test_reference_job_fits_every_accelerator(accelerator: str) -> None:
    rate = reference_rate(accelerator, REFERENCE_JOB)
    assert 0.1 < rate.mfu < 0.8, rate
    peak = catalog.accelerators()[accelerator].bf16_dense_tflops * 1e12
    assert rate.flop_s_per_gpu == pytest.approx(peak * rate.mfu)


def test_deliverable_compute_by_hand_on_a_mixed_fleet(short_runs: dict[str, Results]) -> None:
    """colossus-2 (GB200 then GB300): each step's powered GPUs x throughput factor x the share-weighted
    per-GPU rate; daily means; the running sum of rate x step."""
    results = short_runs["colossus-2"]
    series = race_series(results)
    sim = results.scenario.simulation
    grid = TimeGrid.build(sim.start, sim.horizon_days, sim.step)
    per_gpu = {
        f.accelerator.id: reference_rate(f.accelerator.id).flop_s_per_gpu
        for f in build_fleets(results.scenario, grid)
    }
    assert per_gpu["gb200"] > 0 and per_gpu["gb300"] > 0
    ts = results.timeseries
    day = 60  # 30 Aug 2025: GB200 only, powered
    rows = ts.iloc[day * 24 : (day + 1) * 24]
    by_hand = float(np.mean(rows["gpus_powered"] * rows["throughput_factor"])) * per_gpu["gb200"]
    assert series.delivered_flop_s[day] == pytest.approx(by_hand, rel=1e-9)
    assert series.delivered_flop_s[day] > 0
    steps = np.asarray(ts["gpus_powered"] * ts["throughput_factor"]) * per_gpu["gb200"]  # no GB300 yet
    assert series.cumulative_flop[-1] == pytest.approx(float(np.sum(steps)) * 3600.0, rel=1e-9)
    assert np.all(np.diff(series.cumulative_flop) >= 0)
    assert series.installed_by_accelerator["gb300"].max() == 0  # the GB300 arrive after day 120
    assert series.onsite_co2_t[-1] == pytest.approx(results.summary.emissions_t.co2_generators, rel=1e-6)


def _series(label: str, start: dt.date, days: int, rate: float) -> RaceSeries:
    import pandas as pd

    ones = np.ones(days)
    return RaceSeries(
        label=label,
        scenario=label,
        start=start,
        days=pd.date_range(start.isoformat(), periods=days, freq="D", tz="UTC"),
        gpus_installed=ones * 10,
        gpus_powered=ones * 10,
        delivered_flop_s=ones * rate,
        cumulative_flop=np.cumsum(ones * rate * 86400.0),
        facility_mw=ones,
        onsite_co2_t=np.zeros(days),
        installed_by_accelerator={"h100-sxm": ones * 10},
    )


def test_standings_rank_by_deliverable_compute_and_take_a_campus_latest_run() -> None:
    old = _series("campus-a-2024", dt.date(2024, 1, 1), 400, 5.0)
    new = _series("campus-a-2025", dt.date(2025, 1, 1), 200, 1.0)
    other = _series("campus-b", dt.date(2024, 6, 1), 400, 3.0)
    key = {"campus-a-2024": "a", "campus-a-2025": "a", "campus-b": "b"}
    on = dt.date(2025, 1, 10)  # both runs of campus a cover it: the one starting last counts
    ranked = standings([old, new, other], on, lambda s: key[s.scenario])
    assert [(r.rank, r.label) for r in ranked] == [(1, "campus-b"), (2, "campus-a-2025")]
    assert ranked[1].delivered_flop_s == 1.0 and ranked[1].cumulative_flop == pytest.approx(10 * 86400.0)
    later = standings([old, new, other], dt.date(2025, 12, 1), lambda s: key[s.scenario])
    assert [(r.rank, r.key) for r in later] == [(None, "a"), (None, "b")]


@pytest.mark.slow  # two campuses simulated over a year each (~15 s)
def test_race_command_writes_the_page_and_ranks(tmp_path: Path) -> None:
    out = tmp_path / "race"
    args = ["race", "colossus-2", "microsoft-fairwater", "--step", "1d", "--at", "2025-12-31,2026-06-30"]
    done = invoke([*args, "--out", str(out), "--json"])
    assert done.code == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data["standings"]) == {"2025-12-31", "2026-06-30"}
    top = data["standings"]["2026-06-30"][0]
    assert top["rank"] == 1 and top["label"] == "colossus-2" and top["delivered_flop_s"] > 1e20
    assert {r["accelerator"] for r in data["rates"]} == {"gb200", "gb300"}
    assert {"race.html", "race.json", ".megacluster-run.json"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "race.json").read_text("utf-8")) == data
    assert "Deliverable to the reference job [EFLOP" in (out / "race.html").read_text("utf-8")
    quick = ["race", "microsoft-fairwater", "--step", "1d", "--out", str(out)]
    again = invoke(quick)  # an earlier race there: replaced only with --force
    assert again.code == 2 and "--force" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert invoke([*quick, "--force"]).code == 0
    assert "colossus-2" not in (out / "race.json").read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["race", "colossus-2", "--at", "2026-13-01"], "expected a date YYYY-MM-DD, got '2026-13-01'"),
        (["race", "no-such-preset"], "no-such-preset"),
    ],
)
def test_race_bad_input_is_one_line_and_exit_2(args: list[str], words: str, tmp_path: Path) -> None:
    done = invoke([*args, "--out", str(tmp_path / "r")])
    assert done.code == 2 and words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_race_never_replaces_a_folder_that_is_not_megacluster_s(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    done = invoke(["race", "colossus-2", "--step", "1d", "--out", str(mine), "--force"])
    assert done.code == 2 and (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"


BAD_SCENARIOS = sorted(
    (Path(__file__).resolve().parents[1] / "data" / "bad_inputs" / "scenarios").glob("*.toml")
)


@pytest.mark.parametrize("path", BAD_SCENARIOS, ids=lambda p: p.name)
def test_every_bad_scenario_stops_race_before_any_simulation(
    path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The bad scenarios of tests/data/bad_inputs through ``race``: exit 2, one line, nothing written, no
    simulation started (oversized work is refused from its estimate)."""

    def trap(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a simulation started for bad input")

    monkeypatch.setattr("megacluster.engine.simulate.simulate", trap)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    done = invoke(["race", "colossus-2", str(path)])
    assert done.code == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr
    assert list(work.iterdir()) == []
