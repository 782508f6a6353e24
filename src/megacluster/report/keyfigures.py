"""The key figures of a run as (figure, value, unit) rows, read from its summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from megacluster.results.format import dig, fmt
from megacluster.scenario.schema import Scenario


@dataclass(frozen=True)
class Figure:
    """One key figure: a label, its raw value (for JSON) and its text (for tables)."""

    key: str
    label: str
    value: Any
    text: str
    unit: str


_ROWS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("GPUs installed (peak)", ("gpus_installed_peak",), ",.0f", "GPUs"),
    ("GPUs powered (mean)", ("gpus_powered_mean",), ",.0f", "GPUs"),
    ("IT power (peak)", ("it_power_peak_mw",), ",.1f", "MW"),
    ("Facility power (peak)", ("facility_power_peak_mw",), ",.1f", "MW"),
    ("Supply capacity (peak)", ("supply_capacity_peak_mw",), ",.1f", "MW"),
    ("Energy, total", ("energy_mwh", "total"), ",.0f", "MWh"),
    ("Energy from the grid", ("energy_mwh", "grid"), ",.0f", "MWh"),
    ("Energy from generators", ("energy_mwh", "generators"), ",.0f", "MWh"),
    ("Energy from the battery", ("energy_mwh", "battery_discharge"), ",.0f", "MWh"),
    ("Unserved demand", ("unserved_energy_mwh",), ",.0f", "MWh"),
    ("CO2", ("emissions_t", "co2"), ",.0f", "t"),
    ("NOx", ("emissions_t", "nox"), ",.1f", "t"),
    ("Fuel", ("fuel_mmbtu",), ",.0f", "MMBtu"),
    ("Water", ("water_m3",), ",.0f", "m³"),
    ("Hours curtailed", ("curtailed_hours",), ",.0f", "h"),
    ("Training target", ("training", "target_flop"), ".3g", "FLOP"),
    ("Training completed", ("training", "completed_flop"), ".3g", "FLOP"),
    ("Training finished", ("training", "finished"), "", ""),
    ("Finish date (P50)", ("training", "finish_date"), "", "date"),
    ("Finish date P10", ("training", "finish_date_p10"), "", "date"),
    ("Finish date P90", ("training", "finish_date_p90"), "", "date"),
    ("Goodput", ("training", "goodput"), ".1%", "of wall time"),
    ("Unexpected interruptions", ("training", "interruptions", "unexpected"), ",.0f", "-"),
    ("Planned interruptions", ("training", "interruptions", "planned"), ",.0f", "-"),
    ("MFU", ("training", "mfu"), ".1%", "of peak"),
)
"""Label, path in summary.json, number format and unit of every key figure."""


_OPTIONAL = frozenset({"fuel_mmbtu", "water_m3", "curtailed_hours"})


def key_figures(summary: dict[str, Any]) -> list[Figure]:
    """The key figures present in a summary, in a fixed order (absent optional figures are left out)."""
    out = []
    for label, path, spec, unit in _ROWS:
        value = dig(summary, *path)
        no_training = path[0] == "training" and not isinstance(summary.get("training"), dict)
        if no_training or (value is None and path[0] in _OPTIONAL):
            continue
        out.append(Figure(".".join(path), label, value, fmt(value, spec) if spec else fmt(value), unit))
    return out


def per_compute(summary: dict[str, Any]) -> dict[str, float | None]:
    """Energy and emissions per 10^24 model FLOP completed. [MWh/YFLOP], [t/YFLOP]"""
    done = dig(summary, "training", "completed_flop")
    scale = float(done) / 1e24 if isinstance(done, int | float) and done > 0 else None

    def ratio(value: Any) -> float | None:
        return float(value) / scale if scale and isinstance(value, int | float) else None

    return {
        "energy_mwh_per_1e24_flop": ratio(dig(summary, "energy_mwh", "total")),
        "co2_t_per_1e24_flop": ratio(dig(summary, "emissions_t", "co2")),
        "nox_t_per_1e24_flop": ratio(dig(summary, "emissions_t", "nox")),
    }


@dataclass(frozen=True)
class SourceLine:
    """Where a catalog number used by the scenario comes from."""

    entry: str
    field: str
    source: str


def scenario_sources(scenario: Scenario) -> list[SourceLine]:
    """The ``source`` of every catalog entry the scenario uses (accelerators, servers, generators, battery,
    climate, model), de-duplicated, in scenario order."""
    from megacluster import catalog

    entries: list[Any] = []
    for delivery in scenario.fleet:
        entries.append(catalog.accelerators().get(delivery.accelerator))
        entries.append(delivery.server_entry())
    for gen in scenario.power.generators:
        if gen.unit is not None:
            entries.append(catalog.generators().get(gen.unit))
    battery = scenario.power.battery
    if battery is not None and battery.unit is not None:
        entries.append(catalog.batteries().get(battery.unit))
    climate = scenario.site.climate
    if isinstance(climate, str):
        entries.append(catalog.climates().get(climate))
    if scenario.training is not None:
        entries.append(scenario.training.shape())
    seen: set[str] = set()
    lines = []
    for entry in entries:
        if entry is None or entry.id in seen:
            continue
        seen.add(entry.id)
        for field, source in entry.source.items():
            lines.append(SourceLine(f"{entry.name} ({entry.id})", field, source))
    return lines
