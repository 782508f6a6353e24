"""The command line end to end: run, presets, show, and every bad input -> exit 2, nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from megacluster.cli import app

runner = CliRunner()

SUMMARY_KEYS = {
    "scenario",
    "seed",
    "horizon_days",
    "gpus_installed_peak",
    "gpus_powered_mean",
    "it_power_peak_mw",
    "facility_power_peak_mw",
    "supply_capacity_peak_mw",
    "unserved_energy_mwh",
    "energy_mwh",
    "emissions_t",
    "training",
}
TRAINING_KEYS = {"target_flop", "completed_flop", "finished", "finish_day", "goodput", "interruptions", "mfu"}


def test_run_writes_outputs(
    tmp_path: Path, write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    path = write_scenario(small_scenario_text)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("summary.json", "timeseries.parquet", "events.parquet", "scenario.toml"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= SUMMARY_KEYS
    assert set(summary["training"]) >= TRAINING_KEYS
    assert {"total", "grid", "generators", "battery_discharge"} <= set(summary["energy_mwh"])
    assert {"co2", "nox"} <= set(summary["emissions_t"])
    assert {"unexpected", "planned"} <= set(summary["training"]["interruptions"])
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 20 * 48
    assert "Key figures" in result.output


def test_run_json_prints_only_the_summary(
    tmp_path: Path, write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    path = write_scenario(small_scenario_text)
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "--json", "--days", "5"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["horizon_days"] == pytest.approx(5.0)
    assert json.loads((tmp_path / "o" / "summary.json").read_text()) == summary


def test_flags_override_the_scenario(
    tmp_path: Path, write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    path = write_scenario(small_scenario_text)
    result = runner.invoke(
        app,
        [
            "run",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--json",
            "--seed",
            "7",
            "--step",
            "1h",
            "--days",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["seed"] == 7
    assert len(pd.read_parquet(tmp_path / "o" / "timeseries.parquet")) == 72


def test_presets_and_show() -> None:
    listed = runner.invoke(app, ["presets"])
    assert listed.exit_code == 0
    assert "colossus-2024" in listed.output
    shown = runner.invoke(app, ["show", "colossus-2024"])
    assert shown.exit_code == 0
    assert "[[fleet]]" in shown.output


BAD_INPUTS = {
    "invalid TOML": ("name = [", "invalid TOML"),
    "unknown accelerator": (None, "did you mean 'h100-sxm'"),
    "negative count": (None, "fleet[0].count"),
    "schedule out of order": (None, "date order"),
    "battery too powerful": (None, "power.battery"),
    "unknown extends": ('extends = "colossus-2099"\n', "extends"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_without_output(
    case: str, tmp_path: Path, write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    text, expected = BAD_INPUTS[case]
    if text is None:
        text = {
            "unknown accelerator": small_scenario_text.replace('"h100-sxm"', '"h100-sxn"'),
            "negative count": small_scenario_text.replace("count = 4096", "count = -1"),
            "schedule out of order": small_scenario_text.replace(
                "2024-07-08, mw = 20", "2024-06-01, mw = 20"
            ),
            "battery too powerful": small_scenario_text.replace("power_mw = 2.0", "power_mw = 900.0"),
        }[case]
    path = write_scenario(text)
    out = tmp_path / "never"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not any(p.name.startswith(".never") for p in tmp_path.iterdir())


def test_unknown_preset_and_bad_step(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "colosus-2024", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "colossus-2024" in result.output
    result = runner.invoke(app, ["run", "colossus-2024", "--step", "fast", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "duration" in result.output


def test_spares_larger_than_fleet(
    tmp_path: Path, write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    path = write_scenario(small_scenario_text + "[reliability]\nspares_gpus = 5000\n")
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "spares_gpus" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("interruption_rate_per_gpu_hour = -1e-5", "reliability.interruption_rate_per_gpu_hour"),
        ("interruption_rate_per_gpu_hour = nan", "reliability.interruption_rate_per_gpu_hour"),
        ("checkpoint_interval_min = 0.5\ncheckpoint_write_s = 60", "reliability"),
    ],
)
def test_bad_reliability_input(
    extra: str, field: str, tmp_path: Path, write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    path = write_scenario(small_scenario_text + f"[reliability]\n{extra}\n")
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2, result.output
    assert field in result.output
    assert not (tmp_path / "x").exists()


def test_interval_shorter_than_size_based_write_time() -> None:
    # 405B: ~5.7 TB per checkpoint; at 0.001 TB/s it takes ~95 min to write, longer than a 30-minute interval
    from megacluster.engine.simulate import simulate
    from megacluster.errors import InputError
    from megacluster.scenario.load import load_scenario

    scenario = load_scenario(
        "llama3-405b-54d",
        {"reliability.checkpoint_interval_min": 30, "reliability.storage_bandwidth_tb_s": 0.001},
    )
    with pytest.raises(InputError) as info:
        simulate(scenario)
    assert info.value.field == "reliability.checkpoint_interval_min"


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("[training.layout]\ntp = 7\npp = 1\n", "layout.tp", "divisible"),
        ('[training]\naccelerator = "b200"\n', "training", "not in the fleet"),
        ("[training]\njob_gpus = 4\nmfu = 0.4\n", "training.job_gpus", "model replica"),
        ("[reliability]\ncheckpoint_interval_min = 0.1\ncheckpoint_write_s = 60\n", "reliability", "longer"),
    ],
)
def test_impossible_training_exits_2_naming_file_and_field(
    extra: str, field: str, words: str, tmp_path: Path, write_scenario: Callable[..., Path]
) -> None:
    path = write_scenario(f'extends = "colossus-2024"\n[simulation]\nhorizon_days = 2\nstep = "1h"\n{extra}')
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output
    assert field in result.output
    assert words in result.output
    assert not (tmp_path / "x").exists()
