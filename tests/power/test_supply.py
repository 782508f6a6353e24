"""The supply side per step: grid schedules, battery availability, derated generator fleets."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.power.config import BatteryConfig, GeneratorFleet, PowerConfig
from megacluster.power.supply import assemble_supply, battery_supply, generator_inputs
from power.helpers import times


def test_battery_runs_from_its_first_day() -> None:
    tt = times(start="2024-06-30", days=2, step_s=3600.0)
    cfg = BatteryConfig(power_mw=10.0, energy_mwh=40.0, available_from="2024-07-01", initial_soc_fraction=0.5)
    params, power_mw, soc = battery_supply(cfg, tt)
    assert params is not None and params.soc_min_mwh == pytest.approx(0.05 * 40.0)
    assert params.reserve_mwh == pytest.approx(20.0) and soc == pytest.approx(20.0)
    assert np.all(power_mw[:24] == 0.0) and np.all(power_mw[24:] == 10.0)
    assert battery_supply(None, tt)[0] is None


def test_generator_fleet_per_step() -> None:
    # 10 MW units at 25 °C lose 10 K x 0.68 %/K = 6.8 %; 2 MW/min is 10 MW per 5-minute step; a 600 s start-up
    # is 2 steps; heat rate 10,000 Btu/kWh = 10 MMBtu/MWh, 3.3 % worse at 25 °C
    tt = times(start="2024-07-01", days=1, step_s=300.0)
    g = GeneratorFleet(
        rating_mw=10.0,
        count=3,
        heat_rate_btu_per_kwh_hhv=10_000.0,
        ramp_mw_per_min=2.0,
        startup_s=600.0,
        forced_outage_rate=0.0,
        available_until="2024-07-01",
    )
    ambient = np.full(len(tt), 25.0)
    fleet = generator_inputs(g, 0, tt, 300.0, ambient, seed=1)
    assert fleet.unit_cap_mw == pytest.approx(np.full(len(tt), 10.0 * (1 - 10 * 0.0068)))
    assert np.all(fleet.available_units == 3)
    assert fleet.ramp_mw_per_step == pytest.approx(10.0) and fleet.startup_steps == 2
    assert fleet.fuel_mmbtu_per_mwh == pytest.approx(np.full(len(tt), 10.0 * (1 + 10 * 0.0033)))
    # after its last day the fleet is gone
    tt2 = times(start="2024-07-02", days=1, step_s=300.0)
    gone = generator_inputs(g, 0, tt2, 300.0, np.full(len(tt2), 25.0), seed=1)
    assert np.all(gone.available_units == 0) and np.all(gone.unit_cap_mw == 0.0)


def test_assembled_supply() -> None:
    tt = times(start="2024-07-01", days=1, step_s=3600.0)
    power = PowerConfig(
        grid=[{"from": "2024-01-01", "mw": 50.0}],
        grid_price=[{"from": "2024-01-01", "usd_per_mwh": 40.0}],
        generators=[GeneratorFleet(unit="smt-130", count=2), GeneratorFleet(rating_mw=2.0, count=5)],
    )
    s = assemble_supply(power, tt, 3600.0, np.full(len(tt), 15.0), seed=3)
    assert np.all(s.grid_cap_mw == 50.0) and np.all(s.price_usd_per_mwh == 40.0)
    assert s.battery is None and np.all(s.battery_power_mw == 0.0)
    assert s.generator_nameplate_mw == pytest.approx(2 * 16.5 + 5 * 2.0)
    assert len(s.generators) == 2 and s.generator_co2_kg_per_mmbtu == (53.06, 53.06)


def test_schedule_values_hold_from_their_first_day() -> None:
    import datetime as dt

    from megacluster.power.supply import schedule_values

    # a time on a step's first day already takes its value; before the first step the 'before' value holds
    tt = np.array(
        ["2024-06-30T23:59", "2024-07-01T00:00", "2024-07-02T12:00", "2024-07-05"], dtype="datetime64[s]"
    )
    v = schedule_values(tt, [dt.date(2024, 7, 1), dt.date(2024, 7, 2)], [10.0, 20.0], -1.0)
    assert v.tolist() == [-1.0, 10.0, 20.0, 20.0]


def test_date_mask_includes_both_ends() -> None:
    import datetime as dt

    from megacluster.power.supply import date_mask

    tt = times(start="2024-06-30", days=4, step_s=43_200.0)  # noon and midnight, 30 June to 3 July
    m = date_mask(tt, dt.date(2024, 7, 1), dt.date(2024, 7, 2))
    assert m.tolist() == [False, False, True, True, True, True, False, False]
    assert date_mask(tt, None, dt.date(2024, 6, 30)).tolist() == [True, True] + [False] * 6
    assert date_mask(tt, dt.date(2024, 7, 3), None).tolist() == [False] * 6 + [True, True]
    assert date_mask(tt, None, None).all()


def test_grid_schedules_before_their_first_date() -> None:
    from megacluster.power.supply import grid_schedules

    # before the first step the interconnect gives nothing, but price and intensity hold their first values
    power = PowerConfig(
        grid=[{"from": "2024-07-02", "mw": 50.0}],
        grid_price=[{"from": "2024-07-02", "usd_per_mwh": 40.0}, {"from": "2024-07-03", "usd_per_mwh": 80.0}],
        grid_co2=[{"from": "2024-07-02", "kg_per_mwh": 300.0}, {"from": "2024-07-03", "kg_per_mwh": 100.0}],
    )
    tt = times(start="2024-07-01", days=3, step_s=86_400.0)
    cap, price, co2 = grid_schedules(power, tt)
    assert cap.tolist() == [0.0, 50.0, 50.0]
    assert price.tolist() == [40.0, 40.0, 80.0] and co2.tolist() == [300.0, 300.0, 100.0]


def test_battery_ratings_from_the_configuration() -> None:
    tt = times(start="2024-07-01", days=1, step_s=3600.0)
    cfg = BatteryConfig(
        power_mw=10.0,
        energy_mwh=40.0,
        round_trip_efficiency=0.81,
        soc_min_fraction=0.1,
        soc_max_fraction=0.9,
        reserve_fraction=0.25,
        initial_soc_fraction=0.75,
    )
    params, power_mw, soc = battery_supply(cfg, tt)
    assert params is not None
    assert (params.power_mw, params.energy_mwh, params.round_trip_efficiency) == (10.0, 40.0, 0.81)
    assert (params.soc_min_mwh, params.soc_max_mwh, params.reserve_mwh) == pytest.approx((4.0, 36.0, 10.0))
    assert soc == pytest.approx(30.0) and np.all(power_mw == 10.0)
    # a battery of no units is no battery
    none, zero, start = battery_supply(BatteryConfig(unit="megapack-2xl", count=0), tt)
    assert none is None and np.all(zero == 0.0) and len(zero) == len(tt) and start == 0.0


def test_generator_permit_and_emission_factors() -> None:
    from megacluster.power.config import AirPermit, PermitMode

    tt = times(start="2024-07-01", days=1, step_s=300.0)
    ambient = np.full(len(tt), 15.0)
    g = GeneratorFleet(
        unit="smt-130",
        count=2,
        startup_s=601.0,
        forced_outage_rate=0.0,
        permit=AirPermit(nox_t_per_year=78.9, starts_per_year=22),
    )
    f = generator_inputs(g, 0, tt, 300.0, ambient, seed=1)
    # DLN 0.0992 lb/MMBtu x 0.4536 kg/lb; 601 s is a little over 2 steps: 3
    assert f.nox_t_per_mmbtu == pytest.approx(0.0992 * 0.45359237e-3)
    assert f.startup_steps == 3 and f.min_load_fraction == 0.5
    assert (f.nox_cap_t, f.starts_cap, f.permit_mode) == (78.9, 22, PermitMode.RESPECT)
    # ISO ambient: the rating and the catalog heat rate (10,670 Btu/kWh = 10.67 MMBtu/MWh)
    assert np.all(f.unit_cap_mw == 16.5) and f.fuel_mmbtu_per_mwh == pytest.approx(np.full(len(tt), 10.67))
    # 0.2 of the rating per minute: 3.3 MW/min, 16.5 MW per 5-minute step
    assert f.ramp_mw_per_step == pytest.approx(16.5)
    free = generator_inputs(GeneratorFleet(unit="smt-130", count=2), 0, tt, 300.0, ambient, seed=1)
    assert (free.nox_cap_t, free.starts_cap, free.permit_mode) == (None, None, PermitMode.REPORT)


def test_forced_outages_take_units_away() -> None:
    # a 50 % outage rate over a day of 5-minute steps: some steps lose units, never more than the fleet
    tt = times(start="2024-07-01", days=10, step_s=300.0)
    g = GeneratorFleet(rating_mw=2.0, count=4, forced_outage_rate=0.5, mean_repair_h=2.0)
    f = generator_inputs(g, 0, tt, 300.0, np.full(len(tt), 15.0), seed=2)
    assert f.available_units.min() >= 0 and f.available_units.max() <= 4
    assert (f.available_units < 4).any() and f.available_units.dtype == np.int64
    assert 1.0 < f.available_units.mean() < 3.0
    # a different fleet index draws other outages
    other = generator_inputs(g, 1, tt, 300.0, np.full(len(tt), 15.0), seed=2)
    assert not np.array_equal(f.available_units, other.available_units)


def test_assembled_supply_per_fleet() -> None:
    tt = times(start="2024-07-01", days=1, step_s=3600.0)
    power = PowerConfig(
        grid=[{"from": "2024-01-01", "mw": 50.0}],
        grid_co2=[{"from": "2024-01-01", "kg_per_mwh": 123.0}],
        generators=[
            GeneratorFleet(rating_mw=3.0, count=2, co2_kg_per_mmbtu=0.0, forced_outage_rate=0.0),
            GeneratorFleet(rating_mw=2.0, count=5, forced_outage_rate=0.0, available_from="2024-07-02"),
        ],
        battery=BatteryConfig(power_mw=1.0, energy_mwh=2.0, initial_soc_fraction=0.5),
    )
    s = assemble_supply(power, tt, 3600.0, np.full(len(tt), 15.0), seed=3)
    assert np.all(s.grid_co2_kg_per_mwh == 123.0) and np.all(s.price_usd_per_mwh == 77.1)  # issue 15: US
    assert s.generator_co2_kg_per_mmbtu == (0.0, 53.06) and s.generator_nameplate_mw == pytest.approx(16.0)
    assert np.all(s.generators[0].available_units == 2) and np.all(s.generators[1].available_units == 0)
    assert (
        s.battery is not None
        and s.initial_soc_mwh == pytest.approx(1.0)
        and np.all(s.battery_power_mw == 1.0)
    )
