"""The job's books: where each second of wall time went, committed progress, counts and the event log.

Every second of the job's wall time is booked exactly once, as useful (compute later committed, or pending at
the horizon), lost (compute rolled back, restarts, interrupted checkpoint writes, waiting for repairs),
checkpoint overhead (completed checkpoint stalls) or waiting (no GPUs). The state machine decides what a
stretch of time was; the ledger keeps the sums, the commits and the log, and turns them into a ``JobResult``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.checkpoint import CheckpointMode
from megacluster.reliability.cycles import CycleBatch
from megacluster.reliability.jobdata import JobResult
from megacluster.reliability.kinds import Cause, EventKind


@dataclass(slots=True)
class Ledger:
    """Time sums, progress, commits, counts and the event log of one run."""

    start_s: float
    """When the run starts. [s]"""
    n_causes: int
    """Failure causes in the cause table. [-]"""
    useful: float = 0.0
    lost: float = 0.0
    overhead: float = 0.0
    waiting: float = 0.0
    work: float = 0.0
    """Progress including compute not yet committed. [FLOP]"""
    committed: float = 0.0
    """Progress of the last completed checkpoint. [FLOP]"""
    uncommitted_s: float = 0.0
    """Compute time since the last completed checkpoint. [s]"""
    since_ckpt_s: float = 0.0
    """Compute time since the last checkpoint was taken (snapshot or write). [s]"""
    persist_due: float | None = None
    """When the background write of the last snapshot completes (asynchronous checkpoints). [s]"""
    snap_work: float = 0.0
    """Progress in the snapshot being written. [FLOP]"""
    snap_compute_s: float = 0.0
    """Compute time the snapshot being written commits. [s]"""
    n_unexpected: int = 0
    n_planned: int = 0
    n_ckpt: int = 0
    by_cause: list[int] = field(default_factory=list)
    commit_t: list[float] = field(default_factory=list)
    commit_w: list[float] = field(default_factory=list)
    log_t: list[float] = field(default_factory=list)
    log_kind: list[EventKind] = field(default_factory=list)
    log_cause: list[Cause] = field(default_factory=list)
    log_gpus: list[int] = field(default_factory=list)
    log_lost: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_cause = [0] * self.n_causes
        self.commit_t = [self.start_s]
        self.commit_w = [0.0]

    # --- commits and rollbacks ------------------------------------------------------------------------------
    def commit(self, t: float, work: float, compute_s: float, written: bool = True) -> None:
        """A checkpoint of ``work`` completes at ``t``: ``compute_s`` of compute becomes useful."""
        self.committed = work
        self.useful += compute_s
        self.uncommitted_s -= compute_s
        self.commit_t.append(t)
        self.commit_w.append(work)
        self.n_ckpt += 1 if written else 0
        self.persist_due = None

    def commit_pending(self) -> None:
        """The background write in flight completes."""
        if self.persist_due is not None:
            self.commit(self.persist_due, self.snap_work, self.snap_compute_s)

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

    def apply_cycles(self, batch: CycleBatch, mode: CheckpointMode, write_s: float) -> None:
        """Book ``batch``'s cycles, which start right after a checkpoint was taken."""
        k, tau, ends, works = batch.k, batch.tau, batch.ends, batch.works
        self.overhead += k * batch.stall
        if mode is CheckpointMode.SYNC:
            self.useful += k * tau + self.uncommitted_s
            self.uncommitted_s = 0.0
            self._commit_many(ends, works)
            self.committed = float(works[k - 1])
        else:
            self.commit_pending()
            self.uncommitted_s += tau  # the last cycle's snapshot is still being written
            self.useful += (k - 1) * tau
            self._commit_many(ends[: k - 1] + write_s, works[: k - 1])
            if k > 1:
                self.committed = float(works[k - 2])
            self.snap_work = float(works[k - 1])
            self.snap_compute_s = tau
            self.persist_due = float(ends[k - 1]) + write_s
        self.work = float(works[k - 1])

    # --- the event log --------------------------------------------------------------------------------------
    def log(self, t: float, kind: EventKind, cause: Cause, gpus: int, lost: float) -> None:
        """One row of the event log."""
        self.log_t.append(t)
        self.log_kind.append(kind)
        self.log_cause.append(cause)
        self.log_gpus.append(gpus)
        self.log_lost.append(lost)

    def events(self) -> dict[str, NDArray[np.generic]]:
        """The event log as columns (see ``JobResult.events``)."""
        return {
            "time_s": np.asarray(self.log_t, dtype=np.float64),
            "kind": np.asarray(self.log_kind, dtype=np.str_),
            "cause": np.asarray(self.log_cause, dtype=np.str_),
            "gpus_affected": np.asarray(self.log_gpus, dtype=np.int64),
            "work_lost_s": np.asarray(self.log_lost, dtype=np.float64),
        }

    def committed_at(self, times_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """Committed progress at each of ``times_s`` (0 before the start). [FLOP]"""
        ct = np.asarray(self.commit_t)
        cw = np.asarray(self.commit_w)
        idx = np.searchsorted(ct, times_s, side="right") - 1
        out: NDArray[np.float64] = np.where(idx >= 0, cw[np.maximum(idx, 0)], 0.0)
        return out

    # --- the result -----------------------------------------------------------------------------------------
    def result(
        self,
        end: float,
        step_ends_s: NDArray[np.float64],
        cause_ids: tuple[str, ...],
        finish_s: float | None,
        interval_s: float | None,
        write_s: float,
    ) -> JobResult:
        """The run's result, the run ending at ``end``."""
        wall = max(end - self.start_s, 0.0)
        held = wall - self.waiting
        return JobResult(
            cumulative_flop=self.committed_at(step_ends_s),
            finished=finish_s is not None,
            finish_s=finish_s,
            useful_s=self.useful,
            lost_s=self.lost,
            checkpoint_overhead_s=self.overhead,
            waiting_s=self.waiting,
            wall_s=wall,
            goodput=self.useful / held if held > 0 else 0.0,
            interruptions_unexpected=self.n_unexpected,
            interruptions_planned=self.n_planned,
            by_cause=dict(zip(cause_ids, self.by_cause, strict=True)),
            checkpoints=self.n_ckpt,
            checkpoint_interval_s=interval_s,
            checkpoint_write_s=write_s,
            events=self.events(),
        )
