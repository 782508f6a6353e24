"""The engine-facing API: throughput of catalog models on catalog accelerators, scaling with fewer GPUs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from megacluster.catalog import models
from megacluster.errors import InputError
from megacluster.performance.engine_api import geometry_of, job_performance, spec_for_model
from megacluster.performance.flops import model_flop_per_step
from megacluster.performance.layout import ParallelLayout
from megacluster.performance.params import hardware
from megacluster.performance.plan import rank, search_space
from megacluster.performance.step_time import evaluate


@pytest.mark.parametrize(
    ("model", "gpu", "gpus"),
    [("llama3-405b", "h100-sxm", 16384), ("gpt3-175b", "h200-sxm", 4096), ("grok3-proxy", "gb200", 65536)],
)
def test_catalog_models_get_a_layout(model: str, gpu: str, gpus: int) -> None:
    perf = job_performance(models()[model], gpu, gpus, 2048, "bf16")
    assert 0.05 < perf.mfu < 0.8
    assert perf.model_flop_per_s > 0 and perf.checkpoint_bytes > 0
    lay = perf.layout
    assert perf.replica_gpus == lay.tp * lay.pp * lay.cp
    assert lay.dp is not None and perf.replica_gpus * lay.dp <= gpus


def test_throughput_scales_down_sensibly() -> None:
    perf = job_performance(
        models()["gpt3-175b"],
        "h100-sxm",
        1024,
        1024,
        "bf16",
        layout=ParallelLayout.model_validate(
            {
                "tp": 8,
                "pp": 8,
                "virtual_stages": 3,
                "micro_batch": 1,
                "recompute": "selective",
                "zero_stage": 1,
            }
        ),
    )
    assert perf.replica_gpus == 64 and perf.layout.dp == 16
    gpus = np.array([0, 63, 64, 128, 500, 1023, 1024, 5000])
    flop = perf.model_flop_per_s_at(gpus)
    assert flop[0] == flop[1] == 0.0
    assert flop[2] > 0
    assert np.all(np.diff(flop) >= 0)
    assert flop[-1] == pytest.approx(perf.model_flop_per_s) and flop[-2] == pytest.approx(
        perf.model_flop_per_s
    )
    assert np.all(flop <= perf.model_flop_per_s * (1 + 1e-12))


def test_fp8_and_bad_layouts() -> None:
    shape = models()["llama3-405b"]
    fp8 = job_performance(shape, "h100-sxm", 2048, 512, "fp8", layout=ParallelLayout(tp=8, pp=16))
    bf16 = job_performance(shape, "h100-sxm", 2048, 512, "bf16", layout=ParallelLayout(tp=8, pp=16))
    assert fp8.model_flop_per_s > bf16.model_flop_per_s
    with pytest.raises(InputError, match="tp"):
        job_performance(shape, "h100-sxm", 2048, 512, "bf16", layout=ParallelLayout(tp=3))
    with pytest.raises(InputError, match="gpu"):
        job_performance(shape, "h900", 2048, 512, "bf16")


def _exact(fn: Callable[[], object]) -> str:
    with pytest.raises(InputError) as exc:
        fn()
    return str(exc.value)


def test_bad_jobs_name_the_field() -> None:
    shape = models()["gpt3-175b"]
    assert (
        _exact(lambda: job_performance(shape, "h100-sxm", 0, 512, "bf16")) == "field 'job_gpus': must be >= 1"
    )
    assert _exact(lambda: job_performance(shape, "a100-sxm4-80gb", 64, 512, "fp8")) == (
        "field 'precision': a100-sxm4-80gb has no fp8 peak; valid: bf16, fp16"
    )
    assert _exact(lambda: job_performance(shape, "h100-sxm", 8, 512, "bf16")) == (
        "field 'job_gpus': no layout of gpt3-175b fits in h100-sxm memory"
    )
    given = [
        (ParallelLayout(tp=8, pp=16), 64, "field 'layout': tp*pp*cp = 128 exceeds the job's 64 GPUs"),
        (ParallelLayout(tp=5), 64, "field 'layout.tp': attention heads (96) must be divisible by tp=5"),
        (ParallelLayout(pp=97), 128, "field 'layout.pp': pipeline stages (97) exceed the layers (96)"),
    ]
    for layout, gpus, message in given:
        got = _exact(lambda lay=layout, n=gpus: job_performance(shape, "h100-sxm", n, 512, "bf16", lay))
        assert got == message


def test_a_given_layout_may_fill_the_job_exactly() -> None:
    shape = models()["gpt3-175b"]
    perf = job_performance(shape, "h100-sxm", 768, 512, "bf16", ParallelLayout(tp=8, pp=96))
    assert perf.replica_gpus == 768 and perf.layout.dp == 1 and perf.layout.pp == 96


def test_given_layout_defaults_are_derived() -> None:
    shape = models()["gpt3-175b"]
    perf = job_performance(shape, "h100-sxm", 1000, 512, "bf16", ParallelLayout(tp=8, pp=8, zero_stage=2))
    lay = perf.layout
    assert lay.dp == 15  # 1,000 // 64: the leftover 40 GPUs idle
    assert lay.sequence_parallel is True and lay.dp_overlap is True and lay.fused_attention is True
    assert lay.global_batch == 512 and lay.zero_stage == 2 and lay.recompute == "selective"
    plain = job_performance(
        shape,
        "h100-sxm",
        1000,
        512,
        "bf16",
        ParallelLayout(tp=1, pp=8, dp=4, zero_stage=0, recompute="full", virtual_stages=2, micro_batch=2),
    )
    assert plain.layout.sequence_parallel is False and plain.layout.dp_overlap is False
    assert (plain.layout.dp, plain.layout.recompute, plain.layout.virtual_stages) == (4, "full", 2)
    assert plain.layout.micro_batch == 2
    off = job_performance(
        shape,
        "h100-sxm",
        64,
        512,
        "bf16",
        ParallelLayout(tp=8, pp=8, sequence_parallel=False, dp_overlap=False),
    )
    assert off.layout.sequence_parallel is False and off.layout.dp_overlap is False


def test_reported_figures_agree() -> None:
    shape = models()["gpt3-175b"]
    perf = job_performance(
        shape, "h100-sxm", 1024, 1024, "bf16", ParallelLayout(tp=8, pp=8, virtual_stages=3)
    )
    assert perf.job_gpus == 1024
    assert perf.tokens_per_s == pytest.approx(1024 * 2048 / perf.step_time_s, rel=1e-12)
    flop_per_step = float(model_flop_per_step(geometry_of(shape), 1024.0)[0])
    assert perf.model_flop_per_s == pytest.approx(flop_per_step / perf.step_time_s, rel=1e-12)
    assert perf.mfu == pytest.approx(perf.model_flop_per_s / (1024 * 989.4e12), rel=1e-12)
    assert perf.checkpoint_bytes == pytest.approx(14 * geometry_of(shape).params(), rel=1e-12)
    assert 10 < perf.memory_per_gpu_gib < 80e9 * 0.95 / 2**30  # GiB, within an H100's usable memory


def test_throughput_with_fewer_replicas_is_that_of_the_smaller_job() -> None:
    shape = models()["grok3-proxy"]  # 16 experts, expert parallel within data parallel
    layout = ParallelLayout(tp=8, pp=16, ep=8, virtual_stages=2, zero_stage=1)
    perf = job_performance(shape, "h100-sxm", 8192, 1024, "bf16", layout)
    assert perf.replica_gpus == 128 and perf.layout.dp == 64 and perf.layout.ep == 8
    for replicas in (1, 4, 64):
        small = job_performance(
            shape,
            "h100-sxm",
            128 * replicas,
            1024,
            "bf16",
            layout.model_copy(update={"ep": min(8, replicas), "dp": replicas}),
        )
        got = float(perf.model_flop_per_s_at(np.array([128 * replicas]))[0])
        assert got >= small.model_flop_per_s * (1 - 1e-12)  # made non-decreasing in the replicas
        if replicas == 1:
            assert got == pytest.approx(small.model_flop_per_s, rel=1e-12)
    assert float(perf.model_flop_per_s_at(np.array([128]))[0]) < 0.1 * perf.model_flop_per_s


def test_a_one_gpu_replica_with_no_gpus_does_nothing() -> None:
    perf = job_performance(models()["gpt3-175b"], "h200-sxm", 4, 16, "bf16", ParallelLayout(recompute="full"))
    assert perf.replica_gpus == 1
    flop = perf.model_flop_per_s_at(np.array([0, 1, 2, 4, 9]))
    assert flop[0] == 0.0 and 0 < flop[1] < flop[2] < flop[3] == flop[4] == perf.model_flop_per_s


def test_the_engine_search_leaves_gpus_idle_rather_than_fail() -> None:
    shape = models()["llama3-405b"]
    g, hw = geometry_of(shape), hardware("h100-sxm")
    with pytest.raises(InputError):  # 997 is prime: no tp x pp x cp x dp of 126 layers fills it exactly
        search_space(g, hw, 997, 2048)
    perf = job_performance(shape, "h100-sxm", 997, 2048, "bf16")
    assert perf.replica_gpus * (perf.layout.dp or 0) <= 997
    assert perf.mfu == pytest.approx(perf.model_flop_per_s / (997 * 989.4e12), rel=1e-12)


def test_spec_for_a_catalog_model_keeps_its_shape() -> None:
    shape = models()["grok3-proxy"]
    spec = spec_for_model(shape, "gb200", 4096, 1024, "fp8")
    # issue 12 item 5: the spec's count is the one derived from the shape (within 2 % of the declared one)
    assert (spec.id, spec.model, spec.params_b) == (shape.id, shape.name, shape.total_params() / 1e9)
    assert spec.params_b == pytest.approx(shape.params_b, rel=0.02)
    assert (spec.layers, spec.hidden, spec.heads, spec.kv_heads) == (120, shape.hidden, 128, 8)
    assert (spec.ffn_hidden, spec.seq_len, spec.vocab) == (shape.ffn_hidden, 8192, shape.vocab)
    assert (spec.moe_experts, spec.moe_top_k, spec.moe_ffn_hidden) == (
        16,
        shape.moe_top_k,
        shape.moe_ffn_hidden,
    )
    assert (spec.gpu, spec.gpus, spec.global_batch, spec.precision) == ("gb200", 4096, 1024, "fp8")
    assert spec.tp is None and spec.dp is None


def test_the_derived_replica_count_is_whole() -> None:
    shape = models()["gpt3-175b"]
    derived = job_performance(shape, "h100-sxm", 1000, 512, "bf16", ParallelLayout(tp=8, pp=8))
    given = job_performance(shape, "h100-sxm", 1000, 512, "bf16", ParallelLayout(tp=8, pp=8, dp=15))
    assert derived.step_time_s == given.step_time_s and derived.model_flop_per_s == given.model_flop_per_s


def test_derived_switches_follow_tp_and_zero() -> None:
    shape = models()["gpt3-175b"]
    two = job_performance(shape, "h100-sxm", 128, 512, "bf16", ParallelLayout(tp=2, pp=8))
    assert two.layout.sequence_parallel is True  # any tensor parallelism
    assert two.layout.zero_stage == 1 and two.layout.dp_overlap is True  # ZeRO-1 overlaps by default


def test_a_one_gpu_job() -> None:
    perf = job_performance(models()["gpt3-175b"], "h200-sxm", 1, 16, "bf16", ParallelLayout(recompute="full"))
    assert perf.replica_gpus == 1 and perf.layout.dp == 1 and perf.model_flop_per_s > 0


def test_fp8_job_figures() -> None:
    shape = models()["llama3-405b"]
    perf = job_performance(shape, "h100-sxm", 2048, 512, "fp8", layout=ParallelLayout(tp=8, pp=16))
    assert perf.mfu == pytest.approx(perf.model_flop_per_s / (2048 * 1978.9e12), rel=1e-12)  # fp8 peak
    flop_per_step = float(model_flop_per_step(geometry_of(shape), 512.0)[0])
    assert perf.model_flop_per_s == pytest.approx(flop_per_step / perf.step_time_s, rel=1e-12)


def test_the_engine_plans_at_the_jobs_precision() -> None:
    shape = models()["gpt3-175b"]
    g, hw = geometry_of(shape), hardware("h100-sxm")
    space = search_space(g, hw, 128, 128, ragged=True)
    out = evaluate(g, hw, space, "fp8")
    best = int(rank(out, 1)[0])
    perf = job_performance(shape, "h100-sxm", 128, 128, "fp8")  # bf16 or fp16 would pick others
    assert perf.step_time_s == float(out["step_time_s"][best])
    assert perf.layout.tp == space.row(best)["tp"] and perf.layout.pp == space.row(best)["pp"]
