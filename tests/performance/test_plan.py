"""`plan` searches the whole space, ranks by step time and keeps only layouts that fit."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from megacluster.errors import InputError
from megacluster.performance.estimator import estimate, resolve
from megacluster.performance.memory import fits_in_memory
from megacluster.performance.params import hardware
from megacluster.performance.plan import degree_combos, plan, rank, search_space
from megacluster.performance.spec import Geometry, TrainingSpec
from megacluster.performance.step_time import evaluate
from performance.geometry_args import shape_of


def test_plan_returns_the_fastest_fitting_layouts(small_spec: TrainingSpec) -> None:
    best = plan(small_spec, top=4)
    g, hw = resolve(small_spec)
    space = search_space(g, hw, 16, 64)
    out = evaluate(g, hw, space, "bf16")
    fastest = float(np.min(np.where(out["fits"] > 0, out["step_time_s"], np.inf)))
    assert best[0].step_time_s == pytest.approx(fastest)
    assert [e.step_time_s for e in best] == sorted(e.step_time_s for e in best)
    assert all(e.fits for e in best)


def test_search_space_covers_every_knob(small_spec: TrainingSpec) -> None:
    g, hw = resolve(small_spec)
    space = search_space(g, hw, 16, 64)
    assert set(np.unique(space.recompute)) == {0.0, 1.0, 2.0}
    assert set(np.unique(space.zero)) == {0.0, 1.0, 2.0, 3.0}
    assert set(np.unique(space.tp)) == {1.0, 2.0, 4.0, 8.0, 16.0}
    assert np.all(space.gpus() == 16)
    assert np.all(64 % (space.dp * space.mb) == 0)
    assert space.v.max() > 1 and np.all((space.v == 1) | (space.pp > 1))
    assert np.all(space.sp == (space.tp > 1))


def test_plan_on_other_gpu_count_and_moe(small_spec: TrainingSpec) -> None:
    moe = small_spec.model_copy(
        update={"moe_experts": 8, "moe_top_k": 2, "moe_ffn_hidden": 4096, "params_b": 5.0}
    )
    best = plan(moe, gpus=32, top=2)
    assert best[0].layout.replica_gpus() * (best[0].layout.dp or 0) == 32
    g, hw = resolve(moe)
    assert np.unique(search_space(g, hw, 32, 64).ep).size > 1


def test_a_config_that_does_not_fit_is_marked() -> None:
    spec = TrainingSpec(
        params_b=1000, layers=128, hidden=25600, heads=160, ffn_hidden=102400, seq_len=2048, vocab=51200,
        gpu="a100-sxm4-80gb", gpus=8, tp=8, pp=1, dp=1, micro_batch=1, global_batch=8, recompute="full",
        zero_stage=0, precision="fp16",
    )  # fmt: skip
    est = estimate(spec)
    assert not est.fits and est.memory_per_gpu_gib > 80
    with pytest.raises(InputError, match="fits in memory"):
        plan(spec)


def _geo(layers: int = 24, heads: int = 16, seq: int = 2048, experts: int = 0) -> Geometry:
    return shape_of(
        layers, 2048, heads, heads, 2048 // heads, 8192, False, seq, 50304, experts, 2, 8192, False
    )


def test_exact_degree_combinations_multiply_to_the_gpu_count() -> None:
    combos = degree_combos(_geo(), 16, 64)
    assert all(tp * pp * cp * dp == 16 and ep == 1 for tp, pp, cp, dp, ep in combos)
    # tp divides 16 heads, pp <= 24 layers, cp divides 2,048 tokens: every factorisation of 16 into 4
    assert len(combos) == len(set(combos)) == 35
    assert (16, 1, 1, 1, 1) in combos and (1, 16, 1, 1, 1) in combos and (1, 1, 1, 16, 1) in combos


def test_exact_combinations_respect_heads_layers_sequence_and_batch() -> None:
    combos = degree_combos(_geo(layers=3, heads=6, seq=6), 12, 4)
    assert {c[0] for c in combos} <= {1, 2, 3, 6}  # tp divides 6 heads
    assert max(c[1] for c in combos) <= 3  # pp <= 3 layers
    assert all(6 % c[2] == 0 for c in combos)  # cp divides the 6 tokens
    assert all(4 % c[3] == 0 for c in combos)  # dp divides the global batch of 4
    assert (6, 2, 1, 1, 1) in combos and (2, 3, 2, 1, 1) in combos and (3, 1, 1, 4, 1) in combos


def test_expert_parallel_degrees_divide_the_replicas_and_the_experts() -> None:
    combos = degree_combos(_geo(experts=8), 16, 64)
    eps = {c[4] for c in combos if c[3] == 16}
    assert eps == {1, 2, 4, 8}  # 16 replicas, 8 experts
    # issue 18, MoE parallel folding: expert groups may span tp x cp x dp ranks, not only the replicas
    assert all((c[0] * c[2] * c[3]) % c[4] == 0 and 8 % c[4] == 0 for c in combos)


def test_ragged_combinations_for_the_engine() -> None:
    # the engine's search: dp = gpus // (tp pp cp), leftover GPUs idle; pipeline degrees are powers of two
    # or divisors of the layers; cp is a power of two up to 32
    g = _geo(layers=24)
    combos = degree_combos(g, 100, 2048, ragged=True)
    assert all(c[3] == 100 // (c[0] * c[1] * c[2]) for c in combos)
    assert {c[1] for c in combos} == {1, 2, 3, 4, 6, 8, 12, 16, 24}
    assert {c[2] for c in combos} == {1, 2, 4, 8, 16, 32}
    assert (16, 6, 1, 1, 1) in combos  # 96 of 100 GPUs
    assert all(c[0] * c[1] * c[2] <= 100 for c in combos)


def test_ragged_pipeline_powers_of_two_up_to_the_layers() -> None:
    combos = degree_combos(_geo(layers=2048, heads=1), 4096, 4096, ragged=True)
    assert {c[1] for c in combos} >= {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048}
    small = degree_combos(_geo(layers=5, heads=1), 4, 8, ragged=True)
    assert {c[1] for c in small} == {1, 2, 4}  # 4 (a power of two <= 5 layers and <= 4 GPUs), 5 is too many


def test_search_space_interleaving_and_micro_batches() -> None:
    g = _geo(layers=24)
    space = search_space(g, hardware("a100-sxm4-80gb"), 4, 8)
    # interleaving 1..8 with pp > 1 and pp v <= layers; micro-batches divide the sequences per replica
    assert set(np.unique(space.v[space.pp == 2])) == set(range(1, 9))
    assert set(np.unique(space.v[space.pp == 4])) == set(range(1, 7))  # 4 x 6 = 24 layers
    one = search_space(_geo(layers=4), hardware("a100-sxm4-80gb"), 4, 8)
    assert set(np.unique(one.v[one.pp == 4])) == {1.0}
    assert set(np.unique(one.v[one.pp == 2])) == {1.0, 2.0}
    assert set(np.unique(space.mb[space.dp == 1])) == {1.0, 2.0, 4.0, 8.0}
    assert set(np.unique(space.mb[space.dp == 4])) == {1.0, 2.0}
    # every head x micro-batch x 3 recompute x 4 ZeRO stages; overlap on with ZeRO; fused as the hardware
    assert np.all(space.dp_overlap == (space.zero >= 1))
    assert np.all(space.fused == 1.0) and np.all(space.gb == 8.0)  # issue 18: FlashAttention on A100
    heads = {(r["tp"], r["pp"], r["cp"], r["dp"], r["v"], r["mb"]) for r in map(space.row, range(len(space)))}
    assert len(space) == len(heads) * 3 * 4


def test_search_space_micro_batches_stop_at_sixteen() -> None:
    space = search_space(_geo(), hardware("a100-sxm4-80gb"), 1, 64)
    assert set(np.unique(space.mb)) == {1.0, 2.0, 4.0, 8.0, 16.0}


def test_search_space_without_any_layout_names_the_constraints() -> None:
    with pytest.raises(InputError) as exc:
        search_space(_geo(layers=4), hardware("a100-sxm4-80gb"), 7, 64)
    assert str(exc.value) == (
        "field 'gpus': no tp*pp*cp*dp = 7 with tp dividing heads=16, pp <= layers=4, cp dividing "
        "seq_len=2048 and dp dividing global_batch=64"
    )


def test_rank_keeps_the_fastest_that_fit() -> None:
    out = {
        "step_time_s": np.array([5.0, 1.0, 3.0, 2.0, 4.0]),
        "fits": np.array([1.0, 0.0, 1.0, 1.0, 1.0]),
    }
    assert rank(out, 3).tolist() == [3, 2, 4]
    assert rank(out, 10).tolist() == [3, 2, 4, 0]
    assert rank(out, 1).tolist() == [3]
    assert rank({**out, "fits": np.zeros(5)}, 3).size == 0


def test_plan_refuses_bad_arguments(small_spec: TrainingSpec) -> None:
    with pytest.raises(InputError) as exc:
        plan(small_spec, top=0, file="s.toml")
    assert str(exc.value) == "s.toml: field '--top': must be >= 1"
    with pytest.raises(InputError) as exc:
        plan(small_spec, gpus=0, file="s.toml")
    assert str(exc.value) == "s.toml: field '--gpus': must be >= 1"
    assert len(plan(small_spec, gpus=1, top=1)) == 1
    with pytest.raises(InputError) as exc:  # the spec is checked
        plan(small_spec.model_copy(update={"moe_experts": 2, "moe_top_k": 4}), file="s.toml")
    assert exc.value.file == "s.toml" and exc.value.field == "moe_top_k"
    with pytest.raises(InputError) as exc:
        plan(small_spec.model_copy(update={"gpu": "h900"}), file="s.toml")
    assert exc.value.file == "s.toml" and exc.value.field == "gpu"


def test_plan_ignores_the_specs_own_degrees(small_spec: TrainingSpec) -> None:
    # degrees given for 16 GPUs (and interleaving, context and expert degrees) do not constrain a plan for 8
    fixed = small_spec.model_copy(update={"tp": 4, "pp": 2, "dp": 2, "cp": 1, "ep": 1, "virtual_stages": 2})
    best = plan(fixed, gpus=8, top=1)[0]
    assert best.layout.tp * best.layout.pp * (best.layout.dp or 0) * best.layout.cp == 8
    assert best.chosen == {}
    assert best == plan(small_spec, gpus=8, top=1)[0]


def test_plan_follows_the_precision(small_spec: TrainingSpec) -> None:
    bf16 = plan(small_spec, top=1)[0]
    fp8 = plan(small_spec.model_copy(update={"precision": "fp8"}), top=1)[0]
    assert fp8.step_time_s < bf16.step_time_s


def test_nothing_fits_says_how_much_memory_is_missing() -> None:
    spec = TrainingSpec(
        params_b=1000, layers=128, hidden=25600, heads=160, ffn_hidden=102400, seq_len=2048, vocab=51200,
        gpu="a100-sxm4-80gb", gpus=8, global_batch=8, precision="fp16",
    )  # fmt: skip
    g, hw = resolve(spec)
    out = evaluate(g, hw, search_space(g, hw, 8, 8), "fp16")
    need = float(np.min(out["memory_bytes"])) / 2**30
    have = 80 * 0.95  # A100 '80 GB' = 80 GiB (issue 18), 95 % usable: 76.0 GiB
    n = len(search_space(g, hw, 8, 8))
    with pytest.raises(InputError) as exc:
        plan(spec, file="s.toml")
    assert str(exc.value) == (
        f"s.toml: field 'gpus': none of {n} layouts fits in memory: the smallest "
        f"needs {need:.1f} GiB per GPU, a100-sxm4-80gb offers {have:.1f} GiB; use more GPUs or a GPU with "
        "more memory"
    )
    assert f"{have:.1f}" == "76.0"


def _tiny(heads: int = 1, seq: int = 12) -> Geometry:
    return shape_of(1, 64, heads, heads, 64 // heads, 256, False, seq, 1000, 0, 0, 256, False)


def test_tensor_degrees_that_do_not_divide_the_gpus_are_skipped() -> None:
    # 12 heads on 8 GPUs: tp 3 and 6 do not divide 8, tp 4 still does
    combos = degree_combos(shape_of(8, 768, 12, 12, 64, 3072, False, 64, 1000, 0, 0, 3072, False), 8, 8)
    assert {c[0] for c in combos} == {1, 2, 4}


def test_context_degrees_that_do_not_divide_the_sequence_are_skipped() -> None:
    combos = degree_combos(_tiny(seq=4), 12, 12)  # cp 3 does not divide 4 tokens, cp 4 does
    assert {c[2] for c in combos} == {1, 2, 4}


def test_batch_constraints_skip_only_the_replica_counts_they_forbid() -> None:
    combos = degree_combos(_tiny(seq=12), 12, 4)  # dp 12 and 6 exceed or do not divide 4; dp 4, 2, 1 do
    assert sorted(combos) == [(1, 1, 3, 4, 1), (1, 1, 6, 2, 1), (1, 1, 12, 1, 1)]


def test_tensor_and_context_degrees_are_capped() -> None:
    heads = degree_combos(shape_of(1, 128, 128, 128, 1, 512, False, 128, 1000, 0, 0, 512, False), 128, 128)
    assert max(c[0] for c in heads) == 64  # MAX_TP
    ctx = degree_combos(_tiny(seq=128), 64, 64)
    assert max(c[2] for c in ctx) == 32  # MAX_CP


def test_one_sequence_per_replica_means_micro_batches_of_one() -> None:
    space = search_space(_geo(), hardware("a100-sxm4-80gb"), 8, 8)
    assert set(np.unique(space.mb[space.dp == 8])) == {1.0}


def test_moe_search_space_rows_are_valid_degree_combinations() -> None:
    g = _geo(experts=8)
    space = search_space(g, hardware("h100-sxm"), 16, 64)
    combos = set(degree_combos(g, 16, 64))
    rows = {
        (int(a), int(b), int(c), int(d), int(e))
        for a, b, c, d, e in zip(space.tp, space.pp, space.cp, space.dp, space.ep, strict=True)
    }
    assert rows == combos


def test_plan_shows_five_by_default(small_spec: TrainingSpec) -> None:
    assert len(plan(small_spec)) == 5


@pytest.mark.parametrize(
    "degrees",
    [
        {"tp": 16, "pp": 1, "dp": 1},
        {"pp": 16, "tp": 1, "dp": 1},
        {"cp": 16, "tp": 1, "pp": 1, "dp": 1},
        {"ep": 2},
    ],
)
def test_plan_drops_each_given_degree(small_spec: TrainingSpec, degrees: dict[str, int]) -> None:
    assert plan(small_spec.model_copy(update=degrees), gpus=8, top=1)[0].layout.replica_gpus() <= 8


def test_plan_names_the_file_of_a_bad_network(small_spec: TrainingSpec) -> None:
    with pytest.raises(InputError) as exc:
        plan(small_spec.model_copy(update={"network": "ib-ndr4000"}), file="s.toml")
    assert (exc.value.file, exc.value.field) == ("s.toml", "network")


def test_fastest_by_chunks_is_the_fastest_fit_with_the_least_memory_among_ties(
    small_spec: TrainingSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the package's 'plan' is the function: the module is found by its name
    plan_module = importlib.import_module("megacluster.performance.plan")
    g, hw = resolve(small_spec)
    space = search_space(g, hw, 16, 64)
    out = evaluate(g, hw, space, "bf16")
    step = np.where(out["fits"] > 0, out["step_time_s"], np.inf)
    tied = np.flatnonzero(step == step.min())
    want = int(tied[np.argmin(out["memory_bytes"][tied])])
    assert tied.size > 1  # the zero stages tie on step time here: the tie-break is exercised
    for chunk in (7, 100, len(space)):  # the answer does not depend on the chunking
        monkeypatch.setattr(plan_module, "CHUNK", chunk)
        assert plan_module.fastest(g, hw, space, "bf16").tolist() == [want]
    none_fit = space.take(np.flatnonzero(out["fits"] == 0)[:5])
    assert plan_module.fastest(g, hw, none_fit, "bf16").size == 0


def test_the_memory_test_before_evaluation_agrees_with_evaluates_fits(small_spec: TrainingSpec) -> None:
    # `fastest` evaluates only the layouts that `fits_in_memory` keeps: it agrees with `evaluate` row by row
    # (a 13B model on 16 GPUs: without enough sharding its weights and optimizer states do not fit)
    big = small_spec.model_copy(
        update={"params_b": 13.0, "layers": 40, "hidden": 5120, "heads": 40, "ffn_hidden": 20480}
    )
    g, hw = resolve(big)
    space = search_space(g, hw, 16, 64)
    out = evaluate(g, hw, space, "bf16")
    fit = fits_in_memory(g, hw, space, "bf16")
    assert 0 < fit.sum() < len(space)  # both kinds present
    np.testing.assert_array_equal(fit, out["fits"] > 0)
