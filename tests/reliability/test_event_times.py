"""Exact-time events: inverting the cumulative hazard, and agreement with a per-GPU reference simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from megacluster.reliability.events import (
    assign_causes,
    cumulative_hazard,
    draw_event_times,
    draw_poisson_times,
    infant_mortality_multiplier,
    invert_cumulative,
)

ALPHA = 0.01
"""Significance level of the statistical tests (fixed seeds: the tests are deterministic). [-]"""


def test_inversion_is_exact_within_steps() -> None:
    hazard = np.array([0.0, 2.0, 0.0, 1.0])  # per second, steps of 1 s
    edges = np.arange(5.0)
    cum = cumulative_hazard(hazard, 1.0)
    assert cum.tolist() == [0.0, 0.0, 2.0, 2.0, 3.0]
    times = invert_cumulative(cum, hazard, edges, np.array([0.5, 2.0, 2.5, 3.5]))
    assert times.tolist() == [1.25, 2.0, 3.5, np.inf]


def test_times_are_not_rounded_to_steps() -> None:
    starts = np.arange(1000.0) * 60.0
    times = draw_event_times(np.full(1000, 1e-3), starts, 60.0, np.random.default_rng(1))
    assert np.all(np.diff(times) >= 0)
    assert np.mean(np.isclose(np.mod(times, 60.0), 0.0)) < 0.01
    assert times.min() >= 0 and times.max() < 60_000.0


def test_no_events_before_the_start_or_with_zero_hazard() -> None:
    starts = np.arange(100.0)
    rng = np.random.default_rng(2)
    assert draw_event_times(np.zeros(100), starts, 1.0, rng).size == 0
    times = draw_event_times(np.full(100, 5.0), starts, 1.0, rng, t_from_s=50.0)
    assert times.min() >= 50.0
    assert stats.poisson(250).ppf(0.0005) <= times.size <= stats.poisson(250).ppf(0.9995)


def test_same_seed_same_times() -> None:
    starts = np.arange(500.0) * 30.0
    h = np.linspace(0, 1e-2, 500)
    a = draw_event_times(h, starts, 30.0, np.random.default_rng(7))
    b = draw_event_times(h, starts, 30.0, np.random.default_rng(7))
    assert np.array_equal(a, b)


def test_planned_and_causes() -> None:
    rng = np.random.default_rng(3)
    times = draw_poisson_times(0.01, 100.0, 10_100.0, rng)
    assert np.all((times >= 100.0) & (times < 10_100.0)) and np.all(np.diff(times) >= 0)
    causes = assign_causes(10_000, np.array([0.7, 0.0, 0.3]), rng)
    counts = np.bincount(causes, minlength=3)
    assert counts[1] == 0
    assert stats.binomtest(int(counts[0]), 10_000, 0.7).pvalue > ALPHA


def test_infant_mortality_decays_to_one() -> None:
    m = infant_mortality_multiplier(np.array([0.0, 1e9]), 3.0, 14 * 86400.0)
    assert m[0] == pytest.approx(3.0) and m[1] == pytest.approx(1.0)
    assert np.all(infant_mortality_multiplier(np.arange(5.0), 1.0, 10.0) == 1.0)


def _per_gpu_reference(
    gpus: np.ndarray, rate_per_gpu_s: float, step_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Each GPU its own exponential failure process; a failure counts while that GPU is in the job. [s]"""
    horizon = gpus.size * step_s
    n_gpu = int(gpus.max())
    mean_count = rate_per_gpu_s * horizon
    columns = int(mean_count + 8 * np.sqrt(mean_count) + 10)
    out = []
    for gpu in range(n_gpu):  # a loop over GPUs, as a per-GPU reference would
        t = np.cumsum(rng.exponential(1.0 / rate_per_gpu_s, columns))
        if t[-1] < horizon:
            raise RuntimeError("reference drew too few gaps")
        t = t[t < horizon]
        held = gpus[(t // step_s).astype(int)] > gpu
        out.append(t[held])
    return np.sort(np.concatenate(out))


def test_aggregated_stream_matches_per_gpu_reference() -> None:
    """H0: both streams come from the same process. Tested at alpha = 0.01 with fixed seeds.

    3,000 GPUs at most; the job holds 2,000, then 3,000, then 1,000 GPUs, 100 h each, with a per-GPU rate
    scaled up (2e-3 per GPU-hour) to give ~1,200 events per stream.
    """
    step_s = 3600.0
    gpus = np.repeat([2000, 3000, 1000], 100)
    rate_s = 2e-3 / 3600.0
    reference = _per_gpu_reference(gpus, rate_s, step_s, np.random.default_rng(11))
    starts = np.arange(gpus.size) * step_s
    aggregated = draw_event_times(rate_s * gpus, starts, step_s, np.random.default_rng(12))

    # 1. counts: given the total, the aggregated count is Binomial(total, 1/2)
    total = reference.size + aggregated.size
    p_count = stats.binomtest(aggregated.size, total, 0.5).pvalue
    # 2. times: two-sample Kolmogorov-Smirnov
    p_ks = stats.ks_2samp(reference, aggregated).pvalue
    # 3. counts in 30 bins of 10 h: chi-square test of homogeneity
    bins = np.arange(0, gpus.size * step_s + 1, 10 * step_s)
    table = np.vstack([np.histogram(reference, bins)[0], np.histogram(aggregated, bins)[0]])
    p_chi2 = stats.chi2_contingency(table).pvalue
    print(
        f"per-GPU reference {reference.size} events, aggregated {aggregated.size}; "
        f"p(count) = {p_count:.3f}, p(KS) = {p_ks:.3f}, p(chi2) = {p_chi2:.3f}"
    )
    expected = rate_s * step_s * gpus.sum()
    assert (
        stats.poisson(expected).ppf(ALPHA / 2) <= reference.size <= stats.poisson(expected).ppf(1 - ALPHA / 2)
    )
    assert p_count > ALPHA
    assert p_ks > ALPHA
    assert p_chi2 > ALPHA


def test_absurd_hazard_is_refused() -> None:
    with pytest.raises(ValueError, match="expected events"):
        draw_event_times(np.full(10, 1e9), np.arange(10.0), 1.0, np.random.default_rng(0))


def test_infant_mortality_known_values() -> None:
    decay = 14 * 86400.0
    m = infant_mortality_multiplier(np.array([-decay, 0.0, decay, 2 * decay]), 4.0, decay)
    # 1 + (factor - 1) exp(-t / decay), the clock clamped at the build (t < 0 counts as t = 0)
    assert m.tolist() == pytest.approx([4.0, 4.0, 1 + 3 / np.e, 1 + 3 / np.e**2], rel=1e-12)


def test_cumulative_hazard_known_values_and_bad_input() -> None:
    assert cumulative_hazard(np.array([1.0, 0.5, 2.0]), 10.0).tolist() == [0.0, 10.0, 15.0, 35.0]
    assert cumulative_hazard(np.zeros(0), 10.0).tolist() == [0.0]
    for bad in (np.array([1.0, -1e-9]), np.array([np.nan]), np.array([np.inf])):
        with pytest.raises(ValueError, match="finite and non-negative"):
            cumulative_hazard(bad, 1.0)


def test_inversion_below_the_start_and_on_plateaus() -> None:
    hazard = np.array([1.0, 0.0, 1.0])
    edges = np.array([10.0, 20.0, 30.0, 40.0])
    cum = cumulative_hazard(hazard, 10.0)  # 0, 10, 10, 20
    times = invert_cumulative(cum, hazard, edges, np.array([-1.0, 0.0, 5.0, 10.0, 15.0, 20.0]))
    assert times.tolist() == [10.0, 10.0, 15.0, 20.0, 35.0, 40.0]


def test_event_count_from_a_mid_step_start_is_poisson() -> None:
    # nothing in the first step, 100 per second in the second; from t = 1.5: 50 expected
    hazard = np.array([0.0, 100.0, 0.0])
    counts = [
        draw_event_times(hazard, np.arange(3.0), 1.0, np.random.default_rng(seed), t_from_s=1.5).size
        for seed in range(200)
    ]
    # the mean of 200 Poisson(50) counts is within 3 standard errors of 50
    assert np.mean(counts) == pytest.approx(50.0, abs=3 * np.sqrt(50 / 200))
    times = draw_event_times(hazard, np.arange(3.0), 1.0, np.random.default_rng(0), t_from_s=1.5)
    assert times.min() >= 1.5 and times.max() <= 2.0


def test_many_events_match_the_integrated_hazard() -> None:
    # a million expected events on a ramp: the counts are within 4 standard deviations (0.4 %)
    hazard = np.linspace(0.0, 2000.0, 1000)
    times = draw_event_times(hazard, np.arange(1000.0), 1.0, np.random.default_rng(4))
    cum = cumulative_hazard(hazard, 1.0)
    assert abs(times.size - cum[-1]) < 4 * np.sqrt(cum[-1])
    # the events follow the hazard: a quarter of them in the first half of the ramp
    first = int(np.sum(times < 500.0))
    assert abs(first - cum[500]) < 4 * np.sqrt(cum[500])
    assert cum[500] / cum[-1] == pytest.approx(0.25, abs=1e-3)


def test_event_times_bad_and_empty_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="same length"):
        draw_event_times(np.ones(3), np.arange(4.0), 1.0, rng)
    assert draw_event_times(np.zeros(0), np.zeros(0), 1.0, rng).size == 0
    assert draw_event_times(np.ones(3), np.arange(3.0), 1.0, rng, t_from_s=3.0).size == 0
    late = draw_event_times(np.full(3, 100.0), np.arange(3.0), 1.0, rng, t_from_s=2.5)
    assert late.size > 0 and late.min() >= 2.5 and late.max() <= 3.0


def test_planned_times_are_uniform_poisson() -> None:
    counts = [draw_poisson_times(1.0, 0.0, 100.0, np.random.default_rng(s)).size for s in range(200)]
    assert np.mean(counts) == pytest.approx(100.0, abs=3 * np.sqrt(100 / 200))
    times = draw_poisson_times(0.5, 100.0, 20_100.0, np.random.default_rng(5))
    assert stats.kstest(times, stats.uniform(100.0, 20_000.0).cdf).pvalue > ALPHA
    assert draw_poisson_times(0.0, 0.0, 100.0, np.random.default_rng(0)).size == 0
    assert draw_poisson_times(1.0, 100.0, 100.0, np.random.default_rng(0)).size == 0
    with pytest.raises(ValueError, match="non-negative"):
        draw_poisson_times(-1.0, 0.0, 1.0, np.random.default_rng(0))


def test_causes_follow_unnormalised_shares() -> None:
    causes = assign_causes(20_000, np.array([2.0, 0.0, 6.0]), np.random.default_rng(6))
    counts = np.bincount(causes, minlength=3)
    assert counts[1] == 0
    assert stats.binomtest(int(counts[0]), 20_000, 0.25).pvalue > ALPHA
    assert causes.dtype == np.int64 and causes.max() == 2
    none = assign_causes(0, np.array([1.0]), np.random.default_rng(0))
    assert none.size == 0 and none.dtype == np.int64
    with pytest.raises(ValueError, match=r"^no cause has a positive share$"):
        assign_causes(5, np.zeros(3), np.random.default_rng(0))
    assert assign_causes(50, np.array([0.0, 0.0, 1.0]), np.random.default_rng(0)).tolist() == [2] * 50
