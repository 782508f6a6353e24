"""Capital recovery and annuities: hand-worked values and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from megacluster.economics.finance import (
    annuity_usd_per_year,
    capital_recovery_factor,
    months_of,
    years_of,
)


def test_crf_hand_worked() -> None:
    # 8 %, 5 years: 0.08 x 1.08^5 / (1.08^5 - 1) = 0.08 x 1.469328 / 0.469328 = 0.250456
    assert capital_recovery_factor(0.08, 5.0) == pytest.approx(0.250456, abs=1e-6)
    # 8 %, 20 years: 0.101852
    assert capital_recovery_factor(0.08, 20.0) == pytest.approx(0.101852, abs=1e-6)


def test_crf_at_zero_rate_is_straight_line() -> None:
    assert capital_recovery_factor(0.0, 4.0) == pytest.approx(0.25)


def test_crf_is_vectorised() -> None:
    out = capital_recovery_factor(np.array([0.0, 0.08]), np.array([5.0, 5.0]))
    assert np.allclose(out, [0.2, 0.250456], atol=1e-6)


def test_annuity_of_an_h100() -> None:
    # $37,080 at 8 % over 5 years: $9,286.9 a year, $25.44 a day
    assert annuity_usd_per_year(37_080.0, 0.08, 5.0) == pytest.approx(37_080 * 0.250456, rel=1e-5)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        capital_recovery_factor(0.08, 0.0)
    with pytest.raises(ValueError):
        capital_recovery_factor(-0.01, 5.0)


def test_spans() -> None:
    assert years_of(365 * 86400.0) == pytest.approx(1.0)
    assert months_of(365 * 86400.0) == pytest.approx(12.0)


@given(rate=st.floats(0.0, 0.3), life=st.floats(1.0, 40.0))
def test_annuities_repay_the_capital(rate: float, life: float) -> None:
    """The present value of the annuity over the life equals the capital (for whole-year lives)."""
    years = round(life)
    crf = capital_recovery_factor(rate, float(years))
    pv = sum(crf / (1.0 + rate) ** t for t in range(1, years + 1))
    assert pv == pytest.approx(1.0, rel=1e-9)
    assert crf >= 1.0 / years - 1e-12  # interest never makes it cheaper than straight-line
