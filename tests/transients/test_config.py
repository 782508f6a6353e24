"""The ``[transients]`` section: durations below a second, bounds, limits, the generator catalog's figures."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from megacluster import catalog
from megacluster.errors import InputError
from megacluster.scenario.load import load_scenario
from megacluster.transients.config import Limits, TransientsConfig, parse_short_duration_s


def test_durations_below_a_second() -> None:
    assert parse_short_duration_s("20ms") == pytest.approx(0.02)
    assert parse_short_duration_s("600s") == 600.0
    assert parse_short_duration_s("10min") == 600.0
    assert parse_short_duration_s(0.05) == 0.05
    with pytest.raises(ValueError, match="20ms"):
        parse_short_duration_s("fast")
    config = TransientsConfig(window="10min", resolution="50ms")
    assert (config.window, config.resolution) == (600.0, 0.05)


@pytest.mark.parametrize(
    "fields",
    [
        {"resolution": "0ms"},
        {"resolution": "0.1ms"},
        {"window": "10s", "resolution": "1s"},  # 10 samples
        {"window": "1d", "resolution": "1ms"},  # 86 million samples
        {"gpu_smoothing": {"floor_fraction": 1.2}},
        {"limits": {"band_low_hz": 30.0, "band_high_hz": 20.0}},
        {"battery": {"controller": "pid"}},
        {"unknown": 1},
    ],
)
def test_bad_values_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TransientsConfig.model_validate(fields)


def test_the_tightest_ramp_limit() -> None:
    limits = Limits(ramp_mw_per_s=1.0, ramp_up_mw_per_min=30.0, ramp_down_mw_per_min=12.0)
    assert limits.tightest_ramp_mw_per_s() == pytest.approx(0.2)
    assert Limits().tightest_ramp_mw_per_s() is None


def test_mitigations_are_listed_in_the_order_they_act() -> None:
    config = TransientsConfig.model_validate(
        {
            "battery": {"enabled": True},
            "rack_storage": {"j_per_gpu": 65},
            "gpu_smoothing": {"floor_fraction": 0.5, "ramp_up_w_per_s": 2000},
        }
    )
    assert config.mitigations() == ("gpu_floor", "gpu_ramp_limits", "rack_storage", "site_battery")
    assert TransientsConfig().mitigations() == ()


def test_a_bad_value_in_a_scenario_names_the_field() -> None:
    with pytest.raises(InputError) as info:
        load_scenario("colossus-2025", {"transients.resolution": "fast"})
    assert "transients.resolution" in str(info.value)


def test_the_presets_state_their_swing_settings() -> None:
    c24 = load_scenario("colossus-2024").transients
    c25 = load_scenario("colossus-2025").transients
    abilene = load_scenario("stargate-abilene").transients
    assert c24 is not None and c24.generators_islanded
    assert c25 is not None and c25.battery.enabled and c25.limits.ramp_up_mw_per_min == 20.0
    assert abilene is not None and abilene.rack_storage.j_per_gpu == 65.0


def test_every_generator_class_has_its_inertia_and_governor() -> None:
    for unit in catalog.generators().values():
        assert unit.inertia_h_s is not None and unit.inertia_h_s > 0
        assert unit.governor_droop is not None and unit.load_step_fraction is not None
        for field in ("inertia_h_s", "governor_droop", "governor_rate_pu_per_s", "load_step_fraction"):
            assert unit.source.get(field), f"{unit.id}.{field} has no source"
