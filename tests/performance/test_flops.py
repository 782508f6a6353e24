"""FLOP formulas against hand-worked values (Narayanan et al. 2021, Eq. 3)."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.performance.flops import (
    hardware_flop_per_step,
    layer_forward_flop_per_token,
    logits_forward_flop_per_token,
    model_flop_per_step,
    narayanan_eq3_flop,
)
from megacluster.performance.spec import TrainingSpec, geometry


def _gpt(layers: int, hidden: int, heads: int, vocab: int = 51200) -> TrainingSpec:
    return TrainingSpec(
        params_b=12 * layers * hidden**2 / 1e9,
        layers=layers,
        hidden=hidden,
        heads=heads,
        ffn_hidden=4 * hidden,
        seq_len=2048,
        vocab=vocab,
        gpu="a100-sxm4-80gb",
        gpus=8,
        global_batch=512,
    )


def test_eq3_hand_worked_value() -> None:
    # N21-T1-1: 96*512*2048*24*2304^2*(1+2048/13824+51200/884736) = 1.5467e16 (published_runs.csv derivation)
    assert narayanan_eq3_flop(512, 2048, 24, 2304, 51200) == pytest.approx(1.5467e16, rel=1e-4)


@pytest.mark.parametrize(("layers", "hidden", "heads"), [(24, 2304, 24), (96, 12288, 96), (128, 25600, 160)])
def test_full_recompute_hardware_flop_is_eq3(layers: int, hidden: int, heads: int) -> None:
    g = geometry(_gpt(layers, hidden, heads))
    hw = hardware_flop_per_step(g, 512.0, 2.0)
    assert float(hw[0]) == pytest.approx(narayanan_eq3_flop(512, 2048, layers, hidden, 51200), rel=1e-12)


def test_model_flop_is_three_quarters_of_eq3_without_logit_recompute() -> None:
    # model FLOP = 72*B*s*l*h^2*(1 + s/6h + V/12lh): forward+backward, no recompute
    b, s, n_layers, h, v = 512, 2048, 24, 2304, 51200
    g = geometry(_gpt(n_layers, h, 24))
    expected = 72.0 * b * s * n_layers * h**2 * (1 + s / (6 * h) + v / (12 * n_layers * h))
    assert float(model_flop_per_step(g, b)[0]) == pytest.approx(expected, rel=1e-12)


def test_selective_recompute_adds_only_attention_core() -> None:
    b, s, n_layers, h = 4, 2048, 48, 6144
    g = geometry(_gpt(n_layers, h, 64))
    extra = hardware_flop_per_step(g, b, 1.0) - model_flop_per_step(g, b)
    assert float(extra[0]) == pytest.approx(
        4.0 * s * h * n_layers * b * s, rel=1e-12
    )  # QK^T and AV: 4*s*h per token


def test_moe_flop_follows_active_parameters() -> None:
    spec = _gpt(32, 4096, 32).model_copy(
        update={
            "moe_experts": 8,
            "moe_top_k": 2,
            "moe_ffn_hidden": 14336,
            "ffn_hidden": 14336,
            "params_b": 47,
        }
    )
    g = geometry(spec)
    tokens = 1024.0 * 2048
    six_n = 6.0 * g.active_params() * tokens
    assert float(model_flop_per_step(g, 1024.0)[0]) == pytest.approx(six_n, rel=0.15)
    assert g.active_params() < 0.4 * g.params()


def test_vectorised_over_batches() -> None:
    g = geometry(_gpt(24, 2304, 24))
    out = model_flop_per_step(g, np.array([1.0, 2.0, 4.0]))
    assert out[1] == pytest.approx(2 * out[0]) and out[2] == pytest.approx(4 * out[0])


def test_layer_flop_by_part_gated_gqa() -> None:
    # Llama-3-8B-like: h = 4,096, 32 query heads, 8 key/value heads of 128, SwiGLU FFN of 14,336
    g = geometry(
        _gpt(32, 4096, 32).model_copy(update={"kv_heads": 8, "ffn_hidden": 14336, "ffn_gated": True})
    )
    parts = layer_forward_flop_per_token(g)
    h, kv = 4096, 8 * 128
    assert parts["proj"] == 2 * h * (h + 2 * kv) + 2 * h * h  # q, k, v in; o out: 2 FLOP per weight
    assert parts["core"] == 4 * 2048 * h  # QK^T and x V over the whole (non-causal) sequence
    assert parts["ffn"] == 2 * 3 * h * 14336  # gate, up, down
    assert logits_forward_flop_per_token(g) == 2 * h * 51200


def test_moe_layer_flop_counts_top_k_experts_and_the_router() -> None:
    spec = _gpt(32, 4096, 32).model_copy(
        update={"moe_experts": 8, "moe_top_k": 2, "moe_ffn_hidden": 14336, "ffn_gated": True, "params_b": 47}
    )
    parts = layer_forward_flop_per_token(geometry(spec))
    assert parts["ffn"] == 2 * 2 * 3 * 4096 * 14336 + 2 * 4096 * 8


def test_no_recompute_adds_no_hardware_flop() -> None:
    g = geometry(_gpt(24, 2304, 24))
    rc = np.array([0.0, 1.0, 2.0])
    hw = hardware_flop_per_step(g, 512.0, rc)
    model = float(model_flop_per_step(g, 512.0)[0])
    assert hw[0] == model and hw[1] > model and hw[2] > hw[1]


def test_eq3_exact_arithmetic() -> None:
    # 96 B s l h^2 (1 + s/6h + V/16lh) with B = 1, s = 6, l = 1, h = 1, V = 16: 96 x 6 x (1 + 1 + 1)
    assert narayanan_eq3_flop(1, 6, 1, 1, 16) == 96 * 6 * 3
    # and the GPT-3 175B row of Narayanan et al. 2021 Table 2: 4.5110e18 FLOP per step of 1,536 sequences
    assert narayanan_eq3_flop(1536, 2048, 96, 12288, 51200) == pytest.approx(4.5110e18, rel=1e-4)
