"""Step time of synchronous training, vectorised over parallel layouts. [s]

Per micro-batch and layer: matrix multiplies on a roofline (FLOP at the achieved matmul efficiency plus their
operand traffic at HBM bandwidth, so small multiplies fall further from peak), memory-bound element-wise
work at HBM bandwidth, kernel-launch gaps, and the exposed tensor-, context- and expert-parallel
communication. The busiest pipeline stage sets the pace; 1F1B adds a bubble of (pp-1)/v micro-batch
times; data-parallel gradient and parameter collectives are exposed unless overlapped with the backward
pass (ZeRO-3 once per micro-batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from megacluster.performance.comms import all_to_all_time, dp_latency, local_members, p2p_time, ring_time
from megacluster.performance.flops import hardware_flop_per_step, model_flop_per_step
from megacluster.performance.layout import FloatArray, Layout, Num
from megacluster.performance.memory import grad_bytes_per_param, memory_per_gpu, params_per_gpu, stage_layers
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry
from megacluster.units import TERA

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


@dataclass(frozen=True)
class _Shape:
    """What every phase of one chunk needs: the precision's rates and one micro-batch's shape per GPU."""

    peak: float  # matrix-multiply peak at the training precision [FLOP/s]
    elem: float  # bytes per GEMM operand element (1 under fp8) [B]
    hbm: float  # achieved HBM bandwidth [B/s]
    t: FloatArray  # tensor-parallel degree [1]
    h: float  # hidden size [1]
    s_q: FloatArray  # query tokens of one sequence on one GPU (seq / cp) [tokens]
    tok: FloatArray  # tokens of one micro-batch on one GPU: the rows of every GEMM [tokens]
    q: float  # query width: heads x head_dim [1]
    kv: float  # key (or value) width: kv_heads x head_dim [1]


@dataclass(frozen=True)
class _LayerCompute:
    """Compute time of one layer for one micro-batch. [s]"""

    fwd: FloatArray
    bwd: FloatArray
    recomp: FloatArray  # recomputed in the backward pass: the whole forward (full) or attention (selective)
    core: FloatArray  # attention core (QK^T, softmax, x V): what context-parallel traffic can hide behind


@dataclass(frozen=True)
class _LayerComms:
    """Exposed tensor-, context- and expert-parallel communication of one layer, one micro-batch. [s]"""

    tp_fwd: FloatArray
    tp_bwd: FloatArray
    cp_fwd: FloatArray
    cp_bwd: FloatArray
    ep_fwd: FloatArray
    ep_bwd: FloatArray


@dataclass(frozen=True)
class _Stage:
    """The busiest pipeline stage over one step. [s, 1]"""

    ls: FloatArray  # layers on the stage [1]
    m: FloatArray  # micro-batches per step [1]
    compute_mb: FloatArray  # forward + backward (and logits) per micro-batch [s]
    recompute_mb: FloatArray  # recomputation per micro-batch [s]
    stage_mb: FloatArray  # everything on the stage per micro-batch: compute, recompute, in-layer comms [s]
    p2p_mb: FloatArray  # point-to-point sends to the neighbouring stages per micro-batch [s]
    bubble: FloatArray  # 1F1B pipeline fill and drain [s]


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
    """`evaluate` on one chunk, phase by phase. [s, tokens/s, FLOP, bytes]"""
    c = _shape(g, hw, lay, precision)
    comp = _layer_compute(g, hw, lay, c)
    comms = _layer_comms(g, hw, lay, c, comp.core)
    stage = _busiest_stage(g, hw, lay, c, comp, comms)
    dp_comm, optimizer = _data_parallel(g, hw, lay, c, precision, comp, comms, stage)
    return _outputs(g, hw, lay, c, precision, comms, stage, dp_comm, optimizer)


def _shape(g: Geometry, hw: Hardware, lay: Layout, precision: str) -> _Shape:
    """The rates at the precision and one micro-batch's shape per GPU. [-]"""
    peak = hw.gemm_peak_flop_s(precision)
    if peak <= 0:
        raise ValueError(f"{hw.accelerator} has no {precision} peak")
    s_q = g.seq / lay.cp
    return _Shape(
        peak=peak,
        elem=1.0 if precision == "fp8" else 2.0,
        hbm=hw.hbm_bytes_s * hw.hbm_efficiency,
        t=lay.tp,
        h=float(g.hidden),
        s_q=s_q,
        tok=lay.mb * s_q,
        q=float(g.heads * g.head_dim),
        kv=float(g.kv_heads * g.head_dim),
    )


def _ffn(g: Geometry, hw: Hardware, lay: Layout, c: _Shape) -> tuple[FloatArray, float]:
    """Forward time of one layer's FFN (dense, or routed experts plus the router) and its active width.
    [s, 1]"""
    t, tok, h, peak, elem = c.t, c.tok, c.h, c.peak, c.elem
    gm = 2.0 if g.gated else 1.0
    if g.experts:
        m_e = tok * g.top_k * lay.ep / g.experts
        n_local = g.experts / lay.ep
        ffn = n_local * (
            _gemm(m_e, g.moe_ffn * gm / t, h, peak, hw, elem) + _gemm(m_e, h, g.moe_ffn / t, peak, hw, elem)
        )
        ffn = ffn + _gemm(tok, np.full_like(t, float(g.experts)), h, hw.peak16_flop_s, hw, 2.0)
        return ffn, float(g.top_k * g.moe_ffn)
    ffn = _gemm(tok, g.ffn * gm / t, h, peak, hw, elem) + _gemm(tok, h, g.ffn / t, peak, hw, elem)
    return ffn, float(g.ffn)


def _attention_core(g: Geometry, hw: Hardware, lay: Layout, c: _Shape) -> FloatArray:
    """Forward time of one layer's attention core: fused (FlashAttention), or unfused with the softmax's
    memory traffic. [s]"""
    t, s_q = c.t, c.s_q
    heads_local = lay.mb * g.heads / t
    unfused = heads_local * (
        _gemm(s_q, np.full_like(t, float(g.seq)), g.head_dim, hw.peak16_flop_s, hw, 2.0)
        + _gemm(s_q, np.full_like(t, float(g.head_dim)), g.seq, hw.peak16_flop_s, hw, 2.0)
        + SOFTMAX_BYTES_PER_SCORE * s_q * g.seq / c.hbm
    )
    fused_flop = 0.5 * 4.0 * heads_local * s_q * g.seq * g.head_dim  # causal blocks skipped
    fused = (
        fused_flop / (hw.peak16_flop_s * hw.gemm_efficiency)
        + ACT_BYTES * c.tok * (2 * c.q + 2 * c.kv) / t / c.hbm
    )
    return np.asarray(np.where(lay.fused > 0, fused, unfused), dtype=np.float64)


def _layer_compute(g: Geometry, hw: Hardware, lay: Layout, c: _Shape) -> _LayerCompute:
    """One layer, one micro-batch: forward, backward (twice the forward) and recomputation. [s]"""
    t, tok, h = c.t, c.tok, c.h
    proj = _gemm(tok, (c.q + 2 * c.kv) / t, h, c.peak, hw, c.elem) + _gemm(
        tok, h, c.q / t, c.peak, hw, c.elem
    )
    ffn, f_act = _ffn(g, hw, lay, c)
    core = _attention_core(g, hw, lay, c)
    sp_div = np.where(lay.sp > 0, t, 1.0)
    ew = (ELEMENTWISE_BYTES_PER_HIDDEN * tok * h / sp_div + (4.0 + 2.0 * g.gated) * tok * f_act / t) / c.hbm
    kern = KERNELS_FWD_PER_LAYER * hw.kernel_overhead_s
    fwd = proj + ffn + core + ew + kern
    rc = lay.recompute
    recomp = np.where(rc >= 2, fwd, np.where(rc >= 1, core, 0.0))
    return _LayerCompute(fwd=fwd, bwd=2.0 * fwd, recomp=recomp, core=core)


def _layer_comms(g: Geometry, hw: Hardware, lay: Layout, c: _Shape, core: FloatArray) -> _LayerComms:
    """In-layer communication: TP all-reduces, the CP key/value ring (hidden behind attention), EP
    all-to-alls; full recomputation repeats the forward's in the backward. [s]"""
    t, cp, tok, dom = c.t, lay.cp, c.tok, hw.domain_gpus
    ar = ring_time(tok * c.h * ACT_BYTES, t, local_members(t, np.ones_like(t), dom), 2.0, hw)
    full_rc = np.where(lay.recompute >= 2, 1.0, 0.0)
    k_cp = local_members(cp, t, dom)
    kv_step = p2p_time(ACT_BYTES * tok * 2.0 * c.kv / t, (k_cp < cp).astype(np.float64), hw)
    ring_kv = np.where(cp > 1, (cp - 1.0) * kv_step, 0.0)
    cp_fwd = np.maximum(ring_kv - core, 0.0)
    if g.experts:
        k_ep = local_members(lay.ep, t * cp, dom)
        a2a = all_to_all_time(tok * g.top_k * c.h * ACT_BYTES / t, lay.ep, k_ep, hw)
    else:
        a2a = np.zeros_like(t)
    return _LayerComms(
        tp_fwd=2.0 * ar,
        tp_bwd=(2.0 + 2.0 * full_rc) * ar,
        cp_fwd=cp_fwd,
        cp_bwd=np.maximum(2.0 * ring_kv - 2.0 * core, 0.0) + full_rc * cp_fwd,
        ep_fwd=2.0 * a2a,
        ep_bwd=(2.0 + 2.0 * full_rc) * a2a,
    )


def _busiest_stage(
    g: Geometry, hw: Hardware, lay: Layout, c: _Shape, comp: _LayerCompute, comms: _LayerComms
) -> _Stage:
    """One micro-batch through the busiest pipeline stage (plus the logits), the point-to-point sends and
    the 1F1B bubble of (pp - 1) / v micro-batch times. [s]"""
    t, tok = c.t, c.tok
    ls = stage_layers(g, lay)
    logits = 3.0 * _gemm(tok, g.vocab / t, c.h, c.peak, hw, c.elem) + 3.0 * 8.0 * tok * g.vocab / t / c.hbm
    compute_mb = ls * (comp.fwd + comp.bwd) + logits
    recompute_mb = ls * comp.recomp
    tp_comm, cp_comm, ep_comm = _comm_totals(comms)
    comm_mb = ls * (tp_comm + cp_comm + ep_comm)
    stage_mb = compute_mb + recompute_mb + comm_mb
    k_pp = local_members(lay.pp, t * lay.cp * lay.dp, hw.domain_gpus)
    crosses = np.asarray(k_pp < lay.pp, dtype=np.float64)
    p2p_mb = np.where(lay.pp > 1, 2.0 * lay.v * p2p_time(tok * c.h * ACT_BYTES / t, crosses, hw), 0.0)
    return _Stage(
        ls=ls,
        m=lay.micro_batches(),
        compute_mb=compute_mb,
        recompute_mb=recompute_mb,
        stage_mb=stage_mb,
        p2p_mb=p2p_mb,
        bubble=(lay.pp - 1.0) / lay.v * (stage_mb + p2p_mb),
    )


def _comm_totals(comms: _LayerComms) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Forward plus backward of the TP, CP and EP communication of one layer, one micro-batch. [s]"""
    return comms.tp_fwd + comms.tp_bwd, comms.cp_fwd + comms.cp_bwd, comms.ep_fwd + comms.ep_bwd


def _data_parallel(
    g: Geometry,
    hw: Hardware,
    lay: Layout,
    c: _Shape,
    precision: str,
    comp: _LayerCompute,
    comms: _LayerComms,
    stage: _Stage,
) -> tuple[FloatArray, FloatArray]:
    """Exposed data-parallel collectives of a step (ZeRO 0-2 once per step, ZeRO-3 once per micro-batch)
    and the optimizer step on the (sharded) parameters. [s]"""
    p = params_per_gpu(g, lay)
    k_dp = local_members(lay.dp, c.t * lay.cp, hw.domain_gpus)
    z = lay.zero
    # bucketed collectives: one bucket per layer, so the ring latency is paid per layer
    lat = stage.ls * dp_latency(lay.dp, k_dp, hw)
    dp_z012 = _dp_once_per_step(lay, hw, p, k_dp, precision, comp, comms, stage) + 2.0 * lat
    z3 = _zero3_per_micro_batch(lay, hw, p, k_dp, stage, lat)
    dp_comm = np.where(z >= 3, stage.m * z3, dp_z012)
    shard_o = np.where(z >= 1, lay.dp, 1.0)
    optimizer = p / shard_o * OPTIMIZER_BYTES_PER_PARAM / c.hbm
    return dp_comm, optimizer


def _dp_once_per_step(
    lay: Layout,
    hw: Hardware,
    p: FloatArray,
    k_dp: FloatArray,
    precision: str,
    comp: _LayerCompute,
    comms: _LayerComms,
    stage: _Stage,
) -> FloatArray:
    """ZeRO 0-2: the gradient reduce (all-reduce, or reduce-scatter with ZeRO >= 1) and the parameter
    all-gather (ZeRO >= 1), exposed beyond what overlaps the backward and forward passes. [s]"""
    z, ls = lay.zero, stage.ls
    gbytes = grad_bytes_per_param(lay, precision)
    reduce = ring_time(p * gbytes, lay.dp, k_dp, np.where(z >= 1, 1.0, 2.0), hw)
    gather = np.where(z >= 1, ring_time(p * ACT_BYTES, lay.dp, k_dp, 1.0, hw), 0.0)
    # windows a data-parallel collective can hide behind: the last micro-batch's backward (gradients) or the
    # first one's forward (parameters) on this stage, plus the stage's idle pipeline cool-down / warm-up
    idle = 0.5 * stage.bubble
    fwd_stage = ls * (comp.fwd + comms.tp_fwd + comms.cp_fwd + comms.ep_fwd) + idle
    bwd_stage = ls * (comp.bwd + comp.recomp + comms.tp_bwd + comms.cp_bwd + comms.ep_bwd) + idle
    slow = hw.overlap_slowdown
    overlapped = (
        np.maximum(reduce - bwd_stage, reduce / ls)
        + np.maximum(gather - fwd_stage, gather / ls)
        + slow * (np.minimum(reduce, bwd_stage) + np.minimum(gather, fwd_stage))
    )
    return np.asarray(np.where(lay.dp_overlap > 0, overlapped, reduce + gather), dtype=np.float64)


def _zero3_per_micro_batch(
    lay: Layout, hw: Hardware, p: FloatArray, k_dp: FloatArray, stage: _Stage, lat: FloatArray
) -> FloatArray:
    """ZeRO-3, per micro-batch: parameter all-gathers for the forward, the backward and a recomputed
    forward, and a 16-bit gradient reduce-scatter, hidden behind the stage's work when overlapped. [s]"""
    gathers = 2.0 + np.where(lay.recompute >= 2, 1.0, 0.0)  # forward, backward, and the recomputed forward
    z3_mb = gathers * ring_time(p * ACT_BYTES, lay.dp, k_dp, 1.0, hw) + ring_time(
        p * 2.0, lay.dp, k_dp, 1.0, hw
    )
    stage_mb, ls = stage.stage_mb, stage.ls
    z3_hidden = (
        np.maximum(z3_mb - stage_mb, 0.0) + z3_mb / ls + hw.overlap_slowdown * np.minimum(z3_mb, stage_mb)
    )
    return np.asarray(
        np.where(lay.dp_overlap > 0, z3_hidden, z3_mb) + (gathers + 1.0) * lat, dtype=np.float64
    )


def _outputs(
    g: Geometry,
    hw: Hardware,
    lay: Layout,
    c: _Shape,
    precision: str,
    comms: _LayerComms,
    stage: _Stage,
    dp_comm: FloatArray,
    optimizer: FloatArray,
) -> dict[str, FloatArray]:
    """The step time and everything reported with it: throughput, FLOP, MFU/HFU, memory, breakdown. [-]"""
    m, ls = stage.m, stage.ls
    step = m * (stage.stage_mb + stage.p2p_mb) + stage.bubble + dp_comm + optimizer
    gpus = lay.gpus()
    model_flop = model_flop_per_step(g, lay.gb)
    hw_flop = hardware_flop_per_step(g, lay.gb, lay.recompute)
    mem = memory_per_gpu(g, lay, precision)
    usable = hw.hbm_bytes * hw.usable_fraction
    tp_comm, cp_comm, ep_comm = _comm_totals(comms)
    return {
        "step_time_s": step,
        "tokens_per_s": lay.gb * g.seq / step,
        "model_flop": model_flop,
        "hardware_flop": hw_flop,
        "tflops_per_gpu": model_flop / (gpus * step) / TERA,
        "mfu": model_flop / (gpus * step * c.peak),
        "hfu": hw_flop / (gpus * step * c.peak),
        "memory_bytes": mem["total"],
        "memory_weights_bytes": mem["weights"],
        "memory_grads_bytes": mem["grads"],
        "memory_optimizer_bytes": mem["optimizer"],
        "memory_activations_bytes": mem["activations"],
        "fits": (mem["total"] <= usable).astype(np.float64),
        "compute": m * stage.compute_mb,
        "recompute": m * stage.recompute_mb,
        "tp_comm": m * ls * tp_comm,
        "cp_comm": m * ls * cp_comm,
        "ep_comm": m * ls * ep_comm,
        "pp_p2p": m * stage.p2p_mb,
        "bubble": stage.bubble,
        "dp_comm": dp_comm,
        "optimizer": optimizer,
    }
