"""Reading scenarios: TOML files or presets, ``extends``, dotted overrides, clear errors."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import itertools
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from megacluster.errors import (
    MAX_NESTING,
    InputError,
    check_nesting,
    input_error_from,
    read_text_file,
    unknown_choice_message,
)
from megacluster.scenario.presets import preset_names, preset_text
from megacluster.scenario.schema import Scenario
from megacluster.units import safe_name_from

_MAX_EXTENDS_DEPTH = 8


def _parse(text: str, label: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(label, None, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise InputError(label, None, f"nested more than {MAX_NESTING} levels deep") from None
    check_nesting(data, label)
    return data


def merge_tables(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (arrays included) replaces the base's."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_extends(data: Mapping[str, Any], label: str, depth: int = 0) -> dict[str, Any]:
    """Apply ``extends = "PRESET"`` (presets only, by name): the preset, then this data over it."""
    data = dict(data)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if depth >= _MAX_EXTENDS_DEPTH:
        raise InputError(label, "extends", f"more than {_MAX_EXTENDS_DEPTH} levels of 'extends' (a cycle?)")
    if not isinstance(parent, str):
        raise InputError(label, "extends", "expected the name of a preset")
    if parent not in preset_names():
        raise InputError(label, "extends", unknown_choice_message("preset", parent, preset_names()))
    base = resolve_extends(_parse(preset_text(parent), f"preset {parent}"), f"preset {parent}", depth + 1)
    return merge_tables(base, data)


def read_scenario_dict(source: str | Path) -> tuple[dict[str, Any], str]:
    """The raw, ``extends``-resolved dict of a scenario file or preset, and a label for messages."""
    path = Path(source)
    if path.suffix == ".toml" or path.exists():
        label = str(path)
        data = _parse(read_text_file(path, "scenario file"), label)
        data.setdefault("name", safe_name_from(path.stem))
        _weather_file_beside(data, path.parent)
    else:
        label = f"preset {source}"
        data = _parse(preset_text(str(source)), label)
    return resolve_extends(data, label), label


def _weather_file_beside(data: dict[str, Any], folder: Path) -> None:
    """A relative ``[site] weather_file`` is read from the scenario file's folder."""
    site = data.get("site")
    if isinstance(site, dict) and isinstance(site.get("weather_file"), str):
        given = Path(site["weather_file"])
        if not given.is_absolute():
            site["weather_file"] = str(folder / given)


_INDEX = re.compile(r"^(\w[\w-]*)\[(\d+)\]$")


def set_dotted(data: dict[str, Any], dotted: str, value: Any, label: str = "overrides") -> None:
    """Set ``a.b[0].c`` (or ``a.b.0.c``) in a nested dict, creating tables as needed."""
    parts: list[str | int] = []
    for piece in dotted.split("."):
        match = _INDEX.match(piece)
        if match:
            parts += [match.group(1), int(match.group(2))]
        elif piece.isdigit():
            parts.append(int(piece))
        elif piece:
            parts.append(piece)
        else:
            raise InputError(label, dotted, "empty part in a dotted field name")
    node: Any = data
    for here, nxt in itertools.pairwise(parts):
        node = _child(node, here, [] if isinstance(nxt, int) else {}, dotted, label)
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise InputError(label, dotted, f"index {last} is out of range")
    elif not isinstance(node, dict):
        raise InputError(label, dotted, "no such field to set (a part of the path is not a table)")
    node[last] = value


def _child(node: Any, key: str | int, empty: Any, dotted: str, label: str) -> Any:
    """The table or array under ``key``, created empty when missing."""
    if isinstance(key, int):
        if not isinstance(node, list) or key >= len(node):
            raise InputError(label, dotted, f"index {key} is out of range")
        return node[key]
    if not isinstance(node, dict):
        raise InputError(label, dotted, "no such field to set (a part of the path is not a table)")
    if node.get(key) is None:
        node[key] = empty
    return node[key]


def scenario_from_dict(data: Mapping[str, Any], label: str) -> Scenario:
    """Validate a resolved scenario dict; InputError with file, field and expectation on failure."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise input_error_from(exc, label, Scenario) from None


def load_scenario(source: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A validated scenario from a TOML file or a preset name, with optional dotted overrides."""
    data, label = read_scenario_dict(source)
    for key, value in (overrides or {}).items():
        set_dotted(data, key, value, label)
    return scenario_from_dict(data, label)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dt.date):
        return obj
    return obj


def scenario_to_toml(scenario: Scenario) -> str:
    """The fully resolved scenario as TOML (every default written out)."""
    return tomli_w.dumps(_plain(scenario.model_dump(by_alias=True)))
