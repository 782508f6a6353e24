"""The cost assumptions of a run: the cost catalog with the scenario's ``[economics]`` overrides applied.

Pure look-ups; every number comes from ``catalog/data/costs.toml`` (sourced) or from the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

from megacluster.catalog.costs import CostBook, GeneratorCost, Ownership, cost_book
from megacluster.economics.config import EconomicsConfig, OwnershipRule
from megacluster.economics.finance import annuity_usd_per_year
from megacluster.units import DAYS_PER_YEAR, KW_PER_MW


@dataclass(frozen=True)
class GeneratorTerms:
    """What one generator fleet costs, as it is paid for."""

    ownership: Ownership
    purchase_usd_per_mw: float
    """Overnight capital (NOx controls included). [USD/MW]"""
    rental_usd_per_mw_month: float
    """Rent, O&M included. [USD/MW-month]"""
    fixed_om_usd_per_mw_year: float
    """Fixed O&M of an owned fleet. [USD/MW-yr]"""
    variable_om_usd_per_mwh: float
    """Variable O&M of an owned fleet. [USD/MWh]"""
    life_years: float
    """Economic life. [yr]"""


@dataclass(frozen=True)
class CostAssumptions:
    """The resolved costs a TCO or a least-cost build uses."""

    book: CostBook
    config: EconomicsConfig

    @property
    def discount_rate(self) -> float:
        """Discount rate. [1/yr]"""
        rate = self.config.discount_rate
        return self.book.finance.discount_rate if rate is None else rate

    @property
    def co2_price_usd_per_t(self) -> float:
        """Carbon price. [USD/t]"""
        price = self.config.co2_price_usd_per_t
        return self.book.finance.co2_price_usd_per_t if price is None else price

    @property
    def demand_charge_usd_per_kw_month(self) -> float:
        """Grid demand charge. [USD/kW-month]"""
        charge = self.config.demand_charge_usd_per_kw_month
        return self.book.finance.demand_charge_usd_per_kw_month if charge is None else charge

    def gpu_usd(self, accelerator: str) -> float:
        """Server price per GPU of an accelerator. [USD]"""
        price = self.config.gpu_usd_per_gpu
        return self.book.gpu(accelerator).server_usd_per_gpu if price is None else price

    def gpu_life_years(self, accelerator: str) -> float:
        """Economic life of an accelerator's servers. [yr]"""
        life = self.config.gpu_life_years
        return self.book.gpu(accelerator).life_years if life is None else life

    @property
    def network_fraction(self) -> float:
        """Network share of the whole cluster's cost. [-]"""
        share = self.config.network_fraction
        return self.book.network.fraction_of_cluster if share is None else share

    def cluster_usd_per_gpu(self, accelerator: str) -> float:
        """Server and network capital per GPU: server / (1 - network share). [USD]"""
        return self.gpu_usd(accelerator) / (1.0 - self.network_fraction)

    def gpu_annuity_usd_per_day(self, accelerator: str) -> float:
        """Capital charge of one GPU with its share of the network, per day: what a GPU idle for a day
        costs. [USD/d]"""
        life = self.gpu_life_years(accelerator)
        server = annuity_usd_per_year(self.gpu_usd(accelerator), self.discount_rate, life)
        network_usd = self.cluster_usd_per_gpu(accelerator) - self.gpu_usd(accelerator)
        network = annuity_usd_per_year(network_usd, self.discount_rate, self.book.network.life_years)
        return float(server + network) / DAYS_PER_YEAR

    @property
    def facility_usd_per_mw_it(self) -> float:
        """Buildings and cooling per MW of IT. [USD/MW]"""
        cost = self.config.facility_usd_per_mw_it
        return self.book.facility.usd_per_mw_it if cost is None else cost

    @property
    def grid_usd_per_mw(self) -> float:
        """Substation and grid upgrade per MW. [USD/MW]"""
        cost = self.config.grid_usd_per_mw
        return self.book.grid.usd_per_mw if cost is None else cost

    @property
    def battery_usd_per_mw(self) -> float:
        """Battery capital per MW of power. [USD/MW]"""
        cost = self.config.battery_usd_per_kw
        return (self.book.battery.usd_per_kw if cost is None else cost) * KW_PER_MW

    @property
    def battery_usd_per_mwh(self) -> float:
        """Battery capital per MWh of energy. [USD/MWh]"""
        cost = self.config.battery_usd_per_kwh
        return (self.book.battery.usd_per_kwh if cost is None else cost) * KW_PER_MW

    def generator(
        self, unit: str | None, leaves: bool, scr: bool, ownership: Ownership | None = None
    ) -> GeneratorTerms:
        """The cost of a fleet of catalog ``unit`` (None: a fleet given by its rating), which ``leaves``
        within the horizon or not, with selective catalytic reduction or not; ``ownership`` forces rent or
        buy. [USD/MW, USD/MW-month, USD/MWh, yr]"""
        entry: GeneratorCost = self.book.generator(unit)
        rule = self.config.generator_ownership
        owned = ownership or rule.for_fleet(entry.ownership, leaves)
        rent = self.config.rental_usd_per_mw_month
        scr_usd_per_kw = self.book.scr.usd_per_kw if scr else 0.0
        return GeneratorTerms(
            ownership=owned,
            purchase_usd_per_mw=(entry.purchase_usd_per_kw + scr_usd_per_kw) * KW_PER_MW,
            rental_usd_per_mw_month=entry.rental_usd_per_mw_month if rent is None else rent,
            fixed_om_usd_per_mw_year=entry.fixed_om_usd_per_kw_year * KW_PER_MW,
            variable_om_usd_per_mwh=entry.variable_om_usd_per_mwh,
            life_years=entry.life_years,
        )


def cost_assumptions(config: EconomicsConfig | None) -> CostAssumptions:
    """The cost catalog with a scenario's ``[economics]`` overrides (None: the catalog as it is)."""
    return CostAssumptions(book=cost_book(), config=config or EconomicsConfig())


__all__ = ["CostAssumptions", "GeneratorTerms", "OwnershipRule", "cost_assumptions"]
