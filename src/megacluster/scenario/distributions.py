"""Distributions in scenarios: any numeric (or date) field may be a ``{ dist = ... }`` table.

At load the tables are lifted out of the data into ``Scenario.uncertain`` and each field gets its median, so
a loaded scenario IS the single-number (``--fixed``) scenario; ``sampled_scenarios`` builds one validated
scenario per replica from Latin-hypercube quantiles (each sample passes the field's own validation).
"""

from __future__ import annotations

import datetime as dt
import math
import types
import typing
from collections.abc import Sequence
from typing import Any

import annotated_types
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from megacluster.errors import InputError, input_error_from
from megacluster.uncertainty.distributions import (
    DIST_NAMES,
    Choice,
    Distribution,
    quantiles,
)
from megacluster.uncertainty.sampling import lhs_quantiles
from megacluster.units import Frozen

_FORBIDDEN_PREFIXES = ("name", "description", "simulation", "uncertain")
"""[A] Fields that are not assumptions about the world: the run's own settings cannot be uncertain."""

_DIST = TypeAdapter(Distribution)


class UncertainInput(Frozen):
    """One uncertain scenario field and its distribution (the scenario holds its median)."""

    field: str = Field(min_length=1, max_length=200, description="Dotted field, e.g. 'training.target_flop'")
    distribution: Distribution = Field(description="lognormal, normal, uniform, triangular or choice")


class FieldKind(typing.NamedTuple):
    """What a field accepts: its numeric bounds and whether it is whole, a date. [field's unit]"""

    low: float
    high: float
    integer: bool
    date: bool


def _unwrap(annotation: Any) -> list[Any]:
    """The plain types an annotation allows (Optional, unions and Annotated peeled). [-]"""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _unwrap(a)]
    return [annotation]


def field_kind(model: type[BaseModel], parts: Sequence[str | int]) -> FieldKind:
    """Bounds and kind of the field at ``parts`` of ``model`` (unbounded when the path is not typed). [-]"""
    node: Any = model
    info = None
    for part in parts:
        if isinstance(part, int):
            seq = [t for t in _unwrap(node) if typing.get_origin(t) in (tuple, list)]
            node = typing.get_args(seq[0])[0] if seq else None
            continue
        models = [t for t in _unwrap(node) if isinstance(t, type) and issubclass(t, BaseModel)]
        if not models or part not in models[0].model_fields:
            return FieldKind(-math.inf, math.inf, False, False)
        info = models[0].model_fields[part]
        node = info.annotation
    kinds = _unwrap(node)
    integer = int in kinds and float not in kinds
    low, high = -math.inf, math.inf
    for meta in info.metadata if info is not None else ():  # strict bounds: the next value inside
        if isinstance(meta, annotated_types.Ge):
            low = float(meta.ge)  # type: ignore[arg-type]
        if isinstance(meta, annotated_types.Gt):
            low = float(meta.gt) + 1 if integer else float(np.nextafter(float(meta.gt), math.inf))  # type: ignore[arg-type]
        if isinstance(meta, annotated_types.Le):
            high = float(meta.le)  # type: ignore[arg-type]
        if isinstance(meta, annotated_types.Lt):
            high = float(meta.lt) - 1 if integer else float(np.nextafter(float(meta.lt), -math.inf))  # type: ignore[arg-type]
    return FieldKind(low, high, integer, dt.date in kinds)


def field_parts(dotted: str) -> list[str | int]:
    """``a.b[0].c`` as ['a', 'b', 0, 'c']. [-]"""
    out: list[str | int] = []
    for piece in dotted.replace("[", ".").replace("]", "").split("."):
        out.append(int(piece) if piece.isdigit() else piece)
    return out


def _walk(node: Any, path: str, found: list[tuple[str, dict[str, Any]]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(value, dict) and "dist" in value:
                found.append((here, value))
            else:
                _walk(value, here, found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict) and "dist" in value:
                found.append((f"{path}[{i}]", value))
            else:
                _walk(value, f"{path}[{i}]", found)


def value_for(kind: FieldKind, dist: Any, u: npt.ArrayLike) -> list[Any]:
    """The field's values at quantiles u: truncated to its bounds, whole numbers for whole fields. [-]"""
    if isinstance(dist, Choice):
        return dist.at(u)
    if kind.date:
        raise ValueError("a date field takes only dist = 'choice' (a list of dates)")
    x = quantiles(dist, u, kind.low, kind.high)
    return [round(float(v)) for v in x] if kind.integer else [float(v) for v in x]


def lift_distributions(model: type[BaseModel], data: Any) -> Any:
    """Scenario data with every ``{ dist = ... }`` table replaced by its median and listed in ``uncertain``
    (a before-validator of the Scenario). [-]"""
    if not isinstance(data, dict):
        return data
    found: list[tuple[str, dict[str, Any]]] = []
    _walk(data, "", found)
    if not found:
        return data
    data = dict(data)
    lifted = list(data.get("uncertain") or [])
    for path, table in found:
        if path.split(".")[0].split("[")[0] in _FORBIDDEN_PREFIXES:
            raise ValueError(f"{path}: the run's own settings cannot be uncertain (only assumptions)")
        try:
            dist = _DIST.validate_python(table)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(
                f"{path}: {first['msg']} ({where}); a distribution is one of {', '.join(DIST_NAMES)}"
            ) from None
        kind = field_kind(model, field_parts(path))
        try:
            median = value_for(kind, dist, [0.5])[0]
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        _set(data, field_parts(path), median)
        lifted.append({"field": path, "distribution": table})
    data["uncertain"] = lifted
    return data


def _set(data: dict[str, Any], parts: Sequence[str | int], value: Any) -> None:
    """Set a nested value, copying each dict and list on the way (the caller's data stays untouched)."""
    node: Any = data
    for part in parts[:-1]:
        child = node[part]
        child = dict(child) if isinstance(child, dict) else list(child)
        node[part] = child
        node = child
    node[parts[-1]] = value


def sample_matrix(scenario: Any, n: int, seed: int) -> tuple[list[list[Any]], npt.NDArray[np.float64]]:
    """Per replica, each uncertain field's value (a Latin hypercube over the n replicas), and the numeric
    matrix (dates as ordinal days, names as their rank) for ranking drivers. [-]"""
    rows = values_at(scenario, lhs_quantiles(n, len(scenario.uncertain), seed))
    columns = [[row[j] for row in rows] for j in range(len(scenario.uncertain))]
    numeric = np.array(
        [[_number(v, col) for v, col in zip(row, columns, strict=True)] for row in rows], float
    )
    return rows, numeric.reshape(n, len(scenario.uncertain))


def values_at(scenario: Any, u: npt.NDArray[np.float64]) -> list[list[Any]]:
    """Per row of unit quantiles u (samples x uncertain fields), each field's value. [field's unit]"""
    columns = [
        value_for(field_kind(type(scenario), field_parts(item.field)), item.distribution, u[:, j])
        for j, item in enumerate(scenario.uncertain)
    ]
    return [[col[i] for col in columns] for i in range(len(u))]


def _number(value: Any, column: list[Any]) -> float:
    if isinstance(value, dt.date):
        return float(value.toordinal())
    if isinstance(value, str):
        return float(sorted(set(column)).index(value))
    return float(value)


def with_values(scenario: Any, fields: Sequence[str], values: Sequence[Any]) -> Any:
    """The scenario with these fields set (no uncertain fields left), validated like a loaded one. [-]"""
    data = scenario.model_dump(exclude={"uncertain"})
    for field, value in zip(fields, values, strict=True):
        _set(data, field_parts(field), value)
    try:
        return type(scenario).model_validate(data)
    except ValidationError as exc:
        shown = ", ".join(f"{f} = {v}" for f, v in zip(fields, values, strict=True))
        err = input_error_from(exc, f"scenario {scenario.name}", type(scenario))
        raise InputError(
            f"scenario {scenario.name}", err.field, f"{err.expected} (a sample drew {shown})"
        ) from None


def sampled_scenarios(scenario: Any, n: int, seed: int) -> tuple[list[Any], npt.NDArray[np.float64]]:
    """One validated scenario per replica (Latin hypercube over replicas), and the numeric samples. [-]"""
    rows, numeric = sample_matrix(scenario, n, seed)
    fields = [u.field for u in scenario.uncertain]
    return [with_values(scenario, fields, row) for row in rows], numeric
