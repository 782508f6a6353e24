"""The job's books: where each second of wall time went, committed progress, counts and the event log.

Every second of the job's wall time is booked exactly once, as useful (compute later committed, or pending at
the horizon), lost (compute rolled back, restarts, interrupted checkpoint writes, waiting for repairs),
checkpoint overhead (completed checkpoint stalls) or waiting (no GPUs). The state machine decides what a
stretch of time was; the ledger keeps the sums, the commits and the log, and turns them into a ``JobResult``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.checkpoint import CheckpointMode
from megacluster.reliability.cycles import CycleBatch
from megacluster.reliability.jobdata import JobResult
from megacluster.reliability.kinds import Cause, EventKind
from megacluster.reliability.restart import PART_NAMES, RestartParts

LOSSES = ("rework", "restart", "reshard", "power", "repairs")
"""Causes of lost time: compute rolled back and interrupted writes after failures and planned stops; restarts
(their re-shard part apart); re-shards; rework and restarts of power stops; waiting for repairs."""

RUN_MODES = ("full", "capped", "reduced")
"""Modes running time is booked by: every replica uncapped, capped, fewer replicas than the GPUs allow."""

_NO_PARTS = (0.0,) * len(PART_NAMES)


def names(values: Any) -> NDArray[np.object_]:
    """Names (enum members or strings) as an object array holding one ``str`` per distinct name: 8 bytes a
    row, where numpy's fixed-width strings took 4 bytes a character of the longest name (88 a row for a
    cause; ~14 MB of a flagship replica of 90,000 events), and tables are made from it without a string per
    row. An object array is returned as it is. [-]"""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    memo: dict[Any, str] = {}
    out = np.empty(len(values), dtype=object)
    out[:] = [memo[v] if v in memo else memo.setdefault(v, str.__str__(v)) for v in values]
    return out


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
    log_rows: list[tuple[float, EventKind, Cause, int, float, int, str]] = field(default_factory=list)
    """The event log, a row per event (one append per event; split into columns at the end)."""
    rs_t: list[float] = field(default_factory=list)
    rs_cause: list[Cause] = field(default_factory=list)
    rs_replicas: list[int] = field(default_factory=list)
    rs_gpus: list[int] = field(default_factory=list)
    rs_parts: list[tuple[float, ...]] = field(default_factory=list)
    lost_by: dict[str, float] = field(default_factory=dict)
    """``lost`` split by cause of loss (``LOSSES``). [s]"""
    mode: dict[str, float] = field(default_factory=dict)
    """Running time by mode: 'full', 'capped', 'reduced'. [s]"""
    n_restarts: int = 0
    n_resizes: int = 0
    n_power: int = 0
    n_grows: int = 0
    layout_t: list[float] = field(default_factory=list)
    layout_r: list[int] = field(default_factory=list)
    running_t: list[float] = field(default_factory=list)
    running_r: list[int] = field(default_factory=list)
    columns: list[Any] | None = None
    """The event log's columns as the compiled loop wrote them (``compiled.py``), instead of ``log_rows``."""

    def __post_init__(self) -> None:
        self.by_cause = [0] * self.n_causes
        self.commit_t = [self.start_s]
        self.commit_w = [0.0]
        self.lost_by = dict.fromkeys(LOSSES, 0.0)
        self.mode = dict.fromkeys(RUN_MODES, 0.0)
        self.layout_t, self.layout_r = [self.start_s], [0]
        self.running_t, self.running_r = [self.start_s], [0]

    def book_lost(self, seconds: float, why: str) -> None:
        """``seconds`` of wall time lost, for ``why`` (one of ``LOSSES``). [s]"""
        self.lost += seconds
        self.lost_by[why] += seconds

    def set_layout(self, t: float, replicas: int) -> None:
        """The layout in force from ``t`` (0: none)."""
        if replicas != self.layout_r[-1]:
            self.layout_t.append(t)
            self.layout_r.append(replicas)

    def set_running(self, t: float, replicas: int) -> None:
        """Replicas computing from ``t`` (0: stopped)."""
        if replicas != self.running_r[-1]:
            self.running_t.append(t)
            self.running_r.append(replicas)

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

    def _commit_many(self, times: list[float], works: list[float]) -> None:
        self.commit_t.extend(times)
        self.commit_w.extend(works)
        self.n_ckpt += len(times)

    def rollback(self, why: str = "rework") -> float:
        """Lose the compute since the last completed checkpoint; return it. [s]"""
        lost = self.uncommitted_s
        self.book_lost(lost, why)
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
            self.committed = works[k - 1]
        else:
            self.commit_pending()
            self.uncommitted_s += tau  # the last cycle's snapshot is still being written
            self.useful += (k - 1) * tau
            self._commit_many([e + write_s for e in ends[: k - 1]], works[: k - 1])
            if k > 1:
                self.committed = works[k - 2]
            self.snap_work = works[k - 1]
            self.snap_compute_s = tau
            self.persist_due = ends[k - 1] + write_s
        self.work = works[k - 1]

    # --- the event log --------------------------------------------------------------------------------------
    def log(
        self,
        t: float,
        kind: EventKind,
        cause: Cause,
        gpus: int,
        lost: float,
        replicas: int = 0,
        blast: str = "",
    ) -> None:
        """One row of the event log (and its details: the layout in force, a failure's blast radius)."""
        self.log_rows.append((t, kind, cause, gpus, lost, replicas, blast))

    def log_columns(self) -> list[tuple[Any, ...]]:
        """The event log's columns: time, kind, cause, GPUs, lost, replicas, blast."""
        if self.columns is not None:
            return self.columns
        return list(zip(*self.log_rows, strict=True)) if self.log_rows else [()] * 7

    def log_restart(self, t: float, cause: Cause, replicas: int, gpus: int, parts: RestartParts) -> int:
        """One row of the restart log; returns its index."""
        self.rs_t.append(t)
        self.rs_cause.append(cause)
        self.rs_replicas.append(replicas)
        self.rs_gpus.append(gpus)
        self.rs_parts.append(parts.as_tuple())
        return len(self.rs_t) - 1

    def events(self, cols: list[tuple[Any, ...]] | None = None) -> dict[str, NDArray[np.generic]]:
        """The event log as columns (see ``JobResult.events``; ``cols``: ``log_columns()`` if known)."""
        cols = self.log_columns() if cols is None else cols
        return {
            "time_s": np.asarray(cols[0], dtype=np.float64),
            "kind": names(cols[1]),
            "cause": names(cols[2]),
            "gpus_affected": np.asarray(cols[3], dtype=np.int64),
            "work_lost_s": np.asarray(cols[4], dtype=np.float64),
        }

    def details(self, cols: list[tuple[Any, ...]] | None = None) -> dict[str, NDArray[np.generic]]:
        """Columns aligned with the event log (see ``JobResult.event_details``; ``cols`` as in ``events``)."""
        cols = self.log_columns() if cols is None else cols
        return {
            "replicas": np.asarray(cols[5], dtype=np.int64),
            "blast": names(cols[6]),
        }

    def restarts(self) -> dict[str, NDArray[np.generic]]:
        """The restart log as columns (see ``JobResult.restart_log``)."""
        parts = np.asarray(self.rs_parts, dtype=np.float64).reshape(len(self.rs_parts), len(PART_NAMES))
        out: dict[str, NDArray[np.generic]] = {
            "time_s": np.asarray(self.rs_t, dtype=np.float64),
            "cause": names(self.rs_cause),
            "replicas": np.asarray(self.rs_replicas, dtype=np.int64),
            "gpus": np.asarray(self.rs_gpus, dtype=np.int64),
            "restart_s": parts.sum(axis=1),
        }
        for i, name in enumerate(PART_NAMES):
            out[name] = parts[:, i]
        return out

    def restart_means(self) -> dict[str, float]:
        """Mean of each restart part over the restarts, and of their total. [s]"""
        if len(self.rs_parts) == 0:
            return {**dict.fromkeys(PART_NAMES, 0.0), "total_s": 0.0}
        arr = np.asarray(self.rs_parts, dtype=np.float64)
        means = dict(zip(PART_NAMES, arr.mean(axis=0).tolist(), strict=True))
        means["total_s"] = float(arr.sum(axis=1).mean())
        return means

    def sampled(self, times: list[float], values: list[int], at_s: NDArray[np.float64]) -> NDArray[np.int64]:
        """A step function logged as (times, values) sampled at the increasing ``at_s`` (before the first
        time: the first value). [-]"""
        out: NDArray[np.int64] = fill_forward(np.asarray(times), np.asarray(values, dtype=np.int64), at_s)
        return out

    def committed_at(self, times_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """Committed progress at each of ``times_s`` (0 before the start). [FLOP]"""
        ct = np.asarray(self.commit_t)
        cw = np.asarray(self.commit_w, dtype=np.float64)
        out: NDArray[np.float64] = fill_forward(ct, cw, times_s)
        if ct.size and times_s.size and times_s[0] < ct[0]:
            out[: int(np.searchsorted(times_s, ct[0], side="left"))] = 0.0
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
        mode = dict(self.mode)
        mode["stopped"] = max(wall - sum(mode.values()), 0.0)
        cols = self.log_columns()
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
            restarts=self.n_restarts,
            resizes=self.n_resizes,
            power_stops=self.n_power,
            grows=self.n_grows,
            restart_parts_s=self.restart_means(),
            mode_s=mode,
            lost_by_cause_s=dict(self.lost_by),
            layout_replicas=self.sampled(self.layout_t, self.layout_r, step_ends_s),
            running_replicas=self.sampled(self.running_t, self.running_r, step_ends_s),
            events=self.events(cols),
            event_details=self.details(cols),
            restart_log=self.restarts(),
        )


def fill_forward(times: NDArray[np.float64], values: NDArray[Any], at_s: NDArray[np.float64]) -> NDArray[Any]:
    """The value of the step function (``times`` non-decreasing, ``values``) in force at each of the
    increasing ``at_s``: the last value whose time is <= the instant, the first value before the first time.

    Equal to ``values[max(searchsorted(times, at_s, 'right') - 1, 0)]``, in O(len(at_s)) rather than
    O(len(at_s) log len(times)): the job's logs are short, the step grid long. [-]"""
    n = at_s.size
    if times.size == 0:
        raise ValueError("a step function needs at least one value")
    first = np.searchsorted(at_s, times, side="left")  # first sample each value applies to
    counts = np.diff(np.append(first, n))
    counts[0] += first[0]
    return np.repeat(values, counts)
