"""The supply side of the plant, per step: the grid's dated capacity, price and carbon intensity, the
battery's ratings and availability, and each generator fleet's derated units with forced outages. Pure
functions of the ``[power]`` section and plain arrays.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.power import constants as k
from megacluster.power.battery import BatteryParams
from megacluster.power.config import BatteryConfig, GeneratorFleet, PermitMode, PermitPeriod, PowerConfig
from megacluster.power.dispatch import GenFleetInputs
from megacluster.power.generators import ambient_heat_rate_factor, ambient_output_factor, outage_down_units
from megacluster.power.phases import COUNT_SLACK
from megacluster.units import BTU_PER_KWH_PER_MMBTU_PER_MWH, SECONDS_PER_MINUTE

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Supply:
    """Everything that can feed the campus, at each step."""

    grid_cap_mw: FloatArray
    """Grid interconnect capacity. [MW]"""
    price_usd_per_mwh: FloatArray
    """Grid energy price. [USD/MWh]"""
    grid_co2_kg_per_mwh: FloatArray
    """Grid carbon intensity. [kg/MWh]"""
    battery: BatteryParams | None
    battery_power_mw: FloatArray
    """Battery power limit (0 before it is available). [MW]"""
    initial_soc_mwh: float
    """Battery state of charge at the first step. [MWh]"""
    generators: tuple[GenFleetInputs, ...]
    generator_co2_kg_per_mmbtu: tuple[float, ...]
    """CO2 per fuel of each generator fleet (HHV). [kg/MMBtu]"""
    generator_nameplate_mw: float
    """All generator units at their ISO rating. [MW]"""


def schedule_values(
    times: npt.NDArray[np.datetime64], starts: list[dt.date], values: list[float], before: float
) -> FloatArray:
    """Value of a dated step schedule at each time (``before`` ahead of its first date). [same unit]"""
    days = times.astype("datetime64[D]")
    edges = np.array(starts, dtype="datetime64[D]")
    idx = np.searchsorted(edges, days, side="right") - 1
    table = np.concatenate(([before], np.asarray(values, dtype=np.float64)))
    return np.asarray(table[idx + 1], dtype=np.float64)


def date_mask(times: npt.NDArray[np.datetime64], start: dt.date | None, until: dt.date | None) -> BoolArray:
    """Whether each time falls on or after ``start`` and on or before ``until`` (None: open). [-]"""
    days = times.astype("datetime64[D]")
    mask = np.ones(len(times), dtype=bool)
    if start is not None:
        mask &= days >= np.datetime64(start, "D")
    if until is not None:
        mask &= days <= np.datetime64(until, "D")
    return mask


def grid_schedules(power: PowerConfig, times: npt.NDArray[np.datetime64]) -> tuple[FloatArray, ...]:
    """(capacity, price, carbon intensity) of the grid at each time. [MW, USD/MWh, kg/MWh]"""
    cap = schedule_values(times, [s.start for s in power.grid], [s.mw for s in power.grid], 0.0)
    price = schedule_values(
        times,
        [s.start for s in power.grid_price],
        [s.usd_per_mwh for s in power.grid_price],
        power.grid_price[0].usd_per_mwh,
    )
    co2 = schedule_values(
        times,
        [s.start for s in power.grid_co2],
        [s.kg_per_mwh for s in power.grid_co2],
        power.grid_co2[0].kg_per_mwh,
    )
    return cap, price, co2


def battery_supply(
    cfg: BatteryConfig | None, times: npt.NDArray[np.datetime64]
) -> tuple[BatteryParams | None, FloatArray, float]:
    """The battery's ratings, its power limit at each time and its first state of charge. [MW, MWh]"""
    if cfg is None or cfg.total_power_mw() <= 0:
        return None, np.zeros(len(times)), 0.0
    e = cfg.total_energy_mwh()
    params = BatteryParams(
        power_mw=cfg.total_power_mw(),
        energy_mwh=e,
        round_trip_efficiency=cfg.efficiency(),
        soc_min_mwh=cfg.soc_min_fraction * e,
        soc_max_mwh=cfg.soc_max_fraction * e,
        reserve_mwh=cfg.reserve_fraction * e,
    )
    power_mw = np.where(date_mask(times, cfg.available_from, None), cfg.total_power_mw(), 0.0)
    return params, power_mw, cfg.initial_soc_fraction * e


def generator_inputs(
    g: GeneratorFleet,
    index: int,
    times: npt.NDArray[np.datetime64],
    dt_s: float,
    ambient_c: FloatArray,
    seed: int,
) -> GenFleetInputs:
    """Fleet ``index`` at each step: unit capacity derated for the ambient, units available between its dates
    and off forced outage (drawn from ``seed``), heat rate at the ambient, ramp, start-up and permit. [MW]"""
    n = len(times)
    mask = date_mask(times, g.available_from, g.available_until)
    down = outage_down_units(seed, index, g.count, n, dt_s, g.outage_rate(), g.mean_repair_h)
    permit = g.permit
    return GenFleetInputs(
        unit_cap_mw=np.where(
            mask, g.unit_rating_mw() * ambient_output_factor(ambient_c, g.derate_per_c), 0.0
        ),
        available_units=np.where(mask, np.clip(g.count - down, 0, None), 0).astype(np.int64),
        fuel_mmbtu_per_mwh=g.heat_rate()
        / BTU_PER_KWH_PER_MMBTU_PER_MWH
        * ambient_heat_rate_factor(ambient_c),
        min_load_fraction=g.min_load(),
        ramp_mw_per_step=g.ramp() * dt_s / SECONDS_PER_MINUTE,
        startup_steps=math.ceil(g.startup() / dt_s - COUNT_SLACK),
        nox_t_per_mmbtu=g.nox_rate() * k.LB_T,
        nox_cap_t=binding_nox_cap_t(g),
        starts_cap=permit.starts_per_year if permit else None,
        permit_mode=permit.mode if permit else PermitMode.REPORT,
        permit_from_step=permit_step(times, permit.effective_from) if permit else 0,
        rolling=permit is None or permit.period is PermitPeriod.ROLLING_12_MONTHS,
    )


POLLUTANT_CAPS = {
    "nox": "nox_t_per_year",
    "co": "co_t_per_year",
    "pm": "pm_t_per_year",
    "voc": "voc_t_per_year",
    "hcho": "hcho_t_per_year",
}
"""Each permitted pollutant and the AirPermit field that caps it."""


def binding_nox_cap_t(g: GeneratorFleet) -> float | None:
    """The NOx cap that stands for every pollutant cap of the fleet's permit: all of them scale with the fuel
    burnt, so the one allowing the least fuel binds; expressed as the NOx it allows. [t]"""
    permit = g.permit
    if permit is None:
        return None
    rates = g.pollutant_rates()
    fuel_caps = {}
    for name, cap_field in POLLUTANT_CAPS.items():
        cap = getattr(permit, cap_field)
        if cap is not None:
            fuel_caps[name] = cap / max(rates[name] * k.LB_T, 1e-300)
    if not fuel_caps:
        return None
    binding = min(fuel_caps, key=lambda name: fuel_caps[name])
    if binding == "nox":
        return permit.nox_t_per_year  # exactly the permit's figure
    return fuel_caps[binding] * g.nox_rate() * k.LB_T


def permit_step(times: npt.NDArray[np.datetime64], effective: dt.date | None) -> int:
    """First step on or after the day a permit takes effect (0 when it always applied). [-]"""
    if effective is None or len(times) == 0:
        return 0
    days = times.astype("datetime64[D]")
    return int(np.searchsorted(days, np.datetime64(effective, "D"), side="left"))


def assemble_supply(
    power: PowerConfig, times: npt.NDArray[np.datetime64], dt_s: float, ambient_c: FloatArray, seed: int
) -> Supply:
    """The grid, battery and generators of ``power`` at each step; ``seed`` draws the forced outages."""
    grid_cap, price, co2 = grid_schedules(power, times)
    battery, battery_power, initial_soc = battery_supply(power.battery, times)
    gens = power.generators
    return Supply(
        grid_cap_mw=grid_cap,
        price_usd_per_mwh=price,
        grid_co2_kg_per_mwh=co2,
        battery=battery,
        battery_power_mw=battery_power,
        initial_soc_mwh=initial_soc,
        generators=tuple(generator_inputs(g, i, times, dt_s, ambient_c, seed) for i, g in enumerate(gens)),
        generator_co2_kg_per_mmbtu=tuple(g.co2_rate() for g in gens),
        generator_nameplate_mw=sum((g.unit_rating_mw() * g.count for g in gens), 0.0),
    )
