"""The job's state machine: a small heap of exact-time events, handlers that change state and schedule more.

States: compute, checkpoint stall, restart, wait (no GPUs), wait for repair, done. Phase events (checkpoint
due, finish, stall end, restart end, GPUs gone, GPUs back) carry the generation of the phase that scheduled
them and are dropped once the phase has changed. Stretches of uninterrupted compute + checkpoint cycles are
fast-forwarded in one vectorised step (``cycles``). The random inputs are drawn up front (``draws``); the time
accounting, commits and event log live in the ledger (``ledger``).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability import cycles
from megacluster.reliability.causes import llama3_causes
from megacluster.reliability.checkpoint import CheckpointMode
from megacluster.reliability.draws import Hazard, draw_job_events
from megacluster.reliability.jobdata import JobInputs, JobResult
from megacluster.reliability.kinds import Cause, EventKind
from megacluster.reliability.ledger import Ledger
from megacluster.reliability.profile import (
    Profile,
    ProfileCache,
    Timeline,
    band_change_index,
    banded,
    next_index,
)
from megacluster.reliability.repair import repair_deficit

# job states
_COMPUTE, _STALL, _RESTART, _WAIT, _WAIT_REPAIR, _DONE = range(6)
# event kinds
_CAND, _PLANNED, _REPAIR, _CKPT, _FINISH, _STALL_END, _RESTART_END, _GPU_ZERO, _GPU_BACK, _END = range(10)
_PHASE_EVENTS = frozenset({_CKPT, _FINISH, _STALL_END, _RESTART_END, _GPU_ZERO, _GPU_BACK})


class JobMachine:
    """One run of the job: state, the event heap, and the ledger it books time in."""

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
        self.policy = cfg.checkpoint_policy(inputs.checkpoint_bytes)
        self.restart_s = cfg.restart_time_s(inputs.checkpoint_bytes)
        self.auto = self.policy.fixed_interval_s is None

        table = llama3_causes()
        self.cause_ids = table.ids
        self.node_out: list[bool] = table.takes_node_out().tolist()
        hazard = Hazard.of(cfg, inputs.step_start_s)
        self.rate_s = hazard.rate_s
        self.planned_s = hazard.planned_s
        # the auto interval sees the multiplier rounded down to 1 % bands: constant between band changes
        self.mult_banded: list[float] = banded(hazard.mult).tolist()
        self.mult_change_idx = band_change_index(hazard.mult)
        timeline = Timeline.build(edges, inputs.flop_rate, inputs.job_gpus, inputs.replica_gpus)
        self.profiles = ProfileCache(timeline)
        start = float(inputs.start_s)
        full = timeline.run_full[timeline.run_of]
        self.draws = draw_job_events(
            hazard, full, inputs.step_start_s, self.dt, start, self.t_end, cfg, table, rng
        )

        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.gen = 0
        self.state = _WAIT
        self.t_phase = start
        self.prof: Profile = self.profiles.get(0)
        self.in_repair = 0
        self.tau: float | None = None
        self.final_stall = False
        self.needs_restart = False
        self.finish_s: float | None = None
        self.ledger = Ledger(start_s=start, n_causes=len(self.cause_ids))

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

    # --- phases ---------------------------------------------------------------------------------------------
    def close(self, t: float, completed: bool = True) -> None:
        """End the current phase at ``t`` and book its time."""
        e = t - self.t_phase
        s = self.state
        led = self.ledger
        if s == _COMPUTE:
            led.uncommitted_s += e
            led.since_ckpt_s += e
            led.work += self.progress(t) - self.progress(self.t_phase)
        elif s == _STALL:
            if completed:
                led.overhead += e
            else:
                led.lost += e
        elif s == _WAIT:
            led.waiting += e
        elif s in (_RESTART, _WAIT_REPAIR):
            led.lost += e
        self.t_phase = t

    def enter(self, state: int, t: float) -> None:
        self.state = state
        self.t_phase = t
        self.gen += 1

    def enter_compute(self, t: float) -> None:
        self.enter(_COMPUTE, t)
        led = self.ledger
        if self.tau is None or led.since_ckpt_s == 0.0:
            self.tau = self.policy.interval_s(self.mtti_s(t))
            if led.since_ckpt_s == 0.0:
                t = self.fast_forward(t)
                self.t_phase = t
        self.push(t + max(self.tau - led.since_ckpt_s, 0.0), _CKPT, self.gen)
        t_fin = self.prof.time_of(self.progress(t) + (self.target - led.work), t)
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

    def after_interrupt(self, t: float) -> None:
        self.needs_restart = True
        deficit = repair_deficit(self.in_repair, self.cfg.spares_gpus)
        self.prof = self.profiles.get(deficit if self.shrink else 0)
        if self.prof.eff(self.step(t)) > 0:
            self.enter_restart(t)
        else:
            self.enter_wait(t)

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
        led = self.ledger
        batch = cycles.plan_cycles(
            t, tau, self.policy.stall_s, self.horizon, led.work, self.target, self.progress_v
        )
        if batch is None:
            return t
        led.apply_cycles(batch, self.policy.mode, self.policy.write_s)
        return float(batch.ends[-1])

    # --- event handlers -------------------------------------------------------------------------------------
    def on_candidate(self, t: float, i: int) -> None:
        draws = self.draws
        if i + 1 < len(draws.cand_t):
            self.push(draws.cand_t[i + 1], _CAND, i + 1)
        if self.state != _COMPUTE and self.state != _STALL and self.state != _RESTART:
            return
        if not draws.cand_u[i] < self.prof.accept(self.step(t)):
            return  # thinned: the candidate hit a GPU the job is not running on
        cause = draws.cand_cause[i]
        self.close(t, completed=False)
        gpus = 0
        if self.node_out[cause]:
            gpus = self.cfg.node_gpus
            self.in_repair += gpus
            self.push(t + draws.cand_repair[i], _REPAIR, gpus)
        led = self.ledger
        lost = led.rollback()
        led.n_unexpected += 1
        led.by_cause[cause] += 1
        led.log(t, EventKind.FAILURE, Cause(self.cause_ids[cause]), gpus, lost)
        self.after_interrupt(t)

    def on_planned(self, t: float, i: int) -> None:
        planned = self.draws.planned_t
        if i + 1 < len(planned):
            self.push(planned[i + 1], _PLANNED, i + 1)
        if self.state not in (_COMPUTE, _STALL, _RESTART) or (self.state == _STALL and self.final_stall):
            return
        # [A] maintenance is scheduled at a checkpoint boundary: nothing is lost, the (re)start is paid again
        self.close(t, completed=True)
        led = self.ledger
        led.commit(t, led.work, led.uncommitted_s, written=False)
        led.since_ckpt_s = 0.0
        led.n_planned += 1
        led.log(t, EventKind.PLANNED, Cause.PLANNED_MAINTENANCE, self.prof.eff(self.step(t)), 0.0)
        self.after_interrupt(t)

    def on_repair(self, t: float, gpus: int) -> None:
        self.in_repair -= gpus
        self.ledger.log(t, EventKind.REPAIR_DONE, Cause.NONE, gpus, 0.0)
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
        led = self.ledger
        if final:
            led.work = self.target
            led.persist_due = None  # the final write commits everything
            self.enter_stall(t, self.policy.write_s, final=True)
            return
        led.snap_work = led.work
        led.snap_compute_s = led.uncommitted_s
        led.since_ckpt_s = 0.0
        self.enter_stall(t, self.policy.stall_s, final=False)

    def on_stall_end(self, t: float) -> None:
        self.close(t, completed=True)
        led = self.ledger
        if self.final_stall:
            led.commit(t, led.work, led.uncommitted_s)
            self.finish_s = t
            led.log(t, EventKind.FINISH, Cause.NONE, 0, 0.0)
            self.state = _DONE
            return
        if self.policy.mode is CheckpointMode.SYNC:
            led.commit(t, led.snap_work, led.snap_compute_s)
        else:
            led.persist_due = t + self.policy.write_s
        self.enter_compute(t)

    def on_gpu_zero(self, t: float) -> None:
        self.close(t, completed=False)
        lost = self.ledger.rollback()
        self.ledger.log(t, EventKind.SUSPEND, Cause.NO_GPUS, 0, lost)
        self.needs_restart = True
        self.enter_wait(t)

    # --- main loop ------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Schedule the first events and enter the first phase (nothing if the run starts too late)."""
        start = float(self.inp.start_s)
        if start >= self.t_end:
            return
        self.push(self.t_end, _END)
        if self.draws.cand_t:
            self.push(self.draws.cand_t[0], _CAND, 0)
        if self.draws.planned_t:
            self.push(self.draws.planned_t[0], _PLANNED, 0)
        if self.prof.eff(self.step(start)) > 0:
            self.enter_compute(start)
        else:
            self.enter_wait(start)

    def run(self) -> JobResult:
        end = max(float(self.inp.start_s), self.t_end)
        self.start()
        heap = self.heap
        led = self.ledger
        while heap:
            due = led.persist_due
            if due is not None and due <= heap[0][0]:
                led.commit(due, led.snap_work, led.snap_compute_s)
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
                led.useful += led.uncommitted_s  # compute pending at the horizon counts as useful
                led.uncommitted_s = 0.0
                break
            if self.state == _DONE:
                end = t
                break
        return led.result(end, self.edges[1:], self.cause_ids, self.finish_s, self.tau, self.policy.write_s)
