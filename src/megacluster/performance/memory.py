"""Memory per GPU: weights, gradients, optimizer states (ZeRO), activations (Korthikanti 2022). [bytes]"""

from __future__ import annotations

import numpy as np

from megacluster.performance.layout import FloatArray, Layout
from megacluster.performance.spec import Geometry

WEIGHT_BYTES = 2.0  # 16-bit working weights (also under fp8 compute, which keeps bf16 master copies)
OPTIMIZER_BYTES = 12.0  # fp32 master weights + Adam m and v (Rajbhandari et al. 2020, K = 12)


def layer_params(g: Geometry) -> tuple[float, float]:
    """Parameters of one layer: (dense part, expert part). [1]"""
    h = g.hidden
    q = g.heads * g.head_dim
    kv = g.kv_heads * g.head_dim
    mats = 3 if g.gated else 2
    dense = h * (q + 2 * kv) + q * h + 2 * h
    if g.experts:
        return float(dense + h * g.experts), float(g.experts * mats * h * g.moe_ffn)
    return float(dense + mats * h * g.ffn), 0.0


def stage_layers(g: Geometry, lay: Layout) -> FloatArray:
    """Layers on the busiest pipeline rank (uneven split: the largest share). [1]"""
    return lay.v * np.ceil(g.layers / (lay.pp * lay.v))


def params_per_gpu(g: Geometry, lay: Layout) -> FloatArray:
    """Parameters held by one GPU of the busiest stage before ZeRO sharding. [1]"""
    dense, expert = layer_params(g)
    ls = stage_layers(g, lay)
    embed = g.vocab * g.hidden * np.where(lay.pp > 1, 1.0, 1.0 if g.tied else 2.0)
    return ls * (dense / lay.tp + expert / (lay.tp * lay.ep)) + embed / lay.tp


def grad_bytes_per_param(lay: Layout, precision: str) -> FloatArray:
    """Bytes of one reduced gradient: fp32 main gradients for bf16 (Megatron, ZeRO<3), else 16 bit. [bytes]"""
    return np.where((lay.zero < 3) & (precision == "bf16"), 4.0, 2.0)


def activation_bytes_per_layer(g: Geometry, lay: Layout, recompute: FloatArray) -> FloatArray:
    """Activations one layer stores for one micro-batch (Korthikanti et al. 2022, Eqs. 1-2, 5-6). [bytes]"""
    s = g.seq / lay.cp
    sbh = s * lay.mb * g.hidden
    f_act = g.top_k * g.moe_ffn if g.experts else g.ffn
    split = 8.0 + (4.0 + 2.0 * g.gated) * f_act / g.hidden  # 24 for a GPT FFN of 4h
    replicated = 10.0
    core = np.where(lay.fused > 0, 0.0, 5.0 * g.heads * s * g.seq * lay.mb / lay.tp)
    no_sp = sbh * (replicated + split / lay.tp)
    with_sp = sbh * (replicated + split) / lay.tp
    linear = np.where(lay.sp > 0, with_sp, no_sp)
    full = np.where(lay.sp > 0, 2.0 * sbh / lay.tp, 2.0 * sbh)
    return np.where(recompute >= 2, full, np.where(recompute >= 1, linear, linear + core))


def memory_per_gpu(g: Geometry, lay: Layout, precision: str = "bf16") -> dict[str, FloatArray]:
    """Memory of the busiest GPU by kind: weights, grads, optimizer, activations, total. [bytes]"""
    p = params_per_gpu(g, lay)
    shard_w = np.where(lay.zero >= 3, lay.dp, 1.0)
    shard_g = np.where(lay.zero >= 2, lay.dp, 1.0)
    shard_o = np.where(lay.zero >= 1, lay.dp, 1.0)
    dense, expert = layer_params(g)
    gathered = np.where(
        lay.zero >= 3, 2.0 * (dense / lay.tp + expert / (lay.tp * lay.ep)) * WEIGHT_BYTES, 0.0
    )
    weights = p * WEIGHT_BYTES / shard_w + gathered
    grads = p * grad_bytes_per_param(lay, precision) / shard_g
    optimizer = p * OPTIMIZER_BYTES / shard_o
    m = lay.micro_batches()
    ls = stage_layers(g, lay)
    interleave = np.where(lay.v > 1, 1.0 + (lay.pp - 1.0) / (lay.pp * lay.v), 1.0)
    in_flight_layers = ls * np.minimum(lay.pp, m) * interleave
    stored = activation_bytes_per_layer(g, lay, lay.recompute) * in_flight_layers
    working = np.where(lay.recompute >= 2, activation_bytes_per_layer(g, lay, np.zeros_like(lay.tp)), 0.0)
    logits = 8.0 * (g.seq / lay.cp) * lay.mb * g.vocab / lay.tp  # fp32 logits and their gradient
    activations = stored + working + logits
    total = weights + grads + optimizer + activations
    return {
        "weights": weights,
        "grads": grads,
        "optimizer": optimizer,
        "activations": activations,
        "total": total,
    }


CHECKPOINT_BYTES_PER_PARAM = WEIGHT_BYTES + OPTIMIZER_BYTES
"""Bytes per parameter of a full training checkpoint: the one formula of the project. [B]
[D] mixed-precision Adam: BF16 weights 2 B + FP32 master weights 4 B + Adam m and v 4 B + 4 B = 14 B.
Cross-check: 405e9 x 14 B / 16,384 GPUs = 346 MB per GPU, inside Llama 3's '1MB to 4GB per GPU'
(facts.md 5.1)."""


def checkpoint_bytes_for(params: float) -> float:
    """Size of a full training checkpoint of ``params`` parameters: weights + optimizer states. [B]"""
    if not params >= 0:
        raise ValueError("params must be a non-negative number")
    return float(params) * CHECKPOINT_BYTES_PER_PARAM


def checkpoint_bytes(g: Geometry) -> float:
    """Checkpoint size of a model shape. [B]"""
    return checkpoint_bytes_for(g.params())
