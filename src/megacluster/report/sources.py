"""Where the catalog numbers a scenario uses come from (for the report's sources list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from megacluster.scenario.schema import Scenario


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


def grouped_sources(lines: list[SourceLine]) -> list[tuple[str, list[SourceLine]]]:
    """The source lines grouped by catalog entry, in first-seen order."""
    groups: dict[str, list[SourceLine]] = {}
    for line in lines:
        groups.setdefault(line.entry, []).append(line)
    return list(groups.items())
