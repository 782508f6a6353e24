"""Repair times and spares: the lognormal's median and spread, whole replicas, the deficit beyond spares."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from megacluster.reliability.repair import draw_repair_s, repair_deficit, usable_gpus

ALPHA = 0.01
"""Significance level of the statistical tests (fixed seeds: the tests are deterministic). [-]"""


def test_repair_times_have_the_given_median() -> None:
    n = 20_000
    times = draw_repair_s(n, 24 * 3600.0, 1.0, np.random.default_rng(1))
    below = int(np.sum(times < 24 * 3600.0))
    # half the repairs are shorter than the median: Binomial(n, 1/2)
    assert stats.binomtest(below, n, 0.5).pvalue > ALPHA
    assert np.median(times) == pytest.approx(24 * 3600.0, rel=0.05)


def test_repair_times_are_lognormal_with_the_given_sigma() -> None:
    times = draw_repair_s(20_000, 3600.0, 0.5, np.random.default_rng(2))
    logs = np.log(times / 3600.0)
    assert stats.kstest(logs, stats.norm(0.0, 0.5).cdf).pvalue > ALPHA
    # mean = median x exp(sigma^2 / 2) (constants.py)
    assert times.mean() == pytest.approx(3600.0 * math.exp(0.125), rel=0.02)


def test_zero_sigma_repairs_take_exactly_the_median() -> None:
    assert draw_repair_s(3, 7200.0, 0.0, np.random.default_rng(3)).tolist() == [7200.0] * 3
    assert draw_repair_s(0, 7200.0, 1.0, np.random.default_rng(3)).size == 0


@pytest.mark.parametrize(("median", "sigma"), [(0.0, 1.0), (-1.0, 1.0), (math.nan, 1.0), (1.0, -0.1)])
def test_bad_repair_parameters_are_rejected(median: float, sigma: float) -> None:
    with pytest.raises(ValueError, match="repair median"):
        draw_repair_s(1, median, sigma, np.random.default_rng(0))


def test_usable_gpus_are_whole_replicas_of_what_is_held_less_the_deficit() -> None:
    held = np.array([0, 7, 8, 130, 256, 1024])
    assert usable_gpus(held, 8).tolist() == [0, 0, 8, 128, 256, 1024]
    assert usable_gpus(held, 128, 8).tolist() == [0, 0, 0, 0, 128, 1024 - 128]
    assert usable_gpus(held, 1, 2000).tolist() == [0] * 6  # never negative
    assert usable_gpus(held, 1).dtype == np.int64


def test_replicas_must_hold_a_gpu() -> None:
    with pytest.raises(ValueError, match="replica_gpus"):
        usable_gpus(np.array([8]), 0)
    assert usable_gpus(np.array([8]), 1).tolist() == [8]


def test_deficit_is_what_the_spares_cannot_cover() -> None:
    assert repair_deficit(16, 8) == 8
    assert repair_deficit(8, 8) == 0
    assert repair_deficit(0, 8) == 0
    assert repair_deficit(24, 0) == 24
