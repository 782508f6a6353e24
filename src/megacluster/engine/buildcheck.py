"""The least-cost build fed back into the simulator: the build as a scenario's ``[power]`` section, and the
energy by source of a simulation of it against the optimiser's figures.

The optimiser sees hourly means, continuous commitment, no start-up delays and no forced outages; the
simulation sees 5-minute steps (or the scenario's step), whole-unit commitment with minimum loads, start-ups,
ramps, random outages and the battery's reserve rule. Where the two differ by more than a few per cent of the
load's energy, that difference is what the LP's simplifications are worth (``docs/costs.md``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from megacluster.economics.constants import CHECK_TOLERANCE_OF_LOAD
from megacluster.economics.result import BuiltFleet, OptimizeResult, SimulationCheck, SourceCheck
from megacluster.economics.site import GeneratorCandidate, SiteInputs
from megacluster.engine.simulate import simulate
from megacluster.power.config import (
    AirPermit,
    BatteryConfig,
    GeneratorFleet,
    NoxControl,
    PermitMode,
    PowerConfig,
)
from megacluster.scenario.schema import Scenario

MIN_BATTERY_MW = 0.1
"""A battery smaller than this is left out of the simulated build. [MW]"""


def _month_span(month: str, first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    """First and last day of month ``YYYY-MM``, within the candidate's own dates."""
    year, mon = (int(x) for x in month.split("-"))
    lo = dt.date(year, mon, 1)
    hi = dt.date(year, mon, calendar.monthrange(year, mon)[1])
    return (max(lo, first) if first else lo), (min(hi, last) if last else hi)


def _rental_runs(built: BuiltFleet) -> list[tuple[int, str, str]]:
    """(units, first month, last month) of each run of consecutive months renting the same count."""
    runs: list[tuple[int, str, str]] = []
    for month in sorted(built.monthly_units):
        units = round(built.monthly_units[month])
        if units <= 0:
            continue
        if runs and runs[-1][0] == units and _next_month(runs[-1][2]) == month:
            runs[-1] = (units, runs[-1][1], month)
        else:
            runs.append((units, month, month))
    return runs


def _next_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def _fleet_base(scenario: Scenario, cand: GeneratorCandidate) -> dict[str, Any]:
    """The candidate's fleet parameters (the scenario fleet's, or the catalog unit's)."""
    if cand.fleet_index is None:
        return {"unit": cand.unit}
    g = scenario.power.generators[cand.fleet_index]
    data = g.model_dump(exclude={"count", "permit"}, exclude_none=True)
    if cand.scr:
        data.pop("nox_lb_per_mmbtu", None)
        data["nox_control"] = NoxControl.SCR
    return data


def _permit(scenario: Scenario, cand: GeneratorCandidate, result: OptimizeResult, built: BuiltFleet) -> Any:
    """The permit of a built candidate, its caps shared among its group's candidates by their NOx in the
    build, in ``respect`` mode (the optimiser respects it)."""
    if cand.fleet_index is None or cand.permit is None:
        return None
    permit = scenario.power.generators[cand.fleet_index].permit
    if permit is None:
        return None
    group = [f for f in result.generators if f.candidate.split("+")[0] == cand.permit]
    total = sum(f.nox_t for f in group)
    share = built.nox_t / total if total > 0 else 1.0 / max(len(group), 1)
    nox = None if permit.nox_t_per_year is None else permit.nox_t_per_year * share
    return AirPermit(nox_t_per_year=nox, starts_per_year=permit.starts_per_year, mode=PermitMode.RESPECT)


def built_generators(
    scenario: Scenario, result: OptimizeResult, site: SiteInputs
) -> tuple[GeneratorFleet, ...]:
    """The build's generator fleets: a bought fleet from its first day, a rented one per run of months."""
    by_name = {c.name: c for c in site.generators}
    fleets = []
    for built in result.generators:
        cand = by_name[built.candidate]
        base = _fleet_base(scenario, cand)
        permit = _permit(scenario, cand, result, built)
        first = dt.date.fromisoformat(built.available_from) if built.available_from else None
        last = dt.date.fromisoformat(built.available_until) if built.available_until else None
        if not built.monthly_units:
            count = round(built.units)
            if count > 0:
                fleets.append(
                    GeneratorFleet.model_validate(
                        {
                            **base,
                            "count": count,
                            "available_from": first,
                            "available_until": last,
                            "permit": permit,
                        }
                    )
                )
            continue
        for units, lo, hi in _rental_runs(built):
            start, _ = _month_span(lo, first, last)
            _, end = _month_span(hi, first, last)
            fleets.append(
                GeneratorFleet.model_validate(
                    {
                        **base,
                        "count": units,
                        "available_from": start,
                        "available_until": end,
                        "permit": permit,
                    }
                )
            )
    return tuple(fleets)


def scenario_with_build(scenario: Scenario, result: OptimizeResult, site: SiteInputs) -> Scenario:
    """``scenario`` with the least-cost build as its generators and battery, and without its training run
    (the plant is what is compared). Solar is not simulated."""
    battery = None
    if result.battery is not None and result.battery.power_mw >= MIN_BATTERY_MW:
        old = scenario.power.battery
        battery = BatteryConfig(
            power_mw=result.battery.power_mw,
            energy_mwh=max(result.battery.energy_mwh, result.battery.power_mw / 4.0),
            round_trip_efficiency=site.battery.round_trip_efficiency if site.battery else None,
            available_from=dt.date.fromisoformat(result.battery.available_from)
            if result.battery.available_from
            else None,
            soc_min_fraction=old.soc_min_fraction
            if old
            else BatteryConfig.model_fields["soc_min_fraction"].default,
        )
    power: PowerConfig = scenario.power.model_copy(
        update={"generators": built_generators(scenario, result, site), "battery": battery}
    )
    return scenario.model_copy(update={"power": power, "training": None})


def check_build(
    scenario: Scenario, result: OptimizeResult, site: SiteInputs, seed: int | None = None
) -> SimulationCheck:
    """Simulate the build over the scenario's horizon and step and compare its energy by source with the
    optimiser's. [MWh, -]"""
    built = scenario_with_build(scenario, result, site)
    seed = scenario.simulation.seed if seed is None else seed
    summary = simulate(built, seed=seed, replicas=1).summary
    e, lp = summary.energy_mwh, result.energy_mwh
    pairs = (
        ("grid", lp.grid, e.grid),
        ("generators", lp.generators, e.generators),
        ("battery discharge", lp.battery_discharge, e.battery_discharge),
        ("unserved", lp.unserved, summary.unserved_energy_mwh),
    )
    load = max(lp.load, 1e-9)
    sources = tuple(
        SourceCheck(source=name, optimiser_mwh=a, simulator_mwh=b, difference_of_load=(b - a) / load)
        for name, a, b in pairs
    )
    worst = max(abs(s.difference_of_load) for s in sources)
    return SimulationCheck(
        step_s=built.simulation.step,
        seed=seed,
        sources=sources,
        worst_difference_of_load=worst,
        tolerance_of_load=CHECK_TOLERANCE_OF_LOAD,
        agrees=worst <= CHECK_TOLERANCE_OF_LOAD,
        gpus_powered_mean=summary.gpus_powered_mean,
        curtailed_hours=summary.curtailed_hours,
        permit_exceedances=len(summary.permit.exceedances),
    )
