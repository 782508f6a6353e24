"""Behaviour of the random-event primitives: cumulative hazard and its inverse worked by hand, Poisson counts
and positions checked against their expectation over many seeds, cause shares, repair times, usable GPUs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from megacluster.reliability.events import (
    MAX_EXPECTED_EVENTS,
    assign_causes,
    cumulative_hazard,
    draw_event_times,
    draw_poisson_times,
    infant_mortality_multiplier,
    invert_cumulative,
)
from megacluster.reliability.repair import draw_repair_s, repair_deficit, usable_gpus


def test_infant_mortality_by_hand() -> None:
    t = np.array([-5.0, 0.0, 100.0, 1e9])
    out = infant_mortality_multiplier(t, 3.0, 100.0)
    np.testing.assert_allclose(out, [3.0, 3.0, 1.0 + 2.0 / math.e, 1.0], rtol=1e-12)
    np.testing.assert_array_equal(infant_mortality_multiplier(t, 1.0, 100.0), np.ones(4))
    np.testing.assert_allclose(
        infant_mortality_multiplier(t, 2.0, 50.0), [2.0, 2.0, 1.0 + math.exp(-2.0), 1.0]
    )
    # a factor below 1 (burn-in already done, say): the hazard recovers towards 1 from below
    np.testing.assert_allclose(infant_mortality_multiplier(np.array([0.0]), 0.5, 10.0), [0.5])


def test_cumulative_hazard_by_hand() -> None:
    np.testing.assert_allclose(cumulative_hazard(np.array([1.0, 2.0, 3.0]), 10.0), [0.0, 10.0, 30.0, 60.0])
    np.testing.assert_array_equal(cumulative_hazard(np.zeros(0), 10.0), [0.0])
    np.testing.assert_array_equal(cumulative_hazard(np.zeros(2), 10.0), [0.0, 0.0, 0.0])
    for bad in ([1.0, -1e-12], [np.nan], [np.inf]):
        with pytest.raises(ValueError, match="finite and non-negative"):
            cumulative_hazard(np.array(bad), 1.0)


def test_invert_cumulative_by_hand() -> None:
    cum = np.array([0.0, 10.0, 30.0])
    rate = np.array([1.0, 2.0])
    edges = np.array([0.0, 10.0, 20.0])
    got = invert_cumulative(cum, rate, edges, np.array([0.0, 5.0, 10.0, 20.0, 30.0, 30.5, -1.0]))
    np.testing.assert_allclose(got, [0.0, 5.0, 10.0, 15.0, 20.0, np.inf, 0.0])


def test_invert_cumulative_skips_steps_without_hazard() -> None:
    cum = np.array([0.0, 0.0, 10.0, 10.0, 15.0])
    rate = np.array([0.0, 1.0, 0.0, 0.5])
    edges = np.array([100.0, 110.0, 120.0, 130.0, 140.0])
    got = invert_cumulative(cum, rate, edges, np.array([0.0, 5.0, 10.0, 12.5, 15.0]))
    np.testing.assert_allclose(got, [100.0, 115.0, 120.0, 135.0, 140.0])


def test_event_times_without_hazard_or_steps_are_none() -> None:
    rng = np.random.default_rng(0)
    assert draw_event_times(np.zeros(5), np.arange(5) * 10.0, 10.0, rng).size == 0
    assert draw_event_times(np.zeros(0), np.zeros(0), 10.0, rng).size == 0
    # from the end of the last step on: nothing left
    assert draw_event_times(np.ones(3), np.arange(3) * 10.0, 10.0, rng, t_from_s=30.0).size == 0
    with pytest.raises(ValueError, match=r"^hazard_per_s and step_start_s must have the same length$"):
        draw_event_times(np.ones(3), np.arange(4) * 10.0, 10.0, rng)
    too_many = (
        r"^the hazard gives 1e\+08 expected events, more than 5e\+07; "
        r"check the failure rate and the number of GPUs$"
    )
    with pytest.raises(ValueError, match=too_many):
        draw_event_times(np.array([MAX_EXPECTED_EVENTS]), np.zeros(1), 2.0, rng)


def test_event_times_follow_the_hazard() -> None:
    """A hazard of 0, 2e-3 and 1e-3 per second on three 1,000 s steps: 0, 2 and 1 events expected per step."""
    hazard = np.array([0.0, 2e-3, 1e-3])
    starts = np.array([0.0, 1000.0, 2000.0])
    counts = np.zeros(3)
    n_runs = 2000
    for seed in range(n_runs):
        times = draw_event_times(hazard, starts, 1000.0, np.random.default_rng(seed))
        assert np.all(np.diff(times) >= 0)
        assert np.all((times >= 1000.0) & (times <= 3000.0))
        counts += np.histogram(times, bins=[0.0, 1000.0, 2000.0, 3000.0])[0]
    mean = counts / n_runs
    assert mean[0] == 0.0
    # Poisson: s.d. of the mean sqrt(lambda / runs) ~ 0.03
    assert mean[1] == pytest.approx(2.0, abs=0.12)
    assert mean[2] == pytest.approx(1.0, abs=0.09)


def test_event_times_from_a_start_time() -> None:
    hazard = np.full(10, 0.05)
    starts = np.arange(10) * 100.0
    total = 0
    n_runs = 400
    for seed in range(n_runs):
        times = draw_event_times(hazard, starts, 100.0, np.random.default_rng(seed), t_from_s=750.0)
        assert np.all(times >= 750.0) and np.all(times <= 1000.0)
        total += times.size
    # 250 s at 0.05/s: 12.5 events expected
    assert total / n_runs == pytest.approx(12.5, abs=0.6)


def test_event_times_from_before_the_first_step_start_at_it() -> None:
    hazard = np.full(4, 0.01)
    starts = 1000.0 + np.arange(4) * 100.0
    total = 0
    for seed in range(300):
        times = draw_event_times(hazard, starts, 100.0, np.random.default_rng(seed), t_from_s=0.0)
        assert np.all((times >= 1000.0) & (times <= 1400.0))
        total += times.size
    assert total / 300 == pytest.approx(4.0, abs=0.3)


def test_event_times_many_events_are_uniform_under_a_constant_hazard() -> None:
    times = draw_event_times(np.full(4, 5.0), np.arange(4) * 1000.0, 1000.0, np.random.default_rng(3))
    assert times.size == pytest.approx(20_000, abs=500)
    counts = np.histogram(times, bins=8, range=(0.0, 4000.0))[0]
    np.testing.assert_allclose(counts / times.size, np.full(8, 1 / 8), atol=0.01)


def test_poisson_times() -> None:
    rng = np.random.default_rng(1)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="non-negative"):
            draw_poisson_times(bad, 0.0, 1.0, rng)
    assert draw_poisson_times(0.0, 0.0, 100.0, rng).size == 0
    assert draw_poisson_times(1.0, 100.0, 100.0, rng).size == 0
    assert draw_poisson_times(1.0, 100.0, 50.0, rng).size == 0
    counts = []
    for seed in range(300):
        times = draw_poisson_times(0.5, 100.0, 140.0, np.random.default_rng(seed))
        assert np.all((times >= 100.0) & (times < 140.0))
        assert np.all(np.diff(times) >= 0)
        counts.append(times.size)
    assert np.mean(counts) == pytest.approx(20.0, abs=0.8)
    assert np.var(counts) == pytest.approx(20.0, rel=0.25)  # Poisson: variance = mean
    # a span shorter than a second still draws its events
    short = draw_poisson_times(200.0, 10.0, 10.5, np.random.default_rng(3))
    assert 60 < short.size < 140
    assert np.all((short >= 10.0) & (short < 10.5))
    many = draw_poisson_times(1.0, 0.0, 10_000.0, np.random.default_rng(2))
    assert np.mean(many) == pytest.approx(5000.0, rel=0.03)


def test_assign_causes() -> None:
    rng = np.random.default_rng(4)
    none = assign_causes(0, np.array([1.0]), rng)
    assert none.size == 0 and none.dtype == np.int64
    with pytest.raises(ValueError, match="positive share"):
        assign_causes(3, np.zeros(2), rng)
    np.testing.assert_array_equal(assign_causes(50, np.array([0.0, 2.0, 0.0]), rng), np.ones(50))
    drawn = assign_causes(40_000, np.array([1.0, 3.0, 0.0, 4.0]), rng)
    assert drawn.dtype == np.int64
    share = np.bincount(drawn, minlength=4) / drawn.size
    np.testing.assert_allclose(share, [0.125, 0.375, 0.0, 0.5], atol=0.01)
    assert drawn.max() <= 3


def test_repair_times_are_lognormal_with_the_given_median() -> None:
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(draw_repair_s(4, 3600.0, 0.0, rng), np.full(4, 3600.0))
    np.testing.assert_array_equal(draw_repair_s(2, 0.5, 0.0, rng), [0.5, 0.5])  # any positive median
    times = draw_repair_s(20_000, 3600.0, 0.8, rng)
    assert np.median(times) == pytest.approx(3600.0, rel=0.03)
    assert np.std(np.log(times)) == pytest.approx(0.8, rel=0.03)
    assert np.mean(times) == pytest.approx(3600.0 * math.exp(0.32), rel=0.04)
    for median, sigma in ((0.0, 1.0), (-1.0, 1.0), (1.0, -0.1), (float("nan"), 1.0)):
        with pytest.raises(ValueError, match=r"^repair median must be positive and sigma non-negative$"):
            draw_repair_s(1, median, sigma, rng)


def test_usable_gpus_are_whole_replicas_after_the_deficit() -> None:
    job = np.array([0, 7, 8, 15, 16, 100], dtype=np.int64)
    np.testing.assert_array_equal(usable_gpus(job, 8), [0, 0, 8, 8, 16, 96])
    np.testing.assert_array_equal(usable_gpus(job, 8, deficit_gpus=3), [0, 0, 0, 8, 8, 96])
    np.testing.assert_array_equal(usable_gpus(job, 1, deficit_gpus=10), [0, 0, 0, 5, 6, 90])
    assert usable_gpus(job, 8).dtype == np.int64
    with pytest.raises(ValueError, match=r"^replica_gpus must be at least 1$"):
        usable_gpus(job, 0)


def test_repair_deficit() -> None:
    assert repair_deficit(10, 4) == 6
    assert repair_deficit(4, 4) == 0
    assert repair_deficit(2, 4) == 0
