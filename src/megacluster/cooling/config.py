"""The ``[site]`` and ``[facility]`` sections of a scenario: location, climate, cooling, facility overhead."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from megacluster import catalog
from megacluster.cooling import constants as k
from megacluster.errors import unknown_choice_message
from megacluster.units import Frozen

_MONTHS = "January to December"

DEFAULT_REGION = "us-average"
"""Grid region of a site whose climate names none (catalog/data/regions.toml)."""


def _twelve(value: Any, name: str) -> Any:
    if isinstance(value, list | tuple) and len(value) != 12:
        raise ValueError(f"{name} needs 12 monthly values ({_MONTHS}), got {len(value)}")
    return value


class HeatWave(Frozen):
    """A sourced extreme heat event, laid on the weather on its calendar days in every simulated year: each
    day's maximum is raised to at least a line rising from ``threshold_c`` on the first and last days to
    ``peak_c`` on the peak day (facts-regions.md 4.2). [°C]"""

    name: str = Field(default="", description="What the event was")
    month: int = Field(ge=1, le=12, description="Month of the first day [-]")
    first_day: int = Field(ge=1, le=31, description="Day of the month the event starts [-]")
    days: int = Field(ge=1, le=60, description="Length of the event [d]")
    peak_day: int = Field(
        ge=1, le=31, description="Day of the month of the hottest day (in the first month) [-]"
    )
    threshold_c: float = Field(ge=-20, le=60, description="Lowest daily maximum during the event [°C]")
    peak_c: float = Field(ge=-20, le=60, description="Highest temperature of the event [°C]")

    @model_validator(mode="after")
    def _check(self) -> HeatWave:
        if self.peak_c < self.threshold_c:
            raise ValueError("heat wave peak_c must not be below threshold_c")
        offset = self.peak_day - self.first_day
        if not 0 <= offset < self.days:
            raise ValueError("heat wave peak_day must fall within its days (same month as first_day)")
        return self


class ClimateNormals(Frozen):
    """Inline monthly normals of daily maximum and minimum temperature, January to December, with the design
    statistics that calibrate the synthetic weather's hottest hours. [°C]"""

    tmax_c: tuple[float, ...] = Field(description="Monthly mean daily maximum, January..December [°C]")
    tmin_c: tuple[float, ...] = Field(description="Monthly mean daily minimum, January..December [°C]")
    design_drybulb_c: float | None = Field(
        default=None, ge=-20, le=60, description="ASHRAE cooling design dry-bulb [°C] (default: hottest Tmax)"
    )
    design_wetbulb_c: float | None = Field(
        default=None, ge=-20, le=40, description="Mean coincident wet-bulb at the design dry-bulb [°C]"
    )
    drybulb_0p4_c: float | None = Field(
        default=None, ge=-20, le=60, description="ASHRAE 0.4 % cooling dry-bulb (35 h a year above) [°C]"
    )
    wetbulb_0p4_c: float | None = Field(
        default=None, ge=-20, le=40, description="Mean coincident wet-bulb at the 0.4 % dry-bulb [°C]"
    )
    drybulb_max_mean_c: float | None = Field(
        default=None, ge=-20, le=60, description="Mean of the years' hottest hours (ASHRAE extremes) [°C]"
    )
    wetbulb_evap_0p4_c: float | None = Field(
        default=None, ge=-20, le=40, description="ASHRAE 0.4 % evaporation design wet-bulb [°C]"
    )
    elevation_m: float = Field(
        default=0.0,
        ge=-500,
        le=6000,
        description="Elevation: sets the air pressure of the psychrometrics [m]",
    )
    heatwave: HeatWave | None = Field(default=None, description="Extreme heat event laid on the weather")

    @field_validator("tmax_c", mode="before")
    @classmethod
    def _tmax_twelve(cls, value: Any) -> Any:
        return _twelve(value, "tmax_c")

    @field_validator("tmin_c", mode="before")
    @classmethod
    def _tmin_twelve(cls, value: Any) -> Any:
        return _twelve(value, "tmin_c")

    @model_validator(mode="after")
    def _check(self) -> ClimateNormals:
        for month, (hi, lo) in enumerate(zip(self.tmax_c, self.tmin_c, strict=True), start=1):
            if hi < lo:
                raise ValueError(f"month {month}: tmax_c {hi} is below tmin_c {lo}")
            if not (-60 <= lo <= 60 and -60 <= hi <= 60):
                raise ValueError(f"month {month}: temperatures must lie in -60..60 °C")
        if (
            self.design_wetbulb_c is not None
            and self.design_drybulb_c is not None
            and self.design_wetbulb_c > self.design_drybulb_c
        ):
            raise ValueError("design_wetbulb_c cannot exceed design_drybulb_c")
        return self

    def design_pair_c(self) -> tuple[float, float]:
        """(design dry-bulb, coincident wet-bulb), with [A] defaults where not given. [°C]"""
        dry = self.design_drybulb_c if self.design_drybulb_c is not None else max(self.tmax_c)
        wet = self.design_wetbulb_c if self.design_wetbulb_c is not None else dry - k.WETBULB_DEPRESSION_K
        return dry, min(wet, dry)

    def hot_points_c(self) -> tuple[tuple[float, float], ...]:
        """The design dry-bulbs the synthetic weather is calibrated to, as (exceedance fraction of the year's
        hours, dry-bulb): the 1 % design point, the 0.4 % point and the mean annual maximum, where known. [-,
        °C]"""
        points = []
        if self.design_drybulb_c is not None:
            points.append((0.01, self.design_drybulb_c))
        if self.drybulb_0p4_c is not None:
            points.append((0.004, self.drybulb_0p4_c))
        if self.drybulb_max_mean_c is not None:
            points.append((0.0, self.drybulb_max_mean_c))
        return tuple(points)

    def coincident_pair_c(self) -> tuple[float, float] | None:
        """The hottest design dry-bulb with a known mean coincident wet-bulb (0.4 %, else 1 %). [°C]"""
        if self.drybulb_0p4_c is not None and self.wetbulb_0p4_c is not None:
            return self.drybulb_0p4_c, self.wetbulb_0p4_c
        if self.design_drybulb_c is not None and self.design_wetbulb_c is not None:
            return self.design_drybulb_c, self.design_wetbulb_c
        return None


class SiteConfig(Frozen):
    """Where the campus is and its climate (a catalog id or inline normals)."""

    name: str = Field(default="", description="Readable location")
    climate: str | ClimateNormals = Field(default="memphis", description="Climate catalog id or normals")
    utc_offset_h: float | None = Field(
        default=None,
        ge=-12,
        le=14,
        description="Local standard time minus UTC [h] (default: the climate's; 0 for inline normals). The "
        "simulation clock runs in local standard time; outputs are stamped in UTC",
    )
    region: str | None = Field(
        default=None,
        description="Grid region catalog id: price and carbon intensity (default: the climate's region, else "
        "'us-average')",
    )
    weather_file: str | None = Field(
        default=None,
        description="Hourly weather of a typical year: an EnergyPlus EPW or NREL TMY3 CSV file, read with "
        "pvlib (default: synthetic weather calibrated to the climate's design statistics)",
    )
    heatwave: bool = Field(
        default=False, description="Lay the climate's sourced extreme heat event on the weather (stress test)"
    )

    @field_validator("climate", mode="before")
    @classmethod
    def _inline_normals(cls, value: Any) -> Any:
        if isinstance(value, dict):
            try:
                return ClimateNormals.model_validate(value)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                msg = str(err["msg"]).removeprefix("Value error, ")
                raise ValueError(
                    f"inline climate {where}: {msg}" if where else f"inline climate: {msg}"
                ) from None
        return value

    @model_validator(mode="after")
    def _check(self) -> SiteConfig:
        if isinstance(self.climate, str) and self.climate not in catalog.climates():
            raise ValueError(unknown_choice_message("climate", self.climate, catalog.climates()))
        if self.region is not None and self.region not in catalog.regions():
            raise ValueError(unknown_choice_message("region", self.region, catalog.regions()))
        if self.heatwave and self._heatwave() is None:
            raise ValueError(
                "heatwave = true needs a sourced event: the climate has none; give [site.climate.heatwave]"
            )
        return self

    def region_id(self) -> str:
        """The grid region: given, else the climate's, else the US average."""
        if self.region is not None:
            return self.region
        if isinstance(self.climate, str):
            return catalog.climates()[self.climate].region or DEFAULT_REGION
        return DEFAULT_REGION

    def region_entry(self) -> catalog.Region:
        """The grid region's catalog entry."""
        return catalog.regions()[self.region_id()]

    def _heatwave(self) -> HeatWave | None:
        """The climate's sourced heat event (whether or not it is switched on)."""
        if isinstance(self.climate, ClimateNormals):
            return self.climate.heatwave
        e = catalog.climates()[self.climate]
        if e.heatwave_month is None or e.heatwave_first_day is None or e.heatwave_days is None:
            return None
        return HeatWave(
            name=e.heatwave_name or "",
            month=e.heatwave_month,
            first_day=e.heatwave_first_day,
            days=e.heatwave_days,
            peak_day=e.heatwave_peak_day or e.heatwave_first_day,
            threshold_c=float(e.heatwave_threshold_c or 0.0),
            peak_c=float(e.heatwave_peak_c or 0.0),
        )

    def utc_offset_hours(self) -> float:
        """Local standard time minus UTC: given, or the climate's (0 for inline normals). [h]"""
        if self.utc_offset_h is not None:
            return self.utc_offset_h
        if isinstance(self.climate, str):
            return catalog.climates()[self.climate].utc_offset_h
        return 0.0

    def normals(self) -> ClimateNormals:
        """The monthly normals and design statistics, from the catalog or inline; the heat event only when
        ``heatwave`` is on."""
        event = self._heatwave() if self.heatwave else None
        if isinstance(self.climate, ClimateNormals):
            return self.climate.model_copy(update={"heatwave": event})
        entry = catalog.climates()[self.climate]
        return ClimateNormals(
            tmax_c=entry.tmax_c,
            tmin_c=entry.tmin_c,
            design_drybulb_c=entry.design_drybulb_c,
            design_wetbulb_c=entry.design_wetbulb_c,
            drybulb_0p4_c=entry.drybulb_0p4_c,
            wetbulb_0p4_c=entry.wetbulb_0p4_c,
            drybulb_max_mean_c=entry.drybulb_max_mean_c,
            wetbulb_evap_0p4_c=entry.wetbulb_evap_0p4_c,
            elevation_m=entry.elevation_m if entry.elevation_m is not None else 0.0,
            heatwave=event,
        )


class CoolingType(enum.StrEnum):
    """How the heat leaves the campus."""

    CONSTANT_PUE = "constant_pue"
    """Facility power = PUE x IT power; no ambient dependence."""
    CHILLER_TOWER = "chiller_tower"
    """Direct-to-chip liquid + air handlers on chilled water; water-cooled chillers with evaporative towers
    and a water-side economiser (Colossus: chilled-water loop plus evaporative towers, facts.md 1.7)."""
    CHILLER_AIR = "chiller_air"
    """Chilled water from air-cooled chillers (no water use, lower COP)."""
    DRY_COOLER = "dry_cooler"
    """Warm-water direct-to-chip loop on dry coolers, no chillers, no water; capacity falls with ambient."""
    DRY_COOLER_CHILLER = "dry_cooler_chiller"
    """Closed warm-water loop on dry coolers with air-cooled chillers trimming it on hot hours: no evaporative
    water, full capacity at any ambient (Stargate Abilene's closed-loop design, facts-regions.md 3.4)."""


class FacilityConfig(Frozen):
    """Facility overhead on top of the IT load: cooling plant, electrical losses and water."""

    cooling: CoolingType | None = Field(
        default=None,
        description="Cooling plant: constant_pue, chiller_tower, chiller_air, dry_cooler or "
        "dry_cooler_chiller. Default: chiller_tower, or constant_pue when only 'pue' is given",
    )
    pue: float | None = Field(
        default=None,
        ge=1.0,
        le=3.0,
        description="Power usage effectiveness for the constant_pue model [-]. Default 1.2: facts.md 2.1 "
        "(SemiAnalysis' 1.59 TWh/yr for a 150 MW 100k-H100 cluster implies facility/IT ~1.2)",
    )
    chw_supply_c: float = Field(
        default=k.CHW_SUPPLY_C, ge=4, le=25, description="Chilled-water supply temperature [°C] ([A], module)"
    )
    tower_approach_k: float = Field(
        default=k.TOWER_APPROACH_K, ge=1, le=15, description="Cooling-tower approach to wet-bulb [K] ([D])"
    )
    liquid_supply_c: float = Field(
        default=k.DRY_COOLER_SUPPLY_C,
        ge=20,
        le=60,
        description="Warm-water supply for dry coolers [°C] ([A])",
    )
    electrical_loss_fraction: float = Field(
        default=k.ELECTRICAL_LOSS_FRACTION,
        ge=0,
        le=0.3,
        description="UPS + transformer losses / IT [-] ([A])",
    )
    pump_fan_fraction: float = Field(
        default=k.PUMP_FAN_FRACTION, ge=0, le=0.3, description="Pumps and fans / heat moved [-] ([A])"
    )
    cooling_capacity_mw: float | None = Field(
        default=None,
        gt=0,
        le=100_000,
        description="Heat the plant removes at its design ambient [MW]; above it GPUs throttle. "
        "Default: sized for the installed peak at the run's hottest hour (no throttling)",
    )
    cycles_of_concentration: float = Field(
        default=k.CYCLES_OF_CONCENTRATION,
        gt=1,
        le=50,
        description="Cooling-tower cycles of concentration: blowdown = evaporation / (cycles - 1) - drift "
        "[-] ([P via S] 5: EPA, efficient towers run '4 or 5 cycles of concentration, or higher')",
    )
    drift_fraction: float = Field(
        default=k.DRIFT_FRACTION,
        ge=0,
        le=0.01,
        description="Drift lost from the tower per water circulated [-] ([S] 0.0002)",
    )
    wue_l_per_kwh: float = Field(
        default=k.WUE_L_PER_KWH,
        ge=0,
        le=10,
        description="Water per IT kWh for constant_pue [L/kWh] ([S] LBNL)",
    )

    def cooling_type(self) -> CoolingType:
        """The cooling model: explicit, else constant PUE when a PUE is given, else chillers + towers."""
        if self.cooling is not None:
            return self.cooling
        return CoolingType.CONSTANT_PUE if self.pue is not None else CoolingType.CHILLER_TOWER

    def pue_value(self) -> float:
        """The constant PUE (default 1.2, facts.md 2.1). [-]"""
        return self.pue if self.pue is not None else 1.2
