"""Bad plant inputs: each names the field and what was expected."""

from __future__ import annotations

from typing import Any

import pytest

from megacluster import catalog
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
            _with("power.generators", [{"unit": "smt-13", "count": 1}]),
            "power.generators[0]",
            "unknown generator 'smt-13' (did you mean 'smt-130'?)",
        ),
        (
            _with("power.battery", {"unit": "megapak", "count": 1}),
            "power.battery",
            "unknown battery 'megapak'",
        ),
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


def test_power_defaults_are_the_sourced_ones() -> None:
    from megacluster.power.config import PowerConfig, Source

    p = PowerConfig(grid=[{"from": "2024-01-01", "mw": 1.0}])
    # issue 15: without a site, the US-average region (EIA/Epoch 2024 price, eGRID2023 US rate), not TVA's
    assert p.grid_price[0].usd_per_mwh == 77.1 and p.grid_co2[0].kg_per_mwh == 348.0
    assert p.fuel_price_usd_per_mmbtu == 3.36
    assert p.merit_order == (Source.GRID, Source.BATTERY, Source.GENERATORS)
    assert p.cap.min_fraction == 0.6 and p.cap.throughput_exponent == 0.866 and p.cap.enabled
    assert p.demand.gpu_load_fraction == 1.0 and p.demand.network_tiers == 3
    assert p.spinning_reserve_units == 0 and p.charge_from_generators and p.battery is None


@pytest.mark.parametrize(
    ("power", "words"),
    [
        ({"grid": [{"from": "2024-02-01", "mw": 1.0}, {"from": "2024-01-01", "mw": 2.0}]}, "date order"),
        (
            {
                "grid": [{"from": "2024-01-01", "mw": 1.0}],
                "grid_co2": [
                    {"from": "2024-01-01", "kg_per_mwh": 1.0},
                    {"from": "2024-01-01", "kg_per_mwh": 2.0},
                ],
            },
            "the grid carbon-intensity schedule must be in date order: 2024-01-01 comes after 2024-01-01",
        ),
        (
            {"grid": [{"from": "2024-01-01", "mw": 1.0}], "merit_order": ["grid", "battery"]},
            "merit_order must name each of 'grid', 'battery' and 'generators' exactly once",
        ),
    ],
)
def test_bad_power_sections(power: dict[str, Any], words: str) -> None:
    from pydantic import ValidationError

    from megacluster.power.config import PowerConfig

    with pytest.raises(ValidationError, match=words):
        PowerConfig(**power)


def test_generator_fleet_checks() -> None:
    from pydantic import ValidationError

    from megacluster.power.config import GeneratorFleet

    with pytest.raises(ValidationError, match="give a catalog 'unit' or an explicit 'rating_mw'"):
        GeneratorFleet(count=1)
    # a misspelt unit is named with the nearest one (it used to escape validation as a KeyError)
    with pytest.raises(ValidationError, match="unknown generator 'smt-13' \\(did you mean 'smt-130'\\?\\)"):
        GeneratorFleet(unit="smt-13", count=1)
    with pytest.raises(ValidationError, match="available_until must not be before available_from"):
        GeneratorFleet(rating_mw=1.0, count=1, available_from="2024-07-02", available_until="2024-07-01")
    same_day = GeneratorFleet(
        rating_mw=1.0, count=1, available_from="2024-07-02", available_until="2024-07-02"
    )
    assert same_day.available_until == same_day.available_from
    with pytest.raises(ValidationError, match="give min_load_mw or min_load_fraction, not both"):
        GeneratorFleet(rating_mw=10.0, count=1, min_load_mw=2.0, min_load_fraction=0.3)
    # a minimum load at the rating is accepted, and read as a fraction of it
    assert GeneratorFleet(rating_mw=10.0, count=1, min_load_mw=10.0).min_load() == 1.0
    assert GeneratorFleet(rating_mw=10.0, count=1, min_load_mw=2.5).min_load() == 0.25
    # agreeing nox_control and factor are kept; the catalog's factor when neither is given
    assert (
        GeneratorFleet(rating_mw=1.0, count=1, nox_control="dln", nox_lb_per_mmbtu=0.0992).nox_rate()
        == 0.0992
    )
    assert GeneratorFleet(rating_mw=1.0, count=1, nox_control="uncontrolled").nox_rate() == 0.32
    assert GeneratorFleet(unit="mobile-2p5mw", count=1).nox_rate() == 0.32
    assert GeneratorFleet(unit="smt-130", count=1).nox_rate() == 0.0992
    assert GeneratorFleet(unit="smt-130", count=1).co2_rate() == 53.06
    assert GeneratorFleet(rating_mw=1.0, count=1).co2_rate() == 53.06
    assert GeneratorFleet(rating_mw=1.0, count=1, co2_kg_per_mmbtu=0.0).co2_rate() == 0.0
    # a catalog unit without an explicit rating has the catalog's
    assert GeneratorFleet(unit="mobile-2p5mw", count=4).unit_rating_mw() == 2.5
    assert GeneratorFleet(unit="mobile-2p5mw", count=4).outage_rate() == 0.05
    assert GeneratorFleet(unit="mobile-2p5mw", count=4).startup() == 300.0


def test_an_unresolved_parameter_is_reported() -> None:
    from megacluster.power.config import BatteryConfig, GeneratorFleet

    raw = GeneratorFleet.model_construct(rating_mw=1.0, count=1)
    reads = {
        "heat_rate_btu_per_kwh_hhv": raw.heat_rate,
        "min_load_fraction": raw.min_load,
        "startup_s": raw.startup,
        "ramp_fraction_per_min": raw.ramp,
        "forced_outage_rate": raw.outage_rate,
        "nox_lb_per_mmbtu": raw.nox_rate,
        "co2_kg_per_mmbtu": raw.co2_rate,
    }
    for name, read in reads.items():
        with pytest.raises(ValueError, match=f"^{name} was not resolved at validation$"):
            read()
    with pytest.raises(ValueError, match="round_trip_efficiency was not resolved"):
        BatteryConfig.model_construct(power_mw=1.0, energy_mwh=1.0).efficiency()


def test_battery_checks() -> None:
    from pydantic import ValidationError

    from megacluster.power.config import BatteryConfig

    # 4 C is the most accepted
    assert BatteryConfig(power_mw=8.0, energy_mwh=2.0).total_power_mw() == 8.0
    with pytest.raises(ValidationError, match=r"power_mw 8\.1 is more than 4 x energy_mwh 2"):
        BatteryConfig(power_mw=8.1, energy_mwh=2.0)
    with pytest.raises(ValidationError, match=r"soc_min_fraction 0\.5 must be below soc_max_fraction 0\.5"):
        BatteryConfig(power_mw=1.0, energy_mwh=2.0, soc_min_fraction=0.5, soc_max_fraction=0.5)
    with pytest.raises(
        ValidationError, match="give a catalog 'unit' and 'count', or both 'power_mw' and 'energy_mwh'"
    ):
        BatteryConfig(power_mw=1.0)
    with pytest.raises(ValidationError, match="unknown battery 'megapak'"):
        BatteryConfig(unit="megapak", count=1)
    # a catalog unit without a count is one unit; no units: nothing
    pack = catalog.batteries()["megapack-2xl"]
    one = BatteryConfig(unit="megapack-2xl")
    assert one.total_power_mw() == pack.power_mw and one.total_energy_mwh() == pack.energy_mwh
    assert one.efficiency() == pack.round_trip_efficiency
    assert (one.power_mw, one.energy_mwh) == (pack.power_mw, pack.energy_mwh)
    none = BatteryConfig(unit="megapack-2xl", count=0)
    assert none.total_power_mw() == 0.0 and none.total_energy_mwh() == 0.0 and none.power_mw is None
    # explicit energy with a catalog unit: the unit's power times the count
    mixed = BatteryConfig(unit="megapack-2xl", count=3, energy_mwh=5.0)
    assert mixed.total_power_mw() == pytest.approx(3 * pack.power_mw) and mixed.total_energy_mwh() == 5.0
    assert BatteryConfig(power_mw=1.0, energy_mwh=2.0).reserve_fraction == 0.5
