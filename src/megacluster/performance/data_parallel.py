"""Data-parallel collectives and the optimizer step: DDP/ZeRO-1/2 once per step, ZeRO-3/FSDP per micro-batch
with unit-by-unit prefetch, expert gradients over the expert data-parallel ranks only. [s]

FSDP/ZeRO-3 as PyTorch runs it (FSDP1 and FSDP2, and DeepSpeed ZeRO-3): every unit (one layer) is all-gathered
before its forward and again before its backward (and before a recomputed forward), its gradient
reduce-scattered after its backward; the gather of the next unit is prefetched while the current one computes,
so a unit's collectives hide behind the previous unit's compute, and only the first gather of each pass, the
last reduce-scatter, and whatever exceeds the compute stay exposed (plus the compute slowed by the overlap).

Error class addressed (issue 18): small-scale FSDP/ZeRO-3 on A100 predicted 25-65 % too slow. The one-rail
(one NIC per GPU) behaviour measured on the 2021 Selene stack (Narayanan et al. 2021, Table 2) is now a
property of that network entry (``ib-hdr200-selene-2021``), not of every A100 cluster; see networks.toml.
"""

from __future__ import annotations

import numpy as np

from megacluster.performance.comms import dp_latency, local_members, overlap_with_first, ring_time
from megacluster.performance.layout import FloatArray, Layout
from megacluster.performance.memory import expert_data_parallel, grad_bytes_per_param, param_split
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry

ACT_BYTES = 2.0  # parameters are gathered and 16-bit gradients reduced in 16 bit
OPTIMIZER_BYTES_PER_PARAM = 30.0  # Adam step: read master+m+v+grad (16), write master+m+v (12), weights (2)


def data_parallel_time(
    g: Geometry,
    hw: Hardware,
    lay: Layout,
    precision: str,
    windows: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    hbm: float,
) -> tuple[FloatArray, FloatArray]:
    """Exposed data-parallel collectives of a step and the optimizer step on the (sharded) states. ``windows``
    = (forward of one micro-batch on the stage, its backward + recompute, the stage's whole micro-batch, the
    pipeline bubble). [s]"""
    dense_p, expert_p = param_split(g, lay)
    ls = lay.v * np.ceil(g.layers / (lay.pp * lay.v))
    dp_dense = lay.dp * lay.cp
    edp = expert_data_parallel(lay) if g.experts else dp_dense
    k_dense = local_members(dp_dense, lay.tp, hw.domain_gpus)
    k_expert = local_members(edp, lay.tp * lay.cp * lay.dp / edp, hw.domain_gpus) if g.experts else k_dense
    # bucketed collectives: one bucket per layer, so the ring latency is paid per layer
    lat = ls * dp_latency(dp_dense, k_dense, hw)
    gbytes = grad_bytes_per_param(lay, precision)
    z = lay.zero

    def both(per_param: FloatArray | float, factor: FloatArray | float) -> FloatArray:
        dense = ring_time(dense_p * per_param, dp_dense, k_dense, factor, hw)
        if not g.experts:
            return dense
        return dense + ring_time(expert_p * per_param, edp, k_expert, factor, hw)

    reduce = both(gbytes, np.where(z >= 1, 1.0, 2.0))
    gather = np.where(z >= 1, both(ACT_BYTES, 1.0), 0.0)
    fwd_mb, bwd_mb, stage_mb, bubble = windows
    once = _once_per_step(lay, hw, reduce, gather, ls, fwd_mb + 0.5 * bubble, bwd_mb + 0.5 * bubble)
    per_mb = _fsdp_per_micro_batch(lay, hw, gather, stage_mb, ls) if np.any(z >= 3) else 0.0
    collectives = 3.0 + np.where(lay.recompute >= 2, 1.0, 0.0)  # gathers (fwd, bwd, recompute) + reduce
    dp_comm = np.where(z >= 3, lay.micro_batches() * (per_mb + collectives * lat), once + 2.0 * lat)
    shard_dense = np.where(z >= 1, dp_dense, 1.0)
    shard_expert = np.where(z >= 1, edp, 1.0)
    optimizer = (dense_p / shard_dense + expert_p / shard_expert) * OPTIMIZER_BYTES_PER_PARAM / hbm
    return dp_comm, optimizer


def _once_per_step(
    lay: Layout,
    hw: Hardware,
    reduce: FloatArray,
    gather: FloatArray,
    ls: FloatArray,
    fwd_window: FloatArray,
    bwd_window: FloatArray,
) -> FloatArray:
    """ZeRO 0-2: the gradient reduce (all-reduce, or reduce-scatter with ZeRO >= 1) and the parameter
    all-gather (ZeRO >= 1), exposed beyond what overlaps the last backward and the first forward on the stage
    (and half the pipeline's idle time each); one layer's bucket is always exposed. [s]"""
    slow = hw.overlap_slowdown
    overlapped = overlap_with_first(reduce, bwd_window, slow, 1.0 / ls) + overlap_with_first(
        gather, fwd_window, slow, 1.0 / ls
    )
    return np.asarray(np.where(lay.dp_overlap > 0, overlapped, reduce + gather), dtype=np.float64)


def _fsdp_per_micro_batch(
    lay: Layout, hw: Hardware, gather: FloatArray, stage_mb: FloatArray, ls: FloatArray
) -> FloatArray:
    """ZeRO-3/FSDP, per micro-batch: parameter all-gathers (``gather``, one pass over the stage's units) for
    the forward, the backward and a recomputed forward, and a 16-bit gradient reduce-scatter of as many bytes,
    unit by unit with the next unit prefetched. [s]"""
    gathers = 2.0 + np.where(lay.recompute >= 2, 1.0, 0.0)
    comm = (gathers + 1.0) * gather
    # prefetch: a unit's collectives overlap the previous unit's compute; the first unit's are exposed
    exposed = overlap_with_first(comm, stage_mb, hw.overlap_slowdown, 1.0 / ls)
    return np.asarray(np.where(lay.dp_overlap > 0, exposed, comm), dtype=np.float64)
