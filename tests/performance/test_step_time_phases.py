"""Each phase of the step-time model against hand-worked values on a toy accelerator.

The toy accelerator makes every rate but the one under test free (1e30), so one term of the step time is
left and can be worked by hand: matrix multiplies at the achieved peak (FLOP / (peak x efficiency)),
memory-bound work at the achieved HBM bandwidth, kernel-launch gaps, Megatron's two tensor-parallel
all-reduces per layer and pass (Shoeybi et al. 2019), the 1F1B bubble of (p - 1) / v micro-batch times
(Narayanan et al. 2021), ring collectives of the data-parallel gradients and the Adam step.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from megacluster.performance.flops import (
    hardware_flop_per_step,
    layer_forward_flop_per_token,
    logits_forward_flop_per_token,
    model_flop_per_step,
)
from megacluster.performance.layout import Execution, Layout, MoeDispatcher
from megacluster.performance.memory import memory_per_gpu, params_per_gpu
from megacluster.performance.moe import NCCL_ALLTOALL_FACTOR
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry
from megacluster.performance.step_time import BREAKDOWN_KEYS, CHUNK, evaluate

FREE = 1e30  # a rate so high that its term vanishes (1e-20 of the others and below)
PEAK = 1e15  # [FLOP/s]
EFF = 0.5  # achieved fraction of every peak: a test of a * that became a / fails


def toy_hw(**changes: float) -> Hardware:
    """An accelerator on which everything is free: no FLOP, byte or message costs time."""
    base = Hardware(
        accelerator="toy",
        network="toy",
        peak16_flop_s=FREE,
        peak8_flop_s=FREE,
        hbm_bytes=1e12,
        hbm_bytes_s=FREE,
        gemm_efficiency=EFF,
        hbm_efficiency=EFF,
        kernel_overhead_s=0.0,
        fused_attention=False,
        usable_fraction=0.5,
        overlap_slowdown=0.0,
        scaleup_bytes_s=FREE,
        scaleup_efficiency=EFF,
        scaleup_latency_s=0.0,
        domain_gpus=8,
        scaleout_bytes_s=FREE,
        scaleout_efficiency=EFF,
        scaleout_latency_s=0.0,
        scaleout_rails=2,
        host_overhead_s=0.0,  # issue 18: the host's kernel launches, free too
    )
    return dataclasses.replace(base, **changes)


def toy_geo(**changes: object) -> Geometry:
    """A small dense GPT (4 layers, h = 1024, 16 heads, FFN 4h, 2,048 tokens, 32k vocabulary)."""
    base = Geometry(
        layers=4,
        hidden=1024,
        heads=16,
        kv_heads=16,
        head_dim=64,
        ffn=4096,
        gated=False,
        seq=2048,
        vocab=32000,
        experts=0,
        top_k=0,
        moe_ffn=4096,
        tied=False,
    )
    return dataclasses.replace(base, **changes)


MOE = {"experts": 8, "top_k": 2, "moe_ffn": 2048}


def toy_lay(**changes: float) -> Layout:
    """One GPU, two micro-batches of two sequences, no recompute, no ZeRO, unfused attention."""
    cols: dict[str, float] = {
        "tp": 1,
        "pp": 1,
        "dp": 1,
        "cp": 1,
        "ep": 1,
        "v": 1,
        "mb": 2,
        "gb": 4,
        "recompute": 0,
        "sp": 0,
        "zero": 0,
        "dp_overlap": 0,
        "fused": 0,
    }
    return Layout.build(**{**cols, **changes})


def run(
    g: Geometry, hw: Hardware, lay: Layout, precision: str = "bf16", dispatcher: str = "deepep"
) -> dict[str, float]:
    # issue 18: balanced routing, as hand-worked here; the NCCL dispatcher where its all-to-all is worked
    ex = Execution(precision=precision, moe_imbalance=1.0, moe_dispatcher=MoeDispatcher(dispatcher))
    return {k: float(v[0]) for k, v in evaluate(g, hw, lay, precision, ex).items()}


def _tokens(lay: Layout, g: Geometry) -> float:
    return float(lay.gb[0]) * g.seq


# --- compute: FLOP at the achieved peak ---


@pytest.mark.parametrize(
    "geo",
    [{}, {"gated": True, "kv_heads": 4}, MOE, {**MOE, "gated": True}],
    ids=["dense", "gated-gqa", "moe", "moe-gated"],
)
@pytest.mark.parametrize(
    "lay",
    [{}, {"tp": 2, "sp": 1}, {"tp": 4}, {"cp": 2}, {"dp": 2, "ep": 2, "gb": 8}, {"mb": 1}],
    ids=["one-gpu", "tp2-sp", "tp4", "cp2", "dp2-ep2", "mb1"],
)
def test_compute_is_model_flop_at_the_achieved_peak(geo: dict, lay: dict) -> None:
    g = toy_geo(**geo)
    if "ep" in lay and not g.experts:
        lay = {**lay, "ep": 1}
    layout = toy_lay(**lay)
    out = run(g, toy_hw(peak16_flop_s=PEAK), layout)
    # free memory, unfused attention, no recompute: a GPU's share of the model FLOP of its replica's batch;
    # issue 18: each tensor-parallel rank routes its own share of the tokens, so the router splits too
    replica = float(model_flop_per_step(g, layout.gb[0] / layout.dp[0])[0])
    per_gpu = replica / layout.tp[0] / layout.cp[0]
    assert out["compute"] == pytest.approx(per_gpu / (PEAK * EFF), rel=1e-12)
    assert out["recompute"] == 0.0
    assert out["step_time_s"] == pytest.approx(out["compute"], rel=1e-12)


def test_recompute_adds_the_hardware_flop() -> None:
    g, hw = toy_geo(), toy_hw(peak16_flop_s=PEAK)
    for rc in (1, 2):
        out = run(g, hw, toy_lay(recompute=rc))
        expected = float(hardware_flop_per_step(g, 4.0, float(rc))[0]) / (PEAK * EFF)
        assert out["compute"] + out["recompute"] == pytest.approx(expected, rel=1e-12)
    # selective recomputes the attention core (QK^T, softmax, x V) of every layer: 4 s q FLOP per token
    sel = run(g, hw, toy_lay(recompute=1))
    core = g.layers * _tokens(toy_lay(), g) * 4.0 * g.seq * g.heads * g.head_dim
    assert sel["recompute"] == pytest.approx(core / (PEAK * EFF), rel=1e-12)
    # full recomputes the whole forward of every layer (not the logits): a third of the layers' compute
    full = run(g, hw, toy_lay(recompute=2))
    layers_fb = full["compute"] - 3.0 * 4 * g.seq * logits_forward_flop_per_token(g) / (PEAK * EFF)
    assert full["recompute"] == pytest.approx(layers_fb / 3.0, rel=1e-12)


def test_fused_attention_skips_the_causal_half() -> None:
    g, hw = toy_geo(), toy_hw(peak16_flop_s=PEAK)
    unfused = run(g, hw, toy_lay())
    fused = run(g, hw, toy_lay(fused=1))
    core = layer_forward_flop_per_token(g)["core"]  # full (non-causal) QK^T and x V, as Megatron counts it
    # issue 18: FlashAttention-2's backward runs 2.5x its forward's FLOP (5 matrix multiplies to 2)
    saved = g.layers * _tokens(toy_lay(), g) * core * (3.0 - 3.5 / 2.0)
    assert unfused["compute"] - fused["compute"] == pytest.approx(saved / (PEAK * EFF), rel=1e-9)
    assert fused["model_flop"] == unfused["model_flop"]  # the MFU convention counts the full core


def test_fp8_runs_the_matrix_multiplies_at_the_fp8_peak_and_attention_at_16_bit() -> None:
    g = toy_geo(**MOE)
    hw = toy_hw(peak16_flop_s=PEAK, peak8_flop_s=4 * PEAK)
    out = run(g, hw, toy_lay(), "fp8")
    parts = layer_forward_flop_per_token(g)
    router = 2.0 * g.hidden * g.experts  # the router's GEMM stays in 16 bit
    gemm8 = g.layers * (parts["proj"] + parts["ffn"] - router)
    at16 = g.layers * (parts["core"] + router) + logits_forward_flop_per_token(g)  # issue 18: BF16 LM head
    expected = 3.0 * _tokens(toy_lay(), g) * (gemm8 / (4 * PEAK) + at16 / PEAK) / EFF
    assert out["compute"] == pytest.approx(expected, rel=1e-12)
    assert out["mfu"] == pytest.approx(out["model_flop"] / (out["step_time_s"] * 4 * PEAK), rel=1e-12)


def test_a_precision_without_a_peak_is_refused() -> None:
    with pytest.raises(ValueError, match="toy has no fp8 peak"):
        evaluate(toy_geo(), toy_hw(peak8_flop_s=0.0), toy_lay(), "fp8")


# --- compute: bytes at the achieved HBM bandwidth, kernel gaps ---

HBM = 1e12  # [B/s]


def _gemm_bytes(m: float, n: float, k: float, elem: float) -> float:
    return elem * (m * k + k * n) + 2.0 * m * n  # issue 18: FP8 GEMMs write 16-bit outputs


def _memory_bound_bytes(g: Geometry, mb: float, elem: float, fused: bool) -> float:
    """Bytes of one micro-batch through all layers, forward and backward, plus the logits (tp = cp = 1)."""
    tok, h, q, f, s = mb * g.seq, g.hidden, g.heads * g.head_dim, g.ffn, g.seq
    kv = g.kv_heads * g.head_dim
    proj = _gemm_bytes(tok, q + 2 * kv, h, elem) + _gemm_bytes(tok, h, q, elem)
    ffn = _gemm_bytes(tok, f * (2 if g.gated else 1), h, elem) + _gemm_bytes(tok, h, f, elem)
    if fused:  # read q, k, v and write the output; read them again with the output gradient backward
        core = 2.0 * tok * (2 * q + 2 * kv)
    else:  # per head: QK^T and x V in 16 bit, and 8 bytes of softmax traffic per score
        per_head = _gemm_bytes(s, s, g.head_dim, 2) + _gemm_bytes(s, g.head_dim, s, 2) + 8.0 * s * s
        core = mb * g.heads * per_head
    # two norms, two dropout + residual adds (24 B per token and hidden unit); FFN activation (4 or 6 B)
    elementwise = 24.0 * tok * h + (6.0 if g.gated else 4.0) * tok * f
    logits = 3.0 * _gemm_bytes(tok, g.vocab, h, 2.0) + 24.0 * tok * g.vocab  # issue 18: BF16 LM head
    flash_bwd = 0.5 * core if fused else 0.0  # issue 18: FlashAttention's backward is 2.5x its forward
    return g.layers * (3.0 * (proj + ffn + core + elementwise) + flash_bwd) + logits


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize(("precision", "elem"), [("bf16", 2.0), ("fp8", 1.0)])
@pytest.mark.parametrize("gated", [False, True])
def test_memory_bound_compute_is_bytes_at_the_achieved_bandwidth(
    fused: bool, precision: str, elem: float, gated: bool
) -> None:
    g, hw = toy_geo(gated=gated, kv_heads=4), toy_hw(hbm_bytes_s=HBM)
    out = run(g, hw, toy_lay(fused=float(fused)), precision)
    m = 2.0  # micro-batches of 2 sequences
    expected = m * _memory_bound_bytes(g, 2.0, elem, fused) / (HBM * EFF)
    assert out["compute"] == pytest.approx(expected, rel=1e-12)


def test_sequence_parallelism_splits_the_norm_and_residual_traffic() -> None:
    g, hw = toy_geo(), toy_hw(hbm_bytes_s=HBM)
    off = run(g, hw, toy_lay(tp=4, sp=0))
    on = run(g, hw, toy_lay(tp=4, sp=1))
    tok = 2.0 * g.seq
    saved = 2.0 * g.layers * 3.0 * 24.0 * tok * g.hidden * (1 - 1 / 4)  # 2 micro-batches, fwd + bwd
    assert off["compute"] - on["compute"] == pytest.approx(saved / (HBM * EFF), rel=1e-9)


def test_kernel_launch_gaps() -> None:
    g = toy_geo()
    gap = 1e-5
    out = run(g, toy_hw(kernel_overhead_s=gap), toy_lay(recompute=2))
    # 20 launches per layer forward, twice as many backward; 2 micro-batches; full recompute repeats
    # the forward
    assert out["compute"] == pytest.approx(2 * g.layers * 3 * 20 * gap, rel=1e-12)
    assert out["recompute"] == pytest.approx(2 * g.layers * 20 * gap, rel=1e-12)


# --- communication inside the layer ---

UP, OUT, LAT_UP, LAT_OUT = 400e9, 50e9, 2e-6, 5e-6


def _net(**changes: float) -> Hardware:
    return toy_hw(
        scaleup_bytes_s=UP,
        scaleout_bytes_s=OUT,
        scaleup_latency_s=LAT_UP,
        scaleout_latency_s=LAT_OUT,
        **changes,
    )


@pytest.mark.parametrize(("recompute", "all_reduces"), [(0, 4), (1, 4), (2, 6)])
def test_tensor_parallel_all_reduces(recompute: int, all_reduces: int) -> None:
    g = toy_geo()
    out = run(g, _net(), toy_lay(tp=4, recompute=recompute))
    # ring all-reduce of the layer output (micro-batch x seq x h, 2 B) among 4 GPUs of one NVLink domain
    size = 2.0 * g.seq * g.hidden * 2.0
    ring = 2.0 * (size * 3 / 4 / (UP * EFF) + 3 * LAT_UP)
    # two per layer forward, two backward, two more when the forward is recomputed; 2 micro-batches
    assert out["tp_comm"] == pytest.approx(2 * g.layers * all_reduces * ring, rel=1e-12)
    assert out["cp_comm"] == out["ep_comm"] == out["pp_p2p"] == out["dp_comm"] == 0.0


@pytest.mark.parametrize(("tp", "crosses"), [(1, False), (8, True)])
@pytest.mark.parametrize(("recompute", "rings"), [(0, 3), (2, 4)])
def test_context_parallel_key_value_ring(tp: int, crosses: bool, recompute: int, rings: int) -> None:
    g = toy_geo(kv_heads=4)
    out = run(g, _net(), toy_lay(cp=4, tp=tp, recompute=recompute))
    # each of cp - 1 steps passes this GPU's keys and values (2 B) to the next; across domains when tp
    # fills one
    size = 2.0 * (2 * g.seq / 4) * 2.0 * g.kv_heads * g.head_dim / tp
    step = size / (OUT * EFF) + LAT_OUT if crosses else size / (UP * EFF) + LAT_UP
    # nothing to hide behind (attention is free): one ring forward, two backward, one more when recomputed
    assert out["cp_comm"] == pytest.approx(2 * g.layers * rings * 3 * step, rel=1e-12)


def test_context_parallel_ring_hides_behind_attention() -> None:
    slow = _net(peak16_flop_s=1e9)  # attention takes far longer than passing the keys and values
    assert run(toy_geo(), slow, toy_lay(cp=4))["cp_comm"] == 0.0


@pytest.mark.parametrize(("recompute", "a2as"), [(0, 4), (2, 6)])
def test_expert_parallel_all_to_all(recompute: int, a2as: int) -> None:
    g = toy_geo(**MOE)
    out = run(g, _net(), toy_lay(dp=16, ep=16, gb=32, recompute=recompute), dispatcher="alltoall")
    # each token goes to top_k experts: 2 x seq x top_k x h x 2 B per micro-batch, spread over 16 ranks,
    # 8 of them in this NVLink domain (7 remote there) and 8 across the scale-out network
    size = 2.0 * g.seq * g.top_k * g.hidden * 2.0
    a2a = size * 7 / 16 / (UP * EFF) + LAT_UP + size * 8 / 16 / (OUT * EFF) + LAT_OUT
    a2a /= NCCL_ALLTOALL_FACTOR  # issue 18: NCCL's all-to-all at 0.75 of a ring's bandwidth
    # dispatch and combine forward and backward (4), and again in a recomputed forward (6); 1 micro-batch
    assert out["ep_comm"] == pytest.approx(g.layers * a2as * a2a, rel=1e-12)
    assert run(toy_geo(), _net(), toy_lay(dp=16, gb=32))["ep_comm"] == 0.0


# --- the pipeline ---


@pytest.mark.parametrize(("pp", "v", "mb"), [(2, 1, 1), (4, 1, 2), (4, 2, 1), (2, 2, 2)])
def test_pipeline_bubble_is_p_minus_one_over_v_micro_batches(pp: int, v: int, mb: int) -> None:
    g = toy_geo(layers=8)
    hw = dataclasses.replace(_net(peak16_flop_s=PEAK, hbm_bytes_s=HBM, kernel_overhead_s=1e-6))
    out = run(g, hw, toy_lay(pp=pp, v=v, mb=mb, gb=16))
    m = 16 / mb
    per_mb = sum(out[k] for k in ("compute", "recompute", "tp_comm", "cp_comm", "ep_comm", "pp_p2p")) / m
    # Narayanan et al. 2021: the bubble is (p - 1) / v micro-batch times of the busiest stage
    assert out["bubble"] == pytest.approx((pp - 1) / v * per_mb, rel=1e-12)
    assert out["bubble"] / (m * per_mb) == pytest.approx((pp - 1) / (v * m), rel=1e-12)


@pytest.mark.parametrize(("tp", "crosses"), [(1, False), (8, True)])
def test_pipeline_point_to_point(tp: int, crosses: bool) -> None:
    g = toy_geo(layers=8)
    for v in (1, 2):
        out = run(g, _net(), toy_lay(pp=4, v=v, tp=tp))
        # each micro-batch sends its activations (seq x h x 2 B per GPU) forward and its gradient back, once
        # per model chunk; next stage in another NVLink domain when tp fills one
        size = 2.0 * g.seq * g.hidden * 2.0 / tp
        send = size / (OUT * EFF) + LAT_OUT if crosses else size / (UP * EFF) + LAT_UP
        assert out["pp_p2p"] == pytest.approx(2 * 2 * v * send, rel=1e-12)
        # the bubble: 3 / v micro-batch times of the stage (free but for its tensor-parallel all-reduces)
        assert out["bubble"] == pytest.approx(3 / v * (out["tp_comm"] / 2 + 2 * v * send), rel=1e-12)


def test_busiest_stage_of_an_uneven_split_sets_the_pace() -> None:
    hw = toy_hw(peak16_flop_s=PEAK)
    even = run(toy_geo(layers=8), hw, toy_lay(pp=4))
    uneven = run(toy_geo(layers=7), hw, toy_lay(pp=4))
    g = toy_geo(layers=8)
    layer = 3.0 * 4 * g.seq * sum(layer_forward_flop_per_token(g).values()) / (PEAK * EFF)
    logits = 3.0 * 4 * g.seq * logits_forward_flop_per_token(g) / (PEAK * EFF)
    assert even["compute"] == pytest.approx(2 * layer + logits, rel=1e-12)  # the last stage: 2 layers + loss
    # issue 18: 7 layers on 4 stages: the middle stages hold 2, the first and last give up the missing one
    # (Llama 3 sec. 3.3.2), so the pace is the larger of 2 layers and 1 layer with the logits
    assert uneven["compute"] == pytest.approx(max(2 * layer, layer + logits), rel=1e-12)


# --- data parallelism and the optimizer ---


def _ring(size: float, n: int, factor: float) -> float:
    """A ring collective inside one NVLink domain (n <= 8). [s]"""
    return factor * (size * (n - 1) / n / (UP * EFF) + (n - 1) * LAT_UP)


@pytest.mark.parametrize(("precision", "grad_bytes"), [("bf16", 4.0), ("fp16", 2.0)])
def test_zero0_all_reduces_the_gradients_once_per_step(precision: str, grad_bytes: float) -> None:
    g = toy_geo()
    out = run(g, _net(), toy_lay(dp=4, gb=16), precision)
    p = g.params()  # one GPU holds the whole model
    # bf16 reduces fp32 main gradients (Megatron); the ring's latency once more per layer bucket, for its
    # reduce-scatter and its all-gather half
    latency = 2 * g.layers * 3 * LAT_UP
    expected = _ring(p * grad_bytes, 4, 2.0) + latency
    assert out["dp_comm"] == pytest.approx(expected, rel=1e-12)


def test_zero1_reduce_scatters_gradients_and_gathers_parameters() -> None:
    g = toy_geo()
    out = run(g, _net(), toy_lay(dp=4, gb=16, zero=1))
    p = g.params()
    latency = 2 * g.layers * 3 * LAT_UP
    rings = _ring(p * 4.0, 4, 1.0) + _ring(p * 2.0, 4, 1.0)
    assert out["dp_comm"] == pytest.approx(rings + latency, rel=1e-12)


@pytest.mark.parametrize(("recompute", "gathers"), [(0, 2), (2, 3)])
def test_zero3_gathers_parameters_every_micro_batch(recompute: int, gathers: int) -> None:
    g = toy_geo()
    out = run(g, _net(), toy_lay(dp=4, gb=16, zero=3, recompute=recompute))
    p = g.params()
    # per micro-batch: all-gather the 16-bit weights for the forward, the backward (and the recomputed
    # forward), reduce-scatter the 16-bit gradients; ring latency once per layer and collective
    per_mb = (gathers + 1) * _ring(p * 2.0, 4, 1.0) + (gathers + 1) * g.layers * 3 * LAT_UP
    assert out["dp_comm"] == pytest.approx(2 * per_mb, rel=1e-12)


def test_overlapped_collectives_hide_behind_the_passes() -> None:
    g = toy_geo()
    slow = 0.25
    hw = _net(peak16_flop_s=1e12, overlap_slowdown=slow)  # the passes take far longer than the collectives
    lay = {"dp": 4, "gb": 16, "zero": 1}
    exposed = run(g, hw, toy_lay(**lay, dp_overlap=0))["dp_comm"]
    hidden = run(g, hw, toy_lay(**lay, dp_overlap=1))["dp_comm"]
    p = g.params()
    reduce, gather = _ring(p * 4.0, 4, 1.0), _ring(p * 2.0, 4, 1.0)
    latency = 2 * g.layers * 3 * LAT_UP
    assert exposed == pytest.approx(reduce + gather + latency, rel=1e-12)
    # the last layer's bucket stays exposed; the overlapped rest slows the passes by `slow`
    expected = (reduce + gather) / g.layers + slow * (reduce + gather) + latency
    assert hidden == pytest.approx(expected, rel=1e-12)
    # ZeRO-3 hides behind each micro-batch's work on the stage the same way
    z3 = run(g, hw, toy_lay(**{**lay, "zero": 3}, dp_overlap=1))["dp_comm"]
    z3_mb = 3 * _ring(p * 2.0, 4, 1.0)
    assert z3 == pytest.approx(2 * (z3_mb / g.layers + slow * z3_mb + 3 * g.layers * 3 * LAT_UP), rel=1e-12)


def test_overlap_needs_something_to_hide_behind() -> None:
    g, hw = toy_geo(), _net(overlap_slowdown=0.25)  # the passes are free: nothing hides the collectives
    for zero in (1, 2):
        lay = {"dp": 4, "gb": 16, "zero": zero}
        on = run(g, hw, toy_lay(**lay, dp_overlap=1))["dp_comm"]
        off = run(g, hw, toy_lay(**lay, dp_overlap=0))["dp_comm"]
        assert on == pytest.approx(off, rel=1e-12)


@pytest.mark.parametrize(("zero", "shard"), [(0, 1), (1, 8), (3, 8)])
def test_adam_step_reads_and_writes_30_bytes_per_parameter(zero: int, shard: int) -> None:
    g = toy_geo()
    out = run(g, toy_hw(hbm_bytes_s=HBM), toy_lay(dp=8, gb=16, zero=zero))
    # read master weights, m, v, gradient (16 B), write master, m, v (12 B) and the 16-bit weights (2 B)
    assert out["optimizer"] == pytest.approx(g.params() / shard * 30.0 / (HBM * EFF), rel=1e-12)


# --- what is reported with the step time ---


def test_outputs_follow_from_the_step_time() -> None:
    g = toy_geo(**MOE)
    hw = _net(peak16_flop_s=PEAK, hbm_bytes_s=HBM, kernel_overhead_s=1e-6)
    lay = toy_lay(tp=2, pp=2, dp=2, ep=2, cp=2, v=2, gb=8, mb=1, recompute=1, sp=1, zero=1, dp_overlap=1)
    out = run(g, hw, lay)
    step, gpus = out["step_time_s"], 16.0
    assert step == pytest.approx(sum(out[k] for k in BREAKDOWN_KEYS), rel=1e-12)
    assert out["tokens_per_s"] == pytest.approx(8 * g.seq / step, rel=1e-12)
    assert out["model_flop"] == float(model_flop_per_step(g, 8.0)[0])
    assert out["hardware_flop"] == float(hardware_flop_per_step(g, 8.0, 1.0)[0])
    assert out["tflops_per_gpu"] == pytest.approx(out["model_flop"] / (gpus * step) / 1e12, rel=1e-12)
    assert out["mfu"] == pytest.approx(out["model_flop"] / (gpus * step * PEAK), rel=1e-12)
    assert out["hfu"] == pytest.approx(out["hardware_flop"] / (gpus * step * PEAK), rel=1e-12)
    mem = memory_per_gpu(g, lay, "bf16")
    for kind in ("weights", "grads", "optimizer", "activations"):
        assert out[f"memory_{kind}_bytes"] == float(mem[kind][0])
    assert out["memory_bytes"] == float(mem["total"][0])


def test_fits_means_within_the_usable_memory() -> None:
    g, lay = toy_geo(), toy_lay()
    need = float(memory_per_gpu(g, lay, "bf16")["total"][0])
    exact = toy_hw(hbm_bytes=need * 2.0, usable_fraction=0.5)  # usable memory is exactly what is needed
    assert run(g, exact, lay)["fits"] == 1.0
    short = toy_hw(hbm_bytes=np.nextafter(need, 0.0) * 2.0, usable_fraction=0.5)
    assert run(g, short, lay)["fits"] == 0.0


def test_more_layouts_than_one_chunk_are_evaluated_like_each_alone() -> None:
    g, hw = toy_geo(), _net(peak16_flop_s=PEAK, hbm_bytes_s=HBM)
    kinds = toy_lay(mb=np.array([1.0, 2.0, 4.0]), gb=8, recompute=np.array([0.0, 1.0, 2.0]))
    n = 2 * CHUNK + 7
    index = np.arange(n) % 3
    many = evaluate(g, hw, kinds.take(index), "bf16")
    one_each = evaluate(g, hw, kinds, "bf16")
    for key, values in many.items():
        assert values.shape == (n,)
        np.testing.assert_array_equal(values, one_each[key][index])


def test_params_of_the_toy_model() -> None:
    # 4 layers x (4 h^2 attention + 8 h^2 FFN + 2 h norms) + 2 x 32,000 x h embeddings, h = 1,024
    g = toy_geo()
    assert g.params() == 4 * (12 * 1024**2 + 2 * 1024) + 2 * 32000 * 1024
    assert float(params_per_gpu(g, toy_lay())[0]) == g.params()


# --- boundaries and combinations the cases above leave out ---


def test_the_default_precision_is_bf16() -> None:
    g, hw, lay = toy_geo(), _net(peak16_flop_s=PEAK, hbm_bytes_s=HBM), toy_lay(dp=4, gb=16)
    default, bf16 = evaluate(g, hw, lay), evaluate(g, hw, lay, "bf16")
    assert all(np.array_equal(default[k], bf16[k]) for k in bf16)
    assert default["dp_comm"][0] != evaluate(g, hw, lay, "fp16")["dp_comm"][0]  # fp32 vs 16-bit gradients


def test_any_positive_peak_is_accepted() -> None:
    out = run(toy_geo(), toy_hw(peak16_flop_s=1.0), toy_lay())  # 1 FLOP/s: slow, but a peak
    assert out["step_time_s"] > 1e9


def test_memory_bound_mixture_of_experts() -> None:
    g, hw = toy_geo(**MOE), toy_hw(hbm_bytes_s=HBM)
    out = run(g, hw, toy_lay(fused=1.0), "fp8")
    dense = toy_geo(ffn=g.moe_ffn * g.top_k)  # the same layer with one dense FFN of top_k x moe_ffn
    expected = _memory_bound_bytes(dense, 2.0, 1.0, True)
    tok, h, f, e = 2.0 * g.seq, g.hidden, g.moe_ffn, g.experts
    ffn_dense = _gemm_bytes(tok, f * 2, h, 1.0) + _gemm_bytes(tok, h, f * 2, 1.0)
    # 8 experts, each on top_k / experts of the tokens, and the router's 16-bit GEMM (tokens x experts)
    m_e = tok * g.top_k / e
    experts = e * (_gemm_bytes(m_e, f, h, 1.0) + _gemm_bytes(m_e, h, f, 1.0)) + _gemm_bytes(tok, e, h, 2.0)
    expected += g.layers * 3.0 * (experts - ffn_dense)
    assert out["compute"] == pytest.approx(2 * expected / (HBM * EFF), rel=1e-12)


def test_context_parallel_of_two() -> None:
    g = toy_geo()
    out = run(g, _net(), toy_lay(cp=2))
    size = 2.0 * (2 * g.seq / 2) * 2.0 * g.kv_heads * g.head_dim
    step = size / (UP * EFF) + LAT_UP  # one step of the ring: the other half's keys and values
    assert out["cp_comm"] == pytest.approx(2 * g.layers * 3 * step, rel=1e-12)


def test_context_parallel_ring_partly_hidden_behind_attention() -> None:
    g = toy_geo()
    hw = _net(peak16_flop_s=PEAK)  # unfused attention at the achieved peak; everything else free
    out = run(g, hw, toy_lay(cp=4))
    s_q = g.seq / 4
    core = 2 * g.heads * 2 * (2.0 * s_q * g.seq * g.head_dim) / (PEAK * EFF)  # QK^T and x V, 2 sequences
    size = 2.0 * (2 * s_q) * 2.0 * g.kv_heads * g.head_dim
    ring = 3 * (size / (UP * EFF) + LAT_UP)
    assert ring > 2 * core  # exposed: what the attention does not cover, forward and twice backward
    assert out["cp_comm"] == pytest.approx(2 * g.layers * 3 * (ring - core), rel=1e-12)


def test_expert_parallel_next_to_tensor_and_context_parallel() -> None:
    g = toy_geo(**MOE)
    out = run(g, _net(), toy_lay(tp=2, cp=2, dp=4, ep=4, gb=8), dispatcher="alltoall")
    # issue 18, MoE parallel folding: expert ranks are etp = tp = 2 apart, so all 4 share a domain of 8
    size = (2 * g.seq / 2) * g.top_k * g.hidden * 2.0 / 2  # 2 sequences of seq / cp tokens, 2 B, over tp
    a2a = (size * 3 / 4 / (UP * EFF) + LAT_UP) / NCCL_ALLTOALL_FACTOR
    assert out["ep_comm"] == pytest.approx(g.layers * 4 * a2a, rel=1e-12)


def test_all_to_all_between_two_ranks() -> None:
    g = toy_geo(**MOE)
    out = run(g, _net(), toy_lay(dp=2, ep=2, gb=8), dispatcher="alltoall")
    size = 2.0 * g.seq * g.top_k * g.hidden * 2.0
    one = (size / 2 / (UP * EFF) + LAT_UP) / NCCL_ALLTOALL_FACTOR  # issue 18: NCCL all-to-all factor
    assert out["ep_comm"] == pytest.approx(2 * g.layers * 4 * one, rel=1e-12)


@pytest.mark.parametrize(("tp", "cp", "dp"), [(1, 2, 4), (2, 2, 2)])
def test_pipeline_neighbours_are_a_replica_apart(tp: int, cp: int, dp: int) -> None:
    # the next stage is tp x cp x dp = 8 ranks away: in the next NVLink domain of 8
    g = toy_geo()
    out = run(g, _net(), toy_lay(pp=2, tp=tp, cp=cp, dp=dp, gb=2 * dp))
    size = (2 * g.seq / cp) * g.hidden * 2.0 / tp
    assert out["pp_p2p"] == pytest.approx(2 * (size / (OUT * EFF) + LAT_OUT), rel=1e-12)


def test_data_parallel_ranks_are_tp_x_cp_apart() -> None:
    g = toy_geo()
    out = run(g, _net(), toy_lay(tp=2, cp=2, dp=4, gb=8, zero=1))
    p = float(params_per_gpu(g, toy_lay(tp=2))[0])
    # issue 18: the gradients are reduced over the dp x cp = 8 ranks that hold the same weights (Megatron's
    # data-parallel group with context parallelism), tp = 2 apart: 4 per domain, over min(4, 2 rails) NICs
    rails = 2

    def ring(size: float) -> float:
        intra = size * 3 / 4 / (UP * EFF) + 3 * LAT_UP
        return intra + size / rails / 2 / (OUT * EFF) + LAT_OUT

    latency = 2 * g.layers * (3 * LAT_UP + LAT_OUT)
    assert out["dp_comm"] == pytest.approx(ring(p * 4.0) + ring(p * 2.0) + latency, rel=1e-12)


def test_overlap_hides_exactly_the_forward_and_backward_windows() -> None:
    # a slow scale-out network: the data-parallel collectives outlast everything they can hide behind
    g = toy_geo(**MOE)
    hw = dataclasses.replace(_net(peak16_flop_s=PEAK), scaleout_bytes_s=1e8)
    cols = {"tp": 2, "cp": 2, "pp": 2, "dp": 4, "ep": 2, "gb": 8, "recompute": 1, "zero": 1}
    on = run(g, hw, toy_lay(**cols, dp_overlap=1))
    off = run(g, hw, toy_lay(**cols, dp_overlap=0))
    m = 1.0  # one micro-batch of 2 sequences per replica
    assert min(on[k] for k in ("recompute", "tp_comm", "cp_comm", "ep_comm", "bubble")) > 0
    logits = 3 * 2 * (2 * g.seq / 2) * (g.vocab / 2) * g.hidden / (PEAK * EFF)  # on the last stage
    # one micro-batch's forward and backward on the stage (with recompute and in-layer communication)
    # plus half the pipeline bubble each: the windows of the parameter gather and the gradient reduce
    windows = (on["compute"] + on["recompute"] + on["tp_comm"] + on["cp_comm"] + on["ep_comm"]) / m
    windows += -logits + on["bubble"]
    assert off["dp_comm"] - on["dp_comm"] == pytest.approx(windows, rel=1e-9)
