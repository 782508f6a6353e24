"""Sizing by bisection over the plant simulation, and the plant commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from megacluster.cli import app
from megacluster.engine.sizing import _Evaluator, runnable_gpus, size_plant, supply_dates
from megacluster.power.sizing import smallest_feasible
from power.helpers import scenario


def test_smallest_feasible_bisection() -> None:
    calls: list[int] = []

    def ok(n: int) -> bool:
        calls.append(n)
        return n >= 37

    assert smallest_feasible(ok, 0, 100) == 37
    assert len(calls) <= 9
    assert smallest_feasible(lambda n: False, 0, 10) is None


def _small() -> object:
    return scenario(
        power={"grid": [{"from": "2024-01-01", "mw": 5.0}], "generators": [{"unit": "smt-130", "count": 1}]},
        facility={"cooling": "chiller_tower"},
        simulation={"start": "2024-07-10", "horizon_days": 2, "step": "30min", "seed": 4},
    )


def test_size_plant_finds_the_boundary() -> None:
    sc = _small()
    res = size_plant(sc, 20_000, battery_tradeoffs=1)  # type: ignore[arg-type]
    assert res.best is not None and res.best.feasible
    n = res.best.generators
    ev = _Evaluator(sc, 20_000, "smt-130", 4, 1)  # type: ignore[arg-type]
    assert not bool(ev.plant(n, None).curtailed.any())
    assert bool(ev.plant(n - 1, None).curtailed.any())
    # the deficit over the grid, in derated units, bounds the answer from below
    assert n >= np.ceil((res.peak_demand_mw - 5.0) / res.derated_unit_mw)
    d = res.to_dict()
    assert d["best"]["emissions_t"]["co2"] > 0 and d["best"]["capex_usd"]["generators"] > 0
    assert len(res.battery_tradeoffs) == 1


def test_runnable_gpus_on_a_small_supply() -> None:
    sc = scenario(
        power={"grid": [{"from": "2024-01-01", "mw": 5.0}]},
        facility={"pue": 1.2},
        fleet=[
            {
                "accelerator": "h100-sxm",
                "count": 10_000,
                "install_start": "2024-07-01",
                "install_end": "2024-07-01",
            }
        ],
    )
    row = runnable_gpus(sc, np.datetime64("2024-07-01"))  # type: ignore[arg-type]
    assert row["supply_mw"] == pytest.approx(5.0)
    per_gpu_mw = 1.2 * 1194.3e-6
    assert row["gpus_uncapped"] == pytest.approx(5.0 / per_gpu_mw, abs=8)
    assert row["gpus_uncapped"] % 8 == 0 and row["gpus_capped"] > row["gpus_uncapped"]
    assert [str(d) for d in supply_dates(sc)] == ["2024-07-01"]  # type: ignore[arg-type]


def test_size_command_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.toml"
    path.write_text(
        """
name = "tiny"
[simulation]
start = 2024-07-10
horizon_days = 1
step = "1h"
[[fleet]]
accelerator = "h100-sxm"
count = 8000
install_start = 2024-07-01
install_end = 2024-07-01
[power]
grid = [ { from = 2024-01-01, mw = 2 } ]
[facility]
cooling = "chiller_tower"
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["size", str(path), "--target-gpus", "8000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["best"]["generators"] >= 1 and data["unit"] == "smt-130"
    bad = CliRunner().invoke(app, ["size", str(path), "--target-gpus", "10", "--unit", "nope"])
    assert bad.exit_code == 2
    outlook = CliRunner().invoke(app, ["power", str(path), "--json"])
    assert outlook.exit_code == 0, outlook.output
    assert json.loads(outlook.stdout)["fleets"][0]["gpus"] == 8000


def test_sizing_evaluations_bound() -> None:
    from megacluster.power.sizing import sizing_evaluations

    # doubling and bisection over up to 10,000 units: 2 + 2 x 14; each trade-off bisects 40 battery steps in
    # 6 runs, plus 2
    assert sizing_evaluations(0) == 30 and sizing_evaluations(2) == 46


def test_first_guess_units() -> None:
    from megacluster.power.sizing import first_guess_units

    # 100 MW short in 10 MW units: 10 x 1.3 + 2
    assert first_guess_units(100.0, 10.0) == 15
    assert first_guess_units(0.0, 10.0) == 2 and first_guess_units(-50.0, 10.0) == 1
    assert first_guess_units(1e9, 10.0) == 10_000 and first_guess_units(10.0, 0.0) == 10_000


def test_sized_unit() -> None:
    from megacluster.power.config import GeneratorFleet
    from megacluster.power.sizing import DEFAULT_UNIT, sized_unit

    fleets = (
        GeneratorFleet(unit="mobile-2p5mw", count=3),
        GeneratorFleet(unit="smt-130", count=1),
        GeneratorFleet(rating_mw=50.0, count=1),
    )
    assert sized_unit(fleets, None) == "smt-130"  # the largest catalog unit; unnamed fleets do not count
    assert sized_unit(fleets, "mobile-2p5mw") == "mobile-2p5mw"
    assert sized_unit((GeneratorFleet(rating_mw=50.0, count=1),), None) == DEFAULT_UNIT == "smt-130"
    assert sized_unit((GeneratorFleet(unit="mobile-2p5mw", count=1),), None) == "mobile-2p5mw"
    with pytest.raises(ValueError, match="unknown generator unit 'nope'"):
        sized_unit(fleets, "nope")


def test_candidate_power() -> None:
    from megacluster.power.config import BatteryConfig, PowerConfig
    from megacluster.power.sizing import candidate_power

    base = PowerConfig(
        grid=[{"from": "2024-01-01", "mw": 5.0}], battery=BatteryConfig(power_mw=1.0, energy_mwh=2.0)
    )
    # no battery given: the scenario's stays, and the units run N + reserve
    p = candidate_power(base, "smt-130", 7, None, 1)
    assert len(p.generators) == 1 and p.generators[0].unit == "smt-130" and p.generators[0].count == 7
    assert p.spinning_reserve_units == 1 and p.battery == base.battery and p.grid == base.grid
    # a sized battery: 2-hour, the Megapack's round trip, and it is the reserve
    p = candidate_power(base, "smt-130", 5, 400.0, 1)
    assert p.spinning_reserve_units == 0 and p.battery is not None
    assert (p.battery.power_mw, p.battery.energy_mwh, p.battery.round_trip_efficiency) == (200.0, 400.0, 0.85)
    assert candidate_power(base, "smt-130", 5, 0.0, 1).battery is None
    small = candidate_power(base, "smt-130", 5, 0.5, 1).battery
    assert small is not None and (small.power_mw, small.energy_mwh) == (0.25, 0.5)


def test_sizing_costs_and_result_dict() -> None:
    from megacluster.power.sizing import SizingPoint, SizingResult, sizing_costs
    from power.helpers import plant_result as _result

    # the four half-hour steps of test_totals: 2 h of 8,760; a 4 MWh battery is 2 MW of 2-hour battery
    costs = sizing_costs(_result(), 3, "smt-130")
    assert costs["capex_usd"]["generators"] == pytest.approx(3 * 16.5 * 1000 * 1092.8)
    assert costs["capex_usd"]["battery"] == pytest.approx(2.0 * 1000 * 1058.0)
    assert costs["per_year"]["co2_t"] == pytest.approx(10.55 * 4380)
    assert costs["per_year"]["nox_t"] == pytest.approx(0.45 * 4380)
    assert costs["per_year"]["operating_cost_usd"] == pytest.approx(970.0 * 4380)
    assert costs["fuel_mmbtu"] == pytest.approx(75.0) and costs["generator_starts"] == 3
    assert costs["curtailed_hours"] == pytest.approx(1.0) and costs["energy_mwh"]["total"] == pytest.approx(
        20.0
    )
    assert costs["operating_cost_usd"]["grid"] == pytest.approx(720.0)
    assert costs["emissions_t"]["co2_generators"] == pytest.approx(3.75)
    res = SizingResult(
        target_gpus=1000,
        accelerator="h100-sxm",
        unit="smt-130",
        unit_rating_mw=16.5,
        grid_peak_mw=5.0,
        peak_demand_mw=20.0,
        peak_ambient_c=33.5,
        derated_unit_mw=14.4,
        best=SizingPoint(generators=2, battery_mwh=0.0, feasible=True, summary={"fuel_mmbtu": 1.0}),
        battery_tradeoffs=(SizingPoint(generators=1, battery_mwh=10.0, feasible=False),),
        evaluations=9,
    )
    d = res.to_dict()
    assert d["best"] == {"generators": 2, "battery_mwh": 0.0, "feasible": True, "fuel_mmbtu": 1.0}
    assert d["battery_tradeoffs"] == [{"generators": 1, "battery_mwh": 10.0, "feasible": False}]
    assert (d["target_gpus"], d["accelerator"], d["unit"], d["unit_rating_mw"]) == (
        1000,
        "h100-sxm",
        "smt-130",
        16.5,
    )
    assert (d["grid_peak_mw"], d["peak_demand_mw"], d["peak_ambient_c"], d["derated_unit_mw"]) == (
        5.0,
        20.0,
        33.5,
        14.4,
    )
    assert d["evaluations"] == 9 and d["method"].startswith("bisection over simulate_plant")
    assert SizingResult(**{**res.__dict__, "best": None}).to_dict()["best"] is None
