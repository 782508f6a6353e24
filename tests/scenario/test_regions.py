"""Issue 15: every site names its grid region; a Texas campus pays ERCOT's price and carries ERCOT's carbon,
not Tennessee's; what a scenario gives itself wins over the region's defaults."""

from __future__ import annotations

import pytest

from megacluster import catalog
from megacluster.catalog import Co2Convention
from megacluster.scenario.load import load_scenario
from megacluster.scenario.presets import preset_names
from megacluster.scenario.regional import region_of, with_regional_grid

TEXAS = ("stargate-abilene", "stargate-frontier", "gigacampus-1m")
"""Presets sited in West Texas (ERCOT)."""


@pytest.mark.parametrize("name", TEXAS)
def test_texas_presets_use_ercot(name: str) -> None:
    sc = load_scenario(name)
    ercot = catalog.regions()["ercot-west"]
    assert sc.site.region_id() == "ercot-west"
    assert "ERCT" in ercot.egrid_subregion or "ERCOT" in ercot.balancing_authority
    assert ercot.co2_location_kg_per_mwh == pytest.approx(332.9)  # eGRID2023 ERCT 733.9 lb/MWh
    assert ercot.price_usd_per_mwh == pytest.approx(66.0)  # EIA 2023 Texas industrial
    assert [s.kg_per_mwh for s in sc.power.grid_co2] == [ercot.co2_location_kg_per_mwh]
    assert [s.usd_per_mwh for s in sc.power.grid_price] == [ercot.price_usd_per_mwh]
    tva = catalog.regions()["tva-mlgw"]
    assert sc.power.grid_co2[0].kg_per_mwh not in (tva.co2_location_kg_per_mwh, tva.co2_market_kg_per_mwh)


@pytest.mark.parametrize("name", ["colossus-2024", "colossus-2025"])
def test_memphis_presets_use_tva(name: str) -> None:
    sc = load_scenario(name)
    tva = catalog.regions()["tva-mlgw"]
    assert sc.site.region_id() == "tva-mlgw"
    assert sc.power.grid_co2[0].kg_per_mwh == pytest.approx(407.4)  # eGRID SRTV, location-based
    assert tva.co2_kg_per_mwh(Co2Convention.MARKET) == pytest.approx(283.5)  # TVA, REC-adjusted
    assert tva.co2_source(Co2Convention.LOCATION) and tva.co2_source(Co2Convention.MARKET)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_names_a_catalog_region(name: str) -> None:
    sc = load_scenario(name)
    region = sc.site.region_entry()
    assert region.id in catalog.regions()
    for convention in Co2Convention:
        assert region.co2_kg_per_mwh(convention) > 0
        assert region.co2_source(convention), (region.id, convention)


def test_every_region_orders_its_conventions_sensibly() -> None:
    """The marginal (non-baseload) rate is above the average; a REC-adjusted rate is not above it."""
    for region in catalog.regions().values():
        assert region.co2_marginal_kg_per_mwh > region.co2_location_kg_per_mwh, region.id
        assert region.co2_market_kg_per_mwh <= region.co2_location_kg_per_mwh, region.id


def test_region_of_a_raw_site_table() -> None:
    assert region_of({"climate": "abilene"}) == "ercot-west"
    assert region_of({"climate": "memphis", "region": "us-average"}) == "us-average"
    assert region_of(None) == region_of({}) == "tva-mlgw"  # the default climate is Memphis
    assert region_of("not a table") is None


def test_scenario_values_win_over_the_region() -> None:
    data = {
        "site": {"climate": "abilene"},
        "power": {"grid_co2": [{"from": "2024-01-01", "kg_per_mwh": 1.0}]},
    }
    out = with_regional_grid(data)
    assert out["power"]["grid_co2"] == [{"from": "2024-01-01", "kg_per_mwh": 1.0}]
    assert out["power"]["grid_price"][0]["usd_per_mwh"] == pytest.approx(66.0)
    assert "grid_price" not in data["power"]  # the input is not changed


def test_time_of_use_needs_a_published_tariff() -> None:
    no_tariff = [r for r in catalog.regions().values() if not r.has_tariff()]
    if no_tariff:
        with pytest.raises(ValueError, match="no time-of-use tariff"):
            with_regional_grid({"site": {"region": no_tariff[0].id}, "power": {"grid_tariff": "time_of_use"}})
    with pytest.raises(ValueError, match="not both"):
        with_regional_grid(
            {"site": {"climate": "memphis"}, "power": {"grid_tariff": "time_of_use", "grid_price": []}}
        )
