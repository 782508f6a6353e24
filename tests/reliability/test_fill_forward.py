"""The ledger's step-function sampling (``fill_forward``) against the plain searchsorted definition."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from megacluster.reliability.ledger import fill_forward


@given(
    times=st.lists(st.integers(-5, 60), min_size=1, max_size=30),
    at=st.lists(st.integers(-10, 70), min_size=1, max_size=80),
    seed=st.integers(0, 1000),
)
def test_fill_forward_is_the_last_value_in_force(times: list[int], at: list[int], seed: int) -> None:
    t = np.sort(np.asarray(times, dtype=np.float64))
    at_s = np.sort(np.asarray(at, dtype=np.float64))
    values = np.random.default_rng(seed).integers(0, 9, t.size)
    expected = values[np.maximum(np.searchsorted(t, at_s, side="right") - 1, 0)]
    np.testing.assert_array_equal(fill_forward(t, values, at_s), expected)
