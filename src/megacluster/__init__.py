"""megacluster: a simulator and planner for giant AI-training data centers.

From Python::

    from megacluster import load_scenario, simulate
    results = simulate(load_scenario("colossus-2024"))

The names below are imported when first used, so that ``import megacluster`` (and the command line's
start-up) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from megacluster._version import __version__

if TYPE_CHECKING:
    from megacluster.api import Results, load_scenario, simulate
    from megacluster.errors import InputError
    from megacluster.scenario.schema import Scenario

__all__ = ["InputError", "Results", "Scenario", "__version__", "load_scenario", "simulate"]

_LAZY = {
    "load_scenario": "megacluster.api",
    "simulate": "megacluster.api",
    "Results": "megacluster.api",
    "InputError": "megacluster.errors",
    "Scenario": "megacluster.scenario.schema",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'megacluster' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
