"""What the grid and the turbines see in a power waveform: peak-to-peak swing, ramp rates (at the sample
interval, on 1-s and 1-min means), and the spectrum (a plain periodogram: one-sided, mean removed, so that the
bins add up to the variance exactly — Parseval) with the energy in a band and the dominant frequency.

Pure numpy functions: arrays in, arrays or small frozen records out. Power in MW, time in s, frequency in Hz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

RAMP_PERCENTILES = (50.0, 90.0, 99.0, 99.9)
"""Percentiles of the absolute ramp rate reported for the ramp distribution. [%]"""


@dataclass(frozen=True)
class Spectrum:
    """One-sided power spectrum of a signal's fluctuation: ``power_mw2[k]`` is the variance carried by the
    frequency ``freq_hz[k]``; the bins sum to the variance. [Hz], [MW^2]"""

    freq_hz: FloatArray
    power_mw2: FloatArray

    def total_mw2(self) -> float:
        """Variance of the signal (all bins but the mean). [MW^2]"""
        return float(np.sum(self.power_mw2[1:]))

    def band_mw2(self, low_hz: float, high_hz: float) -> float:
        """Variance carried by the band ``low_hz <= f <= high_hz``. [MW^2]"""
        mask = (self.freq_hz >= low_hz) & (self.freq_hz <= high_hz)
        mask[0] = False
        return float(np.sum(self.power_mw2[mask]))

    def dominant_hz(self, low_hz: float = 0.0, high_hz: float = np.inf) -> float | None:
        """Frequency of the strongest bin in a band (None when the band holds no bin or no energy). [Hz]"""
        mask = (self.freq_hz >= low_hz) & (self.freq_hz <= high_hz)
        mask[0] = False
        if not mask.any():
            return None
        power = np.where(mask, self.power_mw2, -1.0)
        i = int(np.argmax(power))
        return float(self.freq_hz[i]) if self.power_mw2[i] > 0 else None


def spectrum(power_mw: npt.ArrayLike, dt_s: float) -> Spectrum:
    """The periodogram of a waveform sampled every ``dt_s`` (rectangular window, mean removed).
    [Hz], [MW^2]"""
    x = np.asarray(power_mw, dtype=np.float64)
    n = x.size
    if n < 2:
        raise ValueError("a spectrum needs at least two samples")
    coeffs = np.fft.rfft(x - x.mean()) / n
    power = 2.0 * np.abs(coeffs) ** 2
    power[0] = 0.0
    if n % 2 == 0:
        power[-1] /= 2.0  # the Nyquist bin has no mirror image
    return Spectrum(freq_hz=np.asarray(np.fft.rfftfreq(n, dt_s), dtype=np.float64), power_mw2=power)


def ramp_rates(power_mw: npt.ArrayLike, dt_s: float) -> FloatArray:
    """Change between consecutive samples per second. [MW/s]"""
    x = np.asarray(power_mw, dtype=np.float64)
    return np.asarray(np.diff(x) / dt_s, dtype=np.float64)


def mean_ramp(power_mw: npt.ArrayLike, dt_s: float, span_s: float) -> tuple[float, float]:
    """Largest rise and largest fall of the ``span_s`` moving mean over ``span_s`` (every alignment): what a
    meter averaging over ``span_s`` reports as the ramp per ``span_s``. (0, 0) when the window is shorter
    than two spans. [MW per span]"""
    x = np.asarray(power_mw, dtype=np.float64)
    width = max(1, round(span_s / dt_s))
    if x.size < 2 * width:
        return 0.0, 0.0
    csum = np.concatenate([[0.0], np.cumsum(x)])
    means = (csum[width:] - csum[:-width]) / width
    change = means[width:] - means[:-width]
    return float(max(change.max(), 0.0)), float(max(-change.min(), 0.0))


def moving_mean_swing(power_mw: npt.ArrayLike, dt_s: float, span_s: float) -> float:
    """Peak to peak of the ``span_s`` moving mean (the samples' own swing when shorter than a span). [MW]"""
    x = np.asarray(power_mw, dtype=np.float64)
    width = max(1, round(span_s / dt_s))
    if x.size < width:
        return float(x.max() - x.min())
    csum = np.concatenate([[0.0], np.cumsum(x)])
    means = (csum[width:] - csum[:-width]) / width
    return float(means.max() - means.min())


@dataclass(frozen=True)
class SwingFigures:
    """The figures of one waveform. Units in the names."""

    mean_mw: float
    peak_mw: float
    swing_mw: float
    """Peak to peak (largest minus smallest sample). [MW]"""
    swing_1s_mw: float
    """Peak to peak of the 1-s moving mean (what slower meters and machines feel). [MW]"""
    ramp_max_mw_per_s: float
    """Largest change between consecutive samples, per second. [MW/s]"""
    ramp_percentiles_mw_per_s: tuple[float, ...]
    """Percentiles :data:`RAMP_PERCENTILES` of the absolute ramp at the sample interval. [MW/s]"""
    ramp_1s_up_mw_per_s: float
    ramp_1s_down_mw_per_s: float
    ramp_1min_up_mw_per_min: float
    ramp_1min_down_mw_per_min: float
    dominant_hz: float | None
    dominant_in_band_hz: float | None
    band_energy_fraction: float
    """Share of the fluctuation's variance inside the band. [-]"""
    band_rms_mw: float
    """RMS of the fluctuation inside the band. [MW]"""
    std_mw: float


def swing_figures(
    power_mw: npt.ArrayLike,
    dt_s: float,
    band_hz: tuple[float, float],
    short_s: float = 1.0,
    long_s: float = 60.0,
) -> SwingFigures:
    """Swing, ramps and spectrum figures of a waveform. [MW, MW/s, MW/min, Hz]"""
    x = np.asarray(power_mw, dtype=np.float64)
    ramps = np.abs(ramp_rates(x, dt_s))
    spec = spectrum(x, dt_s)
    total = spec.total_mw2()
    band = spec.band_mw2(*band_hz)
    up_s, down_s = mean_ramp(x, dt_s, short_s)
    up_min, down_min = mean_ramp(x, dt_s, long_s)
    return SwingFigures(
        mean_mw=float(x.mean()),
        peak_mw=float(x.max()),
        swing_mw=float(x.max() - x.min()),
        swing_1s_mw=moving_mean_swing(x, dt_s, short_s),
        ramp_max_mw_per_s=float(ramps.max()) if ramps.size else 0.0,
        ramp_percentiles_mw_per_s=tuple(float(v) for v in np.percentile(ramps, RAMP_PERCENTILES)),
        ramp_1s_up_mw_per_s=up_s / short_s,
        ramp_1s_down_mw_per_s=down_s / short_s,
        ramp_1min_up_mw_per_min=up_min * 60.0 / long_s,
        ramp_1min_down_mw_per_min=down_min * 60.0 / long_s,
        dominant_hz=spec.dominant_hz(),
        dominant_in_band_hz=spec.dominant_hz(*band_hz),
        band_energy_fraction=band / total if total > 0 else 0.0,
        band_rms_mw=float(np.sqrt(band)),
        std_mw=float(np.sqrt(total)),
    )


def ramp_histogram(power_mw: npt.ArrayLike, dt_s: float, bins: int = 60) -> tuple[FloatArray, FloatArray]:
    """Share of samples whose absolute ramp exceeds each level (a complementary CDF on a log-spaced grid
    from 0.1 % of the largest ramp to the largest). [MW/s], [-]"""
    ramps = np.abs(ramp_rates(power_mw, dt_s))
    top = float(ramps.max()) if ramps.size else 0.0
    if top <= 0:
        return np.zeros(1), np.zeros(1)
    levels = np.geomspace(top * 1e-3, top, bins)
    sorted_ramps = np.sort(ramps)
    above = 1.0 - np.searchsorted(sorted_ramps, levels, side="right") / ramps.size
    return levels, np.asarray(above, dtype=np.float64)
