"""Shared fixtures."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

SMALL = """
name = "small"
[simulation]
start = 2024-07-01
horizon_days = 20
step = "30min"
seed = 3
[site]
climate = "memphis"
[[fleet]]
accelerator = "h100-sxm"
count = 4096
install_start = 2024-07-01
install_end = 2024-07-10
[power]
grid = [ { from = 2024-07-01, mw = 2 }, { from = 2024-07-08, mw = 20 } ]
[[power.generators]]
unit = "mobile-2p5mw"
count = 1
available_from = 2024-07-01
[power.battery]
power_mw = 2.0
energy_mwh = 4.0
[training]
model = "gpt3-175b"
target_flop = 1e23
job_gpus = 2048
global_batch = 1024
[training.layout]
tp = 8
pp = 8
"""


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
