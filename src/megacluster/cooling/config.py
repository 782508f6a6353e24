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


def _twelve(value: Any, name: str) -> Any:
    if isinstance(value, list | tuple) and len(value) != 12:
        raise ValueError(f"{name} needs 12 monthly values ({_MONTHS}), got {len(value)}")
    return value


class ClimateNormals(Frozen):
    """Inline monthly normals of daily maximum and minimum temperature, January to December. [°C]"""

    tmax_c: tuple[float, ...] = Field(description="Monthly mean daily maximum, January..December [°C]")
    tmin_c: tuple[float, ...] = Field(description="Monthly mean daily minimum, January..December [°C]")
    design_drybulb_c: float | None = Field(
        default=None, ge=-20, le=60, description="ASHRAE cooling design dry-bulb [°C] (default: hottest Tmax)"
    )
    design_wetbulb_c: float | None = Field(
        default=None, ge=-20, le=40, description="Mean coincident wet-bulb at the design dry-bulb [°C]"
    )

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
        return self

    def utc_offset_hours(self) -> float:
        """Local standard time minus UTC: given, or the climate's (0 for inline normals). [h]"""
        if self.utc_offset_h is not None:
            return self.utc_offset_h
        if isinstance(self.climate, str):
            return catalog.climates()[self.climate].utc_offset_h
        return 0.0

    def normals(self) -> ClimateNormals:
        """The monthly normals, from the catalog or inline."""
        if isinstance(self.climate, ClimateNormals):
            return self.climate
        entry = catalog.climates()[self.climate]
        return ClimateNormals(
            tmax_c=entry.tmax_c,
            tmin_c=entry.tmin_c,
            design_drybulb_c=entry.design_drybulb_c,
            design_wetbulb_c=entry.design_wetbulb_c,
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


class FacilityConfig(Frozen):
    """Facility overhead on top of the IT load: cooling plant, electrical losses and water."""

    cooling: CoolingType | None = Field(
        default=None,
        description="Cooling plant: constant_pue, chiller_tower, chiller_air or dry_cooler. Default: "
        "chiller_tower, or constant_pue when only 'pue' is given",
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
        "Default: sized for the installed peak at the design dry-bulb",
    )
    cycles_of_concentration: float = Field(
        default=k.CYCLES_OF_CONCENTRATION, gt=1, le=50, description="Cooling-tower cycles [-] ([A])"
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
