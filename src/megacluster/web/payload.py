"""A run's results as the JSON the API returns (read from Results only)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from megacluster.report.downsample import downsample, step_seconds
from megacluster.results.assemble import Results
from megacluster.results.keyfigures import key_figures
from megacluster.results.writers import to_jsonable


def columnar(timeseries: pd.DataFrame, max_points: int) -> tuple[dict[str, list[Any]], float]:
    """The series bucketed (hourly or coarser, at most ``max_points`` rows) as column lists, and the
    bucket length. NaN becomes null. [-], [s]"""
    ts = downsample(timeseries, max_points=max_points)
    out: dict[str, list[Any]] = {"time": [t.isoformat() for t in pd.to_datetime(ts["time"])]}
    for column in ts.columns:
        if column == "time":
            continue
        values = np.asarray(ts[column], dtype=np.float64)
        out[column] = [None if not np.isfinite(v) else float(v) for v in values]
    return out, step_seconds(ts)


def simulation_payload(results: Results, max_points: int, elapsed_s: float) -> dict[str, Any]:
    """The body of a successful ``POST /api/simulate``."""
    series, bucket = columnar(results.timeseries, max_points)
    figures = [
        {"key": f.key, "label": f.label, "value": to_jsonable(f.value), "text": f.text, "unit": f.unit}
        for f in key_figures(results.summary)
    ]
    return {
        "scenario": {"name": results.scenario.name, "description": results.scenario.description.strip()},
        "summary": to_jsonable(results.summary.model_dump(mode="json")),
        "timeseries": series,
        "timeseries_step_s": bucket,
        "key_figures": figures,
        "elapsed_s": elapsed_s,
    }
