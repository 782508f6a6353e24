"""Figures across replicas: medians that do not depend on the replicas' order; unfinished runs counted."""

from __future__ import annotations

import itertools

from megacluster.engine.simulate import simulate
from megacluster.results.assemble import _median_tree
from megacluster.scenario.load import load_scenario


def test_median_tree_is_order_independent() -> None:
    replicas = [
        {"d": 10.0, "f": True, "n": 3},
        {"d": None, "f": False, "n": 5},
        {"d": None, "f": False, "n": 4},
    ]
    results = [_median_tree(list(order)) for order in itertools.permutations(replicas)]
    assert all(r == results[0] for r in results)
    assert results[0] == {"d": None, "f": False, "n": 4}


def test_median_tree_majority_values() -> None:
    assert _median_tree([{"d": 1.0}, {"d": 3.0}, {"d": None}]) == {"d": 2.0}
    assert _median_tree([True, False]) is False  # a tie is not a majority
    assert _median_tree([True, True, False]) is True


def test_some_replicas_finish_some_do_not() -> None:
    # first the median progress over 2 days; then that as the target: failures decide which replicas reach it
    base = {"simulation.horizon_days": 2, "simulation.step": "10min"}
    probe = simulate(
        load_scenario("llama3-405b-54d", {**base, "training.target_flop": 1e30}), seed=1, replicas=8
    )
    median_done = float(probe.timeseries["cumulative_flop_p50"].iloc[-1])
    scenario = load_scenario("llama3-405b-54d", {**base, "training.target_flop": median_done})
    t = simulate(scenario, seed=1, replicas=8).summary.training
    assert t is not None
    assert 0.0 < t.finished_fraction < 1.0, t.finished_fraction
    assert t.finished == (t.finished_fraction > 0.5)
    if t.finished:
        assert t.finish_day == t.finish_day_p50
    else:
        assert t.finish_day is None
    assert t.finish_day_p10 is not None
    assert t.finish_day_p90 is None
