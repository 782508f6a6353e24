"""The run's summary (``summary.json``): a typed, versioned model, every figure with its unit.

With replicas, every figure is the median across replicas, each figure on its own (so medians of parts need
not add up exactly to the median of their sum); the finish date is the P50 of the finish days with unfinished
replicas counted as never. ``docs/summary.schema.json`` is this model's JSON Schema (a test keeps them equal).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from megacluster.economics.tco import TcoSummary
from megacluster.performance.layout import ParallelLayout
from megacluster.power.summaries import DrawBasis, GridCarbon, NMinus1, WaterUse, WeatherSeen
from megacluster.power.totals import (
    CostUSD,
    EmissionsT,
    EnergyMWh,
    HomesEquivalent,
    PermitReport,
    PowerFacts,
)
from megacluster.results.uncertainty import UncertaintySummary
from megacluster.transients.summary import SwingsSummary

SCHEMA_VERSION = "1.3"
"""Version of the summary's shape: the major number changes when a field is removed or renamed, the minor
number when fields are added. [-]"""


class Record(BaseModel):
    """Base of the summary's parts: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class PowerStory(PowerFacts):
    """The facts of the power story and the story itself, in plain words."""

    lines: tuple[str, ...] = Field(default=(), description="The story's sentences, in order")


class Interruptions(Record):
    """The job's interruptions."""

    unexpected: int = Field(description="Unexpected interruptions (failures) [-]")
    planned: int = Field(description="Planned interruptions (maintenance) [-]")
    by_cause: dict[str, int] = Field(
        description="Unexpected interruptions by cause id (reliability.kinds.Cause) [-]"
    )


class RestartTime(Record):
    """Mean restart time over the run's restarts, and its parts (``reliability/restart.py``)."""

    mean: float = Field(description="Mean restart [s]")
    detect: float = Field(description="Failure detection (failures only) [s]")
    reschedule: float = Field(description="Drain and swap a spare in, or re-plan without one [s]")
    init: float = Field(description="Process-group and communicator initialisation [s]")
    load: float = Field(description="Checkpoint load from storage, or from peers' memory [s]")
    warmup: float = Field(description="Full-rate time lost before full step rate [s]")
    reshard: float = Field(description="Re-shard when the replica count changes [s]")
    fixed: float = Field(description="A given restart_s (restart_model 'fixed') [s]")


class HoursByMode(Record):
    """The job's wall time by mode."""

    full: float = Field(description="Every replica its working GPUs allow, uncapped [h]")
    capped: float = Field(description="GPUs power-capped [h]")
    reduced: float = Field(description="Fewer replicas than its working GPUs allow (power), uncapped [h]")
    stopped: float = Field(description="Restarting, waiting for GPUs or power, waiting for repairs [h]")


class LostHours(Record):
    """``lost_hours`` split by cause of loss (the parts add up to it)."""

    rework: float = Field(description="Compute rolled back and interrupted writes (failures, planned) [h]")
    restart: float = Field(
        description="Restarts after failures, planned stops and grows, re-shards apart [h]"
    )
    reshard: float = Field(description="Re-shards at restarts that changed the replica count [h]")
    power: float = Field(description="Rework and restarts of power stops and of restarts after a wait [h]")
    repairs: float = Field(description="Waiting for repairs (on_shortage = 'wait') [h]")


class PowerChoice(Record):
    """How the campus met power shortfalls, and what its choice gained over the other policies."""

    policy: str = Field(description="'best', 'cap_first' or 'idle_first' ([power.cap] policy)")
    target_cap_fraction: float = Field(
        description="Cap the policy runs at before idling blocks, / TDP, mean over the hours short [-]"
    )
    hours_short: float = Field(description="Hours the allotment could not run every replica uncapped [h]")
    gain_vs_cap_first: float = Field(
        description="Throughput over those hours vs 'cap_first' on the same allotments, relative [-]"
    )
    gain_vs_idle_first: float = Field(
        description="Throughput over those hours vs 'idle_first' on the same allotments, relative [-]"
    )


class TrainingSummary(Record):
    """The training run's outcome."""

    target_flop: float = Field(description="Model FLOP to complete [FLOP]")
    completed_flop: float = Field(description="Model FLOP committed by the horizon [FLOP]")
    finished: bool = Field(description="Whether the run finished (with replicas: most replicas did)")
    finish_day: float | None = Field(description="Days from the simulation start to the finish (P50) [d]")
    finish_date: str | None = Field(default=None, description="Date of finish_day (ISO)")
    finished_fraction: float = Field(default=1.0, description="Share of replicas that finished [-]")
    finish_day_p10: float | None = Field(default=None, description="P10 of the finish day [d]")
    finish_day_p50: float | None = Field(default=None, description="P50 of the finish day [d]")
    finish_day_p90: float | None = Field(default=None, description="P90 of the finish day [d]")
    finish_date_p10: str | None = Field(default=None, description="Date of finish_day_p10 (ISO)")
    finish_date_p50: str | None = Field(default=None, description="Date of finish_day_p50 (ISO)")
    finish_date_p90: str | None = Field(default=None, description="Date of finish_day_p90 (ISO)")
    goodput: float = Field(description="Useful compute time / time holding GPUs [-]")
    goodput_p10: float | None = Field(default=None, description="P10 of the goodput [-]")
    goodput_p90: float | None = Field(default=None, description="P90 of the goodput [-]")
    interruptions: Interruptions
    interruptions_p10: float | None = Field(default=None, description="P10 of unexpected interruptions [-]")
    interruptions_p90: float | None = Field(default=None, description="P90 of unexpected interruptions [-]")
    useful_hours: float = Field(description="Compute time whose work was committed [h]")
    lost_hours: float = Field(description="Rolled-back compute, restarts, waiting for repairs [h]")
    checkpoint_overhead_hours: float = Field(description="Completed checkpoint stalls [h]")
    waiting_hours: float = Field(description="Time the job held no GPUs it could run on [h]")
    wall_hours: float = Field(description="From start to finish (or horizon) [h]")
    checkpoint_interval_min: float | None = Field(description="Checkpoint interval at the end [min]")
    job_gpus_mean_while_held: float = Field(description="Mean GPUs the job held while it held any [-]")
    mfu: float | None = Field(default=None, description="Model FLOP utilisation at full size [-]")
    layout: ParallelLayout | None = Field(default=None, description="Parallel layout (None: constant MFU)")
    throughput_source: str = Field(default="", description="Where the job's throughput comes from")
    restarts: int = Field(
        default=0, description="Restarts (failures, planned, power stops, grows, waits) [-]"
    )
    resizes: int = Field(default=0, description="Restarts that changed the number of replicas [-]")
    power_stops: int = Field(
        default=0, description="Stops because the power no longer carried the layout [-]"
    )
    grow_restarts: int = Field(default=0, description="Planned restarts onto more replicas [-]")
    restart_time_s: RestartTime | None = Field(default=None, description="Mean restart and its parts [s]")
    hours_by_mode: HoursByMode | None = Field(default=None, description="Wall time by mode [h]")
    lost_hours_by_cause: LostHours | None = Field(default=None, description="lost_hours split by cause [h]")
    power_choice: PowerChoice | None = Field(
        default=None, description="Power policy in shortfalls and its gain over the other policies"
    )


class Summary(Record):
    """Everything ``summary.json`` holds."""

    schema_version: str = Field(default=SCHEMA_VERSION, description="Version of this shape")
    megacluster_version: str = Field(description="Version of megacluster that wrote it")
    scenario: str = Field(description="Scenario name")
    scenario_sha256: str = Field(description="SHA-256 of the resolved scenario (scenario.toml)")
    seed: int = Field(description="Seed of the run")
    replicas: int = Field(description="Monte Carlo replicas [-]")
    horizon_days: float = Field(description="Simulated span [d]")
    start_date: str = Field(description="First simulated day (ISO)")
    step_s: float = Field(description="Time step [s]")
    gpus_installed_peak: int = Field(description="Most GPUs installed at once [-]")
    gpus_powered_mean: float = Field(description="Mean GPUs powered [-]")
    it_power_peak_mw: float = Field(description="Peak IT power, GPUs at their compute draw [MW]")
    facility_power_peak_mw: float = Field(description="Peak facility power, GPUs at their compute draw [MW]")
    supply_capacity_peak_mw: float = Field(description="Peak supply: grid + battery + generators [MW]")
    unserved_energy_mwh: float = Field(description="Demand of installed GPUs left unserved [MWh]")
    energy_mwh: EnergyMWh
    fuel_mmbtu: float = Field(description="Generator fuel burnt, HHV [MMBtu]")
    cost_usd: CostUSD
    emissions_t: EmissionsT
    water_m3: float = Field(description="Cooling-tower make-up water: evaporation + drift + blowdown [m3]")
    curtailed_hours: float = Field(description="Hours with GPUs capped or off or demand unserved [h]")
    homes_equivalent: HomesEquivalent
    permit: PermitReport
    power_story: PowerStory
    training: TrainingSummary | None = None
    tco: TcoSummary | None = Field(
        default=None,
        description="Total cost of ownership over the run, per GPU-hour and per 1e24 FLOP, stranded compute",
    )
    swings: SwingsSummary | None = Field(
        default=None,
        description="Sub-second power swings of the job (first replica): hours per regime, worst swing and "
        "ramp, mitigation",
    )
    grid: GridCarbon | None = Field(
        default=None,
        description="The grid region and its CO2 per MWh in three conventions (location, market, marginal) "
        "with sources; emissions_t.co2 counts the location-based rate",
    )
    water: WaterUse | None = Field(
        default=None, description="Cooling water: make-up (= water_m3), evaporation, drift, blowdown and WUE"
    )
    n_minus_1: NMinus1 | None = Field(
        default=None, description="Hours the peak draw sat above the supply with its largest element out"
    )
    weather: WeatherSeen | None = Field(
        default=None, description="The weather the run saw against the site's design statistics"
    )
    draw: DrawBasis | None = Field(
        default=None, description="The GPUs' mean draw (energy) against their peak (supply, cooling)"
    )
    uncertainty: UncertaintySummary | None = Field(
        default=None,
        description="Uncertain assumptions sampled over the replicas and what drives the finish date "
        "(docs/uncertainty.md)",
    )


def summary_schema() -> dict[str, object]:
    """The JSON Schema of ``summary.json`` (what ``docs/summary.schema.json`` holds)."""
    schema = Summary.model_json_schema(mode="serialization")
    schema["$id"] = "https://megacluster.invalid/summary.schema.json"
    schema["title"] = "megacluster summary.json"
    return schema
