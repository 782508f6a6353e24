"""Thinning a run's time series for plotting: fixed time buckets that keep totals and end values."""

from __future__ import annotations

import math

import pandas as pd

HOUR_S = 3600.0

_SUMMED_SUFFIXES = ("_t", "_mmbtu", "_m3", "_usd")
"""Columns that hold an amount per step (tonnes, fuel, water, money): a bucket holds their sum."""


def _aggregation(column: str) -> str:
    """How a bucket combines one column: cumulative values keep the last, per-step amounts add up,
    rates and states (MW, GPUs, °C, MWh of charge) are averaged."""
    if column.startswith("cumulative_"):
        return "last"
    if column.endswith(_SUMMED_SUFFIXES):
        return "sum"
    return "mean"


def step_seconds(timeseries: pd.DataFrame) -> float:
    """The time step of a series from its ``time`` column (median spacing; 0 for one row). [s]"""
    if len(timeseries) < 2:
        return 0.0
    diffs = pd.to_datetime(timeseries["time"]).diff().dropna().dt.total_seconds()
    return float(diffs.median())


def bucket_seconds(timeseries: pd.DataFrame, max_points: int, min_bucket_s: float = HOUR_S) -> float:
    """Bucket length for a series: at least the step and ``min_bucket_s``, in whole hours when longer
    than an hour, and coarse enough that at most ``max_points`` buckets remain. [s]"""
    if max_points < 2:
        raise ValueError("max_points must be at least 2")
    step = step_seconds(timeseries)
    if step <= 0:
        return 0.0
    span = step * len(timeseries)
    need = max(step, min_bucket_s, span / max_points)
    if need > HOUR_S:
        need = math.ceil(need / HOUR_S) * HOUR_S
    return float(need)


def downsample(
    timeseries: pd.DataFrame, max_points: int = 9000, min_bucket_s: float = HOUR_S
) -> pd.DataFrame:
    """The numeric columns of a time series averaged (or summed, or last-valued) into time buckets.

    Buckets start at the first ``time``; each row's ``time`` is its bucket's start. A series already at
    or coarser than the bucket comes back unchanged (numeric columns and ``time`` only).

    Parameters
    ----------
    timeseries : one row per step with a ``time`` column.
    max_points : most rows to return. [-]
    min_bucket_s : shortest bucket. [s]
    """
    numeric = [c for c in timeseries.columns if c != "time" and pd.api.types.is_numeric_dtype(timeseries[c])]
    frame = timeseries[["time", *numeric]].copy()
    frame["time"] = pd.to_datetime(frame["time"])
    bucket = bucket_seconds(frame, max_points, min_bucket_s)
    step = step_seconds(frame)
    if bucket <= 0 or bucket <= step * 1.0001:
        return frame.reset_index(drop=True)
    rules = {c: _aggregation(c) for c in numeric}
    out = frame.set_index("time").resample(pd.Timedelta(seconds=bucket), origin="start").agg(rules)
    out = out.dropna(how="all")
    return out.reset_index()
