"""Memory formulas against hand-worked values (Korthikanti et al. 2022; Rajbhandari et al. 2020)."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.performance.layout import Layout
from megacluster.performance.memory import activation_bytes_per_layer, checkpoint_bytes, memory_per_gpu
from megacluster.performance.spec import Geometry, TrainingSpec, geometry

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
