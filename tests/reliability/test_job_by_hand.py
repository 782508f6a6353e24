"""The job's state machine on runs solved by hand: single failures, asynchronous writes, planned stops, the
loss of every GPU, repairs, grids that start late, the horizon cutting a write, and the event log's rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from megacluster.reliability import JobInputs, ReliabilityConfig, llama3_causes, run_job

from .helpers import accounting_gap, constant_job

QUIET = {"interruption_rate_per_gpu_hour": 0.0, "planned_interruptions_per_day": 0.0}
"""No interruptions. [-]"""


def test_one_failure_by_hand() -> None:
    """One failure mid-compute: the compute since the last checkpoint and a restart are lost, nothing else."""
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=2e-5,
        planned_interruptions_per_day=0.0,
        checkpoint_interval_min=25,
        checkpoint_write_s=60,
        restart_s=100,
        spares_gpus=1_000_000,
    )
    # 1,000 GPUs at 1e14 FLOP/s, 1e22 FLOP: 100,000 s of compute, 1,500 s between checkpoints
    inp = constant_job(1000, 3.0, cfg, step_s=300.0, target_flop=1e22, flop_per_gpu_s=1e14)
    seed = next(s for s in range(200) if run_job(inp, np.random.default_rng(s)).interruptions_unexpected == 1)
    r = run_job(inp, np.random.default_rng(seed))
    t_fail = float(r.events["time_s"][r.events["kind"] == "failure"][0])
    cycles_done, into = divmod(t_fail, 1560.0)  # 1,500 s compute + 60 s write per cycle
    lost_compute = min(into, 1500.0)
    redo = 100_000.0 - cycles_done * 1500.0  # compute left after the last completed checkpoint
    assert r.events["work_lost_s"][r.events["kind"] == "failure"].tolist() == [pytest.approx(lost_compute)]
    assert r.lost_s == pytest.approx(into + 100.0)
    assert r.useful_s == pytest.approx(100_000.0)
    assert r.checkpoints == cycles_done + math.ceil(redo / 1500.0)
    assert r.checkpoint_overhead_s == pytest.approx(60.0 * r.checkpoints)
    assert r.finish_s == pytest.approx(t_fail + 100.0 + redo + 60.0 * math.ceil(redo / 1500.0))
    assert r.goodput == pytest.approx(100_000.0 / r.wall_s)


def test_async_checkpoints_by_hand() -> None:
    # 10,000 s of compute, a snapshot every 1,500 s stalls 10 s and is written in the background in 60 s;
    # the final checkpoint is written in full: 6 snapshots + the final write
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=0.0,
        planned_interruptions_per_day=0.0,
        checkpoint_interval_min=25,
        checkpoint_write_s=60,
        checkpoint_mode="async",
        async_stall_s=10,
    )
    inp = constant_job(1000, 1.0, cfg, step_s=300.0, target_flop=1e21, start_s=500.0, flop_per_gpu_s=1e14)
    r = run_job(inp, np.random.default_rng(0))
    assert r.finish_s == pytest.approx(500.0 + 10_000.0 + 6 * 10.0 + 60.0)
    assert r.checkpoints == 7
    assert r.useful_s == pytest.approx(10_000.0)
    assert r.checkpoint_overhead_s == pytest.approx(6 * 10.0 + 60.0)
    assert r.lost_s == 0.0 and r.waiting_s == 0.0
    assert r.checkpoint_interval_s == 1500.0 and r.checkpoint_write_s == 60.0
    # a snapshot counts once written: the first at 500 + 1,500 + 10 + 60 s
    ends = inp.step_start_s + inp.dt_s
    first = np.searchsorted(ends, 2070.0)
    assert r.cumulative_flop[first - 1] == 0.0 and r.cumulative_flop[first] == pytest.approx(1.5e20)
    assert r.cumulative_flop[-1] == pytest.approx(1e21)


def test_async_failure_voids_the_write_in_flight() -> None:
    """Asynchronous: a failure before the background write completes loses that snapshot's compute too."""
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=3e-4,
        planned_interruptions_per_day=0.0,
        checkpoint_interval_min=20,
        checkpoint_write_s=900,
        checkpoint_mode="async",
        async_stall_s=5,
        spares_gpus=1_000_000,
    )
    r = run_job(constant_job(512, 20.0, cfg, step_s=600.0), np.random.default_rng(3))
    lost = r.events["work_lost_s"][r.events["kind"] == "failure"]
    # the compute since the last *written* checkpoint: up to a cycle (1,200 s) plus the next one in flight
    assert lost.max() <= 2 * 1200.0 + 1e-6
    assert np.any(lost > 1200.0)  # some failures hit while a write was in flight
    assert abs(accounting_gap(r)) <= 1e-9 * r.wall_s


@pytest.mark.parametrize("on_shortage", ["shrink", "wait"])
def test_planned_stops_lose_only_restarts(on_shortage: str) -> None:
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=0.0,
        planned_interruptions_per_day=12.0,
        restart_s=300,
        checkpoint_write_s=30,
        on_shortage=on_shortage,  # type: ignore[arg-type]
    )
    r = run_job(constant_job(4096, 10.0, cfg, replica_gpus=128), np.random.default_rng(1))
    ev = r.events
    planned = np.sort(ev["time_s"][ev["kind"] == "planned"])
    assert r.interruptions_planned == planned.size > 80
    assert r.interruptions_unexpected == 0
    # each stop costs one restart, cut short by the next stop if it comes sooner
    gaps = np.diff(np.append(planned, np.inf))
    assert r.lost_s == pytest.approx(np.minimum(gaps, 300.0).sum())
    assert np.all(ev["work_lost_s"] == 0.0)
    assert set(ev["gpus_affected"][ev["kind"] == "planned"]) == {4096}
    assert set(ev["cause"][ev["kind"] == "planned"]) == {"planned_maintenance"}


def test_pulled_nodes_come_back_after_the_repair_time() -> None:
    # repairs of exactly 2 h (sigma 0); servers of 4 GPUs
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=2e-4,
        planned_interruptions_per_day=0.0,
        repair_median_h=2.0,
        repair_sigma=0.0,
        node_gpus=4,
        spares_gpus=1_000_000,
    )
    inp = constant_job(1024, 10.0, cfg, replica_gpus=64)
    r = run_job(inp, np.random.default_rng(2))
    ev = r.events
    failure = ev["kind"] == "failure"
    stays = [c.id for c in llama3_causes().causes if not c.takes_node_out]
    pulled = failure & ~np.isin(ev["cause"], stays)
    assert pulled.sum() > 20 and (failure & ~pulled).sum() > 2
    assert set(ev["gpus_affected"][pulled].tolist()) == {4}
    assert set(ev["gpus_affected"][failure & ~pulled].tolist()) == {0}
    back = ev["kind"] == "repair_done"
    assert set(ev["gpus_affected"][back].tolist()) == {4}
    expected = ev["time_s"][pulled] + 7200.0
    expected = np.sort(expected[expected < inp.step_start_s[-1] + inp.dt_s])
    np.testing.assert_allclose(np.sort(ev["time_s"][back]), expected, rtol=1e-12)
    assert set(ev["cause"][back].tolist()) == {""}
    assert set(ev["work_lost_s"][back].tolist()) == {0.0}


def test_auto_interval_follows_infant_mortality() -> None:
    """Young: tau = sqrt(2 delta M), M from the hazard at the last checkpoint, multiplier in 1 % bands."""
    base = {
        "planned_interruptions_per_day": 0.0,
        "checkpoint_write_s": 60,
        "auto_method": "young",
        "spares_gpus": 1_000_000,
    }
    gpus, rate = 16_384, 2e-5
    settled = run_job(
        constant_job(gpus, 2.0, ReliabilityConfig(interruption_rate_per_gpu_hour=rate, **base)),
        np.random.default_rng(0),
    )
    mtti = 3600.0 / (rate * gpus)
    assert settled.checkpoint_interval_s == pytest.approx(math.sqrt(2 * 60.0 * mtti), rel=1e-12)
    young = ReliabilityConfig(
        interruption_rate_per_gpu_hour=rate,
        infant_mortality_factor=4.0,
        infant_mortality_decay_days=20.0,
        **base,
    )
    r = run_job(constant_job(gpus, 2.0, young), np.random.default_rng(0))
    # near the end of day 2 the multiplier is 1 + 3 exp(-2 / 20) = 3.71, rounded down to a 1 % band
    assert r.checkpoint_interval_s is not None and settled.checkpoint_interval_s is not None
    ratio = r.checkpoint_interval_s / settled.checkpoint_interval_s
    multiplier = 1.0 + 3.0 * math.exp(-2.0 / 20.0)
    assert 1.0 / math.sqrt(multiplier) <= ratio <= 1.0 / math.sqrt(multiplier / 1.011)


def test_losing_every_gpu_suspends_the_job() -> None:
    # 64 GPUs, none from 1,200 s to 2,400 s; checkpoints every 10 min of compute, written in 5 s
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=0.0,
        planned_interruptions_per_day=200.0,  # many planned stops, none of them while the job has no GPUs
        checkpoint_interval_min=10,
        checkpoint_write_s=5,
        restart_s=10,
    )
    starts = np.arange(240) * 60.0
    held = np.where((starts >= 1200) & (starts < 2400), 0, 64)
    inp = JobInputs(starts, 60.0, held * 1e12, held, 8, 1e30, 0.0, cfg)
    r = run_job(inp, np.random.default_rng(6))
    ev = r.events
    suspend = ev["kind"] == "suspend"
    assert ev["time_s"][suspend].tolist() == [1200.0]
    assert ev["cause"][suspend].tolist() == ["no_gpus"]
    assert ev["gpus_affected"][suspend].tolist() == [0]
    last_commit = max(t for t in ev["time_s"][ev["kind"] == "planned"] if t < 1200.0)
    assert ev["work_lost_s"][suspend][0] <= 1200.0 - last_commit
    assert r.waiting_s == pytest.approx(1200.0)
    planned = ev["time_s"][ev["kind"] == "planned"]
    assert planned.size > 10
    assert not np.any((planned > 1200.0) & (planned < 2400.0))
    assert abs(accounting_gap(r)) <= 1e-9 * r.wall_s


def test_the_finish_is_logged_last() -> None:
    cfg = ReliabilityConfig(interruption_rate_per_gpu_hour=1e-4, planned_interruptions_per_day=2.0)
    inp = constant_job(1024, 10.0, cfg, replica_gpus=128, target_flop=1024 * 4e14 * 86400.0)
    r = run_job(inp, np.random.default_rng(3))
    assert r.finished and r.interruptions_unexpected > 0
    last = {key: column[-1] for key, column in r.events.items()}
    assert last == {
        "time_s": r.finish_s,
        "kind": "finish",
        "cause": "",
        "gpus_affected": 0,
        "work_lost_s": 0.0,
    }
    assert (r.events["kind"] == "finish").sum() == 1


def test_losing_the_gpus_during_a_checkpoint_write_loses_the_write() -> None:
    """By hand: 10-min intervals, 5-min writes, a 100 s restart; the GPUs go at 1,680 s and come back at
    2,400 s; the horizon is 3,000 s."""
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=0.0,
        planned_interruptions_per_day=0.0,
        checkpoint_interval_min=10,
        checkpoint_write_s=300,
        restart_s=100,
    )
    starts = np.arange(50) * 60.0
    held = np.where((starts >= 1680) & (starts < 2400), 0, 64)
    r = run_job(JobInputs(starts, 60.0, held * 1e12, held, 8, 1e30, 0.0, cfg), np.random.default_rng(0))
    # compute 0-600, write 600-900 (done); compute 900-1500, write 1500-1680 cut short by the loss of the GPUs
    ev = r.events
    assert ev["kind"].tolist() == ["suspend"]
    assert ev["work_lost_s"].tolist() == [600.0]
    assert r.checkpoints == 1
    assert r.checkpoint_overhead_s == 300.0
    assert r.waiting_s == 2400.0 - 1680.0
    # lost: 600 s of compute, 180 s of the cut write, the 100 s restart; back at 2,400 + 100 the job computes
    # 500 s, pending (useful) at the horizon
    assert r.lost_s == pytest.approx(600.0 + 180.0 + 100.0)
    assert r.useful_s == pytest.approx(600.0 + 500.0)
    assert r.wall_s == 3000.0
    assert r.cumulative_flop[-1] == pytest.approx(600.0 * 64e12)


def test_a_job_that_starts_without_gpus_waits_and_starts_without_a_restart() -> None:
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=0.0,
        planned_interruptions_per_day=0.0,
        checkpoint_interval_min=10,
        checkpoint_write_s=60,
        restart_s=100,
    )
    starts = np.arange(100) * 60.0
    held = np.where(starts < 900.0, 0, 16)
    # 1,000 s of compute once the GPUs arrive at 900 s: one checkpoint at 600 s of compute, then the final one
    inp = JobInputs(starts, 60.0, held * 1e12, held, 8, 16e15, 300.0, cfg)
    r = run_job(inp, np.random.default_rng(0))
    assert r.waiting_s == 600.0
    assert r.lost_s == 0.0
    assert r.finish_s == pytest.approx(900.0 + 1000.0 + 2 * 60.0)
    assert r.events["kind"].tolist() == ["finish"]


@pytest.mark.parametrize(
    ("interval_min", "committed"),
    [(1000.0, [0.0, 0.0, 0.0, 5e17]), (0.25, [4.5e16, 3.5e17, 3.5e17, 5e17])],
)
def test_a_varying_rate_on_a_grid_that_starts_late(interval_min: float, committed: list[float]) -> None:
    """By hand, on a clock that starts at 1e6 s: from 50 s into the first step, 50 s at 1e15 FLOP/s, 100 s at
    3e15, 100 s idle, then 75 s at 2e15 reach 5e17; free checkpoints every 15 s of compute commit 4.5e16 by
    the end of the first step and 3.5e17 at the end of the second."""
    t0 = 1e6
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=0.0,
        planned_interruptions_per_day=0.0,
        checkpoint_interval_min=interval_min,
        checkpoint_write_s=0,
    )
    rate = np.array([1.0, 3.0, 0.0, 2.0]) * 1e15
    inp = JobInputs(t0 + np.arange(4) * 100.0, 100.0, rate, np.full(4, 8), 8, 5e17, t0 + 50.0, cfg)
    r = run_job(inp, np.random.default_rng(0))
    assert r.finish_s == pytest.approx(t0 + 375.0, abs=1e-6)
    assert r.useful_s == pytest.approx(325.0)
    np.testing.assert_allclose(r.cumulative_flop, committed, rtol=1e-12)


def test_the_horizon_cuts_a_checkpoint_write() -> None:
    # compute 0-600 s, write 600-900 s, the horizon at 720 s: the write so far is overhead, the compute useful
    cfg = ReliabilityConfig(**QUIET, checkpoint_interval_min=10, checkpoint_write_s=300)
    starts = np.arange(12) * 60.0
    r = run_job(
        JobInputs(starts, 60.0, np.full(12, 8e12), np.full(12, 8), 8, 1e30, 0.0, cfg),
        np.random.default_rng(0),
    )
    assert (r.useful_s, r.checkpoint_overhead_s, r.lost_s, r.waiting_s) == (600.0, 120.0, 0.0, 0.0)
    assert r.checkpoints == 0 and not r.finished
    assert r.cumulative_flop[-1] == 0.0  # nothing was written


def test_a_one_gpu_job() -> None:
    cfg = ReliabilityConfig(**QUIET, checkpoint_interval_min=10, checkpoint_write_s=30)
    starts = np.arange(60) * 60.0
    inp = JobInputs(starts, 60.0, np.full(60, 1e12), np.ones(60, dtype=np.int64), 1, 1500e12, 0.0, cfg)
    r = run_job(inp, np.random.default_rng(0))
    # 1,500 s of compute: checkpoints at 600 and 1,200 s of compute, then the final write
    assert r.finish_s == pytest.approx(1500.0 + 3 * 30.0)
    assert r.checkpoints == 3


def test_a_run_that_starts_at_the_horizon_never_computes() -> None:
    inp = constant_job(8, 1.0, start_s=86400.0)
    r = run_job(inp, np.random.default_rng(0))
    assert r.checkpoint_interval_s is None
    assert r.wall_s == 0.0 and not r.finished and r.goodput == 0.0


def test_a_run_that_holds_its_gpus_for_half_a_second() -> None:
    inp = constant_job(8, 1.0, ReliabilityConfig(**QUIET), start_s=86400.0 - 0.5)
    r = run_job(inp, np.random.default_rng(0))
    assert r.wall_s == 0.5 and r.useful_s == 0.5
    assert r.goodput == 1.0


def test_an_empty_event_log_keeps_its_column_types() -> None:
    r = run_job(constant_job(8, 1.0, ReliabilityConfig(**QUIET)), np.random.default_rng(0))
    ev = r.events
    assert all(column.size == 0 for column in ev.values())
    assert ev["kind"].dtype == object and ev["cause"].dtype == object  # names: one str object per name
    assert ev["gpus_affected"].dtype == np.int64
    assert ev["time_s"].dtype == np.float64 and ev["work_lost_s"].dtype == np.float64


def test_infant_mortality_multiplies_the_failures() -> None:
    """A hazard 10x at the build, decaying over 1,000 days: 9.96x the failures of a settled fleet in 5 d."""
    base = {
        "planned_interruptions_per_day": 0.0,
        "spares_gpus": 1_000_000,
        "interruption_rate_per_gpu_hour": 2e-5,
    }
    young = {**base, "infant_mortality_factor": 10.0, "infant_mortality_decay_days": 1000.0}
    counts = []
    for cfg in (base, young):
        inp = constant_job(4096, 5.0, ReliabilityConfig.model_validate(cfg), step_s=600.0)
        counts.append(run_job(inp, np.random.default_rng(1)).interruptions_unexpected)
    expected = 2e-5 * 4096 * 5 * 24  # 9.8 settled
    assert counts[0] <= expected + 4 * np.sqrt(expected)
    assert counts[1] == pytest.approx(expected * 9.96, rel=4 / np.sqrt(expected * 9.96))
