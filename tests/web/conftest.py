"""Fixtures of the web tests: an app with a synthetic simulator (fast, engine-independent)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_engine import fake_simulate

from megacluster.web.app import create_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The app with default limits and the synthetic simulator."""
    with TestClient(create_app(simulator=fake_simulate)) as c:
        yield c
