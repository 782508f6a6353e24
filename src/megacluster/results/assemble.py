"""Results of a run: the summary (summary.json), the time series and the event log, built from replicas."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from megacluster._version import __version__
from megacluster.performance.layout import ParallelLayout
from megacluster.power.totals import plant_totals
from megacluster.reliability.restart import PART_NAMES
from megacluster.results.costs import tco_tree
from megacluster.results.eventlog import EventColumns, EventLog, SpooledCurve, event_frame, framed
from megacluster.results.jobtree import job_event_columns, job_extras
from megacluster.results.replica import ReplicaRun
from megacluster.results.story import power_story_lines
from megacluster.results.summary import Summary
from megacluster.scenario.load import scenario_to_toml
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, TimeGrid

if TYPE_CHECKING:
    from megacluster.transients.summary import SwingAnalysis


@dataclass(frozen=True)
class Results:
    """Everything a run produced; views (CLI text, report, API) read only this."""

    scenario: Scenario
    summary: Summary
    timeseries: pd.DataFrame
    events: pd.DataFrame
    swings: SwingAnalysis | None = None
    """The representative sub-second windows of the power swings (None without a planned job)."""
    event_log: EventLog | None = None
    """Every replica's events, spooled to disk (runs of several replicas); then ``events`` holds only the
    first replica's events and every replica's finish row, and ``events.parquet`` is written from the log."""

    def all_events(self) -> pd.DataFrame:
        """Every replica's events as one table (from the spooled log when there is one). [-]"""
        return self.event_log.frame() if self.event_log is not None else self.events


@dataclass(frozen=True)
class JobSetup:
    """What every replica's job shares: the performance model's answer for the job."""

    mfu: float | None = None
    """Model FLOP utilisation at the job's full size. [-]"""
    layout: ParallelLayout | None = None
    throughput_source: str = ""


def _plant_tree(run: ReplicaRun) -> dict[str, Any]:
    """One replica's plant figures as the summary's JSON tree (totals computed once, in power.totals)."""
    p = run.plant
    totals = plant_totals(p)
    tree = totals.model_dump(mode="json", exclude={"facts"})
    tree["gpus_installed_peak"] = int(np.max(p.gpus_installed)) if len(p.gpus_installed) else 0
    tree["gpus_powered_mean"] = float(np.mean(p.gpus_powered)) if len(p.gpus_powered) else 0.0
    tree["power_story"] = totals.facts.model_dump(mode="json")
    return tree


def _day_of(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / SECONDS_PER_DAY


def _training_tree(run: ReplicaRun, scenario: Scenario) -> dict[str, Any] | None:
    job = run.job
    training = scenario.training
    if job is None or training is None:
        return None
    return {
        "target_flop": training.flop_target(),
        "completed_flop": float(job.cumulative_flop[-1]) if len(job.cumulative_flop) else 0.0,
        "finished": bool(job.finished),
        "finish_day": _day_of(job.finish_s) if job.finished else None,
        "goodput": float(job.goodput),
        "interruptions": {
            "unexpected": int(job.interruptions_unexpected),
            "planned": int(job.interruptions_planned),
            "by_cause": {str(k): int(v) for k, v in sorted(job.by_cause.items())},
        },
        "useful_hours": job.useful_s / SECONDS_PER_HOUR,
        "lost_hours": job.lost_s / SECONDS_PER_HOUR,
        "checkpoint_overhead_hours": job.checkpoint_overhead_s / SECONDS_PER_HOUR,
        "waiting_hours": job.waiting_s / SECONDS_PER_HOUR,
        "wall_hours": job.wall_s / SECONDS_PER_HOUR,
        "checkpoint_interval_min": (
            None if job.checkpoint_interval_s is None else float(job.checkpoint_interval_s) / 60.0
        ),
        "job_gpus_mean_while_held": float(np.mean(run.job_gpus[run.job_gpus > 0]))
        if run.job_gpus.any()
        else 0.0,
        **job_extras(run),
    }


def _median_tree(trees: Sequence[Any]) -> Any:
    """Median across replicas of every numeric leaf, whatever the replicas' order.

    A boolean is true when most replicas say so; a number missing (None) in some replicas is the median of
    those that have it when they are a majority, else None; any other leaf comes from the first replica.
    """
    present = [t for t in trees if t is not None]
    if not present:
        return None
    if any(isinstance(t, dict) for t in present):
        keys = list(dict.fromkeys(k for t in present if isinstance(t, dict) for k in t))
        return {k: _median_tree([t.get(k) if isinstance(t, dict) else None for t in trees]) for k in keys}
    if all(isinstance(t, bool) for t in present):
        return sum(bool(t) for t in present) * 2 > len(trees)
    if all(isinstance(t, int | float) and not isinstance(t, bool) for t in present):
        if len(present) * 2 <= len(trees):
            return None
        med = float(np.median([float(t) for t in present]))
        return round(med) if all(isinstance(t, int) for t in present) else med
    return present[0]


def _percentile_or_none(values: Sequence[float | None], q: float) -> float | None:
    arr = np.array([np.inf if v is None else v for v in values], dtype=np.float64)
    value = float(np.percentile(arr, q, method="inverted_cdf"))
    return None if not np.isfinite(value) else value


def _date_of(day: float | None, grid: TimeGrid) -> str | None:
    if day is None:
        return None
    return (dt.datetime.combine(grid.start, dt.time()) + dt.timedelta(days=day)).date().isoformat()


def utc_times(local: Any, utc_offset_h: float) -> pd.DatetimeIndex:
    """Local standard times (the simulation clock) as UTC-aware timestamps."""
    naive = pd.to_datetime(local) - pd.Timedelta(hours=utc_offset_h)
    return pd.DatetimeIndex(naive).tz_localize("UTC")


BAND_BLOCK_STEPS = 4096
"""Steps of the FLOP bands computed at once: the replicas' curves are stacked a block at a time, not whole
(100 flagship curves stacked whole, with their sorted copy, took 138 MB). [-]"""


def flop_bands(curves: Sequence[npt.NDArray[np.float64] | SpooledCurve], n: int) -> npt.NDArray[np.float64]:
    """P10, P50 and P90 across the replicas' cumulative FLOP curves at each of ``n`` steps, shape (3, n);
    each step's percentiles depend only on that step, so computing them a block of steps at a time gives the
    same values. [FLOP]"""
    out = np.empty((3, n))
    for i in range(0, n, BAND_BLOCK_STEPS):
        block = np.vstack([c[i : i + BAND_BLOCK_STEPS] for c in curves])
        out[:, i : i + BAND_BLOCK_STEPS] = np.percentile(block, (10, 50, 90), axis=0)
    return out


def _timeseries(
    run: ReplicaRun, digests: Sequence[ReplicaDigest], grid: TimeGrid, utc_offset_h: float
) -> pd.DataFrame:
    p = run.plant
    columns: dict[str, Any] = {"time": utc_times(grid.times, utc_offset_h)}
    columns.update(p.columns())
    columns["job_gpus"] = run.job_gpus
    if run.job is not None and len(run.job.running_replicas) == grid.n:
        columns["job_running_gpus"] = run.job.running_replicas * run.replica_gpus
    if run.job is not None:
        columns["cumulative_flop"] = np.asarray(run.job.cumulative_flop, dtype=np.float64)
        if len(digests) > 1:
            curves = [d.cumulative_flop for d in digests if d.cumulative_flop is not None]
            for q, band in zip((10, 50, 90), flop_bands(curves, grid.n), strict=True):
                columns[f"cumulative_flop_p{q}"] = band
    else:
        columns["cumulative_flop"] = np.zeros(grid.n)
    return pd.DataFrame(columns)


def _events(digests: Sequence[ReplicaDigest], grid: TimeGrid, utc_offset_h: float) -> pd.DataFrame:
    frames = []
    origin = utc_times([pd.Timestamp(grid.start)], utc_offset_h)[0]
    for i, digest in enumerate(digests):
        if digest.events is not None:
            frames.append(framed(event_frame(digest.events), i, origin))
    if not frames:
        return pd.DataFrame(
            {
                "replica": [],
                "time": pd.DatetimeIndex([], tz="UTC"),
                "time_s": [],
                "kind": [],
                "cause": [],
                "gpus_affected": [],
                "work_lost_s": [],
                "replicas": [],
                "blast": [],
                "restart_s": [],
                **{name: [] for name in PART_NAMES},
            }
        )
    return pd.concat(frames, ignore_index=True)


def _training_bands(per_replica: Sequence[dict[str, Any]], grid: TimeGrid) -> dict[str, Any]:
    """Finish-day percentiles (unfinished replicas count as never), goodput and interruption bands."""
    trainings = [r["training"] for r in per_replica]
    finish_days = [t["finish_day"] for t in trainings]
    out: dict[str, Any] = {}
    for q in (10, 50, 90):
        out[f"finish_day_p{q}"] = _percentile_or_none(finish_days, q)
        out[f"finish_date_p{q}"] = _date_of(out[f"finish_day_p{q}"], grid)
    out["finished_fraction"] = float(np.mean([t["finished"] for t in trainings]))
    out["finished"] = out["finished_fraction"] > 0.5
    out["finish_day"] = out["finish_day_p50"] if out["finished"] else None
    out["finish_date"] = _date_of(out["finish_day"], grid)
    goodputs = [t["goodput"] for t in trainings]
    unexpected = [t["interruptions"]["unexpected"] for t in trainings]
    out["goodput_p10"] = float(np.percentile(goodputs, 10))
    out["goodput_p90"] = float(np.percentile(goodputs, 90))
    out["interruptions_p10"] = float(np.percentile(unexpected, 10))
    out["interruptions_p90"] = float(np.percentile(unexpected, 90))
    return out


@dataclass(frozen=True)
class ReplicaDigest:
    """One replica reduced to what the results keep of every replica (a few MB at most; the full arrays
    are kept only for the representative replica)."""

    tree: dict[str, Any]
    """The replica's own summary figures (plant, costs, training), before the medians."""
    cumulative_flop: npt.NDArray[np.float64] | SpooledCurve | None
    """The job's cumulative FLOP at each step, for the P10/P50/P90 bands: in memory, or in the run's event
    spool once the digest is spooled (None without a job). [FLOP]"""
    events: pd.DataFrame | EventColumns | None
    """The job's interruptions (None without a job): as arrays until the digest is spooled, then a frame
    (``eventlog.spooled``). [-]"""


def digest_replica(run: ReplicaRun, scenario: Scenario, grid: TimeGrid) -> ReplicaDigest:
    """Reduce one replica to its digest as soon as it finishes (what :func:`assemble_digests` needs)."""
    tree = _plant_tree(run)
    tree["tco"] = tco_tree(run, scenario, grid)
    training = _training_tree(run, scenario)
    if training is not None:
        tree["training"] = training
    if run.job is None:
        return ReplicaDigest(tree=tree, cumulative_flop=None, events=None)
    flop = np.asarray(run.job.cumulative_flop, dtype=np.float64)
    return ReplicaDigest(tree=tree, cumulative_flop=flop, events=EventColumns(job_event_columns(run.job)))


def scenario_sha256(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario as written to scenario.toml (hex). [-]"""
    return hashlib.sha256(scenario_to_toml(scenario).encode("utf-8")).hexdigest()


def assemble(
    scenario: Scenario,
    grid: TimeGrid,
    runs: Sequence[ReplicaRun],
    seed: int,
    job: JobSetup,
) -> Results:
    """Build the Results of a run from its replicas (figures are medians across replicas)."""
    digests = [digest_replica(run, scenario, grid) for run in runs]
    return assemble_digests(scenario, grid, runs[0], digests, seed, job)


def assemble_digests(
    scenario: Scenario,
    grid: TimeGrid,
    representative: ReplicaRun,
    digests: Sequence[ReplicaDigest],
    seed: int,
    job: JobSetup,
    event_log: EventLog | None = None,
) -> Results:
    """The Results from every replica's digest, in replica order, and the representative replica's full
    run (the first one: its arrays are the time series). Figures are medians across replicas; with an
    ``event_log``, the digests hold only what the run keeps of their events (:mod:`.eventlog`)."""
    per_replica = [d.tree for d in digests]
    tree = _median_tree(per_replica)
    if "training" in tree:
        tree["training"].update(_training_bands(per_replica, grid))
        tree["training"]["mfu"] = job.mfu
        tree["training"]["layout"] = job.layout.model_dump(mode="json") if job.layout else None
        tree["training"]["throughput_source"] = job.throughput_source
    tree["power_story"]["lines"] = []
    tree.update(
        megacluster_version=__version__,
        scenario=scenario.name,
        scenario_sha256=scenario_sha256(scenario),
        seed=seed,
        replicas=len(digests),
        horizon_days=grid.horizon_s / SECONDS_PER_DAY,
        start_date=grid.start.isoformat(),
        step_s=grid.dt_s,
    )
    summary = Summary.model_validate(tree)
    offset_h = scenario.site.utc_offset_hours()
    timeseries = _timeseries(representative, digests, grid, offset_h)
    lines = power_story_lines(summary, timeseries, offset_h)
    summary = summary.model_copy(
        update={"power_story": summary.power_story.model_copy(update={"lines": tuple(lines)})}
    )
    return Results(
        scenario=scenario,
        summary=summary,
        timeseries=timeseries,
        events=_events(digests, grid, offset_h),
        event_log=event_log,
    )
