"""The ``[power]`` section of a scenario: grid, generators, battery, dispatch and GPU power capping.

Longer than 400 lines on purpose: it is the whole section's schema, each field with its bounds, unit and
sourced default, and the resolution of catalog units sits next to the fields it fills in.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from typing import Any

from pydantic import Field, ModelWrapValidatorHandler, field_validator, model_validator

from megacluster import catalog
from megacluster.errors import unknown_choice_message
from megacluster.power import constants as k
from megacluster.power.policy import PowerPolicy
from megacluster.units import HOURS_PER_YEAR, SECONDS_PER_DAY, DatedValue, Frozen, check_ascending

MAX_BATTERY_C_RATE_PER_H = 4.0
"""[A] Largest accepted battery power/energy ratio. Utility lithium-ion systems are built from 0.25 C (4-hour)
to about 1-2 C; a ratio above 4 per hour is treated as a unit mistake rather than a design."""

_EPOCH = dt.date(2000, 1, 1)


class NoxControl(enum.StrEnum):
    """NOx control of a gas turbine (EPA AP-42 Table 3.1-1 categories)."""

    UNCONTROLLED = "uncontrolled"
    DLN = "dln"
    SCR = "scr"


class PermitMode(enum.StrEnum):
    """What the run does with an air permit's caps."""

    RESPECT = "respect"
    """Never exceed the caps: the fleet stops (and the campus curtails) instead."""
    REPORT = "report"
    """Run as needed and list each exceedance."""


class PermitPeriod(enum.StrEnum):
    """Over what an air permit's caps are totalled."""

    ROLLING_12_MONTHS = "rolling_12_months"
    """Each calendar month's total plus the eleven months before it (as the 2025 Memphis permit reads)."""
    CALENDAR_YEAR = "calendar_year"
    """Each calendar year from 1 January."""


class TariffKind(enum.StrEnum):
    """How grid energy is billed."""

    FLAT = "flat"
    """The dated ``grid_price`` schedule (default: the region's all-in average price)."""
    TIME_OF_USE = "time_of_use"
    """The region's large-load tariff: on/off-peak energy prices plus demand and coincident-peak charges."""


class Source(enum.StrEnum):
    """A supply in the dispatch merit order."""

    GRID = "grid"
    BATTERY = "battery"
    GENERATORS = "generators"


class DatedPrice(Frozen):
    """One step of a dated price schedule: holds from ``from`` until the next step."""

    start: dt.date = Field(alias="from", description="First day the price holds")
    usd_per_mwh: float = Field(ge=-1000, le=10_000, description="Energy price [USD/MWh]")


class DatedIntensity(Frozen):
    """One step of a dated carbon-intensity schedule."""

    start: dt.date = Field(alias="from", description="First day the intensity holds")
    kg_per_mwh: float = Field(ge=0, le=2000, description="CO2 per MWh delivered [kg/MWh]")


def _ascending(steps: tuple[DatedPrice, ...] | tuple[DatedIntensity, ...], what: str) -> None:
    dates = [s.start for s in steps]
    for before, after in itertools.pairwise(dates):
        if after <= before:
            raise ValueError(
                f"{what} must be in date order: {after.isoformat()} comes after {before.isoformat()}"
            )


def _cap(what: str) -> Any:
    return Field(default=None, ge=0, le=1e6, description=f"{what} cap per permit year [t, metric]")


class AirPermit(Frozen):
    """Caps of an air permit on one generator fleet, totalled over rolling 12-month windows (or calendar
    years) from the day it takes effect (e.g. Memphis, 2 July 2025: 87 short tons NOx, 94 CO, 85 VOC, 73 PM
    and 9.8 formaldehyde per rolling 12 months, 22 start-up/shut-down events and 110 hours a year —
    facts-regions.md 6.1)."""

    effective_from: dt.date | None = Field(
        default=None, description="Day the permit takes effect: nothing before it counts (default: always)"
    )
    period: PermitPeriod = Field(
        default=PermitPeriod.ROLLING_12_MONTHS, description="rolling_12_months or calendar_year"
    )
    nox_t_per_year: float | None = _cap("NOx (87 short tons = 78.9 t)")
    co_t_per_year: float | None = _cap("CO")
    pm_t_per_year: float | None = _cap("Particulate matter")
    voc_t_per_year: float | None = _cap("Volatile organic compounds")
    hcho_t_per_year: float | None = _cap("Formaldehyde")
    starts_per_year: int | None = Field(
        default=None, ge=0, le=1_000_000, description="Start-up/shut-down events per permit year [-]"
    )
    startup_hours_per_year: float | None = Field(
        default=None, ge=0, le=1e6, description="Hours in start-up and shut-down per permit year [h]"
    )
    operating_hours_per_year: float | None = Field(
        default=None, ge=0, le=1e9, description="Unit operating hours per permit year [h] (reported)"
    )
    mode: PermitMode = Field(default=PermitMode.RESPECT, description="respect (curtail) or report")


def _resolved(value: float | None, name: str) -> float:
    """A parameter that validation filled in (from the catalog unit or the default)."""
    if value is None:
        raise ValueError(f"{name} was not resolved at validation")
    return value


class GeneratorFleet(Frozen):
    """A group of identical on-site generating units.

    Performance parameters left out are resolved at validation from the catalog ``unit`` (or, without one,
    from the documented defaults in ``power/constants.py``), so that the validated fleet holds every parameter
    the plant uses and writes them all out; a parameter given explicitly is kept over the catalog's.
    """

    unit: str | None = Field(default=None, description="Generator catalog id")
    rating_mw: float | None = Field(
        default=None, gt=0, le=2000, description="Unit rating at ISO conditions [MW]"
    )
    count: int = Field(ge=0, le=10_000, description="Number of units")
    available_from: dt.date | None = Field(default=None, description="First day the units run")
    available_until: dt.date | None = Field(default=None, description="Last day the units run")
    heat_rate_btu_per_kwh_hhv: float | None = Field(
        default=None, ge=3000, le=30_000, description="Full-load ISO heat rate, HHV [Btu/kWh]"
    )
    min_load_fraction: float | None = Field(default=None, ge=0, le=1, description="Minimum stable load [-]")
    min_load_mw: float | None = Field(
        default=None, ge=0, le=2000, description="Minimum stable load [MW] (instead of min_load_fraction)"
    )
    startup_s: float | None = Field(
        default=None, ge=0, le=SECONDS_PER_DAY, description="Start to synchronised [s]"
    )
    ramp_fraction_per_min: float | None = Field(
        default=None, gt=0, le=10, description="Up-ramp per unit as a fraction of its rating [1/min]"
    )
    ramp_mw_per_min: float | None = Field(
        default=None,
        gt=0,
        le=10_000,
        description="Up-ramp per unit [MW/min] (overrides ramp_fraction_per_min)",
    )
    forced_outage_rate: float | None = Field(default=None, ge=0, lt=1, description="Forced outage rate [-]")
    mean_repair_h: float = Field(
        default=k.MEAN_REPAIR_H,
        gt=0,
        le=HOURS_PER_YEAR,
        description="Mean forced-outage duration [h] ([A] 24 h)",
    )
    derate_per_c: float = Field(
        default=k.DERATE_PER_C,
        ge=0,
        le=0.05,
        description="Output lost per K above 15 °C [1/K] ([D] 0.68 %/K)",
    )
    nox_control: NoxControl | None = Field(
        default=None, description="uncontrolled, dln or scr: sets nox_lb_per_mmbtu from AP-42"
    )
    nox_lb_per_mmbtu: float | None = Field(
        default=None,
        ge=0,
        le=5,
        description="NOx emission factor, HHV [lb/MMBtu] (must agree with nox_control)",
    )
    co2_kg_per_mmbtu: float | None = Field(
        default=None, ge=0, le=200, description="CO2 emission factor, HHV [kg/MMBtu]"
    )
    oxidation_catalyst: bool = Field(
        default=False, description="CO oxidation catalyst: CO x 0.1 ([S] AP-42 via GitHub: 90 % reduction)"
    )
    co_lb_per_mmbtu: float | None = Field(
        default=None, ge=0, le=5, description="CO factor, HHV [lb/MMBtu] (AP-42 0.082; 0.0082 catalysed)"
    )
    pm_lb_per_mmbtu: float | None = Field(
        default=None, ge=0, le=5, description="PM factor, HHV [lb/MMBtu] (default AP-42 0.0066)"
    )
    voc_lb_per_mmbtu: float | None = Field(
        default=None, ge=0, le=5, description="VOC factor, HHV [lb/MMBtu] (default AP-42 0.0021)"
    )
    hcho_lb_per_mmbtu: float | None = Field(
        default=None, ge=0, le=5, description="Formaldehyde factor, HHV [lb/MMBtu] (default AP-42 0.00071)"
    )
    permit: AirPermit | None = Field(default=None, description="Optional air permit")

    @model_validator(mode="wrap")
    @classmethod
    def _resolve(cls, data: Any, handler: ModelWrapValidatorHandler[GeneratorFleet]) -> GeneratorFleet:
        fleet = handler(data)
        missing = fleet._unresolved()
        if not missing:
            return fleet
        return handler({**fleet.model_dump(exclude_unset=True), **missing})

    def _unresolved(self) -> dict[str, Any]:
        """The unset parameters, valued from the catalog unit or the defaults (an unknown unit is left to
        :meth:`_check`, which names it)."""
        unit = catalog.generators().get(self.unit) if self.unit else None
        filled: dict[str, Any] = {}
        if self.rating_mw is None and unit is not None:
            filled["rating_mw"] = unit.rating_mw
        if self.heat_rate_btu_per_kwh_hhv is None:
            filled["heat_rate_btu_per_kwh_hhv"] = (
                unit.heat_rate_btu_per_kwh_hhv if unit else k.HEAT_RATE_BTU_PER_KWH_HHV
            )
        if self.min_load_fraction is None and self.min_load_mw is None:
            filled["min_load_fraction"] = unit.min_load_fraction if unit else k.MIN_LOAD_FRACTION
        if self.startup_s is None:
            filled["startup_s"] = unit.startup_s if unit else k.STARTUP_S
        if self.ramp_fraction_per_min is None and self.ramp_mw_per_min is None:
            filled["ramp_fraction_per_min"] = unit.ramp_fraction_per_min if unit else k.RAMP_FRACTION_PER_MIN
        if self.forced_outage_rate is None:
            filled["forced_outage_rate"] = unit.forced_outage_rate if unit else k.FORCED_OUTAGE_RATE
        if self.nox_lb_per_mmbtu is None:
            if self.nox_control is not None:
                filled["nox_lb_per_mmbtu"] = k.NOX_LB_PER_MMBTU[self.nox_control.value]
            else:
                filled["nox_lb_per_mmbtu"] = (
                    unit.nox_lb_per_mmbtu if unit else k.NOX_LB_PER_MMBTU["uncontrolled"]
                )
        if self.co2_kg_per_mmbtu is None:
            filled["co2_kg_per_mmbtu"] = unit.co2_kg_per_mmbtu if unit else k.CO2_KG_PER_MMBTU
        return filled

    @model_validator(mode="after")
    def _check(self) -> GeneratorFleet:
        if self.unit is None and self.rating_mw is None:
            raise ValueError("give a catalog 'unit' or an explicit 'rating_mw'")
        if self.unit is not None and self.unit not in catalog.generators():
            raise ValueError(unknown_choice_message("generator", self.unit, catalog.generators()))
        if self.available_from and self.available_until and self.available_until < self.available_from:
            raise ValueError("available_until must not be before available_from")
        if self.min_load_mw is not None and self.min_load_mw > self.unit_rating_mw():
            raise ValueError(
                f"min_load_mw {self.min_load_mw:g} is above the unit rating {self.unit_rating_mw():g} MW; "
                "expected a minimum stable load at or below the rating"
            )
        if self.min_load_mw is not None and self.min_load_fraction is not None:
            raise ValueError("give min_load_mw or min_load_fraction, not both")
        if self.nox_control is not None and self.nox_lb_per_mmbtu is not None:
            table = k.NOX_LB_PER_MMBTU[self.nox_control.value]
            if self.nox_lb_per_mmbtu != table:
                raise ValueError(
                    f"nox_control '{self.nox_control.value}' means {table:g} lb/MMBtu (AP-42) but "
                    f"nox_lb_per_mmbtu is {self.nox_lb_per_mmbtu:g}: give one of them, or make them agree"
                )
        return self

    def unit_rating_mw(self) -> float:
        """Rating of one unit at ISO conditions. [MW]"""
        if self.rating_mw is not None:
            return self.rating_mw
        return catalog.generators()[str(self.unit)].rating_mw

    def heat_rate(self) -> float:
        """Full-load ISO heat rate, HHV. [Btu/kWh]"""
        return _resolved(self.heat_rate_btu_per_kwh_hhv, "heat_rate_btu_per_kwh_hhv")

    def min_load(self) -> float:
        """Minimum stable load as a fraction of the rating. [-]"""
        if self.min_load_mw is not None:
            return self.min_load_mw / self.unit_rating_mw()
        return _resolved(self.min_load_fraction, "min_load_fraction")

    def startup(self) -> float:
        """Time from start command to synchronised output. [s]"""
        return _resolved(self.startup_s, "startup_s")

    def ramp(self) -> float:
        """Up-ramp of one unit. [MW/min]"""
        if self.ramp_mw_per_min is not None:
            return self.ramp_mw_per_min
        return _resolved(self.ramp_fraction_per_min, "ramp_fraction_per_min") * self.unit_rating_mw()

    def outage_rate(self) -> float:
        """Forced outage rate. [-]"""
        return _resolved(self.forced_outage_rate, "forced_outage_rate")

    def nox_rate(self) -> float:
        """NOx emission factor, HHV. [lb/MMBtu]"""
        return _resolved(self.nox_lb_per_mmbtu, "nox_lb_per_mmbtu")

    def co2_rate(self) -> float:
        """CO2 emission factor, HHV. [kg/MMBtu]"""
        return _resolved(self.co2_kg_per_mmbtu, "co2_kg_per_mmbtu")

    def pollutant_rates(self) -> dict[str, float]:
        """Emission factors of the permitted pollutants ('nox', 'co', 'pm', 'voc', 'hcho'), HHV: given, else
        AP-42 (CO after an oxidation catalyst when the fleet has one). [lb/MMBtu]"""
        co = k.AP42_LB_PER_MMBTU["co"] * (k.OXIDATION_CATALYST_CO_FACTOR if self.oxidation_catalyst else 1.0)
        given = {
            "co": self.co_lb_per_mmbtu if self.co_lb_per_mmbtu is not None else co,
            "pm": self.pm_lb_per_mmbtu,
            "voc": self.voc_lb_per_mmbtu,
            "hcho": self.hcho_lb_per_mmbtu,
        }
        rates = {"nox": self.nox_rate()}
        for name, value in given.items():
            rates[name] = value if value is not None else k.AP42_LB_PER_MMBTU[name]
        return rates


class BatteryConfig(Frozen):
    """On-site battery storage: a catalog unit times a count, or explicit power and energy.

    Power, energy and efficiency left out are resolved at validation from the catalog ``unit`` x ``count``
    (efficiency: else the documented default), so the validated battery holds every parameter the plant uses;
    a parameter given explicitly is kept over the catalog's.
    """

    unit: str | None = Field(default=None, description="Battery catalog id")
    count: int | None = Field(default=None, ge=0, le=100_000, description="Number of catalog units")
    power_mw: float | None = Field(default=None, gt=0, le=100_000, description="Total power [MW]")
    energy_mwh: float | None = Field(default=None, gt=0, le=1_000_000, description="Total energy [MWh]")
    round_trip_efficiency: float | None = Field(default=None, gt=0, le=1, description="AC round trip [-]")
    available_from: dt.date | None = Field(default=None, description="First day the battery runs")
    initial_soc_fraction: float = Field(default=1.0, ge=0, le=1, description="Start state of charge [-]")
    soc_min_fraction: float = Field(
        default=k.BATTERY_SOC_MIN_FRACTION, ge=0, le=1, description="Lowest state of charge [-] ([A] 5 %)"
    )
    soc_max_fraction: float = Field(
        default=k.BATTERY_SOC_MAX_FRACTION, ge=0, le=1, description="Highest state of charge [-] ([A] 100 %)"
    )
    reserve_fraction: float = Field(
        default=k.BATTERY_RESERVE_FRACTION,
        ge=0,
        le=1,
        description="State of charge below which generators are started to refill the battery [-] ([A] 50 %)",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _resolve(cls, data: Any, handler: ModelWrapValidatorHandler[BatteryConfig]) -> BatteryConfig:
        battery = handler(data)
        missing = battery._unresolved()
        if not missing:
            return battery
        return handler({**battery.model_dump(exclude_unset=True), **missing})

    def _unresolved(self) -> dict[str, Any]:
        """The unset parameters, valued from the catalog unit x count or the default."""
        unit = self._unit()
        count = self.count if self.count is not None else 1
        filled: dict[str, Any] = {}
        if self.power_mw is None and unit is not None and count > 0:  # no units: no battery, nothing to fill
            filled["power_mw"] = unit.power_mw * count
        if self.energy_mwh is None and unit is not None and count > 0:
            filled["energy_mwh"] = unit.energy_mwh * count
        if self.round_trip_efficiency is None:
            filled["round_trip_efficiency"] = (
                unit.round_trip_efficiency if unit else k.BATTERY_ROUND_TRIP_EFFICIENCY
            )
        return filled

    @model_validator(mode="after")
    def _check(self) -> BatteryConfig:
        if self.unit is not None and self.unit not in catalog.batteries():
            raise ValueError(unknown_choice_message("battery", self.unit, catalog.batteries()))
        if self.unit is None and (self.power_mw is None or self.energy_mwh is None):
            raise ValueError("give a catalog 'unit' and 'count', or both 'power_mw' and 'energy_mwh'")
        if self.total_power_mw() > MAX_BATTERY_C_RATE_PER_H * self.total_energy_mwh():
            raise ValueError(
                f"power_mw {self.total_power_mw():g} is more than {MAX_BATTERY_C_RATE_PER_H:g} x energy_mwh "
                f"{self.total_energy_mwh():g}: a battery cannot deliver more than "
                f"{MAX_BATTERY_C_RATE_PER_H:g} times its energy per hour (check the units: MW vs MWh)"
            )
        if self.soc_min_fraction >= self.soc_max_fraction:
            raise ValueError(
                f"soc_min_fraction {self.soc_min_fraction:g} must be below "
                f"soc_max_fraction {self.soc_max_fraction:g}"
            )
        return self

    def _unit(self) -> catalog.Battery | None:
        """The catalog unit; None without one or for an unknown id (which :meth:`_check` names)."""
        return catalog.batteries().get(self.unit) if self.unit else None

    def total_power_mw(self) -> float:
        """Total discharge/charge power. [MW]"""
        if self.power_mw is not None:
            return self.power_mw
        unit = self._unit()
        return (unit.power_mw if unit else 0.0) * (self.count if self.count is not None else 1)

    def total_energy_mwh(self) -> float:
        """Total usable energy. [MWh]"""
        if self.energy_mwh is not None:
            return self.energy_mwh
        unit = self._unit()
        return (unit.energy_mwh if unit else 0.0) * (self.count if self.count is not None else 1)

    def efficiency(self) -> float:
        """Round-trip efficiency. [-]"""
        return _resolved(self.round_trip_efficiency, "round_trip_efficiency")


class IdledBlocks(enum.StrEnum):
    """What the GPUs of an idled block draw."""

    IDLE = "idle"
    """Servers stay on: GPUs at idle (context held), host components at their idle share, network and
    storage on; the block can rejoin the job at its next restart."""
    OFF = "off"
    """Switched off: nothing (a cold boot before it can rejoin)."""


class PowerCapConfig(Frozen):
    """GPU power capping used before whole blocks are idled."""

    enabled: bool = Field(default=True, description="Cap GPU power before idling blocks")
    min_fraction: float = Field(
        default=k.CAP_MIN_FRACTION, gt=0, le=1, description="Deepest cap, fraction of TDP [-] ([P] MIT 60 %)"
    )
    throughput_exponent: float = Field(
        default=k.CAP_THROUGHPUT_EXPONENT,
        ge=0,
        le=3,
        description="Throughput = (cap/uncapped draw)^a [-] ([D] from a [U] 10-15 % loss at 600/700 W)",
    )
    policy: PowerPolicy = Field(
        default=PowerPolicy.BEST,
        description="Short of power: 'best' (cap or idle blocks, whichever gives more throughput per MW), "
        "'cap_first' (cap to the deepest cap, then idle) or 'idle_first' (idle blocks, the rest uncapped)",
    )


class DemandConfig(Frozen):
    """Bottom-up IT demand settings."""

    gpu_load_fraction: float = Field(
        default=k.GPU_LOAD_FRACTION,
        gt=0,
        le=1,
        description="Peak GPU draw in training / TDP: what supply and cooling must carry [-] ([A] 1.0)",
    )
    gpu_mean_fraction: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Mean GPU draw in training / TDP, for energy [-] (default: the job's phase breakdown, "
        "else [D] 0.88 from the measured 76 % of 10.2 kW per HGX H100 server)",
    )
    network_tiers: int = Field(default=k.NETWORK_TIERS, ge=1, le=5, description="Switch tiers [-] ([P] 3)")
    switch_w_per_800g_port: float = Field(
        default=k.SWITCH_W_PER_800G_PORT, ge=0, le=500, description="Switch power per 800G port [W] ([A])"
    )
    optics_w_per_800g: float = Field(
        default=k.OPTICS_W_PER_800G, ge=0, le=100, description="Optical module power per 800G [W] ([S])"
    )
    storage_w_per_gpu: float = Field(
        default=k.STORAGE_W_PER_GPU, ge=0, le=2000, description="Shared storage per GPU [W] ([A])"
    )
    gpu_idle_fraction: float = Field(
        default=k.GPU_IDLE_FRACTION,
        ge=0,
        le=1,
        description="Draw of an idled GPU kept allocated / TDP [-] ([D] 0.17: ~70 W idle + a CUDA context)",
    )
    idled_blocks: IdledBlocks = Field(
        default=IdledBlocks.IDLE,
        description="What idled blocks draw: 'idle' (servers on, GPUs idle, network and storage on: ready to "
        "rejoin) or 'off' (switched off, nothing)",
    )


def _default_price() -> tuple[DatedPrice, ...]:
    region = catalog.regions()[k.DEFAULT_REGION]
    return (DatedPrice(start=_EPOCH, usd_per_mwh=region.price_usd_per_mwh),)


def _default_intensity() -> tuple[DatedIntensity, ...]:
    region = catalog.regions()[k.DEFAULT_REGION]
    return (DatedIntensity(start=_EPOCH, kg_per_mwh=region.co2_location_kg_per_mwh),)


class Interconnect(Frozen):
    """The grid connection as equipment: transformers (and feeders) with ratings. The dated ``grid`` schedule
    is what the utility allows; the equipment limits it, and the N-1 capacity (one transformer or feeder out)
    is what the campus can count on through a contingency."""

    transformers: int = Field(ge=1, le=100, description="Transformers in parallel [-]")
    transformer_mva: float = Field(gt=0, le=5000, description="Rating of one transformer [MVA]")
    power_factor: float = Field(
        default=k.POWER_FACTOR, gt=0.5, le=1.0, description="Load power factor [-] ([A] 0.95)"
    )
    feeders: int | None = Field(default=None, ge=1, le=100, description="Feeders in parallel [-]")
    feeder_mw: float | None = Field(default=None, gt=0, le=5000, description="Rating of one feeder [MW]")

    @model_validator(mode="after")
    def _check(self) -> Interconnect:
        if (self.feeders is None) != (self.feeder_mw is None):
            raise ValueError("give both feeders and feeder_mw, or neither")
        return self

    def capacity_mw(self, out_of_service: int = 0) -> float:
        """Real power the equipment carries with ``out_of_service`` transformers and feeders out. [MW]"""
        cap = max(self.transformers - out_of_service, 0) * self.transformer_mva * self.power_factor
        if self.feeders is not None and self.feeder_mw is not None:
            cap = min(cap, max(self.feeders - out_of_service, 0) * self.feeder_mw)
        return cap


class PowerConfig(Frozen):
    """Supply: grid interconnect on a dated schedule, generators, battery; dispatch and demand settings."""

    grid: tuple[DatedValue, ...] = Field(min_length=1, description="Grid interconnect capacity schedule [MW]")
    grid_price: tuple[DatedPrice, ...] = Field(
        default_factory=_default_price,
        min_length=1,
        description="Grid energy price schedule [USD/MWh] (default: the site region's all-in average price)",
    )
    grid_co2: tuple[DatedIntensity, ...] = Field(
        default_factory=_default_intensity,
        min_length=1,
        description="Grid carbon intensity schedule, location-based [kg CO2/MWh] (default: the site region's "
        "eGRID subregion rate)",
    )
    grid_tariff: TariffKind = Field(
        default=TariffKind.FLAT,
        description="flat (the grid_price schedule) or time_of_use (the region's tariff with demand charges)",
    )
    interconnect: Interconnect | None = Field(
        default=None, description="Transformers and feeders of the grid connection (N-1 assessment)"
    )
    fuel_price_usd_per_mmbtu: float = Field(
        default=k.FUEL_PRICE_USD_PER_MMBTU,
        ge=0,
        le=200,
        description="Delivered natural gas price, HHV [USD/MMBtu] (default $3.36: EIA 2023 to power plants)",
    )
    generators: tuple[GeneratorFleet, ...] = Field(default=(), description="On-site generator fleets")
    battery: BatteryConfig | None = Field(default=None, description="On-site battery")
    merit_order: tuple[Source, ...] = Field(
        default=(Source.GRID, Source.BATTERY, Source.GENERATORS),
        description="Dispatch order of grid, battery and generators",
    )
    charge_from_generators: bool = Field(
        default=True, description="Let running generators' spare output charge the battery"
    )
    spinning_reserve_units: int = Field(
        default=0,
        ge=0,
        le=100,
        description="Largest units kept running beyond the need (1 = N+1 against a trip) [-]. Default 0: "
        "[A] the battery, where there is one, is the reserve",
    )
    cap: PowerCapConfig = Field(default_factory=PowerCapConfig, description="GPU power capping")
    demand: DemandConfig = Field(default_factory=DemandConfig, description="Bottom-up IT demand")

    @field_validator("grid")
    @classmethod
    def _grid_in_order(cls, value: tuple[DatedValue, ...]) -> tuple[DatedValue, ...]:
        return check_ascending(value, "the grid schedule")

    @field_validator("grid_price")
    @classmethod
    def _price_in_order(cls, value: tuple[DatedPrice, ...]) -> tuple[DatedPrice, ...]:
        _ascending(value, "the grid price schedule")
        return value

    @field_validator("grid_co2")
    @classmethod
    def _co2_in_order(cls, value: tuple[DatedIntensity, ...]) -> tuple[DatedIntensity, ...]:
        _ascending(value, "the grid carbon-intensity schedule")
        return value

    @field_validator("merit_order")
    @classmethod
    def _merit(cls, value: tuple[Source, ...]) -> tuple[Source, ...]:
        if sorted(value) != sorted(Source):
            raise ValueError("merit_order must name each of 'grid', 'battery' and 'generators' exactly once")
        return value
