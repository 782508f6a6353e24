"""The shipped presets: their names, their TOML text and their descriptions.

Kept free of the schema (and of numpy and pydantic) so that listing presets starts in a fraction of a second.
"""

from __future__ import annotations

import tomllib
from importlib import resources

from megacluster.errors import InputError, unknown_choice_message


def preset_names() -> list[str]:
    """Names of the shipped presets."""
    folder = resources.files("megacluster.scenario").joinpath("presets")
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def preset_text(name: str) -> str:
    """The TOML text of a preset; InputError naming the valid presets if unknown."""
    if name not in preset_names():
        raise InputError(None, None, unknown_choice_message("preset", name, preset_names()))
    return (
        resources.files("megacluster.scenario")
        .joinpath("presets")
        .joinpath(f"{name}.toml")
        .read_text("utf-8")
    )


def preset_description(name: str) -> str:
    """A preset's ``description``, following ``extends`` when it has none of its own."""
    data = tomllib.loads(preset_text(name))
    seen = {name}
    while "description" not in data and isinstance(data.get("extends"), str) and data["extends"] not in seen:
        seen.add(data["extends"])
        data = tomllib.loads(preset_text(data["extends"]))
    return str(data.get("description", "")).strip()
