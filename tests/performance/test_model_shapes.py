"""Consistent model shapes (issue 12 item 5): parameter counts and FLOP per token are derived from a model's
shape, and every catalog model's declared public figures agree with its shape within 2 %."""

from __future__ import annotations

import pytest

from megacluster.catalog import ModelShape, models, shapes
from megacluster.performance.engine_api import geometry_of, spec_for_model
from megacluster.performance.flops import model_flop_per_step
from megacluster.performance.memory import checkpoint_bytes, checkpoint_bytes_for


@pytest.mark.parametrize("model_id", sorted(models()))
def test_declared_and_derived_counts_agree_for_every_catalog_model(model_id: str) -> None:
    shape = models()[model_id]
    assert shape.params_b is not None, "a catalog model declares its public parameter count"
    mismatch = shape.declared_mismatch()
    assert mismatch, "nothing declared to check"
    for name, error in mismatch.items():
        assert abs(error) <= 0.02, f"{model_id}.{name}: derived differs from declared by {error:+.1%}"


def test_the_grok3_proxy_matches_its_stated_estimates() -> None:
    grok = models()["grok3-proxy"]
    assert grok.total_params() == pytest.approx(2.7e12, rel=0.02)
    assert grok.active_params() == pytest.approx(400e9, rel=0.02)
    # FLOP per token, tokens and checkpoint follow from the one shape: 6 x active params and the attention
    per_token = grok.model_flop_per_token()
    assert 6 * grok.active_params() < per_token < 6.5 * grok.active_params()
    assert checkpoint_bytes(geometry_of(grok)) == pytest.approx(checkpoint_bytes_for(grok.total_params()))


@pytest.mark.parametrize(
    ("dims", "total_b", "active_b"),
    [
        # DeepSeek-V3 (arXiv 2412.19437, Table 1 / config.json): MLA, 1 shared + 256 routed experts (top 8),
        # first 3 layers dense: 671B total, 37B active (the derived 37.6B includes the router)
        (
            shapes.Dims(
                layers=61, hidden=7168, heads=128, kv_heads=128, head_dim=128, ffn=18432, gated=True,
                vocab=129280, tied=False, experts=256, top_k=8, moe_ffn=2048, shared_experts=1,
                dense_layers=3, q_lora_rank=1536, kv_lora_rank=512, qk_rope_dim=64, v_head_dim=128,
            ),
            671.0,
            37.0,
        ),
        # Mixtral 8x7B (Jiang et al. 2024): 46.7B total, 12.9B active
        (
            shapes.Dims(
                layers=32, hidden=4096, heads=32, kv_heads=8, head_dim=128, ffn=14336, gated=True,
                vocab=32000, tied=False, experts=8, top_k=2, moe_ffn=14336,
            ),
            46.7,
            12.9,
        ),
    ],
    ids=["deepseek-v3", "mixtral-8x7b"],
)  # fmt: skip
def test_published_moe_counts_from_their_shapes(dims: shapes.Dims, total_b: float, active_b: float) -> None:
    assert shapes.total_params(dims) / 1e9 == pytest.approx(total_b, rel=0.02)
    assert shapes.active_params(dims) / 1e9 == pytest.approx(active_b, rel=0.02)


def test_gpt3_by_hand() -> None:
    # 96 layers x (12 h^2 + 2 h) + one tied 51,200 x h embedding, h = 12,288 (Narayanan et al. 2021, Eq. 2)
    gpt3 = models()["gpt3-175b"]
    h = 12288
    assert gpt3.total_params() == 96 * (12 * h * h + 2 * h) + 51200 * h
    assert gpt3.active_params() == gpt3.total_params()


def test_mla_attention_matrices() -> None:
    d = shapes.Dims(
        layers=1, hidden=7168, heads=128, kv_heads=128, head_dim=128, ffn=1, gated=False, vocab=1, tied=True,
        q_lora_rank=1536, kv_lora_rank=512, qk_rope_dim=64, v_head_dim=128,
    )  # fmt: skip
    # q down 7168 x 1536, q up 1536 x 128 x 192, kv down 7168 x (512 + 64), kv up 512 x 128 x (128 + 128),
    # output 128 x 128 x 7168, and the two latent norms
    expected = 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168 + 1536 + 512
    assert shapes.attention_params(d) == expected
    splits = shapes.attention_splits(d)
    assert [s for _, _, s in splits] == [None, "out", None, "out", "in"]  # down-projections replicated


def test_the_engine_flop_per_token_is_the_model_flop() -> None:
    llama = models()["llama3-405b"]
    g = geometry_of(llama)
    assert float(model_flop_per_step(g, 1.0)[0]) / llama.seq_len == pytest.approx(
        llama.model_flop_per_token(), rel=1e-12
    )


def test_a_spec_of_a_catalog_model_carries_the_derived_count_and_switches() -> None:
    llama = models()["llama3-405b"]
    spec = spec_for_model(llama, "h100-sxm", 16384, 2048, "bf16")
    assert spec.params_b == pytest.approx(llama.total_params() / 1e9)
    assert (spec.ffn_gated, spec.tied_embeddings) == (True, False)


def test_an_inline_shape_may_leave_out_the_declared_count() -> None:
    shape = ModelShape(layers=2, hidden=64, heads=4, ffn_hidden=256, seq_len=128, vocab=1000)
    # no declaration: a plain GPT FFN, untied embeddings
    assert shape.total_params() == 2 * (4 * 64 * 64 + 2 * 64 * 256 + 2 * 64) + 2 * 1000 * 64
    assert shape.declared_mismatch() == {}
