"""Mixture-of-experts from first principles (issue 18 item 1): grouped GEMMs by tokens per expert, load
imbalance, shared experts, token dispatch over NVLink and the network (per copy, or once per domain), its
overlap, expert memory sharded by EP, and the host synchronisation of dropless routing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from megacluster.performance.kernels import GEMM_TILE_ROWS, gemm_time
from megacluster.performance.layout import Execution, Layout, MoeDispatcher
from megacluster.performance.memory import expert_data_parallel, memory_per_gpu, param_split
from megacluster.performance.moe import dispatch_time, expert_rows, moe_forward
from megacluster.performance.params import hardware
from megacluster.performance.spec import Geometry
from megacluster.performance.step_time import BREAKDOWN_KEYS, evaluate

DSV3 = Geometry(
    layers=61, hidden=7168, heads=128, kv_heads=128, head_dim=128, ffn=18432, gated=True, seq=4096,
    vocab=129280, experts=256, top_k=8, moe_ffn=2048, tied=False, shared_experts=1, dense_layers=3,
    q_lora_rank=1536, kv_lora_rank=512, qk_rope_dim=64, v_head_dim=128, group_topk=4,
)  # fmt: skip


def _lay(**changes: float) -> Layout:
    cols: dict[str, float] = {
        "tp": 1, "pp": 16, "dp": 128, "cp": 1, "ep": 64, "v": 1, "mb": 1, "gb": 1024, "recompute": 0,
        "sp": 0, "zero": 1, "dp_overlap": 1, "fused": 1,
    }  # fmt: skip
    return Layout.build(**{**cols, **changes})


def _ex(**changes: object) -> Execution:
    return Execution(**{"precision": "bf16", "moe_imbalance": 1.0, **changes})  # type: ignore[arg-type]


def test_tokens_per_expert_follow_the_folded_layout() -> None:
    tok = np.array([4096.0])
    # each rank routes its 4,096 tokens to 8 of 256 experts; 64 ranks share the experts: 4 local experts,
    # 4096 x 8 x 64 / 256 = 8,192 rows each when balanced, 10 % more on the busiest rank
    assert float(expert_rows(DSV3, _lay(), tok, 1.0)[0]) == 8192.0
    assert float(expert_rows(DSV3, _lay(), tok, 1.1)[0]) == pytest.approx(9011.2)
    # with tp = 2 under sequence parallelism each rank routes half the tokens; etp = 2 doubles them back
    assert float(expert_rows(DSV3, _lay(tp=2, dp=64, etp=1), tok, 1.0)[0]) == 4096.0
    assert float(expert_rows(DSV3, _lay(tp=2, dp=64, etp=2), tok, 1.0)[0]) == 8192.0


def test_small_expert_gemms_run_further_below_peak() -> None:
    # The roofline is additive (FLOP time + operand traffic time, docs/performance.md "How the model
    # works"), and the calibrated gemm_efficiency absorbs it: a medium GEMM reaches ~0.86 of the calibrated
    # rate, a huge one ~0.96.
    hw = hardware("h100-sxm")
    rate, hbm = hw.gemm_rate_flop_s("bf16"), hw.hbm_bytes_s * hw.hbm_efficiency

    def achieved(rows: float, n: float = 2048, k: float = 7168) -> float:
        return 2 * rows * n * k / float(gemm_time(rows, n, k, rate, hbm, 2.0))

    # by hand, 8,192 x 2,048 x 7,168: FLOP 2.405e11 / 6.431e14 = 374.0 us; traffic 2 B x (8192x7168 +
    # 7168x2048) + 2 B x 8192x2048 = 180.4 MB / 2.8475e12 B/s = 63.4 us -> 374.0 / 437.4 = 0.855 of the rate
    big, small, ragged = achieved(8192), achieved(256), achieved(GEMM_TILE_ROWS + 1)
    assert big / rate == pytest.approx(0.8552, abs=5e-4)
    assert achieved(16384, 16384, 16384) > 0.95 * rate  # the asymptote is the calibrated rate
    assert small < 0.6 * big  # weight traffic dominates a small one (the grouped-GEMM efficiency curve)
    assert ragged < 0.55 * achieved(2 * GEMM_TILE_ROWS)  # 129 rows pay for two tiles


def test_imbalance_slows_the_experts_in_proportion() -> None:
    hw = hardware("h800-sxm")
    tok = np.array([4096.0])
    rates = (
        hw.gemm_rate_flop_s("bf16"),
        hw.gemm_rate_flop_s("bf16"),
        hw.hbm_bytes_s * hw.hbm_efficiency,
        2.0,
    )
    no_shared = dataclasses.replace(DSV3, shared_experts=0)
    even = moe_forward(no_shared, hw, _lay(), tok, rates, 1.0)
    skewed = moe_forward(no_shared, hw, _lay(), tok, rates, 1.5)
    router = float(gemm_time(tok, 256.0, 7168, rates[1], rates[2], 2.0)[0])
    assert float(skewed.ffn[0]) - router == pytest.approx(1.5 * (float(even.ffn[0]) - router), rel=0.01)
    shared = moe_forward(DSV3, hw, _lay(), tok, rates, 1.0)
    assert float(shared.ffn[0]) > float(even.ffn[0])  # the shared expert computes every token


def test_deepep_sends_a_token_once_per_domain() -> None:
    hw = hardware("h800-sxm")
    copies = np.array([4096.0 * 8])
    g = dataclasses.replace(DSV3, group_topk=0)
    per_copy = float(dispatch_time(g, hw, _lay(), copies, MoeDispatcher.ALLTOALL, False)[0])
    once = float(dispatch_time(g, hw, _lay(), copies, MoeDispatcher.DEEPEP, False)[0])
    limited = float(dispatch_time(DSV3, hw, _lay(), copies, MoeDispatcher.DEEPEP, False)[0])
    fp8 = float(dispatch_time(DSV3, hw, _lay(), copies, MoeDispatcher.DEEPEP, True)[0])
    # 64 ranks over 8 domains: a token's 8 experts lie in 8 (1 - (7/8)^8) = 5.25 domains, 4.6 others;
    # at most 4 groups (node-limited routing): 3.5 others; FP8 halves the dispatch
    assert once < 0.5 * per_copy
    assert limited < once and fp8 < limited
    out = hw.scaleout_bytes_s * hw.alltoall_efficiency
    reach = 7 * (1 - (7 / 8) ** 8)
    assert once == pytest.approx(2 * (4096 * reach * 7168 * 2 / out + hw.scaleout_latency_s), rel=1e-9)


def test_nvl72_keeps_wide_expert_parallelism_on_nvlink() -> None:
    copies = np.array([4096.0 * 8])
    lay = _lay(pp=8, dp=32, ep=32)
    nvl72 = hardware("gb200")
    hgx = dataclasses.replace(nvl72, domain_gpus=8)  # the same GPU in 8-GPU domains
    inside = float(dispatch_time(DSV3, nvl72, lay, copies, MoeDispatcher.DEEPEP, False)[0])
    across = float(dispatch_time(DSV3, hgx, lay, copies, MoeDispatcher.DEEPEP, False)[0])
    assert across > 3 * inside
    up = nvl72.scaleup_bytes_s * nvl72.alltoall_efficiency
    one_way = 4096 * 8 * 31 / 32 * 7168 * 2 / up + nvl72.scaleup_latency_s
    assert inside == pytest.approx(2 * one_way, rel=1e-9)


def test_overlap_hides_the_all_to_alls_behind_other_micro_batches() -> None:
    hw = hardware("h800-sxm")
    lay = _lay(gb=2048)
    plain = evaluate(DSV3, hw, lay, "bf16", _ex())
    hidden = evaluate(DSV3, hw, lay, "bf16", _ex(moe_overlap=True))
    assert float(hidden["ep_comm"][0]) < 0.5 * float(plain["ep_comm"][0])
    assert float(hidden["step_time_s"][0]) < float(plain["step_time_s"][0])


def test_every_moe_term_is_reported_and_the_terms_add_up() -> None:
    out = evaluate(DSV3, hardware("h800-sxm"), _lay(), "bf16", _ex(moe_imbalance=1.1))
    assert all(float(out[k][0]) > 0 for k in ("compute", "ep_comm", "moe_dispatch", "pp_p2p", "bubble"))
    total = sum(float(out[k][0]) for k in BREAKDOWN_KEYS)
    assert total == pytest.approx(float(out["step_time_s"][0]), rel=1e-12)


def test_expert_weights_and_states_are_sharded_by_ep() -> None:
    lay = _lay(ep=np.array([8.0, 64.0]))
    dense, expert = param_split(DSV3, lay)
    assert float(expert[0]) == pytest.approx(8 * float(expert[1]))  # split over ep
    assert float(dense[0]) == float(dense[1])
    np.testing.assert_allclose(expert_data_parallel(lay), [16.0, 2.0])  # 128 ranks / ep
    mem = memory_per_gpu(DSV3, lay, "bf16")
    assert float(mem["weights"][1]) < float(mem["weights"][0])
    # ZeRO-1: expert optimizer states over the expert data-parallel ranks, dense ones over dp
    expected = 12 * (float(dense[1]) / 128 + float(expert[1]) / 2)
    assert float(mem["optimizer"][1]) == pytest.approx(expected, rel=1e-12)


def test_dropless_routing_exposes_the_host_when_the_gpu_is_faster() -> None:
    tiny = dataclasses.replace(
        DSV3, hidden=1024, heads=8, kv_heads=8, head_dim=128, ffn=1024, moe_ffn=256, vocab=1000, layers=4,
        dense_layers=0, q_lora_rank=0, kv_lora_rank=0, qk_rope_dim=0, v_head_dim=0, seq=256,
    )  # fmt: skip
    lay = _lay(pp=1, dp=8, ep=8, gb=8)
    hw = hardware("gb200")
    slow_host = evaluate(tiny, dataclasses.replace(hw, host_overhead_s=20e-6), lay, "bf16", _ex())
    no_host = evaluate(tiny, dataclasses.replace(hw, host_overhead_s=0.0), lay, "bf16", _ex())
    assert float(no_host["host_overhead"][0]) == 0.0
    assert float(slow_host["host_overhead"][0]) > 0.3 * float(slow_host["step_time_s"][0])
    graphs = evaluate(
        tiny, dataclasses.replace(hw, host_overhead_s=20e-6), lay, "bf16", _ex(cuda_graphs=True)
    )
    assert float(graphs["host_overhead"][0]) < float(slow_host["host_overhead"][0])  # experts stay dynamic
