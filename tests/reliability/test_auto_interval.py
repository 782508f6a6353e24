"""The 'auto' checkpoint interval against the best fixed interval found by sweeping the simulation."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.reliability import JobInputs, ReliabilityConfig, daly_interval_s, llama3_causes, run_job
from megacluster.reliability.causes import Domain

from .helpers import constant_job

GPUS = 1000
MTTI_H = 1.0
HOURS = 12_000.0


def _config(**extra: object) -> ReliabilityConfig:
    # job-level causes only (no node repairs: the job keeps its size), rate set for MTTI = 1 h at 1,000 GPUs
    table = llama3_causes()
    kept = sum(c.count for c in table.causes if c.domain is Domain.JOB) / table.window.unexpected
    off = tuple(c.id for c in table.causes if c.domain is not Domain.JOB)
    return ReliabilityConfig.model_validate(
        {
            "interruption_rate_per_gpu_hour": 1.0 / (GPUS * MTTI_H) / kept,
            "disabled_causes": off,
            "planned_interruptions_per_day": 0.0,
            "restart_s": 300.0,
            "checkpoint_write_s": 60.0,
            **extra,
        }
    )


def test_auto_interval_is_within_a_few_percent_of_the_swept_optimum() -> None:
    rng_seed = 2024  # common random numbers: every interval sees the same failure times
    auto = run_job(constant_job(GPUS, HOURS / 24, _config(), step_s=3600.0), np.random.default_rng(rng_seed))
    assert auto.checkpoint_interval_s is not None
    factors = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.12, 1.25, 1.4, 1.6, 2.0])
    taus = auto.checkpoint_interval_s * factors
    goodput = np.array(
        [
            run_job(
                constant_job(GPUS, HOURS / 24, _config(checkpoint_interval_min=tau / 60.0), step_s=3600.0),
                np.random.default_rng(rng_seed),
            ).goodput
            for tau in taus
        ]
    )
    # best fixed interval: vertex of a parabola fitted to goodput over log(interval)
    a, b, _ = np.polyfit(np.log(taus), goodput, 2)
    best = float(np.exp(-b / (2 * a)))
    ratio = auto.checkpoint_interval_s / best
    print(
        f"auto (Daly) interval {auto.checkpoint_interval_s:.1f} s, best swept {best:.1f} s, "
        f"ratio {ratio:.3f}; goodput auto {auto.goodput:.4f}, best on grid {goodput.max():.4f} "
        f"at {taus[goodput.argmax()]:.1f} s; "
        f"{auto.interruptions_unexpected} interruptions"
    )
    assert a < 0  # the sweep brackets a maximum
    assert ratio == pytest.approx(1.0, abs=0.05)
    assert auto.goodput >= goodput.max() - 1e-3


def test_auto_interval_shortens_as_the_job_grows() -> None:
    starts = np.arange(2 * 24) * 3600.0
    held = np.where(starts < 24 * 3600.0, 1000, 16_000)
    inp = JobInputs(
        starts,
        3600.0,
        held * 1e14,
        held,
        8,
        1e40,
        0.0,
        ReliabilityConfig(checkpoint_write_s=60, spares_gpus=100_000),
    )
    small = run_job(
        JobInputs(starts[:24], 3600.0, held[:24] * 1e14, held[:24], 8, 1e40, 0.0, inp.config),
        np.random.default_rng(0),
    )
    grown = run_job(inp, np.random.default_rng(0))
    assert small.checkpoint_interval_s is not None and grown.checkpoint_interval_s is not None
    cfg = inp.config
    for gpus, result in ((1000, small), (16_000, grown)):
        per_s = cfg.interruption_rate_per_gpu_hour * gpus / 3600 + cfg.planned_interruptions_per_day / 86400
        assert result.checkpoint_interval_s == pytest.approx(float(daly_interval_s(60.0, 1 / per_s)))
