"""The ``[site]`` and ``[facility]`` sections of a scenario: location, climate, facility overhead."""

from __future__ import annotations

from pydantic import Field, model_validator

from megacluster import catalog
from megacluster.errors import unknown_choice_message
from megacluster.scenario.types import Frozen


class ClimateNormals(Frozen):
    """Inline monthly normals of daily maximum and minimum temperature, January to December. [°C]"""

    tmax_c: tuple[float, ...] = Field(min_length=12, max_length=12, description="Monthly mean daily max [°C]")
    tmin_c: tuple[float, ...] = Field(min_length=12, max_length=12, description="Monthly mean daily min [°C]")

    @model_validator(mode="after")
    def _check(self) -> ClimateNormals:
        for month, (hi, lo) in enumerate(zip(self.tmax_c, self.tmin_c, strict=True), start=1):
            if hi < lo:
                raise ValueError(f"month {month}: tmax_c {hi} is below tmin_c {lo}")
            if not (-60 <= lo <= 60 and -60 <= hi <= 60):
                raise ValueError(f"month {month}: temperatures must lie in -60..60 °C")
        return self


class SiteConfig(Frozen):
    """Where the campus is and its climate (a catalog id or inline normals)."""

    name: str = Field(default="", description="Readable location")
    climate: str | ClimateNormals = Field(default="memphis", description="Climate catalog id or normals")

    @model_validator(mode="after")
    def _check(self) -> SiteConfig:
        if isinstance(self.climate, str) and self.climate not in catalog.climates():
            raise ValueError(unknown_choice_message("climate", self.climate, catalog.climates()))
        return self

    def normals(self) -> ClimateNormals:
        """The monthly normals, from the catalog or inline."""
        if isinstance(self.climate, ClimateNormals):
            return self.climate
        entry = catalog.climates()[self.climate]
        return ClimateNormals(tmax_c=entry.tmax_c, tmin_c=entry.tmin_c)


class FacilityConfig(Frozen):
    """Facility overhead on top of the IT load."""

    pue: float = Field(
        default=1.2,
        ge=1.0,
        le=3.0,
        description="Power usage effectiveness: facility power / IT power [-]. Default 1.2: facts.md 2.1 "
        "(SemiAnalysis' 1.59 TWh/yr for a 150 MW 100k-H100 cluster implies facility/IT ~1.2)",
    )
