"""Turning an API request into a validated Scenario, presets only by name (never a server path), and refusing
requests larger than the server runs before any work starts."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from megacluster.engine.budget import estimate_work, fmt_bytes, fmt_seconds
from megacluster.errors import InputError, check_nesting, unknown_choice_message
from megacluster.scenario.load import (
    preset_names,
    preset_text,
    resolve_extends,
    scenario_from_dict,
    set_dotted,
)
from megacluster.scenario.schema import Scenario
from megacluster.web.limits import Limits


class WorkTooLarge(InputError):
    """A valid request whose estimated memory or time is over what this server runs per request (413)."""


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


def check_work(scenario: Scenario, limits: Limits, label: str = "request") -> None:
    """WorkTooLarge when the run's estimated memory or time (``engine.budget``, milliseconds, no simulation)
    is over ``limits.max_run_memory_bytes`` or ``limits.run_timeout_s``; the message gives both."""
    estimate = estimate_work(scenario)
    advice = "use a longer step, a shorter horizon, fewer replicas, or a smaller training job or failure rate"
    if estimate.memory_bytes > limits.max_run_memory_bytes:
        raise WorkTooLarge(
            label,
            "simulation",
            f"this run would need {estimate.describe()}: over this server's memory limit of "
            f"{fmt_bytes(limits.max_run_memory_bytes)} per run; {advice}",
        )
    if estimate.seconds > limits.run_timeout_s:
        raise WorkTooLarge(
            label,
            "simulation",
            f"this run would need {estimate.describe()}: over this server's time limit of "
            f"{fmt_seconds(limits.run_timeout_s)} per run; {advice}",
        )


def _check_nesting(data: Any, field: str, limits: Limits) -> None:
    """InputError naming ``field`` when ``data`` nests deeper than ``limits.max_nesting`` (no recursion)."""
    try:
        check_nesting(data, "request", limits.max_nesting)
    except InputError as exc:
        raise InputError("request", field, exc.expected) from None


def scenario_for_request(
    preset: str | None, inline: Mapping[str, Any] | None, overrides: Mapping[str, Any], limits: Limits
) -> Scenario:
    """The validated scenario of a request: a preset or an inline scenario, plus dotted overrides; InputError
    when it is invalid or over the limits, WorkTooLarge when its estimated work is."""
    _check_nesting(inline, "scenario", limits)
    _check_nesting(dict(overrides), "overrides", limits)
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
    _check_nesting(data, "overrides", limits)  # dotted names may nest as deep as they have parts
    scenario = scenario_from_dict(data, label)
    check_limits(scenario, limits, label)
    check_work(scenario, limits, label)
    return scenario
