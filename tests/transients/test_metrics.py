"""Swing, ramp and spectrum figures on known waveforms: a square wave comes out exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from megacluster.transients.metrics import mean_ramp, moving_mean_swing, ramp_rates, spectrum, swing_figures

DT = 0.02
PERIOD = 50  # samples: a 1-s square wave at 20 ms
PERIODS = 120  # 120 s
MEAN, AMP = 100.0, 20.0


def square() -> np.ndarray:
    one = np.r_[np.full(PERIOD // 2, MEAN + AMP), np.full(PERIOD // 2, MEAN - AMP)]
    return np.tile(one, PERIODS)


def harmonic_power(h: int) -> float:
    """One-sided variance of harmonic h of a sampled ±AMP square wave of PERIOD samples: 2 |c_h|^2 with
    |c_h| = 2 AMP / (PERIOD sin(pi h / PERIOD)) for odd h, 0 for even h. [MW^2]"""
    if h % 2 == 0:
        return 0.0
    return 2.0 * (2.0 * AMP / (PERIOD * math.sin(math.pi * h / PERIOD))) ** 2


def test_square_wave_spectrum_is_exact() -> None:
    spec = spectrum(square(), DT)
    # the fundamental sits exactly on bin PERIODS (1 Hz) and every harmonic on a multiple of it
    assert spec.freq_hz[PERIODS] == pytest.approx(1.0, abs=1e-12)
    for h in range(1, PERIOD // 2):
        assert spec.power_mw2[h * PERIODS] == pytest.approx(harmonic_power(h), rel=1e-9, abs=1e-9)
    off_harmonic = np.ones(spec.power_mw2.size, dtype=bool)
    off_harmonic[::PERIODS] = False
    assert np.max(spec.power_mw2[off_harmonic]) == pytest.approx(0.0, abs=1e-9)
    # Parseval: the bins add up to the variance, AMP^2
    assert spec.total_mw2() == pytest.approx(AMP**2, rel=1e-12)
    assert spec.dominant_hz() == pytest.approx(1.0)


def test_square_wave_band_energy_and_figures_are_exact() -> None:
    figures = swing_figures(square(), DT, (0.1, 2.0))
    expected_band = harmonic_power(1)  # only the 1-Hz fundamental lies in 0.1-2 Hz (the next is 3 Hz)
    assert figures.band_rms_mw == pytest.approx(math.sqrt(expected_band), rel=1e-9)
    assert figures.band_energy_fraction == pytest.approx(expected_band / AMP**2, rel=1e-9)
    assert figures.dominant_in_band_hz == pytest.approx(1.0)
    assert figures.swing_mw == pytest.approx(2 * AMP)
    assert figures.mean_mw == pytest.approx(MEAN)
    assert figures.std_mw == pytest.approx(AMP)


def test_square_wave_ramps_are_exact() -> None:
    x = square()
    ramps = ramp_rates(x, DT)
    assert np.max(np.abs(ramps)) == pytest.approx(2 * AMP / DT)
    # two edges per period, minus the last period's wrap-around
    assert np.count_nonzero(ramps) == 2 * PERIODS - 1
    figures = swing_figures(x, DT, (0.1, 20.0))
    assert figures.ramp_max_mw_per_s == pytest.approx(2 * AMP / DT)
    # a 1-s mean of a 1-s square wave is flat, and so is a 60-s mean: no ramp at either scale
    assert figures.ramp_1s_up_mw_per_s == pytest.approx(0.0, abs=1e-9)
    assert figures.ramp_1min_up_mw_per_min == pytest.approx(0.0, abs=1e-9)
    assert figures.swing_1s_mw == pytest.approx(0.0, abs=1e-9)
    # 2 ramps in 50 samples move (4 %): the median and the 90th percentile are 0, the 99th is an edge
    p50, p90, p99, _ = figures.ramp_percentiles_mw_per_s
    assert (p50, p90) == (0.0, 0.0)
    assert p99 == pytest.approx(2 * AMP / DT)


def test_mean_ramp_of_a_straight_line_is_its_slope() -> None:
    t = np.arange(10_000) * DT
    up, down = mean_ramp(3.0 * t, DT, 60.0)
    assert up == pytest.approx(3.0 * 60.0, rel=1e-9)
    assert down == 0.0
    assert moving_mean_swing(np.r_[np.zeros(500), np.ones(500)], DT, 1.0) == pytest.approx(1.0)


def test_a_constant_has_no_spectrum() -> None:
    spec = spectrum(np.full(1000, 5.0), DT)
    assert spec.total_mw2() == 0.0
    assert spec.dominant_hz() is None


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(2, 400), elements=st.floats(-1e3, 1e3)))
def test_parseval_and_band_share(x: np.ndarray) -> None:
    spec = spectrum(x, DT)
    assert spec.total_mw2() == pytest.approx(float(np.var(x)), rel=1e-9, abs=1e-6)
    figures = swing_figures(x, DT, (0.1, 20.0))
    assert 0.0 <= figures.band_energy_fraction <= 1.0 + 1e-12
    assert figures.swing_mw >= figures.swing_1s_mw - 1e-9
