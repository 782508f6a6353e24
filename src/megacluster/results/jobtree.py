"""The training job's layout, restarts and power modes as summary figures and event rows (one replica)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from megacluster.power.policy import PowerPolicy, gains_over
from megacluster.reliability.jobdata import JobResult
from megacluster.reliability.kinds import EventKind
from megacluster.reliability.ledger import names
from megacluster.reliability.restart import PART_NAMES
from megacluster.results.replica import ReplicaRun
from megacluster.units import SECONDS_PER_HOUR

MODES = ("full", "capped", "reduced", "stopped")
LOSSES = ("rework", "restart", "reshard", "power", "repairs")


def job_extras(run: ReplicaRun) -> dict[str, Any]:
    """The layout figures of one replica's job: restarts, resizes, restart parts, hours by mode, lost hours by
    cause, the power policy's choice."""
    job = run.job
    if job is None:
        return {}
    parts = job.restart_parts_s
    return {
        "restarts": int(job.restarts),
        "resizes": int(job.resizes),
        "power_stops": int(job.power_stops),
        "grow_restarts": int(job.grows),
        "restart_time_s": {
            "mean": float(parts.get("total_s", 0.0)),
            **{name.removesuffix("_s"): float(parts.get(name, 0.0)) for name in PART_NAMES},
        },
        "hours_by_mode": {m: job.mode_s.get(m, 0.0) / SECONDS_PER_HOUR for m in MODES},
        "lost_hours_by_cause": {c: job.lost_by_cause_s.get(c, 0.0) / SECONDS_PER_HOUR for c in LOSSES},
        "power_choice": power_choice(run),
    }


def power_choice(run: ReplicaRun) -> dict[str, Any] | None:
    """How the allotment's policy met shortfalls and what it gained over the two others. [h, -]"""
    allot = run.allotment
    if allot is None or run.replica_gpus < 1:
        return None
    dt_h = float(run.plant.dt_s) / SECONDS_PER_HOUR
    held = allot.held_gpus
    short = (held > 0) & (allot.most_gpus(allot.load) < held - 1e-6 * np.maximum(held, 1))
    (gain_cap, _), (gain_idle, _) = gains_over(
        allot, run.replica_gpus, (PowerPolicy.CAP_FIRST, PowerPolicy.IDLE_FIRST)
    )
    caps = allot.target_caps()
    target = float(caps[short].mean()) if short.any() else float(caps.mean()) if caps.size else allot.load
    return {
        "policy": allot.policy.value,
        "target_cap_fraction": float(target),
        "hours_short": float(short.sum()) * dt_h,
        "gain_vs_cap_first": float(gain_cap),
        "gain_vs_idle_first": float(gain_idle),
    }


def job_event_frame(job: JobResult) -> pd.DataFrame:
    """The job's event log with its details, and one 'restart' row per restart (after the row that caused it,
    at the same time), each with its parts."""
    return pd.DataFrame(job_event_columns(job))


def job_event_columns(job: JobResult) -> dict[str, npt.NDArray[Any]]:
    """:func:`job_event_frame`'s columns as arrays: the events (parts 0), then the restarts, ordered by time
    and, at the same time, events before restarts (a stable sort: each group keeps its own order). Built on
    arrays (a replica's ~21,000 rows a few ms faster than through pandas frames; the same table,
    tests/results/test_jobtree_events.py). [-]"""
    events = {k: np.asarray(v) for k, v in job.events.items()}
    for name, column in job.event_details.items():
        events[name] = np.asarray(column)
    n = len(events["time_s"]) if "time_s" in events else 0
    log = job.restart_log
    times = np.asarray(log.get("time_s", []), dtype=np.float64)
    restarts: dict[str, npt.NDArray[Any]] = {
        "time_s": times,
        "kind": np.full(times.size, EventKind.RESTART.value, dtype=object),
        "cause": names(log.get("cause", [])),
        "gpus_affected": np.asarray(log.get("gpus", []), dtype=np.int64),
        "work_lost_s": np.zeros(times.size),
        "replicas": np.asarray(log.get("replicas", []), dtype=np.int64),
        "blast": np.full(times.size, "", dtype=object),
    }
    for name in ("restart_s", *PART_NAMES):
        restarts[name] = np.asarray(log.get(name, []), dtype=np.float64)
        events[name] = np.zeros(n)
    if n and times.size and list(events) != list(restarts):  # pragma: no cover - every job logs these columns
        raise ValueError(f"event columns {list(events)} differ from the restarts' {list(restarts)}")
    if n == 0 or times.size == 0:
        columns = events if n else restarts
        if "time_s" not in columns:
            return columns
        order = np.argsort(columns["time_s"], kind="stable")
        return {k: v[order] for k, v in columns.items()}
    group = np.concatenate((np.zeros(n, dtype=np.int64), np.ones(times.size, dtype=np.int64)))
    order = np.lexsort((group, np.concatenate((events["time_s"], times))))
    # one column at a time: the joined copy of each lives only until it is ordered (a replica of ~90,000
    # rows, its names as fixed-width strings, peaked ~19 MB higher with every column joined at once)
    return {k: np.concatenate((v, restarts[k]))[order] for k, v in events.items()}
