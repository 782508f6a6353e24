"""The plant orchestrator: hand-solvable campuses."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster import catalog
from megacluster.power.config import DemandConfig
from megacluster.power.demand import gpu_power_model
from megacluster.power.totals import plant_totals
from power.helpers import h100_fleet, run_plant, scenario, times

PER_GPU_W = float(
    gpu_power_model(
        catalog.accelerators()["h100-sxm"], catalog.servers()["hgx-h100"], DemandConfig()
    ).per_gpu_w(1.0)
)


def _balance(r) -> np.ndarray:  # type: ignore[no-untyped-def]
    return r.grid_mw + r.generators_mw + r.battery_mw - r.facility_power_mw


def test_grid_only_enough_power() -> None:
    sc = scenario(facility={"pue": 1.2})
    tt = times(days=1)
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 1000)), 64, np.random.default_rng(0))
    assert np.all(r.gpus_powered == 1000)
    assert r.facility_power_mw == pytest.approx(np.full(len(tt), 1000 * PER_GPU_W * 1.2e-6))
    assert np.allclose(_balance(r), 0.0, atol=1e-9)
    assert not r.curtailed.any()
    s = plant_totals(r)
    assert s.energy_mwh.total == pytest.approx(1000 * PER_GPU_W * 1.2e-6 * 24)
    assert s.cost_usd.grid == pytest.approx(s.energy_mwh.grid * 62.3)
    assert s.emissions_t.co2 == pytest.approx(s.energy_mwh.grid * 0.4074)  # issue 15: eGRID SRTV, location
    assert s.water_m3 == pytest.approx(s.energy_mwh.it * 0.38)


def test_short_supply_caps_then_idles_whole_blocks() -> None:
    tt = times(days=0.25)
    full = 10_000 * PER_GPU_W * 1.2e-6
    # 90 % of the full demand: capping alone suffices
    sc = scenario(power={"grid": [{"from": "2024-01-01", "mw": 0.9 * full}]}, facility={"pue": 1.2})
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 10_000)), 512, np.random.default_rng(0))
    assert np.all(r.gpus_powered == 10_000)
    assert np.all(r.gpu_power_cap_fraction < 1.0) and np.all(r.gpu_power_cap_fraction >= 0.6)
    assert r.facility_power_mw == pytest.approx(np.full(len(tt), 0.9 * full))
    assert np.all(r.throughput_factor < 1.0)
    # 40 % of the full demand: cap at 60 % is not enough, whole 512-GPU blocks go idle
    sc = scenario(power={"grid": [{"from": "2024-01-01", "mw": 0.4 * full}]}, facility={"pue": 1.2})
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 10_000)), 512, np.random.default_rng(0))
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
    r = run_plant(sc, tt, 300.0, h100_fleet(inst), 512, np.random.default_rng(0))
    step = 12
    assert r.generators_mw[step] == 0.0 and r.battery_mw[step] > 0  # battery first (merit order)
    first_on = int(np.argmax(r.generator_units_on > 0))
    assert first_on > step
    # the unit was started once the battery fell to its 50 % reserve, and it stayed well above its minimum
    assert r.battery_soc_mwh[first_on] < 0.55 * 40
    assert r.battery_soc_mwh.min() > 0.4 * 40
    assert r.generator_starts.sum() >= 1
    assert not r.curtailed.any()
    assert np.allclose(_balance(r), 0.0, atol=1e-9)
    assert r.battery_soc_mwh.min() >= 0.05 * 40 - 1e-9


def test_same_seed_same_result_and_permit_modes() -> None:
    tt = times(days=10, step_s=900.0)
    gens = {"unit": "mobile-2p5mw", "count": 20, "permit": {"nox_t_per_year": 5.0, "mode": "report"}}
    sc = scenario(
        power={"grid": [{"from": "2024-01-01", "mw": 1.0}], "generators": [gens]}, facility={"pue": 1.2}
    )
    inst = np.full(len(tt), 20_000)
    a = run_plant(sc, tt, 900.0, h100_fleet(inst), 512, np.random.default_rng(5))
    b = run_plant(sc, tt, 900.0, h100_fleet(inst), 512, np.random.default_rng(5))
    assert np.array_equal(a.gpus_powered, b.gpus_powered) and np.array_equal(a.nox_t, b.nox_t)
    assert a.permit.exceedances and a.permit.exceedances[0].kind == "nox_t"
    gens["permit"] = {"nox_t_per_year": 5.0, "mode": "respect"}
    sc = scenario(
        power={"grid": [{"from": "2024-01-01", "mw": 1.0}], "generators": [gens]}, facility={"pue": 1.2}
    )
    c = run_plant(sc, tt, 900.0, h100_fleet(inst), 512, np.random.default_rng(5))
    assert c.nox_t.sum() <= 5.0 + 1e-9
    assert c.permit.respected
    assert c.gpus_powered.sum() < a.gpus_powered.sum()


def test_cooling_limit_throttles() -> None:
    from megacluster.cooling.overhead import facility_overhead

    tt = times(days=1)
    full_it = 1000 * PER_GPU_W * 1e-6
    sc = scenario(facility={"cooling": "chiller_tower", "cooling_capacity_mw": 0.5 * full_it * 1.04})
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 1000)), 8, np.random.default_rng(0))
    over = facility_overhead(r.ambient_c, sc.facility, 34.4, 24.9, r.wetbulb_c)  # issue 15: psychrolib
    assert np.all(r.it_power_mw <= 0.5 * full_it * over.capacity_factor + 1e-9)
    assert r.curtailed.any() and np.all(r.gpus_powered <= 1000)
    assert np.allclose(r.facility_power_mw, r.it_power_mw * r.pue)


def test_cool_site_has_lower_overhead_and_water() -> None:
    tt = times(start="2024-01-01", days=365, step_s=3600.0)
    out = {}
    for site in ("memphis", "abilene", "yakima"):
        sc = scenario(site={"climate": site}, facility={"cooling": "chiller_tower"})
        r = run_plant(sc, tt, 3600.0, h100_fleet(np.full(len(tt), 1000)), 8, np.random.default_rng(0))
        out[site] = (r.facility_power_mw.sum() / r.it_power_mw.sum(), r.water_m3.sum())
    assert out["yakima"][0] < out["memphis"][0]
    assert out["yakima"][1] < out["memphis"][1]
    assert 1.08 < out["memphis"][0] < 1.25


def test_bad_arguments() -> None:
    sc = scenario()
    tt = times(days=0.1)
    with pytest.raises(ValueError):
        run_plant(sc, tt, 0.0, h100_fleet(np.zeros(len(tt))), 8, np.random.default_rng(0))
    with pytest.raises(ValueError):
        run_plant(sc, tt, 300.0, h100_fleet(np.zeros(3)), 8, np.random.default_rng(0))


def test_totals_are_json_ready_and_complete() -> None:
    import json

    sc = scenario(
        power={
            "grid": [{"from": "2024-01-01", "mw": 2.0}],
            "generators": [
                {"unit": "mobile-2p5mw", "count": 2, "permit": {"nox_t_per_year": 0.01, "mode": "report"}}
            ],
            "battery": {"unit": "megapack-2xl", "count": 1},
        }
    )
    tt = times(days=1)
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 4000)), 8, np.random.default_rng(0))
    totals = plant_totals(r)
    s = json.loads(totals.model_dump_json())
    for key in ("total", "grid", "generators", "battery_discharge", "battery_charge"):
        assert key in s["energy_mwh"]
    assert set(s["cost_usd"]) == {"total", "grid", "fuel", "demand"}  # issue 15: tariff demand charges
    assert {"co2", "nox"} <= set(s["emissions_t"])
    assert set(s["homes_equivalent"]) == {"us_average", "tennessee", "us_peak_demand"}  # issue 15: peak basis
    for key in (
        "water_m3",
        "curtailed_hours",
        "unserved_energy_mwh",
        "it_power_peak_mw",
        "facility_power_peak_mw",
        "supply_capacity_peak_mw",
        "fuel_mmbtu",
    ):
        assert key in s
    assert totals.permit.exceedances and not totals.permit.respected
    assert totals.facts.generator_capacity_mw == pytest.approx(2 * 2.5)
    assert totals.facts.battery_energy_mwh == pytest.approx(3.854)
    assert totals.facts.generator_starts == int(r.generator_starts.sum())
    assert set(r.columns()) >= {"grid_mw", "battery_soc_mwh", "co2_t", "water_m3", "curtailed"}
    # homes: mean facility MW / 1.223 kW
    mean_mw = totals.energy_mwh.total / 24
    assert totals.homes_equivalent.us_average == pytest.approx(mean_mw * 1000 / (10715 / 8760))
    # the energy balance of the totals: what the sources gave is what the campus drew
    e = totals.energy_mwh
    assert e.grid + e.generators + e.battery_discharge - e.battery_charge == pytest.approx(e.total)


def test_generators_first_and_minimum_load() -> None:
    tt = times(days=0.25)
    power = {
        "grid": [{"from": "2024-01-01", "mw": 100.0}],
        "generators": [{"unit": "smt-130", "count": 1, "forced_outage_rate": 0.0}],
        "merit_order": ["generators", "grid", "battery"],
    }
    sc = scenario(power=power, facility={"pue": 1.2})
    per_gpu_mw = PER_GPU_W * 1.2e-6
    # 12 MW: above the 8.25 MW minimum (50 % of 16.5 MW): the unit carries it all (14.4 MW max on a hot day)
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 8374)), 8, np.random.default_rng(0))
    assert r.generators_mw == pytest.approx(np.full(len(tt), 8374 * per_gpu_mw))
    assert np.all(r.grid_mw < 1e-9)
    # fuel at 12/16.5 = 73 % load: heat rate x 1/0.917 (interpolated TransiEnt), x ambient factor
    assert np.all(r.fuel_mmbtu > r.generators_mw * 300 / 3600 * 10.670)
    # 5 MW: below the minimum stable load -> the unit cannot run; the grid serves everything
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 3489)), 8, np.random.default_rng(0))
    assert np.all(r.generators_mw == 0.0) and r.grid_mw == pytest.approx(np.full(len(tt), 3489 * per_gpu_mw))
    assert not r.curtailed.any()


def test_dated_schedules_and_prices() -> None:
    import datetime as dt

    from megacluster.power.supply import schedule_values

    tt = times(start="2024-06-30", days=3, step_s=3600.0)
    v = schedule_values(tt, [dt.date(2024, 7, 1), dt.date(2024, 7, 2)], [10.0, 20.0], 0.0)
    assert np.all(v[:24] == 0.0) and np.all(v[24:48] == 10.0) and np.all(v[48:] == 20.0)
    power = {
        "grid": [{"from": "2024-01-01", "mw": 100.0}],
        "grid_price": [
            {"from": "2024-01-01", "usd_per_mwh": 50.0},
            {"from": "2024-07-02", "usd_per_mwh": 100.0},
        ],
        "grid_co2": [{"from": "2024-01-01", "kg_per_mwh": 400.0}],
    }
    sc = scenario(power=power, facility={"pue": 1.2})
    tt = times(start="2024-07-01", days=2, step_s=3600.0)
    r = run_plant(sc, tt, 3600.0, h100_fleet(np.full(len(tt), 1000)), 8, np.random.default_rng(0))
    mwh = r.grid_mw
    assert r.cost_usd[:24] == pytest.approx(mwh[:24] * 50.0)
    assert r.cost_usd[24:] == pytest.approx(mwh[24:] * 100.0)
    assert r.co2_t == pytest.approx(mwh * 0.4)


def test_each_fleet_emits_at_its_own_co2_factor() -> None:
    # a fleet burning a zero-carbon fuel next to a gas fleet: only the gas fleet's fuel counts, and the grid's
    # CO2 stays the grid's
    fleets = [
        {"rating_mw": 2.0, "count": 3, "forced_outage_rate": 0.0, "co2_kg_per_mmbtu": 0.0},
        {"rating_mw": 2.0, "count": 3, "forced_outage_rate": 0.0},
    ]
    sc = scenario(
        power={"grid": [{"from": "2024-01-01", "mw": 1.0}], "generators": fleets}, facility={"pue": 1.2}
    )
    tt = times(days=0.5)
    r = run_plant(sc, tt, 300.0, h100_fleet(np.full(len(tt), 6000)), 8, np.random.default_rng(0))
    assert (r.generators_mw_by_fleet > 0).any(axis=1).all()  # both fleets ran
    totals = plant_totals(r)
    # per-fleet fuel from per-fleet NOx: both fleets burn at the uncontrolled AP-42 factor
    fuel_by_fleet = r.nox_t_by_fleet / (sc.power.generators[0].nox_rate() * 0.45359237e-3)
    assert totals.emissions_t.co2_generators == pytest.approx(fuel_by_fleet[1].sum() * 53.06 / 1000)
    assert totals.emissions_t.co2_generators < r.fuel_mmbtu.sum() * 53.06 / 1000
    assert totals.emissions_t.co2_grid == pytest.approx(totals.energy_mwh.grid * 0.4074)  # issue 15: SRTV


def _two_hours(power: dict, gpus: int, **kw) -> object:  # type: ignore[no-untyped-def, type-arg]
    sc = scenario(power=power, facility={"pue": 1.2, "wue_l_per_kwh": 0.38})
    tt = np.array(["2024-07-01T00:00", "2024-07-01T01:00"], dtype="datetime64[m]")
    return run_plant(
        sc, tt, 3600.0, h100_fleet(np.full(2, gpus)), kw.get("block", 8), np.random.default_rng(0)
    )


def test_two_hours_of_grid_and_one_generator_by_hand() -> None:
    # 2,000 H100 at PUE 1.2: 2.866 MW. The 2 MW grid serves first, one of two 1 MW units the other 0.866 MW at
    # 86.6 % load; fuel = MWh x 10 MMBtu/MWh x the part-load factor x the ambient factor (+0.33 %/K > 15 °C)
    from megacluster.power.generators import partload_factor_scalar

    power = {
        "grid": [{"from": "2024-01-01", "mw": 2.0}],
        "grid_price": [{"from": "2024-01-01", "usd_per_mwh": 50.0}],
        "grid_co2": [{"from": "2024-01-01", "kg_per_mwh": 400.0}],
        "fuel_price_usd_per_mmbtu": 4.0,
        "generators": [
            {
                "rating_mw": 1.0,
                "count": 2,
                "forced_outage_rate": 0.0,
                "heat_rate_btu_per_kwh_hhv": 10_000.0,
                "min_load_fraction": 0.5,
                "ramp_mw_per_min": 1.0,
                "startup_s": 0.0,
                "derate_per_c": 0.0,
                "nox_lb_per_mmbtu": 0.32,
                "co2_kg_per_mmbtu": 50.0,
            }
        ],
    }
    r = _two_hours(power, 2000)
    facility = 2000 * PER_GPU_W * 1.2e-6
    gen = facility - 2.0
    assert r.times.dtype == np.dtype("datetime64[s]") and r.dt_s == 3600.0
    assert r.facility_power_mw == pytest.approx([facility] * 2) and r.demand_full_mw == pytest.approx(
        [facility] * 2
    )
    assert r.it_power_mw == pytest.approx([facility / 1.2] * 2) and r.pue.tolist() == [1.2, 1.2]
    assert r.grid_mw == pytest.approx([2.0, 2.0]) and r.generators_mw == pytest.approx([gen, gen])
    assert r.generators_mw_by_fleet.shape == (1, 2) and r.generator_units_on.tolist() == [1, 1]
    assert r.generator_starts.tolist() == [0, 0] and r.generator_starts_by_fleet.tolist() == [[0, 0]]
    fuel = gen * 10.0 * partload_factor_scalar(gen) * (1 + 0.0033 * (r.ambient_c - 15.0))
    assert r.fuel_mmbtu == pytest.approx(fuel, rel=1e-3)
    assert r.co2_generators_t == pytest.approx(r.fuel_mmbtu * 0.05)
    assert r.co2_t == pytest.approx(2.0 * 0.4 + r.fuel_mmbtu * 0.05)
    assert r.nox_t == pytest.approx(r.fuel_mmbtu * 0.32 * 0.45359237e-3) and r.nox_t_by_fleet.shape == (1, 2)
    assert r.grid_cost_usd == pytest.approx([100.0, 100.0]) and r.fuel_cost_usd == pytest.approx(
        r.fuel_mmbtu * 4
    )
    assert r.cost_usd == pytest.approx(100.0 + r.fuel_mmbtu * 4)
    assert r.water_m3 == pytest.approx(r.it_power_mw * 0.38)
    assert r.supply_capacity_mw == pytest.approx([4.0, 4.0]) and r.unserved_mw == pytest.approx([0.0, 0.0])
    assert r.gpus_installed.tolist() == [2000, 2000] and r.gpus_powered.tolist() == [2000, 2000]
    assert r.gpus_powered_by_fleet.tolist() == [[2000, 2000]]
    assert r.gpu_power_cap_fraction.tolist() == [1.0, 1.0] and r.throughput_factor.tolist() == [1.0, 1.0]
    assert not r.curtailed.any() and r.battery_mw.tolist() == [0.0, 0.0]
    assert r.generator_capacity_mw == 2.0 and r.battery_energy_mwh == 0.0 and r.permit.fleets == ()
    # the balance: grid + generators + battery = facility
    assert _balance(r) == pytest.approx([0.0, 0.0])


def test_a_short_grid_caps_and_loses_throughput() -> None:
    # 1,000 H100 (1.433 MW) on 1.2 MW of grid: capped, (cap) ** 0.866 of the throughput, the rest unserved
    r = _two_hours({"grid": [{"from": "2024-01-01", "mw": 1.2}]}, 1000)
    full = 1000 * PER_GPU_W * 1.2e-6
    assert r.facility_power_mw == pytest.approx([1.2, 1.2]) and r.unserved_mw == pytest.approx(
        [full - 1.2] * 2
    )
    cap = r.gpu_power_cap_fraction
    assert np.all((cap > 0.6) & (cap < 1.0))
    assert r.throughput_factor == pytest.approx(cap**0.866)
    assert r.curtailed.all() and r.gpus_powered.tolist() == [1000, 1000]
    # the campus's battery: a 1 MWh pack that gives what the grid lacks
    battery = {"power_mw": 1.0, "energy_mwh": 1.0, "round_trip_efficiency": 0.81, "initial_soc_fraction": 1.0}
    r = _two_hours({"grid": [{"from": "2024-01-01", "mw": 1.2}], "battery": battery}, 1000)
    assert r.battery_energy_mwh == 1.0 and r.battery_mw[0] == pytest.approx(full - 1.2)
    assert r.battery_soc_mwh[0] == pytest.approx(1.0 - (full - 1.2) / 0.9) and not r.curtailed[0]


def test_a_plant_without_gpus_or_generators() -> None:
    sc = scenario(facility={"pue": 1.2})
    tt = times(days=0.1)
    r = run_plant(sc, tt, 300.0, (), 8, np.random.default_rng(0))
    assert (
        np.all(r.gpus_installed == 0)
        and np.all(r.gpus_powered == 0)
        and r.gpus_powered_by_fleet.shape == (0, len(tt))
    )
    assert (
        np.all(r.facility_power_mw == 0.0) and np.all(r.generators_mw == 0.0) and np.all(r.fuel_mmbtu == 0.0)
    )
    assert np.all(r.generator_units_on == 0) and np.all(r.generator_starts == 0) and np.all(r.nox_t == 0.0)
    assert not r.curtailed.any() and np.all(r.co2_generators_t == 0.0)
    assert run_plant(sc, tt[:0], 300.0, (), 8, np.random.default_rng(0)).ambient_c.shape == (0,)
    with pytest.raises(ValueError, match="block_gpus"):
        run_plant(sc, tt, 300.0, (), 0, np.random.default_rng(0))


def test_it_demand_of_two_fleets() -> None:
    from megacluster.power.plant import FleetLoad, it_demand

    a100 = FleetLoad(
        accelerator=catalog.accelerators()["a100-sxm4-80gb"],
        server=catalog.servers()["hgx-a100"],
        gpus_installed=np.array([0, 80]),
    )
    fleets = (*h100_fleet(np.array([10, 10])), a100)
    demands, it_full = it_demand(fleets, DemandConfig(), 2)
    a100_w = 400.0 + 3300 / 8 + 102.5 * 1.125 + 25.0
    assert it_full == pytest.approx([10 * PER_GPU_W * 1e-6, (10 * PER_GPU_W + 80 * a100_w) * 1e-6])
    assert [d.installed.tolist() for d in demands] == [[10, 10], [0, 80]]
    assert demands[1].slope_w == 400.0 and demands[1].fixed_w == pytest.approx(a100_w - 400.0)
    assert demands[0].installed.dtype == np.int64
