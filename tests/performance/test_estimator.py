"""`estimate`: the blank knobs of a published run are filled with the fastest values that fit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from megacluster.errors import InputError
from megacluster.performance.estimator import best_index, candidate_layouts, estimate, resolve
from megacluster.performance.layout import Layout
from megacluster.performance.memory import memory_per_gpu
from megacluster.performance.params import hardware
from megacluster.performance.spec import TrainingSpec
from megacluster.performance.step_time import BREAKDOWN_KEYS, evaluate
from megacluster.units import GIB


def _spec(gpt3_spec: TrainingSpec, **changes: object) -> TrainingSpec:
    return TrainingSpec.model_validate({**gpt3_spec.model_dump(), **changes})


def test_blank_knobs_are_searched(gpt3_spec: TrainingSpec) -> None:
    blank = _spec(
        gpt3_spec,
        micro_batch=None,
        virtual_stages=None,
        recompute=None,
        sequence_parallel=None,
        zero_stage=None,
        global_batch=48,
    )
    lay, blanks = candidate_layouts(blank, hardware("a100-sxm4-80gb"))
    assert blanks == ["micro_batch", "virtual_stages", "recompute", "sequence_parallel", "zero_stage"]
    # micro-batches divide the 48 sequences per replica; no interleaving: a bubble of 7/48 < 1/4 (issue 18)
    expected = set(
        itertools.product([1, 2, 3, 4, 6, 8, 12, 16, 24, 48], [1], [0, 1, 2], [0, 1], [0, 1, 2, 3])
    )
    got = set(zip(lay.mb, lay.v, lay.recompute, lay.sp, lay.zero, strict=True))
    assert got == expected and len(lay) == len(expected)
    assert np.all(lay.tp == 8) and np.all(lay.pp == 8) and np.all(lay.dp == 1) and np.all(lay.gb == 48)
    assert np.all(lay.cp == 1) and np.all(lay.ep == 1)
    assert np.all(lay.dp_overlap == (lay.zero >= 1))
    assert np.all(lay.fused == 0.0)  # the A100's kernels: no fused attention in the efficiency table


def test_given_knobs_are_kept(gpt3_spec: TrainingSpec) -> None:
    spec = _spec(
        gpt3_spec, micro_batch=2, recompute="full", zero_stage=2, dp_overlap=False, fused_attention=True
    )
    lay, blanks = candidate_layouts(spec, hardware("a100-sxm4-80gb"))
    assert blanks == []
    assert len(lay) == 1
    row = lay.row(0)
    assert (row["mb"], row["v"], row["recompute"], row["sp"], row["zero"]) == (2, 3, 2, 1, 2)
    assert (row["dp_overlap"], row["fused"]) == (0, 1)


def test_micro_batches_stop_at_64_and_one_stage_does_not_interleave(gpt3_spec: TrainingSpec) -> None:
    spec = _spec(gpt3_spec, micro_batch=None, virtual_stages=None, pp=1, tp=8, dp=8, global_batch=1024)
    lay, _ = candidate_layouts(spec, hardware("a100-sxm4-80gb"))
    assert set(np.unique(lay.mb)) == {1, 2, 4, 8, 16, 32, 64}  # 128 per replica, at most 64
    assert set(np.unique(lay.v)) == {1}
    few = _spec(gpt3_spec, virtual_stages=None, layers=24, pp=8, global_batch=16)  # bubble 7/16 > 1/4
    assert set(np.unique(candidate_layouts(few, hardware("a100-sxm4-80gb"))[0].v)) == {1, 2, 3}  # 8 x 3 = 24


def test_blank_degrees_default_to_one(gpt3_spec: TrainingSpec) -> None:
    spec = _spec(gpt3_spec, tp=None, pp=None, dp=None, cp=None, ep=None, sequence_parallel=None)
    lay, blanks = candidate_layouts(spec, hardware("a100-sxm4-80gb"))
    for key in ("tp", "pp", "dp", "cp", "ep"):
        assert np.all(getattr(lay, key) == 1)
    assert set(np.unique(lay.sp)) == {0}  # no sequence parallelism without tensor parallelism
    assert "sequence_parallel" in blanks


def test_best_index_prefers_what_fits() -> None:
    out = {"step_time_s": np.array([3.0, 1.0, 2.0]), "fits": np.array([1.0, 0.0, 1.0])}
    assert best_index(out) == 2
    assert best_index({**out, "fits": np.zeros(3)}) == 1  # nothing fits: the fastest
    assert best_index({**out, "fits": np.ones(3)}) == 1


def test_estimate_reports_the_chosen_knobs(gpt3_spec: TrainingSpec) -> None:
    spec = _spec(gpt3_spec, recompute=None, zero_stage=None)
    est = estimate(spec)
    assert set(est.chosen) == {"recompute", "zero_stage"}
    assert est.chosen["recompute"] == est.layout.recompute.value  # a plain string, as JSON gives it
    assert est.chosen["zero_stage"] == est.layout.zero_stage
    # the fastest candidate that fits
    g, hw = resolve(spec)
    lay, _ = candidate_layouts(spec, hw)
    out = evaluate(g, hw, lay, "fp16")
    fastest = float(np.min(np.where(out["fits"] > 0, out["step_time_s"], np.inf)))
    assert est.step_time_s == fastest and est.fits


def test_estimate_checks_the_spec(gpt3_spec: TrainingSpec) -> None:
    with pytest.raises(InputError) as exc:
        estimate(_spec(gpt3_spec, dp=None), "s.toml")
    assert exc.value.file == "s.toml" and exc.value.field == "dp"
    with pytest.raises(InputError) as exc:
        estimate(_spec(gpt3_spec, network="ib-ndr4000"), "s.toml")
    assert exc.value.file == "s.toml" and exc.value.field == "network"


def test_estimate_figures_and_json(gpt3_spec: TrainingSpec) -> None:
    est = estimate(gpt3_spec)
    g, hw = resolve(gpt3_spec)
    lay = Layout.build(
        tp=8, pp=8, dp=1, cp=1, ep=1, v=3, mb=1, gb=64, recompute=1, sp=1, zero=0, dp_overlap=0, fused=0
    )
    out = evaluate(g, hw, lay, "fp16")
    mem = memory_per_gpu(g, lay, "fp16")
    assert est.step_time_s == float(out["step_time_s"][0])
    assert est.tokens_per_s == float(out["tokens_per_s"][0])
    assert est.tflops_per_gpu == float(out["tflops_per_gpu"][0])
    assert (est.mfu, est.hfu) == (float(out["mfu"][0]), float(out["hfu"][0]))
    assert est.memory_per_gpu_gib == pytest.approx(float(mem["total"][0]) / GIB, rel=1e-12)
    for kind in ("weights", "grads", "optimizer", "activations", "workspace"):
        assert est.memory_gib[kind] == pytest.approx(float(mem[kind][0]) / GIB, rel=1e-12)
    assert list(est.breakdown) == list(BREAKDOWN_KEYS)
    as_json = est.to_dict()
    assert as_json == {
        "step_time_s": est.step_time_s,
        "tokens_per_s": est.tokens_per_s,
        "tflops_per_gpu": est.tflops_per_gpu,
        "mfu": est.mfu,
        "memory_per_gpu_gib": est.memory_per_gpu_gib,
        "fits": True,
        "breakdown": est.breakdown,
        "breakdown_share": {k: v / est.step_time_s for k, v in est.breakdown.items()},
        "layout": {
            "tp": 8,
            "pp": 8,
            "dp": 1,
            "cp": 1,
            "ep": 1,
            "etp": None,
            "virtual_stages": 3,
            "micro_batch": 1,
            "global_batch": 64,
            "recompute": "selective",
            "sequence_parallel": True,
            "zero_stage": 0,
            "dp_overlap": False,
            "fused_attention": False,
        },
        "chosen_defaults": {},
        "hfu": est.hfu,
        "memory_gib": est.memory_gib,
    }


def test_two_stages_interleave_and_two_way_tensor_parallel_may_use_sp(gpt3_spec: TrainingSpec) -> None:
    spec = _spec(
        gpt3_spec, virtual_stages=None, sequence_parallel=None, tp=2, pp=2, dp=16, layers=8, global_batch=32
    )  # 2 sequences per replica: a bubble of 1/2, so interleaving is tried (issue 18)
    lay, _ = candidate_layouts(spec, hardware("a100-sxm4-80gb"))
    assert set(np.unique(lay.v)) == {1, 2, 3, 4}  # 2 x 4 = 8 layers
    assert set(np.unique(lay.sp)) == {0, 1}


def test_micro_batch_of_64_is_the_largest(gpt3_spec: TrainingSpec) -> None:
    spec = _spec(gpt3_spec, micro_batch=None, global_batch=130, tp=8, pp=8, dp=1)
    lay, _ = candidate_layouts(spec, hardware("a100-sxm4-80gb"))
    assert set(np.unique(lay.mb)) == {1, 2, 5, 10, 13, 26}  # 65 and 130 divide 130 but exceed 64


def test_the_specs_network_bandwidth_is_used(gpt3_spec: TrainingSpec) -> None:
    spec = _spec(gpt3_spec, dp=8, gpus=512, global_batch=512)
    slow = _spec(gpt3_spec, dp=8, gpus=512, global_batch=512, scaleout_gb_s_per_gpu=1.0)
    assert estimate(slow).breakdown["dp_comm"] > 10 * estimate(spec).breakdown["dp_comm"]


def test_chosen_and_json_values_are_plain(gpt3_spec: TrainingSpec) -> None:
    est = estimate(_spec(gpt3_spec, recompute=None))
    assert type(est.chosen["recompute"]) is str
    assert type(est.to_dict()["layout"]["recompute"]) is str
