"""Fixtures of the report tests: results of short real engine runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_results import engine_results

from megacluster.results.assemble import Results


@pytest.fixture(scope="session")
def results_one() -> Results:
    """Sixty days of colossus-2024 (ramping, power-capped, training from day 21) at hourly steps."""
    return engine_results(days=60, step_s=3600)


@pytest.fixture(scope="session")
def results_replicas() -> Results:
    """Forty days of colossus-2024 at 5-minute steps with a P10-P90 band (three replicas)."""
    return engine_results(days=40, step_s=300, replicas=3)
