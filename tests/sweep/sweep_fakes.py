"""Stand-ins for the simulator in sweep tests: fast, deterministic, countable."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from megacluster.scenario.schema import Scenario

TINY = (Path(__file__).resolve().parents[1] / "data" / "tiny_scenario.toml").read_text(encoding="utf-8")
"""The tiny scenario (tests/data/tiny_scenario.toml; the sweep executors benchmark reads it too)."""


@dataclass(frozen=True)
class CountingUnit:
    """A fake ``simulate_point``: figures from the scenario and the seed; appends one line per call to
    ``log`` (a file, so calls are counted across Ray worker processes); raises when the generator count is
    ``fail_at``."""

    log: Path
    fail_at: int | None = None
    delay_s: float = 0.0
    crash_at: int | None = None

    def __call__(self, scenario: Scenario, seed: int) -> dict[str, Any]:
        time.sleep(self.delay_s)
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(f"{seed}\n")
        count = scenario.power.generators[0].count
        if self.crash_at is not None and count == self.crash_at:
            os._exit(3)  # the worker process dies: Ray loses the whole task
        if self.fail_at is not None and count == self.fail_at:
            raise RuntimeError(f"boom at {count} generators")
        rng = np.random.default_rng(seed)
        supply = scenario.power.grid[0].mw + 2.5 * count
        return {
            "supply_capacity_peak_mw": supply,
            "gpus_powered_mean": min(1024.0, supply / 0.0017) * rng.uniform(0.9, 1.0),
            "training.finished": bool(rng.uniform() < 0.5),
            "training.finish_day": float(rng.uniform(1, 3)) if count > 2 else None,
            "scenario": scenario.name,
        }


def calls(log: Path) -> int:
    """How many times the unit ran."""
    return len(log.read_text("utf-8").splitlines()) if log.exists() else 0


def main() -> None:
    """``python sweep_fakes.py SWEEP OUT LOG [ADDRESS]``: a sweep with a slow counting unit (to be killed)."""
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    from ray import cloudpickle

    from megacluster.sweep import run_sweep

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    address = sys.argv[4] if len(sys.argv) > 4 else None
    unit = CountingUnit(Path(sys.argv[3]), delay_s=0.3)
    run_sweep(sys.argv[1], sys.argv[2], workers=2, address=address, unit=unit)


if __name__ == "__main__":
    main()
