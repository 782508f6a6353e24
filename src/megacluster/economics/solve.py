"""Solving the least-cost build with HiGHS and reading the answer back: what to build, its cost split, energy
by source, emissions and the GPUs it keeps running.

``solve_site(site, scenario)`` builds the PyPSA network (``economics.network``), adds the constraints
PyPSA does not have (``economics.constraints``), solves it with HiGHS and returns the network (for
NetCDF) and a typed :class:`~megacluster.economics.result.OptimizeResult`.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from megacluster.catalog.costs import Ownership
from megacluster.economics.constraints import add_constraints
from megacluster.economics.network import (
    BATTERY_STORE,
    CHARGE,
    DISCHARGE,
    GRID,
    LB_T,
    SOLAR,
    STRANDED,
    GeneratorBlock,
    Layout,
    build_network,
)
from megacluster.economics.quiet import quiet
from megacluster.economics.result import (
    BuiltFleet,
    BuiltSolar,
    BuiltStorage,
    CostSplit,
    EmissionSplit,
    EnergySplit,
    GpusKept,
    OptimizeResult,
    SolverReport,
)
from megacluster.economics.site import GeneratorCandidate, SiteInputs
from megacluster.errors import MegaclusterError
from megacluster.units import KG_PER_T

if TYPE_CHECKING:
    import pypsa

SOLVER = "highs"

RELAXATIONS = (
    "hourly energy balance on the hour's mean ambient, no 5-minute swings, no start-up delays or ramps; "
    "beyond 122 days (auto) hours are averaged in blocks of 2-6 h (result.step_h), each weighing its hours",
    "whole units: the least-cost build with fractional units, rounded up (within each permit's units) and "
    "dispatched again; the fractional build's cost is a lower bound (solver.relaxed_objective_usd)",
    "commitment is continuous (clustered unit commitment) and modelled only for fleets whose permit caps "
    "start-ups; elsewhere units run anywhere between 0 and their rating",
    "full-load heat rate at the hour's ambient (no part-load penalty), so fuel and NOx read low at part load",
    "no random forced outages: an N-1 reserve of the largest unit stands for them",
    "dispatched for the GPUs' peak draw; energy, fuel, costs and emissions are reported at their mean draw "
    "(the gap off the grid first, as in the simulation), while the NOx cap binds the peak-basis output",
    "unserved load idles GPUs pro rata at the value of lost load, never power caps",
)


class SolveError(MegaclusterError):
    """The solver did not find the least-cost build."""


SOLVER_OPTIONS = {"solver": "simplex", "output_flag": False}
"""The relaxed expansion LP by HiGHS's dual simplex. HiPO (HiGHS's new interior-point solver) needs BLAS and
METIS that the highspy 1.16 wheel lacks: asked for, it prints an 'ERROR' line and runs the dual simplex
anyway, so the simplex is asked for directly. Measured (60 days of colossus-2025 from May, hourly, CPU of
the first solve): simplex 3.4 s, IPX without crossover 10.2 s, IPX with crossover 11.2 s (docs/costs.md,
Speed)."""

DISPATCH_OPTIONS = {"solver": "ipm", "run_crossover": "off", "output_flag": False}
"""The whole-unit build's dispatch (no capacity variables left) by HiGHS's interior point (IPX) without
crossover: 0.6 s of CPU against the simplex's 1.5 s on the same 60 days; a dispatch needs no basic
solution. [-]"""

UNIT_TOLERANCE = 1e-3
"""Fractions of a unit below this are rounded away. [-]"""


def _optimize(
    n: pypsa.Network, site: SiteInputs, layout: Layout, options: dict[str, Any] = SOLVER_OPTIONS
) -> None:
    status, condition = n.optimize(
        solver_name=SOLVER,
        extra_functionality=lambda net, _snapshots: add_constraints(net, site, layout),
        solver_options=dict(options),
        io_api="direct",
        progress=False,
    )
    if status != "ok":
        raise SolveError(f"HiGHS found no least-cost build: {status} ({condition})")


def whole_units(n: pypsa.Network, site: SiteInputs, layout: Layout) -> dict[str, int]:
    """The relaxed build's units rounded up to whole units, each permit's unit cap kept by taking back the
    units rounded up the most. [-]"""
    exact = {
        b.name: float(n.generators.at[b.name, "p_nom_opt"]) / b.candidate.rating_mw for b in layout.blocks
    }
    units = {name: math.ceil(u - UNIT_TOLERANCE) if u > UNIT_TOLERANCE else 0 for name, u in exact.items()}
    for permit in site.permits:
        if permit.max_units is None:
            continue
        group = [b.name for b in layout.blocks if b.candidate.permit == permit.name]
        while sum(units[g] for g in group) > permit.max_units:
            worst = max((g for g in group if units[g] > 0), key=lambda g: units[g] - exact[g])
            units[worst] -= 1
    return units


def fix_build(n: pypsa.Network, layout: Layout, units: dict[str, int]) -> None:
    """Make the build fixed capacities: generators at their whole units, battery and solar as solved."""
    for b in layout.blocks:
        n.generators.at[b.name, "p_nom"] = units[b.name] * b.candidate.rating_mw
        n.generators.at[b.name, "p_nom_mod"] = b.candidate.rating_mw
        n.generators.at[b.name, "p_nom_extendable"] = False
    if layout.battery:
        charger_mw = float(n.links.at[CHARGE, "p_nom_opt"])
        n.links.at[CHARGE, "p_nom"] = charger_mw
        n.links.at[DISCHARGE, "p_nom"] = charger_mw / float(n.links.at[DISCHARGE, "efficiency"])
        for link in (CHARGE, DISCHARGE):
            n.links.at[link, "p_nom_extendable"] = False
        n.stores.at[BATTERY_STORE, "e_nom"] = float(n.stores.at[BATTERY_STORE, "e_nom_opt"])
        n.stores.at[BATTERY_STORE, "e_nom_extendable"] = False
    if layout.solar:
        n.generators.at[SOLAR, "p_nom"] = float(n.generators.at[SOLAR, "p_nom_opt"])
        n.generators.at[SOLAR, "p_nom_extendable"] = False


def solve_site(site: SiteInputs, scenario: str) -> tuple[pypsa.Network, OptimizeResult]:
    """Build, solve and read back the least-cost build of ``site``: the relaxed expansion LP, then (whole
    units) its units rounded up and the hourly dispatch of that build solved again. [USD, MWh, t, -]"""
    start = time.perf_counter()
    with quiet():
        n, layout = build_network(site)
        _optimize(n, site, layout)
        size = (int(n.model.nvars), int(n.model.ncons))
        bound = _costs_total(n, site, layout)
        if site.whole_units:
            fix_build(n, layout, whole_units(n, site, layout))
            _optimize(n, site, layout, DISPATCH_OPTIONS)
    seconds = time.perf_counter() - start
    partial = SolverReport(
        solver=f"{SOLVER} ({SOLVER_OPTIONS['solver']}; whole-unit dispatch {DISPATCH_OPTIONS['solver']})",
        status="ok",
        condition="optimal",
        seconds=seconds,
        objective_usd=0.0,
        relaxed_objective_usd=bound,
        snapshots=len(n.snapshots),
        variables=size[0],
        constraints=size[1],
    )
    result = read_result(n, site, layout, scenario, partial)
    report = partial.model_copy(update={"objective_usd": result.costs.total})
    return n, result.model_copy(update={"solver": report})


def _costs_total(n: pypsa.Network, site: SiteInputs, layout: Layout) -> float:
    """The solved build's cost as read back (energy at the GPUs' mean draw). [USD]"""
    blank = SolverReport(
        solver="",
        status="",
        condition="",
        seconds=0.0,
        objective_usd=0.0,
        relaxed_objective_usd=0.0,
        snapshots=0,
        variables=0,
        constraints=0,
    )
    return read_result(n, site, layout, "", blank).costs.total


def _p(n: pypsa.Network, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(n.generators_t.p[name], dtype=np.float64)


def _starts(n: pypsa.Network, block: GeneratorBlock) -> float | None:
    name = f"start_ups {block.name}"
    if name not in n.model.variables:
        return None
    return float(n.model.variables[name].solution.sum())


def mean_flows(n: pypsa.Network, site: SiteInputs, layout: Layout) -> dict[str, np.ndarray[Any, Any]]:
    """The grid's and each generator block's output at the GPUs' mean draw, by name: the build is dispatched
    for the peak draw (what the supply must carry), and the peak-to-mean gap comes off the grid import first,
    then off the generators in proportion, as in the simulation (``power.meandraw``). [MW]"""
    grid = _p(n, GRID)
    gens = {b.name: _p(n, b.name) for b in layout.blocks}
    gap = np.asarray(site.mean_gap_mw, dtype=np.float64)
    grid_cut = np.minimum(gap, np.clip(grid, 0.0, None))
    total = sum(gens.values(), np.zeros_like(grid))
    gen_cut = np.minimum(gap - grid_cut, total)
    keep = np.divide(total - gen_cut, total, out=np.ones_like(total), where=total > 0)
    return {GRID: grid - grid_cut, **{name: p * keep for name, p in gens.items()}}


def _fleet(
    n: pypsa.Network,
    site: SiteInputs,
    c: GeneratorCandidate,
    blocks: list[GeneratorBlock],
    flows: dict[str, np.ndarray[Any, Any]],
) -> BuiltFleet:
    """One candidate's part of the build, summed over its blocks (one when bought, one a month when
    rented), its energy, fuel and emissions at the GPUs' mean draw."""
    energy = fuel = om = nox = co2 = capital = mw_hours = 0.0
    monthly: dict[str, float] = {}
    starts: float | None = None
    units_built = 0.0
    w = site.weights_h
    for b in blocks:
        p = flows[b.name] * w  # MWh in each snapshot
        nom = float(n.generators.at[b.name, "p_nom_opt"])
        units = nom / c.rating_mw
        hr = c.heat_rate_mmbtu_per_mwh
        energy += float(p.sum())
        fuel += float((p * hr).sum()) * site.fuel_price_usd_per_mmbtu
        om += float(p.sum()) * (c.variable_om_usd_per_mwh if b.month is None else 0.0)
        nox += float((p * hr).sum()) * c.nox_lb_per_mmbtu * LB_T
        co2 += float((p * hr).sum()) * c.co2_kg_per_mmbtu / KG_PER_T
        capital += nom * float(n.generators.at[b.name, "capital_cost"])
        mw_hours += nom * float(np.sum(w[b.p_max_pu > 0]))
        block_starts = _starts(n, b)
        if block_starts is not None:
            starts = (starts or 0.0) + block_starts
        if b.month is not None:
            monthly[b.month] = units
        units_built = max(units_built, units)
    days = np.asarray(site.snapshots)[c.available].astype("datetime64[D]")
    return BuiltFleet(
        candidate=c.name,
        unit=c.unit,
        ownership=c.ownership.value,
        rating_mw=c.rating_mw,
        units=units_built,
        capacity_mw=units_built * c.rating_mw,
        monthly_units=monthly,
        available_from=str(days.min()) if len(days) else None,
        available_until=str(days.max()) if len(days) else None,
        energy_mwh=energy,
        capacity_factor=energy / mw_hours if mw_hours > 0 else 0.0,
        starts=starts,
        nox_t=nox,
        co2_t=co2,
        scr=c.scr,
        capital_usd=capital,
        fuel_usd=fuel,
        om_usd=om,
    )


def _battery(n: pypsa.Network, site: SiteInputs, layout: Layout) -> BuiltStorage | None:
    if not layout.battery or site.battery is None:
        return None
    power = float(n.links.at[CHARGE, "p_nom_opt"])  # = the discharger's output rating at the campus bus
    energy = float(n.stores.at[BATTERY_STORE, "e_nom_opt"])
    days = np.asarray(site.snapshots)[site.battery.available].astype("datetime64[D]")
    return BuiltStorage(
        power_mw=power,
        energy_mwh=energy,
        available_from=str(days.min()) if len(days) else None,
        discharge_mwh=float(-(np.asarray(n.links_t.p1[DISCHARGE]) * site.weights_h).sum()),
        charge_mwh=float((np.asarray(n.links_t.p0[CHARGE]) * site.weights_h).sum()),
        capital_usd=power * float(n.links.at[CHARGE, "capital_cost"])
        + energy * float(n.stores.at[BATTERY_STORE, "capital_cost"]),
    )


def _solar(n: pypsa.Network, site: SiteInputs, layout: Layout) -> BuiltSolar | None:
    if not layout.solar:
        return None
    mw = float(n.generators.at[SOLAR, "p_nom_opt"])
    w = site.weights_h
    return BuiltSolar(
        capacity_mw=mw,
        energy_mwh=float((_p(n, SOLAR) * w).sum()),
        capacity_factor=float(np.average(n.generators_t.p_max_pu[SOLAR], weights=w)),
        capital_usd=mw * float(n.generators.at[SOLAR, "capital_cost"]),
    )


def _gpus(site: SiteInputs, shed: np.ndarray[Any, Any]) -> GpusKept:
    share = np.divide(shed, site.load_mw, out=np.zeros_like(shed), where=site.load_mw > 0)
    powered = site.gpus * (1.0 - np.clip(share, 0.0, 1.0))
    w = site.weights_h
    return GpusKept(
        target_mean=float(np.average(site.gpus, weights=w)),
        powered_mean=float(np.average(powered, weights=w)),
        powered_min=float(np.min(powered, initial=float(np.max(site.gpus, initial=0.0)))),
        stranded_gpu_hours=float(np.sum((site.gpus - powered) * w)),
        hours_short=float(np.sum(w[shed > 1e-6 * np.maximum(site.load_mw, 1.0)])),
    )


def read_result(
    n: pypsa.Network, site: SiteInputs, layout: Layout, scenario: str, report: SolverReport
) -> OptimizeResult:
    """The solved network read back as the build, its costs, energy, emissions and GPUs. [USD, MWh, t]"""
    flows = mean_flows(n, site, layout)
    fleets = [
        _fleet(n, site, c, [b for b in layout.blocks if b.candidate.name == c.name], flows)
        for c in site.generators
    ]
    battery, solar = _battery(n, site, layout), _solar(n, site, layout)
    w = site.weights_h
    grid, shed = flows[GRID] * w, _p(n, STRANDED) * w  # MWh in each snapshot
    co2_grid = float((grid * site.grid_co2_kg_per_mwh).sum()) / KG_PER_T
    co2_gen = sum(f.co2_t for f in fleets)
    costs = {
        "generator_capital": sum(f.capital_usd for f in fleets if f.ownership == Ownership.BUY.value),
        "generator_rent": sum(f.capital_usd for f in fleets if f.ownership == Ownership.RENT.value),
        "battery": battery.capital_usd if battery else 0.0,
        "solar": solar.capital_usd if solar else 0.0,
        "fuel": sum(f.fuel_usd for f in fleets),
        "generator_om": sum(f.om_usd for f in fleets),
        "grid_energy": float((grid * site.grid_price_usd_per_mwh).sum()),
        "co2_price": (co2_grid + co2_gen) * site.co2_price_usd_per_t,
        "stranded_compute": float((shed * site.voll_usd_per_mwh).sum()),
    }
    nox_by_permit: dict[str, float] = {}
    for f, c in zip(fleets, site.generators, strict=True):
        if c.permit is not None:
            nox_by_permit[c.permit] = nox_by_permit.get(c.permit, 0.0) + f.nox_t
    first = np.datetime64(site.snapshots[0], "s").astype(dt.datetime)
    return OptimizeResult(
        scenario=scenario,
        start_date=first.isoformat(),
        hours=round(site.hours),
        step_h=site.step_h,
        value_of_lost_load_usd_per_mwh=float(np.mean(site.voll_usd_per_mwh)),
        co2_price_usd_per_t=site.co2_price_usd_per_t,
        co2_cap_t=site.co2_cap_t,
        generators=tuple(f for f in fleets if f.units > 1e-9),
        battery=battery,
        solar=solar,
        costs=CostSplit(**costs, total=sum(costs.values())),
        energy_mwh=EnergySplit(
            load=float(((site.load_mw - site.mean_gap_mw) * w).sum()),
            grid=float(grid.sum()),
            generators=sum(f.energy_mwh for f in fleets),
            battery_discharge=battery.discharge_mwh if battery else 0.0,
            battery_charge=battery.charge_mwh if battery else 0.0,
            solar=solar.energy_mwh if solar else 0.0,
            unserved=float(shed.sum()),
        ),
        emissions_t=EmissionSplit(
            co2_grid=co2_grid,
            co2_generators=co2_gen,
            nox=sum(f.nox_t for f in fleets),
            nox_by_permit=nox_by_permit,
        ),
        gpus=_gpus(site, _p(n, STRANDED)),
        solver=report,
        relaxations=RELAXATIONS,
    )
