"""Fixtures of the web tests: the app with default limits and the engine."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from simulators import engine_simulate

from megacluster.web.app import create_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The app with default limits and the engine."""
    with TestClient(create_app(simulator=engine_simulate)) as c:
        yield c
