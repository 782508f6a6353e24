"""The ``[transients]`` section of a scenario: sub-second power swings of the synchronous job, what the
grid and the on-site turbines see, and the mitigations (GPU power floor and ramp limits, rack storage, a site
battery under a smoothing controller) with the limits they must meet. Every field is optional; without the
section the run analyses the swings with every mitigation off.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from megacluster.transients import constants as k
from megacluster.units import Frozen, parse_duration_s

_MS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*ms\s*$")

MAX_WINDOW_SAMPLES = 2_000_000
"""Most samples in one window (the analysis holds a few arrays of this length per window). [-]"""


def parse_short_duration_s(value: Any) -> float:
    """A duration that may be shorter than a second: ``"20ms"``, ``"600s"``, ``"10min"`` or seconds. [s]"""
    if isinstance(value, str):
        match = _MS.match(value)
        if match:
            return float(match.group(1)) / 1000.0
    try:
        return parse_duration_s(value)
    except ValueError:
        raise ValueError(
            f"expected a duration such as '20ms', '600s', '10min' or a number of seconds, got {value!r}"
        ) from None


ShortDurationS = Annotated[float, BeforeValidator(parse_short_duration_s), Field(gt=0)]


class PhasePower(Frozen):
    """GPU draw in each phase of a training iteration, as fractions of TDP (before any cap)."""

    compute_fraction: float = Field(
        default=k.COMPUTE_FRACTION,
        gt=0,
        le=1.5,
        description="Matrix-multiply phases [-] ([D] 1.0: 8.4 kW measured per H100 server, facts-plant.md 5)",
    )
    communication_fraction: float = Field(
        default=k.COMMUNICATION_FRACTION,
        ge=0,
        le=1.5,
        description="Exposed communication [-] ([A] 0.30: 'near idle power', facts-swings.md §1)",
    )
    idle_fraction: float = Field(
        default=k.IDLE_FRACTION,
        ge=0,
        le=1.5,
        description="Allocated but idle: bubbles, checkpoints, restarts [-] ([D] 0.17, facts-swings.md §6)",
    )
    optimizer_fraction: float = Field(
        default=k.OPTIMIZER_FRACTION, ge=0, le=1.5, description="Optimizer step [-] ([A] 0.5)"
    )


class GpuSmoothing(Frozen):
    """GPU firmware power smoothing (NVIDIA GB200/GB300 style): a power floor and ramp-rate limits."""

    floor_fraction: float = Field(
        default=0.0,
        ge=0,
        le=0.95,
        description="Power floor of every job GPU as a fraction of TDP, 0 = off [-] "
        "([P via copy] GB200 firmware: 20-90 % of TDP, facts-swings.md §1)",
    )
    ramp_up_w_per_s: float | None = Field(
        default=None,
        gt=0,
        le=1e6,
        description="Largest rise of one GPU's draw [W/s] (None = off; NVML units)",
    )
    ramp_down_w_per_s: float | None = Field(
        default=None,
        gt=0,
        le=1e6,
        description="Largest fall of one GPU's draw [W/s] (None = off; NVML units)",
    )
    ramp_down_hysteresis_s: float = Field(
        default=0.0, ge=0, le=60, description="Time the draw is held before it ramps down [s] (NVML: ms)"
    )

    def active(self) -> bool:
        """Whether any part is switched on. [-]"""
        return (
            self.floor_fraction > 0 or self.ramp_up_w_per_s is not None or self.ramp_down_w_per_s is not None
        )


class RackStorage(Frozen):
    """Energy storage in the racks' power shelves (GB300 NVL72 style)."""

    j_per_gpu: float = Field(
        default=0.0,
        ge=0,
        le=100_000,
        description="Stored energy per GPU [J] (0 = none; [P via copy] GB300: 65 J, facts-swings.md §2)",
    )


class SmoothingController(enum.StrEnum):
    """How a site battery decides what the grid sees."""

    RAMP_LIMITER = "ramp_limiter"
    """The grid-facing power follows the load at no more than a set ramp rate."""
    LOW_PASS = "low_pass"
    """The grid-facing power is a first-order low-pass of the load (the battery takes the fast part)."""


class SiteBattery(Frozen):
    """A site battery smoothing the campus's draw (e.g. Colossus's Megapacks)."""

    enabled: bool = Field(default=False, description="Smooth the swings with a site battery")
    power_mw: float | None = Field(
        default=None, gt=0, le=100_000, description="Power [MW] (default: the scenario's [power.battery])"
    )
    energy_mwh: float | None = Field(
        default=None, gt=0, le=1_000_000, description="Energy [MWh] (default: the scenario's [power.battery])"
    )
    round_trip_efficiency: float | None = Field(
        default=None, gt=0, le=1, description="AC round trip [-] (default: the scenario's [power.battery])"
    )
    controller: SmoothingController = Field(
        default=SmoothingController.RAMP_LIMITER, description="ramp_limiter or low_pass"
    )
    ramp_mw_per_s: float | None = Field(
        default=None,
        gt=0,
        le=100_000,
        description="Grid-facing ramp the limiter allows [MW/s] (default: 90 % of the tightest stated limit)",
    )
    time_constant_s: float = Field(
        default=30.0,
        gt=0,
        le=86_400,
        description="Low-pass on the load ahead of either controller [s] ([A] 30 s: several iterations)",
    )
    response_s: float = Field(
        default=k.BATTERY_RESPONSE_S,
        ge=0,
        le=60,
        description="Inverter response time constant [s] ([D] 0.11 s: Hornsdale, facts-swings.md §3)",
    )
    restore_s: float = Field(
        default=k.BATTERY_RESTORE_S,
        gt=0,
        le=86_400,
        description="State-of-charge recentring [s] ([A] 1,800 s)",
    )
    cycle_life: float = Field(
        default=k.BATTERY_CYCLE_LIFE,
        gt=0,
        le=100_000,
        description="Full cycles to end of life [-] ([U] 3,000-5,000, facts-plant.md 7)",
    )


class Limits(Frozen):
    """What the utility (or the island) accepts at the site's meter; only stated limits are checked."""

    ramp_mw_per_s: float | None = Field(
        default=None, gt=0, le=100_000, description="Largest change of 1-s mean power per second [MW/s]"
    )
    ramp_up_mw_per_min: float | None = Field(
        default=None, gt=0, le=100_000, description="Largest rise of the 1-min mean power per minute [MW/min]"
    )
    ramp_down_mw_per_min: float | None = Field(
        default=None, gt=0, le=100_000, description="Largest fall of the 1-min mean power per minute [MW/min]"
    )
    band_low_hz: float = Field(
        default=k.BAND_LOW_HZ, gt=0, le=1000, description="Low edge of the oscillation band [Hz] ([S] 0.1)"
    )
    band_high_hz: float = Field(
        default=k.BAND_HIGH_HZ, gt=0, le=1000, description="High edge of the oscillation band [Hz] ([S] 20)"
    )
    max_band_energy_fraction: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Largest share of the fluctuation energy inside the band [-] ([S] e.g. 0.2)",
    )
    max_band_rms_mw: float | None = Field(
        default=None, gt=0, le=100_000, description="Largest RMS of the fluctuation inside the band [MW]"
    )
    source: str = Field(default="", max_length=500, description="Where these limits come from")

    @model_validator(mode="after")
    def _check(self) -> Limits:
        if self.band_low_hz >= self.band_high_hz:
            raise ValueError(
                f"band_low_hz {self.band_low_hz:g} must be below band_high_hz {self.band_high_hz:g}"
            )
        return self

    def stated(self) -> bool:
        """Whether any limit is given. [-]"""
        return any(
            v is not None
            for v in (
                self.ramp_mw_per_s,
                self.ramp_up_mw_per_min,
                self.ramp_down_mw_per_min,
                self.max_band_energy_fraction,
                self.max_band_rms_mw,
            )
        )

    def tightest_ramp_mw_per_s(self) -> float | None:
        """The tightest stated ramp limit, per second. [MW/s]"""
        per_s = [self.ramp_mw_per_s] if self.ramp_mw_per_s is not None else []
        per_s += [v / k.RAMP_LONG_S for v in (self.ramp_up_mw_per_min, self.ramp_down_mw_per_min) if v]
        return min(per_s) if per_s else None


class TransientsConfig(Frozen):
    """Seconds-scale power swings of the synchronous training job, their risk and their mitigation."""

    window: ShortDurationS = Field(
        default=600.0, le=86_400, description="Length of each window, e.g. '600s' [s]"
    )
    resolution: ShortDurationS = Field(
        default=0.02, ge=0.001, le=10, description="Sample interval, e.g. '20ms' [s]"
    )
    jitter_s: float = Field(
        default=k.JITTER_S,
        ge=0,
        le=10,
        description="Std. dev. of each rack's offset from the job clock [s] ([A])",
    )
    step_time_cv: float = Field(
        default=k.STEP_TIME_CV, ge=0, le=0.5, description="Iteration-time variation, whole job [-] ([A] 2 %)"
    )
    jitter_group_gpus: int | None = Field(
        default=None, ge=1, le=100_000, description="GPUs that switch together [-] (default: one rack)"
    )
    phase_power: PhasePower = Field(default_factory=PhasePower, description="GPU draw by phase")
    non_gpu_time_constant_s: float = Field(
        default=k.NON_GPU_TIME_CONSTANT_S, ge=0, le=3600, description="Servers' non-GPU lag [s] ([A] 10 s)"
    )
    cooling_time_constant_s: float = Field(
        default=k.COOLING_TIME_CONSTANT_S, ge=0, le=86_400, description="Cooling plant lag [s] ([A] 120 s)"
    )
    generators_islanded: bool = Field(
        default=False,
        description="On-site generators run as an island with the load share they supply (else in parallel "
        "with the grid, which absorbs the swings)",
    )
    island_frequency_limit_fraction: float = Field(
        default=k.ISLAND_FREQUENCY_LIMIT_FRACTION,
        gt=0,
        le=0.2,
        description="Largest frequency deviation of an island, fraction of nominal [-] ([A] 1.5 %)",
    )
    nominal_frequency_hz: float = Field(
        default=k.NOMINAL_FREQUENCY_HZ, gt=0, le=1000, description="Nominal frequency [Hz] ([P] 60 Hz)"
    )
    gpu_smoothing: GpuSmoothing = Field(default_factory=GpuSmoothing, description="GPU floor and ramp limits")
    rack_storage: RackStorage = Field(default_factory=RackStorage, description="Rack power-shelf storage")
    battery: SiteBattery = Field(default_factory=SiteBattery, description="Site battery smoothing")
    limits: Limits = Field(
        default_factory=Limits, description="Utility or island limits to check and size for"
    )

    @model_validator(mode="after")
    def _check(self) -> TransientsConfig:
        samples = self.window / self.resolution
        if samples > MAX_WINDOW_SAMPLES:
            raise ValueError(
                f"window / resolution gives {samples:,.0f} samples, more than {MAX_WINDOW_SAMPLES:,}; use a "
                "shorter window or a coarser resolution"
            )
        if samples < 100:
            raise ValueError(f"window / resolution gives {samples:,.0f} samples; at least 100 are needed")
        return self

    def mitigations(self) -> tuple[str, ...]:
        """The mitigations switched on, in the order they act (GPU, rack, site). [-]"""
        out = []
        if self.gpu_smoothing.floor_fraction > 0:
            out.append("gpu_floor")
        if self.gpu_smoothing.ramp_up_w_per_s is not None or self.gpu_smoothing.ramp_down_w_per_s is not None:
            out.append("gpu_ramp_limits")
        if self.rack_storage.j_per_gpu > 0:
            out.append("rack_storage")
        if self.battery.enabled:
            out.append("site_battery")
        return tuple(out)
