"""Results of a run: the summary (summary.json), the time series and the event log, built from replicas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from megacluster.scenario.schema import Scenario
from megacluster.units import TimeGrid

if TYPE_CHECKING:
    from megacluster.power.plant import FleetLoad
    from megacluster.results.replica import ReplicaRun

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Results:
    """Everything a run produced; views (CLI text, report, API) read only this."""

    scenario: Scenario
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    events: pd.DataFrame


def _energy_mwh(power_mw: np.ndarray, dt_s: float) -> float:
    return float(np.sum(power_mw) * dt_s / 3600.0)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _plant_summary(run: ReplicaRun, grid: TimeGrid) -> dict[str, Any]:
    p = run.plant
    battery = np.asarray(p.battery_mw, dtype=np.float64)
    base: dict[str, Any] = {
        "gpus_installed_peak": int(np.max(p.gpus_installed)),
        "gpus_powered_mean": float(np.mean(p.gpus_powered)),
        "it_power_peak_mw": float(np.max(p.it_power_mw)),
        "facility_power_peak_mw": float(np.max(p.facility_power_mw)),
        "supply_capacity_peak_mw": float(np.max(p.supply_capacity_mw)),
        "unserved_energy_mwh": _energy_mwh(np.asarray(p.unserved_mw), grid.dt_s),
        "energy_mwh": {
            "total": _energy_mwh(np.asarray(p.facility_power_mw), grid.dt_s),
            "grid": _energy_mwh(np.asarray(p.grid_mw), grid.dt_s),
            "generators": _energy_mwh(np.asarray(p.generators_mw), grid.dt_s),
            "battery_discharge": _energy_mwh(np.clip(battery, 0, None), grid.dt_s),
            "battery_charge": _energy_mwh(np.clip(-battery, 0, None), grid.dt_s),
        },
        "emissions_t": {"co2": float(np.sum(p.co2_t)), "nox": float(np.sum(p.nox_t))},
    }
    return _deep_merge(base, p.summary())


def _day_of(seconds: float | None, grid: TimeGrid) -> float | None:
    return None if seconds is None else seconds / SECONDS_PER_DAY


def _training_summary(run: ReplicaRun, scenario: Scenario, grid: TimeGrid) -> dict[str, Any]:
    job = run.job
    training = scenario.training
    if job is None or training is None:
        return {}
    finish_day = _day_of(job.finish_s, grid) if job.finished else None
    return {
        "target_flop": training.flop_target(),
        "completed_flop": float(job.cumulative_flop[-1]) if len(job.cumulative_flop) else 0.0,
        "finished": bool(job.finished),
        "finish_day": finish_day,
        "goodput": float(job.goodput),
        "interruptions": {
            "unexpected": int(job.interruptions_unexpected),
            "planned": int(job.interruptions_planned),
            "by_cause": {k: int(v) for k, v in sorted(job.by_cause.items())},
        },
        "useful_hours": job.useful_s / 3600.0,
        "lost_hours": job.lost_s / 3600.0,
        "checkpoint_overhead_hours": job.checkpoint_overhead_s / 3600.0,
        "waiting_hours": job.waiting_s / 3600.0,
        "wall_hours": job.wall_s / 3600.0,
        "checkpoint_interval_min": (
            None if job.checkpoint_interval_s is None else float(job.checkpoint_interval_s) / 60.0
        ),
        "job_gpus_mean_while_held": float(np.mean(run.job_gpus[run.job_gpus > 0]))
        if run.job_gpus.any()
        else 0.0,
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


def _timeseries(run: ReplicaRun, runs: Sequence[ReplicaRun], grid: TimeGrid) -> pd.DataFrame:
    p = run.plant
    columns: dict[str, Any] = {"time": pd.to_datetime(grid.times)}
    columns.update(p.columns())
    columns["job_gpus"] = run.job_gpus
    if run.job is not None:
        columns["cumulative_flop"] = np.asarray(run.job.cumulative_flop, dtype=np.float64)
        if len(runs) > 1:
            stack = np.vstack([np.asarray(r.job.cumulative_flop) for r in runs if r.job is not None])
            for q in (10, 50, 90):
                columns[f"cumulative_flop_p{q}"] = np.percentile(stack, q, axis=0)
    else:
        columns["cumulative_flop"] = np.zeros(grid.n)
    return pd.DataFrame(columns)


def _events(runs: Sequence[ReplicaRun], grid: TimeGrid) -> pd.DataFrame:
    frames = []
    origin = pd.Timestamp(grid.start)
    for i, run in enumerate(runs):
        if run.job is None:
            continue
        ev = {k: np.asarray(v) for k, v in run.job.events.items()}
        frame = pd.DataFrame(ev)
        frame.insert(0, "replica", i)
        if "time_s" in frame:
            frame.insert(1, "time", origin + pd.to_timedelta(frame["time_s"], unit="s"))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(
            {
                "replica": [],
                "time": [],
                "time_s": [],
                "kind": [],
                "cause": [],
                "gpus_affected": [],
                "work_lost_s": [],
            }
        )
    return pd.concat(frames, ignore_index=True)


def assemble(
    scenario: Scenario,
    grid: TimeGrid,
    fleets: tuple[FleetLoad, ...],
    runs: Sequence[ReplicaRun],
    seed: int,
    extra: dict[str, Any],
) -> Results:
    """Build the Results of a run from its replicas (figures are medians across replicas)."""
    per_replica = []
    for run in runs:
        tree = _plant_summary(run, grid)
        training = _training_summary(run, scenario, grid)
        if training:
            tree["training"] = training
        per_replica.append(tree)
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "seed": seed,
        "replicas": len(runs),
        "horizon_days": grid.horizon_s / SECONDS_PER_DAY,
        "start_date": grid.start.isoformat(),
        "step_s": grid.dt_s,
    }
    summary.update(_median_tree(per_replica))
    if "training" in summary:
        t = summary["training"]
        finish_days = [r["training"]["finish_day"] for r in per_replica]
        for q in (10, 50, 90):
            t[f"finish_day_p{q}"] = _percentile_or_none(finish_days, q)
            t[f"finish_date_p{q}"] = _date_of(t[f"finish_day_p{q}"], grid)
        t["finished_fraction"] = float(np.mean([r["training"]["finished"] for r in per_replica]))
        t["finished"] = t["finished_fraction"] > 0.5
        t["finish_day"] = t["finish_day_p50"] if t["finished"] else None
        t["finish_date"] = _date_of(t["finish_day"], grid)
        t["goodput_p10"] = float(np.percentile([r["training"]["goodput"] for r in per_replica], 10))
        t["goodput_p90"] = float(np.percentile([r["training"]["goodput"] for r in per_replica], 90))
        unexpected = [r["training"]["interruptions"]["unexpected"] for r in per_replica]
        t["interruptions_p10"] = float(np.percentile(unexpected, 10))
        t["interruptions_p90"] = float(np.percentile(unexpected, 90))
        t["mfu"] = extra.get("mfu")
        t["layout"] = extra.get("layout", {})
        t["throughput_source"] = extra.get("throughput_source", "")
    return Results(
        scenario=scenario,
        summary=summary,
        timeseries=_timeseries(runs[0], runs, grid),
        events=_events(runs, grid),
    )
