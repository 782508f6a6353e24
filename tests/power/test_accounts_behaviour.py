"""The plant's accounts (power/accounts.py) on small plant runs: the tower's water split, grid CO2 in the
market-based and marginal conventions, a time-of-use tariff's demand and coincident-peak charges, and where
the GPUs' mean draw comes from."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from megacluster import catalog
from megacluster.power.meandraw import DrawProfile
from megacluster.power.plant import PlantResult, simulate_plant
from megacluster.power.tariff import coincident_peak_usd, demand_charge_usd
from megacluster.scenario.schema import Scenario

from .helpers import h100_fleet, scenario, times

STEP_S = 1800.0  # half-hour steps: energies are half the power [MWh = MW x 0.5 h]
N = 48
GAS = {"rating_mw": 2.0, "count": 3, "forced_outage_rate": 0.0}


def _run(
    sc: Scenario,
    gpus: int = 1000,
    region: catalog.Region | None = None,
    draw: DrawProfile | None = None,
    start: str = "2024-07-01",
) -> PlantResult:
    """One day of half-hour steps."""
    tt = times(start, days=1.0, step_s=STEP_S)
    fleets = h100_fleet(np.full(len(tt), gpus))
    return simulate_plant(
        sc.power,
        sc.facility,
        sc.site.normals(),
        tt,
        STEP_S,
        fleets,
        8,
        np.random.default_rng(0),
        region=region,
        draw=draw,
    )


def _grid(**extra: Any) -> dict[str, Any]:
    return {"grid": [{"from": "2024-01-01", "mw": 100.0}], **extra}


def test_tower_water_splits_into_evaporation_drift_and_blowdown() -> None:
    sc = scenario()  # chillers + towers (the default cooling)
    r = _run(sc)
    parts = r.water_evaporation_m3 + r.water_drift_m3 + r.water_blowdown_m3
    assert parts == pytest.approx(r.water_m3, rel=1e-12)
    # a tower evaporates most of its make-up, blows down a share ~1 / (cycles - 1) of that, and drifts little
    assert np.all(r.water_evaporation_m3 > r.water_blowdown_m3)
    assert np.all(r.water_blowdown_m3 > r.water_drift_m3) and np.all(r.water_drift_m3 > 0)
    assert r.cycles_of_concentration == sc.facility.cycles_of_concentration
    # water scales with the IT energy of the step: twice the GPUs, twice each part
    r2 = _run(sc, gpus=2000)
    assert r2.water_evaporation_m3 == pytest.approx(2 * r.water_evaporation_m3, rel=1e-6)
    assert r2.water_blowdown_m3 == pytest.approx(2 * r.water_blowdown_m3, rel=1e-6)
    assert r2.water_drift_m3 == pytest.approx(2 * r.water_drift_m3, rel=1e-6)


def test_a_plant_without_towers_has_no_cycles_of_concentration() -> None:
    r = _run(scenario(facility={"pue": 1.2}))
    assert r.cycles_of_concentration == 0.0
    assert r.water_evaporation_m3 + r.water_drift_m3 + r.water_blowdown_m3 == pytest.approx(r.water_m3)


def test_grid_co2_in_the_market_based_and_marginal_conventions() -> None:
    sc = scenario(power=_grid(grid_co2=[{"from": "2024-01-01", "kg_per_mwh": 400.0}]), facility={"pue": 1.2})
    region = catalog.regions()["tva-mlgw"]
    r = _run(sc, region=region)
    grid_mwh = r.grid_mw * STEP_S / 3600.0
    assert r.co2_grid_market_t == pytest.approx(grid_mwh * region.co2_market_kg_per_mwh / 1000.0)
    assert r.co2_grid_marginal_t == pytest.approx(grid_mwh * region.co2_marginal_kg_per_mwh / 1000.0)
    assert r.co2_t == pytest.approx(grid_mwh * 0.4)  # the location-based total is the schedule's
    assert r.region == region
    # no region: the location-based schedule stands for both
    bare = _run(sc)
    assert bare.co2_grid_market_t == pytest.approx(grid_mwh * 0.4)
    assert bare.co2_grid_marginal_t == pytest.approx(grid_mwh * 0.4)
    assert bare.region is None


def test_time_of_use_demand_charge_of_the_month_peak() -> None:
    sc = scenario(power=_grid(grid_tariff="time_of_use"), facility={"pue": 1.2})
    region = catalog.regions()["tva-mlgw"]  # $14.56/kW-month on the month's peak, no coincident peak
    r = _run(sc, region=region)
    assert r.grid_tariff == "time_of_use"
    expected = demand_charge_usd(r.times, r.grid_mw, STEP_S, 14.56)
    assert expected > 0
    assert r.demand_charge_usd == pytest.approx(expected)
    # one day of a 30- or 31-day month: about 1/30 of a month's charge on the peak draw
    assert r.demand_charge_usd == pytest.approx(r.grid_mw.max() * 1000 * 14.56 / 30.5, rel=0.02)


def test_time_of_use_coincident_peak_charge() -> None:
    sc = scenario(power=_grid(grid_tariff="time_of_use"), facility={"pue": 1.2})
    region = catalog.regions()["ercot-west"]  # no monthly demand charge; $100/kW-yr on the 4CP draw
    r = _run(sc, region=region)
    expected = coincident_peak_usd(r.times, r.grid_mw, r.ambient_c, STEP_S, 100.0)
    assert expected > 0
    assert r.demand_charge_usd == pytest.approx(expected)
    # the draw at 17:00 of the (only) July day x the yearly rate x one day of a year
    assert r.demand_charge_usd == pytest.approx(r.grid_mw[34] * 1000 * 100.0 / 365, rel=1e-3)
    # both charges together: a region with both
    both = region.model_copy(update={"demand_usd_per_kw_month": 10.0})
    r2 = _run(sc, region=both)
    assert r2.demand_charge_usd == pytest.approx(
        expected + demand_charge_usd(r.times, r.grid_mw, STEP_S, 10.0)
    )


def test_no_demand_charge_on_a_flat_price_or_without_a_region() -> None:
    region = catalog.regions()["tva-mlgw"]
    flat = _run(scenario(power=_grid(), facility={"pue": 1.2}), region=region)
    assert flat.demand_charge_usd == 0.0 and flat.grid_tariff == "flat"
    nowhere = _run(scenario(power=_grid(grid_tariff="time_of_use"), facility={"pue": 1.2}))
    assert nowhere.demand_charge_usd == 0.0
    # a region without tariff figures charges nothing either
    bare = region.model_copy(
        update={"demand_usd_per_kw_month": None, "coincident_peak_usd_per_kw_year": None}
    )
    tou = scenario(power=_grid(grid_tariff="time_of_use"), facility={"pue": 1.2})
    assert _run(tou, region=bare).demand_charge_usd == 0.0


def test_where_the_mean_draw_comes_from() -> None:
    sc = scenario(facility={"pue": 1.2})
    load = sc.power.demand.gpu_load_fraction
    peak = _run(sc)
    assert peak.draw_source == "peak (no draw profile)"
    assert peak.draw_mean_fraction == load and peak.draw_peak_fraction == load
    assert peak.facility_peak_mw == pytest.approx(peak.facility_power_mw)
    # half the time at the peak, half at 0.4 of TDP
    profile = DrawProfile((0.5, 0.5), (1.0, 0.4), source="by hand")
    mean = _run(sc, draw=profile)
    assert mean.draw_source == "by hand"
    assert mean.draw_mean_fraction == pytest.approx(0.5 * min(1.0, load) + 0.5 * min(0.4, load))
    assert mean.draw_peak_fraction == load
    # supply carried the peak; the energy accounts run at the mean draw
    assert mean.facility_peak_mw == pytest.approx(peak.facility_power_mw)
    assert np.all(mean.facility_power_mw < mean.facility_peak_mw)


def test_per_fleet_generator_accounts_and_n1() -> None:
    sc = scenario(
        power={"grid": [{"from": "2024-01-01", "mw": 0.5}], "generators": [GAS, GAS]}, facility={"pue": 1.2}
    )
    r = _run(sc, gpus=4000)
    assert r.fuel_mmbtu_by_fleet.shape == (2, N) and r.generator_units_on_by_fleet.shape == (2, N)
    assert r.generator_units_on_by_fleet.dtype == np.int64
    assert r.fuel_mmbtu_by_fleet.sum(axis=0) == pytest.approx(r.fuel_mmbtu)
    assert r.fuel_mmbtu.sum() > 0 and r.generator_units_on_by_fleet.sum() > 0
    # N-1: with six 2 MW units and no interconnect given, the largest unit is the contingency
    assert not r.grid_n1_assessed
    assert np.all(r.contingency_unit_mw == pytest.approx(2.0, rel=0.2))
    assert r.n1_capacity_mw == pytest.approx(
        r.supply_capacity_mw - np.maximum(r.contingency_grid_mw, r.contingency_unit_mw)
    )
    assert r.wetbulb_c.shape == (N,) and np.all(r.wetbulb_c <= r.ambient_c + 1e-9)


def test_n1_with_the_interconnect_as_equipment() -> None:
    # 100 MW allowed on 2 x 60 MVA x 0.95 = 114 MW of transformers: one out leaves 57 MW, a 43 MW loss
    link = {"transformers": 2, "transformer_mva": 60.0, "power_factor": 0.95}
    r = _run(scenario(power=_grid(interconnect=link), facility={"pue": 1.2}))
    assert r.grid_n1_assessed
    assert r.contingency_grid_mw == pytest.approx(np.full(N, 43.0))
    assert np.all(r.contingency_unit_mw == 0.0)
    assert r.n1_capacity_mw == pytest.approx(r.supply_capacity_mw - 43.0)
