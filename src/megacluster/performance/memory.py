"""Memory per GPU: weights, gradients, optimizer states (ZeRO), activations (Korthikanti 2022). [bytes]

The busiest GPU is the one of the pipeline stage that holds the most activations: in 1F1B the first stage
keeps ``pp`` micro-batches in flight, the second ``pp - 1``; when the layers do not divide evenly over the
stages the first and last stages give up the deficit (Llama 3 paper sec. 3.3.2: 'we reduce one Transformer
layer each from the first and the last stages'), so the second stage may be the fuller one. Mixture-of-experts
weights are split over ``ep x etp`` and their optimizer states over the expert data-parallel ranks (tp x cp x
dp / (ep x etp)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from megacluster.catalog import shapes
from megacluster.performance.layout import FloatArray, Layout
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry

WEIGHT_BYTES = 2.0  # 16-bit working weights (also under fp8 compute, which keeps bf16 master copies)
OPTIMIZER_BYTES = 12.0  # fp32 master weights + Adam m and v (Rajbhandari et al. 2020, K = 12)
FP8_WEIGHT_BYTES = 1.0
"""Extra bytes per parameter under FP8: the cached FP8 copy of each weight next to its BF16 one. [B] [S]
Megatron-LM docs/discussions/deepseek-v3-gb200-optimization.md: 'Dual precision weights (default): Maintains
both BF16 and FP8 weight copies ... uses more memory than BF16 training alone'."""
WORKSPACE_BYTES = 2.0 * 2**30
"""Transient buffers beside the model states and stored activations: all-gathered sequence-parallel inputs,
communication buckets, cuBLAS/cuDNN workspaces. [B]
[A] 2 GiB; PyTorch's caching allocator keeps such buffers reserved between uses."""


def layer_params(g: Geometry) -> tuple[float, float]:
    """Parameters of one layer: (dense part, expert part) — of a MoE layer when the model has experts. [1]"""
    d = g.dims
    dense = shapes.attention_params(d) + 2.0 * d.hidden
    if g.experts:
        shared, routed = shapes.moe_layer_params(d)
        return dense + shared, routed
    return dense + shapes.dense_ffn_params(d), 0.0


def stage_layers(g: Geometry, lay: Layout) -> FloatArray:
    """Layers on the busiest pipeline rank (uneven split: the largest share), computed once. [1]"""
    layers = float(g.layers)
    ls: FloatArray = lay.memo(("stage_layers", layers), lambda: lay.v * np.ceil(layers / (lay.pp * lay.v)))
    return ls


def edge_layers(g: Geometry, lay: Layout) -> FloatArray:
    """Layers on the first (and last) stage: the busiest share less half the deficit, rounded up. [1]"""

    def compute() -> FloatArray:
        ls = stage_layers(g, lay)
        deficit = lay.pp * ls - g.layers
        return np.asarray(
            np.where((lay.v > 1) | (lay.pp < 3), ls, ls - np.ceil(deficit / 2.0)), dtype=np.float64
        )

    edge: FloatArray = lay.memo(("edge_layers", float(g.layers)), compute)
    return edge


def expert_data_parallel(lay: Layout) -> FloatArray:
    """Ranks that hold the same experts: tp x cp x dp / (ep x etp), at least 1. [1]"""
    return np.maximum(lay.tp * lay.cp * lay.dp / (lay.ep * lay.etp), 1.0)


def _shard(z: FloatArray, stage: float, dense_p: FloatArray, expert_p: FloatArray, lay: Layout) -> FloatArray:
    """Parameters of this GPU's share once a state is sharded from ZeRO stage ``stage`` on: dense ones over
    the dp x cp ranks, experts over their data-parallel ranks. [1]"""
    dense = dense_p / np.where(z >= stage, lay.dp * lay.cp, 1.0)
    if not np.any(expert_p):
        return np.asarray(dense, dtype=np.float64)
    return np.asarray(
        dense + expert_p / np.where(z >= stage, expert_data_parallel(lay), 1.0), dtype=np.float64
    )


def param_split(g: Geometry, lay: Layout) -> tuple[FloatArray, FloatArray]:
    """Parameters on one GPU of the busiest stage: (dense part with its embedding, routed experts). [1]"""
    split: tuple[FloatArray, FloatArray] = lay.memo(("param_split", g), lambda: _param_split(g, lay))
    return split


def _param_split(g: Geometry, lay: Layout) -> tuple[FloatArray, FloatArray]:
    """`param_split`, computed. [1]"""
    dense_l, expert_l = layer_params(g)
    ls = stage_layers(g, lay)
    dense: FloatArray | float = dense_l
    expert: FloatArray | float = expert_l
    if g.experts and g.dense_layers:  # the busiest stage holds MoE layers first, dense ones if it must
        moe_share = np.minimum(ls, float(g.moe_layers)) / ls
        dense_layer = shapes.attention_params(g.dims) + 2.0 * g.hidden + shapes.dense_ffn_params(g.dims)
        dense = moe_share * dense_l + (1.0 - moe_share) * dense_layer
        expert = moe_share * expert_l
    embed = g.vocab * g.hidden * np.where(lay.pp > 1, 1.0, 1.0 if g.tied else 2.0)
    return ls * dense / lay.tp + embed / lay.tp, ls * expert / (lay.etp * lay.ep)


def params_per_gpu(g: Geometry, lay: Layout) -> FloatArray:
    """Parameters held by one GPU of the busiest stage before ZeRO sharding. [1]"""
    dense, expert = param_split(g, lay)
    return dense + expert


def grad_bytes_per_param(lay: Layout, precision: str) -> FloatArray:
    """Bytes of one reduced gradient: fp32 main gradients for bf16 (Megatron, ZeRO<3), else 16 bit. [bytes]"""
    return np.where((lay.zero < 3) & (precision == "bf16"), 4.0, 2.0)


def activation_bytes_per_layer(
    g: Geometry, lay: Layout, recompute: FloatArray, fp8: bool = False
) -> FloatArray:
    """Activations one layer stores for one micro-batch (Korthikanti et al. 2022, Eqs. 1-2, 5-6). [bytes]

    Unfused attention (the 2021-22 Megatron stack) keeps Korthikanti's accounting: dropout masks and the
    attention scores. Fused attention (FlashAttention) keeps, per token and in units of 2 B x hidden: the two
    norm inputs and the QKV and FFN inputs (replicated over tp without sequence parallelism), Q, K, V and the
    output at their own widths (grouped-query K and V; MLA's wider heads), the FFN's inner activations and, in
    a MoE layer, the top-k permuted copies of the token; no scores, no dropout masks (LLM pre-training since
    Llama runs without dropout; FlashAttention regenerates its own). Under FP8 the GEMM inputs are kept as FP8
    copies (1 B) and the attention output twice (BF16 by attention, FP8 by the projection).
    """
    s = g.seq / lay.cp
    sbh = s * lay.mb * g.hidden
    d = g.dims
    h = float(g.hidden)
    f_act = (g.top_k + g.shared_experts) * g.moe_ffn if g.experts else g.ffn
    ffn = (4.0 + 2.0 * g.gated) * f_act / h  # fc1 output(s) and fc2 input, 2 B each
    unfused_split = 8.0 + ffn  # 24 for a GPT FFN of 4h
    kvh = g.heads if d.mla else g.kv_heads
    attn = 2.0 * (g.heads * d.qk_dim + kvh * (d.qk_dim + d.v_dim) + g.heads * d.v_dim) / h
    copies = 2.0 * g.top_k if g.experts else 0.0  # permuted token copies, the experts' inputs
    if fp8:  # FP8 copies of the GEMM inputs; the attention output kept twice
        fused_split = attn + g.heads * d.v_dim / h + ffn - f_act / h + copies / 2.0
        fused_replicated = 6.0
    else:
        fused_split, fused_replicated = attn + ffn + copies, 8.0
    split = np.where(lay.fused > 0, fused_split, unfused_split)
    replicated = np.where(lay.fused > 0, fused_replicated, 10.0)
    core = np.where(lay.fused > 0, 0.0, 5.0 * g.heads * s * g.seq * lay.mb / lay.tp)
    no_sp = sbh * (replicated + split / lay.tp)
    with_sp = sbh * (replicated + split) / lay.tp
    linear = np.where(lay.sp > 0, with_sp, no_sp)
    full = np.where(lay.sp > 0, 2.0 * sbh / lay.tp, 2.0 * sbh)
    return np.where(recompute >= 2, full, np.where(recompute >= 1, linear, linear + core))


def in_flight_layers(g: Geometry, lay: Layout) -> FloatArray:
    """Layer-micro-batches whose activations the fullest stage holds at once (1F1B; interleaved: x (1 +
    (pp-1)/(pp v)), Narayanan et al. 2021). [1]"""
    m = lay.micro_batches()
    ls = stage_layers(g, lay)
    interleave = np.where(lay.v > 1, 1.0 + (lay.pp - 1.0) / (lay.pp * lay.v), 1.0)
    first = edge_layers(g, lay) * np.minimum(lay.pp, m)
    second = np.where(lay.pp > 1, ls * np.minimum(lay.pp - 1.0, m), 0.0)
    return np.maximum(first, second) * interleave


def memory_per_gpu(g: Geometry, lay: Layout, precision: str = "bf16") -> dict[str, FloatArray]:
    """Memory of the busiest GPU by kind: weights, grads, optimizer, activations, workspace, total. [bytes]"""
    dense_p, expert_p = param_split(g, lay)
    p = dense_p + expert_p
    shard_w = np.where(lay.zero >= 3, lay.dp, 1.0)
    dense_l, expert_l = layer_params(g)
    gathered = np.where(
        lay.zero >= 3, 2.0 * (dense_l / lay.tp + expert_l / (lay.etp * lay.ep)) * WEIGHT_BYTES, 0.0
    )
    fp8 = precision == "fp8"
    weights = p * WEIGHT_BYTES / shard_w + gathered + (p * FP8_WEIGHT_BYTES if fp8 else 0.0)
    grads = grad_bytes_per_param(lay, precision) * _shard(lay.zero, 2.0, dense_p, expert_p, lay)
    optimizer = OPTIMIZER_BYTES * _shard(lay.zero, 1.0, dense_p, expert_p, lay)
    per_layer = activation_bytes_per_layer(g, lay, lay.recompute, fp8)
    stored = per_layer * in_flight_layers(g, lay)
    if np.any(lay.recompute >= 2):
        working = np.where(
            lay.recompute >= 2, activation_bytes_per_layer(g, lay, np.zeros_like(lay.tp), fp8), 0.0
        )
    else:
        working = np.zeros_like(lay.tp)
    # fp32 logits and their gradient live on the last stage, which holds one micro-batch in flight
    logits = 8.0 * (g.seq / lay.cp) * lay.mb * g.vocab / lay.tp
    last = np.where(lay.pp > 1, per_layer * edge_layers(g, lay), stored) + logits
    activations = np.maximum(stored, last) + working
    workspace = np.full_like(lay.tp, WORKSPACE_BYTES)
    total = weights + grads + optimizer + activations + workspace
    return {
        "weights": weights,
        "grads": grads,
        "optimizer": optimizer,
        "activations": activations,
        "workspace": workspace,
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


def usable_memory_bytes(hw: Hardware) -> float:
    """Memory a layout may fill on one GPU: the HBM less what the runtime keeps. [B]"""
    return hw.hbm_bytes * hw.usable_fraction


def fits_in_memory(g: Geometry, hw: Hardware, lay: Layout, precision: str = "bf16") -> NDArray[np.bool_]:
    """Whether each layout fits in one GPU's usable memory: ``step_time.evaluate``'s ``fits``, from the
    memory model alone (a fraction of its cost). [-]"""
    return memory_per_gpu(g, lay, precision)["total"] <= usable_memory_bytes(hw)
