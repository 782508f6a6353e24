"""Time aggregation of the least-cost build's inputs, as the field does it (PyPSA-Eur's ``Co`` option,
"every k hours"): each snapshot is the mean of k consecutive hours and weighs k hours in the objective, the
battery's energy balance and every energy, fuel, NOx and CO2 sum, so that those stay per hour.

Blocks start at the first hour of the horizon and, as k divides 24, at midnight of every day: the dated
schedules (a fleet's arrival, a month's rental, the grid's steps), which change at midnight, stay exact; what
the means smooth away is the day's swing of the load and of the turbines' output with the ambient. The N-1
reserve, a capacity constraint, keeps each block's worst hour (its largest load, the turbines' lowest output),
so that the firm capacity built does not shrink with the block (docs/costs.md, Time aggregation, gives the
error that remains).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from megacluster.economics.config import Resolution
from megacluster.economics.site import (
    BatteryCandidate,
    FloatArray,
    GeneratorCandidate,
    SiteInputs,
    SolarCandidate,
)
from megacluster.units import HOURS_PER_DAY

STEPS_H = (1, 2, 3, 6)
"""Snapshot lengths offered; each divides a day. [h]"""

AUTO_MAX_SNAPSHOTS = 2928
"""Most snapshots the automatic resolution allows. [-]
[A] 122 days of hours = 366 days of 3-hour blocks = 2,928: colossus-2025 solves within a minute of CPU at
that size on this project's 2-core machine (120 days hourly: 9-28 s; the year at 3 h: docs/costs.md, Speed),
while the year hourly took 209 s."""


def resolution_h(resolution: Resolution, hours: int) -> int:
    """The snapshot length to solve ``hours`` of horizon at: the given one, or (auto) the finest that keeps
    the model within ``AUTO_MAX_SNAPSHOTS``, else the coarsest offered. [h]"""
    fixed = resolution.hours()
    if fixed is not None:
        return fixed
    for step in STEPS_H:
        if -(-hours // step) <= AUTO_MAX_SNAPSHOTS:
            return step
    return STEPS_H[-1]


def _starts(n: int, step: int) -> np.ndarray[Any, Any]:
    return np.arange(0, n, step)


def _mean(values: Any, step: int) -> FloatArray:
    """Block means of an hourly series (the last block over the hours it has). [same unit]"""
    values = np.asarray(values, dtype=np.float64)
    starts = _starts(len(values), step)
    sums = np.add.reduceat(values, starts)
    counts = np.diff(np.append(starts, len(values)))
    return np.asarray(sums / counts, dtype=np.float64)


def _per_mwh(price: Any, load_mw: Any, step: int) -> FloatArray:
    """A price per MWh of the load averaged over each block weighted by the load: the block's cost stays
    the sum of its hours'. [USD/MWh]"""
    energy = _mean(load_mw, step)
    cost = _mean(np.asarray(price, dtype=np.float64) * np.asarray(load_mw, dtype=np.float64), step)
    return np.divide(cost, energy, out=_mean(price, step), where=energy > 0)


def _extreme(values: Any, step: int, ufunc: np.ufunc) -> FloatArray:
    """Block maxima (``np.maximum``) or minima (``np.minimum``) of an hourly series. [same unit]"""
    values = np.asarray(values, dtype=np.float64)
    return np.asarray(ufunc.reduceat(values, _starts(len(values), step)), dtype=np.float64)


def _all(flags: Any, step: int) -> np.ndarray[Any, Any]:
    """Whether every hour of a block is set (dates change at midnight, so blocks are uniform)."""
    flags = np.asarray(flags, dtype=bool)
    return np.logical_and.reduceat(flags, _starts(len(flags), step))


def _generator(c: GeneratorCandidate, step: int) -> GeneratorCandidate:
    return dataclasses.replace(
        c,
        available=_all(c.available, step),
        output_factor=_mean(c.output_factor, step),
        firm_factor=_extreme(c.firm, step, np.minimum),
        heat_rate_mmbtu_per_mwh=_mean(c.heat_rate_mmbtu_per_mwh, step),
    )


def _battery(b: BatteryCandidate | None, step: int) -> BatteryCandidate | None:
    return None if b is None else dataclasses.replace(b, available=_all(b.available, step))


def _solar(s: SolarCandidate | None, step: int) -> SolarCandidate | None:
    return None if s is None else dataclasses.replace(s, profile=_mean(s.profile, step))


def aggregate(site: SiteInputs, step_h: int) -> SiteInputs:
    """``site`` (hourly) on snapshots of ``step_h`` hours: series averaged over each block, each snapshot
    weighing the hours it stands for. [-]"""
    if site.snapshot_hours is not None:
        raise ValueError("aggregate takes hourly inputs")
    if step_h not in STEPS_H or HOURS_PER_DAY % step_h:
        raise ValueError(f"a snapshot length must be one of {STEPS_H} h, not {step_h}")
    if step_h == 1:
        return site
    n = len(site.snapshots)
    starts = _starts(n, step_h)
    return dataclasses.replace(
        site,
        snapshots=np.asarray(site.snapshots)[starts],
        snapshot_hours=np.diff(np.append(starts, n)).astype(np.float64),
        load_mw=_mean(site.load_mw, step_h),
        peak_load_mw=_extreme(site.load_mw, step_h, np.maximum),
        mean_gap_mw=_mean(site.mean_gap_mw, step_h),
        gpus=_mean(site.gpus, step_h),
        voll_usd_per_mwh=_per_mwh(site.voll_usd_per_mwh, site.load_mw, step_h),
        grid_cap_mw=_mean(site.grid_cap_mw, step_h),
        grid_price_usd_per_mwh=_mean(site.grid_price_usd_per_mwh, step_h),
        grid_co2_kg_per_mwh=_mean(site.grid_co2_kg_per_mwh, step_h),
        generators=tuple(_generator(c, step_h) for c in site.generators),
        battery=_battery(site.battery, step_h),
        solar=_solar(site.solar, step_h),
    )
