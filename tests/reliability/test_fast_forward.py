"""Fast-forwarding uninterrupted checkpoint cycles gives the same run as stepping through every event."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.reliability import JobInputs, ReliabilityConfig, cycles, run_job


def _varying_job(config: ReliabilityConfig) -> JobInputs:
    n = 20 * 24 * 12  # 20 days of 5-min steps
    starts = np.arange(n) * 300.0
    held = np.where(starts < 5 * 86400, 4096, 8192)
    held[(starts >= 9 * 86400) & (starts < 9.5 * 86400)] = 0
    rate = held * 3e14 * (1 + 0.02 * np.sin(starts / 86400 * 2 * np.pi))  # diurnal wiggle
    return JobInputs(starts, 300.0, rate, held, 256, 2.5e26, 3600.0, config, 1e14)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"checkpoint_mode": "async", "async_stall_s": 1.0},
        {"checkpoint_interval_min": 7.5, "checkpoint_write_s": 20},
        {"infant_mortality_factor": 3.0, "spares_gpus": 64},
        {"on_shortage": "wait", "repair_median_h": 3.0},
    ],
)
def test_fast_forward_matches_event_by_event(
    overrides: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = ReliabilityConfig.model_validate({"interruption_rate_per_gpu_hour": 5e-5, **overrides})
    inp = _varying_job(cfg)
    fast = run_job(inp, np.random.default_rng(8))
    monkeypatch.setattr(cycles, "MIN_BATCH", 10**9)
    slow = run_job(inp, np.random.default_rng(8))
    assert fast.checkpoints == slow.checkpoints
    assert fast.interruptions_unexpected == slow.interruptions_unexpected > 10
    assert fast.finished == slow.finished
    for key in ("kind", "cause", "gpus_affected"):
        assert np.array_equal(fast.events[key], slow.events[key])
    np.testing.assert_allclose(fast.events["time_s"], slow.events["time_s"], rtol=1e-12)
    np.testing.assert_allclose(fast.events["work_lost_s"], slow.events["work_lost_s"], rtol=1e-6, atol=1e-5)
    for name in ("useful_s", "lost_s", "checkpoint_overhead_s", "waiting_s", "wall_s"):
        assert getattr(fast, name) == pytest.approx(getattr(slow, name), rel=1e-9)
    np.testing.assert_allclose(fast.cumulative_flop, slow.cumulative_flop, rtol=1e-9)
