"""A small scenario with uncertain assumptions (short horizon, coarse steps: seconds a run)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from small_scenario import SMALL


def small_data(flop_p10: float = 5e22, flop_p90: float = 2e23) -> dict[str, Any]:
    """The shared small scenario with three uncertain fields (FLOP, restart time, generator count)."""
    data = tomllib.loads(SMALL)
    data["training"]["target_flop"] = {
        "dist": "lognormal",
        "p10": flop_p10,
        "p90": flop_p90,
        "source": "test",
    }
    data["reliability"] = {"restart_s": {"dist": "uniform", "low": 300.0, "high": 3000.0}}
    data["power"]["generators"][0]["count"] = {"dist": "triangular", "low": 0, "mode": 1, "high": 3}
    return data


UNCERTAIN_TOML = (
    SMALL.replace(
        "target_flop = 1e23",
        'target_flop = { dist = "lognormal", p10 = 5e22, p90 = 2e23, source = "test range" }',
    )
    + '[reliability]\nrestart_s = { dist = "uniform", low = 300, high = 3000 }\n'
)


@pytest.fixture
def uncertain_path(tmp_path: Path) -> Path:
    """The small scenario with uncertain FLOP and restart time, as a file."""
    path = tmp_path / "uncertain.toml"
    path.write_text(UNCERTAIN_TOML, encoding="utf-8")
    return path
