"""Sweep designs beyond the grid: random, Latin hypercube and Sobol points in the parameters' ranges; and
reading a finished sweep's inputs and outputs back for ``megacluster sensitivity``.

Random draws are independent; a Latin hypercube puts one point in each of ``samples`` strata of every
parameter; a scrambled Sobol sequence (scipy.stats.qmc, Owen scrambling) fills the space evenly and is
balanced at powers of two. All three are reproducible from the sweep seed.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import qmc  # type: ignore[import-untyped]

from megacluster.errors import InputError

SPACE_FILLING = ("latin_hypercube", "sobol")
"""Design kinds drawn from scipy.stats.qmc (``random`` keeps its own independent draws). [-]"""


class Ranged(Protocol):
    """A parameter with a range (sweep.spec.RangeParameter)."""

    @property
    def field(self) -> str: ...
    @property
    def min(self) -> float: ...
    @property
    def max(self) -> float: ...
    @property
    def integer(self) -> bool: ...


def unit_points(kind: str, samples: int, dims: int, seed: int) -> npt.NDArray[np.float64]:
    """``samples`` x ``dims`` points in [0, 1): a Latin hypercube or a scrambled Sobol sequence. [-]"""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xD5,)))
    if kind == "latin_hypercube":
        return np.asarray(qmc.LatinHypercube(d=dims, seed=rng).random(samples))
    if kind == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance holds at powers of two; others allowed
            return np.asarray(qmc.Sobol(d=dims, scramble=True, seed=rng).random(samples))
    raise ValueError(f"unknown space-filling design '{kind}' (expected one of {', '.join(SPACE_FILLING)})")


def scaled_points(
    kind: str, parameters: Sequence[Ranged], samples: int, seed: int
) -> list[dict[str, bool | int | float | str]]:
    """The design's points in the parameters' ranges (whole numbers: equal-width bins over min..max). [-]"""
    u = unit_points(kind, samples, len(parameters), seed)
    columns: list[list[bool | int | float | str]] = []
    for j, p in enumerate(parameters):
        if p.integer:
            low, high = math.ceil(p.min), math.floor(p.max)
            ints = np.minimum(low + np.floor(u[:, j] * (high - low + 1)), high)
            columns.append([int(v) for v in ints])
        else:
            columns.append([float(v) for v in p.min + u[:, j] * (p.max - p.min)])
    fields = [p.field for p in parameters]
    return [dict(zip(fields, row, strict=True)) for row in zip(*columns, strict=True)]


def finished_sweep(folder: Path) -> tuple[list[str], list[tuple[float, float]], pd.DataFrame]:
    """A finished sweep folder's varied fields, their ranges and its results table, replicas averaged per
    point (so every row is one point: inputs joined to outputs). InputError when it is not one. [-]"""
    manifest = folder / "manifest.json"
    table = folder / "results.parquet"
    if not manifest.is_file() or not table.is_file():
        raise InputError(
            str(folder), None, "not a finished sweep folder (no manifest.json and results.parquet)"
        )
    spec = json.loads(manifest.read_text(encoding="utf-8"))["spec"]
    params: list[dict[str, Any]] = spec["design"]["parameters"]
    fields = [p["field"] for p in params]
    frame = pd.read_parquet(table)
    if "error" in frame:
        frame = frame[frame["error"].isna()]
    numeric = frame.select_dtypes(include=["number", "bool"]).drop(
        columns=["replica", "seed"], errors="ignore"
    )
    missing = [f for f in fields if f not in numeric]
    if missing:
        raise InputError(str(folder), missing[0], "a varied field that is not numeric cannot be analysed")
    per_point = numeric.groupby("point").mean(numeric_only=True).reset_index()
    bounds = []
    for p, f in zip(params, fields, strict=True):
        low = float(p.get("min", per_point[f].min()))
        high = float(p.get("max", per_point[f].max()))
        bounds.append((low, high if high > low else low + 1.0))
    return fields, bounds, per_point
