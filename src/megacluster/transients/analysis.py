"""One representative window: the job's waveform at an operating point of the year-long run, the campus
around it, the mitigations in the order they act (GPU floor and ramp limits, rack storage, site battery), and
what the grid and an island of turbines see before and after them.

Both sides of a comparison use the same random draws (iteration times, window phase, rack offsets), so the
difference is the mitigations' alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.transients import constants as k
from megacluster.transients.config import SmoothingController, TransientsConfig
from megacluster.transients.facility import Campus, FacilityWaveform, JobPower, facility_power, job_non_gpu_mw
from megacluster.transients.island import IslandResponse, IslandUnits, island_response
from megacluster.transients.limits import LimitCheck, check_limits
from megacluster.transients.metrics import SwingFigures, swing_figures
from megacluster.transients.storage import StorageRun, StorageSpec, ramp_limit, smooth
from megacluster.transients.waveform import GpuLevels, IterationPhases, JobSchedule, job_gpu_power
from megacluster.units import SECONDS_PER_HOUR, W_PER_MW

FloatArray = npt.NDArray[np.float64]

RACK_RESTORE_S = 1.0
"""Time constant with which a rack store recharges between iteration swings. [s]
[A] the store holds well under a second of a full swing and must refill before the next iteration."""


class Regime(enum.StrEnum):
    """An operating regime of the year-long run that a window represents."""

    TRAINING = "training"
    """The job runs uncapped (with its checkpoint stalls)."""
    CAPPED = "capped"
    """The job runs with its GPUs power-capped."""
    ISLAND = "island"
    """The job runs with part of the campus on islanded generators."""
    FAILURE = "failure_restart"
    """The job fails, drops to idle for the restart, and comes back."""
    ISLAND_FAILURE = "island_failure_restart"
    """A failure and restart while on islanded generators."""
    NO_JOB = "no_job"
    """The job holds no GPUs (not started, waiting for power, or finished)."""


@dataclass(frozen=True)
class OperatingPoint:
    """The state of the campus at one step of the year-long run that a window is drawn at."""

    regime: Regime
    time: str
    """When (ISO, the simulation's local standard time). [-]"""
    job_gpus: int
    cap_fraction: float
    throughput_factor: float
    campus: Campus
    island: IslandUnits | None = None
    island_share: float = 0.0
    """Share of the facility's draw the islanded generators carry. [-]"""
    battery: StorageSpec | None = None
    """The site battery's smoothing, where it is switched on and available. [-]"""


@dataclass(frozen=True)
class WindowInputs:
    """Everything one window needs (plain data). Units in the names."""

    point: OperatingPoint
    phases: IterationPhases
    power: JobPower
    schedule: JobSchedule
    window_s: float
    dt_s: float
    seed: int


@dataclass(frozen=True)
class WindowRun:
    """One window before and after the mitigations."""

    inputs: WindowInputs
    unmitigated: FacilityWaveform
    mitigated: FacilityWaveform
    """After the GPU and rack mitigations (what the site bus sees before the battery). [MW]"""
    grid_mw: FloatArray
    """What the supply sees after every mitigation. [MW]"""
    battery: StorageRun | None
    island_before: IslandResponse | None
    island_after: IslandResponse | None
    before: SwingFigures
    after: SwingFigures
    job_peak_mw: float
    """The job's servers at the compute-phase draw. [MW]"""
    energy_overhead_fraction: float
    """Extra facility energy of the mitigations over the unmitigated window. [-]"""
    throttled_fraction: float
    """GPU energy withheld by the ramp-up limit over the job's GPU energy (bounds its slowdown). [-]"""
    limits: LimitCheck | None
    iterations: int

    @property
    def time_s(self) -> FloatArray:
        """Start of each sample from the window start. [s]"""
        return np.arange(self.grid_mw.size, dtype=np.float64) * self.inputs.dt_s


def _levels(inputs: WindowInputs, config: TransientsConfig, floor: float) -> GpuLevels:
    pp = config.phase_power
    return GpuLevels.build(
        inputs.power.tdp_wall_w,
        (pp.compute_fraction, pp.communication_fraction, pp.idle_fraction, pp.optimizer_fraction),
        cap_fraction=inputs.point.cap_fraction,
        floor_fraction=floor,
    )


def _gpu_waveform(inputs: WindowInputs, config: TransientsConfig, floor: float) -> tuple[FloatArray, int]:
    """The job's GPU draw with a floor (same draws for every floor). [MW]"""
    phases = inputs.phases
    if inputs.point.throughput_factor < 1.0:
        phases = phases.slowed(inputs.point.throughput_factor)
    wave = job_gpu_power(
        phases,
        _levels(inputs, config, floor),
        inputs.point.job_gpus,
        inputs.power.group_gpus,
        inputs.schedule,
        inputs.window_s,
        inputs.dt_s,
        config.jitter_s,
        config.step_time_cv,
        np.random.default_rng(inputs.seed),
    )
    return wave.gpu_mw, wave.iterations


def _job_peak_gpu_mw(inputs: WindowInputs, config: TransientsConfig) -> float:
    return inputs.point.job_gpus * _levels(inputs, config, 0.0).compute_w / W_PER_MW


def _rack_store(inputs: WindowInputs, config: TransientsConfig, job_peak_mw: float) -> StorageSpec | None:
    """The racks' power-shelf storage, all racks together, with the ramp its energy allows for the largest
    per-GPU step. [-]"""
    joules = config.rack_storage.j_per_gpu
    if joules <= 0:
        return None
    levels = _levels(inputs, config, 0.0)
    step_w = max(levels.compute_w - levels.idle_w, 1.0)
    ramp_w_per_s = step_w**2 / (2.0 * joules * k.RACK_STORAGE_DEPTH_FRACTION)
    gpus = inputs.point.job_gpus
    return StorageSpec(
        power_mw=job_peak_mw,
        energy_mwh=gpus * joules / W_PER_MW / SECONDS_PER_HOUR,
        ramp_mw_per_s=gpus * ramp_w_per_s / W_PER_MW,
        time_constant_s=0.0,  # the shelves ramp-limit the load itself: they hold under a second of a swing
        restore_s=RACK_RESTORE_S,
    )


def site_facility(
    inputs: WindowInputs, config: TransientsConfig, floor: float, mitigate: bool
) -> tuple[FacilityWaveform, float, int]:
    """The campus's draw with (or without) the GPU and rack mitigations; the GPU energy withheld by the
    ramp-up limit [MWh] and the iterations drawn. [MW]"""
    gpu, iterations = _gpu_waveform(inputs, config, floor if mitigate else 0.0)
    dt = inputs.dt_s
    withheld = 0.0
    smoothing = config.gpu_smoothing
    gpus = inputs.point.job_gpus
    if mitigate and (smoothing.ramp_up_w_per_s is not None or smoothing.ramp_down_w_per_s is not None):
        limited = ramp_limit(
            gpu,
            dt,
            None if smoothing.ramp_up_w_per_s is None else gpus * smoothing.ramp_up_w_per_s / W_PER_MW,
            None if smoothing.ramp_down_w_per_s is None else gpus * smoothing.ramp_down_w_per_s / W_PER_MW,
            smoothing.ramp_down_hysteresis_s,
        )
        gpu, withheld = limited.power_mw, limited.withheld_mwh
    peak_gpu = _job_peak_gpu_mw(inputs, config)
    other = job_non_gpu_mw(gpu, gpus, inputs.power, peak_gpu, dt, config.non_gpu_time_constant_s)
    store = _rack_store(inputs, config, float(np.max(gpu + other))) if mitigate else None
    if store is not None:
        job_it = smooth(gpu + other, dt, store).grid_mw
        gpu = job_it - other  # the shelves' input, attributed to the GPUs they feed
    campus = inputs.point.campus
    return facility_power(gpu, other, campus, dt, config.cooling_time_constant_s), withheld, iterations


def analyse_window(inputs: WindowInputs, config: TransientsConfig) -> WindowRun:
    """The window before and after the mitigations the scenario switches on. [MW]"""
    floor = config.gpu_smoothing.floor_fraction
    before, _, iterations = site_facility(inputs, config, floor, mitigate=False)
    on_site = config.gpu_smoothing.active() or config.rack_storage.j_per_gpu > 0
    after, withheld = site_facility(inputs, config, floor, mitigate=True)[:2] if on_site else (before, 0.0)
    dt = inputs.dt_s
    site = after.facility_mw
    battery = smooth(site, dt, inputs.point.battery) if inputs.point.battery is not None else None
    grid = battery.grid_mw if battery is not None else site
    band = (config.limits.band_low_hz, config.limits.band_high_hz)
    base_energy = float(np.sum(before.facility_mw))
    gpu_energy_mwh = float(np.sum(before.job_gpu_mw)) * dt / SECONDS_PER_HOUR
    island = inputs.point.island
    share = inputs.point.island_share
    peak_gpu = _job_peak_gpu_mw(inputs, config)
    island_before = island_response(share * before.facility_mw, dt, island) if island else None
    same = grid is before.facility_mw or np.array_equal(grid, before.facility_mw)
    island_after = island_before if same else (island_response(share * grid, dt, island) if island else None)
    return WindowRun(
        inputs=inputs,
        unmitigated=before,
        mitigated=after,
        grid_mw=grid,
        battery=battery,
        island_before=island_before,
        island_after=island_after,
        before=swing_figures(before.facility_mw, dt, band, k.RAMP_SHORT_S, k.RAMP_LONG_S),
        after=swing_figures(grid, dt, band, k.RAMP_SHORT_S, k.RAMP_LONG_S),
        job_peak_mw=peak_gpu + float(np.max(before.job_other_mw)),
        energy_overhead_fraction=(float(np.sum(site)) - base_energy) / base_energy if base_energy else 0.0,
        throttled_fraction=withheld / gpu_energy_mwh if gpu_energy_mwh > 0 else 0.0,
        limits=check_limits(grid, dt, config.limits) if config.limits.stated() else None,
        iterations=iterations,
    )


def battery_spec(
    power_mw: float,
    energy_mwh: float,
    round_trip_efficiency: float,
    config: TransientsConfig,
) -> StorageSpec:
    """A site battery of the given size under the scenario's smoothing controller. [-]"""
    b = config.battery
    stated = config.limits.tightest_ramp_mw_per_s()
    ramp = b.ramp_mw_per_s or (k.RAMP_TARGET_FRACTION * stated if stated is not None else None)
    if b.controller is SmoothingController.RAMP_LIMITER and ramp is None:
        raise ValueError(
            "a ramp-limiting battery needs [transients.battery] ramp_mw_per_s or a ramp limit in "
            "[transients.limits]"
        )
    return StorageSpec(
        power_mw=power_mw,
        energy_mwh=energy_mwh,
        round_trip_efficiency=round_trip_efficiency,
        controller=b.controller,
        ramp_mw_per_s=ramp or 1.0,
        time_constant_s=b.time_constant_s,
        response_s=b.response_s,
        restore_s=b.restore_s,
    )
