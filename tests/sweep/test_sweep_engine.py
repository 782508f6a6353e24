"""The production unit of work against the engine (no Ray needed)."""

from __future__ import annotations

import tomllib

from sweep_fakes import TINY

from megacluster.scenario.load import scenario_from_dict
from megacluster.sweep.work import ENGINE, flatten, simulate_point


def test_flatten_dotted_names() -> None:
    flat = flatten({"a": 1, "b": {"c": 2.5, "d": {"e": None}}, "f": [1, 2], "g": float("nan")})
    assert flat == {"a": 1, "b.c": 2.5, "b.d.e": None, "f": "[1, 2]", "g": None}


def test_prepared_replicas_equal_simulate_point() -> None:
    """The batched path shares set-up only: every figure equals a plain simulate(scenario, seed)."""
    scenario = scenario_from_dict(tomllib.loads(TINY), "tiny")
    one = ENGINE.prepare(scenario)
    for seed in (0, 12345):
        expected = simulate_point(scenario, seed)
        assert one(seed) == expected
    assert "training.goodput" in expected and "energy_mwh.total" in expected
