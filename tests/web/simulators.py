"""Simulators for the web tests: the engine itself (short runs take well under a second), a slow one for the
time limits, and one that allocates without end for the memory cap."""

from __future__ import annotations

import time

from megacluster.engine.simulate import simulate
from megacluster.results.assemble import Results
from megacluster.scenario.schema import Scenario

SLOW_S = 30.0
"""How long :func:`slow_simulate` sleeps: longer than any test's time limit. [s]"""

HOG_SEED = 666
"""Seed that makes :func:`hog_or_engine` allocate without end."""

CHUNK_BYTES = 64 * 2**20
"""What the hog allocates (and touches) at a time. [B]"""


def engine_simulate(scenario: Scenario, seed: int | None) -> Results:
    """The engine's ``simulate``."""
    return simulate(scenario, seed=seed)


def slow_simulate(scenario: Scenario, seed: int | None) -> Results:
    """A simulation that never finishes in time."""
    time.sleep(SLOW_S)
    return engine_simulate(scenario, seed)


def hog_or_engine(scenario: Scenario, seed: int | None) -> Results:
    """The engine, or with ``HOG_SEED`` a run that allocates memory for ever."""
    if seed == HOG_SEED:
        chunks = []
        while True:
            chunks.append(bytearray(CHUNK_BYTES))
    return engine_simulate(scenario, seed)
