"""The borrowed views of the compiled loops (``megacluster/borrowed.py``): the same memory, no owner."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError
from numba.typed import List

from megacluster.borrowed import borrowed


@njit
def _scale(values, factor, out):
    for x in range(values.size):
        out[x] = values[x] * factor


@njit
def _borrowing(values, out):
    _scale(borrowed(values), 3.0, borrowed(out))  # the caller's arrays, written through the views


@njit
def _same_memory(values):
    view = borrowed(values)
    return view.ctypes.data == values.ctypes.data, view.shape[0] == values.shape[0]


@njit
def _grow(items):
    handle = borrowed(items)
    handle.append(np.full(2, 7.0))
    handle[0] = np.zeros(3)
    return len(handle)


def test_a_borrowed_view_reads_and_writes_the_owners_memory() -> None:
    values = np.arange(5.0)
    out = np.full(5, -1.0)
    _borrowing(values, out)
    np.testing.assert_array_equal(out, np.arange(5.0) * 3.0)
    same_data, same_shape = _same_memory(values)
    assert same_data and same_shape


def test_a_borrowed_list_handle_is_the_owners_list() -> None:
    items = List([np.ones(1), np.ones(1)])
    assert _grow(items) == 3
    assert len(items) == 3
    np.testing.assert_array_equal(items[0], np.zeros(3))
    np.testing.assert_array_equal(items[2], np.full(2, 7.0))


def test_borrowed_refuses_other_types() -> None:
    @njit
    def wrong(x):
        return borrowed(x)

    with pytest.raises(TypingError):
        wrong(1.5)
