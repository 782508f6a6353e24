"""The compute race: what each simulated campus could deliver to one stated reference training job, day by
day, and how the campuses rank at chosen dates.

A campus's deliverable training compute at a step is its powered accelerators, times the throughput each one
keeps under the step's power cap, times what one accelerator of its kind sustains in the reference job: its
dense peak at the job's precision times the MFU the performance model predicts for that job on that
accelerator (:func:`reference_rate`). A fleet of several kinds is weighted by the share of each kind installed
at the step (the plant curtails every kind alike). The same job on every campus makes the campuses comparable
whatever job each actually runs: a yardstick, not a forecast of their own training runs.

This module composes the performance model with the runs' Results (the engine's floor); the race page and the
``race`` command only read what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from megacluster import catalog
from megacluster.engine.fleets import build_fleets
from megacluster.performance.engine_api import job_performance
from megacluster.results.assemble import Results
from megacluster.units import SECONDS_PER_DAY, Precision, TimeGrid

RACE_PRESETS = (
    "colossus-2024",
    "colossus-2025",
    "stargate-abilene",
    "colossus-2",
    "meta-prometheus",
    "microsoft-fairwater",
    "aws-rainier",
    "stargate-frontier",
)
"""The presets of the 2024-2026 campuses, raced when ``megacluster race`` is given none."""

DEFAULT_DATES = (dt.date(2025, 6, 30), dt.date(2025, 12, 31), dt.date(2026, 6, 30))
"""The dates of the ranking table when none are given: the ends of H1 2025, 2025 and H1 2026."""

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReferenceJob:
    """The training job every campus is measured with: a fixed dense model, job size, batch and precision."""

    model: str = "llama3-405b"
    """Catalog model id (a dense model: no expert routing to flatter one accelerator). [-]"""
    job_gpus: int = 16_384
    """Accelerators the job runs on, as Llama 3 405B's pre-training. [-]"""
    global_batch: int = 2048
    """Sequences per step (Llama 3: 16M tokens at 8,192). [-]"""
    precision: Precision = Precision.BF16

    def describe(self) -> str:
        """The job in one sentence. [-]"""
        shape = catalog.models()[self.model]
        tokens_m = self.global_batch * shape.seq_len / 1e6
        params_b = shape.params_b or shape.total_params() / 1e9  # the declared public figure, else derived
        return (
            f"{shape.name} ({params_b:g}B parameters, dense) pre-training on {self.job_gpus:,} "
            f"accelerators of each campus's kind, {self.global_batch:,} sequences of {shape.seq_len:,} "
            f"tokens per step ({tokens_m:.0f}M tokens), {self.precision.value}, at the performance model's "
            "best layout"
        )


REFERENCE_JOB = ReferenceJob()
"""The yardstick of the race: Llama 3.1 405B's published pre-training set-up."""


@dataclass(frozen=True)
class ReferenceRate:
    """What one accelerator sustains in the reference job. Units in the names."""

    accelerator: str
    name: str
    peak_flop_s: float
    """Dense peak at the job's precision. [FLOP/s]"""
    mfu: float
    """Model FLOP utilisation the performance model predicts for the job on this accelerator. [-]"""
    layout: str
    """The job's parallel layout, as text. [-]"""

    @property
    def flop_s_per_gpu(self) -> float:
        """Model FLOP/s one accelerator delivers to the job. [FLOP/s]"""
        return self.peak_flop_s * self.mfu


@lru_cache(maxsize=64)
def reference_rate(accelerator: str, job: ReferenceJob = REFERENCE_JOB) -> ReferenceRate:
    """The reference job's MFU and per-accelerator throughput on one accelerator (computed once per process;
    InputError when the job fits on no layout of that accelerator). [-]"""
    accel = catalog.accelerators()[accelerator]
    perf = job_performance(
        catalog.models()[job.model], accelerator, job.job_gpus, job.global_batch, job.precision.value
    )
    lay = perf.layout
    text = f"tp={lay.tp} pp={lay.pp} dp={lay.dp} cp={lay.cp} ep={lay.ep}"
    return ReferenceRate(accelerator, accel.name, accel.peak_flop_s(job.precision.value), perf.mfu, text)


@dataclass(frozen=True)
class RaceSeries:
    """One campus's race, one value per local day of its run. Units in the names."""

    label: str
    scenario: str
    start: dt.date
    """First simulated day (local). [-]"""
    days: pd.DatetimeIndex
    """Start of each local day, as UTC times. [-]"""
    gpus_installed: Floats
    """End of the day. [GPUs]"""
    gpus_powered: Floats
    """Daily mean. [GPUs]"""
    delivered_flop_s: Floats
    """Daily mean of the reference job's FLOP/s the campus could deliver. [FLOP/s]"""
    cumulative_flop: Floats
    """The same accumulated from the run's start to the end of each day. [FLOP]"""
    facility_mw: Floats
    """Daily mean of the facility power served. [MW]"""
    onsite_co2_t: Floats
    """CO2 of the fuel burnt on site, accumulated to the end of each day. [t]"""
    installed_by_accelerator: dict[str, Floats]
    """Accelerator id -> installed at the end of each day. [GPUs]"""

    def day_index(self, when: dt.date) -> int | None:
        """Index of the local day ``when`` in the series, or None outside the run. [-]"""
        i = (when - self.start).days
        return i if 0 <= i < len(self.days) else None


def _per_step_rate(results: Results, grid: TimeGrid, job: ReferenceJob) -> tuple[Floats, dict[str, Floats]]:
    """Deliverable FLOP/s at each step and the installed GPUs of each accelerator. [FLOP/s], [GPUs]"""
    fleets = build_fleets(results.scenario, grid)
    by_accel: dict[str, Floats] = {}
    for fleet in fleets:
        gpus = np.asarray(fleet.gpus_installed, dtype=np.float64)
        by_accel[fleet.accelerator.id] = by_accel.get(fleet.accelerator.id, np.zeros(grid.n)) + gpus
    installed = np.vstack(list(by_accel.values()))
    per_gpu = np.array([reference_rate(a, job).flop_s_per_gpu for a in by_accel])
    total = installed.sum(axis=0)
    mean_rate = np.divide(per_gpu @ installed, total, out=np.zeros(grid.n), where=total > 0)
    ts = results.timeseries
    powered = np.asarray(ts["gpus_powered"], dtype=np.float64)
    factor = np.asarray(ts["throughput_factor"], dtype=np.float64) if "throughput_factor" in ts else 1.0
    return np.nan_to_num(powered * factor) * mean_rate, by_accel


def _daily(values: Floats, day: npt.NDArray[np.int64], how: str) -> Floats:
    """Per-step values to one per day: the mean, or the value at the end of the day. [-]"""
    if how == "mean":
        counts = np.bincount(day)
        return np.bincount(day, weights=values) / np.maximum(counts, 1)
    last = np.r_[np.nonzero(np.diff(day))[0], len(day) - 1]
    return np.asarray(values[last], dtype=np.float64)


def race_series(results: Results, job: ReferenceJob = REFERENCE_JOB, label: str | None = None) -> RaceSeries:
    """A run's race, day by day: installed and powered accelerators, deliverable FLOP/s at the reference job,
    FLOP accumulated, facility power and on-site CO2. [-]"""
    scenario = results.scenario
    sim = scenario.simulation
    grid = TimeGrid.build(sim.start, sim.horizon_days, sim.step)
    ts = results.timeseries
    if len(ts) != grid.n:
        raise ValueError(f"{scenario.name}: {len(ts)} time steps, expected {grid.n} (a run of another grid?)")
    rate, by_accel = _per_step_rate(results, grid, job)
    summary = results.summary
    co2_per_mmbtu = summary.emissions_t.co2_generators / summary.fuel_mmbtu if summary.fuel_mmbtu > 0 else 0.0
    fuel = np.nan_to_num(np.asarray(ts.get("fuel_mmbtu", pd.Series(np.zeros(grid.n))), dtype=np.float64))
    day = (grid.start_s // SECONDS_PER_DAY).astype(np.int64)
    first = np.r_[0, np.nonzero(np.diff(day))[0] + 1]
    return RaceSeries(
        label=label or scenario.name,
        scenario=scenario.name,
        start=sim.start,
        days=pd.DatetimeIndex(pd.to_datetime(ts["time"].iloc[first].to_numpy())),
        gpus_installed=_daily(np.asarray(ts["gpus_installed"], dtype=np.float64), day, "last"),
        gpus_powered=_daily(np.asarray(ts["gpus_powered"], dtype=np.float64), day, "mean"),
        delivered_flop_s=_daily(rate, day, "mean"),
        cumulative_flop=_daily(np.cumsum(rate * grid.dt_s), day, "last"),
        facility_mw=_daily(np.asarray(ts["facility_power_mw"], dtype=np.float64), day, "mean"),
        onsite_co2_t=_daily(np.cumsum(fuel * co2_per_mmbtu), day, "last"),
        installed_by_accelerator={a: _daily(v, day, "last") for a, v in by_accel.items()},
    )


@dataclass(frozen=True)
class Standing:
    """A campus at one date. ``rank`` is None when no run covers the date. Units in the names."""

    when: dt.date
    key: str
    """The campus (runs of one campus share a key; the one starting last that covers the date counts). [-]"""
    label: str
    rank: int | None
    gpus_installed: float = 0.0
    gpus_powered: float = 0.0
    delivered_flop_s: float = 0.0
    cumulative_flop: float = 0.0
    facility_mw: float = 0.0
    onsite_co2_t: float = 0.0
    fleet: tuple[tuple[str, int], ...] = ()
    """(accelerator id, installed) at the end of the day. [GPUs]"""


def _standing(series: RaceSeries, key: str, when: dt.date, i: int) -> Standing:
    fleet = tuple((a, round(float(v[i]))) for a, v in series.installed_by_accelerator.items() if v[i] > 0)
    return Standing(
        when=when,
        key=key,
        label=series.label,
        rank=None,
        gpus_installed=float(series.gpus_installed[i]),
        gpus_powered=float(series.gpus_powered[i]),
        delivered_flop_s=float(series.delivered_flop_s[i]),
        cumulative_flop=float(series.cumulative_flop[i]),
        facility_mw=float(series.facility_mw[i]),
        onsite_co2_t=float(series.onsite_co2_t[i]),
        fleet=fleet,
    )


def standings(
    series: Sequence[RaceSeries], when: dt.date, key: Callable[[RaceSeries], str] | None = None
) -> list[Standing]:
    """The campuses at ``when``, ranked by deliverable FLOP/s (ties: FLOP accumulated); campuses no run covers
    on that day follow, unranked. ``key`` groups runs of one campus (default: each run its own). [-]"""
    keyed = [((key or (lambda s: s.scenario))(s), s) for s in series]
    order = list(dict.fromkeys(k for k, _ in keyed))
    covered: list[Standing] = []
    missing: list[Standing] = []
    for k in order:
        runs = [(s, i) for kk, s in keyed if kk == k and (i := s.day_index(when)) is not None]
        if runs:
            s, i = max(runs, key=lambda run: run[0].start)
            covered.append(_standing(s, k, when, i))
        else:
            label = next(s.label for kk, s in keyed if kk == k)
            missing.append(Standing(when=when, key=k, label=label, rank=None))
    covered.sort(key=lambda r: (-r.delivered_flop_s, -r.cumulative_flop))
    ranked = [replace(r, rank=n) for n, r in enumerate(covered, start=1)]
    return ranked + missing
