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
