"""Property tests: over random inputs the time accounting adds up exactly and progress is consistent."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from megacluster.reliability import JobInputs, ReliabilityConfig, run_job

from .helpers import accounting_gap


@st.composite
def job_inputs(draw: st.DrawFn) -> JobInputs:
    n = draw(st.integers(1, 300))
    dt = draw(st.sampled_from([1.0, 60.0, 300.0, 3600.0]))
    replica = draw(st.sampled_from([1, 8, 64, 128]))
    levels = draw(st.lists(st.integers(0, 4096), min_size=1, max_size=5))
    held = np.asarray(levels)[
        np.asarray(draw(st.lists(st.integers(0, len(levels) - 1), min_size=n, max_size=n)))
    ]
    per_gpu = draw(st.floats(0.0, 1e15))
    rate = held * per_gpu * np.asarray(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    horizon = n * dt
    interval = draw(st.one_of(st.just("auto"), st.floats(1.0, 600.0)))
    write = draw(st.one_of(st.just("auto"), st.floats(0.0, 30.0)))
    cfg = ReliabilityConfig.model_validate(
        {
            "interruption_rate_per_gpu_hour": draw(st.floats(0.0, 0.05)),
            "planned_interruptions_per_day": draw(st.floats(0.0, 50.0)),
            "restart_s": draw(st.floats(0.0, 2 * dt)),
            "checkpoint_interval_min": interval,
            "checkpoint_write_s": write
            if interval == "auto" or write == "auto"
            else min(write, interval * 30),
            "checkpoint_mode": draw(st.sampled_from(["sync", "async"])),
            "async_stall_s": draw(st.floats(0.0, 20.0)),
            "spares_gpus": draw(st.sampled_from([0, 8, 1000])),
            "repair_median_h": draw(st.floats(0.01, 48.0)),
            "on_shortage": draw(st.sampled_from(["shrink", "wait"])),
            "infant_mortality_factor": draw(st.sampled_from([1.0, 5.0])),
        }
    )
    return JobInputs(
        step_start_s=100.0 + np.arange(n) * dt,
        dt_s=dt,
        flop_rate=rate,
        job_gpus=held,
        replica_gpus=replica,
        target_flop=draw(st.floats(1.0, 1e22)),
        start_s=100.0 + draw(st.floats(0.0, horizon * 1.1)),
        config=cfg,
        checkpoint_bytes=draw(st.one_of(st.none(), st.floats(0.0, 2e14))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=job_inputs(), seed=st.integers(0, 2**32 - 1))
def test_accounting_invariants(inputs: JobInputs, seed: int) -> None:
    try:
        r = run_job(inputs, np.random.default_rng(seed))
    except ValueError as exc:  # a fixed interval shorter than the size-derived write time is bad input
        assert "longer than the checkpoint write" in str(exc)
        return
    end = inputs.step_start_s[-1] + inputs.dt_s
    assert abs(accounting_gap(r)) <= 1e-9 * max(r.wall_s, 1.0)
    for part in (r.useful_s, r.lost_s, r.checkpoint_overhead_s, r.waiting_s):
        assert part >= -1e-9 * max(r.wall_s, 1.0)
    assert r.wall_s <= max(end - inputs.start_s, 0.0) + 1e-6
    assert 0.0 <= r.goodput <= 1.0 + 1e-12
    cf = r.cumulative_flop
    assert cf.shape == inputs.step_start_s.shape
    assert np.all(np.diff(cf) >= 0)
    assert cf[-1] <= inputs.target_flop * (1 + 1e-9)
    if r.finished:
        assert r.finish_s is not None and inputs.start_s <= r.finish_s <= end
        assert cf[-1] == inputs.target_flop
    assert np.all(np.diff(r.events["time_s"]) >= 0)
    assert sum(r.by_cause.values()) == r.interruptions_unexpected
