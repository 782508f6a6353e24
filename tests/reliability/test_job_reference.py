"""The job's state machine against a hand-written reference walk, and hand-solved runs.

The model draws the failures; the reference takes their times from the model's event log and replays the job's
response by the rules of the model (job.py): compute ``tau`` between checkpoints, stall ``w`` to write one
(synchronous), lose the compute since the last completed checkpoint on a failure, restart for ``R``, run on
whole replicas of the GPUs not in repair (or wait for the repairs). Finish time, every second of the
accounting, the checkpoints, the committed progress at each step and each failure's lost work must agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from megacluster.reliability import JobResult, ReliabilityConfig, llama3_causes, run_job

from .helpers import accounting_gap, constant_job

PER_GPU = 1e12
"""FLOP/s per GPU of the reference jobs. [FLOP/s]"""


@dataclass
class Walk:
    """What the reference expects."""

    t: float
    done: float = 0.0
    useful: float = 0.0
    lost: float = 0.0
    overhead: float = 0.0
    checkpoints: int = 0
    finish: float | None = None
    waited_for_repairs: float = 0.0
    fewest_running: int | None = None
    failure_lost: list[float] = field(default_factory=list)
    commits: list[tuple[float, float]] = field(default_factory=list)


def _in_repair(result: JobResult, t: float) -> int:
    ev = result.events
    pulled = ev["gpus_affected"][(ev["kind"] == "failure") & (ev["time_s"] <= t)].sum()
    back = ev["gpus_affected"][(ev["kind"] == "repair_done") & (ev["time_s"] <= t)].sum()
    return int(pulled - back)


def _running(held: int, replica: int, deficit: int) -> int:
    return max(held - deficit, 0) // replica * replica


def _walk(
    result: JobResult, cfg: ReliabilityConfig, held: int, replica: int, target: float, start: float
) -> Walk:
    """Replay a synchronous, fixed-interval run on a constant number of GPUs held."""
    assert cfg.checkpoint_mode == "sync" and not isinstance(cfg.checkpoint_interval_min, str)
    tau = float(cfg.checkpoint_interval_min) * 60.0
    w = float(cfg.write_s(None))
    restart = cfg.restart_s
    ev = result.events
    stops = [
        (float(t), str(k))
        for t, k in zip(ev["time_s"], ev["kind"], strict=True)
        if k in ("failure", "planned")
    ]
    repairs = sorted(float(t) for t, k in zip(ev["time_s"], ev["kind"], strict=True) if k == "repair_done")
    walk = Walk(t=start)
    i = 0
    restarting = False
    running = held // replica * replica
    while True:
        nxt = stops[i][0] if i < len(stops) else math.inf
        if restarting:
            if nxt < walk.t + restart:  # interrupted again while restarting: that restart is lost
                walk.lost += nxt - walk.t
                walk.t = nxt
                if stops[i][1] == "failure":
                    walk.failure_lost.append(0.0)
                i += 1
                continue
            walk.t += restart
            walk.lost += restart
            restarting = False
            deficit = max(_in_repair(result, walk.t) - cfg.spares_gpus, 0)
            if cfg.on_shortage == "wait" and deficit > 0:  # hold the job until the repairs return
                back = next(x for x in repairs if x > walk.t and _in_repair(result, x) <= cfg.spares_gpus)
                walk.lost += back - walk.t
                walk.waited_for_repairs += back - walk.t
                walk.t = back
            running = _running(held, replica, deficit if cfg.on_shortage == "shrink" else 0)
            assert running > 0, "the reference does not model a job with no GPUs"
            walk.fewest_running = min(running, walk.fewest_running or running)
            nxt = stops[i][0] if i < len(stops) else math.inf
        rate = running * PER_GPU
        need = (target - walk.done) / rate
        seg = min(tau, need)
        end_compute = walk.t + seg
        end_stall = end_compute + w
        if nxt >= end_stall:  # the cycle completes: a checkpoint is written
            walk.useful += seg
            walk.overhead += w
            walk.done += seg * rate
            walk.checkpoints += 1
            walk.t = end_stall
            walk.commits.append((walk.t, walk.done))
            if need <= tau:
                walk.done = target
                walk.finish = walk.t
                return walk
            continue
        kind = stops[i][1]
        i += 1
        computed = min(nxt, end_compute) - walk.t
        if kind == "failure":  # roll back to the last checkpoint; an interrupted write is lost too
            walk.lost += nxt - walk.t
            walk.failure_lost.append(computed)
        else:  # planned: stop at a checkpoint boundary, nothing lost; a partial write counts as overhead
            walk.useful += computed
            walk.overhead += nxt - walk.t - computed
            walk.done += computed * rate
            walk.commits.append((nxt, walk.done))
        walk.t = nxt
        restarting = True


def _check(result: JobResult, walk: Walk, start: float, step_ends: np.ndarray) -> None:
    assert result.finished and walk.finish is not None
    assert result.finish_s == pytest.approx(walk.finish, rel=1e-12)
    assert result.wall_s == pytest.approx(walk.finish - start, rel=1e-12)
    assert result.useful_s == pytest.approx(walk.useful, rel=1e-9)
    assert result.lost_s == pytest.approx(walk.lost, rel=1e-9, abs=1e-6)
    assert result.checkpoint_overhead_s == pytest.approx(walk.overhead, rel=1e-9, abs=1e-6)
    assert result.waiting_s == 0.0
    assert result.checkpoints == walk.checkpoints
    failures = result.events["kind"] == "failure"
    np.testing.assert_allclose(
        result.events["work_lost_s"][failures], walk.failure_lost, rtol=1e-9, atol=1e-6
    )
    times = np.array([start] + [c[0] for c in walk.commits])
    done = np.array([0.0] + [c[1] for c in walk.commits])
    idx = np.searchsorted(times, step_ends, side="right") - 1
    expected = np.where(idx >= 0, done[np.maximum(idx, 0)], 0.0)  # nothing before the start
    np.testing.assert_allclose(result.cumulative_flop, expected, rtol=1e-9)


CASES = [
    pytest.param({}, 7, id="failures-only"),
    pytest.param({"planned_interruptions_per_day": 6.0}, 3, id="with-planned"),
    pytest.param({"restart_s": 1800.0, "planned_interruptions_per_day": 4.0}, 11, id="long-restarts"),
    pytest.param({"on_shortage": "wait", "spares_gpus": 0, "repair_median_h": 1.0}, 5, id="wait-for-repairs"),
    pytest.param({"on_shortage": "wait", "spares_gpus": 8, "repair_median_h": 3.0}, 2, id="wait-with-spares"),
    pytest.param({"on_shortage": "shrink", "spares_gpus": 0, "repair_median_h": 6.0}, 4, id="shrink"),
    pytest.param(
        {"on_shortage": "shrink", "spares_gpus": 16, "repair_median_h": 12.0}, 9, id="shrink-spares"
    ),
]


@pytest.mark.parametrize(("overrides", "seed"), CASES)
def test_sync_run_matches_the_reference_walk(overrides: dict[str, object], seed: int) -> None:
    held, replica, start = 512, 64, 1800.0
    cfg = ReliabilityConfig.model_validate(
        {
            "interruption_rate_per_gpu_hour": 1.5e-4,  # 512 GPUs: one failure every ~13 h
            "planned_interruptions_per_day": 0.0,
            "checkpoint_interval_min": 50,
            "checkpoint_write_s": 240,
            "restart_s": 600,
            "spares_gpus": 1_000_000,
            **overrides,
        }
    )
    # ten days of compute at full strength, not a whole number of intervals (no tie of checkpoint and finish)
    target = held * PER_GPU * (10 * 86400.0 + 1234.5)
    inp = constant_job(
        held,
        40.0,
        cfg,
        step_s=600.0,
        replica_gpus=replica,
        target_flop=target,
        start_s=start,
        flop_per_gpu_s=PER_GPU,
    )
    result = run_job(inp, np.random.default_rng(seed))
    assert result.interruptions_unexpected >= 5  # the walk has something to replay
    walk = _walk(result, cfg, held, replica, target, start)
    _check(result, walk, start, inp.step_start_s + inp.dt_s)
    assert abs(accounting_gap(result)) <= 1e-9 * result.wall_s
    # each case exercises what it names
    assert (walk.waited_for_repairs > 0) == (overrides.get("on_shortage") == "wait")
    assert (walk.fewest_running is not None and walk.fewest_running < held) == (
        overrides.get("on_shortage") == "shrink"
    )
    assert (result.interruptions_planned > 0) == ("planned_interruptions_per_day" in overrides)


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


def test_planned_stops_lose_only_restarts() -> None:
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=0.0,
        planned_interruptions_per_day=12.0,
        restart_s=300,
        checkpoint_write_s=30,
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
