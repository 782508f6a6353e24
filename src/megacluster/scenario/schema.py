"""The scenario: typed, frozen, validated at load. Units are in the field names or descriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, field_validator, model_validator

from megacluster import catalog
from megacluster.cooling.config import FacilityConfig, SiteConfig
from megacluster.economics.config import EconomicsConfig
from megacluster.errors import InputError, unknown_choice_message
from megacluster.performance.layout import ParallelLayout
from megacluster.power.config import PowerConfig
from megacluster.reliability.config import ReliabilityConfig
from megacluster.scenario.distributions import UncertainInput, lift_distributions
from megacluster.scenario.regional import with_regional_grid
from megacluster.transients.config import TransientsConfig
from megacluster.units import DurationS, Frozen, Precision, SafeName


class SimulationConfig(Frozen):
    """When and how finely to simulate."""

    start: dt.date = Field(description="First simulated day (00:00 local standard time)")
    horizon_days: float = Field(gt=0, le=3660, description="Simulated span [d]")
    step: DurationS = Field(default=300.0, le=86400, description="Fixed time step, e.g. '5min' [s]")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Seed of the random generator")
    replicas: int = Field(default=1, ge=1, le=10_000, description="Monte Carlo replicas")

    @model_validator(mode="after")
    def _check(self) -> SimulationConfig:
        if self.horizon_days * 86400.0 / self.step > 20_000_000:
            raise ValueError("horizon_days / step gives more than 20 million steps; use a longer step")
        if self.step > self.horizon_days * 86400.0:
            raise ValueError("step is longer than the horizon")
        return self


class FleetDelivery(Frozen):
    """GPUs of one kind arriving over an install window (first rack to last rack)."""

    accelerator: str = Field(description="Accelerator catalog id")
    server: str | None = Field(default=None, description="Server catalog id (default: the one for the GPU)")
    count: int = Field(gt=0, le=10_000_000, description="Number of GPUs [-]")
    install_start: dt.date = Field(description="Day the first rack comes online")
    install_end: dt.date = Field(description="Day the last rack comes online")

    @field_validator("accelerator")
    @classmethod
    def _known_accelerator(cls, value: str) -> str:
        if value not in catalog.accelerators():
            raise ValueError(unknown_choice_message("accelerator", value, catalog.accelerators()))
        return value

    @field_validator("server")
    @classmethod
    def _known_server(cls, value: str | None) -> str | None:
        if value is not None and value not in catalog.servers():
            raise ValueError(unknown_choice_message("server", value, catalog.servers()))
        return value

    @model_validator(mode="after")
    def _check(self) -> FleetDelivery:
        if self.server is None and not any(
            s.accelerator == self.accelerator for s in catalog.servers().values()
        ):
            raise ValueError(f"no server in the catalog holds '{self.accelerator}'; name one with 'server'")
        if self.install_end < self.install_start:
            raise ValueError("install_end must not be before install_start")
        return self

    def server_entry(self) -> catalog.Server:
        """The server holding these GPUs."""
        if self.server is not None:
            return catalog.servers()[self.server]
        return next(s for s in catalog.servers().values() if s.accelerator == self.accelerator)


class TrainingConfig(Frozen):
    """The training run: model, compute target, job size, precision."""

    model: str | catalog.ModelShape = Field(description="Model catalog id, or its shape inline")
    target_flop: float | None = Field(
        default=None, gt=0, le=1e32, description="Model FLOP to complete [FLOP]"
    )
    target_tokens: float | None = Field(default=None, gt=0, le=1e18, description="Tokens to train on [-]")
    job_gpus: int = Field(gt=0, le=10_000_000, description="GPUs the job wants [-]")
    accelerator: str | None = Field(
        default=None, description="Accelerator the job runs on (default: first fleet)"
    )
    precision: Precision = Field(default=Precision.BF16, description="bf16, fp16 or fp8")
    global_batch: int = Field(
        default=2048, ge=1, le=10_000_000, description="Sequences per optimizer step [-]"
    )
    start: dt.date | None = Field(default=None, description="Day the run starts (default: simulation start)")
    layout: ParallelLayout | None = Field(
        default=None, description="Parallel layout (default: the best one planned)"
    )
    mfu: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Override the model FLOP utilisation [-] (default: from the model)",
    )

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str | catalog.ModelShape) -> str | catalog.ModelShape:
        if isinstance(value, str) and value not in catalog.models():
            raise ValueError(unknown_choice_message("model", value, catalog.models()))
        return value

    @field_validator("accelerator")
    @classmethod
    def _known_accelerator(cls, value: str | None) -> str | None:
        if value is not None and value not in catalog.accelerators():
            raise ValueError(unknown_choice_message("accelerator", value, catalog.accelerators()))
        return value

    @model_validator(mode="after")
    def _check(self) -> TrainingConfig:
        if (self.target_flop is None) == (self.target_tokens is None):
            raise ValueError("give exactly one of target_flop or target_tokens")
        if self.layout is not None and self.layout.global_batch not in (None, self.global_batch):
            raise ValueError(
                f"layout.global_batch {self.layout.global_batch} differs from global_batch "
                f"{self.global_batch}; give it once, as training.global_batch"
            )
        return self

    def shape(self) -> catalog.ModelShape:
        """The model's shape: from the catalog, or the inline one."""
        if isinstance(self.model, catalog.ModelShape):
            fields = self.model.model_dump(exclude={"id", "name", "source"}, exclude_none=True)
            return self.model.model_copy(
                update={"source": dict.fromkeys(fields, "scenario [training.model]")}
            )
        return catalog.models()[self.model]

    def flop_target(self) -> float:
        """Model FLOP to complete: given, or the shape's model FLOP per token x tokens. [FLOP]"""
        if self.target_flop is not None:
            return self.target_flop
        return self.shape().model_flop_per_token() * float(self.target_tokens or 0.0)


class PerformanceConfig(Frozen):
    """The training performance model's inputs beyond the catalog."""

    efficiency: str | None = Field(
        default=None,
        description="Efficiency overlay TOML written by `megacluster calibrate` (path; relative paths from "
        "the working directory): your cluster's fitted efficiencies in place of the catalog's",
    )

    @field_validator("efficiency")
    @classmethod
    def _loads(cls, value: str | None) -> str | None:
        if value is not None:
            from megacluster.performance.overlay import load_overlay

            try:
                load_overlay(value)
            except InputError as exc:
                raise ValueError(str(exc)) from None
        return value


class Scenario(Frozen):
    """A whole campus scenario."""

    name: SafeName = Field(description="Scenario name; the default output folder is runs/<name>")
    description: str = Field(default="", description="What the scenario represents")
    simulation: SimulationConfig
    site: SiteConfig = Field(default_factory=SiteConfig)
    fleet: tuple[FleetDelivery, ...] = Field(min_length=1, description="GPU deliveries")
    power: PowerConfig
    facility: FacilityConfig = Field(default_factory=FacilityConfig)
    training: TrainingConfig | None = None
    reliability: ReliabilityConfig = Field(default_factory=ReliabilityConfig)
    economics: EconomicsConfig | None = Field(
        default=None, description="Cost overrides and the least-cost build (default: catalog/data/costs.toml)"
    )
    transients: TransientsConfig | None = Field(
        default=None, description="Sub-second power swings and their mitigation (default: mitigations off)"
    )
    performance: PerformanceConfig | None = Field(
        default=None, description="Performance-model inputs, e.g. a calibration overlay (default: catalog)"
    )

    uncertain: tuple[UncertainInput, ...] = Field(
        default=(),
        description="Uncertain assumptions: fields given as { dist = ... } (lifted here at load; the fields "
        "hold their medians, docs/uncertainty.md)",
    )

    @model_validator(mode="before")
    @classmethod
    def _distributions(cls, data: Any) -> Any:
        """Fields given as ``{ dist = ... }`` hold their median; the distributions go to ``uncertain``."""
        return lift_distributions(cls, data)

    @model_validator(mode="before")
    @classmethod
    def _regional_grid(cls, data: Any) -> Any:
        """The site's grid region fills in the price and carbon intensity [power] leaves out (regional.py)."""
        return with_regional_grid(data)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        total = sum(f.count for f in self.fleet)
        if self.training is not None and self.training.job_gpus > total:
            raise ValueError(f"training.job_gpus {self.training.job_gpus} exceeds the fleet's {total} GPUs")
        if (
            self.training is not None
            and self.training.start is not None
            and self.training.start < self.simulation.start
        ):
            raise ValueError(
                f"training.start {self.training.start.isoformat()} is before simulation.start "
                f"{self.simulation.start.isoformat()}: work before the simulated span is not counted; "
                "start the simulation earlier or the run later"
            )
        if self.training is not None:
            accel = self.training.accelerator or self.fleet[0].accelerator
            in_fleet = sum(f.count for f in self.fleet if f.accelerator == accel)
            if in_fleet == 0:
                raise ValueError(
                    f"training.accelerator '{accel}' is not in the fleet (fleet accelerators: "
                    f"{', '.join(sorted({f.accelerator for f in self.fleet}))})"
                )
            try:
                catalog.accelerators()[accel].peak_flop_s(self.training.precision.value)
            except ValueError:
                raise ValueError(
                    f"training.precision '{self.training.precision.value}' is not supported by '{accel}' "
                    "(no peak at that precision in the accelerator catalog); use bf16 or another accelerator"
                ) from None
            if self.training.job_gpus > in_fleet:
                raise ValueError(
                    f"training.job_gpus {self.training.job_gpus} exceeds the fleet's {in_fleet} "
                    f"'{accel}' GPUs"
                )
        if self.reliability.spares_gpus > total:
            raise ValueError(
                f"reliability.spares_gpus {self.reliability.spares_gpus} exceeds the fleet's {total} GPUs"
            )
        return self

    def total_gpus(self) -> int:
        """GPUs delivered over all deliveries. [-]"""
        return sum(f.count for f in self.fleet)

    def fleet_accelerator(self, delivery: FleetDelivery) -> catalog.Accelerator:
        """The accelerator of one delivery."""
        return catalog.accelerators()[delivery.accelerator]

    def training_accelerator(self) -> catalog.Accelerator:
        """The accelerator the training job runs on."""
        key = (self.training.accelerator if self.training else None) or self.fleet[0].accelerator
        return catalog.accelerators()[key]
