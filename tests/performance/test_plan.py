"""`plan` searches the whole space, ranks by step time and keeps only layouts that fit."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.errors import InputError
from megacluster.performance.estimator import estimate, resolve
from megacluster.performance.plan import plan, search_space
from megacluster.performance.spec import TrainingSpec
from megacluster.performance.step_time import evaluate


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
    assert best[0].layout["tp"] * best[0].layout["pp"] * best[0].layout["dp"] * best[0].layout["cp"] == 32
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
