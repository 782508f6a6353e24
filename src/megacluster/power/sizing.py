"""Capacity sizing, its pure pieces: the bisection, the candidate plants' ``[power]`` sections, their costs,
and the result types. The search that runs the plant for a scenario lives in ``engine/sizing.py``.

Sizing answers: the fewest generator units (and optionally the battery) that keep N GPUs powered.

Why a bisection over ``simulate_plant`` rather than a linear program (e.g. PyPSA + HiGHS): the question is
"does this plant keep every GPU running at every step", and the answer depends on what an LP cannot express
without integer variables and much modelling — whole-unit commitment with minimum load, start-up delays, ramp
limits, random forced outages (drawn per unit, so adding a unit never removes another's availability), ambient
derating and the battery's state of charge. The simulation already models all of that; feasibility is monotone
in the unit count, so a bisection needs only ~log2(units) runs of about a second each for a year at 5 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from megacluster import catalog
from megacluster.power.config import BatteryConfig, GeneratorFleet, PowerConfig
from megacluster.power.constants import LB_T, NOX_LB_PER_MMBTU
from megacluster.power.plant import PlantResult
from megacluster.power.totals import plant_totals
from megacluster.units import HOURS_PER_YEAR, KW_PER_MW, SECONDS_PER_HOUR

GAS_CT_CAPEX_USD_PER_KW = 1092.8
"""[P via GitHub] facts-plant.md 4: NREL ATB 2024 (ReEDS conv_ATB_2024.csv) Gas-CT overnight capex, 2024."""

BATTERY_2H_CAPEX_USD_PER_KW = 1058.0
"""[P via GitHub] facts-plant.md 7: NREL ATB 2024 moderate, utility Li-ion 2-hour overnight capex, 2024."""

BATTERY_HOURS = 2.0
"""[U] facts-plant.md 7: Megapack 2 XL 1.927 MW / 3.854 MWh = 2-hour (0.5 C); sized batteries use it."""

MAX_UNITS = 10_000
"""Largest generator count searched (the schema's limit)."""

BATTERY_STEPS = 40
"""The battery energy of a trade-off is bisected on this many steps of the largest size searched. [-]"""

BATTERY_UNIT = "megapack-2xl"
"""Catalog battery whose round-trip efficiency a sized battery has."""

DEFAULT_UNIT = "smt-130"
"""Generator unit sized when neither the command nor the scenario names one."""

GUESS_MARGIN = 1.3
GUESS_EXTRA_UNITS = 2
"""[A] first count tried: the peak deficit in derated units, x 1.3 and + 2 for outages, start-ups and reserve,
so the doubling search usually starts feasible and the bisection needs no doubling."""


@dataclass(frozen=True)
class SizingPoint:
    """One feasible (or not) plant: generator count and battery energy."""

    generators: int
    battery_mwh: float
    feasible: bool
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SizingResult:
    """The answer to 'how much supply keeps N GPUs powered'."""

    target_gpus: int
    accelerator: str
    unit: str
    unit_rating_mw: float
    grid_peak_mw: float
    peak_demand_mw: float
    """Facility demand of the N GPUs at the horizon's hottest step. [MW]"""
    peak_ambient_c: float
    derated_unit_mw: float
    """One unit's output at the peak-demand ambient. [MW]"""
    best: SizingPoint | None
    """Fewest generators with the scenario's battery (None: not feasible within MAX_UNITS)."""
    battery_tradeoffs: tuple[SizingPoint, ...] = ()
    """Fewer generators with the smallest battery that still keeps every GPU powered."""
    evaluations: int = 0
    n_plus_1: bool = False
    """Whether the plant was sized with one grid transformer or feeder out (N+1)."""
    limits: tuple[str, ...] = ()
    """Why no count is feasible: each limit the largest plant tried cannot meet."""
    heatwave: str = ""
    """The heat event the plant was sized through ('' for none)."""
    permit: str = ""
    """The air permit the sized units run under ('' for none)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form. [MW, MWh, USD, t]"""

        def point(p: SizingPoint | None) -> dict[str, Any] | None:
            if p is None:
                return None
            return {
                "generators": p.generators,
                "battery_mwh": p.battery_mwh,
                "feasible": p.feasible,
                **p.summary,
            }

        return {
            "target_gpus": self.target_gpus,
            "accelerator": self.accelerator,
            "unit": self.unit,
            "unit_rating_mw": self.unit_rating_mw,
            "grid_peak_mw": self.grid_peak_mw,
            "peak_demand_mw": self.peak_demand_mw,
            "peak_ambient_c": self.peak_ambient_c,
            "derated_unit_mw": self.derated_unit_mw,
            "best": point(self.best),
            "battery_tradeoffs": [point(p) for p in self.battery_tradeoffs],
            "evaluations": self.evaluations,
            "method": "bisection over simulate_plant (whole units, outages, start-ups, ambient derating)",
            "n_plus_1": self.n_plus_1,
            "limits": list(self.limits),
            "heatwave": self.heatwave,
            "permit": self.permit,
        }


def smallest_feasible(feasible: Callable[[int], bool], lo: int, hi: int) -> int | None:
    """Smallest integer in [lo, hi] where the monotone predicate holds, or None. [-]"""
    if not feasible(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if feasible(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def sizing_evaluations(battery_tradeoffs: int) -> int:
    """Plant simulations a sizing run makes at most: a doubling search and a bisection over up to
    ``MAX_UNITS`` units, then a bisection over ``BATTERY_STEPS`` battery sizes per trade-off. [-]"""
    doublings = math.ceil(math.log2(MAX_UNITS))
    return 2 + 2 * doublings + battery_tradeoffs * (math.ceil(math.log2(BATTERY_STEPS)) + 2)


def first_guess_units(deficit_mw: float, derated_unit_mw: float) -> int:
    """First generator count tried: the peak deficit in derated units, with a margin. [-]"""
    units = math.ceil(deficit_mw / max(derated_unit_mw, 1e-9) * GUESS_MARGIN) + GUESS_EXTRA_UNITS
    return min(MAX_UNITS, max(1, units))


def sized_unit(generators: tuple[GeneratorFleet, ...], unit: str | None) -> str:
    """The generator unit to size: ``unit`` if given, else the largest catalog unit among ``generators``,
    else ``DEFAULT_UNIT``. Raises ValueError for an unknown unit."""
    if unit is not None:
        if unit not in catalog.generators():
            raise ValueError(f"unknown generator unit '{unit}'")
        return unit
    rated = [g for g in generators if g.unit is not None]
    if rated:
        return str(max(rated, key=lambda g: g.unit_rating_mw()).unit)
    return DEFAULT_UNIT


def template_fleet(generators: tuple[GeneratorFleet, ...], unit: str) -> GeneratorFleet | None:
    """The scenario fleet whose emission controls and air permit sized units of ``unit`` inherit: the first of
    that unit with a permit (the law the new units run under), else the first of that unit."""
    same = [g for g in generators if g.unit == unit]
    permitted = [g for g in same if g.permit is not None]
    chosen = permitted or same
    return chosen[0] if chosen else None


def sized_fleet(unit: str, generators: int, template: GeneratorFleet | None) -> GeneratorFleet:
    """``generators`` units of ``unit``, available all horizon, with the template's controls and permit (the
    catalog rating: a rating override of the template is not carried). [-]"""
    if template is None:
        return GeneratorFleet(unit=unit, count=generators)
    keep = template.model_dump(
        exclude_unset=True, exclude={"count", "available_from", "available_until", "rating_mw", "unit"}
    )
    return GeneratorFleet.model_validate({**keep, "unit": unit, "count": generators})


def n_minus_1_grid(power: PowerConfig) -> PowerConfig:
    """``power`` with its grid limited to what one transformer or feeder out leaves (N+1 sizing); ValueError
    without an interconnect to take one out of. [MW]"""
    link = power.interconnect
    if link is None:
        raise ValueError("sizing for N+1 needs [power.interconnect] (transformers, feeders) to take one out")
    firm = link.capacity_mw(1)
    grid = tuple(step.model_copy(update={"mw": min(step.mw, firm)}) for step in power.grid)
    return power.model_copy(update={"grid": grid, "interconnect": None})


def candidate_power(
    power: PowerConfig,
    unit: str,
    generators: int,
    battery_mwh: float | None,
    reserve_units: int,
    template: GeneratorFleet | None = None,
) -> PowerConfig:
    """``power`` with ``generators`` x ``unit`` (with ``template``'s controls and permit) as its only fleet
    and, when ``battery_mwh`` is given, a 2-hour battery of that energy (none at 0). A sized battery is the
    reserve; without one the units run N + ``reserve_units``. [MWh]"""
    update: dict[str, Any] = {
        "generators": (sized_fleet(unit, generators, template),),
        "spinning_reserve_units": reserve_units if battery_mwh is None else 0,
    }
    if battery_mwh is not None:
        update["battery"] = (
            BatteryConfig(
                power_mw=battery_mwh / BATTERY_HOURS,
                energy_mwh=battery_mwh,
                round_trip_efficiency=catalog.batteries()[BATTERY_UNIT].round_trip_efficiency,
            )
            if battery_mwh > 0
            else None
        )
    return power.model_copy(update=update)


def sizing_costs(result: PlantResult, generators: int, unit: str) -> dict[str, Any]:
    """Energy, fuel, operating cost and emissions of a candidate plant over the run and per year, and the
    capital cost of its generators and battery. [MWh, MMBtu, USD, t]"""
    totals = plant_totals(result)
    rating = catalog.generators()[unit].rating_mw
    batt_mw = result.battery_energy_mwh / BATTERY_HOURS
    years = max(len(result.times) * result.dt_s / SECONDS_PER_HOUR / HOURS_PER_YEAR, 1e-9)
    return {
        "energy_mwh": totals.energy_mwh.model_dump(),
        "fuel_mmbtu": totals.fuel_mmbtu,
        "operating_cost_usd": totals.cost_usd.model_dump(),
        "emissions_t": totals.emissions_t.model_dump(),
        "per_year": {
            "co2_t": totals.emissions_t.co2 / years,
            "nox_t": totals.emissions_t.nox / years,
            "operating_cost_usd": totals.cost_usd.total / years,
        },
        "capex_usd": {
            "generators": generators * rating * KW_PER_MW * GAS_CT_CAPEX_USD_PER_KW,
            "battery": batt_mw * KW_PER_MW * BATTERY_2H_CAPEX_USD_PER_KW,
        },
        "generator_starts": int(result.generator_starts.sum()),
        "curtailed_hours": totals.curtailed_hours,
        "permit_limits": [
            limit.model_dump(mode="json") for fleet in totals.permit.fleets for limit in fleet.limits
        ],
        "n_minus_1_hours_at_risk": totals.n_minus_1.hours_at_risk if totals.n_minus_1 else 0.0,
    }


LIMIT_WORDS = {
    "nox_t": ("NOx", "t"),
    "co_t": ("CO", "t"),
    "pm_t": ("PM", "t"),
    "voc_t": ("VOC", "t"),
    "hcho_t": ("formaldehyde", "t"),
    "starts": ("start-ups", ""),
    "startup_hours": ("start-up/shut-down hours", "h"),
    "operating_hours": ("operating hours", "h"),
}
"""How each permit quantity reads in a sentence: (name, unit)."""


PARTIAL_WINDOW_SLACK = 1e-6
"""Relative slack before an annualised total counts as above its cap. [-]"""


def annualised_over_caps(result: PlantResult, generators: int, unit: str) -> list[str]:
    """Caps a run too short for one full 12-month permit window would pass at its own rate: the total since
    the permit took effect, annualised, against the cap (a partial window alone would hide it). [t, -, h]"""
    out = []
    for fleet in result.permit.fleets:
        for lim in fleet.limits:
            if lim.cap is None or lim.years_in_force >= 1.0:
                continue
            if lim.per_year <= lim.cap * (1.0 + PARTIAL_WINDOW_SLACK):
                continue
            name, unit_word = LIMIT_WORDS.get(lim.kind.value, (lim.kind.value, ""))
            months = lim.years_in_force * 12.0
            text = (
                f"{name}: {generators} x {unit} would reach {lim.per_year:,.1f} {unit_word} a year at the "
                f"rate of the {months:.1f} months the run spends under the permit (worst partial window "
                f"{lim.worst:,.1f}) against the permit's cap of {lim.cap:,.1f} {unit_word} per 12 months"
            )
            out.append(text.replace("  ", " "))
    return out


def sizing_limits(result: PlantResult, generators: int, unit: str) -> list[str]:
    """Why a plant that carries the load with its permit only reported is still not a solution: each cap its
    units would exceed over a permit window (with, for a pollutant, the emission factor that would meet it),
    and any curtailment left. [t, -]"""
    out = []
    for ex in result.permit.exceedances:
        name, unit_word = LIMIT_WORDS.get(ex.kind.value, (ex.kind.value, ""))
        window = ex.window.value.replace("_", " ")
        text = (
            f"{name}: {generators} x {unit} would reach {ex.value:,.1f} {unit_word} over a {window} window "
            f"against the permit's cap of {ex.limit:,.1f} {unit_word} (first passed {ex.first_exceeded})"
        ).replace("  ", " ")
        fuel = float(result.fuel_mmbtu.sum())
        if ex.kind.value == "nox_t" and ex.value > 0 and fuel > 0:
            rate = float(result.nox_t.sum()) / fuel / LB_T
            text += (
                f"; meeting it takes a NOx factor of at most {rate * ex.limit / ex.value:.4f} lb/MMBtu (the "
                f"units': {rate:.4f}; AP-42 with SCR: {NOX_LB_PER_MMBTU['scr']:.4f})"
            )
        out.append(text)
    out += annualised_over_caps(result, generators, unit)
    if bool(result.curtailed.any()):
        hours = float(result.curtailed.sum()) * result.dt_s / SECONDS_PER_HOUR
        out.append(f"capacity: {generators} x {unit} still leave GPUs capped or off for {hours:,.1f} h")
    return out or ["the permit's caps curtail the campus in 'respect' mode (no cap exceeded in 'report')"]
