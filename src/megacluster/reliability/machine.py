"""The job's state machine: a small heap of exact-time events, handlers that change state and schedule more.

States: compute, checkpoint stall, restart, wait (no layout fits), wait for repair, done. The job holds a
fixed layout (a number of data-parallel replicas, ``layout.py``) from the end of a restart to the next
interruption: it changes only at restarts — after a failure, a planned stop, a power stop (the power or GPUs
given no longer carry the layout, even capped) or a planned grow (the supply rose and the gain outweighs the
restart). Each restart is paid from its parts (``restart.py``), with a re-shard when the replica count
changes. Phase events (checkpoint due, finish, stall end, restart end, layout stops fitting, GPUs back, supply
rises) are kept in a heap of their own, emptied when the phase changes.
Stretches of uninterrupted compute + checkpoint cycles are fast-forwarded in one vectorised step (``cycles``).
The random inputs are drawn up front (``draws``); the time accounting, commits and event log live in the
ledger.
"""

# long module because: the state machine's handlers belong together (each under 80 lines); the layouts,
# restart parts, draws, cycles and ledger are already in their own modules.

from __future__ import annotations

import bisect
import functools
import heapq
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability import cycles
from megacluster.reliability.causes import llama3_causes
from megacluster.reliability.checkpoint import AutoMethod, CheckpointMode
from megacluster.reliability.draws import CauseMap, Hazard, draw_job_events
from megacluster.reliability.jobdata import JobInputs, JobResult
from megacluster.reliability.kinds import BlastRadius, Cause, EventKind, RestartTrigger
from megacluster.reliability.layout import Layouts
from megacluster.reliability.ledger import Ledger
from megacluster.reliability.profile import band_change_index, banded, flat, next_index
from megacluster.reliability.restart import RestartParts, restart_parts

# job states
_COMPUTE, _STALL, _RESTART, _WAIT, _WAIT_REPAIR, _DONE = range(6)
# event kinds
_CAND, _PLANNED, _REPAIR, _CKPT, _FINISH, _STALL_END, _RESTART_END, _GPU_ZERO, _GPU_BACK = range(9)
_GROW, _SITE, _WINDOW, _END = range(9, 13)
_INTERRUPTIBLE = (_COMPUTE, _STALL, _RESTART)


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
        self.t_end = float(edges[-1])
        self.target = float(inputs.target_flop)
        self.shrink = cfg.on_shortage == "shrink"
        self.spares = int(cfg.spares_gpus)
        self.layouts = Layouts(inputs)
        self.edges_l = self.layouts.edges_l
        self.policy = cfg.checkpoint_policy(
            inputs.checkpoint_bytes, int(self.layouts.full_gpus.max(initial=0))
        )
        self.auto = self.policy.fixed_interval_s is None
        self.saxena = self.policy.auto_method is AutoMethod.SAXENA
        self._tau: dict[tuple[float, float], float] = {}
        """Checkpoint intervals by (MTTI, restart): the interval is asked at every checkpoint. [s]"""
        self.causes = CauseMap.of(
            cfg, llama3_causes(), inputs.blast_gpus, inputs.site_event_rate_per_s is not None
        )
        hazard = Hazard.of(cfg, inputs.step_start_s)
        self.rate_s = hazard.rate_s
        self.planned_s = hazard.planned_s
        # the auto interval sees the multiplier rounded down to 1 % bands: constant between band changes
        self.mult_banded = flat(banded(hazard.mult))
        self.mult_change = flat(band_change_index(hazard.mult), "q")
        start = float(inputs.start_s)
        self.draws = draw_job_events(
            hazard,
            self.layouts.full_gpus,
            inputs.step_start_s,
            self.dt,
            start,
            self.t_end,
            cfg,
            llama3_causes(),
            rng,
            inputs.site_event_rate_per_s,
        )
        self.heap: list[tuple[float, int, int, int]] = []
        """Events that outlive a phase: candidates, planned stops, site events, repairs, the end."""
        self.phase: list[tuple[float, int, int, int]] = []
        """The current phase's events (a heap too, emptied when the phase changes: nothing stale is kept)."""
        self.seq = 0
        self.gen = 0
        self.state = _WAIT
        self.t_phase = start
        self.replicas = 0
        self.prof = self.layouts.profile(0)
        self.last_run = 0
        """Replicas of the last layout that ran (a restart onto another count re-shards). [-]"""
        self.running = False
        self.run_t0 = start
        self.run_short = False
        """The running layout has fewer replicas than the GPUs in hand allow (power-limited)."""
        self.trigger = RestartTrigger.RESUME
        self.parts = RestartParts()
        self.restart_row = -1
        self.grow_t = math.inf
        self.in_repair = 0
        self.tau: float | None = None
        self.final_stall = False
        self.needs_restart = False
        self.finish_s: float | None = None
        self.start_progress: tuple[object, int, float, float] = (None, 0, math.nan, 0.0)
        """(profile, its window's start, instant, progress) found when the compute phase began: ``close``
        needs the same progress again (the window cannot move within a compute phase). [-, -, s, FLOP]"""
        self._parts: dict[tuple[int, RestartTrigger, bool, bool], RestartParts] = {}
        self.ledger = Ledger(start_s=start, n_causes=len(self.causes.ids))

    # --- time, progress, restarts ---------------------------------------------------------------------------
    def push(self, t: float, kind: int, tag: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, tag))

    def push_phase(self, t: float, kind: int) -> None:
        """Schedule an event of the current phase (dropped if the phase ends first)."""
        self.seq += 1
        heapq.heappush(self.phase, (t, self.seq, kind, self.gen))

    def step(self, t: float) -> int:
        k = int((t - self.t0) / self.dt)
        return 0 if k < 0 else (self.n - 1 if k >= self.n else k)

    def progress_v(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        k = np.minimum(((t - self.t0) / self.dt).astype(np.intp), self.n - 1)
        return self.prof.progress_v(t, k)

    def progress_l(self, t: list[float]) -> list[float]:
        """``progress_v`` on lists (the same steps and floats). [FLOP]"""
        return self.prof.progress_l(t, self.t0, self.n - 1)

    def edge_time(self, k: int | None, t: float) -> float:
        return math.inf if k is None else max(self.edges_l[k], t)

    def mtti_s(self, k: int, gpus: int | None = None) -> float:
        """Mean time to interruption in step ``k`` on ``gpus`` GPUs (the layout's running ones: None). [s]"""
        g = self.prof.eff(k) if gpus is None else gpus
        h = self.rate_s * self.mult_banded[k] * g + self.planned_s
        return 1.0 / h if h > 0 else math.inf

    def interval_s(self, k: int) -> float:
        """The checkpoint interval in step ``k`` (the policy's, kept by its arguments). [s]"""
        restart = 0.0
        if self.saxena:
            restart = self.parts_of(self.replicas, RestartTrigger.FAILURE, False, False).total_s
        h = self.rate_s * self.mult_banded[k] * self.prof.eff(k) + self.planned_s  # self.mtti_s, inlined
        key = (1.0 / h if h > 0 else math.inf, restart)
        tau = self._tau.get(key)
        if tau is None:
            tau = self._tau[key] = self.policy.interval_s(*key)
        return tau

    def deficit(self) -> int:
        """GPUs in repair beyond the spares (``repair.repair_deficit``, inlined for the hot loop). [-]"""
        d = self.in_repair - self.spares
        return d if d > 0 else 0

    def choose(self, t: float) -> int:
        """Replicas a restart at ``t`` runs on (the full job's when waiting for repairs). [-]"""
        d = self.in_repair - self.spares if self.shrink else 0  # self.deficit, inlined
        k = int((t - self.t0) / self.dt)  # self.step, inlined
        return self.layouts.choose(0 if k < 0 else (self.n - 1 if k >= self.n else k), d if d > 0 else 0)

    def parts_of(self, replicas: int, trigger: RestartTrigger, spare: bool, reshard: bool) -> RestartParts:
        key = (replicas, trigger, spare, reshard)
        found = self._parts.get(key)
        if found is None:
            gpus = replicas * self.layouts.replica_gpus
            found = restart_parts(
                self.cfg, gpus, self.inp.checkpoint_bytes, trigger, spare=spare, reshard=reshard
            )
            self._parts[key] = found
        return found

    # --- phases ---------------------------------------------------------------------------------------------
    def close(self, t: float, completed: bool = True, why: str = "rework") -> None:
        """End the current phase at ``t`` and book its time."""
        t_from = self.t_phase
        e = t - t_from
        s = self.state
        led = self.ledger
        if s == _COMPUTE:
            led.uncommitted_s += e
            led.since_ckpt_s += e
            k, last = int((t - self.t0) / self.dt), self.n - 1  # self.step, inlined
            k = 0 if k < 0 else (last if k > last else k)
            prof, start = self.prof, self.start_progress
            if start[0] is prof and start[1] == prof.k0 and start[2] == t_from:  # as enter_compute found it
                led.work += prof.progress(t, k) - start[3]
            else:
                led.work += prof.progress(t, k) - prof.progress(t_from, self.step(t_from))
        elif s == _STALL:
            if completed:
                led.overhead += e
            else:
                led.book_lost(e, why)
        elif s == _WAIT:
            led.waiting += e
        elif s == _RESTART:
            total = self.parts.total_s
            reshard = e * self.parts.reshard_s / total if total > 0 else 0.0
            power = self.trigger in (RestartTrigger.POWER, RestartTrigger.RESUME)
            led.book_lost(reshard, "reshard")
            led.book_lost(e - reshard, "power" if power else "restart")
        elif s == _WAIT_REPAIR:
            led.book_lost(e, "repairs")
        self.t_phase = t

    def enter(self, state: int, t: float) -> None:
        self.state = state
        self.t_phase = t
        self.gen += 1
        self.phase.clear()

    def start_run(self, t: float) -> None:
        """The layout starts computing (after a restart, a wait or at the start)."""
        self.running = True
        self.run_t0 = t
        k = self.step(t)
        in_hand = max(self.layouts.held_l[k] - self.deficit(), 0) // self.layouts.replica_gpus
        self.run_short = self.replicas < in_hand
        if self.last_run > 0 and self.replicas != self.last_run:
            self.ledger.n_resizes += 1
        self.last_run = self.replicas
        self.ledger.set_running(t, self.replicas)

    def end_run(self, t: float) -> None:
        """The layout stops computing: book the span's time by mode."""
        if not self.running:
            return
        self.running = False
        led = self.ledger
        capped = self.prof.capped_s(self.run_t0, t)
        led.mode["capped"] += capped
        key = "reduced" if self.run_short else "full"
        led.mode[key] += max(t - self.run_t0 - capped, 0.0)
        led.set_running(t, 0)

    def enter_compute(self, t: float) -> None:
        """Compute from ``t``: fast-forward whole cycles after a checkpoint, then schedule the phase's events
        (``step``, ``edge_time`` and ``push_phase`` inlined: this runs at every checkpoint)."""
        if not self.running:
            self.start_run(t)
        self.enter(_COMPUTE, t)
        led, prof, edges = self.ledger, self.prof, self.edges_l
        k = self.step(t)
        if not prof.k0 <= k < prof.k1:
            prof.anchor(k)
        rise = self.layouts.next_rise(k, self.replicas)
        grow = self.grow_t = math.inf if rise is None else max(edges[rise], t)
        tau = self.tau
        if tau is None or led.since_ckpt_s == 0.0:
            tau = self.tau = self.interval_s(k)
            if led.since_ckpt_s == 0.0:
                t_ff = self.fast_forward(t)
                self.t_phase = t_ff
                if t_ff != t:
                    t, k = t_ff, self.step(t_ff)
        phase, gen, seq, push = self.phase, self.gen, self.seq + 1, heapq.heappush
        push(phase, (t + max(tau - led.since_ckpt_s, 0.0), seq, _CKPT, gen))
        p = prof.progress(t, k)
        self.start_progress = (prof, prof.k0, t, p)
        t_fin = prof.time_of(p + (self.target - led.work), t)
        if t_fin < math.inf:
            seq += 1
            push(phase, (t_fin, seq, _FINISH, gen))
        if grow < math.inf:
            seq += 1
            push(phase, (grow, seq, _GROW, gen))
        if prof.k1 < self.n:  # the profile's window ends: extend it and look again
            seq += 1
            push(phase, (max(edges[prof.k1], t), seq, _WINDOW, gen))
        self.seq = seq
        self.schedule_zero(t, k)

    def schedule_zero(self, t: float, k: int = -1) -> None:
        """Schedule the stop at the first step from ``k`` (holding ``t``; found if not given) where the layout
        no longer fits."""
        if k < 0:
            k = self.step(t)
        prof = self.prof
        if not prof.k0 <= k < prof.k1:
            prof.anchor(k)
        if self.layouts.fit_to_end[k] >= prof.gpus - 1e-6 * prof.gpus:
            return  # fits to the horizon (``prof.fits_to_end``, inlined: the common case, every phase)
        k_zero = prof.next_zero_step(k)
        if k_zero is not None:
            self.push_phase(max(self.edges_l[k_zero], t), _GPU_ZERO)

    def enter_stall(self, t: float, duration: float, final: bool) -> None:
        self.enter(_STALL, t)
        self.final_stall = final
        self.push_phase(t + duration, _STALL_END)
        self.schedule_zero(t)

    def begin_restart(
        self, t: float, replicas: int, trigger: RestartTrigger, cause: Cause, spare: bool
    ) -> None:
        """Restart onto ``replicas`` replicas: one restart row with its parts, a re-shard if the count
        changes."""
        reshard = self.last_run > 0 and replicas != self.last_run
        self.parts = self.parts_of(replicas, trigger, spare, reshard)
        self.trigger = trigger
        self.replicas = replicas
        self.prof = self.layouts.profile(replicas)
        led = self.ledger
        led.n_restarts += 1
        gpus = replicas * self.layouts.replica_gpus
        self.restart_row = led.log_restart(t, cause, replicas, gpus, self.parts)
        led.set_layout(t, replicas)
        self.enter(_RESTART, t)
        self.push_phase(t + self.parts.total_s, _RESTART_END)
        self.schedule_zero(t)

    def enter_wait(self, t: float) -> None:
        self.enter(_WAIT, t)
        self.replicas = 0
        self.ledger.set_layout(t, 0)
        k = self.layouts.next_fit_step(self.step(t), self.deficit() if self.shrink else 0)
        t_back = self.edge_time(k, t)
        if t_back < math.inf:
            self.push_phase(t_back, _GPU_BACK)

    def resume(self, t: float) -> None:
        """Run again after a wait: restart first if the job's processes died, else compute."""
        replicas = self.choose(t)
        if replicas <= 0:
            self.enter_wait(t)
        elif self.needs_restart:
            self.begin_restart(t, replicas, RestartTrigger.RESUME, Cause.NO_GPUS, False)
        else:
            self.replicas = replicas
            self.prof = self.layouts.profile(replicas)
            self.ledger.set_layout(t, replicas)
            self.enter_compute(t)

    def after_interrupt(self, t: float, trigger: RestartTrigger, cause: Cause, spare: bool) -> None:
        self.end_run(t)
        self.needs_restart = True
        replicas = self.choose(t)
        if replicas > 0:
            self.begin_restart(t, replicas, trigger, cause, spare)
        else:
            self.enter_wait(t)

    # --- fast-forward of uninterrupted checkpoint cycles ----------------------------------------------------
    def horizon(self, t: float) -> float:
        """Time of the next event that could change the cycle: heap top, layout stops fitting, supply rises,
        hazard band change. [s]"""
        heap, phase, prof = self.heap, self.phase, self.prof
        limit = heap[0][0] if heap else self.t_end
        if phase and phase[0][0] < limit:
            limit = phase[0][0]
        k = self.step(t)
        fits = prof.fits_to_end(k)  # then it never stops nor changes (the common case)
        zero = math.inf if fits else self.edge_time(prof.next_zero_step(k), t)
        limit = min(limit, self.t_end, self.grow_t, zero)
        if self.auto:
            limit = min(
                limit,
                self.edge_time(next_index(self.mult_change, k + 1), t),
                math.inf if fits else self.edge_time(prof.next_change_step(k), t),
            )
        return limit

    def fast_forward(self, t: float) -> float:
        """Apply the whole compute + stall cycles that end before the next event; return the new time. [s]"""
        tau = self.tau if self.tau is not None else math.inf
        stall = self.policy.stall_s
        cycle = tau + stall
        heap = self.heap
        if heap and cycle > 0 and (heap[0][0] - t) / cycle < cycles.MIN_BATCH:
            # the horizon is no later than the next event: too few cycles fit before it, as ``plan_cycles``
            # would find (without the horizon's look-ups; it happens at most checkpoints)
            return t
        led = self.ledger
        batch = cycles.plan_cycles(
            t, tau, stall, self.horizon, led.work, self.target, self.progress_v, self.progress_l
        )
        if batch is None:
            return t
        led.apply_cycles(batch, self.policy.mode, self.policy.write_s)
        return batch.ends[-1]

    # --- event handlers -------------------------------------------------------------------------------------
    def on_candidate(self, t: float, i: int) -> None:
        draws = self.draws
        if i + 1 < len(draws.cand_t):
            self.push(draws.cand_t[i + 1], _CAND, i + 1)
        if self.state not in _INTERRUPTIBLE:
            return
        if not draws.cand_u[i] < self.prof.accept(self.step(t)):
            return  # thinned: the candidate hit a GPU the job is not running on
        cause = draws.cand_cause[i]
        causes = self.causes
        cdf = causes.blast_cdf[cause]
        radius = min(bisect.bisect_right(cdf, draws.cand_blast[i]), len(cdf) - 1)
        self.close(t, completed=False)
        before = self.deficit()
        gpus = causes.radius_gpus[radius]
        factor = causes.radius_repair[radius]
        if gpus > 0 and factor > 0:
            self.in_repair += gpus
            self.push(t + draws.cand_repair[i] * factor, _REPAIR, gpus)
        else:
            gpus = 0
        led = self.ledger
        lost = led.rollback()
        led.n_unexpected += 1
        led.by_cause[cause] += 1
        why = causes.members[cause]
        led.log(t, EventKind.FAILURE, why, gpus, lost, self.replicas, causes.radius_names[radius])
        self.after_interrupt(t, RestartTrigger.FAILURE, why, self.deficit() == before)

    def on_site(self, t: float, i: int) -> None:
        """A site power event: every running replica loses power; nothing is pulled for repair."""
        site = self.draws.site_t
        if i + 1 < len(site):
            self.push(site[i + 1], _SITE, i + 1)
        if self.state not in _INTERRUPTIBLE:
            return
        self.close(t, completed=False)
        led = self.ledger
        lost = led.rollback()
        led.n_unexpected += 1
        led.by_cause[self.causes.site] += 1
        led.log(t, EventKind.FAILURE, Cause.SITE_POWER, 0, lost, self.replicas, BlastRadius.JOB.value)
        self.after_interrupt(t, RestartTrigger.FAILURE, Cause.SITE_POWER, True)

    def on_planned(self, t: float, i: int) -> None:
        planned = self.draws.planned_t
        if i + 1 < len(planned):
            self.push(planned[i + 1], _PLANNED, i + 1)
        if self.state not in _INTERRUPTIBLE or (self.state == _STALL and self.final_stall):
            return
        # [A] maintenance is scheduled at a checkpoint boundary: nothing is lost, the (re)start is paid again
        self.stop_at_checkpoint(t)
        led = self.ledger
        led.n_planned += 1
        gpus = self.prof.eff(self.step(t))
        led.log(t, EventKind.PLANNED, Cause.PLANNED_MAINTENANCE, gpus, 0.0, self.replicas)
        self.after_interrupt(t, RestartTrigger.PLANNED, Cause.PLANNED_MAINTENANCE, True)

    def stop_at_checkpoint(self, t: float) -> None:
        """Stop at a checkpoint boundary: the work so far is committed, nothing is lost."""
        self.close(t, completed=True)
        led = self.ledger
        led.commit(t, led.work, led.uncommitted_s, written=False)
        led.since_ckpt_s = 0.0

    def on_grow(self, t: float, _tag: int = 0) -> None:
        """The supply rose above the layout: restart onto more replicas when the gain outweighs the cost."""
        k = self.step(t)
        grown = self.choose(t)
        now = self.prof.rate(k)
        if grown > self.replicas:
            new = self.layouts.rate_at(grown, k)
            parts = self.parts_of(grown, RestartTrigger.GROW, True, True)
            gain = (new - now) * self.mtti_s(k, grown * self.layouts.replica_gpus)
            if new > now and gain >= self.cfg.grow_threshold * parts.total_s * new:
                self.stop_at_checkpoint(t)
                led = self.ledger
                led.n_grows += 1
                led.log(t, EventKind.GROW, Cause.GROW, grown * self.layouts.replica_gpus, 0.0, grown)
                self.after_interrupt(t, RestartTrigger.GROW, Cause.GROW, True)
                return
        self.grow_t = self.edge_time(self.layouts.next_rise(k, max(self.replicas, grown)), t)
        if self.grow_t < math.inf:
            self.push_phase(self.grow_t, _GROW)

    def on_repair(self, t: float, gpus: int) -> None:
        self.in_repair -= gpus
        self.ledger.log(t, EventKind.REPAIR_DONE, Cause.NONE, gpus, 0.0, self.replicas)
        if self.state == _WAIT_REPAIR and self.deficit() == 0:
            self.close(t)
            self.enter_compute(t)
        elif self.state == _WAIT and self.shrink:
            self.close(t)
            if self.choose(t) > 0:
                self.resume(t)
            else:
                self.enter_wait(t)

    def on_restart_end(self, t: float, _tag: int = 0) -> None:
        """The restart is done: compute on the layout that fits now (nodes back from repair or power that came
        back during the restart join; a changed count not yet re-sharded adds the re-shard)."""
        self.close(t)
        self.needs_restart = False
        if not self.shrink and self.deficit() > 0:
            self.enter(_WAIT_REPAIR, t)
            return
        k = self.step(t)
        replicas = self.choose(t)
        rg = self.layouts.replica_gpus
        while replicas > 0 and not self.layouts.fits(replicas * rg, k):
            replicas -= 1
        if replicas <= 0:
            self.needs_restart = True
            self.enter_wait(t)
            return
        if replicas != self.replicas:
            if (
                self.parts.reshard_s == 0.0
                and self.cfg.restart_model == "parts"
                and replicas != self.last_run > 0
            ):
                self.extend_restart(t, replicas)
                return
            self.relayout(replicas, t)
        self.enter_compute(t)

    def relayout(self, replicas: int, t: float) -> None:
        """The restart runs on ``replicas`` after all (its row says so)."""
        self.replicas = replicas
        self.prof = self.layouts.profile(replicas)
        led = self.ledger
        led.rs_replicas[self.restart_row] = replicas
        led.rs_gpus[self.restart_row] = replicas * self.layouts.replica_gpus
        led.set_layout(t, replicas)

    def extend_restart(self, t: float, replicas: int) -> None:
        """The count changed at launch: add the re-shard to the restart."""
        self.relayout(replicas, t)
        extra = self.cfg.reshard_s
        self.parts = RestartParts(**{**self.parts.as_dict(), "reshard_s": self.parts.reshard_s + extra})
        self.ledger.rs_parts[self.restart_row] = self.parts.as_tuple()
        self.enter(_RESTART, t)
        self.push_phase(t + extra, _RESTART_END)
        self.schedule_zero(t)

    def on_checkpoint_due(self, t: float, _tag: int = 0, final: bool = False) -> None:
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

    def on_stall_end(self, t: float, _tag: int = 0) -> None:
        self.close(t, completed=True)
        led = self.ledger
        if self.final_stall:
            led.commit(t, led.work, led.uncommitted_s)
            self.finish_s = t
            led.log(t, EventKind.FINISH, Cause.NONE, 0, 0.0, self.replicas)
            self.end_run(t)
            led.set_layout(t, 0)
            self.state = _DONE
            return
        if self.policy.mode is CheckpointMode.SYNC:
            led.commit(t, led.snap_work, led.snap_compute_s)
        else:
            led.persist_due = t + self.policy.write_s
        self.enter_compute(t)

    def on_gpu_zero(self, t: float, _tag: int = 0) -> None:
        """The layout no longer fits (power or GPUs withdrawn): stop, losing the uncommitted work, and restart
        on the replicas that fit, or wait when none does."""
        self.close(t, completed=False, why="power")
        led = self.ledger
        lost = led.rollback("power")
        self.end_run(t)
        self.needs_restart = True
        replicas = self.choose(t)
        if replicas > 0:
            led.n_power += 1
            led.log(t, EventKind.POWER, Cause.POWER_SHORTFALL, self.prof.gpus, lost, replicas)
            self.begin_restart(t, replicas, RestartTrigger.POWER, Cause.POWER_SHORTFALL, False)
            return
        led.log(t, EventKind.SUSPEND, Cause.NO_GPUS, 0, lost, 0)
        self.enter_wait(t)

    # --- main loop ------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Schedule the first events and enter the first phase (nothing if the run starts too late)."""
        start = float(self.inp.start_s)
        if start >= self.t_end:
            return
        draws = self.draws
        self.push(self.t_end, _END)
        for times, kind in ((draws.cand_t, _CAND), (draws.planned_t, _PLANNED), (draws.site_t, _SITE)):
            if times:
                self.push(times[0], kind, 0)
        self.resume(start)

    def handlers(self) -> list[Callable[[float, int], None]]:
        """The handler of each event kind (in the kinds' order), called with the event's time and tag."""
        finish = functools.partial(self.on_checkpoint_due, final=True)
        return [
            self.on_candidate, self.on_planned, self.on_repair, self.on_checkpoint_due, finish,
            self.on_stall_end, self.on_restart_end, self.on_gpu_zero, self.on_gpu_back, self.on_grow,
            self.on_site, self.on_window, self.on_end,
        ]  # fmt: skip

    def on_window(self, t: float, _tag: int = 0) -> None:
        """The profile's window ends: extend it and look again."""
        self.close(t)
        self.enter_compute(t)

    def on_gpu_back(self, t: float, _tag: int = 0) -> None:
        """Some layout fits again after a wait."""
        self.close(t)
        self.resume(t)

    def on_end(self, t: float, _tag: int = 0) -> None:
        """The horizon: compute pending at it counts as useful."""
        led = self.ledger
        self.close(t, completed=True)
        self.end_run(t)
        led.useful += led.uncommitted_s
        led.uncommitted_s = 0.0
        self.state = _DONE

    def run(self) -> JobResult:
        end = max(float(self.inp.start_s), self.t_end)
        self.start()
        heap, phase = self.heap, self.phase
        led = self.ledger
        pop = heapq.heappop
        handlers = self.handlers()
        while heap:  # the end event stays in it to the end
            top = phase if phase and phase[0] < heap[0] else heap
            due = led.persist_due
            if due is not None and due <= top[0][0]:
                led.commit(due, led.snap_work, led.snap_compute_s)
                continue
            t, _, kind, tag = pop(top)
            handlers[kind](t, tag)
            if self.state == _DONE:  # finished, or the end event
                end = t
                break
        return led.result(end, self.edges[1:], self.causes.ids, self.finish_s, self.tau, self.policy.write_s)
