"""Step time of synchronous training, vectorised over parallel layouts. [s]

Per micro-batch and layer: matrix multiplies on a roofline (FLOP at the achieved matmul efficiency plus their
operand traffic at HBM bandwidth, so small multiplies fall further from peak), memory-bound element-wise
work at HBM bandwidth, kernel-launch gaps, and the exposed tensor-, context- and expert-parallel
communication. The busiest pipeline stage sets the pace; 1F1B adds a bubble of (pp-1)/v micro-batch
times; data-parallel gradient and parameter collectives are exposed unless overlapped with the backward
pass (ZeRO-3 once per micro-batch).
"""

from __future__ import annotations

import numpy as np

from megacluster.performance.comms import all_to_all_time, dp_latency, local_members, p2p_time, ring_time
from megacluster.performance.flops import hardware_flop_per_step, model_flop_per_step
from megacluster.performance.layout import FloatArray, Layout, Num
from megacluster.performance.memory import grad_bytes_per_param, memory_per_gpu, params_per_gpu, stage_layers
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry

ACT_BYTES = 2.0  # activations and their gradients travel and are stored in 16 bit
KERNELS_FWD_PER_LAYER = 20.0  # launches per layer forward (norms, GEMMs, attention, activation, residuals)
OPTIMIZER_BYTES_PER_PARAM = 30.0  # Adam step: read master+m+v+grad (16), write master+m+v (12), weights (2)
SOFTMAX_BYTES_PER_SCORE = 8.0  # unfused attention: read/write scores, probabilities and dropout mask
ELEMENTWISE_BYTES_PER_HIDDEN = (
    24.0  # two norms, two dropout+residual adds per layer (per token and hidden unit)
)

CHUNK = 32768  # configurations per vectorised pass (keeps the temporaries in cache)

BREAKDOWN_KEYS = (
    "compute",
    "recompute",
    "tp_comm",
    "cp_comm",
    "ep_comm",
    "pp_p2p",
    "bubble",
    "dp_comm",
    "optimizer",
)


def _gemm(m: Num, n: Num, k: Num, peak: float, hw: Hardware, elem: float) -> FloatArray:
    """Time of one matrix multiply (m x k) @ (k x n) on the roofline: FLOP plus operand traffic. [s]"""
    flop_s = 2.0 * m * n * k / (peak * hw.gemm_efficiency)
    traffic_s = elem * (m * k + k * n + m * n) / (hw.hbm_bytes_s * hw.hbm_efficiency)
    return np.asarray(flop_s + traffic_s, dtype=np.float64)


def evaluate(g: Geometry, hw: Hardware, lay: Layout, precision: str = "bf16") -> dict[str, FloatArray]:
    """Step time, throughput, MFU, memory and breakdown for every layout. [s, tokens/s, FLOP, bytes]

    Large batches are evaluated in cache-sized chunks (several times faster than one pass).
    """
    n = len(lay)
    if n <= CHUNK:
        return _evaluate(g, hw, lay, precision)
    parts = [_evaluate(g, hw, lay.take(slice(i, i + CHUNK)), precision) for i in range(0, n, CHUNK)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _evaluate(g: Geometry, hw: Hardware, lay: Layout, precision: str) -> dict[str, FloatArray]:
    """`evaluate` on one chunk. [s, tokens/s, FLOP, bytes]"""
    peak = hw.gemm_peak_flop_s(precision)
    if peak <= 0:
        raise ValueError(f"{hw.accelerator} has no {precision} peak")
    elem = 1.0 if precision == "fp8" else 2.0
    hbm = hw.hbm_bytes_s * hw.hbm_efficiency
    t, cp, h = lay.tp, lay.cp, float(g.hidden)
    s_q = g.seq / cp
    tok = lay.mb * s_q  # tokens of one micro-batch on one GPU (rows of every GEMM)
    q, kv = float(g.heads * g.head_dim), float(g.kv_heads * g.head_dim)
    gm = 2.0 if g.gated else 1.0

    # --- one layer, one micro-batch, forward ---
    proj = _gemm(tok, (q + 2 * kv) / t, h, peak, hw, elem) + _gemm(tok, h, q / t, peak, hw, elem)
    if g.experts:
        m_e = tok * g.top_k * lay.ep / g.experts
        n_local = g.experts / lay.ep
        ffn = n_local * (
            _gemm(m_e, g.moe_ffn * gm / t, h, peak, hw, elem) + _gemm(m_e, h, g.moe_ffn / t, peak, hw, elem)
        )
        ffn = ffn + _gemm(tok, np.full_like(t, float(g.experts)), h, hw.peak16_flop_s, hw, 2.0)
        f_act = float(g.top_k * g.moe_ffn)
    else:
        ffn = _gemm(tok, g.ffn * gm / t, h, peak, hw, elem) + _gemm(tok, h, g.ffn / t, peak, hw, elem)
        f_act = float(g.ffn)
    heads_local = lay.mb * g.heads / t
    unfused = heads_local * (
        _gemm(s_q, np.full_like(t, float(g.seq)), g.head_dim, hw.peak16_flop_s, hw, 2.0)
        + _gemm(s_q, np.full_like(t, float(g.head_dim)), g.seq, hw.peak16_flop_s, hw, 2.0)
        + SOFTMAX_BYTES_PER_SCORE * s_q * g.seq / hbm
    )
    fused_flop = 0.5 * 4.0 * heads_local * s_q * g.seq * g.head_dim  # causal blocks skipped
    fused = (
        fused_flop / (hw.peak16_flop_s * hw.gemm_efficiency) + ACT_BYTES * tok * (2 * q + 2 * kv) / t / hbm
    )
    core = np.where(lay.fused > 0, fused, unfused)
    sp_div = np.where(lay.sp > 0, t, 1.0)
    ew = (ELEMENTWISE_BYTES_PER_HIDDEN * tok * h / sp_div + (4.0 + 2.0 * g.gated) * tok * f_act / t) / hbm
    kern = KERNELS_FWD_PER_LAYER * hw.kernel_overhead_s
    fwd = proj + ffn + core + ew + kern
    bwd = 2.0 * (proj + ffn + core + ew + kern)
    rc = lay.recompute
    recomp = np.where(rc >= 2, fwd, np.where(rc >= 1, core, 0.0))

    # --- communication inside the layer ---
    dom = hw.domain_gpus
    one = np.ones_like(t)
    k_tp = local_members(t, one, dom)
    ar = ring_time(tok * h * ACT_BYTES, t, k_tp, 2.0, hw)
    full_rc = np.where(rc >= 2, 1.0, 0.0)
    tp_fwd, tp_bwd = 2.0 * ar, (2.0 + 2.0 * full_rc) * ar
    k_cp = local_members(cp, t, dom)
    kv_step = p2p_time(ACT_BYTES * tok * 2.0 * kv / t, (k_cp < cp).astype(np.float64), hw)
    ring_kv = np.where(cp > 1, (cp - 1.0) * kv_step, 0.0)
    cp_fwd = np.maximum(ring_kv - core, 0.0)
    cp_bwd = np.maximum(2.0 * ring_kv - 2.0 * core, 0.0) + full_rc * cp_fwd
    if g.experts:
        k_ep = local_members(lay.ep, t * cp, dom)
        a2a = all_to_all_time(tok * g.top_k * h * ACT_BYTES / t, lay.ep, k_ep, hw)
    else:
        a2a = np.zeros_like(t)
    ep_fwd, ep_bwd = 2.0 * a2a, (2.0 + 2.0 * full_rc) * a2a
    tp_comm, cp_comm, ep_comm = tp_fwd + tp_bwd, cp_fwd + cp_bwd, ep_fwd + ep_bwd

    # --- one micro-batch through the busiest stage ---
    ls = stage_layers(g, lay)
    logits = 3.0 * _gemm(tok, g.vocab / t, h, peak, hw, elem) + 3.0 * 8.0 * tok * g.vocab / t / hbm
    compute_mb = ls * (fwd + bwd) + logits
    recompute_mb = ls * recomp
    comm_mb = ls * (tp_comm + cp_comm + ep_comm)
    stage_mb = compute_mb + recompute_mb + comm_mb
    k_pp = local_members(lay.pp, t * cp * lay.dp, dom)
    crosses = np.asarray(k_pp < lay.pp, dtype=np.float64)
    p2p_mb = np.where(lay.pp > 1, 2.0 * lay.v * p2p_time(tok * h * ACT_BYTES / t, crosses, hw), 0.0)
    m = lay.micro_batches()
    bubble = (lay.pp - 1.0) / lay.v * (stage_mb + p2p_mb)

    # --- data parallel ---
    p = params_per_gpu(g, lay)
    k_dp = local_members(lay.dp, t * cp, dom)
    gbytes = grad_bytes_per_param(lay, precision)
    z = lay.zero
    reduce = ring_time(p * gbytes, lay.dp, k_dp, np.where(z >= 1, 1.0, 2.0), hw)
    gather = np.where(z >= 1, ring_time(p * ACT_BYTES, lay.dp, k_dp, 1.0, hw), 0.0)
    # windows a data-parallel collective can hide behind: the last micro-batch's backward (gradients) or the
    # first one's forward (parameters) on this stage, plus the stage's idle pipeline cool-down / warm-up
    idle = 0.5 * bubble
    fwd_stage = ls * (fwd + tp_fwd + cp_fwd + ep_fwd) + idle
    bwd_stage = ls * (bwd + recomp + tp_bwd + cp_bwd + ep_bwd) + idle
    # bucketed collectives: one bucket per layer, so the ring latency is paid per layer
    lat = ls * dp_latency(lay.dp, k_dp, hw)
    slow = hw.overlap_slowdown
    overlapped = (
        np.maximum(reduce - bwd_stage, reduce / ls)
        + np.maximum(gather - fwd_stage, gather / ls)
        + slow * (np.minimum(reduce, bwd_stage) + np.minimum(gather, fwd_stage))
    )
    dp_z012 = np.where(lay.dp_overlap > 0, overlapped, reduce + gather) + 2.0 * lat
    gathers = 2.0 + np.where(rc >= 2, 1.0, 0.0)  # forward, backward, and the recomputed forward
    z3_mb = gathers * ring_time(p * ACT_BYTES, lay.dp, k_dp, 1.0, hw) + ring_time(
        p * 2.0, lay.dp, k_dp, 1.0, hw
    )
    z3_hidden = np.maximum(z3_mb - stage_mb, 0.0) + z3_mb / ls + slow * np.minimum(z3_mb, stage_mb)
    z3_exposed = np.where(lay.dp_overlap > 0, z3_hidden, z3_mb) + (gathers + 1.0) * lat
    dp_comm = np.where(z >= 3, m * z3_exposed, dp_z012)
    shard_o = np.where(z >= 1, lay.dp, 1.0)
    optimizer = p / shard_o * OPTIMIZER_BYTES_PER_PARAM / hbm

    step = m * (stage_mb + p2p_mb) + bubble + dp_comm + optimizer
    gpus = lay.gpus()
    model_flop = model_flop_per_step(g, lay.gb)
    hw_flop = hardware_flop_per_step(g, lay.gb, rc)
    mem = memory_per_gpu(g, lay, precision)
    usable = hw.hbm_bytes * hw.usable_fraction
    return {
        "step_time_s": step,
        "tokens_per_s": lay.gb * g.seq / step,
        "model_flop": model_flop,
        "hardware_flop": hw_flop,
        "tflops_per_gpu": model_flop / (gpus * step) / 1e12,
        "mfu": model_flop / (gpus * step * peak),
        "hfu": hw_flop / (gpus * step * peak),
        "memory_bytes": mem["total"],
        "memory_weights_bytes": mem["weights"],
        "memory_grads_bytes": mem["grads"],
        "memory_optimizer_bytes": mem["optimizer"],
        "memory_activations_bytes": mem["activations"],
        "fits": (mem["total"] <= usable).astype(np.float64),
        "compute": m * compute_mb,
        "recompute": m * recompute_mb,
        "tp_comm": m * ls * tp_comm,
        "cp_comm": m * ls * cp_comm,
        "ep_comm": m * ls * ep_comm,
        "pp_p2p": m * p2p_mb,
        "bubble": bubble,
        "dp_comm": dp_comm,
        "optimizer": optimizer,
    }
