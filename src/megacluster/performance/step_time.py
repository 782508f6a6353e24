"""Step time of synchronous training, vectorised over parallel layouts. [s]

Per micro-batch and layer: matrix multiplies on a roofline (FLOP at the achieved matmul rate of their
precision plus their operand traffic at HBM bandwidth, rows rounded to whole tiles), the attention core (BF16;
the FlashAttention backward does 2.5x the forward's FLOP), memory-bound element-wise work, FP8 quantisation
traffic, MoE routing and permutations, kernel-launch gaps, and the exposed tensor-, context- and
expert-parallel communication. The host CPU launches every kernel; where it is slower than the GPU (small
kernels, MoE layers that synchronise with the host to learn their token counts) the difference is exposed. The
pacing pipeline stage (a middle one, or the last with the output layer and loss) sets the pace; 1F1B adds a
bubble of (pp-1)/v micro-batch times; data-parallel collectives are exposed unless overlapped
(``data_parallel``).

Every term of the step is reported (``BREAKDOWN_KEYS``); they add up to the step time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from megacluster.catalog import shapes
from megacluster.performance.comms import local_members, overlap_exposed, p2p_time, ring_time
from megacluster.performance.data_parallel import data_parallel_time
from megacluster.performance.flops import hardware_flop_per_step, model_flop_per_step
from megacluster.performance.kernels import (
    KERNELS_FP8_PER_LINEAR,
    KERNELS_FWD_PER_LAYER,
    QUANT_BYTES,
    gemm_time,
)
from megacluster.performance.layout import Execution, FloatArray, Fp8Recipe, Layout
from megacluster.performance.memory import (
    edge_layers,
    memory_per_gpu,
    params_per_gpu,
    stage_layers,
    usable_memory_bytes,
)
from megacluster.performance.moe import MOE_IMBALANCE, expert_overlap, moe_forward
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry
from megacluster.units import TERA

ACT_BYTES = 2.0  # activations and their gradients travel and are stored in 16 bit
SOFTMAX_BYTES_PER_SCORE = 8.0  # unfused attention: read/write scores, probabilities and dropout mask
ELEMENTWISE_BYTES_PER_HIDDEN = 24.0  # two norms, two dropout+residual adds per layer (per token, hidden unit)
ATTENTION_BACKWARD_FLOP = 2.5
"""FlashAttention backward FLOP relative to its forward. [-]
[P] Dao 2023, FlashAttention-2, sec. 3.1-3.2: the forward runs 2 matrix multiplies per block (QK^T, PV), the
backward 5 (recomputed QK^T, dV, dP, dQ, dK): 5/2."""
FP8_WEIGHT_CAST_BYTES = 4.0
"""HBM bytes per parameter per step to cast the BF16 weights to FP8 (read 2 B, write an FP8 copy and its
transpose or column-wise copy). [B] [D] as kernels.QUANT_BYTES; the cast weights are cached across the step's
micro-batches (Transformer Engine's is_first_microbatch)."""

CHUNK = 32768  # configurations per vectorised pass (keeps the temporaries in cache)

BREAKDOWN_KEYS = (
    "compute",
    "recompute",
    "tp_comm",
    "cp_comm",
    "ep_comm",
    "moe_dispatch",
    "fp8_cast",
    "host_overhead",
    "pp_p2p",
    "bubble",
    "dp_comm",
    "optimizer",
)
"""Terms of the step, each in seconds over one optimizer step; they add up to the step time."""


@dataclass(frozen=True)
class _Shape:
    """What every phase of one chunk needs: the precision's rates and one micro-batch's shape per GPU."""

    rate16: float  # achieved 16-bit matrix-multiply rate [FLOP/s]
    rate: float  # achieved rate of the linear layers' GEMMs at the training precision [FLOP/s]
    elem: float  # bytes per linear-layer GEMM operand element (1 under fp8) [B]
    hbm: float  # achieved HBM bandwidth [B/s]
    fp8: bool
    recipe: Fp8Recipe
    quant: float  # HBM bytes per element quantised to FP8 (0 when not fp8) [B]
    t: FloatArray  # tensor-parallel degree [1]
    h: float  # hidden size [1]
    s_q: FloatArray  # query tokens of one sequence on one GPU (seq / cp) [tokens]
    tok: FloatArray  # tokens of one micro-batch on one GPU: the rows of every GEMM [tokens]


@dataclass(frozen=True)
class _Layer:
    """One layer (dense or MoE FFN) for one micro-batch on one GPU. [s, 1]"""

    fwd: FloatArray  # forward compute (GEMMs, attention core, element-wise, kernel gaps)
    bwd: FloatArray  # backward compute
    recomp: FloatArray  # recomputed in the backward: the forward (full) or the attention core (selective)
    tp: FloatArray  # exposed TP collectives, forward + backward (+ recomputed forward)
    tp_fwd: FloatArray
    cp: FloatArray  # exposed context-parallel K/V exchange, forward + backward
    cp_fwd: FloatArray
    ep: FloatArray  # exposed expert-parallel all-to-alls, forward + backward
    ep_fwd: FloatArray
    dispatch: FloatArray  # MoE routing element-wise work and token permutations, forward + backward
    cast: FloatArray  # FP8 quantisation of GEMM inputs and output gradients, forward + backward
    kernels: FloatArray  # kernels launched in the forward [1]
    dynamic: FloatArray  # of which cannot be captured in a CUDA graph (MoE experts, dispatch) [1]
    synced: bool  # the forward waits on the host for its token counts (dropless MoE)


def evaluate(
    g: Geometry, hw: Hardware, lay: Layout, precision: str = "bf16", ex: Execution | None = None
) -> dict[str, FloatArray]:
    """Step time, throughput, MFU, memory and breakdown for every layout. [s, tokens/s, FLOP, bytes]

    Large batches are evaluated in cache-sized chunks (several times faster than one pass).
    """
    ex = ex or Execution(precision=precision)
    if ex.precision != precision:
        ex = Execution(**{**ex.__dict__, "precision": precision})
    n = len(lay)
    if n <= CHUNK:
        return _evaluate(g, hw, lay, ex)
    parts = [_evaluate(g, hw, lay.take(slice(i, i + CHUNK)), ex) for i in range(0, n, CHUNK)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _evaluate(g: Geometry, hw: Hardware, lay: Layout, ex: Execution) -> dict[str, FloatArray]:
    """`evaluate` on one chunk, phase by phase. [s, tokens/s, FLOP, bytes]"""
    c = _shape(g, hw, lay, ex)
    dense = _layer(g, hw, lay, c, ex, moe=False)
    moe = _layer(g, hw, lay, c, ex, moe=True) if g.moe_layers else None
    stage = _pacing_stage(g, hw, lay, c, ex, dense, moe)
    windows = (stage["fwd_mb"], stage["bwd_mb"], stage["stage_mb"], stage["bubble"])
    dp_comm, optimizer = data_parallel_time(g, hw, lay, ex.precision, windows, c.hbm)
    weight_cast = params_per_gpu(g, lay) * FP8_WEIGHT_CAST_BYTES / c.hbm if c.fp8 else 0.0
    return _outputs(g, hw, lay, c, ex, stage, dp_comm, optimizer, weight_cast)


def _shape(g: Geometry, hw: Hardware, lay: Layout, ex: Execution) -> _Shape:
    """The rates at the precision and one micro-batch's shape per GPU. [-]"""
    if hw.gemm_peak_flop_s(ex.precision) <= 0:
        raise ValueError(f"{hw.accelerator} has no {ex.precision} peak")
    fp8 = ex.precision == "fp8"
    recipe = ex.fp8_recipe or hw.default_fp8_recipe
    s_q = g.seq / lay.cp
    return _Shape(
        rate16=hw.gemm_rate_flop_s("bf16"),
        rate=hw.gemm_rate_flop_s(ex.precision),
        elem=1.0 if fp8 else 2.0,
        hbm=hw.hbm_bytes_s * hw.hbm_efficiency,
        fp8=fp8,
        recipe=recipe,
        quant=QUANT_BYTES[recipe] if fp8 else 0.0,
        t=lay.tp,
        h=float(g.hidden),
        s_q=s_q,
        tok=lay.mb * s_q,
    )


def _attention(g: Geometry, lay: Layout, c: _Shape) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Forward of one attention block: (projection GEMMs, attention core, elements its linear layers quantise
    per token in forward + backward). Head-sharded matrices split over tp; MLA's down-projections do not. [s,
    s, 1]"""
    t, tok, d = c.t, c.tok, g.dims
    proj: FloatArray = np.zeros_like(t)
    quant: FloatArray = np.zeros_like(t)
    for size_in, size_out, split in shapes.attention_splits(d):
        n_out = size_out / t if split == "out" else np.full_like(t, float(size_out))
        k_in = size_in / t if split == "in" else np.full_like(t, float(size_in))
        proj = proj + gemm_time(tok, n_out, k_in, c.rate, c.hbm, c.elem)
        quant = quant + k_in + n_out
    heads_local = lay.mb * g.heads / t
    qk, v = float(d.qk_dim), float(d.v_dim)
    unfused = heads_local * (
        gemm_time(c.s_q, np.full_like(t, float(g.seq)), qk, c.rate16, c.hbm, 2.0)
        + gemm_time(c.s_q, np.full_like(t, v), g.seq, c.rate16, c.hbm, 2.0)
        + SOFTMAX_BYTES_PER_SCORE * c.s_q * g.seq / c.hbm
    )
    fused_flop = 0.5 * 2.0 * heads_local * c.s_q * g.seq * (qk + v)  # causal blocks skipped
    kv_heads = g.heads if d.mla else g.kv_heads  # MLA expands K and V to every head
    io = ACT_BYTES * tok * (g.heads * (qk + v) + kv_heads * (qk + v)) / t  # Q and O; K and V
    fused = fused_flop / c.rate16 + io / c.hbm
    core = np.asarray(np.where(lay.fused > 0, fused, unfused), dtype=np.float64)
    return proj, core, quant


def _layer(g: Geometry, hw: Hardware, lay: Layout, c: _Shape, ex: Execution, moe: bool) -> _Layer:
    """One layer, one micro-batch: forward, backward, recomputation, its exposed communication, MoE dispatch,
    FP8 casts and kernels. [s, 1]"""
    t, tok, h = c.t, c.tok, c.h
    proj, core, quant = _attention(g, lay, c)
    gm = 2.0 if g.gated else 1.0
    n_linear = float(len(shapes.attention_splits(g.dims)) + 2)
    zero = np.zeros_like(t)
    if moe:
        imbalance = ex.moe_imbalance if ex.moe_imbalance is not None else MOE_IMBALANCE
        fp8_dispatch = c.fp8 and c.recipe == Fp8Recipe.BLOCKWISE
        cost = moe_forward(
            g, hw, lay, tok, (c.rate, c.rate16, c.hbm, c.elem), imbalance, (ex.moe_dispatcher, fp8_dispatch)
        )
        ffn, f_act, dispatch, a2a = cost.ffn, cost.f_act, cost.dispatch, cost.a2a
        local = g.experts / lay.ep
        rows = g.top_k * imbalance / t  # routed copies per token of this GPU
        quant = quant + rows * (h + g.moe_ffn / lay.etp) + rows * (gm * g.moe_ffn / lay.etp + h)
        quant = quant + (g.shared_experts > 0) * (h + (gm + 1.0) * g.shared_experts * g.moe_ffn / t + h)
        dynamic = cost.kernels - 3.0 * (g.shared_experts > 0) + (2.0 * local if c.fp8 else 0.0)
        kernels = KERNELS_FWD_PER_LAYER - 4.0 + cost.kernels + (2.0 * local if c.fp8 else 0.0)
        tp_count = 1.0 + (lay.etp > 1)  # the FFN's collectives only when experts are tensor-parallel
    else:
        f = float(g.ffn)
        ffn = gemm_time(tok, gm * f / t, h, c.rate, c.hbm, c.elem) + gemm_time(
            tok, h, f / t, c.rate, c.hbm, c.elem
        )
        f_act, dispatch, a2a, dynamic, kernels = f, zero, zero, zero, np.full_like(t, KERNELS_FWD_PER_LAYER)
        quant = quant + h + f / t + gm * f / t + h
        tp_count = np.full_like(t, 2.0)
    if c.fp8:
        kernels = kernels + KERNELS_FP8_PER_LINEAR * n_linear
    sp_div = np.where(lay.sp > 0, t, 1.0)
    ew = (ELEMENTWISE_BYTES_PER_HIDDEN * tok * h / sp_div + (4.0 + 2.0 * g.gated) * tok * f_act / t) / c.hbm
    fwd = proj + ffn + core + ew + kernels * hw.kernel_overhead_s
    bwd = 2.0 * fwd + np.where(lay.fused > 0, ATTENTION_BACKWARD_FLOP - 2.0, 0.0) * core
    rc = lay.recompute
    full_rc = np.where(rc >= 2, 1.0, 0.0)
    recomp = np.where(rc >= 2, fwd, np.where(rc >= 1, core, 0.0))
    ar = ring_time(tok * h * ACT_BYTES, t, local_members(t, np.ones_like(t), hw.domain_gpus), 2.0, hw)
    tp_fwd = tp_count * ar
    if ex.tp_overlap:  # userbuffers: each collective runs under the GEMM it feeds, slowing it
        gemms = proj + (ffn if not moe else 0.0)
        tp_fwd = overlap_exposed(tp_fwd, gemms, hw.overlap_slowdown)
    cp_fwd, cp_bwd = _context_parallel(g, hw, lay, c, core)
    ep_fwd, ep_bwd = expert_overlap(hw, a2a, fwd + bwd, ex.moe_overlap)
    cast = c.quant * tok * quant / c.hbm
    return _Layer(
        fwd=fwd,
        bwd=bwd,
        recomp=recomp,
        tp=(2.0 + full_rc) * tp_fwd,
        tp_fwd=tp_fwd,
        cp=cp_fwd + cp_bwd + full_rc * cp_fwd,
        cp_fwd=cp_fwd,
        ep=ep_fwd + ep_bwd + full_rc * ep_fwd,
        ep_fwd=ep_fwd,
        dispatch=(2.0 + full_rc) * dispatch,
        cast=(1.0 + full_rc * 0.5) * cast,
        kernels=kernels,
        dynamic=dynamic,
        synced=moe,
    )


def _context_parallel(
    g: Geometry, hw: Hardware, lay: Layout, c: _Shape, core: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Exposed ring exchange of K and V among the context-parallel ranks (cp - 1 steps), hidden behind the
    attention core; the backward sends twice as much. [s]"""
    t, cp = c.t, lay.cp
    d = g.dims
    kv_width = g.heads * (d.qk_dim + d.v_dim) if d.mla else g.kv_heads * (d.qk_dim + d.v_dim)
    k_cp = local_members(cp, t, hw.domain_gpus)
    kv_step = p2p_time(ACT_BYTES * c.tok * kv_width / t, (k_cp < cp).astype(np.float64), hw)
    ring_kv = np.where(cp > 1, (cp - 1.0) * kv_step, 0.0)
    return np.maximum(ring_kv - core, 0.0), np.maximum(2.0 * ring_kv - 2.0 * core, 0.0)


def _pacing_stage(
    g: Geometry, hw: Hardware, lay: Layout, c: _Shape, ex: Execution, dense: _Layer, moe: _Layer | None
) -> dict[str, FloatArray]:
    """Per micro-batch on the pacing stage: each term, the point-to-point sends, the bubble. [s]"""
    t, tok = c.t, c.tok
    ls = stage_layers(g, lay)
    n_moe = np.minimum(ls, float(g.moe_layers)) if moe is not None else np.zeros_like(t)
    logits = 3.0 * gemm_time(tok, g.vocab / t, c.h, c.rate16, c.hbm, 2.0) + 24.0 * tok * g.vocab / t / c.hbm
    layers = [(dense, ls - n_moe), (moe, n_moe)]
    per_layer = sum(
        (_layer_total(lay_, ex, hw) * n for lay_, n in layers if lay_ is not None), np.zeros_like(t)
    )
    edge = edge_layers(g, lay)
    mean = per_layer / ls
    last = edge * mean + logits
    pace_last = (lay.pp <= 1) | (last >= per_layer)
    scale = np.where(lay.pp <= 1, 1.0, np.where(pace_last, edge / ls, 1.0))
    with_logits = np.where(pace_last, 1.0, 0.0)
    terms = {
        k: scale * sum((getattr(x, k) * n for x, n in layers if x is not None), np.zeros_like(t))
        for k in ("fwd", "bwd", "recomp", "tp", "cp", "ep", "dispatch", "cast")
    }
    terms["compute"] = terms.pop("fwd") + terms.pop("bwd") + with_logits * logits
    host = scale * _host_exposed(hw, ex, layers, c)
    stage_mb = sum(terms[k] for k in ("compute", "recomp", "tp", "cp", "ep", "dispatch", "cast")) + host
    k_pp = local_members(lay.pp, t * lay.cp * lay.dp, hw.domain_gpus)
    crosses = np.asarray(k_pp < lay.pp, dtype=np.float64)
    p2p_mb = np.where(lay.pp > 1, 2.0 * lay.v * p2p_time(tok * c.h * ACT_BYTES / t, crosses, hw), 0.0)
    fwd_mb = scale * sum(
        ((x.fwd + x.tp_fwd + x.cp_fwd + x.ep_fwd) * n for x, n in layers if x is not None), 0.0
    )
    return {
        **terms,
        "host": host,
        "stage_mb": stage_mb,
        "p2p_mb": p2p_mb,
        "bubble": (lay.pp - 1.0) / lay.v * (stage_mb + p2p_mb),
        "fwd_mb": fwd_mb,
        "bwd_mb": stage_mb - fwd_mb - with_logits * logits,  # the layers' backward (the logits precede it)
        "ls": ls,
    }


def _layer_total(x: _Layer, ex: Execution, hw: Hardware) -> FloatArray:
    """Everything one layer costs for one micro-batch, host exposure aside. [s]"""
    return x.fwd + x.bwd + x.recomp + x.tp + x.cp + x.ep + x.dispatch + x.cast


def _host_exposed(
    hw: Hardware, ex: Execution, layers: list[tuple[_Layer | None, FloatArray]], c: _Shape
) -> FloatArray:
    """Host CPU time not hidden behind the GPU, per micro-batch on the stage. The CPU runs ahead of the GPU
    except where a dropless MoE layer waits for its token counts (one host sync per forward): each such
    forward costs at least its launch time; the rest of the micro-batch at least the launch time of its
    kernels (x 3 for forward + backward). CUDA graphs replay the capturable kernels at no host cost. [s]"""
    host_s = hw.host_overhead_s
    exposed = np.zeros_like(c.t)
    cpu_rest = np.zeros_like(c.t)
    gpu_rest = np.zeros_like(c.t)
    for x, n in layers:
        if x is None:
            continue
        launched = x.dynamic if ex.cuda_graphs else x.kernels
        cpu_fwd = launched * host_s
        gpu_fwd = x.fwd + x.tp_fwd + x.cp_fwd + x.ep_fwd
        if x.synced:
            exposed = exposed + n * np.maximum(cpu_fwd - gpu_fwd, 0.0)
            cpu_rest = cpu_rest + n * 2.0 * cpu_fwd
            gpu_rest = gpu_rest + n * (_layer_total(x, ex, hw) - gpu_fwd)
        else:
            cpu_rest = cpu_rest + n * 3.0 * cpu_fwd
            gpu_rest = gpu_rest + n * _layer_total(x, ex, hw)
    return exposed + np.maximum(cpu_rest - gpu_rest, 0.0)


def _outputs(
    g: Geometry,
    hw: Hardware,
    lay: Layout,
    c: _Shape,
    ex: Execution,
    stage: dict[str, FloatArray],
    dp_comm: FloatArray,
    optimizer: FloatArray,
    weight_cast: FloatArray | float,
) -> dict[str, FloatArray]:
    """The step time and everything reported with it: throughput, FLOP, MFU/HFU, memory, breakdown. [-]"""
    m = lay.micro_batches()
    breakdown = {
        "compute": m * stage["compute"],
        "recompute": m * stage["recomp"],
        "tp_comm": m * stage["tp"],
        "cp_comm": m * stage["cp"],
        "ep_comm": m * stage["ep"],
        "moe_dispatch": m * stage["dispatch"],
        "fp8_cast": m * stage["cast"] + weight_cast,
        "host_overhead": m * stage["host"],
        "pp_p2p": m * stage["p2p_mb"],
        "bubble": stage["bubble"],
        "dp_comm": dp_comm,
        "optimizer": optimizer,
    }
    step = sum(breakdown.values(), np.zeros_like(lay.tp))
    gpus = lay.gpus()
    peak = hw.gemm_peak_flop_s(ex.precision)
    model_flop = model_flop_per_step(g, lay.gb)
    hw_flop = hardware_flop_per_step(g, lay.gb, lay.recompute)
    mem = memory_per_gpu(g, lay, ex.precision)
    usable = usable_memory_bytes(hw)
    return {
        "step_time_s": step,
        "tokens_per_s": lay.gb * g.seq / step,
        "model_flop": model_flop,
        "hardware_flop": hw_flop,
        "tflops_per_gpu": model_flop / (gpus * step) / TERA,
        "mfu": model_flop / (gpus * step * peak),
        "hfu": hw_flop / (gpus * step * peak),
        "memory_bytes": mem["total"],
        "memory_weights_bytes": mem["weights"],
        "memory_grads_bytes": mem["grads"],
        "memory_optimizer_bytes": mem["optimizer"],
        "memory_activations_bytes": mem["activations"],
        "memory_workspace_bytes": mem["workspace"],
        "fits": (mem["total"] <= usable).astype(np.float64),
        **{k: v if np.ndim(v) else np.full_like(lay.tp, float(v)) for k, v in breakdown.items()},
    }
