"""Unexpected interruptions by root cause: the Llama 3 table turned into rates per GPU-hour.

The counts come from ``data/failure_causes.toml`` (Llama 3 405B, 54 days on 16,384 H100). A cause's rate per
GPU-hour is its count over the window's exposure (16,384 GPUs x 1,296 h); a job holding N GPUs sees N times
that.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.kinds import BlastRadius
from megacluster.units import HOURS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR

RADII = tuple(BlastRadius)
"""The blast radii in a fixed order (columns of ``CauseTable.blast_matrix``)."""


class Domain(enum.StrEnum):
    """What one fault hits."""

    GPU = "gpu"
    NODE = "node"
    NETWORK = "network"
    JOB = "job"
    SITE = "site"


@dataclass(frozen=True)
class FailureCause:
    """One root cause of unexpected interruptions."""

    id: str
    label: str
    count: int
    """Interruptions in the calibration window. [-]"""
    domain: Domain
    takes_node_out: bool
    """True when the node holding the fault leaves the pool for repair."""
    source: str
    blast: tuple[tuple[BlastRadius, float], ...] = ()
    """Share of its interruptions by blast radius (empty: one node if it takes a node out, else the job).
    [-]"""

    def blast_shares(self) -> tuple[tuple[BlastRadius, float], ...]:
        """Its blast radii and their shares, adding up to 1. [-]"""
        if self.blast:
            return self.blast
        return ((BlastRadius.NODE if self.takes_node_out else BlastRadius.JOB, 1.0),)


@dataclass(frozen=True)
class CalibrationWindow:
    """The observation the counts come from."""

    gpus: int
    """GPUs the job held. [-]"""
    days: float
    """Length of the window. [d]"""
    unexpected: int
    """Unexpected interruptions in the window. [-]"""
    planned: int
    """Planned interruptions in the window. [-]"""

    @property
    def gpu_hours(self) -> float:
        """Exposure: GPUs x hours. [GPU h]"""
        return self.gpus * self.days * HOURS_PER_DAY


@dataclass(frozen=True)
class CauseTable:
    """All causes of one calibration window, in file order."""

    window: CalibrationWindow
    causes: tuple[FailureCause, ...]
    repair_factor: tuple[tuple[BlastRadius, float], ...] = ()
    """Repair time of each blast radius relative to a node's. [-]"""

    @property
    def ids(self) -> tuple[str, ...]:
        """Cause ids in table order."""
        return tuple(c.id for c in self.causes)

    def rates_per_gpu_hour(self) -> dict[str, float]:
        """Each cause's rate: count / (GPUs x hours of the window). [1/(GPU h)]"""
        exposure = self.window.gpu_hours
        return {c.id: c.count / exposure for c in self.causes}

    def total_rate_per_gpu_hour(self, disabled: tuple[str, ...] = ()) -> float:
        """Sum of the rates of the enabled causes. [1/(GPU h)]"""
        return sum(r for k, r in self.rates_per_gpu_hour().items() if k not in disabled)

    def shares(self, disabled: tuple[str, ...] = ()) -> NDArray[np.float64]:
        """Probability that an interruption has each cause (disabled causes get 0). [-]"""
        counts = np.array([0.0 if c.id in disabled else float(c.count) for c in self.causes])
        total = counts.sum()
        if total <= 0:
            return np.zeros_like(counts)
        out: NDArray[np.float64] = counts / total
        return out

    def takes_node_out(self) -> NDArray[np.bool_]:
        """Whether each cause pulls a node for repair, in table order. [-]"""
        return np.array([c.takes_node_out for c in self.causes], dtype=bool)

    def blast_matrix(self) -> NDArray[np.float64]:
        """Share of each cause's interruptions (rows, table order) by blast radius (columns, ``RADII``).
        [-]"""
        out = np.zeros((len(self.causes), len(RADII)))
        for i, cause in enumerate(self.causes):
            for radius, share in cause.blast_shares():
                out[i, RADII.index(radius)] += share
        return out

    def repair_factors(self) -> NDArray[np.float64]:
        """Repair time of each blast radius (``RADII`` order) relative to a node's. [-]"""
        known = dict(self.repair_factor)
        return np.array([known.get(r, 1.0 if r is BlastRadius.NODE else 0.0) for r in RADII])

    def planned_per_day(self) -> float:
        """Planned interruptions per day of the window (per job, not per GPU). [1/d]"""
        return self.window.planned / self.window.days


def _parse(raw: dict[str, Any]) -> CauseTable:
    w = raw["window"]
    window = CalibrationWindow(
        gpus=int(w["gpus"]), days=float(w["days"]), unexpected=int(w["unexpected"]), planned=int(w["planned"])
    )
    causes = tuple(
        FailureCause(
            id=key,
            label=str(entry["label"]),
            count=int(entry["count"]),
            domain=Domain(entry["domain"]),
            takes_node_out=bool(entry["takes_node_out"]),
            source=str(entry["source"]),
            blast=_blast(key, entry.get("blast")),
        )
        for key, entry in raw["causes"].items()
    )
    total = sum(c.count for c in causes)
    if total != window.unexpected:
        raise ValueError(
            f"failure_causes.toml: cause counts add up to {total}, window says {window.unexpected}"
        )
    radii = raw.get("radius", {})
    factors = tuple((BlastRadius(k), float(v["repair_factor"])) for k, v in radii.items())
    return CauseTable(window=window, causes=causes, repair_factor=factors)


def _blast(cause: str, raw: dict[str, Any] | None) -> tuple[tuple[BlastRadius, float], ...]:
    """A cause's blast shares from its ``blast`` table (shares add up to 1)."""
    if not raw:
        return ()
    shares = tuple((BlastRadius(k), float(v)) for k, v in raw.items())
    total = sum(v for _, v in shares)
    if any(v < 0 for _, v in shares) or abs(total - 1.0) > 1e-6:
        raise ValueError(f"failure_causes.toml: {cause}.blast shares must be non-negative and add up to 1")
    return shares


@cache
def llama3_causes() -> CauseTable:
    """The Llama 3 54-day root-cause table (read once)."""
    text = (
        resources.files("megacluster.reliability").joinpath("data", "failure_causes.toml").read_text("utf-8")
    )
    return _parse(tomllib.loads(text))


def mean_time_to_interruption_s(
    gpus: float | NDArray[np.float64], rate_per_gpu_hour: float, planned_per_day: float = 0.0
) -> NDArray[np.float64]:
    """Mean time between interruptions of a job holding ``gpus`` GPUs (inf when nothing fails). [s]"""
    per_s = (
        np.asarray(gpus, dtype=float) * rate_per_gpu_hour / SECONDS_PER_HOUR
        + planned_per_day / SECONDS_PER_DAY
    )
    with np.errstate(divide="ignore"):
        out: NDArray[np.float64] = np.where(per_s > 0, 1.0 / np.where(per_s > 0, per_s, 1.0), np.inf)
    return out
