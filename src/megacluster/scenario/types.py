"""Shared building blocks of the scenario schema: the frozen base model, durations, dated schedules."""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|d)\s*$")
_UNIT_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class Frozen(BaseModel):
    """Base of every scenario model: immutable, no unknown keys, no infinite or NaN numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)


MAX_NAME_LENGTH = 100
"""Longest scenario or sweep name (it becomes a folder name). [characters]"""


def check_safe_name(value: str) -> str:
    """A name that is one safe path component: no separators, no ``..``, no NUL or control characters, not
    hidden, at most :data:`MAX_NAME_LENGTH` characters. Raises ValueError otherwise."""
    if not value or len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"a name must have 1 to {MAX_NAME_LENGTH} characters")
    bad = sorted({ch for ch in value if ch in "/\\:" or ord(ch) < 32 or ord(ch) == 127})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise ValueError(f"a name becomes a folder name and must not contain {shown}")
    if value.startswith(".") or value != value.strip():
        raise ValueError(
            "a name must not start with '.' nor start or end with a space (it becomes a folder name)"
        )
    return value


def safe_name_from(stem: str) -> str:
    """A safe name made from a file name's stem (unsafe characters become '_'). [-]"""
    cleaned = "".join("_" if ch in "/\\:" or ord(ch) < 32 or ord(ch) == 127 else ch for ch in stem)
    cleaned = cleaned.strip().lstrip(".") or "scenario"
    return cleaned[:MAX_NAME_LENGTH]


SafeName = Annotated[str, AfterValidator(check_safe_name)]
"""A name that can be used as one folder name."""


class Precision(enum.StrEnum):
    """Numeric precision of training."""

    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"


def parse_duration_s(value: Any) -> float:
    """A duration such as ``"5min"``, ``"1h"``, ``"30s"`` or a number of seconds. [s]"""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '5min', '1h' or a number of seconds")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNIT_S[match.group(2)]
    raise ValueError(f"expected a duration such as '5min', '1h', '30s' or a number of seconds, got {value!r}")


DurationS = Annotated[float, BeforeValidator(parse_duration_s), Field(gt=0)]


class DatedValue(Frozen):
    """One step of a dated schedule: ``value`` holds from ``start`` until the next step."""

    start: dt.date = Field(alias="from", description="First day the value holds")
    mw: float = Field(ge=0, le=100_000, description="Value from that day [MW]")


def check_ascending(steps: tuple[DatedValue, ...], what: str) -> tuple[DatedValue, ...]:
    """Raise unless a schedule's dates strictly increase."""
    for before, after in itertools.pairwise(steps):
        if after.start <= before.start:
            raise ValueError(
                f"{what} must be in date order: {after.start.isoformat()} comes after "
                f"{before.start.isoformat()}"
            )
    return steps
