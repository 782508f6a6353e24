"""The job's state machine: exact accounting, reproducibility, hand-solvable cases, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from megacluster.reliability import JobInputs, ReliabilityConfig, run_job

from .helpers import accounting_gap, constant_job

QUIET = {"interruption_rate_per_gpu_hour": 0.0, "planned_interruptions_per_day": 0.0}


def test_no_failures_finish_time_is_exact() -> None:
    # 1,000 GPUs at 1e14 FLOP/s each, 1e21 FLOP -> 10,000 s of compute; checkpoint every 1,500 s of compute
    # (6 checkpoints before the finish) at 60 s each, plus the final write of 60 s
    cfg = ReliabilityConfig(**QUIET, checkpoint_interval_min=25, checkpoint_write_s=60)
    inp = constant_job(1000, 1.0, cfg, step_s=300.0, target_flop=1e21, start_s=1234.5, flop_per_gpu_s=1e14)
    r = run_job(inp, np.random.default_rng(0))
    assert r.finished
    assert r.finish_s == pytest.approx(1234.5 + 10_000 + 7 * 60, rel=1e-12)
    assert r.useful_s == pytest.approx(10_000)
    assert r.checkpoint_overhead_s == pytest.approx(420)
    assert r.lost_s == 0 and r.waiting_s == 0
    assert r.checkpoints == 7
    assert r.goodput == pytest.approx(10_000 / 10_420)
    assert r.cumulative_flop[-1] == pytest.approx(1e21)
    # committed progress steps up at each completed checkpoint: 1.5e20 per checkpoint
    step_end = inp.step_start_s + inp.dt_s
    at = np.searchsorted(step_end, 1234.5 + 1500 + 60)
    assert r.cumulative_flop[at] == pytest.approx(1.5e20)
    assert r.cumulative_flop[at - 1] == 0.0


def test_progress_follows_a_varying_rate_exactly() -> None:
    cfg = ReliabilityConfig(**QUIET, checkpoint_interval_min=1000, checkpoint_write_s=0)
    starts = np.arange(4) * 100.0
    rate = np.array([1.0, 3.0, 0.0, 2.0]) * 1e15
    held = np.array([8, 8, 8, 8])
    inp = JobInputs(starts, 100.0, rate, held, 8, 5e17, 50.0, cfg)
    r = run_job(inp, np.random.default_rng(0))
    # 50 s at 1e15 = 0.5e17; 100 s at 3e15 = 3e17; 100 s at 0; then 1.5e17 at 2e15 -> 75 s
    assert r.finish_s == pytest.approx(375.0)
    assert r.useful_s == pytest.approx(325.0)


def test_waiting_while_no_gpus() -> None:
    cfg = ReliabilityConfig(**QUIET, checkpoint_interval_min=10, checkpoint_write_s=5, restart_s=100)
    starts = np.arange(100) * 60.0
    held = np.where((starts >= 1200) & (starts < 2400), 0, 64)
    inp = JobInputs(starts, 60.0, held * 1e12, held, 8, 1e30, 0.0, cfg)
    r = run_job(inp, np.random.default_rng(0))
    assert r.waiting_s == pytest.approx(1200.0)
    assert "suspend" in r.events["kind"].tolist()
    # the suspension at 1,200 s loses the compute since the checkpoint completed at 605 s
    assert r.lost_s == pytest.approx(1200 - 605 + 100)
    assert accounting_gap(r) == pytest.approx(0.0, abs=1e-6)
    assert r.goodput == pytest.approx(r.useful_s / (r.wall_s - r.waiting_s))


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"checkpoint_mode": "async"},
        {"on_shortage": "wait", "repair_median_h": 2.0},
        {"spares_gpus": 256, "infant_mortality_factor": 4.0},
        {"checkpoint_interval_min": 20, "checkpoint_write_s": 90},
        {"auto_method": "young", "restart_s": 0},
        {"restart_load": "from_size", "storage_bandwidth_tb_s": 1.0},
    ],
)
def test_accounting_adds_up_exactly(overrides: dict[str, object]) -> None:
    cfg = ReliabilityConfig.model_validate({"interruption_rate_per_gpu_hour": 2e-4, **overrides})
    inp = constant_job(16_384, 20.0, cfg, replica_gpus=128, checkpoint_bytes=1e14)
    r = run_job(inp, np.random.default_rng(5))
    assert r.interruptions_unexpected > 100
    assert abs(accounting_gap(r)) <= 1e-9 * r.wall_s
    assert r.wall_s == pytest.approx(20 * 86400.0)
    assert sum(r.by_cause.values()) == r.interruptions_unexpected
    assert np.all(np.diff(r.cumulative_flop) >= 0)
    assert 0.0 < r.goodput < 1.0


def test_same_seed_same_result_and_events() -> None:
    inp = constant_job(20_000, 10.0, ReliabilityConfig(interruption_rate_per_gpu_hour=1e-4), replica_gpus=64)
    a = run_job(inp, np.random.default_rng(42))
    b = run_job(inp, np.random.default_rng(42))
    c = run_job(inp, np.random.default_rng(43))
    for key in a.events:
        assert np.array_equal(a.events[key], b.events[key])
    assert np.array_equal(a.cumulative_flop, b.cumulative_flop)
    assert (a.useful_s, a.lost_s, a.by_cause) == (b.useful_s, b.lost_s, b.by_cause)
    assert not np.array_equal(a.events["time_s"], c.events["time_s"])


def test_event_log_columns() -> None:
    inp = constant_job(16_384, 5.0, ReliabilityConfig(), replica_gpus=128)
    r = run_job(inp, np.random.default_rng(1))
    ev = r.events
    assert set(ev) == {"time_s", "kind", "cause", "gpus_affected", "work_lost_s"}
    n = ev["time_s"].size
    assert all(col.shape == (n,) for col in ev.values())
    assert np.all(np.diff(ev["time_s"]) >= 0)
    failures = ev["kind"] == "failure"
    assert failures.sum() == r.interruptions_unexpected
    assert (ev["kind"] == "planned").sum() == r.interruptions_planned
    assert set(ev["cause"][failures]) <= set(r.by_cause)
    assert ev["work_lost_s"][failures].sum() <= r.lost_s + 1e-6
    assert set(np.unique(ev["gpus_affected"][failures])) <= {0, 8}


def test_shrinks_on_whole_replicas_when_spares_run_out() -> None:
    cfg = ReliabilityConfig(interruption_rate_per_gpu_hour=1e-3, disabled_causes=("software_bug",))
    base = constant_job(1024, 3.0, cfg.model_copy(update={"spares_gpus": 1024}), replica_gpus=256)
    shrunk = constant_job(1024, 3.0, cfg, replica_gpus=256)
    full = run_job(base, np.random.default_rng(9))
    small = run_job(shrunk, np.random.default_rng(9))
    # same time accounting rules, but fewer FLOP per second of compute while replicas are missing
    assert small.cumulative_flop[-1] < full.cumulative_flop[-1]
    assert small.interruptions_unexpected < full.interruptions_unexpected  # fewer GPUs exposed


def test_wait_policy_books_waiting_for_repair_as_lost() -> None:
    cfg = ReliabilityConfig(interruption_rate_per_gpu_hour=1e-3, on_shortage="wait", repair_median_h=10.0)
    r = run_job(constant_job(512, 5.0, cfg, replica_gpus=64), np.random.default_rng(4))
    assert r.waiting_s == 0.0
    assert r.lost_s > r.interruptions_unexpected * cfg.restart_s
    assert abs(accounting_gap(r)) <= 1e-9 * r.wall_s


def test_start_after_horizon_is_empty() -> None:
    inp = constant_job(8, 1.0, start_s=86400.0 * 2)
    r = run_job(inp, np.random.default_rng(0))
    assert r.wall_s == 0 and not r.finished and r.goodput == 0.0
    assert np.all(r.cumulative_flop == 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dt_s": 0.0}, "dt_s"),
        ({"dt_s": math.nan}, "dt_s"),
        ({"flop_rate": np.full(10, -1.0)}, "flop_rate"),
        ({"flop_rate": np.full(10, math.nan)}, "flop_rate"),
        ({"job_gpus": np.full(10, -8)}, "job_gpus"),
        ({"job_gpus": np.full(9, 8)}, "same length"),
        ({"replica_gpus": 0}, "replica_gpus"),
        ({"target_flop": 0.0}, "target_flop"),
        ({"start_s": -1.0}, "start_s"),
        ({"checkpoint_bytes": -1.0}, "checkpoint_bytes"),
        ({"step_start_s": np.arange(10) * 61.0}, "contiguous"),
    ],
)
def test_bad_inputs_are_rejected(change: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "step_start_s": np.arange(10) * 60.0,
        "dt_s": 60.0,
        "flop_rate": np.full(10, 1e15),
        "job_gpus": np.full(10, 8),
        "replica_gpus": 8,
        "target_flop": 1e18,
        "start_s": 0.0,
    }
    args.update(change)
    with pytest.raises(ValueError, match=message):
        JobInputs(**args)  # type: ignore[arg-type]


def test_interval_shorter_than_auto_write_time_is_rejected() -> None:
    cfg = ReliabilityConfig(checkpoint_interval_min=1)  # 60 s, but 1 PB at 2 TB/s takes 500 s
    with pytest.raises(ValueError, match="longer than the checkpoint write"):
        run_job(constant_job(8, 1.0, cfg, checkpoint_bytes=1e15), np.random.default_rng(0))
