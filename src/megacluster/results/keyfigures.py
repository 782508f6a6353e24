"""The key figures of a run, as (figure, value, unit) rows: one list, read by the terminal text, the report,
the comparison and the web page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from megacluster.results.format import fmt
from megacluster.results.summary import Summary, TrainingSummary

YFLOP = 1e24
"""Compute is compared per 10^24 model FLOP. [FLOP]"""


@dataclass(frozen=True)
class Figure:
    """One key figure: its key (dotted path in summary.json), label, raw value, text and unit."""

    key: str
    label: str
    value: Any
    text: str
    unit: str


@dataclass(frozen=True)
class Row:
    """How to read and show one key figure."""

    key: str
    label: str
    read: Callable[[Summary], Any]
    spec: str
    unit: str


def _t(read: Callable[[TrainingSummary], Any]) -> Callable[[Summary], Any]:
    """A reader of the training part (None without a training run)."""
    return lambda s: None if s.training is None else read(s.training)


ROWS: tuple[Row, ...] = (
    Row("gpus_installed_peak", "GPUs installed (peak)", lambda s: s.gpus_installed_peak, ",.0f", "GPUs"),
    Row("gpus_powered_mean", "GPUs powered (mean)", lambda s: s.gpus_powered_mean, ",.0f", "GPUs"),
    Row("it_power_peak_mw", "IT power (peak)", lambda s: s.it_power_peak_mw, ",.1f", "MW"),
    Row("facility_power_peak_mw", "Facility power (peak)", lambda s: s.facility_power_peak_mw, ",.1f", "MW"),
    Row(
        "supply_capacity_peak_mw", "Supply capacity (peak)", lambda s: s.supply_capacity_peak_mw, ",.1f", "MW"
    ),
    Row("energy_mwh.total", "Energy, total", lambda s: s.energy_mwh.total, ",.0f", "MWh"),
    Row("energy_mwh.grid", "Energy from the grid", lambda s: s.energy_mwh.grid, ",.0f", "MWh"),
    Row("energy_mwh.generators", "Energy from generators", lambda s: s.energy_mwh.generators, ",.0f", "MWh"),
    Row(
        "energy_mwh.battery_discharge",
        "Energy from the battery",
        lambda s: s.energy_mwh.battery_discharge,
        ",.0f",
        "MWh",
    ),
    Row("unserved_energy_mwh", "Unserved demand", lambda s: s.unserved_energy_mwh, ",.0f", "MWh"),
    Row("emissions_t.co2", "CO2, location-based (grid + on-site)", lambda s: s.emissions_t.co2, ",.0f", "t"),
    Row("emissions_t.co2_grid", "  CO2 from the grid", lambda s: s.emissions_t.co2_grid, ",.0f", "t"),
    Row(
        "emissions_t.co2_generators",
        "  CO2 from on-site generators",
        lambda s: s.emissions_t.co2_generators,
        ",.0f",
        "t",
    ),
    Row(
        "emissions_t.co2_market_based",
        "CO2, market-based (grid + on-site)",
        lambda s: s.emissions_t.co2_market_based,
        ",.0f",
        "t",
    ),
    Row(
        "emissions_t.co2_marginal",
        "CO2 at the marginal grid rate (+ on-site)",
        lambda s: s.emissions_t.co2_marginal,
        ",.0f",
        "t",
    ),
    Row("emissions_t.nox", "NOx (on-site generators)", lambda s: s.emissions_t.nox, ",.1f", "t"),
    Row("fuel_mmbtu", "Fuel", lambda s: s.fuel_mmbtu, ",.0f", "MMBtu"),
    Row("water_m3", "Water (cooling-tower make-up)", lambda s: s.water_m3, ",.0f", "m³"),
    Row(
        "water.wue_l_per_kwh_it",
        "  WUE (make-up per IT kWh)",
        lambda s: None if s.water is None else s.water.wue_l_per_kwh_it,
        ",.2f",
        "L/kWh",
    ),
    Row(
        "n_minus_1.hours_at_risk",
        "Hours above N-1 capacity",
        lambda s: None if s.n_minus_1 is None else s.n_minus_1.hours_at_risk,
        ",.0f",
        "h",
    ),
    Row("curtailed_hours", "Hours curtailed", lambda s: s.curtailed_hours, ",.0f", "h"),
    Row("cost_usd.total", "Energy and fuel cost", lambda s: s.cost_usd.total, ",.0f", "USD"),
    Row(
        "homes_equivalent.us_average",
        "Homes' use (US average)",
        lambda s: s.homes_equivalent.us_average,
        ",.0f",
        "homes",
    ),
    Row(
        "homes_equivalent.tennessee",
        "Homes' use (Tennessee)",
        lambda s: s.homes_equivalent.tennessee,
        ",.0f",
        "homes",
    ),
    Row(
        "homes_equivalent.us_peak_demand",
        "Homes' peak demand (6 kW each) = campus peak",
        lambda s: s.homes_equivalent.us_peak_demand,
        ",.0f",
        "homes",
    ),
    Row("training.target_flop", "Training target", _t(lambda t: t.target_flop), ".3g", "FLOP"),
    Row("training.completed_flop", "Training completed", _t(lambda t: t.completed_flop), ".3g", "FLOP"),
    Row("training.finished", "Training finished", _t(lambda t: t.finished), "", ""),
    Row("training.finish_date", "Finish date (P50)", _t(lambda t: t.finish_date), "", "date"),
    Row("training.finish_date_p10", "Finish date P10", _t(lambda t: t.finish_date_p10), "", "date"),
    Row("training.finish_date_p90", "Finish date P90", _t(lambda t: t.finish_date_p90), "", "date"),
    Row("training.goodput", "Goodput", _t(lambda t: t.goodput), ".1%", "of time holding GPUs"),
    Row(
        "training.interruptions.unexpected",
        "Unexpected interruptions",
        _t(lambda t: t.interruptions.unexpected),
        ",.0f",
        "-",
    ),
    Row(
        "training.interruptions.planned",
        "Planned interruptions",
        _t(lambda t: t.interruptions.planned),
        ",.0f",
        "-",
    ),
    Row("training.mfu", "MFU", _t(lambda t: t.mfu), ".1%", "of peak"),
)
"""Every key figure, in the order shown."""


def key_figures(summary: Summary) -> list[Figure]:
    """The key figures of a summary, in a fixed order (training rows only with a training run)."""
    out = []
    for row in ROWS:
        if row.key.startswith("training.") and summary.training is None:
            continue
        value = row.read(summary)
        out.append(
            Figure(row.key, row.label, value, fmt(value, row.spec) if row.spec else fmt(value), row.unit)
        )
    return out


def per_compute(summary: Summary) -> dict[str, float | None]:
    """Energy and emissions per 10^24 model FLOP completed. [MWh/YFLOP], [t/YFLOP]"""
    done = summary.training.completed_flop if summary.training is not None else 0.0
    scale = done / YFLOP if done > 0 else None

    def ratio(value: float) -> float | None:
        return value / scale if scale else None

    return {
        "energy_mwh_per_1e24_flop": ratio(summary.energy_mwh.total),
        "co2_t_per_1e24_flop": ratio(summary.emissions_t.co2),
        "nox_t_per_1e24_flop": ratio(summary.emissions_t.nox),
    }
