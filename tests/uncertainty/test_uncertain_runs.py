"""Runs with uncertain assumptions: bands that widen with the ranges, --fixed equal to the medians' run."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from cli.entry import invoke
from megacluster.engine.simulate import simulate
from megacluster.engine.uncertain import fixed
from megacluster.scenario.load import scenario_from_dict

from .conftest import UNCERTAIN_TOML, small_data

REPLICAS = 10


def _band(flop_p10: float, flop_p90: float) -> float:
    s = scenario_from_dict(small_data(flop_p10, flop_p90), "t.toml")
    t = simulate(s, replicas=REPLICAS, workers=1, swings=False).summary.training
    assert t is not None and t.finish_day_p90 is not None and t.finish_day_p10 is not None
    return t.finish_day_p90 - t.finish_day_p10


def test_bands_widen_when_the_ranges_widen() -> None:
    narrow = _band(9e22, 1.1e23)
    wide = _band(3e22, 3e23)
    assert wide > 2.0 * narrow > 0


def test_the_fixed_band_is_only_failure_noise() -> None:
    s = scenario_from_dict(small_data(3e22, 3e23), "t.toml")
    sampled = simulate(s, replicas=REPLICAS, workers=1, swings=False).summary
    single = simulate(fixed(s), replicas=REPLICAS, workers=1, swings=False).summary
    assert sampled.training is not None and single.training is not None
    width = sampled.training.finish_day_p90 - sampled.training.finish_day_p10  # type: ignore[operator]
    fixed_width = single.training.finish_day_p90 - single.training.finish_day_p10  # type: ignore[operator]
    assert width > 3 * fixed_width
    assert single.uncertainty is None
    assert sampled.uncertainty is not None
    drivers = [d.field for d in sampled.uncertainty.finish_drivers]
    assert drivers[0] == "training.target_flop" and len(drivers) == 3


def test_sampling_is_reproducible_and_parallel_equals_serial() -> None:
    s = scenario_from_dict(small_data(), "t.toml")
    a = simulate(s, replicas=4, workers=1, swings=False).summary
    b = simulate(s, replicas=4, workers=2, swings=False).summary
    assert a.model_dump() == b.model_dump()


def test_run_fixed_reproduces_the_medians_run(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    path.write_text(UNCERTAIN_TOML, encoding="utf-8")
    medians = scenario_from_dict(tomllib.loads(UNCERTAIN_TOML) | {"name": "u"}, "u")
    assert medians.training is not None
    plain = UNCERTAIN_TOML.replace(
        'target_flop = { dist = "lognormal", p10 = 5e22, p90 = 2e23, source = "test range" }',
        f"target_flop = {medians.training.target_flop!r}",
    ).replace(
        'restart_s = { dist = "uniform", low = 300, high = 3000 }',
        f"restart_s = {medians.reliability.restart_s!r}",
    )
    (tmp_path / "plain").mkdir()
    plain_path = tmp_path / "plain" / "u.toml"
    plain_path.write_text(plain, encoding="utf-8")
    one = invoke(["run", str(path), "--fixed", "--replicas", "3", "--out", str(tmp_path / "a"), "--json"])
    two = invoke(["run", str(plain_path), "--replicas", "3", "--out", str(tmp_path / "b"), "--json"])
    assert one.code == 0, one.stderr
    assert two.code == 0, two.stderr
    assert json.loads(one.stdout) == json.loads(two.stdout)


def test_run_text_names_the_drivers(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    path.write_text(UNCERTAIN_TOML, encoding="utf-8")
    out = invoke(["run", str(path), "--replicas", "6", "--out", str(tmp_path / "r")])
    assert out.code == 0, out.stderr
    assert "What drives the finish-date spread: training.target_flop" in " ".join(out.stdout.split())
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert 'id="finish-drivers"' in html and "training.target_flop" in html


@pytest.mark.parametrize("bad", ['{ dist = "lognormal", p10 = 2e23, p90 = 5e22 }', '{ dist = "poisson" }'])
def test_bad_distribution_exits_2_and_writes_nothing(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        UNCERTAIN_TOML.replace('{ dist = "lognormal", p10 = 5e22, p90 = 2e23, source = "test range" }', bad),
        encoding="utf-8",
    )
    out = invoke(["run", str(path), "--out", str(tmp_path / "o")])
    assert out.code == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "training.target_flop" in out.stderr
    assert not (tmp_path / "o").exists()


def test_a_sampled_run_writes_its_events_file_ahead_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from megacluster.results.eventlog import EventLog
    from megacluster.results.writers import write_run_files

    s = scenario_from_dict(small_data(), "t.toml")
    ahead = simulate(s, replicas=4, workers=2, swings=False, events_ahead=True)
    end = simulate(s, replicas=4, workers=2, swings=False)
    written: list[Path] = []
    original = EventLog._write
    monkeypatch.setattr(
        EventLog, "_write", lambda log, path, f: (written.append(path), original(log, path, f))
    )
    for name, results in (("ahead", ahead), ("end", end)):
        (tmp_path / name).mkdir()
        write_run_files(results, tmp_path / name)
    assert written == [tmp_path / "end" / "events.parquet"]  # the run's own file was written ahead
    assert (tmp_path / "ahead" / "events.parquet").read_bytes() == (
        tmp_path / "end" / "events.parquet"
    ).read_bytes()
