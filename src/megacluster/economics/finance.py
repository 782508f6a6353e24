"""Money over time: the capital recovery factor, annuities, and a capital's charge over part of a year. Pure,
vectorised functions (numbers or numpy arrays in and out)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster.units import DAYS_PER_YEAR, SECONDS_PER_DAY

ArrayLike = float | npt.NDArray[np.float64]

AVERAGE_MONTH_DAYS = DAYS_PER_YEAR / 12.0
"""Days in an average month, for rents billed per month and charged by the day. [d]"""


def capital_recovery_factor(rate: ArrayLike, life_years: ArrayLike) -> ArrayLike:
    """The share of a capital that, paid every year of its life, repays it with interest at ``rate``:
    ``r (1 + r)^n / ((1 + r)^n - 1)``, and ``1 / n`` at ``r = 0``. [1/yr]"""
    r = np.asarray(rate, dtype=np.float64)
    n = np.asarray(life_years, dtype=np.float64)
    if np.any(n <= 0) or np.any(r < 0):
        raise ValueError("capital_recovery_factor needs a life above 0 years and a rate at or above 0")
    # r / (1 - (1 + r)^-n), written with expm1/log1p so that a rate near zero tends to 1/n, not 0/0
    discounted = -np.expm1(-n * np.log1p(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        crf = np.where(r > 0, r / np.where(r > 0, discounted, 1.0), 1.0 / n)
    return float(crf) if crf.ndim == 0 else crf


def annuity_usd_per_year(capital_usd: ArrayLike, rate: ArrayLike, life_years: ArrayLike) -> ArrayLike:
    """The yearly payment that repays ``capital_usd`` over its life at ``rate``. [USD/yr]"""
    out = np.asarray(capital_usd, dtype=np.float64) * capital_recovery_factor(rate, life_years)
    return float(out) if out.ndim == 0 else out


def years_of(seconds: ArrayLike) -> ArrayLike:
    """A span in (365-day) years. [yr]"""
    out = np.asarray(seconds, dtype=np.float64) / (DAYS_PER_YEAR * SECONDS_PER_DAY)
    return float(out) if out.ndim == 0 else out


def months_of(seconds: ArrayLike) -> ArrayLike:
    """A span in average months (365/12 days). [month]"""
    out = np.asarray(seconds, dtype=np.float64) / (AVERAGE_MONTH_DAYS * SECONDS_PER_DAY)
    return float(out) if out.ndim == 0 else out
