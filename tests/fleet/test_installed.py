"""Installed GPUs of one delivery over time: known values of the ramp and invariants over random deliveries.

Servers come online at an even pace from the first (at ``install_start_s``) to the last (at
``install_end_s``); a server's GPUs arrive together; a last partial server holds the remainder.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from megacluster.fleet import installed_gpus
from megacluster.units import SECONDS_PER_DAY

# --- known values ---------------------------------------------------------------------------------------


def test_ramp_from_first_to_last_server() -> None:
    # 11 servers of 8 GPUs from t = 1,000 s to t = 1,100 s: server k comes online at 1,000 + 10 k
    t = np.array([999.0, 1000.0, 1009.9, 1010.0, 1050.0, 1099.9, 1100.0, 5000.0])
    got = installed_gpus(t, count=88, install_start_s=1000.0, install_end_s=1100.0, gpus_per_server=8)
    assert got.tolist() == [0, 8, 8, 16, 48, 80, 88, 88]


def test_result_is_integer_gpus() -> None:
    got = installed_gpus(np.array([0.0, 50.0]), 88, 0.0, 100.0, 8)
    assert got.dtype == np.int64


def test_nothing_long_before_the_window_everything_long_after() -> None:
    t = np.array([-1e9, -SECONDS_PER_DAY, 1e9])
    got = installed_gpus(
        t, count=4096, install_start_s=0.0, install_end_s=10 * SECONDS_PER_DAY, gpus_per_server=8
    )
    assert got.tolist() == [0, 0, 4096]


def test_whole_servers_and_a_partial_last_one() -> None:
    # 100 GPUs in servers of 8: 12 whole servers then one of 4, the 13th at the end of the window
    t = np.array([0.0, 899.999, 900.0])
    got = installed_gpus(t, count=100, install_start_s=0.0, install_end_s=900.0, gpus_per_server=8)
    assert got.tolist() == [8, 96, 100]


def test_two_servers_come_one_at_each_end() -> None:
    got = installed_gpus(np.array([-1.0, 0.0, 50.0, 100.0]), 16, 0.0, 100.0, 8)
    assert got.tolist() == [0, 8, 8, 16]


def test_a_one_second_window_still_ramps() -> None:
    # three servers at 0, 0.5 and 1 s
    got = installed_gpus(np.array([0.0, 0.25, 0.5, 1.0]), 24, 0.0, 1.0, 8)
    assert got.tolist() == [8, 8, 16, 24]


def test_a_single_server_arrives_at_the_start() -> None:
    t = np.array([-1e6, 99.0, 100.0, 150.0, 1e6])
    got = installed_gpus(t, count=5, install_start_s=100.0, install_end_s=200.0, gpus_per_server=8)
    assert got.tolist() == [0, 0, 5, 5, 5]


def test_a_zero_length_window_delivers_everything_at_once() -> None:
    got = installed_gpus(np.array([0.0, 4.999, 5.0, 6.0]), 16, 5.0, 5.0, 8)
    assert got.tolist() == [0, 0, 16, 16]


def test_single_precision_times_are_counted_in_double_precision() -> None:
    # 1e8 s in float32 is exact, but 1e8 - 0.5 is not: the second server (due at 1e8 + 0.5) is not online yet
    t = np.array([1e8], dtype=np.float32)
    assert installed_gpus(t, 16, 0.5, 1e8 + 0.5, 8).tolist() == [8]


def test_nothing_delivered_is_nothing_installed() -> None:
    assert installed_gpus(np.array([0.0, 1e9]), 0, 0.0, 100.0, 8).tolist() == [0, 0]


def test_increments_are_whole_servers_and_sum_to_the_count() -> None:
    # 1,003 GPUs in servers of 8: 125 whole servers and one of 3, over a day sampled every second
    t = np.arange(-10.0, SECONDS_PER_DAY + 10.0)
    got = installed_gpus(t, 1003, 0.0, SECONDS_PER_DAY, 8)
    steps = np.diff(got)
    arrivals = steps[steps > 0]
    assert arrivals.sum() == 1003
    assert arrivals.tolist() == [8] * 125 + [3]


def test_deliveries_add_up() -> None:
    # three deliveries with overlapping windows: after the last window every GPU is installed
    t = np.linspace(0.0, 30 * SECONDS_PER_DAY, 721)
    deliveries = [(4096, 0.0, 10.0), (2048, 5.0, 12.0), (100, 20.0, 20.0)]
    total = sum(installed_gpus(t, n, a * SECONDS_PER_DAY, b * SECONDS_PER_DAY, 8) for n, a, b in deliveries)
    assert total[-1] == 4096 + 2048 + 100
    assert total[0] == 8  # only the first server of the first delivery at t = 0
    assert np.all(np.diff(total) >= 0)


# --- invariants -----------------------------------------------------------------------------------------


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[np.ndarray, int, float, float, int]:
    gpus_per_server = draw(st.sampled_from([1, 4, 8, 72]))
    count = draw(st.integers(0, 200_000))
    # whole seconds, as on the simulation clock (the window's end then lands exactly on start + span)
    start = float(draw(st.integers(-(10**7), 10**7)))
    span = float(draw(st.one_of(st.just(0), st.integers(0, 10**8))))
    times = draw(st.lists(st.one_of(st.integers(-2 * 10**8, 2 * 10**8), st.floats(-2e8, 2e8)), max_size=60))
    return (
        np.sort(np.asarray([*times, start, start + span], dtype=float)),
        count,
        start,
        start + span,
        gpus_per_server,
    )


@settings(max_examples=300, deadline=None)
@given(delivery=deliveries())
def test_installed_is_monotone_bounded_and_in_whole_servers(
    delivery: tuple[np.ndarray, int, float, float, int],
) -> None:
    times, count, start, end, per_server = delivery
    got = installed_gpus(times, count, start, end, per_server)
    assert got.shape == times.shape
    assert np.all(np.diff(got) >= 0)  # never uninstalled
    assert np.all((got >= 0) & (got <= count))
    assert np.all((got % per_server == 0) | (got == count))  # whole servers, or all of them
    assert np.all(got[times < start] == 0)
    assert np.all(got[times >= end] == count)
    # at least one server is online from the start of the window
    inside = times >= start
    assert np.all(got[inside] >= min(per_server, count))


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(1, 10_000),
    per_server=st.sampled_from([1, 8, 72]),
    fraction=st.floats(0.0, 1.0),
)
def test_the_ramp_is_even(count: int, per_server: int, fraction: float) -> None:
    # servers online at a fraction f of the window: 1 + floor(f (servers - 1)) (f rounded to the clock)
    servers = -(-count // per_server)
    got = int(installed_gpus(np.array([fraction * 1000.0]), count, 0.0, 1000.0, per_server)[0])
    online = -(-got // per_server)
    expected = 1 + fraction * (servers - 1)
    assert expected - 1 - 1e-6 < online <= expected + 1e-6
