"""The plant orchestrator: hand-solvable campuses."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster import catalog
from megacluster.power.config import DemandConfig
from megacluster.power.demand import gpu_power_model
from megacluster.power.plant import simulate_plant

from power.helpers import h100_fleet, scenario, times

PER_GPU_W = float(gpu_power_model(catalog.accelerators()["h100-sxm"], catalog.servers()["hgx-h100"], DemandConfig()).per_gpu_w(1.0))


def _balance(r) -> np.ndarray:  # type: ignore[no-untyped-def]
    return r.grid_mw + r.generators_mw + r.battery_mw - r.facility_power_mw


def test_grid_only_enough_power() -> None:
    sc = scenario(facility={"pue": 1.2})
    tt = times(days=1)
    r = simulate_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 1000)), 64, np.random.default_rng(0))
    assert np.all(r.gpus_powered == 1000)
    assert r.facility_power_mw == pytest.approx(np.full(len(tt), 1000 * PER_GPU_W * 1.2e-6))
    assert np.allclose(_balance(r), 0.0, atol=1e-9)
    assert not r.curtailed.any()
    s = r.summary()
    assert s["energy_mwh"]["total"] == pytest.approx(1000 * PER_GPU_W * 1.2e-6 * 24)
    assert s["cost_usd"]["grid"] == pytest.approx(s["energy_mwh"]["grid"] * 62.3)
    assert s["emissions_t"]["co2"] == pytest.approx(s["energy_mwh"]["grid"] * 0.2835)
    assert s["water_m3"] == pytest.approx(s["energy_mwh"]["it"] * 0.38)


def test_short_supply_caps_then_idles_whole_blocks() -> None:
    tt = times(days=0.25)
    full = 10_000 * PER_GPU_W * 1.2e-6
    # 90 % of the full demand: capping alone suffices
    sc = scenario(power={"grid": [{"from": "2024-01-01", "mw": 0.9 * full}]}, facility={"pue": 1.2})
    r = simulate_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 10_000)), 512, np.random.default_rng(0))
    assert np.all(r.gpus_powered == 10_000)
    assert np.all(r.gpu_power_cap_fraction < 1.0) and np.all(r.gpu_power_cap_fraction >= 0.6)
    assert r.facility_power_mw == pytest.approx(np.full(len(tt), 0.9 * full))
    assert np.all(r.throughput_factor < 1.0)
    # 40 % of the full demand: cap at 60 % is not enough, whole 512-GPU blocks go idle
    sc = scenario(power={"grid": [{"from": "2024-01-01", "mw": 0.4 * full}]}, facility={"pue": 1.2})
    r = simulate_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 10_000)), 512, np.random.default_rng(0))
    idle = 10_000 - r.gpus_powered
    assert np.all(idle % 512 == 0) and np.all(idle > 0)
    assert np.all(r.facility_power_mw <= 0.4 * full + 1e-9)
    assert np.all(r.curtailed)
    assert np.allclose(_balance(r), 0.0, atol=1e-9)


def test_battery_bridges_a_generator_start() -> None:
    # 8 MW grid, one 16.5 MW unit that needs 10 min to start, 20 MW / 40 MWh battery
    tt = times(days=1)
    n = len(tt)
    inst = np.where(np.arange(n) < 12, 1000, 10_000)
    sc = scenario(
        power={
            "grid": [{"from": "2024-01-01", "mw": 8.0}],
            "generators": [{"unit": "smt-130", "count": 1, "forced_outage_rate": 0.0}],
            "battery": {"power_mw": 20.0, "energy_mwh": 40.0, "round_trip_efficiency": 0.9},
        },
        facility={"pue": 1.2},
    )
    r = simulate_plant(sc, tt, 300.0, h100_fleet(inst), 512, np.random.default_rng(0))
    step = 12
    assert r.generators_mw[step] == 0.0 and r.battery_mw[step] > 0  # battery first (merit order)
    first_on = int(np.argmax(r.generator_units_on > 0))
    assert first_on > step
    # the unit was started while the battery could still carry the gap through the 10-minute start
    assert r.battery_soc_mwh[first_on] < 0.5 * 40
    assert r.generator_starts.sum() >= 1
    assert not r.curtailed.any()
    assert np.allclose(_balance(r), 0.0, atol=1e-9)
    assert r.battery_soc_mwh.min() >= 0.05 * 40 - 1e-9


def test_same_seed_same_result_and_permit_modes() -> None:
    tt = times(days=10, step_s=900.0)
    gens = {"unit": "mobile-2p5mw", "count": 20, "permit": {"nox_t_per_year": 5.0, "mode": "report"}}
    sc = scenario(power={"grid": [{"from": "2024-01-01", "mw": 1.0}], "generators": [gens]}, facility={"pue": 1.2})
    inst = np.full(len(tt), 20_000)
    a = simulate_plant(sc, tt, 900.0, h100_fleet(inst), 512, np.random.default_rng(5))
    b = simulate_plant(sc, tt, 900.0, h100_fleet(inst), 512, np.random.default_rng(5))
    assert np.array_equal(a.gpus_powered, b.gpus_powered) and np.array_equal(a.nox_t, b.nox_t)
    assert a.permit["exceedances"] and a.permit["exceedances"][0]["kind"] == "nox_t"
    gens["permit"] = {"nox_t_per_year": 5.0, "mode": "respect"}
    sc = scenario(power={"grid": [{"from": "2024-01-01", "mw": 1.0}], "generators": [gens]}, facility={"pue": 1.2})
    c = simulate_plant(sc, tt, 900.0, h100_fleet(inst), 512, np.random.default_rng(5))
    assert c.nox_t.sum() <= 5.0 + 1e-9
    assert c.permit["respected"]
    assert c.gpus_powered.sum() < a.gpus_powered.sum()


def test_cooling_limit_throttles() -> None:
    tt = times(days=1)
    full_it = 1000 * PER_GPU_W * 1e-6
    sc = scenario(facility={"cooling": "chiller_tower", "cooling_capacity_mw": 0.5 * full_it * 1.04})
    r = simulate_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 1000)), 8, np.random.default_rng(0))
    assert r.it_power_mw.max() <= 0.5 * full_it * 1.0 + 1e-6 or r.curtailed.all()
    assert r.curtailed.any()


def test_bad_arguments() -> None:
    sc = scenario()
    tt = times(days=0.1)
    with pytest.raises(ValueError):
        simulate_plant(sc, tt, 0.0, h100_fleet(np.zeros(len(tt))), 8, np.random.default_rng(0))
    with pytest.raises(ValueError):
        simulate_plant(sc, tt, 300.0, h100_fleet(np.zeros(3)), 8, np.random.default_rng(0))
