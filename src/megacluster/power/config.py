"""The ``[power]`` section of a scenario: grid interconnect, on-site generators and battery."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator

from megacluster import catalog
from megacluster.errors import unknown_choice_message
from megacluster.scenario.types import DatedValue, Frozen, check_ascending

MAX_BATTERY_C_RATE_PER_H = 4.0
"""[A] Largest accepted battery power/energy ratio. Utility lithium-ion systems are built from 0.25 C (4-hour)
to about 1-2 C; a ratio above 4 per hour is treated as a unit mistake rather than a design."""


class GeneratorFleet(Frozen):
    """A group of identical on-site generating units."""

    unit: str | None = Field(default=None, description="Generator catalog id")
    rating_mw: float | None = Field(default=None, gt=0, le=2000, description="Explicit unit rating [MW]")
    count: int = Field(ge=0, le=10_000, description="Number of units")
    available_from: dt.date | None = Field(default=None, description="First day the units run")
    available_until: dt.date | None = Field(default=None, description="Last day the units run")

    @model_validator(mode="after")
    def _check(self) -> GeneratorFleet:
        if self.unit is None and self.rating_mw is None:
            raise ValueError("give a catalog 'unit' or an explicit 'rating_mw'")
        if self.unit is not None and self.unit not in catalog.generators():
            raise ValueError(unknown_choice_message("generator", self.unit, catalog.generators()))
        if self.available_from and self.available_until and self.available_until < self.available_from:
            raise ValueError("available_until must not be before available_from")
        return self

    def unit_rating_mw(self) -> float:
        """Rating of one unit. [MW]"""
        if self.rating_mw is not None:
            return self.rating_mw
        return catalog.generators()[str(self.unit)].rating_mw


class BatteryConfig(Frozen):
    """On-site battery storage: a catalog unit times a count, or explicit power and energy."""

    unit: str | None = Field(default=None, description="Battery catalog id")
    count: int | None = Field(default=None, ge=0, le=100_000, description="Number of catalog units")
    power_mw: float | None = Field(default=None, gt=0, le=100_000, description="Total power [MW]")
    energy_mwh: float | None = Field(default=None, gt=0, le=1_000_000, description="Total energy [MWh]")
    round_trip_efficiency: float | None = Field(default=None, gt=0, le=1, description="AC round trip [-]")
    available_from: dt.date | None = Field(default=None, description="First day the battery runs")
    initial_soc_fraction: float = Field(default=1.0, ge=0, le=1, description="Start state of charge [-]")

    @model_validator(mode="after")
    def _check(self) -> BatteryConfig:
        if self.unit is not None and self.unit not in catalog.batteries():
            raise ValueError(unknown_choice_message("battery", self.unit, catalog.batteries()))
        if self.unit is None and (self.power_mw is None or self.energy_mwh is None):
            raise ValueError("give a catalog 'unit' and 'count', or both 'power_mw' and 'energy_mwh'")
        if self.total_power_mw() > MAX_BATTERY_C_RATE_PER_H * self.total_energy_mwh():
            raise ValueError(
                f"power_mw {self.total_power_mw():g} is more than {MAX_BATTERY_C_RATE_PER_H:g} x energy_mwh "
                f"{self.total_energy_mwh():g}: a battery cannot deliver more than {MAX_BATTERY_C_RATE_PER_H:g} "
                "times its energy per hour (check the units: MW vs MWh)"
            )
        return self

    def _unit(self) -> catalog.Battery | None:
        return catalog.batteries()[self.unit] if self.unit else None

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
        if self.round_trip_efficiency is not None:
            return self.round_trip_efficiency
        unit = self._unit()
        return unit.round_trip_efficiency if unit else 0.85


class PowerConfig(Frozen):
    """Supply: grid interconnect on a dated schedule, generators, battery."""

    grid: tuple[DatedValue, ...] = Field(min_length=1, description="Grid interconnect capacity schedule [MW]")
    generators: tuple[GeneratorFleet, ...] = Field(default=(), description="On-site generator fleets")
    battery: BatteryConfig | None = Field(default=None, description="On-site battery")

    @field_validator("grid")
    @classmethod
    def _grid_in_order(cls, value: tuple[DatedValue, ...]) -> tuple[DatedValue, ...]:
        return check_ascending(value, "the grid schedule")
