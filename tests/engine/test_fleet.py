"""Installed GPUs over an install window."""

from __future__ import annotations

import numpy as np

from megacluster.fleet import installed_gpus


def test_ramp_from_first_to_last_server() -> None:
    t = np.array([-1.0, 0.0, 50.0, 100.0, 200.0])
    got = installed_gpus(t, count=88, install_start_s=0.0, install_end_s=100.0, gpus_per_server=8)
    # 11 servers, one every 10 s from t=0 to t=100
    assert got.tolist() == [0, 8, 48, 88, 88]


def test_partial_last_server_and_monotone() -> None:
    t = np.linspace(-10, 1000, 500)
    got = installed_gpus(t, count=100, install_start_s=0.0, install_end_s=900.0, gpus_per_server=8)
    assert got[-1] == 100
    assert np.all(np.diff(got) >= 0)
    assert got.max() == 100


def test_single_day_window() -> None:
    got = installed_gpus(
        np.array([0.0, 5.0]), count=16, install_start_s=5.0, install_end_s=5.0, gpus_per_server=8
    )
    assert got.tolist() == [0, 16]
