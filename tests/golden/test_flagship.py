"""The flagship, pinned: a refactor that moves one of its figures fails here, loudly.

When a figure moves on purpose (a model change), regenerate the golden file in the same commit and give the
reason in the commit message:
``uv run python tests/golden/golden_figures.py > tests/data/golden/colossus-2024.json``.
The tolerances only absorb floating-point noise across machines and library versions: the run is seeded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .golden_figures import flagship_figures

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "colossus-2024.json"
pytestmark = pytest.mark.slow

REL = 2e-3
"""Relative tolerance of every pinned figure. [-]"""


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return flagship_figures()


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text("utf-8"))
    return data


def test_finish_goodput_and_interruptions(figures: dict[str, Any], golden: dict[str, Any]) -> None:
    assert figures["finish_day"] == pytest.approx(golden["finish_day"], abs=0.25)  # six hours
    assert figures["goodput"] == pytest.approx(golden["goodput"], abs=0.002)
    assert figures["mfu"] == pytest.approx(golden["mfu"], rel=REL)
    assert figures["interruptions_unexpected"] == pytest.approx(golden["interruptions_unexpected"], rel=0.01)


def test_powered_gpus_by_month(figures: dict[str, Any], golden: dict[str, Any]) -> None:
    assert figures["gpus_powered_by_month"].keys() == golden["gpus_powered_by_month"].keys()
    for month, value in golden["gpus_powered_by_month"].items():
        assert figures["gpus_powered_by_month"][month] == pytest.approx(value, rel=REL), month


@pytest.mark.parametrize("block", ["energy_mwh", "emissions_t"])
def test_energy_and_emissions_by_source(figures: dict[str, Any], golden: dict[str, Any], block: str) -> None:
    for key, value in golden[block].items():
        assert figures[block][key] == pytest.approx(value, rel=REL, abs=1e-6), f"{block}.{key}"
    assert figures["water_m3"] == pytest.approx(golden["water_m3"], rel=REL)
