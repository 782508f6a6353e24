"""Collectives on the two-tier network against hand-worked ring, all-to-all and point-to-point times."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from megacluster.performance.comms import all_to_all_time, dp_latency, local_members, p2p_time, ring_time
from megacluster.performance.params import Hardware, hardware

UP, UP_EFF, LAT_UP = 400e9, 0.8, 2e-6  # scale-up (NVLink) one-way bandwidth, efficiency, latency per step
OUT, OUT_EFF, LAT_OUT = 50e9, 0.5, 5e-6  # scale-out (one NIC) bandwidth, efficiency, latency per step
RAILS = 4  # NICs a collective leaving a domain can spread over
B = 1e9  # bytes per rank


@pytest.fixture(scope="module")
def hw() -> Hardware:
    return dataclasses.replace(
        hardware("h100-sxm"),
        scaleup_bytes_s=UP,
        scaleup_efficiency=UP_EFF,
        scaleup_latency_s=LAT_UP,
        domain_gpus=8,
        scaleout_bytes_s=OUT,
        scaleout_efficiency=OUT_EFF,
        scaleout_latency_s=LAT_OUT,
        scaleout_rails=RAILS,
    )


def _a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_local_members_of_a_group() -> None:
    # n ranks with rank stride s: a domain of 8 GPUs holds 8 // s of them (at least one), never more than n
    got = local_members(_a(4, 16, 4, 4, 3), _a(1, 1, 4, 16, 3), 8)
    np.testing.assert_array_equal(got, _a(4, 8, 2, 1, 2))


def test_ring_inside_one_domain(hw: Hardware) -> None:
    # all-reduce = reduce-scatter + all-gather: 2 (n-1)/n of the bytes and 2 (n-1) latency steps
    t = ring_time(B, _a(8), _a(8), 2.0, hw)
    assert float(t[0]) == pytest.approx(2 * (B * 7 / 8 / (UP * UP_EFF) + 7 * LAT_UP), rel=1e-12)
    half = ring_time(B, _a(8), _a(8), 1.0, hw)
    assert float(half[0]) == pytest.approx(float(t[0]) / 2, rel=1e-12)


def test_hierarchical_ring_over_four_domains(hw: Hardware) -> None:
    # 32 ranks, 8 per domain: intra-domain phase, then 4 domains exchange over min(8, 4 rails) NICs
    t = ring_time(B, _a(32), _a(8), 1.0, hw)
    intra = B * 7 / 8 / (UP * UP_EFF) + 7 * LAT_UP
    inter = B / RAILS * 3 / 4 / (OUT * OUT_EFF) + 3 * LAT_OUT
    assert float(t[0]) == pytest.approx(intra + inter, rel=1e-12)


def test_ring_with_one_rank_per_domain_uses_one_rail(hw: Hardware) -> None:
    t = ring_time(B, _a(4), _a(1), 2.0, hw)
    assert float(t[0]) == pytest.approx(2 * (B * 3 / 4 / (OUT * OUT_EFF) + 3 * LAT_OUT), rel=1e-12)


def test_ring_clips_local_members_to_the_group(hw: Hardware) -> None:
    assert float(ring_time(B, _a(4), _a(8), 1.0, hw)[0]) == float(ring_time(B, _a(4), _a(4), 1.0, hw)[0])


def test_a_group_of_one_costs_nothing(hw: Hardware) -> None:
    assert float(ring_time(B, _a(1), _a(1), 2.0, hw)[0]) == 0.0
    assert float(all_to_all_time(B, _a(1), _a(1), hw)[0]) == 0.0


def test_all_to_all(hw: Hardware) -> None:
    # each rank keeps 1/n, sends 7/n inside its domain and 8/n across, one latency on each tier
    t = all_to_all_time(B, _a(16), _a(8), hw)
    expected = B * 7 / 16 / (UP * UP_EFF) + LAT_UP + B * 8 / 16 / (OUT * OUT_EFF) + LAT_OUT
    assert float(t[0]) == pytest.approx(expected, rel=1e-12)
    inside = all_to_all_time(B, _a(8), _a(8), hw)  # no scale-out latency when nothing leaves the domain
    assert float(inside[0]) == pytest.approx(B * 7 / 8 / (UP * UP_EFF) + LAT_UP, rel=1e-12)
    clipped = all_to_all_time(B, _a(4), _a(8), hw)
    assert float(clipped[0]) == pytest.approx(B * 3 / 4 / (UP * UP_EFF) + LAT_UP, rel=1e-12)


def test_point_to_point(hw: Hardware) -> None:
    t = p2p_time(B, _a(0, 1), hw)
    assert float(t[0]) == pytest.approx(B / (UP * UP_EFF) + LAT_UP, rel=1e-12)
    assert float(t[1]) == pytest.approx(B / (OUT * OUT_EFF) + LAT_OUT, rel=1e-12)


def test_ring_latency_steps(hw: Hardware) -> None:
    # 32 ranks, 8 per domain: 7 steps inside a domain, 3 between the 4 domains; clipped to the group
    got = dp_latency(_a(32, 4, 1), _a(8, 8, 8), hw)
    assert got == pytest.approx(_a(7 * LAT_UP + 3 * LAT_OUT, 3 * LAT_UP, 0.0), rel=1e-12)


@pytest.mark.parametrize("field", ["scaleup_bytes_s", "scaleout_bytes_s", "scaleup_efficiency"])
def test_more_bandwidth_is_never_slower(hw: Hardware, field: str) -> None:
    n, k = _a(2, 8, 16, 64), _a(2, 8, 8, 1)
    faster = dataclasses.replace(hw, **{field: getattr(hw, field) * 1.25})
    for fn in (
        lambda h: ring_time(B, n, k, 2.0, h),
        lambda h: all_to_all_time(B, n, k, h),
        lambda h: p2p_time(B, _a(0, 1, 0, 1), h),
    ):
        assert np.all(fn(faster) <= fn(hw))
        assert np.any(fn(faster) < fn(hw))
