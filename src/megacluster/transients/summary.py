"""The ``swings`` block of the run's summary: typed figures of each representative window before and after
the mitigations, the hours the year spent in each regime, and the year's worst swing and ramp.

Built from :class:`~megacluster.transients.analysis.WindowRun` records; the results layer adds the block to
``Summary`` as ``swings``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from megacluster.transients.analysis import WindowRun
from megacluster.transients.config import TransientsConfig
from megacluster.transients.metrics import RAMP_PERCENTILES, SwingFigures
from megacluster.units import DAYS_PER_YEAR, HOURS_PER_DAY, SECONDS_PER_DAY


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SwingSide(_Record):
    """What one side of a comparison (before or after the mitigations) looks like to the supply."""

    mean_mw: float = Field(description="Mean draw in the window [MW]")
    peak_mw: float = Field(description="Highest sample [MW]")
    swing_mw: float = Field(description="Peak to peak in the window [MW]")
    swing_share_of_job_peak: float = Field(description="Swing / the job's servers at compute draw [-]")
    swing_1s_mw: float = Field(description="Peak to peak of the 1-s moving mean [MW]")
    ramp_max_mw_per_s: float = Field(description="Largest change between samples, per second [MW/s]")
    ramp_p99_mw_per_s: float = Field(
        description="99th percentile of the absolute ramp between samples [MW/s]"
    )
    ramp_1s_mw_per_s: float = Field(description="Largest change of the 1-s mean over 1 s [MW/s]")
    ramp_up_1min_mw_per_min: float = Field(description="Largest rise of the 1-min mean over 1 min [MW/min]")
    ramp_down_1min_mw_per_min: float = Field(description="Largest fall of the 1-min mean over 1 min [MW/min]")
    dominant_hz: float | None = Field(description="Strongest frequency of the fluctuation [Hz]")
    dominant_in_band_hz: float | None = Field(description="Strongest frequency inside the band [Hz]")
    band_energy_fraction: float = Field(description="Share of the fluctuation's variance in the band [-]")
    band_rms_mw: float = Field(description="RMS of the fluctuation in the band [MW]")


class BatteryUse(_Record):
    """What the smoothing battery did in the window."""

    power_mw: float = Field(description="Battery power [MW]")
    energy_mwh: float = Field(description="Battery energy [MWh]")
    discharge_mwh: float = Field(description="Delivered in the window [MWh]")
    charge_mwh: float = Field(description="Taken in in the window [MWh]")
    losses_mwh: float = Field(description="Lost in the window [MWh]")
    max_power_mw: float = Field(description="Largest charge or discharge power used [MW]")
    soc_range_mwh: float = Field(description="Range of the state of charge in the window [MWh]")
    cycles_per_day: float = Field(description="Full cycles a day if this window lasted all day [1/d]")


class IslandFigures(_Record):
    """The islanded generators' frequency in the window (one-machine swing equation)."""

    online_mw: float = Field(description="Generator rating online [MW]")
    share: float = Field(description="Share of the campus's draw the island carries [-]")
    inertia_h_s: float = Field(description="Lumped inertia constant [s]")
    max_deviation_hz: float = Field(description="Largest frequency deviation, no mitigation [Hz]")
    max_deviation_mitigated_hz: float = Field(description="Largest frequency deviation, mitigated [Hz]")
    deviation_limit_hz: float = Field(description="Largest deviation the island should see [Hz]")
    max_rocof_hz_per_s: float = Field(description="Largest rate of change of frequency, no mitigation [Hz/s]")
    largest_step_mw: float = Field(description="Largest load change within 1 s, no mitigation [MW]")
    largest_step_fraction: float = Field(description="That step over the online rating [-]")
    step_limit_fraction: float = Field(description="Largest step the units accept, fraction of rating [-]")
    step_limit_exceeded: bool = Field(description="A load step exceeds what the units accept")
    deviation_limit_exceeded: bool = Field(description="The deviation exceeds the limit (no mitigation)")


class LimitResult(_Record):
    """One stated limit against the grid-facing draw."""

    name: str = Field(description="ramp_1s, ramp_up_1min, ramp_down_1min, band_energy_fraction or band_rms")
    value: float = Field(description="What the draw reached [unit]")
    limit: float = Field(description="The limit [unit]")
    unit: str = Field(description="Unit of value and limit")
    passed: bool = Field(description="Within the limit")


class WindowSummary(_Record):
    """One representative window of the year."""

    regime: str = Field(description="training, capped, island, failure_restart or island_failure_restart")
    time: str = Field(description="Step of the year-long run it was drawn at (local standard time)")
    job_gpus: int = Field(description="GPUs of the job [-]")
    cap_fraction: float = Field(description="GPU power cap, fraction of TDP [-]")
    iteration_s: float = Field(description="Iteration time at this point [s]")
    iterations: int = Field(description="Iterations in the window [-]")
    window_s: float = Field(description="Length of the window [s]")
    job_peak_mw: float = Field(description="The job's servers at the compute-phase draw [MW]")
    unmitigated: SwingSide
    mitigated: SwingSide
    energy_overhead_fraction: float = Field(description="Extra facility energy of the mitigations [-]")
    throttled_fraction: float = Field(description="GPU energy withheld by the ramp-up limit [-]")
    battery: BatteryUse | None = Field(default=None, description="The smoothing battery, where it acts")
    island: IslandFigures | None = Field(default=None, description="The island's frequency, where islanded")
    limits: tuple[LimitResult, ...] | None = Field(default=None, description="Stated limits, mitigated draw")


class SwingsSummary(_Record):
    """Seconds-scale power swings of the synchronous job, attached to the year-long run."""

    resolution_s: float = Field(description="Sample interval of the windows [s]")
    window_s: float = Field(description="Length of each window (a failure window adds the restart) [s]")
    mitigations: tuple[str, ...] = Field(description="Mitigations switched on, in the order they act")
    nominal_frequency_hz: float = Field(default=60.0, description="Nominal frequency of the supply [Hz]")
    hours: dict[str, float] = Field(description="Hours of the run in each regime [h]")
    interruptions_per_day: float = Field(description="Failures and planned stops per day of the job [1/d]")
    checkpoints_per_day: float = Field(description="Checkpoint stalls per day of computing [1/d]")
    windows: tuple[WindowSummary, ...] = Field(description="The representative windows")
    worst_swing_mw: float = Field(description="Largest peak-to-peak swing of any window, no mitigation [MW]")
    worst_swing_regime: str = Field(description="The regime of that window")
    worst_ramp_mw_per_s: float = Field(description="Largest ramp between samples of any window [MW/s]")
    mitigated_worst_swing_mw: float = Field(description="Largest swing the supply sees, mitigated [MW]")
    mitigated_worst_ramp_mw_per_s: float = Field(description="Largest ramp the supply sees, mitigated [MW/s]")
    dominant_hz: float | None = Field(description="Strongest in-band frequency of the training window [Hz]")
    battery_cycles_per_day: float | None = Field(
        default=None, description="Smoothing battery's full cycles per day, over the run [1/d]"
    )
    battery_throughput_mwh_per_day: float | None = Field(
        default=None, description="Smoothing battery's discharge per day, over the run [MWh/d]"
    )
    battery_years_to_cycle_life: float | None = Field(
        default=None, description="Years until this use alone spends the battery's cycle life [yr]"
    )
    island_max_deviation_hz: float | None = Field(default=None, description="Worst island deviation [Hz]")
    island_limit_exceeded: bool | None = Field(default=None, description="The island exceeds a limit")
    limits_met: bool | None = Field(default=None, description="Every window within the stated limits")


def swing_side(figures: SwingFigures, job_peak_mw: float) -> SwingSide:
    """The summary's view of one waveform's figures. [-]"""
    p99 = figures.ramp_percentiles_mw_per_s[RAMP_PERCENTILES.index(99.0)]
    return SwingSide(
        mean_mw=figures.mean_mw,
        peak_mw=figures.peak_mw,
        swing_mw=figures.swing_mw,
        swing_share_of_job_peak=figures.swing_mw / job_peak_mw if job_peak_mw > 0 else 0.0,
        swing_1s_mw=figures.swing_1s_mw,
        ramp_max_mw_per_s=figures.ramp_max_mw_per_s,
        ramp_p99_mw_per_s=p99,
        ramp_1s_mw_per_s=max(figures.ramp_1s_up_mw_per_s, figures.ramp_1s_down_mw_per_s),
        ramp_up_1min_mw_per_min=figures.ramp_1min_up_mw_per_min,
        ramp_down_1min_mw_per_min=figures.ramp_1min_down_mw_per_min,
        dominant_hz=figures.dominant_hz,
        dominant_in_band_hz=figures.dominant_in_band_hz,
        band_energy_fraction=figures.band_energy_fraction,
        band_rms_mw=figures.band_rms_mw,
    )


def _battery_use(run: WindowRun) -> BatteryUse | None:
    b, spec = run.battery, run.inputs.point.battery
    if b is None or spec is None:
        return None
    cycles = b.discharge_mwh / spec.energy_mwh if spec.energy_mwh > 0 else 0.0
    return BatteryUse(
        power_mw=spec.power_mw,
        energy_mwh=spec.energy_mwh,
        discharge_mwh=b.discharge_mwh,
        charge_mwh=b.charge_mwh,
        losses_mwh=b.losses_mwh,
        max_power_mw=float(abs(b.storage_mw).max()) if b.storage_mw.size else 0.0,
        soc_range_mwh=float(b.soc_mwh.max() - b.soc_mwh.min()) if b.soc_mwh.size else 0.0,
        cycles_per_day=cycles * SECONDS_PER_DAY / run.inputs.window_s,
    )


def _island(run: WindowRun, limit_fraction: float) -> IslandFigures | None:
    units, before, after = run.inputs.point.island, run.island_before, run.island_after
    if units is None or before is None or after is None:
        return None
    limit = limit_fraction * units.nominal_hz
    return IslandFigures(
        online_mw=units.rating_mw,
        share=run.inputs.point.island_share,
        inertia_h_s=units.inertia_h_s,
        max_deviation_hz=before.max_deviation_hz,
        max_deviation_mitigated_hz=after.max_deviation_hz,
        deviation_limit_hz=limit,
        max_rocof_hz_per_s=before.max_rocof_hz_per_s,
        largest_step_mw=before.largest_step_mw,
        largest_step_fraction=before.largest_step_fraction,
        step_limit_fraction=units.load_step_fraction,
        step_limit_exceeded=before.step_limit_exceeded,
        deviation_limit_exceeded=before.max_deviation_hz > limit,
    )


def window_summary(run: WindowRun, island_limit_fraction: float) -> WindowSummary:
    """The summary of one window. [-]"""
    point = run.inputs.point
    phases = run.inputs.phases
    step = phases.step_s / point.throughput_factor if point.throughput_factor > 0 else phases.step_s
    limits = None
    if run.limits is not None:
        limits = tuple(
            LimitResult(name=i.name, value=i.value, limit=i.limit, unit=i.unit, passed=i.passed)
            for i in run.limits.items
        )
    return WindowSummary(
        regime=point.regime.value,
        time=point.time,
        job_gpus=point.job_gpus,
        cap_fraction=point.cap_fraction,
        iteration_s=step,
        iterations=run.iterations,
        window_s=run.inputs.window_s,
        job_peak_mw=run.job_peak_mw,
        unmitigated=swing_side(run.before, run.job_peak_mw),
        mitigated=swing_side(run.after, run.job_peak_mw),
        energy_overhead_fraction=run.energy_overhead_fraction,
        throttled_fraction=run.throttled_fraction,
        battery=_battery_use(run),
        island=_island(run, island_limit_fraction),
        limits=limits,
    )


def battery_over_run(
    windows: Sequence[WindowSummary], battery_hours: Mapping[str, float], days: float, cycle_life: float
) -> tuple[float | None, float | None, float | None]:
    """Cycles per day, discharge per day and years to the cycle life of the smoothing battery over the run:
    each window's rate times the hours its regime ran with the battery available. [1/d], [MWh/d], [yr]"""
    used = [w for w in windows if w.battery is not None]
    if not used or days <= 0:
        return None, None, None
    cycles = throughput = 0.0
    for w in used:
        if w.battery is None:
            continue
        hours = battery_hours.get(w.regime, 0.0)
        cycles += w.battery.cycles_per_day * hours / HOURS_PER_DAY
        throughput += w.battery.discharge_mwh * SECONDS_PER_DAY / w.window_s * hours / HOURS_PER_DAY
    per_day = cycles / days
    years = cycle_life / (per_day * DAYS_PER_YEAR) if per_day > 0 else None
    return per_day, throughput / days, years


@dataclass(frozen=True)
class SwingAnalysis:
    """The representative windows of a run (their waveforms, for the report) and the summary block."""

    config: TransientsConfig
    windows: tuple[WindowRun, ...]
    summary: SwingsSummary
