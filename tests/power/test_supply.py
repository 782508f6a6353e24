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
