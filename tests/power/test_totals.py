"""The run's totals and the facts of the power story, from a four-step plant result worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.power.totals import PermitReport, plant_totals, power_facts
from power.helpers import plant_result as _result

HOME_US_KW = 10_715 / 8760  # EIA 2020: 1.223 kW per average US home
HOME_TN_KW = 1_128 * 12 / 8760  # Tennessee: 1.545 kW


def test_energy_by_source_balances() -> None:
    e = plant_totals(_result()).energy_mwh
    assert e.total == pytest.approx(20.0) and e.it == pytest.approx(16.2)
    assert e.grid == pytest.approx(12.0) and e.generators == pytest.approx(7.5)
    assert e.battery_discharge == pytest.approx(1.0) and e.battery_charge == pytest.approx(0.5)
    assert e.grid + e.generators + e.battery_discharge - e.battery_charge == pytest.approx(e.total)


def test_fuel_cost_emissions_water_and_peaks() -> None:
    s = plant_totals(_result())
    assert s.fuel_mmbtu == pytest.approx(75.0)
    assert (s.cost_usd.total, s.cost_usd.grid, s.cost_usd.fuel) == pytest.approx((970.0, 720.0, 250.0))
    # CO2 of the grid is what is left of the total once the generators' is taken out
    assert s.emissions_t.co2 == pytest.approx(10.55) and s.emissions_t.co2_generators == pytest.approx(3.75)
    assert s.emissions_t.co2_grid == pytest.approx(6.8) and s.emissions_t.nox == pytest.approx(0.45)
    assert s.water_m3 == pytest.approx(10.0)
    assert s.curtailed_hours == pytest.approx(1.0)  # two half-hour steps
    assert s.unserved_energy_mwh == pytest.approx(3.0)
    assert (
        s.it_power_peak_mw == 10.0 and s.facility_power_peak_mw == 12.0 and s.supply_capacity_peak_mw == 20.0
    )
    assert s.permit == PermitReport()


def test_homes_equivalent_is_mean_power_over_a_home() -> None:
    # 20 MWh over 2 h: 10 MW mean = 10,000 kW / 1.223 kW = 8,175 US homes, / 1.545 kW = 6,472 Tennessee homes
    h = plant_totals(_result()).homes_equivalent
    assert h.us_average == pytest.approx(10.0 * 1000 / HOME_US_KW)
    assert h.us_average == pytest.approx(8175.5, abs=0.1)
    assert h.tennessee == pytest.approx(10.0 * 1000 / HOME_TN_KW)


def test_power_facts_by_hand() -> None:
    f = power_facts(_result())
    assert f.peak_demand_mw == 14.0 and f.peak_ambient_c == 30.0
    assert f.mean_pue == pytest.approx(40.0 / 32.4)
    # worst: 60 of 100 powered at 00:00 on 1 July; every GPU runs again from the last step's day
    assert f.worst_powered_fraction == pytest.approx(0.6) and f.worst_time == "2024-07-01T00:00"
    assert (f.gpus_powered_at_worst, f.gpus_installed_at_worst) == (60, 100)
    assert f.all_gpus_powered_from == "2024-07-01"
    assert f.short_hours == pytest.approx(1.0) and f.capped_hours == pytest.approx(1.0)
    assert f.generator_hours == pytest.approx(1.5)
    # 7.5 MWh out of 10 MW x 2 h of nameplate
    assert f.generator_capacity_factor == pytest.approx(0.375)
    assert f.generator_starts == 3
    # annualised over 2 h of 8,760: 3.75 t and 0.45 t x 4,380
    assert f.generator_co2_t_per_year == pytest.approx(3.75 * 4380)
    assert f.generator_nox_t_per_year == pytest.approx(0.45 * 4380)
    assert f.generator_fleet_homes_us == pytest.approx(10.0 * 1000 / HOME_US_KW)
    # 1 MWh delivered by a 4 MWh battery: a quarter cycle
    assert f.battery_cycles == pytest.approx(0.25) and f.battery_discharge_mwh == pytest.approx(1.0)
    assert f.generator_capacity_mw == 10.0 and f.battery_energy_mwh == 4.0


def test_steps_without_installed_gpus_count_as_fully_powered() -> None:
    f = power_facts(
        _result(gpus_installed=np.array([0, 100, 100, 100]), gpus_powered=np.array([0, 100, 90, 100]))
    )
    assert f.worst_powered_fraction == pytest.approx(0.9) and f.worst_time == "2024-07-01T00:00"
    assert f.all_gpus_powered_from == "2024-07-01"


def test_all_gpus_powered_from_needs_a_step_after_the_last_shortfall() -> None:
    # short at the last step: no day from which all ran
    short_last = power_facts(_result(gpus_powered=np.array([100, 100, 100, 90])))
    assert short_last.all_gpus_powered_from is None and short_last.short_hours == pytest.approx(0.5)
    # short only at the first step: all ran from the next step's day
    short_first = power_facts(_result(gpus_powered=np.array([90, 100, 100, 100])))
    assert short_first.all_gpus_powered_from == "2024-06-30"
    assert short_first.worst_time == "2024-06-30T23:00"
    # never short: nothing to report
    never = power_facts(_result(gpus_powered=np.array([100, 100, 100, 100])))
    assert never.all_gpus_powered_from is None and never.short_hours == 0.0
    assert never.worst_powered_fraction == 1.0


def test_no_battery_and_no_generators() -> None:
    f = power_facts(_result(battery_energy_mwh=0.0, battery_mw=np.zeros(4), generator_capacity_mw=0.0))
    assert f.battery_cycles == 0.0 and f.battery_discharge_mwh == 0.0
    assert f.generator_capacity_factor == 0.0 and f.generator_fleet_homes_us == 0.0


def test_an_empty_run() -> None:
    empty = np.zeros(0)
    none_int = np.zeros(0, dtype=np.int64)
    r = _result(
        times=np.zeros(0, dtype="datetime64[s]"),
        **{
            name: empty
            for name in (
                "ambient_c",
                "gpu_power_cap_fraction",
                "throughput_factor",
                "it_power_mw",
                "facility_power_mw",
                "pue",
                "grid_mw",
                "generators_mw",
                "battery_mw",
                "battery_soc_mwh",
                "demand_full_mw",
                "unserved_mw",
                "supply_capacity_mw",
                "fuel_mmbtu",
                "co2_t",
                "co2_generators_t",
                "nox_t",
                "water_m3",
                "cost_usd",
                "grid_cost_usd",
                "fuel_cost_usd",
            )
        },
        gpus_installed=none_int,
        gpus_powered=none_int,
        generator_starts=none_int,
        curtailed=np.zeros(0, dtype=bool),
    )
    s = plant_totals(r)
    assert s.energy_mwh.total == 0.0 and s.homes_equivalent.us_average == 0.0
    f = s.facts
    assert f.worst_powered_fraction == 1.0 and f.worst_time is None
    assert (f.gpus_powered_at_worst, f.gpus_installed_at_worst) == (0, 0)
    assert f.all_gpus_powered_from is None and f.generator_capacity_factor == 0.0
    assert f.mean_pue == 0.0 and f.generator_co2_t_per_year == 0.0
    assert f.peak_demand_mw == 0.0 and f.peak_ambient_c == 0.0
    assert s.it_power_peak_mw == 0.0 and s.facility_power_peak_mw == 0.0 and s.supply_capacity_peak_mw == 0.0


def test_timeseries_columns_are_the_result_fields_of_the_same_name() -> None:
    r = _result()
    cols = r.columns()
    assert list(cols) == [
        "ambient_c",
        "wetbulb_c",  # issue 15
        "gpus_installed",
        "gpus_powered",
        "gpu_power_cap_fraction",
        "throughput_factor",
        "it_power_mw",
        "facility_power_mw",
        "facility_peak_mw",  # issue 15: the peak basis the supply carried
        "pue",
        "grid_mw",
        "generators_mw",
        "generator_units_on",
        "battery_mw",
        "battery_soc_mwh",
        "demand_full_mw",
        "unserved_mw",
        "supply_capacity_mw",
        "fuel_mmbtu",
        "co2_t",
        "nox_t",
        "water_m3",
        "cost_usd",
        "curtailed",
    ]
    for name, values in cols.items():
        assert values is getattr(r, name), name


def test_a_small_plant_of_one_half_hour() -> None:
    # every flow under 1 MW and a run shorter than an hour: nothing is rounded away. 0.1 MW of facility power
    # from 0.08 MW of IT, 0.06 MW from the grid and 0.04 MW from a 0.05 MW generator, a 0.5 MWh battery
    r = _result(
        times=np.array(["2024-01-10T03:00"], dtype="datetime64[s]"),
        ambient_c=np.array([-4.5]),
        gpus_installed=np.array([1]),
        gpus_powered=np.array([0]),
        gpu_power_cap_fraction=np.array([1.0]),
        it_power_mw=np.array([0.08]),
        facility_power_mw=np.array([0.1]),
        grid_mw=np.array([0.06]),
        generators_mw=np.array([0.04]),
        battery_mw=np.array([0.2]),
        demand_full_mw=np.array([0.3]),
        unserved_mw=np.array([0.2]),
        supply_capacity_mw=np.array([0.5]),
        generator_starts=np.array([0]),
        curtailed=np.array([True]),
        battery_energy_mwh=0.5,
        generator_capacity_mw=0.05,
    )
    s = plant_totals(r)
    f = s.facts
    # a winter night: the peak ambient is below freezing
    assert f.peak_ambient_c == -4.5 and f.peak_demand_mw == 0.3
    assert s.it_power_peak_mw == 0.08 and s.facility_power_peak_mw == 0.1 and s.supply_capacity_peak_mw == 0.5
    assert f.mean_pue == pytest.approx(1.25)
    assert s.homes_equivalent.us_average == pytest.approx(0.1 * 1000 / HOME_US_KW)
    # the one GPU installed is off: nothing of the campus runs
    assert f.worst_powered_fraction == 0.0 and f.gpus_installed_at_worst == 1
    assert f.generator_hours == 0.5 and f.generator_capacity_factor == pytest.approx(0.04 / 0.05)
    assert f.battery_cycles == pytest.approx(0.1 / 0.5)


def test_a_single_gpu_fully_powered() -> None:
    f = power_facts(_result(gpus_installed=np.full(4, 1), gpus_powered=np.full(4, 1)))
    assert f.worst_powered_fraction == 1.0


def test_a_run_without_gpus_is_fully_powered() -> None:
    f = power_facts(
        _result(gpus_installed=np.zeros(4, dtype=np.int64), gpus_powered=np.zeros(4, dtype=np.int64))
    )
    assert f.worst_powered_fraction == 1.0 and f.short_hours == 0.0 and f.all_gpus_powered_from is None
