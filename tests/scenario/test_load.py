"""Scenario loading: presets, extends, overrides and every bad input named clearly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from megacluster.errors import InputError
from megacluster.scenario.load import load_scenario, preset_names, scenario_from_dict, scenario_to_toml
from megacluster.units import parse_duration_s


def test_every_preset_loads_and_names_itself() -> None:
    names = preset_names()
    assert {"colossus-2024", "colossus-2025", "llama3-meta-24k", "llama3-405b-54d"} <= set(names)
    for name in names:
        assert load_scenario(name).name == name


def test_extends_overrides_only_given_fields() -> None:
    child = load_scenario("llama3-405b-54d")
    parent = load_scenario("llama3-meta-24k")
    assert child.simulation.horizon_days == 54
    assert child.fleet == parent.fleet
    assert child.training == parent.training


def test_file_extends_preset(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario('extends = "colossus-2024"\n[simulation]\nhorizon_days = 10\n')
    scenario = load_scenario(path)
    assert scenario.simulation.horizon_days == 10
    assert scenario.total_gpus() == 100_000
    assert scenario.name == "scenario"  # a file is named after itself unless it says otherwise


def test_dotted_overrides() -> None:
    s = load_scenario("colossus-2024", {"power.generators[0].count": 20, "simulation.seed": 9})
    assert s.power.generators[0].count == 20
    assert s.simulation.seed == 9


def test_resolved_toml_round_trips(tmp_path: Path) -> None:
    s = load_scenario("colossus-2025")
    path = tmp_path / "resolved.toml"
    path.write_text(scenario_to_toml(s), encoding="utf-8")
    assert load_scenario(path) == s


@pytest.mark.parametrize(
    ("text", "value"), [("5min", 300.0), ("1h", 3600.0), ("30s", 30.0), (60, 60.0), ("1.5h", 5400.0)]
)
def test_durations(text: object, value: float) -> None:
    assert parse_duration_s(text) == value


def _error_for(text: str, write_scenario: Callable[..., Path]) -> InputError:
    path = write_scenario(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    return info.value


def test_invalid_toml(write_scenario: Callable[..., Path]) -> None:
    err = _error_for("name = [unclosed\n", write_scenario)
    assert "invalid TOML" in str(err)


def test_unknown_accelerator_suggests_nearest(
    write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    err = _error_for(small_scenario_text.replace('"h100-sxm"', '"h100-sxn"'), write_scenario)
    assert err.field == "fleet[0].accelerator"
    assert "did you mean 'h100-sxm'" in str(err)


def test_negative_count(write_scenario: Callable[..., Path], small_scenario_text: str) -> None:
    err = _error_for(small_scenario_text.replace("count = 4096", "count = -5"), write_scenario)
    assert err.field == "fleet[0].count"
    assert "greater than 0" in str(err)


def test_schedule_out_of_order(write_scenario: Callable[..., Path], small_scenario_text: str) -> None:
    text = small_scenario_text.replace("2024-07-08, mw = 20", "2024-06-08, mw = 20")
    err = _error_for(text, write_scenario)
    assert err.field == "power.grid"
    assert "date order" in str(err)


def test_battery_with_more_power_than_it_can_hold(
    write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    err = _error_for(small_scenario_text.replace("power_mw = 2.0", "power_mw = 200.0"), write_scenario)
    assert err.field == "power.battery"
    assert "energy_mwh" in str(err)


def test_extends_unknown_preset(write_scenario: Callable[..., Path]) -> None:
    err = _error_for('extends = "colossus-2042"\n', write_scenario)
    assert err.field == "extends"
    assert "did you mean" in str(err)


def test_unknown_field_suggests_nearest(
    write_scenario: Callable[..., Path], small_scenario_text: str
) -> None:
    err = _error_for(small_scenario_text.replace("horizon_days", "horizon_dayz"), write_scenario)
    assert "horizon_days" in str(err)


def test_missing_required_field() -> None:
    with pytest.raises(InputError) as info:
        scenario_from_dict({"name": "x"}, "inline")
    assert info.value.field == "simulation"


def test_unknown_preset_lists_valid_ones() -> None:
    with pytest.raises(InputError) as info:
        load_scenario("colosus-2024")
    assert "colossus-2024" in str(info.value)


def test_training_start_before_the_simulation() -> None:
    with pytest.raises(InputError) as info:
        load_scenario("colossus-2024", {"training.start": "2024-06-01"})
    assert "before simulation.start" in str(info.value)


def test_inline_model_shape(write_scenario: Callable[..., Path], small_scenario_text: str) -> None:
    inline = (
        "[training.model]\nname = 'GPT-3 175B, inline'\nparams_b = 175\nlayers = 96\nhidden = 12288\n"
        "heads = 96\nffn_hidden = 49152\nseq_len = 2048\nvocab = 51200\n"
    )
    text = small_scenario_text.replace('model = "gpt3-175b"\n', "").replace(
        "[training.layout]", inline + "[training.layout]"
    )
    scenario = load_scenario(write_scenario(text))
    shape = scenario.training.shape() if scenario.training else None
    assert shape is not None and shape.layers == 96 and shape.name == "GPT-3 175B, inline"
    from megacluster.engine.simulate import simulate

    inline_run = simulate(scenario).summary.training
    catalog_run = simulate(load_scenario(write_scenario(small_scenario_text, "cat.toml"))).summary.training
    assert inline_run is not None and catalog_run is not None
    assert inline_run.mfu == catalog_run.mfu
    assert inline_run.completed_flop == catalog_run.completed_flop


def test_inline_model_shape_bad_value(write_scenario: Callable[..., Path], small_scenario_text: str) -> None:
    text = small_scenario_text.replace(
        'model = "gpt3-175b"',
        "model = { params_b = 1, layers = 0, hidden = 64, "
        "heads = 2, ffn_hidden = 256, seq_len = 128, vocab = 100 }",
    )
    with pytest.raises(InputError) as info:
        load_scenario(write_scenario(text))
    assert info.value.field == "training.model.layers"
