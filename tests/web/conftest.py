"""Fixtures of the web tests: an app with a synthetic simulator (fast, engine-independent)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))

from synthetic_results import synthetic_for

from megacluster.results.assemble import Results
from megacluster.scenario.schema import Scenario
from megacluster.web.app import create_app
from megacluster.web.limits import Limits


def fake_simulate(scenario: Scenario, seed: int | None) -> Results:
    """Synthetic results that follow the scenario's GPUs, grid schedule, generators and battery."""
    return synthetic_for(scenario, seed)


def slow_simulate(scenario: Scenario, seed: int | None) -> Results:
    """A simulation that never finishes in time."""
    time.sleep(30)
    return synthetic_for(scenario, seed)


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The app with default limits and the synthetic simulator."""
    with TestClient(create_app(simulator=fake_simulate)) as c:
        yield c
