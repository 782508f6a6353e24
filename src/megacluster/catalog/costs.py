"""The cost catalog (``catalog/data/costs.toml``): capital and operating costs, rentals, lifetimes and the
discount rate, each number with its source. Money in US dollars [USD]; the unit of each field is in its name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import Field, ValidationError

from megacluster.catalog.base import CatalogEntry
from megacluster.catalog.store import raw_catalog
from megacluster.errors import InputError

ANY = "*"
"""The ``accelerator`` or ``unit`` of the fallback entry used when no entry names one. [-]"""


class Ownership(enum.StrEnum):
    """How a generator fleet is paid for."""

    RENT = "rent"
    """A monthly rent that includes operation and maintenance (mobile fleets)."""
    BUY = "buy"
    """Bought: its capital is recovered over its life at the discount rate, plus fixed and variable O&M."""


class FinanceCost(CatalogEntry):
    """The discount rate and the charges that apply to the whole campus."""

    kind: str = Field(pattern="^finance$")
    discount_rate: float = Field(ge=0, le=0.5, description="Discount rate [1/yr]")
    co2_price_usd_per_t: float = Field(ge=0, le=10_000, description="Carbon price [USD/t CO2]")
    demand_charge_usd_per_kw_month: float = Field(
        ge=0, le=1000, description="Grid demand charge on each month's peak [USD/kW-month]"
    )


class GpuCost(CatalogEntry):
    """The server price per GPU of one accelerator (``*``: any other)."""

    kind: str = Field(pattern="^gpu$")
    accelerator: str
    server_usd_per_gpu: float = Field(gt=0, le=10_000_000, description="Server price per GPU [USD]")
    life_years: float = Field(gt=0, le=50, description="Economic life [yr]")


class NetworkCost(CatalogEntry):
    """The cluster network as a share of the whole cluster's cost."""

    kind: str = Field(pattern="^network$")
    fraction_of_cluster: float = Field(ge=0, lt=1, description="Network / (servers + network) [-]")
    life_years: float = Field(gt=0, le=50, description="Economic life [yr]")


class FacilityCost(CatalogEntry):
    """Buildings, power distribution and cooling per MW of critical IT load."""

    kind: str = Field(pattern="^facility$")
    usd_per_mw_it: float = Field(ge=0, le=1e9, description="Capital per MW of IT load [USD/MW]")
    life_years: float = Field(gt=0, le=100, description="Economic life [yr]")


class GridCost(CatalogEntry):
    """Substation and grid upgrade per MW of interconnect."""

    kind: str = Field(pattern="^grid$")
    usd_per_mw: float = Field(ge=0, le=1e9, description="Capital per MW of interconnect [USD/MW]")
    life_years: float = Field(gt=0, le=100, description="Economic life [yr]")


class GeneratorCost(CatalogEntry):
    """A generator class bought or rented (``unit``: a generator catalog id, ``*``: any other)."""

    kind: str = Field(pattern="^generator$")
    unit: str
    ownership: Ownership
    purchase_usd_per_kw: float = Field(ge=0, le=100_000, description="Overnight capital [USD/kW]")
    rental_usd_per_mw_month: float = Field(ge=0, le=10_000_000, description="Rent [USD/MW-month]")
    fixed_om_usd_per_kw_year: float = Field(ge=0, le=10_000, description="Fixed O&M, owned [USD/kW-yr]")
    variable_om_usd_per_mwh: float = Field(ge=0, le=10_000, description="Variable O&M, owned [USD/MWh]")
    life_years: float = Field(gt=0, le=100, description="Economic life [yr]")


class NoxControlCost(CatalogEntry):
    """Selective catalytic reduction added to a gas turbine."""

    kind: str = Field(pattern="^nox_control$")
    usd_per_kw: float = Field(ge=0, le=10_000, description="Capital per kW of turbine [USD/kW]")


class BatteryCost(CatalogEntry):
    """A lithium-ion battery: capital per kW of power plus per kWh of energy."""

    kind: str = Field(pattern="^battery$")
    usd_per_kw: float = Field(ge=0, le=100_000, description="Capital per kW [USD/kW]")
    usd_per_kwh: float = Field(ge=0, le=100_000, description="Capital per kWh [USD/kWh]")
    fixed_om_usd_per_kw_year: float = Field(ge=0, le=10_000, description="Fixed O&M [USD/kW-yr]")
    life_years: float = Field(gt=0, le=100, description="Economic life [yr]")


class SolarCost(CatalogEntry):
    """Utility-scale solar PV."""

    kind: str = Field(pattern="^solar$")
    usd_per_kw: float = Field(ge=0, le=100_000, description="Capital per kW AC [USD/kW]")
    fixed_om_usd_per_kw_year: float = Field(ge=0, le=10_000, description="Fixed O&M [USD/kW-yr]")
    life_years: float = Field(gt=0, le=100, description="Economic life [yr]")


@dataclass(frozen=True)
class CostBook:
    """Every default cost of ``costs.toml``, typed."""

    finance: FinanceCost
    gpus: dict[str, GpuCost]
    """By accelerator id (``*``: the fallback)."""
    network: NetworkCost
    facility: FacilityCost
    grid: GridCost
    generators: dict[str, GeneratorCost]
    """By generator catalog id (``*``: the fallback)."""
    scr: NoxControlCost
    battery: BatteryCost
    solar: SolarCost

    def gpu(self, accelerator: str) -> GpuCost:
        """The price entry of an accelerator, or the fallback."""
        return self.gpus.get(accelerator, self.gpus[ANY])

    def generator(self, unit: str | None) -> GeneratorCost:
        """The cost entry of a generator catalog unit, or the fallback (a fleet given by its rating)."""
        return self.generators.get(unit or ANY, self.generators[ANY])


_KINDS: dict[str, type[CatalogEntry]] = {
    "finance": FinanceCost,
    "gpu": GpuCost,
    "network": NetworkCost,
    "facility": FacilityCost,
    "grid": GridCost,
    "generator": GeneratorCost,
    "nox_control": NoxControlCost,
    "battery": BatteryCost,
    "solar": SolarCost,
}

E = TypeVar("E", bound=CatalogEntry)


def _entry(key: str, raw: dict[str, Any]) -> CatalogEntry:
    kind = str(raw.get("kind", ""))
    model = _KINDS.get(kind)
    if model is None:
        raise InputError("catalog/data/costs.toml", key, f"unknown kind '{kind}'; valid: {', '.join(_KINDS)}")
    try:
        return model.model_validate({"id": key, **raw})
    except ValidationError as exc:  # a broken shipped catalog is a bug, but say where
        raise InputError("catalog/data/costs.toml", key, str(exc)) from exc


def _one(entries: list[CatalogEntry], model: type[E]) -> E:
    """The one entry of a kind that has exactly one."""
    found = [e for e in entries if isinstance(e, model)]
    if len(found) != 1:
        raise InputError("catalog/data/costs.toml", model.__name__, f"expected one entry, found {len(found)}")
    return found[0]


@cache
def cost_book() -> CostBook:
    """The cost catalog, read once."""
    entries = [_entry(key, raw) for key, raw in raw_catalog("costs").items()]
    gpus = {e.accelerator: e for e in entries if isinstance(e, GpuCost)}
    generators = {e.unit: e for e in entries if isinstance(e, GeneratorCost)}
    if ANY not in gpus or ANY not in generators:
        raise InputError("catalog/data/costs.toml", None, "missing a fallback gpu or generator entry ('*')")
    return CostBook(
        finance=_one(entries, FinanceCost),
        gpus=gpus,
        network=_one(entries, NetworkCost),
        facility=_one(entries, FacilityCost),
        grid=_one(entries, GridCost),
        generators=generators,
        scr=_one(entries, NoxControlCost),
        battery=_one(entries, BatteryCost),
        solar=_one(entries, SolarCost),
    )
