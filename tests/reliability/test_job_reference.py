"""The job's state machine against a hand-written reference walk.

The model draws the failures; the reference takes their times from the model's event log and replays the
job's response by the rules of the model (job.py): compute ``tau`` between checkpoints, stall ``w`` to write
one (synchronous), lose the compute since the last completed checkpoint on a failure, restart for ``R``, run
on whole replicas of the GPUs not in repair (or wait for the repairs). Finish time, every second of the
accounting, the checkpoints, the committed progress at each step and each failure's lost work must agree; and
every failure and planned stop drawn for the run must be an interruption exactly when the job was in a phase
that takes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from megacluster.reliability import JobInputs, JobResult, ReliabilityConfig, llama3_causes, run_job
from megacluster.reliability.draws import Hazard, draw_job_events

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
    waiting: float = 0.0
    checkpoints: int = 0
    finish: float | None = None
    waited_for_repairs: float = 0.0
    fewest_running: int | None = None
    failure_lost: list[float] = field(default_factory=list)
    commits: list[tuple[float, float]] = field(default_factory=list)
    spans: list[tuple[float, float, str, int]] = field(default_factory=list)
    """(from, to, phase, GPUs running) of every phase: compute, stall, final, restart, wait, repairs. [s]"""


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
    shrink = cfg.on_shortage == "shrink"
    ev = result.events
    stops = [
        (float(t), str(k))
        for t, k in zip(ev["time_s"], ev["kind"], strict=True)
        if k in ("failure", "planned")
    ]
    repairs = sorted(float(t) for t, k in zip(ev["time_s"], ev["kind"], strict=True) if k == "repair_done")

    def deficit(t: float) -> int:
        return max(_in_repair(result, t) - cfg.spares_gpus, 0)

    def first_repair(t: float, ok: object) -> float:  # the first repair after t after which ok() holds
        return next(x for x in repairs if x > t and ok(x))  # type: ignore[operator]

    walk = Walk(t=start)

    def interrupted() -> int:
        """GPUs the restart runs on; with no whole replica left, wait (no GPUs) for a repair first."""
        running = _running(held, replica, deficit(walk.t) if shrink else 0)
        if running == 0:
            back = first_repair(walk.t, lambda x: _running(held, replica, deficit(x)) > 0)
            walk.spans.append((walk.t, back, "wait", 0))
            walk.waiting += back - walk.t
            walk.t = back
            running = _running(held, replica, deficit(walk.t))
        return running

    i = 0
    restarting = False
    running = held // replica * replica
    while True:
        nxt = stops[i][0] if i < len(stops) else math.inf
        if restarting:
            if nxt < walk.t + restart:  # interrupted again while restarting: that restart is lost
                walk.spans.append((walk.t, nxt, "restart", running))
                walk.lost += nxt - walk.t
                walk.t = nxt
                if stops[i][1] == "failure":
                    walk.failure_lost.append(0.0)
                i += 1
                running = interrupted()
                continue
            walk.spans.append((walk.t, walk.t + restart, "restart", running))
            walk.t += restart
            walk.lost += restart
            restarting = False
            if not shrink and deficit(walk.t) > 0:  # hold the job until the repairs return
                back = first_repair(walk.t, lambda x: deficit(x) == 0)
                walk.spans.append((walk.t, back, "repairs", 0))
                walk.lost += back - walk.t
                walk.waited_for_repairs += back - walk.t
                walk.t = back
            running = _running(held, replica, deficit(walk.t) if shrink else 0)
            assert running > 0, "GPUs only come back during a restart"
            walk.fewest_running = min(running, walk.fewest_running or running)
            nxt = stops[i][0] if i < len(stops) else math.inf
        rate = running * PER_GPU
        need = (target - walk.done) / rate
        seg = min(tau, need)
        end_compute = walk.t + seg
        end_stall = end_compute + w
        if nxt >= end_stall:  # the cycle completes: a checkpoint is written
            walk.spans.append((walk.t, end_compute, "compute", running))
            walk.spans.append((end_compute, end_stall, "final" if need <= tau else "stall", running))
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
        walk.spans.append((walk.t, min(nxt, end_compute), "compute", running))
        if nxt > end_compute:
            walk.spans.append((end_compute, nxt, "final" if need <= tau else "stall", running))
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
        running = interrupted()


def _check(result: JobResult, walk: Walk, start: float, step_ends: np.ndarray) -> None:
    assert result.finished and walk.finish is not None
    assert result.finish_s == pytest.approx(walk.finish, rel=1e-12)
    assert result.wall_s == pytest.approx(walk.finish - start, rel=1e-12)
    assert result.useful_s == pytest.approx(walk.useful, rel=1e-9)
    assert result.lost_s == pytest.approx(walk.lost, rel=1e-9, abs=1e-6)
    assert result.checkpoint_overhead_s == pytest.approx(walk.overhead, rel=1e-9, abs=1e-6)
    assert result.waiting_s == pytest.approx(walk.waiting, rel=1e-12)
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


def _check_draws(result: JobResult, walk: Walk, inp: JobInputs, seed: int) -> None:
    """Every draw in a phase that takes it is an interruption, no other: failures in compute, stall and
    restart (thinned to the share of the full job's GPUs running), planned stops there too but not in the
    final write."""
    cfg = inp.config
    full = inp.job_gpus // inp.replica_gpus * inp.replica_gpus
    end = float(inp.step_start_s[-1] + inp.dt_s)
    draws = draw_job_events(
        Hazard.of(cfg, inp.step_start_s),
        full,
        inp.step_start_s,
        inp.dt_s,
        inp.start_s,
        end,
        cfg,
        llama3_causes(),
        np.random.default_rng(seed),
    )
    begins = np.array([span[0] for span in walk.spans])

    def phase(t: float) -> tuple[str, int]:  # an event that ends a phase belongs to it
        span = walk.spans[int(np.searchsorted(begins, t, side="left")) - 1]
        assert span[0] <= t <= span[1]
        return span[2], span[3]

    failures = []
    for t, u in zip(draws.cand_t, draws.cand_u, strict=True):
        if t < walk.t:
            name, running = phase(t)
            if name in ("compute", "stall", "final", "restart") and u < running / full[0]:
                failures.append(t)
    planned = [t for t in draws.planned_t if t < walk.t and phase(t)[0] in ("compute", "stall", "restart")]
    ev = result.events
    np.testing.assert_array_equal(ev["time_s"][ev["kind"] == "failure"], failures)
    np.testing.assert_array_equal(ev["time_s"][ev["kind"] == "planned"], planned)


CASES = [
    # overrides, seed, GPUs held, replica, what the run must show (r: waits for repairs, s: runs short, z: has
    # no GPUs), first step of the grid
    pytest.param({}, 7, 512, 64, "", 0.0, id="failures-only"),
    pytest.param({"planned_interruptions_per_day": 6.0}, 3, 512, 64, "", 0.0, id="with-planned"),
    pytest.param(
        {"restart_s": 1800.0, "planned_interruptions_per_day": 4.0}, 11, 512, 64, "", 0.0, id="long-restarts"
    ),
    pytest.param(
        {"on_shortage": "wait", "spares_gpus": 0, "repair_median_h": 1.0}, 5, 512, 64, "r", 0.0, id="wait"
    ),
    pytest.param(
        {"on_shortage": "wait", "spares_gpus": 8, "repair_median_h": 3.0},
        2,
        512,
        64,
        "r",
        0.0,
        id="wait-spares",
    ),
    pytest.param(
        {"on_shortage": "wait", "spares_gpus": 7, "repair_median_h": 3.0},
        2,
        512,
        64,
        "r",
        0.0,
        id="wait-odd-spares",
    ),
    pytest.param({"spares_gpus": 0, "repair_median_h": 6.0}, 4, 512, 64, "s", 0.0, id="shrink"),
    pytest.param(
        {"spares_gpus": 0, "repair_median_h": 6.0}, 4, 512, 64, "s", 5 * 86400.0, id="shrink-late-grid"
    ),
    pytest.param({"spares_gpus": 16, "repair_median_h": 12.0}, 9, 512, 64, "s", 0.0, id="shrink-spares"),
    pytest.param(
        {"interruption_rate_per_gpu_hour": 1e-2, "spares_gpus": 0, "planned_interruptions_per_day": 2.0},
        1,
        8,
        8,
        "z",
        0.0,
        id="one-server-shrink",
    ),
    pytest.param(
        {"interruption_rate_per_gpu_hour": 1e-2, "spares_gpus": 0, "on_shortage": "wait"},
        1,
        8,
        8,
        "r",
        0.0,
        id="one-server-wait",
    ),
    pytest.param(
        {"interruption_rate_per_gpu_hour": 1e-2, "spares_gpus": 0, "planned_interruptions_per_day": 2.0},
        3,
        9,
        1,
        "sz",
        0.0,
        id="nine-gpus-one-per-replica",
    ),
]


@pytest.mark.parametrize(("overrides", "seed", "held", "replica", "shows", "t0"), CASES)
def test_sync_run_matches_the_reference_walk(
    overrides: dict[str, object], seed: int, held: int, replica: int, shows: str, t0: float
) -> None:
    start = t0 + 1800.0
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
        60.0,
        cfg,
        step_s=600.0,
        replica_gpus=replica,
        target_flop=target,
        flop_per_gpu_s=PER_GPU,
    )
    inp = JobInputs(
        inp.step_start_s + t0, inp.dt_s, inp.flop_rate, inp.job_gpus, replica, target, start, cfg, None
    )
    result = run_job(inp, np.random.default_rng(seed))
    assert result.interruptions_unexpected >= 5  # the walk has something to replay
    walk = _walk(result, cfg, held, replica, target, start)
    _check(result, walk, start, inp.step_start_s + inp.dt_s)
    _check_draws(result, walk, inp, seed)
    assert abs(accounting_gap(result)) <= 1e-9 * result.wall_s
    # each case exercises what it names
    assert (walk.waited_for_repairs > 0) == ("r" in shows)
    assert (walk.fewest_running is not None and walk.fewest_running < held) == ("s" in shows)
    assert (walk.waiting > 0) == ("z" in shows)
    assert (result.interruptions_planned > 0) == (cfg.planned_interruptions_per_day > 0)


def test_every_draw_becomes_an_event_while_the_job_runs_on_all_its_gpus() -> None:
    """No thinning at full strength: each failure candidate and planned time drawn for the run is an
    interruption, until the job finishes (same generator state, same draws: draws.py)."""
    cfg = ReliabilityConfig(
        interruption_rate_per_gpu_hour=1e-4, planned_interruptions_per_day=3.0, spares_gpus=1_000_000
    )
    inp = constant_job(2048, 15.0, cfg, step_s=300.0, replica_gpus=256, start_s=7200.0)
    r = run_job(inp, np.random.default_rng(12))
    hazard = Hazard.of(cfg, inp.step_start_s)
    full = np.full(inp.step_start_s.size, 2048)
    end = float(inp.step_start_s[-1] + inp.dt_s)
    draws = draw_job_events(
        hazard, full, inp.step_start_s, inp.dt_s, 7200.0, end, cfg, llama3_causes(), np.random.default_rng(12)
    )
    ev = r.events
    assert not r.finished
    np.testing.assert_array_equal(ev["time_s"][ev["kind"] == "failure"], draws.cand_t)
    np.testing.assert_array_equal(ev["time_s"][ev["kind"] == "planned"], draws.planned_t)
    causes = [llama3_causes().ids[i] for i in draws.cand_cause]
    assert ev["cause"][ev["kind"] == "failure"].tolist() == causes
    assert min(draws.cand_t) >= 7200.0 and min(draws.planned_t) >= 7200.0
