"""The training job's layout, restarts and power modes as summary figures and event rows (one replica)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from megacluster.power.policy import PowerPolicy, gains_over
from megacluster.reliability.jobdata import JobResult
from megacluster.reliability.kinds import EventKind
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
    events = pd.DataFrame({k: np.asarray(v) for k, v in job.events.items()})
    for name, column in job.event_details.items():
        events[name] = np.asarray(column)
    restarts = pd.DataFrame(
        {
            "time_s": np.asarray(job.restart_log.get("time_s", [])),
            "kind": EventKind.RESTART.value,
            "cause": np.asarray(job.restart_log.get("cause", []), dtype=str),
            "gpus_affected": np.asarray(job.restart_log.get("gpus", []), dtype=np.int64),
            "work_lost_s": 0.0,
            "replicas": np.asarray(job.restart_log.get("replicas", []), dtype=np.int64),
            "blast": "",
        }
    )
    for name in ("restart_s", *PART_NAMES):
        restarts[name] = np.asarray(job.restart_log.get(name, []), dtype=np.float64)
        events[name] = 0.0
    events["order"] = 0
    restarts["order"] = 1
    frame = pd.concat([events, restarts], ignore_index=True) if len(restarts) else events
    frame = frame.sort_values(["time_s", "order"], kind="stable").drop(columns="order")
    return frame.reset_index(drop=True)
