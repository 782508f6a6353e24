"""Catalog defaults are resolved at load: a written scenario holds every plant parameter and runs the same."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from megacluster import catalog
from megacluster.engine.simulate import simulate
from megacluster.power.config import BatteryConfig, GeneratorFleet
from megacluster.scenario.load import load_scenario, scenario_to_toml

GENERATOR_KEYS = (
    "rating_mw",
    "heat_rate_btu_per_kwh_hhv",
    "min_load_fraction",
    "startup_s",
    "ramp_fraction_per_min",
    "forced_outage_rate",
    "mean_repair_h",
    "derate_per_c",
    "nox_lb_per_mmbtu",
    "co2_kg_per_mmbtu",
)
BATTERY_KEYS = ("power_mw", "energy_mwh", "round_trip_efficiency")


def test_written_scenario_holds_every_parameter_and_runs_the_same(tmp_path: Path) -> None:
    days = {"simulation.horizon_days": 10}
    first = load_scenario("colossus-2025", days)
    text = scenario_to_toml(first)
    written = tomllib.loads(text)["power"]
    for fleet in written["generators"]:
        assert "unit" in fleet, "the catalog id stays, so readers see where the numbers came from"
        for key in GENERATOR_KEYS:
            assert key in fleet, key
    for key in BATTERY_KEYS:
        assert key in written["battery"], key
    path = tmp_path / "colossus-2025.toml"
    path.write_text(text, encoding="utf-8")
    second = load_scenario(str(path), days)
    assert second.power == first.power
    a, b = simulate(first), simulate(second)
    assert a.summary == b.summary
    assert a.timeseries.equals(b.timeseries)


def test_catalog_unit_fills_what_is_left_out() -> None:
    unit = catalog.generators()["smt-130"]
    g = GeneratorFleet(unit="smt-130", count=3)
    assert g.rating_mw == unit.rating_mw
    assert g.heat_rate_btu_per_kwh_hhv == unit.heat_rate_btu_per_kwh_hhv
    assert g.min_load_fraction == unit.min_load_fraction and g.startup_s == unit.startup_s
    assert g.ramp_fraction_per_min == unit.ramp_fraction_per_min
    assert g.forced_outage_rate == unit.forced_outage_rate
    assert g.nox_lb_per_mmbtu == unit.nox_lb_per_mmbtu and g.co2_kg_per_mmbtu == unit.co2_kg_per_mmbtu
    assert g.ramp() == pytest.approx(unit.ramp_fraction_per_min * unit.rating_mw)
    pack = catalog.batteries()["megapack-2xl"]
    b = BatteryConfig(unit="megapack-2xl", count=10)
    assert b.power_mw == pytest.approx(10 * pack.power_mw) and b.energy_mwh == pytest.approx(
        10 * pack.energy_mwh
    )
    assert b.round_trip_efficiency == pack.round_trip_efficiency


def test_explicit_parameters_win_over_the_catalog() -> None:
    g = GeneratorFleet(
        unit="smt-130", count=1, rating_mw=25.0, heat_rate_btu_per_kwh_hhv=9000.0, min_load_mw=5.0
    )
    assert g.unit == "smt-130" and g.unit_rating_mw() == 25.0
    assert g.heat_rate() == 9000.0 and g.min_load() == pytest.approx(0.2) and g.min_load_fraction is None
    assert g.ramp() == pytest.approx(0.2 * 25.0)  # the catalog's ramp fraction of the explicit rating
    assert GeneratorFleet(unit="smt-130", count=1, ramp_mw_per_min=1.0).ramp() == 1.0
    assert GeneratorFleet(unit="smt-130", count=1, nox_control="scr").nox_rate() == pytest.approx(0.0099)
    b = BatteryConfig(unit="megapack-2xl", count=10, power_mw=5.0, round_trip_efficiency=0.9)
    assert b.total_power_mw() == 5.0 and b.efficiency() == 0.9
    assert b.energy_mwh == pytest.approx(10 * catalog.batteries()["megapack-2xl"].energy_mwh)


def test_fleets_without_a_unit_get_the_documented_defaults() -> None:
    from megacluster.power import constants as k

    g = GeneratorFleet(rating_mw=10.0, count=1)
    assert g.heat_rate() == k.HEAT_RATE_BTU_PER_KWH_HHV and g.min_load() == k.MIN_LOAD_FRACTION
    assert g.startup() == k.STARTUP_S and g.ramp() == pytest.approx(k.RAMP_FRACTION_PER_MIN * 10.0)
    assert g.outage_rate() == k.FORCED_OUTAGE_RATE and g.nox_rate() == k.NOX_LB_PER_MMBTU["uncontrolled"]
    assert BatteryConfig(power_mw=1.0, energy_mwh=2.0).efficiency() == k.BATTERY_ROUND_TRIP_EFFICIENCY


def test_a_nox_factor_that_disagrees_with_the_nox_control_is_refused() -> None:
    with pytest.raises(ValueError, match="nox_control 'scr'"):
        GeneratorFleet(unit="smt-130", count=1, nox_control="scr", nox_lb_per_mmbtu=0.32)
