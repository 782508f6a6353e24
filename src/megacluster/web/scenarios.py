"""Turning an API request into a validated Scenario, presets only by name (never a server path)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from megacluster.errors import InputError, unknown_choice_message
from megacluster.scenario.load import (
    preset_names,
    preset_text,
    resolve_extends,
    scenario_from_dict,
    set_dotted,
)
from megacluster.scenario.schema import Scenario
from megacluster.web.limits import Limits


def preset_dict(name: str, field: str = "preset") -> dict[str, Any]:
    """A preset's raw dict with its ``extends`` chain applied; InputError naming ``field`` if unknown."""
    if name not in preset_names():
        raise InputError("request", field, unknown_choice_message("preset", name, preset_names()))
    return resolve_extends(tomllib.loads(preset_text(name)), f"preset {name}")


def check_limits(scenario: Scenario, limits: Limits, label: str = "request") -> None:
    """InputError (with the dotted field) when a valid scenario is larger than the web app runs."""
    sim = scenario.simulation
    if sim.horizon_days > limits.max_horizon_days:
        raise InputError(
            label,
            "simulation.horizon_days",
            f"at most {limits.max_horizon_days:g} days here (got {sim.horizon_days:g})",
        )
    steps = sim.horizon_days * 86400.0 / sim.step
    if steps > limits.max_steps:
        raise InputError(
            label,
            "simulation.step",
            f"{sim.horizon_days:g} days at {sim.step:g} s steps is {steps:,.0f} steps; at most "
            f"{limits.max_steps:,} here: use a longer step or a shorter horizon",
        )
    if sim.replicas > limits.max_replicas:
        raise InputError(label, "simulation.replicas", f"at most {limits.max_replicas} replicas here")
    total = scenario.total_gpus()
    if total > limits.max_gpus:
        index = max(range(len(scenario.fleet)), key=lambda i: scenario.fleet[i].count)
        raise InputError(
            label,
            f"fleet[{index}].count",
            f"at most {limits.max_gpus:,} GPUs in all here (got {total:,})",
        )


def scenario_for_request(
    preset: str | None, inline: Mapping[str, Any] | None, overrides: Mapping[str, Any], limits: Limits
) -> Scenario:
    """The validated scenario of a request: a preset or an inline scenario, plus dotted overrides."""
    if preset is not None:
        data, label = preset_dict(preset), f"preset {preset}"
    elif inline is not None:
        label = "scenario"
        data = resolve_extends(dict(inline), label)
        data.setdefault("name", "custom")
    else:
        raise InputError("request", None, "give exactly one of 'preset' or 'scenario'")
    for key, value in overrides.items():
        set_dotted(data, key, value, label)
    scenario = scenario_from_dict(data, label)
    check_limits(scenario, limits, label)
    return scenario
