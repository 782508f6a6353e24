"""The campus TCO from what a run used: hand-worked values with the shipped cost catalog."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from megacluster.catalog.costs import Ownership, cost_book
from megacluster.economics.assumptions import cost_assumptions
from megacluster.economics.config import EconomicsConfig, OwnershipRule
from megacluster.economics.finance import capital_recovery_factor
from megacluster.economics.tco import GeneratorUse, GpuFleetUse, RunUse, campus_tco

DAY_S = 86400.0
YEAR_DAYS = 365


def _use(**changes: object) -> RunUse:
    """A year at daily steps: 100 H100 installed all year, 50 of them delivered."""
    base: dict[str, object] = {
        "start": dt.date(2025, 1, 1),
        "dt_s": DAY_S,
        "fleets": (GpuFleetUse("h100-sxm", np.full(YEAR_DAYS, 100.0), np.full(YEAR_DAYS, 50.0)),),
        "facility_it_mw": 10.0,
        "grid_steps": ((0.0, 100.0),),
        "generators": (),
        "battery_mw": 0.0,
        "battery_mwh": 0.0,
        "battery_available_s": 0.0,
        "grid_cost_usd": 1_000_000.0,
        "fuel_cost_usd": 0.0,
        "co2_t": 0.0,
        "grid_monthly_peak_mw": (),
        "job_gpu_hours": 1000.0,
        "useful_flop": 2e24,
    }
    base.update(changes)
    return RunUse(**base)  # type: ignore[arg-type]


CRF5 = capital_recovery_factor(0.08, 5.0)
ALL_IN = 37_080.0 / (1.0 - 0.19)  # server + network per H100


def test_gpu_capital_and_stranded_compute() -> None:
    tco = campus_tco(_use(), cost_assumptions(None))
    assert tco.capital_usd.gpus == pytest.approx(100 * 37_080.0)
    assert tco.capital_usd.network == pytest.approx(100 * (ALL_IN - 37_080.0))
    # a year of 100 installed GPUs: 100 x annuity of server + network (both 5-year lives)
    assert tco.capital_charge_usd.gpus + tco.capital_charge_usd.network == pytest.approx(100 * ALL_IN * CRF5)
    per_day = ALL_IN * CRF5 / 365.0
    assert tco.stranded.gpu_usd_per_gpu_day == pytest.approx(per_day)  # ~31.41 USD per GPU-day
    assert tco.stranded.gpu_usd_per_gpu_day == pytest.approx(31.41, abs=0.01)
    assert tco.stranded.cost_usd == pytest.approx(50 * 365 * per_day)
    assert tco.stranded.gpu_hours == pytest.approx(50 * 8760)
    assert tco.stranded.cost_usd_per_day_peak == pytest.approx(50 * per_day)
    assert tco.stranded.peak_day == "2025-01-01"


def test_facility_grid_and_per_gpu_hour() -> None:
    tco = campus_tco(_use(), cost_assumptions(None))
    facility = 10.0 * 11.7e6
    assert tco.capital_usd.facility == pytest.approx(facility)
    assert tco.capital_charge_usd.facility == pytest.approx(facility * capital_recovery_factor(0.08, 20.0))
    assert tco.capital_usd.grid == pytest.approx(100 * 250_000.0)
    assert tco.capital_charge_usd.grid == pytest.approx(25e6 * capital_recovery_factor(0.08, 40.0))
    assert tco.operating_usd.grid_energy == pytest.approx(1e6)
    assert tco.total_usd == pytest.approx(tco.capital_charge_usd.total + tco.operating_usd.total)
    assert tco.cost_per_gpu_hour_usd == pytest.approx(tco.total_usd / (50 * 8760))
    assert tco.cost_per_1e24_flop_usd == pytest.approx(tco.cost_per_gpu_hour_usd * 1000 / 2)


def test_generators_rented_and_bought_and_battery() -> None:
    rented = GeneratorUse("mobile-2p5mw", 10.0, 365 * DAY_S, 0.0, False, False)
    bought = GeneratorUse("smt-130", 10.0, 365 * DAY_S, 1000.0, False, False)
    away = GeneratorUse("smt-130", 10.0, 0.0, 0.0, False, False)  # never on site: costs nothing
    use = _use(
        generators=(rented, bought, away), battery_mw=10.0, battery_mwh=20.0, battery_available_s=365 * DAY_S
    )
    tco = campus_tco(use, cost_assumptions(None))
    assert tco.operating_usd.generator_rentals == pytest.approx(10 * 40_000 * 12)
    assert tco.capital_usd.generators == pytest.approx(10 * 1_092_800)
    assert tco.capital_charge_usd.generators == pytest.approx(10.928e6 * capital_recovery_factor(0.08, 20.0))
    assert tco.operating_usd.generator_om == pytest.approx(10 * 25_800 + 1000 * 6.94)
    battery = 10 * 346_000 + 20 * 356_000
    assert tco.capital_usd.battery == pytest.approx(battery)
    assert tco.capital_charge_usd.battery == pytest.approx(battery * capital_recovery_factor(0.08, 15.0))
    assert tco.operating_usd.battery_om == pytest.approx(10 * 44_250)
    assert tco.assumptions.generator_ownership == ("rent", "buy", "buy")


def test_a_fleet_that_leaves_is_rented_and_rules_override() -> None:
    leaving = GeneratorUse("smt-130", 16.5, 120 * DAY_S, 0.0, True, False)
    tco = campus_tco(_use(generators=(leaving,)), cost_assumptions(None))
    assert tco.assumptions.generator_ownership == ("rent",)
    assert tco.operating_usd.generator_rentals == pytest.approx(16.5 * 40_000 * 120 / (365 / 12))
    buy_all = cost_assumptions(EconomicsConfig(generator_ownership=OwnershipRule.BUY))
    assert campus_tco(_use(generators=(leaving,)), buy_all).operating_usd.generator_rentals == 0.0


def test_overrides_move_the_figures() -> None:
    cheap = cost_assumptions(
        EconomicsConfig(gpu_usd_per_gpu=20_000.0, discount_rate=0.0, co2_price_usd_per_t=50.0)
    )
    tco = campus_tco(_use(co2_t=1000.0), cheap)
    assert tco.stranded.gpu_usd_per_gpu_day == pytest.approx(20_000.0 / 0.81 / 5 / 365)
    assert tco.operating_usd.co2 == pytest.approx(50_000.0)
    assert tco.assumptions.gpu_usd_per_gpu == {"h100-sxm": 20_000.0}


def test_unpriced_accelerators_use_the_fallback() -> None:
    book = cost_book()
    assert book.gpu("mi300x").id == "gpu-default"
    assert book.gpu("h100-sxm").server_usd_per_gpu == pytest.approx(37_080.0)
    assert book.generator("mobile-2p5mw").ownership is Ownership.RENT
    assert book.generator(None).id == "generator-default"


def test_grid_steps_count_from_their_date_and_beyond_the_run_not_at_all() -> None:
    steps = ((0.0, 8.0), (31 * DAY_S, 50.0), (400 * DAY_S, 150.0))
    tco = campus_tco(_use(grid_steps=steps), cost_assumptions(None))
    assert tco.capital_usd.grid == pytest.approx(50 * 250_000.0)
    crf = capital_recovery_factor(0.08, 40.0)
    expected = 8 * 250_000 * crf + 42 * 250_000 * crf * (365 - 31) / 365
    assert tco.capital_charge_usd.grid == pytest.approx(expected)
