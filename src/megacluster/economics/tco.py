"""The total cost of ownership of a campus over a run: capital (overnight, and its charge over the run at the
discount rate), rentals, operating costs, cost per GPU-hour delivered and per 1e24 model FLOP, and the cost of
stranded compute (GPU capital idle for lack of power).

``campus_tco(use, costs)`` is pure: it takes what a run used (plain numbers and arrays, :class:`RunUse`)
and the resolved cost assumptions, and returns the typed :class:`TcoSummary`. No words; the views write those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from megacluster.catalog.costs import Ownership
from megacluster.economics.assumptions import CostAssumptions
from megacluster.economics.finance import annuity_usd_per_year, months_of, years_of
from megacluster.units import KW_PER_MW, SECONDS_PER_DAY, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

FLOP_UNIT = 1e24
"""Model FLOP per unit of the cost-per-FLOP figure. [FLOP]"""


class Record(BaseModel):
    """Base of the cost records: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CapitalUSD(Record):
    """Capital by what it buys. [USD]"""

    gpus: float = Field(description="GPU servers [USD]")
    network: float = Field(description="Cluster network [USD]")
    facility: float = Field(description="Buildings, power distribution and cooling [USD]")
    grid: float = Field(description="Substation and grid upgrade [USD]")
    generators: float = Field(description="Bought generators (rented ones are in rentals) [USD]")
    battery: float = Field(description="Battery [USD]")
    total: float = Field(description="All of the above [USD]")


class OperatingUSD(Record):
    """Operating costs over the run. [USD]"""

    grid_energy: float = Field(description="Grid energy at the dated price [USD]")
    fuel: float = Field(description="Generator fuel [USD]")
    generator_rentals: float = Field(description="Generator rent, O&M included [USD]")
    generator_om: float = Field(description="Fixed and variable O&M of bought generators [USD]")
    battery_om: float = Field(description="Battery fixed O&M [USD]")
    demand_charges: float = Field(description="Grid demand charges on each month's peak [USD]")
    co2: float = Field(description="Carbon price on grid and on-site CO2 [USD]")
    total: float = Field(description="All of the above [USD]")


class StrandedCompute(Record):
    """GPU capital idle for lack of power or cooling: installed GPUs switched off, and the throughput lost to
    power caps, in GPU-equivalents, at each GPU's capital charge per day (server and network)."""

    gpu_hours: float = Field(description="Installed GPU-hours not delivered (off, or lost to caps) [GPU-h]")
    cost_usd: float = Field(description="Their capital charge over the run [USD]")
    cost_usd_per_day_mean: float = Field(description="Mean over the run's days [USD/d]")
    cost_usd_per_day_peak: float = Field(description="The worst day [USD/d]")
    peak_day: str | None = Field(default=None, description="The worst day (ISO), None when nothing idled")
    gpu_usd_per_gpu_day: float = Field(description="Capital charge of one installed GPU, fleet mean [USD/d]")


class TcoAssumptions(Record):
    """The cost assumptions the figures used (catalog/data/costs.toml with [economics] overrides)."""

    discount_rate: float = Field(description="Discount rate [1/yr]")
    gpu_usd_per_gpu: dict[str, float] = Field(description="Server price per GPU by accelerator [USD]")
    gpu_life_years: dict[str, float] = Field(description="Server life by accelerator [yr]")
    network_fraction: float = Field(description="Network share of the cluster's cost [-]")
    facility_usd_per_mw_it: float = Field(description="Buildings and cooling per MW of IT [USD/MW]")
    facility_it_mw: float = Field(description="IT load the buildings serve: peak of all installed GPUs [MW]")
    grid_usd_per_mw: float = Field(description="Substation and grid upgrade per MW [USD/MW]")
    generator_ownership: tuple[str, ...] = Field(description="Each generator fleet: rent or buy")
    co2_price_usd_per_t: float = Field(description="Carbon price [USD/t]")
    demand_charge_usd_per_kw_month: float = Field(description="Grid demand charge [USD/kW-month]")


class TcoSummary(Record):
    """The campus's cost over the run: capital charged at the discount rate over each asset's life (only the
    part of it that falls within the run), rentals, operating costs; per GPU-hour delivered and per 1e24 model
    FLOP; and the cost of stranded compute."""

    span_days: float = Field(description="Span the costs cover: the run's horizon [d]")
    capital_usd: CapitalUSD = Field(description="Overnight capital of what the run had at its peak")
    capital_charge_usd: CapitalUSD = Field(
        description="The capital's annuity over the part of the run each asset existed"
    )
    operating_usd: OperatingUSD
    total_usd: float = Field(description="Capital charge + operating costs over the run [USD]")
    total_usd_per_year: float = Field(description="total_usd over the span, per year [USD/yr]")
    gpu_hours_delivered: float = Field(
        description="Powered GPU-hours at full speed (capped GPUs count their throughput) [GPU-h]"
    )
    cost_per_gpu_hour_usd: float | None = Field(description="total_usd / gpu_hours_delivered [USD/GPU-h]")
    job_gpu_hours: float | None = Field(
        default=None, description="GPU-hours the training job held, at full speed (caps count) [GPU-h]"
    )
    useful_flop: float | None = Field(default=None, description="Model FLOP the job committed [FLOP]")
    cost_per_1e24_flop_usd: float | None = Field(
        default=None,
        description="The job's GPU-hours at the campus cost per GPU-hour, per 1e24 committed model FLOP "
        "[USD]",
    )
    stranded: StrandedCompute
    assumptions: TcoAssumptions


@dataclass(frozen=True)
class GpuFleetUse:
    """One GPU delivery over the run."""

    accelerator: str
    installed: FloatArray
    """Installed GPUs at each step. [-]"""
    delivered: FloatArray
    """Powered GPUs times their throughput factor at each step. [-]"""


@dataclass(frozen=True)
class GeneratorUse:
    """One generator fleet over the run."""

    unit: str | None
    """Catalog id (None: given by its rating)."""
    capacity_mw: float
    """Units x ISO rating. [MW]"""
    available_s: float
    """Time the fleet was on site within the run. [s]"""
    energy_mwh: float
    """Energy it produced. [MWh]"""
    leaves: bool
    """Whether it leaves the site within the run (then it is rented under the catalog rule)."""
    scr: bool
    """Whether it has selective catalytic reduction."""


@dataclass(frozen=True)
class RunUse:
    """What a run used and spent, as plain numbers and arrays."""

    start: dt.date
    dt_s: float
    """Step. [s]"""
    fleets: tuple[GpuFleetUse, ...]
    facility_it_mw: float
    """IT load of all installed GPUs at their peak. [MW]"""
    grid_steps: tuple[tuple[float, float], ...]
    """(seconds from the start, MW) of each step of the interconnect schedule. [s, MW]"""
    generators: tuple[GeneratorUse, ...]
    battery_mw: float
    battery_mwh: float
    battery_available_s: float
    """Time the battery was on site within the run. [s]"""
    grid_cost_usd: float
    fuel_cost_usd: float
    co2_t: float
    grid_monthly_peak_mw: tuple[float, ...]
    """Peak grid draw of each calendar month of the run. [MW]"""
    job_gpu_hours: float | None = None
    useful_flop: float | None = None

    @property
    def horizon_s(self) -> float:
        """The run's span. [s]"""
        n = len(self.fleets[0].installed) if self.fleets else 0
        return n * self.dt_s


def _gpu_capital(use: RunUse, costs: CostAssumptions) -> tuple[float, float, float, float]:
    """(server capital, network capital, server charge, network charge) of the GPU fleets. [USD]"""
    rate = costs.discount_rate
    server = network = server_charge = network_charge = 0.0
    for f in use.fleets:
        price = costs.gpu_usd(f.accelerator)
        net = costs.cluster_usd_per_gpu(f.accelerator) - price
        peak = float(np.max(f.installed, initial=0.0))
        server += peak * price
        network += peak * net
        gpu_years = float(years_of(float(np.sum(f.installed)) * use.dt_s))
        server_charge += gpu_years * float(
            annuity_usd_per_year(price, rate, costs.gpu_life_years(f.accelerator))
        )
        network_charge += gpu_years * float(annuity_usd_per_year(net, rate, costs.book.network.life_years))
    return server, network, float(server_charge), float(network_charge)


def _grid_capital(use: RunUse, costs: CostAssumptions) -> tuple[float, float]:
    """(capital, charge over the run) of the interconnect, each step's added MW from its date. [USD]"""
    capital = charge = 0.0
    before = 0.0
    for start_s, mw in use.grid_steps:
        added = max(0.0, mw - before)
        before = max(before, mw)
        if start_s >= use.horizon_s:
            continue
        cost = added * costs.grid_usd_per_mw
        capital += cost
        held = years_of(use.horizon_s - max(0.0, start_s))
        charge += float(held) * float(
            annuity_usd_per_year(cost, costs.discount_rate, costs.book.grid.life_years)
        )
    return capital, charge


def _generator_costs(use: RunUse, costs: CostAssumptions) -> tuple[float, float, float, float, list[str]]:
    """(capital of bought fleets, their charge, rentals, their O&M, ownership of each fleet). [USD]"""
    capital = charge = rent = om = 0.0
    owned = []
    for g in use.generators:
        terms = costs.generator(g.unit, g.leaves, g.scr)
        owned.append(terms.ownership.value)
        if g.available_s <= 0:  # never on site within the run: nothing bought or rented for it
            continue
        if terms.ownership is Ownership.RENT:
            rent += g.capacity_mw * terms.rental_usd_per_mw_month * float(months_of(g.available_s))
            continue
        cost = g.capacity_mw * terms.purchase_usd_per_mw
        years = float(years_of(g.available_s))
        capital += cost
        charge += years * float(annuity_usd_per_year(cost, costs.discount_rate, terms.life_years))
        om += g.capacity_mw * terms.fixed_om_usd_per_mw_year * years
        om += g.energy_mwh * terms.variable_om_usd_per_mwh
    return capital, charge, rent, om, owned


def _battery_costs(use: RunUse, costs: CostAssumptions) -> tuple[float, float, float]:
    """(capital, charge over the run, fixed O&M) of the battery. [USD]"""
    if use.battery_mw <= 0:
        return 0.0, 0.0, 0.0
    cost = use.battery_mw * costs.battery_usd_per_mw + use.battery_mwh * costs.battery_usd_per_mwh
    years = float(years_of(use.battery_available_s))
    charge = years * float(annuity_usd_per_year(cost, costs.discount_rate, costs.book.battery.life_years))
    om = use.battery_mw * costs.book.battery.fixed_om_usd_per_kw_year * KW_PER_MW * years
    return cost, charge, om


def stranded_compute(use: RunUse, costs: CostAssumptions) -> StrandedCompute:
    """GPU capital idle for lack of power or cooling, per day and over the run. [GPU-h, USD, USD/d]"""
    n = len(use.fleets[0].installed) if use.fleets else 0
    per_step = np.zeros(n)
    idle_gpu_s = 0.0
    installed_gpu_s = 0.0
    charge_installed = 0.0
    for f in use.fleets:
        idle = np.clip(np.asarray(f.installed) - np.asarray(f.delivered), 0.0, None)
        usd_per_gpu_s = costs.gpu_annuity_usd_per_day(f.accelerator) / SECONDS_PER_DAY
        per_step += idle * usd_per_gpu_s * use.dt_s
        idle_gpu_s += float(np.sum(idle)) * use.dt_s
        installed_gpu_s += float(np.sum(f.installed)) * use.dt_s
        charge_installed += float(np.sum(f.installed)) * use.dt_s * usd_per_gpu_s
    day = (np.arange(n) * use.dt_s // SECONDS_PER_DAY).astype(np.int64)
    by_day = np.bincount(day, weights=per_step) if n else np.zeros(0)
    days = max(use.horizon_s / SECONDS_PER_DAY, 1e-12)
    worst = int(np.argmax(by_day)) if len(by_day) and by_day.max() > 0 else None
    return StrandedCompute(
        gpu_hours=idle_gpu_s / SECONDS_PER_HOUR,
        cost_usd=float(per_step.sum()),
        cost_usd_per_day_mean=float(per_step.sum()) / days,
        cost_usd_per_day_peak=float(by_day.max(initial=0.0)),
        peak_day=None if worst is None else (use.start + dt.timedelta(days=worst)).isoformat(),
        gpu_usd_per_gpu_day=charge_installed / installed_gpu_s * SECONDS_PER_DAY if installed_gpu_s else 0.0,
    )


def _capital(**parts: float) -> CapitalUSD:
    return CapitalUSD(**parts, total=sum(parts.values()))


def campus_tco(use: RunUse, costs: CostAssumptions) -> TcoSummary:
    """The campus's total cost of ownership over a run. [USD, GPU-h, FLOP]"""
    years = float(years_of(use.horizon_s))
    server, network, server_charge, network_charge = _gpu_capital(use, costs)
    facility = use.facility_it_mw * costs.facility_usd_per_mw_it
    facility_charge = years * float(
        annuity_usd_per_year(facility, costs.discount_rate, costs.book.facility.life_years)
    )
    grid, grid_charge = _grid_capital(use, costs)
    gen, gen_charge, rent, gen_om, owned = _generator_costs(use, costs)
    batt, batt_charge, batt_om = _battery_costs(use, costs)
    capital = _capital(
        gpus=server, network=network, facility=facility, grid=grid, generators=gen, battery=batt
    )
    charge = _capital(
        gpus=server_charge,
        network=network_charge,
        facility=facility_charge,
        grid=grid_charge,
        generators=gen_charge,
        battery=batt_charge,
    )
    demand = sum(use.grid_monthly_peak_mw) * KW_PER_MW * costs.demand_charge_usd_per_kw_month
    parts = {
        "grid_energy": use.grid_cost_usd,
        "fuel": use.fuel_cost_usd,
        "generator_rentals": rent,
        "generator_om": gen_om,
        "battery_om": batt_om,
        "demand_charges": demand,
        "co2": use.co2_t * costs.co2_price_usd_per_t,
    }
    operating = OperatingUSD(**parts, total=sum(parts.values()))
    total = charge.total + operating.total
    delivered_h = sum(float(np.sum(f.delivered)) for f in use.fleets) * use.dt_s / SECONDS_PER_HOUR
    per_gpu_hour = total / delivered_h if delivered_h > 0 else None
    per_flop = None
    if per_gpu_hour is not None and use.job_gpu_hours and use.useful_flop:
        per_flop = per_gpu_hour * use.job_gpu_hours / (use.useful_flop / FLOP_UNIT)
    return TcoSummary(
        span_days=use.horizon_s / SECONDS_PER_DAY,
        capital_usd=capital,
        capital_charge_usd=charge,
        operating_usd=operating,
        total_usd=total,
        total_usd_per_year=total / years if years > 0 else 0.0,
        gpu_hours_delivered=delivered_h,
        cost_per_gpu_hour_usd=per_gpu_hour,
        job_gpu_hours=use.job_gpu_hours,
        useful_flop=use.useful_flop,
        cost_per_1e24_flop_usd=per_flop,
        stranded=stranded_compute(use, costs),
        assumptions=_assumptions(use, costs, owned),
    )


def _assumptions(use: RunUse, costs: CostAssumptions, owned: list[str]) -> TcoAssumptions:
    accelerators = sorted({f.accelerator for f in use.fleets})
    return TcoAssumptions(
        discount_rate=costs.discount_rate,
        gpu_usd_per_gpu={a: costs.gpu_usd(a) for a in accelerators},
        gpu_life_years={a: costs.gpu_life_years(a) for a in accelerators},
        network_fraction=costs.network_fraction,
        facility_usd_per_mw_it=costs.facility_usd_per_mw_it,
        facility_it_mw=use.facility_it_mw,
        grid_usd_per_mw=costs.grid_usd_per_mw,
        generator_ownership=tuple(owned),
        co2_price_usd_per_t=costs.co2_price_usd_per_t,
        demand_charge_usd_per_kw_month=costs.demand_charge_usd_per_kw_month,
    )
