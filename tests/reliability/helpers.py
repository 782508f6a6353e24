"""Builders of job inputs for the reliability tests."""

from __future__ import annotations

import numpy as np

from megacluster.power.policy import JobAllotment, PowerPolicy
from megacluster.reliability import JobInputs, ReliabilityConfig

H100_BF16_FLOPS = 989e12
"""[P] NVIDIA H100 SXM datasheet: 989 TFLOP/s dense BF16. [FLOP/s]"""

LLAMA3_MFU = 0.40
"""[P] Llama 3 (2024) Table 4: 38-43 % BF16 MFU for 405B on 8K-16K H100. [-]"""

LLAMA3_REPLICA_GPUS = 128
"""[P] Llama 3 (2024): 405B trained with TP 8 x PP 16 (x CP 1), one data-parallel replica = 128 GPUs. [-]"""

LLAMA3_CHECKPOINT_BYTES = 405e9 * 14
"""[D] 405e9 parameters x 14 B (BF16 weights + FP32 master + Adam m, v). [B]"""


def constant_job(
    gpus: int,
    days: float,
    config: ReliabilityConfig | None = None,
    *,
    step_s: float = 60.0,
    replica_gpus: int = 1,
    target_flop: float = 1e40,
    start_s: float = 0.0,
    checkpoint_bytes: float | None = None,
    flop_per_gpu_s: float = H100_BF16_FLOPS * LLAMA3_MFU,
) -> JobInputs:
    """A job holding ``gpus`` GPUs at a constant rate for ``days`` days of ``step_s`` steps."""
    n = round(days * 86400.0 / step_s)
    starts = np.arange(n, dtype=float) * step_s
    held = np.full(n, gpus, dtype=np.int64)
    return JobInputs(
        step_start_s=starts,
        dt_s=step_s,
        flop_rate=held * flop_per_gpu_s,
        job_gpus=held,
        replica_gpus=replica_gpus,
        target_flop=target_flop,
        start_s=start_s,
        config=config or ReliabilityConfig(),
        checkpoint_bytes=checkpoint_bytes,
    )


def accounting_gap(result: object) -> float:
    """useful + lost + overhead + waiting - wall. [s]"""
    r = result
    return float(
        r.useful_s + r.lost_s + r.checkpoint_overhead_s + r.waiting_s - r.wall_s  # type: ignore[attr-defined]
    )


def power_allotment(
    allot_w: np.ndarray,
    held: np.ndarray,
    *,
    cap_min: float = 0.6,
    exponent: float = 0.866,
    policy: PowerPolicy = PowerPolicy.BEST,
) -> JobAllotment:
    """A power allotment for test jobs: 700 W of cap slope, 500 W fixed and 100 W idle per GPU (a 1,200 W GPU
    at full load), the exposure of the power policy's 'best' at 1e-4."""
    return JobAllotment(
        allot_w=allot_w,
        held_gpus=np.asarray(held).copy(),
        slope_w=700.0,
        fixed_w=500.0,
        idle_w=100.0,
        load=1.0,
        cap_min=cap_min,
        exponent=exponent,
        policy=policy,
        exposure_per_gpu=1e-4,
    )
