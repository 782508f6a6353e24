"""Memory formulas against hand-worked values (Korthikanti et al. 2022; Rajbhandari et al. 2020)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from megacluster.performance.layout import Layout
from megacluster.performance.memory import (
    activation_bytes_per_layer,
    checkpoint_bytes,
    checkpoint_bytes_for,
    grad_bytes_per_param,
    layer_params,
    memory_per_gpu,
    params_per_gpu,
    stage_layers,
)
from megacluster.performance.spec import Geometry, TrainingSpec, geometry
from performance.geometry_args import shape_of

S, B, H, A = 2048, 1, 12288, 96  # GPT-3 175B, one sequence per micro-batch
SBH = S * B * H


def _layout(tp: int, sp: int, recompute: int, zero: int = 0, dp: int = 1) -> Layout:
    return Layout.build(
        tp=tp,
        pp=1,
        dp=dp,
        cp=1,
        ep=1,
        v=1,
        mb=B,
        gb=B * dp,
        recompute=recompute,
        sp=sp,
        zero=zero,
        dp_overlap=0,
        fused=0,
    )


@pytest.fixture
def g175(gpt3_spec: TrainingSpec) -> Geometry:
    return geometry(gpt3_spec)


def test_no_recompute_no_parallelism(g175: Geometry) -> None:
    # s*b*h*(34 + 5*a*s/h) = 25,165,824 * (34 + 80) = 2,868,903,936 bytes
    act = activation_bytes_per_layer(g175, _layout(1, 0, 0), np.zeros(1))
    assert float(act[0]) == pytest.approx(SBH * (34 + 5 * A * S / H)) == 2_868_903_936


def test_tensor_parallel_without_sp(g175: Geometry) -> None:
    # s*b*h*(10 + 24/t + 5*a*s/(h*t)) with t = 8: 25,165,824 * (10 + 3 + 10) = 578,813,952
    act = activation_bytes_per_layer(g175, _layout(8, 0, 0), np.zeros(1))
    assert float(act[0]) == pytest.approx(578_813_952)


def test_tensor_and_sequence_parallel(g175: Geometry) -> None:
    # s*b*h*(34 + 5*a*s/h)/t = 2,868,903,936 / 8
    act = activation_bytes_per_layer(g175, _layout(8, 1, 0), np.zeros(1))
    assert float(act[0]) == pytest.approx(2_868_903_936 / 8)


def test_selective_recompute_with_sp(g175: Geometry) -> None:
    # 34*s*b*h/t = 106,954,752
    act = activation_bytes_per_layer(g175, _layout(8, 1, 1), np.ones(1))
    assert float(act[0]) == pytest.approx(34 * SBH / 8) == 106_954_752


def test_full_recompute_keeps_layer_inputs(g175: Geometry) -> None:
    act = activation_bytes_per_layer(g175, _layout(8, 0, 2), np.full(1, 2.0))
    assert float(act[0]) == pytest.approx(2 * SBH)


def test_zero_stages_shard_model_states(g175: Geometry) -> None:
    mems = [memory_per_gpu(g175, _layout(8, 1, 1, zero=z, dp=64), "fp16") for z in range(4)]
    p = float(mems[0]["weights"][0]) / 2.0  # 16-bit weights
    assert float(mems[0]["optimizer"][0]) == pytest.approx(12 * p)  # fp32 master + Adam m, v
    assert float(mems[1]["optimizer"][0]) == pytest.approx(12 * p / 64)
    assert float(mems[2]["grads"][0]) == pytest.approx(2 * p / 64)
    assert float(mems[3]["weights"][0]) < float(mems[2]["weights"][0]) / 8
    totals = [float(m["total"][0]) for m in mems]
    assert totals == sorted(totals, reverse=True)


def test_checkpoint_is_fourteen_bytes_per_parameter(g175: Geometry) -> None:
    assert checkpoint_bytes(g175) == pytest.approx(14 * g175.params())
    assert g175.params() == pytest.approx(175e9, rel=0.02)


def _lay(**changes: float) -> Layout:
    cols: dict[str, float] = {
        "tp": 1, "pp": 1, "dp": 1, "cp": 1, "ep": 1, "v": 1, "mb": 1, "gb": 1,
        "recompute": 0, "sp": 0, "zero": 0, "dp_overlap": 0, "fused": 0,
    }  # fmt: skip
    return Layout.build(**{**cols, **changes})


def test_layer_parameters_of_gpt3() -> None:
    # 12 h^2 per layer (Narayanan et al. 2021, Eq. 2, without biases) + two norm gains (2 h)
    g = shape_of(96, 12288, 96, 96, 128, 49152, False, 2048, 51200, 0, 0, 49152, False)
    assert layer_params(g) == (12 * 12288**2 + 2 * 12288, 0.0)
    assert g.params() == 96 * (12 * 12288**2 + 2 * 12288) + 2 * 51200 * 12288  # 175.2e9, untied embeddings


def test_layer_parameters_gated_gqa_and_moe() -> None:
    h, kv = 4096, 8 * 128
    gqa = shape_of(32, h, 32, 8, 128, 14336, True, 4096, 128256, 0, 0, 14336, False)
    # q and o: 2 h^2; k and v: 2 h kv; three FFN matrices (SwiGLU); two norms
    assert layer_params(gqa) == (2 * h * h + 2 * h * kv + 3 * h * 14336 + 2 * h, 0.0)
    moe = shape_of(32, h, 32, 8, 128, 14336, True, 4096, 32000, 8, 2, 14336, False)
    # the router (h x experts) is dense; 8 experts of three h x 14,336 matrices
    assert layer_params(moe) == (2 * h * h + 2 * h * kv + 2 * h + h * 8, 8 * 3 * h * 14336)


def test_stage_layers_is_the_largest_share() -> None:
    g = shape_of(30, 1024, 16, 16, 64, 4096, False, 2048, 32000, 0, 0, 4096, False)
    got = stage_layers(g, _lay(pp=np.array([1.0, 4.0, 4.0, 8.0]), v=np.array([1.0, 1.0, 2.0, 2.0])))
    # 30 layers: all on one stage; ceil(30/4) = 8; 2 chunks of ceil(30/8) = 4; 2 chunks of ceil(30/16) = 2
    np.testing.assert_array_equal(got, [30.0, 8.0, 8.0, 4.0])


def test_params_per_gpu_split_and_embeddings(g175: Geometry) -> None:
    dense, _ = layer_params(g175)
    emb = g175.vocab * g175.hidden
    one = params_per_gpu(g175, _lay())
    assert float(one[0]) == g175.params()  # untied: input and output embeddings on the one stage
    tied = params_per_gpu(replace(g175, tied=True), _lay())
    assert float(tied[0]) == g175.params() - emb
    # 8 stages of 12 layers: a stage holds its layers and one embedding (first or last), split over tp
    staged = params_per_gpu(g175, _lay(tp=8, pp=8))
    assert float(staged[0]) == pytest.approx((12 * dense + emb) / 8, rel=1e-15)


def test_expert_parameters_split_over_expert_parallel_ranks() -> None:
    moe = shape_of(4, 1024, 16, 16, 64, 4096, False, 2048, 32000, 8, 2, 2048, False)
    dense, expert = layer_params(moe)
    got = params_per_gpu(moe, _lay(tp=2, dp=4, ep=4, gb=4))
    assert float(got[0]) == pytest.approx((4 * (dense / 2 + expert / 8) + 2 * 32000 * 1024 / 2), rel=1e-15)


def test_gradient_bytes() -> None:
    lay = _lay(zero=np.array([0.0, 2.0, 3.0]))
    # bf16 keeps fp32 main gradients unless ZeRO-3 shards them in 16 bit; fp16 and fp8 reduce 16-bit ones
    np.testing.assert_array_equal(grad_bytes_per_param(lay, "bf16"), [4.0, 4.0, 2.0])
    np.testing.assert_array_equal(grad_bytes_per_param(lay, "fp16"), [2.0, 2.0, 2.0])


def test_activations_with_context_parallel_and_micro_batches(g175: Geometry) -> None:
    base = float(activation_bytes_per_layer(g175, _layout(8, 1, 1), np.ones(1))[0])
    cp2 = Layout.build(**{**_layout(8, 1, 1).__dict__, "cp": 2})
    mb4 = Layout.build(**{**_layout(8, 1, 1).__dict__, "mb": 4})
    assert float(activation_bytes_per_layer(g175, cp2, np.ones(1))[0]) == pytest.approx(base / 2)
    assert float(activation_bytes_per_layer(g175, mb4, np.ones(1))[0]) == pytest.approx(4 * base)


def test_fused_attention_stores_no_scores(g175: Geometry) -> None:
    fused = Layout.build(**{**_layout(8, 0, 0).__dict__, "fused": 1})
    # issue 18: FlashAttention keeps Q, K, V (2 B each) and the output, no scores and no dropout masks: the
    # norm, QKV and FFN inputs 8 + (Q 2 + K, V 4 + output 2 + FFN 4 x 4h/h) / 8 = 11
    assert float(activation_bytes_per_layer(g175, fused, np.zeros(1))[0]) == pytest.approx(SBH * 11)


def test_gated_ffn_activations(g175: Geometry) -> None:
    gated = replace(g175, gated=True, ffn=32768)
    # 8 + 6 f / h bytes per token and hidden unit split by tp: 8 + 6 x 32,768 / 12,288 = 24
    act = activation_bytes_per_layer(gated, _layout(8, 1, 1), np.ones(1))
    assert float(act[0]) == pytest.approx(34 * SBH / 8)


def test_full_recompute_with_sequence_parallel_splits_the_inputs(g175: Geometry) -> None:
    act = activation_bytes_per_layer(g175, _layout(8, 1, 2), np.full(1, 2.0))
    assert float(act[0]) == pytest.approx(2 * SBH / 8)


def test_activations_in_flight_on_the_first_stage(g175: Geometry) -> None:
    # 1F1B: the first stage holds pp micro-batches (fewer if there are fewer), 1 + (p-1)/(p v) more when
    # interleaved (Narayanan et al. 2021); the fp32 logits of one micro-batch (8 B per token and word) only
    # with one stage (issue 18: they live on the last stage, which holds a single micro-batch)
    per_layer = float(activation_bytes_per_layer(g175, _layout(8, 1, 1), np.ones(1))[0])
    logits = 8.0 * S * B * g175.vocab / 8
    for pp, v, gb, in_flight in [
        (8, 1, 64, 8.0),
        (8, 1, 2, 2.0),
        (8, 3, 64, 8.0 * (1 + 7 / 24)),
        (1, 1, 4, 1.0),
    ]:
        lay = _lay(tp=8, pp=pp, v=v, gb=gb, recompute=1, sp=1)
        layers = 96 / pp
        mem = memory_per_gpu(g175, lay, "fp16")
        assert float(mem["activations"][0]) == pytest.approx(
            per_layer * layers * in_flight + (logits if pp == 1 else 0.0), rel=1e-12
        )


def test_full_recompute_needs_one_layer_of_working_activations(g175: Geometry) -> None:
    lay = _lay(tp=8, pp=8, gb=64, recompute=2, sp=1)
    mem = memory_per_gpu(g175, lay, "fp16")
    stored = 2 * SBH / 8 * 12 * 8  # layer inputs of 12 layers for 8 micro-batches in flight
    working = SBH * (34 + 5 * A * S / H) / 8  # one layer's activations during its recomputation
    assert float(mem["activations"][0]) == pytest.approx(stored + working, rel=1e-12)  # logits: last stage


def test_zero_stage_memory_by_hand(g175: Geometry) -> None:
    dense, _ = layer_params(g175)
    lay = _lay(tp=8, pp=8, dp=64, gb=64, zero=np.array([0.0, 1.0, 2.0, 3.0]), recompute=1, sp=1)
    p = float(params_per_gpu(g175, lay)[0])
    mem = memory_per_gpu(g175, lay, "bf16")
    np.testing.assert_allclose(mem["optimizer"], [12 * p, 12 * p / 64, 12 * p / 64, 12 * p / 64], rtol=1e-12)
    np.testing.assert_allclose(mem["grads"], [4 * p, 4 * p, 4 * p / 64, 2 * p / 64], rtol=1e-12)
    # ZeRO-3 shards the weights but gathers two layers at a time (the one running, the one prefetched)
    gathered = 2 * dense / 8 * 2
    np.testing.assert_allclose(mem["weights"], [2 * p, 2 * p, 2 * p, 2 * p / 64 + gathered], rtol=1e-12)
    total = mem["weights"] + mem["grads"] + mem["optimizer"] + mem["activations"] + mem["workspace"]
    np.testing.assert_allclose(mem["total"], total, rtol=1e-15)  # issue 18: and 2 GiB of workspace


def test_checkpoint_size_of_a_parameter_count() -> None:
    assert checkpoint_bytes_for(405e9) == 405e9 * 14  # Llama 3 405B: 5.67 TB
    assert checkpoint_bytes_for(0) == 0.0
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="non-negative"):
            checkpoint_bytes_for(bad)


def test_two_pipeline_stages_hold_one_embedding_each(g175: Geometry) -> None:
    dense, _ = layer_params(g175)
    got = params_per_gpu(g175, _lay(pp=2))
    assert float(got[0]) == 48 * dense + g175.vocab * g175.hidden
    assert replace(g175, tied=True).params() == g175.params() - g175.vocab * g175.hidden


def test_moe_activations_follow_the_active_ffn_width() -> None:
    moe = shape_of(4, 1024, 16, 16, 64, 4096, False, 2048, 32000, 8, 2, 1536, False)
    lay = Layout.build(**{**_layout(1, 0, 1).__dict__})
    sbh = 2048 * 1024
    # 10 + 8 + 4 x (top_k x moe_ffn) / h bytes per token and hidden unit: 10 + 8 + 4 x 3 = 30
    assert float(activation_bytes_per_layer(moe, lay, np.ones(1))[0]) == sbh * 30


def test_attention_scores_scale_with_the_micro_batch(g175: Geometry) -> None:
    one = float(activation_bytes_per_layer(g175, _layout(8, 0, 0), np.zeros(1))[0])
    two = Layout.build(**{**_layout(8, 0, 0).__dict__, "mb": 2})
    assert float(activation_bytes_per_layer(g175, two, np.zeros(1))[0]) == 2 * one
    fused = Layout.build(**{**_layout(8, 0, 0).__dict__, "fused": 1})
    assert float(activation_bytes_per_layer(g175, fused, np.zeros(1))[0]) == SBH * 11  # no scores (issue 18)


def test_two_interleaved_chunks_add_half_a_stage_of_activations(g175: Geometry) -> None:
    per_layer = float(activation_bytes_per_layer(g175, _layout(8, 1, 1), np.ones(1))[0])
    mem = memory_per_gpu(g175, _lay(tp=8, pp=4, v=2, gb=64, recompute=1, sp=1), "fp16")
    in_flight = 4 * (1 + 3 / 8)  # 1 + (p - 1) / (p v); the logits sit on the last stage (issue 18)
    assert float(mem["activations"][0]) == pytest.approx(per_layer * 24 * in_flight, rel=1e-12)


def test_logits_memory_per_micro_batch_and_context_rank(g175: Geometry) -> None:
    base = {"tp": 8, "pp": 1, "gb": 64, "recompute": 2, "sp": 1}  # one stage: it holds the logits (issue 18)

    def logits(**changes: float) -> float:
        lay = _lay(**{**base, **changes})
        mem = memory_per_gpu(g175, lay, "fp16")
        stored = activation_bytes_per_layer(g175, lay, lay.recompute) * 96
        working = activation_bytes_per_layer(g175, lay, np.zeros(1))
        return float((mem["activations"] - stored - working)[0])

    # fp32 logits and their gradient: 8 B per token of the micro-batch on this GPU and word of its share
    assert logits() == pytest.approx(8.0 * S * g175.vocab / 8, rel=1e-12)
    assert logits(mb=2) == pytest.approx(8.0 * 2 * S * g175.vocab / 8, rel=1e-12)
    assert logits(cp=2) == pytest.approx(8.0 * S / 2 * g175.vocab / 8, rel=1e-12)


def test_zero3_gathers_two_layers_of_experts_too() -> None:
    moe = shape_of(4, 1024, 16, 16, 64, 4096, False, 2048, 32000, 8, 2, 2048, False)
    dense, expert = layer_params(moe)
    lay = _lay(tp=2, dp=8, ep=4, gb=8, zero=3)
    p = float(params_per_gpu(moe, lay)[0])
    weights = float(memory_per_gpu(moe, lay, "bf16")["weights"][0])
    assert weights == pytest.approx(2 * p / 8 + 2 * (dense / 2 + expert / 8) * 2, rel=1e-12)


def test_checkpoint_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError) as exc:
        checkpoint_bytes_for(-1.0)
    assert str(exc.value) == "params must be a non-negative number"


def test_memory_defaults_to_bf16(g175: Geometry) -> None:
    lay = _lay(tp=8, pp=8, gb=64, recompute=1, sp=1)
    default, bf16 = memory_per_gpu(g175, lay), memory_per_gpu(g175, lay, "bf16")
    assert all(float(default[k][0]) == float(bf16[k][0]) for k in bf16)
    assert float(bf16["grads"][0]) == 2 * float(memory_per_gpu(g175, lay, "fp16")["grads"][0])  # fp32 grads
