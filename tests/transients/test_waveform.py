"""The job's waveform: phase levels and times come out exactly; energy survives jitter; the floor holds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from megacluster.transients.waveform import GpuLevels, IterationPhases, JobSchedule, job_gpu_power

DT = 0.02
LEVELS = GpuLevels.build(1000.0, (1.0, 0.3, 0.17, 0.5))
PHASES = IterationPhases(compute_s=1.6, exposed_comm_s=0.4, bubble_s=0.0, dp_comm_s=0.4, optimizer_s=0.0)


def draw(
    phases: IterationPhases = PHASES,
    levels: GpuLevels = LEVELS,
    schedule: JobSchedule | None = None,
    jitter_s: float = 0.0,
    window_s: float = 120.0,
    gpus: int = 1000,
    seed: int = 1,
) -> np.ndarray:
    wave = job_gpu_power(
        phases,
        levels,
        gpus,
        10,
        schedule or JobSchedule(),
        window_s,
        DT,
        jitter_s,
        0.0,
        np.random.default_rng(seed),
    )
    return wave.gpu_mw


def test_levels_are_capped_and_floored() -> None:
    capped = GpuLevels.build(1000.0, (1.0, 0.3, 0.17, 0.5), cap_fraction=0.6, floor_fraction=0.4)
    assert capped.compute_w == 600.0
    assert (capped.comm_w, capped.idle_w, capped.optimizer_w) == (400.0, 400.0, 500.0)


def test_phases_from_the_performance_breakdown() -> None:
    breakdown = {
        "compute": 2.0,
        "recompute": 0.5,
        "tp_comm": 0.3,
        "cp_comm": 0.1,
        "ep_comm": 0.2,
        "pp_p2p": 0.1,
        "bubble": 0.4,
        "dp_comm": 0.2,
        "optimizer": 0.05,
    }
    p = IterationPhases.from_breakdown(breakdown, 8, 2, 16)
    assert p.step_s == pytest.approx(sum(breakdown.values()))
    assert (p.compute_s, p.exposed_comm_s) == pytest.approx((2.5, 0.7))
    assert p.slowed(0.8).step_s == pytest.approx(p.step_s / 0.8)


def test_a_single_stage_job_shows_its_two_levels() -> None:
    x = draw()
    mix = (1.6 * 1000.0 + 0.4 * 300.0) / 2.0  # the compute window's time-weighted draw [W]
    assert x.max() == pytest.approx(1000 * mix / 1e6)
    assert x.min() == pytest.approx(1000 * 300.0 / 1e6)
    # 2.0 s high, 0.4 s low out of 2.4 s: the mean over whole iterations is exact
    assert x.mean() == pytest.approx(1000 * (2.0 * mix + 0.4 * 300.0) / 2.4 / 1e6, rel=1e-3)
    spectrum_peak = np.argmax(np.abs(np.fft.rfft(x - x.mean())))
    assert spectrum_peak / (x.size * DT) == pytest.approx(1 / 2.4, abs=1 / 120.0)


def test_jitter_spreads_the_edges_but_keeps_the_energy() -> None:
    sharp = draw()
    spread = draw(jitter_s=0.05)
    assert np.sum(spread) == pytest.approx(np.sum(sharp), rel=2e-3)
    assert np.max(np.abs(np.diff(spread))) < 0.6 * np.max(np.abs(np.diff(sharp)))


def test_a_failure_drops_the_job_to_idle_for_the_restart() -> None:
    schedule = JobSchedule(failure_at_s=30.0, restart_s=40.0)
    wave = job_gpu_power(PHASES, LEVELS, 1000, 10, schedule, 120.0, DT, 0.0, 0.0, np.random.default_rng(2))
    idle = 1000 * 170.0 / 1e6
    t = np.arange(wave.gpu_mw.size) * DT
    inside = (t >= 30.0) & (t + DT <= 70.0)
    np.testing.assert_allclose(wave.gpu_mw[inside], idle)
    assert wave.active[inside].max() == pytest.approx(0.0, abs=1e-9)
    assert wave.active[t >= 71.0].min() == pytest.approx(1.0)
    assert wave.gpu_mw[t >= 71.0].max() > 2 * idle


def test_checkpoint_stalls_come_every_interval() -> None:
    schedule = JobSchedule(checkpoint_interval_s=24.0, checkpoint_stall_s=3.0)
    x = draw(schedule=schedule, window_s=300.0)
    idle = 1000 * 170.0 / 1e6
    at_idle = np.isclose(x, idle)
    runs = np.flatnonzero(np.diff(at_idle.astype(int)) == 1)
    assert 10 <= runs.size <= 12  # one 3-s stall per 24 s of compute plus the stall: 300 / 27 = 11
    assert np.sum(at_idle) * DT == pytest.approx(runs.size * 3.0, abs=2 * 3.0)


def test_pipeline_stages_spread_the_bubble() -> None:
    piped = IterationPhases(
        compute_s=1.6,
        exposed_comm_s=0.4,
        bubble_s=0.6,
        dp_comm_s=0.2,
        optimizer_s=0.0,
        pipeline_stages=4,
        micro_batches=8,
    )
    x = draw(phases=piped, gpus=4000)
    stage_levels = (1.6 * 1000.0 + 0.4 * 300.0) / 2.0
    mean = (2.0 * stage_levels + 0.6 * 170.0 + 0.2 * 300.0) / piped.step_s
    assert x.mean() == pytest.approx(4000 * mean / 1e6, rel=2e-3)
    # the stages idle at different times: the job never drops to every GPU idle
    assert x.min() > 4000 * 170.0 / 1e6 * 1.2


@settings(max_examples=30, deadline=None)
@given(
    floor=st.floats(0.0, 0.95),
    cap=st.floats(0.6, 1.0),
    jitter=st.floats(0.0, 0.05),
    failure=st.one_of(st.none(), st.floats(0.0, 50.0)),
    seed=st.integers(0, 1000),
)
def test_the_floor_never_lets_the_job_fall_below_it(
    floor: float, cap: float, jitter: float, failure: float | None, seed: int
) -> None:
    levels = GpuLevels.build(1000.0, (1.0, 0.3, 0.17, 0.5), cap_fraction=cap, floor_fraction=floor)
    schedule = JobSchedule(
        checkpoint_interval_s=10.0, checkpoint_stall_s=2.0, failure_at_s=failure, restart_s=10.0
    )
    x = draw(levels=levels, schedule=schedule, jitter_s=jitter, window_s=60.0, seed=seed)
    assert x.min() >= 1000 * floor * 1000.0 / 1e6 * (1 - 1e-9)
