"""Collectives on a two-tier network: a scale-up domain (NVLink/ICI) and a scale-out fabric (NICs). [s]

A group of ``n`` ranks has ``k`` members inside one scale-up domain. A collective runs hierarchically: the
intra-domain phase at the scale-up bandwidth, then the inter-domain phase in which the data leaving a domain
is spread over ``min(k, rails)`` NICs (the network's rails per collective).
Time = latency per ring step + bytes / achieved bandwidth.
"""

from __future__ import annotations

import numpy as np

from megacluster.performance.layout import FloatArray, Num
from megacluster.performance.params import Hardware


def local_members(n: FloatArray, stride: FloatArray, domain_gpus: int) -> FloatArray:
    """Members of a group of n ranks (rank stride ``stride``) that share one scale-up domain. [1]"""
    per_domain = np.maximum(np.floor(domain_gpus / stride), 1.0)
    return np.minimum(n, per_domain)


def ring_time(bytes_: Num, n: FloatArray, k: FloatArray, factor: Num, hw: Hardware) -> FloatArray:
    """Ring collective of ``bytes_`` per rank; factor 2 all-reduce, 1 reduce-scatter or all-gather. [s]"""
    k = np.minimum(k, n)
    m = np.ceil(n / k)
    up_bw = hw.scaleup_bytes_s * hw.scaleup_efficiency
    out_bw = hw.scaleout_bytes_s * hw.scaleout_efficiency
    intra = factor * (bytes_ * (k - 1.0) / k / up_bw + (k - 1.0) * hw.scaleup_latency_s)
    rails = np.minimum(k, float(hw.scaleout_rails))
    inter = factor * (bytes_ / rails * (m - 1.0) / m / out_bw + (m - 1.0) * hw.scaleout_latency_s)
    return np.asarray(np.where(n > 1, intra + inter, 0.0), dtype=np.float64)


def all_to_all_time(bytes_: Num, n: FloatArray, k: FloatArray, hw: Hardware) -> FloatArray:
    """All-to-all where each rank sends ``bytes_`` spread evenly over the n ranks. [s]"""
    k = np.minimum(k, n)
    up_bw = hw.scaleup_bytes_s * hw.scaleup_efficiency
    out_bw = hw.scaleout_bytes_s * hw.scaleout_efficiency
    intra = bytes_ * (k - 1.0) / n / up_bw + hw.scaleup_latency_s
    inter = bytes_ * (n - k) / n / out_bw + np.where(n > k, hw.scaleout_latency_s, 0.0)
    return np.asarray(np.where(n > 1, intra + inter, 0.0), dtype=np.float64)


def p2p_time(bytes_: Num, crosses_domain: Num, hw: Hardware) -> FloatArray:
    """One point-to-point send between pipeline stages. [s]"""
    up = bytes_ / (hw.scaleup_bytes_s * hw.scaleup_efficiency) + hw.scaleup_latency_s
    out = bytes_ / (hw.scaleout_bytes_s * hw.scaleout_efficiency) + hw.scaleout_latency_s
    return np.asarray(np.where(crosses_domain > 0, out, up), dtype=np.float64)


def dp_latency(n: FloatArray, k: FloatArray, hw: Hardware) -> FloatArray:
    """Latency of one ring reduce-scatter or all-gather step sequence over n ranks (k per domain). [s]"""
    k = np.minimum(k, n)
    m = np.ceil(n / k)
    return np.asarray((k - 1.0) * hw.scaleup_latency_s + (m - 1.0) * hw.scaleout_latency_s, dtype=np.float64)


def overlap_with_first(comm: Num, window: Num, slowdown: float, first: Num) -> FloatArray:
    """`overlap_exposed` of bucketed collectives whose first ``first`` fraction cannot overlap: at least that
    bucket plus the slowed window, at most the whole collective beyond the window. [s]"""
    comm_a = np.asarray(comm, dtype=np.float64)
    hidden = comm_a * first + slowdown * np.minimum(comm_a, window)
    return np.asarray(np.maximum(overlap_exposed(comm_a, window, slowdown), hidden), dtype=np.float64)


def overlap_exposed(comm: Num, window: Num, slowdown: float) -> FloatArray:
    """Time a collective adds to the compute window it overlaps: the window slowed by the overlap (its kernels
    share SMs and HBM), or the collective itself when it outlasts the window. [s]"""
    comm_a = np.asarray(comm, dtype=np.float64)
    window_a = np.asarray(window, dtype=np.float64)
    longer = np.maximum(comm_a, window_a + slowdown * np.minimum(comm_a, window_a))
    return np.asarray(longer - window_a, dtype=np.float64)
