"""Shared building blocks of the scenario schema: the frozen base model, durations, dated schedules."""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|d)\s*$")
_UNIT_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class Frozen(BaseModel):
    """Base of every scenario model: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


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
