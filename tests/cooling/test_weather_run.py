"""Issue 15, done-when: ``megacluster run colossus-2024`` with an EPW file and without one
reports hottest-hour and 99th-percentile temperatures within ~1 °C of Memphis's design statistics,
and the Memphis preset reports location-based and market-based CO2 side by side with their sources.

Hourly steps keep each run to seconds; the weather is hourly either way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cli.entry import invoke

from .epw_fixture import DESIGN_1_C, MAX_MEAN_C, memphis_design_year, write_epw


def _run(tmp_path, *extra: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = invoke(["run", "colossus-2024", "--step", "1h", "--json", "--out", str(tmp_path / "run"), *extra])
    assert out.code == 0, out.stderr
    summary: dict[str, Any] = json.loads(out.stdout)
    return summary


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return _run(tmp_path_factory.mktemp("synthetic"))


def test_synthetic_run_sees_the_design_heat(synthetic: dict[str, Any]) -> None:
    w = synthetic["weather"]
    assert w["source"].startswith("synthetic")
    assert w["hottest_c"] == pytest.approx(MAX_MEAN_C, abs=1.0)
    assert w["p99_c"] == pytest.approx(DESIGN_1_C, abs=1.0)
    assert w["design_1_c"] == DESIGN_1_C and w["design_max_mean_c"] == MAX_MEAN_C


def test_epw_run_sees_the_design_heat(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, dew = memphis_design_year()
    epw = write_epw(tmp_path / "memphis.epw", db, dew)
    w = _run(tmp_path, "--set", f"site.weather_file={json.dumps(str(epw))}")["weather"]
    assert w["source"] == "memphis.epw"
    assert w["hottest_c"] == pytest.approx(MAX_MEAN_C, abs=1.0)
    assert w["p99_c"] == pytest.approx(DESIGN_1_C, abs=1.0)


def test_memphis_reports_location_and_market_co2_side_by_side(synthetic: dict[str, Any]) -> None:
    g, e = synthetic["grid"], synthetic["emissions_t"]
    assert g["region"] == "tva-mlgw"
    assert g["location_kg_per_mwh"] == pytest.approx(407.4, abs=0.1)  # eGRID2023 SRTV
    assert g["market_kg_per_mwh"] == pytest.approx(283.5, abs=0.1)  # TVA 2023, REC-adjusted
    assert "eGRID" in g["location_source"] and "TVA" in g["market_source"]
    assert g["headline_convention"].startswith("location-based")
    grid_mwh = synthetic["energy_mwh"]["grid"]
    assert e["co2_grid"] == pytest.approx(grid_mwh * 0.4074, rel=1e-6)
    assert e["co2_grid_market_based"] == pytest.approx(grid_mwh * 0.2835, rel=1e-6)
    assert e["co2"] == pytest.approx(e["co2_grid"] + e["co2_generators"], rel=1e-9)
    assert e["co2_market_based"] == pytest.approx(e["co2_grid_market_based"] + e["co2_generators"], rel=1e-9)


def test_a_bad_weather_file_stops_the_run_with_nothing_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.epw"
    bad.write_text("LOCATION,Memphis\n")
    out = invoke(
        [
            "run",
            "colossus-2024",
            "--step",
            "1h",
            "--out",
            str(tmp_path / "run"),
            "--set",
            f"site.weather_file={json.dumps(str(bad))}",
        ]
    )
    assert out.code == 2
    assert "bad.epw" in out.stderr and "line 1" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
