"""Shared fixtures of the performance-model tests."""

from __future__ import annotations

import pytest

from megacluster.performance.spec import TrainingSpec


@pytest.fixture
def gpt3_spec() -> TrainingSpec:
    """GPT-3 175B on 64 A100 (Korthikanti et al. 2022, Table 3 layout)."""
    return TrainingSpec(
        params_b=175,
        layers=96,
        hidden=12288,
        heads=96,
        ffn_hidden=49152,
        seq_len=2048,
        vocab=51200,
        gpu="a100-sxm4-80gb",
        gpus=64,
        tp=8,
        pp=8,
        dp=1,
        cp=1,
        ep=1,
        virtual_stages=3,
        micro_batch=1,
        global_batch=64,
        recompute="selective",
        sequence_parallel=True,
        zero_stage=0,
        precision="fp16",
        fused_attention=False,  # Korthikanti et al. 2022 ran unfused attention (the 2021-22 Megatron stack)
    )


@pytest.fixture
def small_spec() -> TrainingSpec:
    """A 1.3B GPT-style model on 16 H100, degrees left for `plan`."""
    return TrainingSpec(
        params_b=1.3,
        layers=24,
        hidden=2048,
        heads=16,
        ffn_hidden=8192,
        seq_len=2048,
        vocab=50304,
        gpu="h100-sxm",
        gpus=16,
        global_batch=64,
        precision="bf16",
    )
