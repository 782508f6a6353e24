"""The flat training spec: every inconsistency is one InputError naming the file, the field and the fix;
geometry inference (gated FFN, tied embeddings) from the published parameter count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from megacluster.errors import InputError
from megacluster.performance.spec import TrainingSpec, check_spec, geometry, load_spec, spec_from_mapping

GOOD: dict[str, Any] = {
    "params_b": 1.3, "layers": 24, "hidden": 2048, "heads": 16, "ffn_hidden": 8192, "seq_len": 2048,
    "vocab": 50304, "gpu": "h100-sxm", "gpus": 16, "tp": 2, "pp": 2, "dp": 4, "global_batch": 64,
}  # fmt: skip


def _error(file: str | None = "spec.toml", need_layout: bool = True, **changes: Any) -> str:
    with pytest.raises(InputError) as exc:
        check_spec(TrainingSpec.model_validate({**GOOD, **changes}), file, need_layout=need_layout)
    return str(exc.value)


def test_a_good_spec_passes() -> None:
    check_spec(TrainingSpec.model_validate(GOOD), "spec.toml")
    check_spec(TrainingSpec.model_validate({**GOOD, "tp": None, "pp": None, "dp": None}), need_layout=False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"gpu": "a100-sxm4-80gb", "precision": "fp8"},
            "field 'precision': a100-sxm4-80gb has no fp8 peak; valid: bf16, fp16",
        ),
        ({"kv_heads": 3}, "field 'kv_heads': must divide heads=16, got 3"),
        ({"moe_experts": 8}, "field 'moe_top_k': give both moe_experts and moe_top_k, or neither"),
        ({"moe_top_k": 2}, "field 'moe_top_k': give both moe_experts and moe_top_k, or neither"),
        ({"moe_experts": 2, "moe_top_k": 4}, "field 'moe_top_k': must be <= moe_experts=2"),
        ({"dp": None}, "field 'dp': a parallel degree is required here (use `plan` to search)"),
        ({"tp": None, "dp": None}, "field 'tp': a parallel degree is required here (use `plan` to search)"),
        ({"tp": 3}, "field 'tp': attention heads (16) must be divisible by tp=3"),
        ({"pp": 32, "tp": 1, "dp": 1, "gpus": 32}, "field 'pp': pipeline stages (32) exceed the layers (24)"),
        ({"cp": 3}, "field 'cp': seq_len (2048) must be divisible by cp=3"),
        ({"cp": 2}, "field 'gpus': tp*pp*dp*cp = 2*2*4*2 = 32 != gpus=16"),
        (
            {"ep": 3, "moe_experts": 6, "moe_top_k": 2},
            "field 'ep': ep*etp = 3*1 must divide tp*cp*dp = 8 (MoE parallel folding)",
        ),
        ({"micro_batch": 3}, "field 'global_batch': 64 is not divisible by dp*micro_batch = 12"),
        ({"global_batch": 6}, "field 'global_batch': 6 is not divisible by dp*micro_batch = 4"),
        ({"ep": 2}, "field 'ep': expert parallelism needs moe_experts"),
        (
            {"ep": 4, "moe_experts": 6, "moe_top_k": 2},
            "field 'ep': moe_experts (6) must be divisible by ep=4",
        ),
        ({"virtual_stages": 13}, "field 'virtual_stages': pp*virtual_stages=26 exceeds layers=24"),
        ({"virtual_stages": 2, "pp": 1, "dp": 8}, "field 'virtual_stages': interleaving needs pp > 1"),
        ({"gpu": "h900"}, "field 'gpu': unknown accelerator 'h900' (did you mean 'h800-sxm'?); valid: a100"),
    ],
)
def test_inconsistent_specs_name_the_field(changes: dict[str, Any], message: str) -> None:
    got = _error(**changes)
    assert got.startswith(f"spec.toml: {message}")


def test_without_a_data_parallel_degree_the_gpus_must_fill_replicas() -> None:
    got = _error(need_layout=False, dp=None, tp=4, pp=2, cp=1, gpus=12)
    assert got == "spec.toml: field 'gpus': gpus=12 is not divisible by tp*pp*cp=8"
    check_spec(TrainingSpec.model_validate({**GOOD, "dp": None, "gpus": 24}), need_layout=False)


def test_one_interleaved_stage_per_layer_is_allowed() -> None:
    check_spec(TrainingSpec.model_validate({**GOOD, "virtual_stages": 12}))  # 2 x 12 = 24 layers


def test_expert_parallel_within_data_parallel_is_allowed() -> None:
    check_spec(TrainingSpec.model_validate({**GOOD, "moe_experts": 8, "moe_top_k": 8, "ep": 4}))


def test_mapping_blanks_and_booleans() -> None:
    row = {**{k: str(v) for k, v in GOOD.items()}, "cp": " ", "sequence_parallel": " TRUE ", "recompute": ""}
    spec = spec_from_mapping(row, "runs.csv:2")
    assert spec.cp is None and spec.recompute is None and spec.sequence_parallel is True
    assert spec.hidden == 2048 and spec.gpu == "h100-sxm"
    off = spec_from_mapping({**row, "sequence_parallel": "false"})
    assert off.sequence_parallel is False
    with pytest.raises(InputError) as exc:
        spec_from_mapping({**row, "sequence_parallel": "yes"}, "runs.csv:2")
    assert str(exc.value) == "runs.csv:2: field 'sequence_parallel': expected true or false, got 'yes'"


def test_mapping_errors_name_the_field() -> None:
    with pytest.raises(InputError) as exc:
        spec_from_mapping({**GOOD, "layers": 0}, "runs.csv:3")
    assert exc.value.file == "runs.csv:3" and exc.value.field == "layers"
    with pytest.raises(InputError) as exc:  # checked as well as validated
        spec_from_mapping({**GOOD, "tp": 3}, "runs.csv:4")
    assert exc.value.field == "tp"
    spec_from_mapping({**GOOD, "dp": None}, need_layout=False)
    with pytest.raises(InputError, match="'dp'"):
        spec_from_mapping({**GOOD, "dp": None})


def _toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_spec(tmp_path: Path) -> None:
    body = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in GOOD.items())
    spec = load_spec(_toml(tmp_path / "s.toml", body), need_layout=True)
    assert spec.tp == 2 and spec.params_b == 1.3
    no_dp = body.replace("dp = 4", "")
    assert load_spec(_toml(tmp_path / "n.toml", no_dp)).dp is None  # degrees may be blank for `plan`
    with pytest.raises(InputError) as exc:
        load_spec(tmp_path / "n.toml", need_layout=True)
    assert exc.value.field == "dp" and exc.value.file == str(tmp_path / "n.toml")


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("layers = ", None, "not valid TOML: "),
        ("a = " + "[" * 2000 + "]" * 2000, None, "nested too deeply; a SPEC.toml is flat"),
        ("[model]\nlayers = 2", "model", "a SPEC.toml is flat: one key per column, no tables"),
    ],
)
def test_bad_toml(tmp_path: Path, text: str, field: str | None, message: str) -> None:
    path = _toml(tmp_path / "bad.toml", text)
    with pytest.raises(InputError) as exc:
        load_spec(path)
    assert exc.value.file == str(path) and exc.value.field == field
    assert exc.value.expected.startswith(message)


@pytest.mark.parametrize(
    ("params_b", "gated", "tied"),
    [(1.4, False, False), (1.3, False, True), (1.8, True, False), (1.7, True, True)],
)
def test_ffn_gating_and_tying_are_inferred_from_the_parameter_count(
    params_b: float, gated: bool, tied: bool
) -> None:
    # 24 layers of h = 2,048, FFN 8,192, vocabulary 50,304: ungated 1.414e9 untied, 1.311e9 tied;
    # gated (3 FFN matrices) 1.817e9 untied, 1.714e9 tied
    g = geometry(TrainingSpec.model_validate({**GOOD, "params_b": params_b}))
    assert (g.gated, g.tied) == (gated, tied)


def test_given_gating_and_tying_win() -> None:
    spec = TrainingSpec.model_validate({**GOOD, "ffn_gated": True, "tied_embeddings": False})
    g = geometry(spec)
    assert (g.gated, g.tied) == (True, False)
    assert geometry(spec.model_copy(update={"params_b": 1.6})).gated is True


def test_geometry_defaults() -> None:
    g = geometry(TrainingSpec.model_validate({**GOOD, "kv_heads": 4}))
    assert (g.kv_heads, g.head_dim, g.experts, g.top_k) == (4, 128, 0, 0)
    assert geometry(TrainingSpec.model_validate({**GOOD, "head_dim": 96})).head_dim == 96
    moe = geometry(TrainingSpec.model_validate({**GOOD, "moe_experts": 8, "moe_top_k": 2}))
    assert (moe.experts, moe.top_k, moe.moe_ffn) == (8, 2, 8192)
    assert geometry(TrainingSpec.model_validate({**GOOD, "heads": 4096})).head_dim == 1  # never zero


def test_active_parameters_of_a_mixture_of_experts() -> None:
    g = geometry(
        TrainingSpec.model_validate({**GOOD, "moe_experts": 8, "moe_top_k": 2, "moe_ffn_hidden": 1024})
    )
    mats = 3 if g.gated else 2
    inactive_per_layer = 6 * mats * 2048 * 1024  # 6 of 8 experts idle for a token
    assert g.active_params() == g.params() - 24 * inactive_per_layer
    dense = geometry(TrainingSpec.model_validate(GOOD))
    assert dense.active_params() == dense.params()


def test_check_spec_needs_a_layout_by_default() -> None:
    with pytest.raises(InputError, match="'dp'"):
        check_spec(TrainingSpec.model_validate({**GOOD, "dp": None}))


def test_one_stage_per_layer_is_allowed() -> None:
    check_spec(TrainingSpec.model_validate({**GOOD, "pp": 24, "tp": 1, "dp": 1, "gpus": 24}))


def test_context_parallel_counts_in_the_replica() -> None:
    got = _error(need_layout=False, dp=None, tp=2, pp=2, cp=2, gpus=4)
    assert got == "spec.toml: field 'gpus': gpus=4 is not divisible by tp*pp*cp=8"


def test_two_interleaved_chunks_must_fit_the_layers() -> None:
    got = _error(pp=16, tp=1, dp=1, gpus=16, virtual_stages=2)
    assert got == "spec.toml: field 'virtual_stages': pp*virtual_stages=32 exceeds layers=24"


def test_unknown_columns_get_a_suggestion() -> None:
    with pytest.raises(InputError) as exc:
        spec_from_mapping({**GOOD, "layer": 24}, "runs.csv:2")
    assert exc.value.field == "layer" and "did you mean 'layers'" in exc.value.expected


def test_a_missing_spec_file_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_spec(tmp_path / "nope.toml")
    assert exc.value.expected == "file not found (expected a training spec (TOML))"


def test_moe_parameter_count() -> None:
    spec = TrainingSpec.model_validate({**GOOD, "moe_experts": 8, "moe_top_k": 2, "ffn_gated": False})
    g = geometry(spec)
    h = 2048
    layer = 4 * h * h + 8 * 2 * h * 8192 + h * 8 + 2 * h  # attention, 8 experts, router, norms
    assert g.params() == 24 * layer + 50304 * h * (1 if g.tied else 2)


def test_head_width_is_a_whole_number() -> None:
    g = geometry(TrainingSpec.model_validate({**GOOD, "hidden": 2000, "heads": 16}))
    assert g.head_dim == 125
    assert geometry(TrainingSpec.model_validate({**GOOD, "hidden": 2050})).head_dim == 128  # 2,050 // 16


def test_experts_without_top_k_route_each_token_to_one() -> None:
    # check_spec refuses this for a user's spec; the geometry of such a shape still means top-1 routing
    spec = TrainingSpec.model_construct(**{**TrainingSpec.model_validate(GOOD).__dict__, "moe_experts": 8})
    assert geometry(spec).top_k == 1
