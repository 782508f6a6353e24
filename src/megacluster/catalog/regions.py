"""Catalog model of a grid region: its price (a flat all-in average and, where one is published, the energy
and demand charges of a large-load tariff) and its carbon intensity in the three conventions analysts report.
"""

from __future__ import annotations

import enum

from pydantic import Field

from megacluster.catalog.base import CatalogEntry


class Co2Convention(enum.StrEnum):
    """How the CO2 of grid energy is counted (GHG Protocol Scope 2 guidance and its marginal companion)."""

    LOCATION = "location"
    """Average emission rate of the generation in the grid area (eGRID subregion), no certificates."""
    MARKET = "market"
    """The supplier's rate net of retired renewable certificates (else, per the GHG Protocol, the grid
    average)."""
    MARGINAL = "marginal"
    """Rate of the plants that answer a change in load (eGRID non-baseload proxy)."""


class Region(CatalogEntry):
    """A grid region: prices and carbon intensities, each with its data year. [USD/MWh, kg/MWh]"""

    balancing_authority: str
    egrid_subregion: str
    price_usd_per_mwh: float = Field(ge=0, le=10_000, description="All-in average price [USD/MWh]")
    price_year: int = Field(ge=1990, le=2100)
    co2_location_kg_per_mwh: float = Field(ge=0, le=2000, description="Location-based [kg/MWh]")
    co2_location_year: int = Field(ge=1990, le=2100)
    co2_market_kg_per_mwh: float = Field(ge=0, le=2000, description="Market-based [kg/MWh]")
    co2_market_year: int = Field(ge=1990, le=2100)
    co2_marginal_kg_per_mwh: float = Field(ge=0, le=3000, description="Marginal (non-baseload) [kg/MWh]")
    co2_marginal_year: int = Field(ge=1990, le=2100)
    tou_on_peak_usd_per_mwh: float | None = Field(default=None, ge=0, le=10_000, description="[USD/MWh]")
    tou_off_peak_usd_per_mwh: float | None = Field(default=None, ge=0, le=10_000, description="[USD/MWh]")
    tou_on_peak_start_h: int | None = Field(default=None, ge=0, le=24, description="Local standard time [h]")
    tou_on_peak_end_h: int | None = Field(default=None, ge=0, le=24, description="Local standard time [h]")
    tariff_year: int | None = Field(default=None, ge=1990, le=2100)
    demand_usd_per_kw_month: float | None = Field(
        default=None, ge=0, le=1000, description="On the month's largest grid draw [USD/kW-month]"
    )
    coincident_peak_usd_per_kw_year: float | None = Field(
        default=None, ge=0, le=10_000, description="On the draw at the system's summer peaks [USD/kW-year]"
    )

    def has_tariff(self) -> bool:
        """Whether the region publishes the energy and demand charges of a large-load tariff."""
        return self.tou_on_peak_usd_per_mwh is not None and self.tou_off_peak_usd_per_mwh is not None

    def co2_kg_per_mwh(self, convention: Co2Convention) -> float:
        """The carbon intensity in one convention. [kg/MWh]"""
        return {
            Co2Convention.LOCATION: self.co2_location_kg_per_mwh,
            Co2Convention.MARKET: self.co2_market_kg_per_mwh,
            Co2Convention.MARGINAL: self.co2_marginal_kg_per_mwh,
        }[convention]

    def co2_source(self, convention: Co2Convention) -> str:
        """Where the intensity of one convention comes from."""
        return self.source.get(f"co2_{convention.value}_kg_per_mwh", "")
