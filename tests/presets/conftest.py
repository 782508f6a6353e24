"""Fixtures of the preset and race tests: the new presets run on short horizons (hourly steps)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "report"))  # browser_support

from new_presets import NEW_PRESETS, SHORT  # noqa: E402

from megacluster.engine.simulate import simulate  # noqa: E402
from megacluster.results.assemble import Results  # noqa: E402
from megacluster.scenario.load import load_scenario  # noqa: E402


@pytest.fixture(scope="session")
def short_runs() -> dict[str, Results]:
    """Each new preset over its first 120 days at hourly steps (seed 0)."""
    return {name: simulate(load_scenario(name, SHORT), seed=0) for name in NEW_PRESETS}
