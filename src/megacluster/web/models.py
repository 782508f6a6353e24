"""Request and response bodies of the JSON API (they make its OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from megacluster.scenario.load import preset_names

PRESET_NAME_CHARS = 100
"""Longest preset name accepted in a request. [-]
Preset names are a few words; the bound keeps an unknown name's message (which quotes it) short."""

PresetName = Annotated[
    str,
    Field(
        max_length=PRESET_NAME_CHARS,
        # Documented as the shipped names; validated in code, so an unknown name gets a "did you mean".
        json_schema_extra={"enum": list(preset_names())},
    ),
]
"""A shipped preset's name (the OpenAPI schema lists them)."""


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: a machine-readable kind, a sentence, and the field at fault when there is one."""

    error: str = Field(
        description="Kind: bad_request, invalid_input, not_found, method_not_allowed, too_large, timeout, "
        "busy, simulation_failed, internal_error"
    )
    message: str = Field(description="What is wrong, in words")
    field: str | None = Field(default=None, description="Dotted scenario field (or request field) at fault")


class PresetInfo(BaseModel):
    """A shipped preset."""

    name: str
    description: str


class PresetDetail(PresetInfo):
    """A preset: its resolved scenario (every default filled in) and its TOML text with sources."""

    scenario: dict[str, Any] = Field(description="Resolved scenario; durations in seconds, dates ISO")
    toml: str = Field(description="The preset file, with its source comments")


class SimulateRequest(BaseModel):
    """Simulate a preset or an inline scenario, with optional dotted overrides and a seed."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,  # as the schema says: a seed is an integer, not true or "1"
        json_schema_extra={
            "examples": [
                {
                    "preset": "colossus-2024",
                    "overrides": {
                        "simulation.horizon_days": 30,
                        "simulation.step": "1h",
                        "power.generators[0].count": 20,
                    },
                    "seed": 1,
                }
            ]
        },
    )

    preset: PresetName | None = Field(default=None, description="Preset name (see /api/presets)")
    scenario: dict[str, Any] | None = Field(
        default=None,
        description="Inline scenario as in a TOML file (may use 'extends' with a preset name); validated "
        "like a scenario file: cross-field rules (a job no larger than its fleet, dates in order) give 422",
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, max_length=64, description="Dotted field -> value, e.g. 'fleet[0].count': 50000"
    )
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="Seed (default: the scenario's)")

    @model_validator(mode="after")
    def _one_source(self) -> SimulateRequest:
        if (self.preset is None) == (self.scenario is None):
            raise ValueError("give exactly one of 'preset' or 'scenario'")
        return self


class KeyFigure(BaseModel):
    """A key figure, formatted."""

    key: str = Field(description="Dotted path in the summary")
    label: str
    value: Any
    text: str
    unit: str


class ScenarioInfo(BaseModel):
    """Which scenario ran."""

    name: str
    description: str


class SimulateResponse(BaseModel):
    """A run: the summary (as summary.json), the time series thinned and columnar, and key figures."""

    scenario: ScenarioInfo
    summary: dict[str, Any] = Field(description="As summary.json")
    timeseries: dict[str, list[Any]] = Field(
        description="Columnar: 'time' (ISO) and one list per quantity (units in the names), bucket means"
    )
    timeseries_step_s: float = Field(description="Bucket length of the time series [s]")
    key_figures: list[KeyFigure]
    elapsed_s: float = Field(description="Wall time of the simulation [s]")
