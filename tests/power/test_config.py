"""Bad plant inputs: each names the field and what was expected."""

from __future__ import annotations

from typing import Any

import pytest

from megacluster.errors import InputError
from megacluster.scenario.load import scenario_from_dict

BASE: dict[str, Any] = {
    "name": "bad",
    "simulation": {"start": "2024-07-01", "horizon_days": 1},
    "fleet": [
        {"accelerator": "h100-sxm", "count": 8, "install_start": "2024-07-01", "install_end": "2024-07-01"}
    ],
    "power": {"grid": [{"from": "2024-07-01", "mw": 1.0}]},
}


def _with(section: str, value: Any) -> dict[str, Any]:
    data = {**BASE}
    if "." in section:
        top, sub = section.split(".")
        data[top] = {**data[top], sub: value}
    else:
        data[section] = value
    return data


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            _with("power.generators", [{"rating_mw": 10.0, "count": 1, "min_load_mw": 12.0}]),
            "power.generators",
            "above the unit rating",
        ),
        (
            _with("power.battery", {"power_mw": 10.0, "energy_mwh": 10.0, "round_trip_efficiency": -0.5}),
            "round_trip_efficiency",
            "greater than 0",
        ),
        (
            _with("power.battery", {"power_mw": 100.0, "energy_mwh": 10.0}),
            "power.battery",
            "times its energy",
        ),
        (
            _with("site", {"climate": {"tmax_c": [10.0] * 11, "tmin_c": [0.0] * 12}}),
            "tmax_c",
            "12 monthly values",
        ),
        (
            _with(
                "power.grid_price",
                [{"from": "2024-08-01", "usd_per_mwh": 50}, {"from": "2024-07-01", "usd_per_mwh": 60}],
            ),
            "grid_price",
            "date order",
        ),
        (_with("power.merit_order", ["grid", "grid", "battery"]), "merit_order", "exactly once"),
        (
            _with("power.generators", [{"unit": "smt-130", "count": 1, "nox_control": "catalytic"}]),
            "nox_control",
            "uncontrolled",
        ),
        (
            _with("power.generators", [{"unit": "smt-130", "count": 1, "permit": {"mode": "ignore"}}]),
            "mode",
            "respect",
        ),
        (_with("facility", {"cooling": "immersion"}), "cooling", "chiller_tower"),
        (
            _with(
                "power.battery",
                {"power_mw": 1.0, "energy_mwh": 4.0, "soc_min_fraction": 0.9, "soc_max_fraction": 0.5},
            ),
            "power.battery",
            "soc_min_fraction",
        ),
    ],
)
def test_bad_plant_input(data: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        scenario_from_dict(data, "bad.toml")
    msg = str(info.value)
    assert "bad.toml" in msg and field in msg and words in msg, msg


def test_good_plant_input_parses() -> None:
    data = _with(
        "power.generators",
        [
            {
                "unit": "smt-130",
                "count": 15,
                "nox_control": "scr",
                "permit": {"nox_t_per_year": 78.9, "starts_per_year": 22},
            }
        ],
    )
    sc = scenario_from_dict(data, "ok.toml")
    g = sc.power.generators[0]
    assert g.nox_lb_per_mmbtu == pytest.approx(0.0099) and g.nox_rate() == pytest.approx(0.0099)
    assert g.min_load() == 0.5 and g.permit is not None and g.permit.mode.value == "respect"
