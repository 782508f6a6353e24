"""Stand-ins for ``simulate`` in the web tests: synthetic results that follow the scenario, or a slow one."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))

from synthetic_results import synthetic_for

from megacluster.results.assemble import Results
from megacluster.scenario.schema import Scenario


def fake_simulate(scenario: Scenario, seed: int | None) -> Results:
    """Synthetic results that follow the scenario's GPUs, grid schedule, generators and battery."""
    return synthetic_for(scenario, seed)


def slow_simulate(scenario: Scenario, seed: int | None) -> Results:
    """A simulation that never finishes in time."""
    time.sleep(30)
    return synthetic_for(scenario, seed)
