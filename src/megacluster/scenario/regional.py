"""The site's grid region fills in what the ``[power]`` section leaves out: the grid price and the
location-based carbon intensity (issue 15: a Texas campus pays ERCOT's price and carries ERCOT's carbon, not
Tennessee's)."""

from __future__ import annotations

import copy
from typing import Any

from megacluster import catalog
from megacluster.cooling.config import DEFAULT_REGION
from megacluster.power.config import TariffKind

EPOCH = "2000-01-01"
"""First day of a region-filled schedule (before any simulated day)."""


def region_of(site: Any) -> str | None:
    """The region id a raw ``[site]`` table names, directly or through its catalog climate (None when the
    table is not one this can read; validation then names the problem)."""
    if site is None:
        site = {}
    if not isinstance(site, dict):
        return None
    region = site.get("region")
    if region is not None:
        return region if isinstance(region, str) else None
    climate = site.get("climate", "memphis")
    if isinstance(climate, str):
        entry = catalog.climates().get(climate)
        return (entry.region if entry is not None else None) or DEFAULT_REGION
    return DEFAULT_REGION


def with_regional_grid(data: Any) -> Any:
    """A raw scenario whose ``[power]`` section has the region's grid price and carbon intensity where it
    gives none. Raises ValueError when a time-of-use tariff is asked of a region that publishes none, or
    together with an explicit price schedule."""
    if not isinstance(data, dict) or not isinstance(data.get("power"), dict):
        return data
    region_id = region_of(data.get("site"))
    region = catalog.regions().get(region_id) if region_id else None
    if region is None:
        return data
    power = data["power"]
    tariff = str(power.get("grid_tariff", TariffKind.FLAT.value))
    if tariff == TariffKind.TIME_OF_USE.value:
        if "grid_price" in power:
            raise ValueError("give [power] grid_price or grid_tariff = 'time_of_use', not both")
        if not region.has_tariff():
            raise ValueError(
                f"region '{region.id}' publishes no time-of-use tariff; use grid_tariff = 'flat'"
            )
    out = dict(data)
    out["power"] = copy.copy(power)
    out["power"].setdefault("grid_price", [{"from": EPOCH, "usd_per_mwh": region.price_usd_per_mwh}])
    out["power"].setdefault("grid_co2", [{"from": EPOCH, "kg_per_mwh": region.co2_location_kg_per_mwh}])
    return out
