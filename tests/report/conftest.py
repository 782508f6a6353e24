"""Fixtures of the report tests: synthetic results (no engine needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_results import synthetic_results

from megacluster.results.assemble import Results


@pytest.fixture(scope="session")
def results_one() -> Results:
    """Sixty days of a ramping, power-capped campus at hourly steps, one replica."""
    return synthetic_results(days=60, step_s=3600)


@pytest.fixture(scope="session")
def results_replicas() -> Results:
    """Forty days at 5-minute steps with a P10-P90 band (three replicas)."""
    return synthetic_results(days=40, step_s=300, replicas=3)
