"""Every number in a catalog data file carries a source."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest

DATA = resources.files("megacluster.catalog").joinpath("data")
FILES = sorted(p.name for p in DATA.iterdir() if p.name.endswith(".toml"))


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, list) and bool(value) and all(_is_number(v) for v in value)


@pytest.mark.parametrize("name", FILES)
def test_every_number_has_a_source(name: str) -> None:
    data = tomllib.loads(DATA.joinpath(name).read_text("utf-8"))
    assert data, name
    missing = []
    for key, entry in data.items():
        assert isinstance(entry, dict), f"{name}: top-level '{key}' is not an entry"
        sources = entry.get("source", {})
        for field, value in entry.items():
            if field != "source" and _is_number(value) and not str(sources.get(field, "")).strip():
                missing.append(f"{key}.{field}")
    assert not missing, f"{name}: numbers without a source: {', '.join(missing)}"
