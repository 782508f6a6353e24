"""Loading the catalog data files (read once, cached)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from megacluster.catalog.hardware import Accelerator, ModelShape
from megacluster.catalog.plant import Battery, Climate, Generator, Server
from megacluster.catalog.regions import Region
from megacluster.errors import InputError, unknown_choice_message

T = TypeVar("T", bound=BaseModel)


@cache
def raw_catalog(name: str) -> dict[str, Any]:
    """The parsed TOML of ``catalog/data/<name>.toml``."""
    text = resources.files("megacluster.catalog").joinpath("data").joinpath(f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


def _load(name: str, model: type[T]) -> dict[str, T]:
    out: dict[str, T] = {}
    for key, entry in raw_catalog(name).items():
        try:
            out[key] = model.model_validate({"id": key, **entry})
        except ValidationError as exc:  # a broken shipped catalog is a bug, but say where
            raise InputError(f"catalog/data/{name}.toml", key, str(exc)) from exc
    return out


@cache
def accelerators() -> dict[str, Accelerator]:
    """Accelerators by id."""
    return _load("accelerators", Accelerator)


@cache
def servers() -> dict[str, Server]:
    """Servers by id."""
    return _load("servers", Server)


@cache
def generators() -> dict[str, Generator]:
    """Generating units by id."""
    return _load("generators", Generator)


@cache
def batteries() -> dict[str, Battery]:
    """Battery units by id."""
    return _load("batteries", Battery)


@cache
def climates() -> dict[str, Climate]:
    """Site climates by id."""
    return _load("climates", Climate)


@cache
def regions() -> dict[str, Region]:
    """Grid regions by id."""
    return _load("regions", Region)


@cache
def models() -> dict[str, ModelShape]:
    """Model shapes by id."""
    return _load("models", ModelShape)


def get(kind: str, key: str) -> Any:
    """One entry of a catalog by kind (``accelerators``, ``servers`` …) and id; InputError if unknown."""
    loaders: dict[str, Callable[[], Mapping[str, Any]]] = {
        "accelerators": accelerators,
        "servers": servers,
        "generators": generators,
        "batteries": batteries,
        "climates": climates,
        "regions": regions,
        "models": models,
    }
    table = loaders[kind]()
    if key not in table:
        raise InputError(None, None, unknown_choice_message(kind.rstrip("s"), key, table))
    return table[key]
