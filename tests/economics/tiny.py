"""Tiny sites for the least-cost build's tests: a few hours, costs chosen so the optimum is known by hand."""

from __future__ import annotations

from typing import Any

import numpy as np

from megacluster.catalog.costs import Ownership
from megacluster.economics.config import ReserveRule
from megacluster.economics.site import BatteryCandidate, GeneratorCandidate, PermitGroup, SiteInputs

HEAT_RATE = 10.0
"""Heat rate of every tiny unit, so that fuel at 1 USD/MMBtu costs 10 USD/MWh. [MMBtu/MWh]"""
VOLL = 100_000.0
"""Value of lost load, far above any build's cost. [USD/MWh]"""


def snapshots(hours: int) -> np.ndarray[Any, Any]:
    """Hour starts from 2025-01-01 00:00."""
    return np.datetime64("2025-01-01T00:00") + np.arange(hours).astype("timedelta64[h]")


def unit(
    name: str, hours: int, capital_usd_per_mw: float, fuel_factor: float, **changes: Any
) -> GeneratorCandidate:
    """A bought unit of 1 MW whose marginal cost is ``fuel_factor`` x 10 USD/MWh at 1 USD/MMBtu (its heat
    rate scaled) and whose NOx is 1 lb/MMBtu. [USD/MW, -]"""
    data: dict[str, Any] = {
        "name": name,
        "unit": None,
        "fleet_index": None,
        "rating_mw": 1.0,
        "ownership": Ownership.BUY,
        "available": np.ones(hours, dtype=bool),
        "output_factor": np.ones(hours),
        "heat_rate_mmbtu_per_mwh": np.full(hours, HEAT_RATE * fuel_factor),
        "co2_kg_per_mmbtu": 53.06,
        "nox_lb_per_mmbtu": 1.0,
        "min_load_fraction": 0.0,
        "capital_usd_per_mw": capital_usd_per_mw,
        "rental_usd_per_mw_month": 0.0,
        "variable_om_usd_per_mwh": 0.0,
    }
    data.update(changes)
    return GeneratorCandidate(**data)


def battery(hours: int, usd_per_mw: float, usd_per_mwh: float, rte: float = 0.81) -> BatteryCandidate:
    """A battery on site every hour, without a state-of-charge floor. [USD/MW, USD/MWh]"""
    return BatteryCandidate(
        usd_per_mw=usd_per_mw,
        usd_per_mwh=usd_per_mwh,
        round_trip_efficiency=rte,
        soc_min_fraction=0.0,
        max_c_rate_per_h=4.0,
        available=np.ones(hours, dtype=bool),
    )


def site(
    load_mw: list[float],
    grid_cap_mw: list[float],
    generators: tuple[GeneratorCandidate, ...],
    battery_candidate: BatteryCandidate | None = None,
    permits: tuple[PermitGroup, ...] = (),
    grid_price: float = 10.0,
    **changes: Any,
) -> SiteInputs:
    """A one-bus site of ``len(load_mw)`` hours: grid at ``grid_price`` USD/MWh and no carbon, fuel at
    1 USD/MMBtu, relaxed units, no reserve. [MW, USD/MWh]"""
    hours = len(load_mw)
    data: dict[str, Any] = {
        "snapshots": snapshots(hours),
        "load_mw": np.asarray(load_mw, dtype=np.float64),
        "mean_gap_mw": np.zeros(hours),
        "gpus": np.asarray(load_mw, dtype=np.float64) * 1000.0,
        "voll_usd_per_mwh": np.full(hours, VOLL),
        "grid_cap_mw": np.asarray(grid_cap_mw, dtype=np.float64),
        "grid_price_usd_per_mwh": np.full(hours, grid_price),
        "grid_co2_kg_per_mwh": np.full(hours, 400.0),
        "fuel_price_usd_per_mmbtu": 1.0,
        "generators": generators,
        "permits": permits,
        "battery": battery_candidate,
        "solar": None,
        "reserve": ReserveRule.NONE,
        "grid_first": True,
        "whole_units": False,
    }
    data.update(changes)
    return SiteInputs(**data)
