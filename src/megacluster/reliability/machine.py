"""The job's state machine: a small heap of exact-time events, handlers that change state and schedule more.

States: compute, checkpoint stall, restart, wait (no GPUs), wait for repair, done. Phase events (checkpoint
due, finish, stall end, restart end, GPUs gone, GPUs back) carry the generation of the phase that scheduled
them and are dropped once the phase has changed. Stretches of uninterrupted compute + checkpoint cycles are
fast-forwarded in one vectorised step.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.causes import llama3_causes
from megacluster.reliability.checkpoint import CheckpointMode, CheckpointPolicy
from megacluster.reliability.constants import (
    MAX_AUTO_INTERVAL_H,
    MIN_AUTO_INTERVAL_S,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
)
from megacluster.reliability.events import (
    assign_causes,
    draw_event_times,
    draw_poisson_times,
    infant_mortality_multiplier,
)
from megacluster.reliability.jobdata import JobInputs, JobResult
from megacluster.reliability.profile import (
    Profile,
    ProfileCache,
    Timeline,
    band_change_index,
    banded,
    next_index,
)
from megacluster.reliability.repair import draw_repair_s, repair_deficit

# job states
_COMPUTE, _STALL, _RESTART, _WAIT, _WAIT_REPAIR, _DONE = range(6)
# event kinds
_CAND, _PLANNED, _REPAIR, _CKPT, _FINISH, _STALL_END, _RESTART_END, _GPU_ZERO, _GPU_BACK, _END = range(10)
_PHASE_EVENTS = frozenset({_CKPT, _FINISH, _STALL_END, _RESTART_END, _GPU_ZERO, _GPU_BACK})
_MIN_BATCH = 2
"""Fast-forward only when at least this many checkpoint cycles fit before the next event. [-]"""
_MAX_BATCH = 65_536
"""At most this many checkpoint cycles per fast-forward (bounds memory). [-]"""
_COUNT = np.arange(_MAX_BATCH, dtype=np.float64)


class JobMachine:
    """One run of the job: state, accounting and the event heap."""

    def __init__(self, inputs: JobInputs, rng: np.random.Generator) -> None:
        cfg = inputs.config
        self.inp = inputs
        self.cfg = cfg
        self.n = inputs.step_start_s.size
        self.t0 = float(inputs.step_start_s[0])
        self.dt = float(inputs.dt_s)
        edges = np.append(inputs.step_start_s, inputs.step_start_s[-1] + self.dt)
        self.edges = edges
        self.edges_l: list[float] = edges.tolist()
        self.t_end = float(edges[-1])
        self.target = float(inputs.target_flop)
        self.shrink = cfg.on_shortage == "shrink"
        self.policy = self._policy()
        self.restart_s = cfg.restart_time_s(inputs.checkpoint_bytes)
        self.auto = self.policy.fixed_interval_s is None

        table = llama3_causes()
        self.cause_ids = table.ids
        self.node_out: list[bool] = table.takes_node_out().tolist()
        rate_s = cfg.unexpected_rate_per_gpu_hour() / SECONDS_PER_HOUR
        planned_s = cfg.planned_interruptions_per_day / SECONDS_PER_DAY
        mult = infant_mortality_multiplier(
            inputs.step_start_s,
            cfg.infant_mortality_factor,
            cfg.infant_mortality_decay_days * SECONDS_PER_DAY,
        )
        self.rate_s = rate_s
        self.planned_s = planned_s
        # the auto interval sees the multiplier rounded down to 1 % bands: constant between band changes
        self.mult_banded: list[float] = banded(mult).tolist()
        self.mult_change_idx = band_change_index(mult)
        timeline = Timeline.build(edges, inputs.flop_rate, inputs.job_gpus, inputs.replica_gpus)
        self.profiles = ProfileCache(timeline)
        full = timeline.run_full[timeline.run_of]

        # all random draws, up front and in a fixed order
        start = float(inputs.start_s)
        hazard = rate_s * mult * full
        cand_t = draw_event_times(hazard, inputs.step_start_s, self.dt, rng, t_from_s=start)
        m = cand_t.size
        self.cand_t: list[float] = cand_t.tolist()
        self.cand_cause: list[int] = (
            assign_causes(m, table.shares(cfg.disabled_causes), rng).tolist() if m else []
        )
        self.cand_u: list[float] = rng.random(m).tolist()
        self.cand_repair: list[float] = draw_repair_s(
            m, cfg.repair_median_h * SECONDS_PER_HOUR, cfg.repair_sigma, rng
        ).tolist()
        self.planned_t: list[float] = draw_poisson_times(planned_s, start, self.t_end, rng).tolist()

        # state
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.gen = 0
        self.state = _WAIT
        self.t_phase = start
        self.prof: Profile = self.profiles.get(0)
        self.in_repair = 0
        self.work = 0.0
        self.committed = 0.0
        self.uncommitted_s = 0.0
        self.since_ckpt_s = 0.0
        self.tau: float | None = None
        self.final_stall = False
        self.persist_due: float | None = None
        self.snap_work = 0.0
        self.snap_compute_s = 0.0
        self.needs_restart = False
        self.finish_s: float | None = None
        self.useful = 0.0
        self.lost = 0.0
        self.overhead = 0.0
        self.waiting = 0.0
        self.n_unexpected = 0
        self.n_planned = 0
        self.n_ckpt = 0
        self.by_cause = [0] * len(self.cause_ids)
        self.commit_t: list[float] = [start]
        self.commit_w: list[float] = [0.0]
        self.log_t: list[float] = []
        self.log_kind: list[str] = []
        self.log_cause: list[str] = []
        self.log_gpus: list[int] = []
        self.log_lost: list[float] = []

    def _policy(self) -> CheckpointPolicy:
        cfg = self.cfg
        write_s = cfg.check_checkpoint(self.inp.checkpoint_bytes)
        sync = cfg.checkpoint_mode is CheckpointMode.SYNC
        stall_s = write_s if sync else min(cfg.async_stall_s, write_s)
        fixed = (
            None
            if isinstance(cfg.checkpoint_interval_min, str)
            else float(cfg.checkpoint_interval_min) * 60.0
        )
        return CheckpointPolicy(
            mode=cfg.checkpoint_mode,
            write_s=write_s,
            stall_s=stall_s,
            fixed_interval_s=fixed,
            auto_method=cfg.auto_method,
            max_interval_s=MAX_AUTO_INTERVAL_H * SECONDS_PER_HOUR,
            min_interval_s=MIN_AUTO_INTERVAL_S,
        )

    # --- time and progress ----------------------------------------------------------------------------------
    def push(self, t: float, kind: int, tag: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, tag))

    def step(self, t: float) -> int:
        k = int((t - self.t0) / self.dt)
        return 0 if k < 0 else (self.n - 1 if k >= self.n else k)

    def progress(self, t: float) -> float:
        return self.prof.progress(t, self.step(t))

    def progress_v(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        k = np.minimum(((t - self.t0) / self.dt).astype(np.intp), self.n - 1)
        return self.prof.progress_v(t, k)

    def edge_time(self, k: int | None, t: float) -> float:
        return math.inf if k is None else max(self.edges_l[k], t)

    def mtti_s(self, t: float) -> float:
        k = self.step(t)
        h = self.rate_s * self.mult_banded[k] * self.prof.eff(k) + self.planned_s
        return 1.0 / h if h > 0 else math.inf

    def log(self, t: float, kind: str, cause: str, gpus: int, lost: float) -> None:
        self.log_t.append(t)
        self.log_kind.append(kind)
        self.log_cause.append(cause)
        self.log_gpus.append(gpus)
        self.log_lost.append(lost)

    # --- phases ---------------------------------------------------------------------------------------------
    def close(self, t: float, completed: bool = True) -> None:
        """End the current phase at ``t`` and book its time."""
        e = t - self.t_phase
        s = self.state
        if s == _COMPUTE:
            self.uncommitted_s += e
            self.since_ckpt_s += e
            self.work += self.progress(t) - self.progress(self.t_phase)
        elif s == _STALL:
            if completed:
                self.overhead += e
            else:
                self.lost += e
        elif s == _WAIT:
            self.waiting += e
        elif s in (_RESTART, _WAIT_REPAIR):
            self.lost += e
        self.t_phase = t

    def enter(self, state: int, t: float) -> None:
        self.state = state
        self.t_phase = t
        self.gen += 1

    def enter_compute(self, t: float) -> None:
        self.enter(_COMPUTE, t)
        if self.tau is None or self.since_ckpt_s == 0.0:
            self.tau = self.policy.interval_s(self.mtti_s(t))
            if self.since_ckpt_s == 0.0:
                t = self.fast_forward(t)
                self.t_phase = t
        self.push(t + max(self.tau - self.since_ckpt_s, 0.0), _CKPT, self.gen)
        t_fin = self.prof.time_of(self.progress(t) + (self.target - self.work), t)
        if t_fin < math.inf:
            self.push(t_fin, _FINISH, self.gen)
        self.schedule_zero(t)

    def schedule_zero(self, t: float) -> None:
        t_zero = self.edge_time(self.prof.next_zero_step(self.step(t)), t)
        if t_zero < math.inf:
            self.push(t_zero, _GPU_ZERO, self.gen)

    def enter_stall(self, t: float, duration: float, final: bool) -> None:
        self.enter(_STALL, t)
        self.final_stall = final
        self.push(t + duration, _STALL_END, self.gen)
        self.schedule_zero(t)

    def enter_restart(self, t: float) -> None:
        self.enter(_RESTART, t)
        self.push(t + self.restart_s, _RESTART_END, self.gen)
        self.schedule_zero(t)

    def enter_wait(self, t: float) -> None:
        self.enter(_WAIT, t)
        t_back = self.edge_time(self.prof.next_running_step(self.step(t)), t)
        if t_back < math.inf:
            self.push(t_back, _GPU_BACK, self.gen)

    def resume(self, t: float) -> None:
        """Run again: restart first if the job's processes died, else compute."""
        if self.needs_restart:
            self.enter_restart(t)
        else:
            self.enter_compute(t)

    # --- fast-forward of uninterrupted checkpoint cycles ----------------------------------------------------
    def horizon(self, t: float) -> float:
        """Time of the next event that could change the cycle: heap top, GPUs gone, hazard band change. [s]"""
        heap = self.heap
        gen = self.gen
        while heap and heap[0][2] in _PHASE_EVENTS and heap[0][3] != gen:
            heapq.heappop(heap)
        limit = heap[0][0] if heap else self.t_end
        k = self.step(t)
        limit = min(limit, self.t_end, self.edge_time(self.prof.next_zero_step(k), t))
        if self.auto:
            limit = min(
                limit,
                self.edge_time(next_index(self.mult_change_idx, k + 1), t),
                self.edge_time(self.prof.next_change_step(k), t),
            )
        return limit

    def fast_forward(self, t: float) -> float:
        """Apply the whole compute + stall cycles that end before the next event; return the new time. [s]"""
        tau = self.tau if self.tau is not None else math.inf
        stall = self.policy.stall_s
        cycle = tau + stall
        if not math.isfinite(cycle) or cycle <= 0:
            return t
        k_max = min(int((self.horizon(t) - t) / cycle), _MAX_BATCH)
        if k_max < _MIN_BATCH:
            return t
        starts = t + cycle * _COUNT[:k_max]
        both = self.progress_v(np.concatenate((starts, starts + tau)))
        works = self.work + np.cumsum(both[k_max:] - both[:k_max])
        snaps = starts + tau
        k = min(k_max, int(works.searchsorted(self.target, side="left")))
        if k < _MIN_BATCH:
            return t
        ends = snaps[:k] + stall
        self.overhead += k * stall
        if self.policy.mode is CheckpointMode.SYNC:
            self.useful += k * tau + self.uncommitted_s
            self.uncommitted_s = 0.0
            self._commit_many(ends, works[:k])
            self.committed = float(works[k - 1])
        else:
            if self.persist_due is not None:
                self.commit(self.persist_due, self.snap_work, self.snap_compute_s)
            write = self.policy.write_s
            self.uncommitted_s += tau  # the last cycle's snapshot is still being written
            self.useful += (k - 1) * tau
            self._commit_many(ends[: k - 1] + write, works[: k - 1])
            if k > 1:
                self.committed = float(works[k - 2])
            self.snap_work = float(works[k - 1])
            self.snap_compute_s = tau
            self.persist_due = float(ends[k - 1]) + write
        self.work = float(works[k - 1])
        return float(ends[k - 1])

    # --- commits and rollbacks ------------------------------------------------------------------------------
    def commit(self, t: float, work: float, compute_s: float, written: bool = True) -> None:
        self.committed = work
        self.useful += compute_s
        self.uncommitted_s -= compute_s
        self.commit_t.append(t)
        self.commit_w.append(work)
        self.n_ckpt += 1 if written else 0
        self.persist_due = None

    def _commit_many(self, times: NDArray[np.float64], works: NDArray[np.float64]) -> None:
        self.commit_t.extend(times.tolist())
        self.commit_w.extend(works.tolist())
        self.n_ckpt += int(times.size)

    def rollback(self) -> float:
        """Lose the compute since the last completed checkpoint; return it. [s]"""
        lost = self.uncommitted_s
        self.lost += lost
        self.uncommitted_s = 0.0
        self.work = self.committed
        self.since_ckpt_s = 0.0
        self.persist_due = None  # a background write in flight is void
        return lost

    def after_interrupt(self, t: float) -> None:
        self.needs_restart = True
        deficit = repair_deficit(self.in_repair, self.cfg.spares_gpus)
        self.prof = self.profiles.get(deficit if self.shrink else 0)
        if self.prof.eff(self.step(t)) > 0:
            self.enter_restart(t)
        else:
            self.enter_wait(t)

    # --- event handlers -------------------------------------------------------------------------------------
    def on_candidate(self, t: float, i: int) -> None:
        if i + 1 < len(self.cand_t):
            self.push(self.cand_t[i + 1], _CAND, i + 1)
        if self.state != _COMPUTE and self.state != _STALL and self.state != _RESTART:
            return
        if not self.cand_u[i] < self.prof.accept(self.step(t)):
            return  # thinned: the candidate hit a GPU the job is not running on
        cause = self.cand_cause[i]
        self.close(t, completed=False)
        gpus = 0
        if self.node_out[cause]:
            gpus = self.cfg.node_gpus
            self.in_repair += gpus
            self.push(t + self.cand_repair[i], _REPAIR, gpus)
        lost = self.rollback()
        self.n_unexpected += 1
        self.by_cause[cause] += 1
        self.log(t, "failure", self.cause_ids[cause], gpus, lost)
        self.after_interrupt(t)

    def on_planned(self, t: float, i: int) -> None:
        if i + 1 < len(self.planned_t):
            self.push(self.planned_t[i + 1], _PLANNED, i + 1)
        if self.state not in (_COMPUTE, _STALL, _RESTART) or (self.state == _STALL and self.final_stall):
            return
        # [A] maintenance is scheduled at a checkpoint boundary: nothing is lost, the (re)start is paid again
        self.close(t, completed=True)
        self.commit(t, self.work, self.uncommitted_s, written=False)
        self.since_ckpt_s = 0.0
        self.n_planned += 1
        self.log(t, "planned", "planned_maintenance", self.prof.eff(self.step(t)), 0.0)
        self.after_interrupt(t)

    def on_repair(self, t: float, gpus: int) -> None:
        self.in_repair -= gpus
        self.log(t, "repair_done", "", gpus, 0.0)
        deficit = repair_deficit(self.in_repair, self.cfg.spares_gpus)
        if self.state == _WAIT_REPAIR and deficit == 0:
            self.close(t)
            self.enter_compute(t)
        elif self.state == _WAIT and self.shrink:
            self.prof = self.profiles.get(deficit)
            self.close(t)
            if self.prof.eff(self.step(t)) > 0:
                self.resume(t)
            else:
                self.enter_wait(t)

    def on_restart_end(self, t: float) -> None:
        self.close(t)
        self.needs_restart = False
        deficit = repair_deficit(self.in_repair, self.cfg.spares_gpus)
        if not self.shrink and deficit > 0:
            self.prof = self.profiles.get(0)
            self.enter(_WAIT_REPAIR, t)
            return
        self.prof = self.profiles.get(deficit if self.shrink else 0)
        if self.prof.eff(self.step(t)) > 0:
            self.enter_compute(t)
        else:
            self.enter_wait(t)

    def on_checkpoint_due(self, t: float, final: bool) -> None:
        self.close(t)
        if final:
            self.work = self.target
            self.persist_due = None  # the final write commits everything
            self.enter_stall(t, self.policy.write_s, final=True)
            return
        self.snap_work = self.work
        self.snap_compute_s = self.uncommitted_s
        self.since_ckpt_s = 0.0
        self.enter_stall(t, self.policy.stall_s, final=False)

    def on_stall_end(self, t: float) -> None:
        self.close(t, completed=True)
        if self.final_stall:
            self.commit(t, self.work, self.uncommitted_s)
            self.finish_s = t
            self.log(t, "finish", "", 0, 0.0)
            self.state = _DONE
            return
        if self.policy.mode is CheckpointMode.SYNC:
            self.commit(t, self.snap_work, self.snap_compute_s)
        else:
            self.persist_due = t + self.policy.write_s
        self.enter_compute(t)

    def on_gpu_zero(self, t: float) -> None:
        self.close(t, completed=False)
        lost = self.rollback()
        self.log(t, "suspend", "no_gpus", 0, lost)
        self.needs_restart = True
        self.enter_wait(t)

    # --- main loop ------------------------------------------------------------------------------------------
    def run(self) -> JobResult:
        start = float(self.inp.start_s)
        end = max(start, self.t_end)
        if start < self.t_end:
            self.push(self.t_end, _END)
            if self.cand_t:
                self.push(self.cand_t[0], _CAND, 0)
            if self.planned_t:
                self.push(self.planned_t[0], _PLANNED, 0)
            if self.prof.eff(self.step(start)) > 0:
                self.enter_compute(start)
            else:
                self.enter_wait(start)
        heap = self.heap
        while heap:
            due = self.persist_due
            if due is not None and due <= heap[0][0]:
                self.commit(due, self.snap_work, self.snap_compute_s)
                continue
            t, _, kind, tag = heapq.heappop(heap)
            if kind in _PHASE_EVENTS and tag != self.gen:
                continue
            if kind == _CAND:
                self.on_candidate(t, tag)
            elif kind == _CKPT:
                self.on_checkpoint_due(t, final=False)
            elif kind == _STALL_END:
                self.on_stall_end(t)
            elif kind == _RESTART_END:
                self.on_restart_end(t)
            elif kind == _REPAIR:
                self.on_repair(t, tag)
            elif kind == _FINISH:
                self.on_checkpoint_due(t, final=True)
            elif kind == _PLANNED:
                self.on_planned(t, tag)
            elif kind == _GPU_ZERO:
                self.on_gpu_zero(t)
            elif kind == _GPU_BACK:
                self.close(t)
                self.resume(t)
            else:  # _END
                self.close(t, completed=True)
                self.useful += self.uncommitted_s  # compute pending at the horizon counts as useful
                self.uncommitted_s = 0.0
                break
            if self.state == _DONE:
                end = t
                break
        return self.result(end)

    def result(self, end: float) -> JobResult:
        wall = max(end - float(self.inp.start_s), 0.0)
        held = wall - self.waiting
        ct = np.asarray(self.commit_t)
        cw = np.asarray(self.commit_w)
        idx = np.searchsorted(ct, self.edges[1:], side="right") - 1
        cumulative = np.where(idx >= 0, cw[np.maximum(idx, 0)], 0.0)
        events: dict[str, NDArray[np.generic]] = {
            "time_s": np.asarray(self.log_t, dtype=np.float64),
            "kind": np.asarray(self.log_kind, dtype=np.str_),
            "cause": np.asarray(self.log_cause, dtype=np.str_),
            "gpus_affected": np.asarray(self.log_gpus, dtype=np.int64),
            "work_lost_s": np.asarray(self.log_lost, dtype=np.float64),
        }
        return JobResult(
            cumulative_flop=cumulative,
            finished=self.finish_s is not None,
            finish_s=self.finish_s,
            useful_s=self.useful,
            lost_s=self.lost,
            checkpoint_overhead_s=self.overhead,
            waiting_s=self.waiting,
            wall_s=wall,
            goodput=self.useful / held if held > 0 else 0.0,
            interruptions_unexpected=self.n_unexpected,
            interruptions_planned=self.n_planned,
            by_cause=dict(zip(self.cause_ids, self.by_cause, strict=True)),
            checkpoints=self.n_ckpt,
            checkpoint_interval_s=self.tau,
            checkpoint_write_s=self.policy.write_s,
            events=events,
        )
