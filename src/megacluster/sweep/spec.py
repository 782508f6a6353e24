"""The sweep file: a base scenario, the parameters to vary (a grid or random samples), replicas per point.

A sweep file is TOML::

    name = "colossus-turbines"
    base = "colossus-2024"            # a preset, or a scenario file relative to the sweep file
    seed = 7                          # every replica's seed derives from it and the point's index
    replicas = 10                     # Monte Carlo replicas per point
    replicas_per_task = 5             # replicas one Ray task runs (default: all of a point)
    report = ["training.finish_day"]  # figures printed in the summary table

    [fixed]                           # overrides applied to every point
    "simulation.horizon_days" = 30

    [design]
    kind = "grid"                     # every combination of the values
    [[design.parameters]]
    field = "power.generators[0].count"
    values = [8, 14, 20]

or ``kind = "random"`` with ``samples = N`` and parameters given as ``min``/``max`` (``integer = true`` for
whole numbers), drawn uniformly from a generator seeded by the sweep seed; ``kind = "latin_hypercube"`` or
``"sobol"`` take the same keys and fill the ranges evenly (sweep/designs.py).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from megacluster.errors import InputError, check_nesting, input_error_from, read_text_file
from megacluster.units import SafeName, safe_name_from

MAX_POINTS = 100_000
"""[A] Largest number of points one sweep may expand to (a guard against a mistyped grid)."""

MAX_ROWS = 1_000_000
"""[A] Most point x replica rows of one sweep, checked before any point is built."""

ScalarValue = bool | int | float | str

DEFAULT_REPORT = (
    "gpus_powered_mean",
    "unserved_energy_mwh",
    "emissions_t.co2",
    "training.goodput",
    "training.finish_day",
)
"""Figures printed in the per-point summary table when the sweep file names none."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GridParameter(_Frozen):
    """One scenario field and the values a grid takes for it."""

    field: str = Field(min_length=1, description="Dotted scenario field, e.g. 'power.generators[0].count'")
    values: tuple[ScalarValue, ...] = Field(min_length=1, description="Values to try")


class RangeParameter(_Frozen):
    """One scenario field sampled uniformly in ``[min, max]``."""

    field: str = Field(min_length=1, description="Dotted scenario field, e.g. 'facility.pue'")
    min: float = Field(description="Lower bound (inclusive)")
    max: float = Field(description="Upper bound (inclusive)")
    integer: bool = Field(default=False, description="Draw whole numbers")

    @model_validator(mode="after")
    def _check(self) -> RangeParameter:
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError(f"'{self.field}': min and max must be finite numbers")
        if self.min > self.max:
            raise ValueError(f"'{self.field}': min {self.min:g} is greater than max {self.max:g}")
        if self.integer and math.floor(self.max) < math.ceil(self.min):
            raise ValueError(f"'{self.field}': no whole number lies in [{self.min:g}, {self.max:g}]")
        return self


class GridDesign(_Frozen):
    """Every combination of the parameters' values (the first parameter varies slowest)."""

    kind: Literal["grid"]
    parameters: tuple[GridParameter, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> GridDesign:
        _check_unique(p.field for p in self.parameters)
        size = math.prod(len(p.values) for p in self.parameters)
        if size > MAX_POINTS:
            raise ValueError(f"the grid has {size} points; at most {MAX_POINTS} are allowed")
        return self

    def size(self) -> int:
        """Number of points. [-]"""
        return math.prod(len(p.values) for p in self.parameters)

    def points(self, seed: int) -> list[dict[str, ScalarValue]]:
        """The points in a fixed order. (``seed`` is unused: a grid has no randomness.)"""
        fields = [p.field for p in self.parameters]
        return [
            dict(zip(fields, combo, strict=True))
            for combo in itertools.product(*(p.values for p in self.parameters))
        ]


class RandomDesign(_Frozen):
    """``samples`` points in the parameters' ranges: independent uniform draws (``random``), a Latin
    hypercube or a scrambled Sobol sequence (``latin_hypercube``, ``sobol``: sweep/designs.py)."""

    kind: Literal["random", "latin_hypercube", "sobol"]
    samples: int = Field(ge=1, le=MAX_POINTS, description="Number of points")
    parameters: tuple[RangeParameter, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> RandomDesign:
        _check_unique(p.field for p in self.parameters)
        return self

    def size(self) -> int:
        """Number of points. [-]"""
        return self.samples

    def points(self, seed: int) -> list[dict[str, ScalarValue]]:
        """The sampled points; the same seed gives the same points."""
        if self.kind != "random":
            from megacluster.sweep.designs import scaled_points

            return scaled_points(self.kind, self.parameters, self.samples, seed)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5EED,)))
        columns: list[list[ScalarValue]] = []
        for p in self.parameters:
            if p.integer:
                ints = rng.integers(math.ceil(p.min), math.floor(p.max), size=self.samples, endpoint=True)
                columns.append([int(v) for v in ints])
            else:
                columns.append([float(v) for v in rng.uniform(p.min, p.max, size=self.samples)])
        fields = [p.field for p in self.parameters]
        return [dict(zip(fields, row, strict=True)) for row in zip(*columns, strict=True)]


def _check_unique(fields: Any) -> None:
    seen: set[str] = set()
    for name in fields:
        if name in seen:
            raise ValueError(f"the parameter '{name}' is listed twice")
        seen.add(name)


Design = Annotated[GridDesign | RandomDesign, Field(discriminator="kind")]


class SweepSpec(_Frozen):
    """A whole sweep: base scenario, fixed overrides, design, replicas, seed."""

    name: SafeName = Field(description="Sweep name; the default output folder is sweeps/<name>")
    base: str = Field(min_length=1, description="Preset name or scenario file (relative to the sweep file)")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Sweep seed")
    replicas: int = Field(default=1, description="Monte Carlo replicas per point")
    replicas_per_task: int | None = Field(default=None, description="Replicas one task runs (default: all)")
    fixed: dict[str, ScalarValue] = Field(
        default_factory=dict, description="Overrides applied to every point"
    )
    report: tuple[str, ...] = Field(
        default=DEFAULT_REPORT, description="Figures in the printed summary table"
    )
    design: Design

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value < 1 or value > 10_000:
            raise ValueError(f"replicas must be between 1 and 10,000 per point (got {value})")
        return value

    @field_validator("replicas_per_task")
    @classmethod
    def _per_task(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(f"replicas_per_task must be at least 1 (got {value})")
        return value

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        varied = {p.field for p in self.design.parameters}
        both = sorted(varied & set(self.fixed))
        if both:
            raise ValueError(f"'{both[0]}' is both fixed and varied")
        rows = self.design.size() * self.replicas
        if rows > MAX_ROWS:
            raise ValueError(
                f"{self.design.size():,} points x {self.replicas:,} replicas = {rows:,} runs; at most "
                f"{MAX_ROWS:,} are allowed in one sweep"
            )
        return self

    def chunk(self) -> int:
        """Replicas per task. [-]"""
        return min(self.replicas_per_task or self.replicas, self.replicas)

    def fingerprint(self) -> str:
        """A hash of everything that decides the results (not the name or the printed figures)."""
        body = self.model_dump(mode="json", exclude={"name", "report", "replicas_per_task"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LoadedSweep:
    """A parsed sweep file: the spec, where it came from and where its base scenario lives."""

    spec: SweepSpec
    label: str
    base_source: str | Path


def parse_sweep(data: Mapping[str, Any], label: str) -> SweepSpec:
    """Validate a sweep dict; InputError naming the file, the key and what was expected."""
    try:
        return SweepSpec.model_validate(dict(data))
    except ValidationError as exc:
        kinds = frozenset({"grid", "random", "latin_hypercube", "sobol"})
        raise input_error_from(exc, label, SweepSpec, kinds) from None


def load_sweep(path: str | Path) -> LoadedSweep:
    """Read and validate a sweep file (the base scenario is checked later, point by point)."""
    path = Path(path)
    label = str(path)
    text = read_text_file(path, "sweep file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(label, None, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise InputError(label, None, "nested too deeply") from None
    check_nesting(data, label)
    data.setdefault("name", safe_name_from(path.stem))
    spec = parse_sweep(data, label)
    base: str | Path = spec.base
    candidate = path.parent / spec.base
    if spec.base.endswith(".toml") or candidate.is_file():
        base = candidate
    return LoadedSweep(spec=spec, label=label, base_source=base)


def point_seed(sweep_seed: int, point: int, replica: int) -> int:
    """The seed of one replica of one point, independent of the order in which work completes. [-]"""
    state = np.random.SeedSequence(sweep_seed, spawn_key=(point, replica)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def describe(values: Mapping[str, ScalarValue], limit: int = 80) -> str:
    """``a=1, b=2`` for messages."""
    text = ", ".join(f"{k}={v!r}" for k, v in values.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ordered_fields(points: Sequence[Mapping[str, ScalarValue]]) -> list[str]:
    """The varied fields in their first-seen order."""
    return list(dict.fromkeys(k for p in points for k in p))
