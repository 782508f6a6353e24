"""The ``[reliability]`` section of a scenario: interruptions, restarts, checkpoints."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from megacluster.scenario.types import Frozen

LLAMA3_RATE_PER_GPU_HOUR = 419 / (16_384 * 54 * 24)
"""[D] facts.md 5.1: Llama 3 405B pre-training, 419 unexpected interruptions in 54 days on 16,384 H100
-> 419 / (16,384 x 1,296 h) = 1.97e-5 job interruptions per GPU-hour."""


class ReliabilityConfig(Frozen):
    """Job interruptions and how the job recovers from them."""

    interruption_rate_per_gpu_hour: float = Field(
        default=LLAMA3_RATE_PER_GPU_HOUR,
        ge=0,
        le=1,
        description="Unexpected job interruptions per GPU-hour [1/(GPU h)] (default: Llama 3, facts.md 5.1)",
    )
    restart_s: float = Field(
        default=600.0,
        ge=0,
        le=7 * 86400,
        description="Detection + reschedule + reload after an interruption [s]. [A] 10 min; "
        "FlashRecovery restores 4,800 devices in 150 s, typical stacks take minutes (facts-plant.md 9)",
    )
    checkpoint_interval_min: float | Literal["auto"] = Field(
        default="auto",
        description="Compute time between checkpoints [min], or 'auto' for the Young/Daly optimum",
    )
    checkpoint_write_s: float = Field(
        default=60.0,
        ge=0,
        le=86400,
        description="Time the job stalls to write one checkpoint [s]. [U] mlsysim default 60 s (facts-plant.md 9)",
    )

    @field_validator("interruption_rate_per_gpu_hour", "restart_s", "checkpoint_write_s", mode="before")
    @classmethod
    def _finite(cls, value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _check(self) -> ReliabilityConfig:
        if isinstance(self.checkpoint_interval_min, float | int):
            interval_s = float(self.checkpoint_interval_min) * 60.0
            if interval_s <= 0:
                raise ValueError("checkpoint_interval_min must be positive or 'auto'")
            if interval_s <= self.checkpoint_write_s:
                raise ValueError(
                    f"checkpoint_interval_min ({interval_s:g} s) must be longer than checkpoint_write_s "
                    f"({self.checkpoint_write_s:g} s)"
                )
        return self
