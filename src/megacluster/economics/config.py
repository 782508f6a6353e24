"""The ``[economics]`` section of a scenario: overrides of the cost catalog and the settings of ``optimize``.

Every field left out takes its value from ``catalog/data/costs.toml`` (each number sourced there); a run's
``summary.json`` lists the values its cost figures used (``tco.assumptions``).
"""

from __future__ import annotations

import enum

from pydantic import Field

from megacluster.catalog.costs import Ownership
from megacluster.units import Frozen


class OwnershipRule(enum.StrEnum):
    """How the scenario's generator fleets are paid for."""

    CATALOG = "catalog"
    """Each class as the cost catalog says (mobile 2.5 MW units rented, turbines bought), except that a fleet
    that leaves within the horizon (``available_until``) is rented."""
    RENT = "rent"
    BUY = "buy"

    def for_fleet(self, catalog_default: Ownership, leaves: bool) -> Ownership:
        """The ownership of one fleet: the rule, or the catalog's class default (rented if it leaves)."""
        if self is OwnershipRule.RENT:
            return Ownership.RENT
        if self is OwnershipRule.BUY:
            return Ownership.BUY
        return Ownership.RENT if leaves else catalog_default


class ReserveRule(enum.StrEnum):
    """The capacity the least-cost build keeps beyond the hour's load."""

    LARGEST_UNIT = "largest_unit"
    """N-1: firm capacity (grid, derated units, battery power) covers the load with the largest unit
    tripped."""
    NONE = "none"


class DispatchRule(enum.StrEnum):
    """How the least-cost build dispatches its sources hour by hour."""

    MERIT_ORDER = "merit_order"
    """As the scenario's ``power.merit_order`` says where it puts the grid ahead of the generators (the
    default): the grid serves all it can before any unit runs, as in the simulation."""
    LEAST_COST = "least_cost"
    """By marginal cost alone: units run instead of the grid whenever their fuel is cheaper."""


class Resolution(enum.StrEnum):
    """Snapshot length the least-cost build is solved at (time aggregation, as PyPSA-Eur's ``Co`` option:
    each snapshot is the mean of its hours and weighs their number)."""

    AUTO = "auto"
    """The finest of 1, 2, 3 and 6 h that keeps the model within ``economics.resample.AUTO_MAX_SNAPSHOTS``
    snapshots: 1 h up to 122 days, 3 h for a year."""
    H1 = "1h"
    H2 = "2h"
    H3 = "3h"
    H6 = "6h"

    def hours(self) -> int | None:
        """Snapshot length (None: automatic). [h]"""
        return None if self is Resolution.AUTO else int(self.value.removesuffix("h"))


class OptimizeConfig(Frozen):
    """Settings of ``megacluster optimize`` (the least-cost build)."""

    target_gpus: int | None = Field(
        default=None, ge=1, le=10_000_000, description="GPUs to power at most (default: every installed GPU)"
    )
    solar: bool = Field(default=False, description="Offer solar PV as a candidate (pvlib profile)")
    scr_option: bool = Field(
        default=True, description="Offer SCR on permitted turbines without it (NOx x 0.1, capital per kW)"
    )
    co2_cap_t: float | None = Field(
        default=None, ge=0, le=1e9, description="CO2 cap over the horizon, grid and on-site [t]"
    )
    whole_units: bool = Field(
        default=True,
        description="Whole generator units (the relaxed build's units rounded up, then dispatched again); "
        "false: fractional units",
    )
    reserve: ReserveRule = Field(default=ReserveRule.LARGEST_UNIT, description="largest_unit (N-1) or none")
    dispatch: DispatchRule = Field(
        default=DispatchRule.MERIT_ORDER, description="merit_order (the scenario's policy) or least_cost"
    )
    resolution: Resolution = Field(
        default=Resolution.AUTO,
        description="Snapshot length: auto (1 h up to 122 days, 3 h for a year), 1h, 2h, 3h or 6h",
    )


class EconomicsConfig(Frozen):
    """Cost overrides (default: the cost catalog) and the least-cost build's settings."""

    discount_rate: float | None = Field(default=None, ge=0, le=0.5, description="Discount rate [1/yr]")
    gpu_usd_per_gpu: float | None = Field(
        default=None, gt=0, le=10_000_000, description="Server price per GPU, every fleet [USD]"
    )
    gpu_life_years: float | None = Field(default=None, gt=0, le=50, description="GPU server life [yr]")
    network_fraction: float | None = Field(
        default=None, ge=0, lt=1, description="Network share of the cluster's cost [-]"
    )
    facility_usd_per_mw_it: float | None = Field(
        default=None, ge=0, le=1e9, description="Buildings and cooling per MW of IT [USD/MW]"
    )
    grid_usd_per_mw: float | None = Field(
        default=None, ge=0, le=1e9, description="Substation and grid upgrade per MW [USD/MW]"
    )
    generator_ownership: OwnershipRule = Field(
        default=OwnershipRule.CATALOG,
        description="catalog, rent or buy: how the generator fleets are paid for",
    )
    rental_usd_per_mw_month: float | None = Field(
        default=None, ge=0, le=10_000_000, description="Generator rent, every class [USD/MW-month]"
    )
    battery_usd_per_kw: float | None = Field(
        default=None, ge=0, le=100_000, description="Battery capital per kW [USD/kW]"
    )
    battery_usd_per_kwh: float | None = Field(
        default=None, ge=0, le=100_000, description="Battery capital per kWh [USD/kWh]"
    )
    co2_price_usd_per_t: float | None = Field(
        default=None, ge=0, le=10_000, description="Carbon price on grid and on-site CO2 [USD/t]"
    )
    demand_charge_usd_per_kw_month: float | None = Field(
        default=None, ge=0, le=1000, description="Grid demand charge on each month's peak [USD/kW-month]"
    )
    optimize: OptimizeConfig = Field(default_factory=OptimizeConfig, description="The least-cost build")
