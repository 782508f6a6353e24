"""Shared fixtures."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from small_scenario import SMALL


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a scenario TOML text into a temporary file and return its path."""

    def _write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def small_scenario_text() -> str:
    """A small, fast scenario: 4,096 H100 over 20 days at 30-minute steps."""
    return SMALL


@pytest.fixture(scope="session")
def small_scenario_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario written once per session."""
    path = tmp_path_factory.mktemp("scenario") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path
