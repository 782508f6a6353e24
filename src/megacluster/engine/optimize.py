"""The least-cost build of a scenario: its hourly load from the plant models at full training power, the value
of lost load from the GPUs' capital, the grid on its dated schedule, and the candidate fleets, battery
and solar
with their costs; then PyPSA + HiGHS (``economics.solve``).

The load is what the target GPUs draw at full training power (``gpu_load_fraction``), through the facility
overhead at the hour's ambient (the cooling model), within what the cooling plant can carry. Hours are local
standard time, like the simulation clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from megacluster import catalog
from megacluster.catalog.costs import Ownership
from megacluster.cooling.climate import hourly_ambient_c
from megacluster.cooling.overhead import cooling_limit_it_mw, facility_overhead
from megacluster.economics.assumptions import CostAssumptions, cost_assumptions
from megacluster.economics.config import DispatchRule, OptimizeConfig
from megacluster.economics.finance import annuity_usd_per_year
from megacluster.economics.resample import aggregate, resolution_h
from megacluster.economics.site import (
    BatteryCandidate,
    FloatArray,
    GeneratorCandidate,
    PermitGroup,
    SiteInputs,
    SolarCandidate,
)
from megacluster.engine.budget import DEFAULT_MAX_SECONDS, default_max_memory_bytes, fmt_bytes, fmt_seconds
from megacluster.engine.fleets import build_fleets
from megacluster.errors import InputError
from megacluster.power.config import MAX_BATTERY_C_RATE_PER_H, GeneratorFleet, Source
from megacluster.power.constants import BATTERY_SOC_MIN_FRACTION, NOX_LB_PER_MMBTU
from megacluster.power.demand import gpu_power_model
from megacluster.power.generators import ambient_heat_rate_factor, ambient_output_factor
from megacluster.power.meandraw import DrawProfile, scenario_profile
from megacluster.power.supply import date_mask, grid_schedules
from megacluster.scenario.schema import Scenario
from megacluster.units import (
    BTU_PER_KWH_PER_MMBTU_PER_MWH,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    KW_PER_MW,
    MW_PER_W,
    SECONDS_PER_HOUR,
    TimeGrid,
)

if TYPE_CHECKING:
    import pypsa

    from megacluster.economics.result import OptimizeResult

STEP_S = SECONDS_PER_HOUR
"""The least-cost build's inputs are hourly; they are solved at ``economics.optimize.resolution`` (hourly
up to 122 days, 3-hour blocks for a year: ``economics.resample``). [s]"""

BATTERY_UNIT = "megapack-2xl"
"""Catalog battery whose round-trip efficiency a candidate battery has when the scenario has none."""


@dataclass(frozen=True)
class CampusLoad:
    """The hourly load of the target GPUs at full training power."""

    times: np.ndarray[Any, Any]
    ambient_c: FloatArray
    load_mw: FloatArray
    """Facility power at the GPUs' peak draw. [MW]"""
    mean_gap_mw: FloatArray
    """Facility power of the peak draw above the mean draw (``power.meandraw``). [MW]"""
    gpus: FloatArray
    """GPUs in the load. [-]"""
    voll_usd_per_mwh: FloatArray
    """Their capital charge per MWh they draw. [USD/MWh]"""


def campus_load(
    scenario: Scenario, grid: TimeGrid, costs: CostAssumptions, target_gpus: int | None
) -> CampusLoad:
    """The hourly facility load of the installed GPUs (at most ``target_gpus``) at full training power,
    and the
    value of its lost load: the GPUs' capital charge per hour over the MWh they draw. [MW, -, USD/MWh]"""
    times = grid.times
    climate = scenario.site.normals()
    ambient = hourly_ambient_c(times, climate.tmax_c, climate.tmin_c)
    over = facility_overhead(ambient, scenario.facility, *climate.design_pair_c())
    fleets = build_fleets(scenario, grid)
    installed = sum((f.gpus_installed.astype(np.float64) for f in fleets), np.zeros(grid.n))
    scale = np.ones(grid.n)
    if target_gpus is not None:
        scale = np.minimum(1.0, np.divide(target_gpus, installed, out=np.ones(grid.n), where=installed > 0))
    it_mw = np.zeros(grid.n)
    gap_it_mw = np.zeros(grid.n)
    usd_per_h = np.zeros(grid.n)
    profile = scenario_profile(scenario.power.demand) or DrawProfile.measured()
    for f in fleets:
        gpus = f.gpus_installed * scale
        model = gpu_power_model(f.accelerator, f.server, scenario.power.demand)
        peak = min(model.load_fraction, 1.0)
        it_mw += gpus * float(model.per_gpu_w(1.0)) * MW_PER_W
        gap_it_mw += gpus * model.slope_w * (peak - float(profile.mean_fraction(peak))) * MW_PER_W
        usd_per_h += gpus * costs.gpu_annuity_usd_per_day(f.accelerator.id) / HOURS_PER_DAY
    it_max = cooling_limit_it_mw(scenario.facility, over.capacity_factor, float(it_mw.max(initial=0.0)))
    cooled = np.minimum(it_mw, it_max)
    share = np.divide(cooled, it_mw, out=np.zeros(grid.n), where=it_mw > 0)
    load = cooled * over.pue
    voll = np.divide(usd_per_h * share, load, out=np.zeros(grid.n), where=load > 0)
    return CampusLoad(times, ambient, load, gap_it_mw * share * over.pue, installed * scale * share, voll)


def _candidate_name(g: GeneratorFleet, index: int, taken: set[str]) -> str:
    name = g.unit or f"{g.unit_rating_mw():g} MW"
    if g.unit is not None and g.unit_rating_mw() != catalog.generators()[g.unit].rating_mw:
        name = f"{g.unit} {g.unit_rating_mw():g} MW"
    return name if name not in taken else f"{name} #{index}"


@dataclass(frozen=True)
class _Span:
    """The modelled hours and what they cost per MW of a bought asset."""

    load: CampusLoad
    costs: CostAssumptions
    last_day: dt.date

    def years(self, available: np.ndarray[Any, Any]) -> float:
        """Years an asset is on site within the span. [yr]"""
        return float(np.count_nonzero(available)) / HOURS_PER_YEAR


def _candidate(
    span: _Span, g: GeneratorFleet, index: int | None, name: str, scr: bool, permit: str | None
) -> GeneratorCandidate:
    """A candidate fleet of ``g``'s units (from scenario fleet ``index``; None: a catalog class)."""
    ambient = span.load.ambient_c
    available = date_mask(span.load.times, g.available_from, g.available_until)
    leaves = g.available_until is not None and g.available_until < span.last_day
    terms = span.costs.generator(g.unit, leaves, scr)
    years = span.years(available)
    annuity = float(
        annuity_usd_per_year(terms.purchase_usd_per_mw, span.costs.discount_rate, terms.life_years)
    )
    nox = NOX_LB_PER_MMBTU["scr"] if scr else g.nox_rate()
    return GeneratorCandidate(
        name=name,
        unit=g.unit,
        fleet_index=index,
        rating_mw=g.unit_rating_mw(),
        ownership=terms.ownership,
        available=available,
        output_factor=np.asarray(ambient_output_factor(ambient, g.derate_per_c), dtype=np.float64),
        heat_rate_mmbtu_per_mwh=g.heat_rate()
        / BTU_PER_KWH_PER_MMBTU_PER_MWH
        * np.asarray(ambient_heat_rate_factor(ambient), dtype=np.float64),
        co2_kg_per_mmbtu=g.co2_rate(),
        nox_lb_per_mmbtu=nox,
        min_load_fraction=g.min_load(),
        capital_usd_per_mw=(annuity + terms.fixed_om_usd_per_mw_year) * years,
        rental_usd_per_mw_month=terms.rental_usd_per_mw_month,
        variable_om_usd_per_mwh=terms.variable_om_usd_per_mwh if terms.ownership is Ownership.BUY else 0.0,
        max_units=g.count if g.permit is not None else None,
        permit=permit,
        scr=scr,
    )


def generator_candidates(
    scenario: Scenario, span: _Span, cfg: OptimizeConfig
) -> tuple[tuple[GeneratorCandidate, ...], tuple[PermitGroup, ...]]:
    """The scenario's fleets as candidates (a permitted fleet capped at its units, and with an SCR variant
    sharing its permit), plus every catalog generator class the scenario does not use, on site all span."""
    cands: list[GeneratorCandidate] = []
    permits: list[PermitGroup] = []
    taken: set[str] = set()
    for i, g in enumerate(scenario.power.generators):
        name = _candidate_name(g, i, taken)
        taken.add(name)
        permit = None
        if g.permit is not None:
            permit = name
            permits.append(PermitGroup(name, g.permit.nox_t_per_year, g.permit.starts_per_year, g.count))
        has_scr = g.nox_rate() <= NOX_LB_PER_MMBTU["scr"]
        cands.append(_candidate(span, g, i, name, has_scr, permit))
        if permit is not None and cfg.scr_option and not has_scr:
            cands.append(_candidate(span, g, i, f"{name}+scr", True, permit))
    used = {g.unit for g in scenario.power.generators}
    for unit in sorted(set(catalog.generators()) - used):
        g = GeneratorFleet(unit=unit, count=0)
        cands.append(_candidate(span, g, None, unit, g.nox_rate() <= NOX_LB_PER_MMBTU["scr"], None))
    return tuple(cands), tuple(permits)


def battery_candidate(scenario: Scenario, span: _Span) -> BatteryCandidate:
    """A battery sized in power and energy, from the scenario battery's date (else all span)."""
    b = scenario.power.battery
    available = date_mask(span.load.times, b.available_from if b else None, None)
    years = span.years(available)
    c = span.costs
    life = c.book.battery.life_years
    per_mw = float(annuity_usd_per_year(c.battery_usd_per_mw, c.discount_rate, life))
    per_mw += c.book.battery.fixed_om_usd_per_kw_year * KW_PER_MW
    per_mwh = float(annuity_usd_per_year(c.battery_usd_per_mwh, c.discount_rate, life))
    return BatteryCandidate(
        usd_per_mw=per_mw * years,
        usd_per_mwh=per_mwh * years,
        round_trip_efficiency=b.efficiency()
        if b
        else catalog.batteries()[BATTERY_UNIT].round_trip_efficiency,
        soc_min_fraction=b.soc_min_fraction if b else BATTERY_SOC_MIN_FRACTION,
        max_c_rate_per_h=MAX_BATTERY_C_RATE_PER_H,
        available=available,
    )


def solar_candidate(scenario: Scenario, span: _Span) -> SolarCandidate:
    """Solar PV with a pvlib clear-sky profile scaled for clouds (``economics.solar``), all span."""
    from megacluster.economics.solar import solar_profile

    climate = scenario.site.climate
    if not isinstance(climate, str):
        raise InputError(None, "economics.optimize.solar", "solar needs a catalog climate (its latitude)")
    latitude = catalog.climates()[climate].latitude_deg
    profile = solar_profile(span.load.times, latitude, scenario.site.utc_offset_hours(), span.load.ambient_c)
    c = span.costs
    annuity = float(
        annuity_usd_per_year(c.book.solar.usd_per_kw * KW_PER_MW, c.discount_rate, c.book.solar.life_years)
    )
    per_mw = (annuity + c.book.solar.fixed_om_usd_per_kw_year * KW_PER_MW) * len(profile) / HOURS_PER_YEAR
    return SolarCandidate(usd_per_mw=per_mw, profile=profile)


def _grid_before_generators(scenario: Scenario) -> bool:
    order = list(scenario.power.merit_order)
    return order.index(Source.GRID) < order.index(Source.GENERATORS)


def site_inputs(scenario: Scenario) -> SiteInputs:
    """Everything the least-cost build of ``scenario`` needs, over its horizon at the resolution asked
    (``economics.optimize.resolution``; auto: hourly up to 122 days, 3-hour blocks for a year)."""
    econ = scenario.economics
    cfg = econ.optimize if econ is not None else OptimizeConfig()
    costs = cost_assumptions(econ)
    sim = scenario.simulation
    grid = TimeGrid.build(sim.start, sim.horizon_days, STEP_S)
    load = campus_load(scenario, grid, costs, cfg.target_gpus)
    last = (dt.datetime.combine(grid.start, dt.time()) + dt.timedelta(seconds=grid.horizon_s - 1)).date()
    span = _Span(load, costs, last)
    cands, permits = generator_candidates(scenario, span, cfg)
    cap, price, co2 = grid_schedules(scenario.power, grid.times)
    hourly = SiteInputs(
        snapshots=grid.times,
        load_mw=load.load_mw,
        mean_gap_mw=load.mean_gap_mw,
        gpus=load.gpus,
        voll_usd_per_mwh=load.voll_usd_per_mwh,
        grid_cap_mw=cap,
        grid_price_usd_per_mwh=price,
        grid_co2_kg_per_mwh=co2,
        fuel_price_usd_per_mmbtu=scenario.power.fuel_price_usd_per_mmbtu,
        generators=cands,
        permits=permits,
        battery=battery_candidate(scenario, span),
        solar=solar_candidate(scenario, span) if cfg.solar else None,
        co2_price_usd_per_t=costs.co2_price_usd_per_t,
        co2_cap_t=cfg.co2_cap_t,
        reserve=cfg.reserve,
        grid_first=cfg.dispatch is DispatchRule.MERIT_ORDER and _grid_before_generators(scenario),
        whole_units=cfg.whole_units,
    )
    return aggregate(hourly, resolution_h(cfg.resolution, grid.n))


OPTIMIZE_BASE_BYTES = 450e6
"""Interpreter, PyPSA, linopy, xarray and HiGHS loaded, before the model. [B]
[D] peak resident memory of `optimize` runs of 35k-57k variables was 486-559 MB (colossus-2024 123 days,
stargate-abilene 184 days, /usr/bin/time on this 2-core machine, December 2026), rounded down to leave the
per-column term its share."""

COLUMN_BYTES = 8_000.0
"""Memory per model column (a variable over one hour) while linopy builds and HiGHS solves it. [B]
[D] colossus-2025 over 2025: 1,256 MB peak for 166k columns -> (1,256 - 450) MB / 166k = 4.9 kB, rounded
up."""

OPTIMIZE_BASE_SECONDS = 5.0
"""CPU time of building and solving the smallest models (both solves). [s]
[D] 3.1 and 3.3 s for 2 and 14 days of colossus-2025 (benchmarks/bench_optimize.py), rounded up."""

COLUMN_HOUR_SECONDS = 3e-7
"""CPU time per model column and snapshot (an hour, or a block of hours), both solves. [s]
[D] the time grows faster than the model: colossus-2025 took 9.4 s of CPU for 120 days from January (55k
columns), 27.6 s for 120 days from May (32k columns: the NOx cap binds) and 209 s for the year (166k columns,
8,760 h -> 1.4e-7 s per column-hour); 3e-7 covers the May case (benchmarks/bench_optimize.py). With the
simplex for the expansion, IPX for the re-dispatch and 3-hour blocks for the year, the estimate errs high
(54 s against 27.9 s for the year; ratios 1.5-7 on 60-120 days, docs/costs.md, Speed)."""


def model_columns(site: SiteInputs) -> int:
    """Variables of the least-cost build's model, counted from its inputs: per hour the grid, the stranded
    compute, one per generator block (a rented fleet has one per month, each spanning every hour), the
    battery's charger, discharger and store, solar, and units online and start-ups of each block whose permit
    caps start-ups. [-]"""
    from megacluster.economics.network import generator_blocks

    blocks = generator_blocks(site)
    capped = {p.name for p in site.permits if p.starts_per_year is not None}
    committed = sum(1 for b in blocks if b.candidate.permit in capped and b.month is None)
    per_hour = 2 + len(blocks) + 2 * committed + (3 if site.battery is not None else 0)
    per_hour += 1 if site.solar is not None else 0
    return len(site.snapshots) * per_hour


@dataclass(frozen=True)
class OptimizeEstimate:
    """What a least-cost build will cost to solve, estimated from its size before the model is built."""

    hours: int
    """Snapshots (hours, or blocks of hours). [-]"""
    columns: int
    """Variables of the model. [-]"""
    memory_bytes: float
    """Peak memory. [B]"""
    seconds: float
    """CPU time on one core, both solves. [s]"""

    def describe(self) -> str:
        """One line with the drivers of the estimate."""
        return (
            f"{self.hours:,} snapshots x {self.columns // max(self.hours, 1):,} variables each: "
            f"~{fmt_bytes(self.memory_bytes)} and ~{fmt_seconds(self.seconds)}"
        )


def estimate_optimize(site: SiteInputs) -> OptimizeEstimate:
    """Memory and CPU time of ``solve_site(site)`` from the size of its model alone (no model built)."""
    columns = model_columns(site)
    return OptimizeEstimate(
        hours=len(site.snapshots),
        columns=columns,
        memory_bytes=OPTIMIZE_BASE_BYTES + COLUMN_BYTES * columns,
        seconds=OPTIMIZE_BASE_SECONDS + COLUMN_HOUR_SECONDS * columns * len(site.snapshots),
    )


def check_optimize(
    estimate: OptimizeEstimate, max_memory_bytes: float | None = None, max_seconds: float | None = None
) -> None:
    """InputError when the estimate exceeds the limits (``--max-memory``/``--max-time`` raise them)."""
    memory = default_max_memory_bytes() if max_memory_bytes is None else max_memory_bytes
    seconds = DEFAULT_MAX_SECONDS if max_seconds is None else max_seconds
    for need, limit, what, show in (
        (estimate.memory_bytes, memory, "memory", fmt_bytes),
        (estimate.seconds, seconds, "time", fmt_seconds),
    ):
        if need > limit:
            raise InputError(
                None,
                "simulation.horizon_days",
                f"this least-cost build would need {estimate.describe()}, over the {what} limit of "
                f"{show(limit)}; use a shorter horizon (--days), a coarser --resolution or raise "
                f"--max-{what} knowingly",
            )


def prepare_site(
    scenario: Scenario, max_memory_bytes: float | None = None, max_seconds: float | None = None
) -> SiteInputs:
    """The inputs of the least-cost build of ``scenario``; InputError, before any model is built, when it is
    estimated to need more memory or time than the limits (``engine.budget``'s defaults)."""
    site = site_inputs(scenario)
    check_optimize(estimate_optimize(site), max_memory_bytes, max_seconds)
    return site


def optimize_scenario(
    scenario: Scenario, site: SiteInputs | None = None
) -> tuple[pypsa.Network, OptimizeResult, SiteInputs]:
    """The least-cost build of ``scenario`` (inputs from :func:`prepare_site` unless given): the solved PyPSA
    network, the typed result and its inputs."""
    from megacluster.economics.solve import solve_site

    site = prepare_site(scenario) if site is None else site
    network, result = solve_site(site, scenario.name)
    return network, result, site
