"""Parameter sweeps on Ray: a base scenario, parameters to vary, Monte Carlo replicas per point.

Public API:

- :func:`megacluster.sweep.spec.load_sweep` / :class:`megacluster.sweep.spec.SweepSpec`: the sweep file;
- :func:`megacluster.sweep.plan.plan_sweep`: validated points and tasks (bad input raises before any work);
- :func:`megacluster.sweep.work.simulate_point`: the unit of work, ``(scenario, seed) -> flat figures``;
- :func:`megacluster.sweep.runner.execute`: run or resume a sweep into an output folder;
- :func:`run_sweep`: all of the above from a file.
"""

from __future__ import annotations

from pathlib import Path

from megacluster.sweep.plan import SweepPlan, plan_from_file, plan_sweep
from megacluster.sweep.runner import SweepOutcome, execute
from megacluster.sweep.spec import SweepSpec, load_sweep
from megacluster.sweep.work import ENGINE, EngineUnit, UnitOfWork, simulate_point

__all__ = [
    "ENGINE",
    "EngineUnit",
    "SweepOutcome",
    "SweepPlan",
    "SweepSpec",
    "UnitOfWork",
    "execute",
    "load_sweep",
    "plan_from_file",
    "plan_sweep",
    "run_sweep",
    "simulate_point",
]


def run_sweep(
    path: str | Path,
    out_dir: str | Path,
    *,
    workers: int = 1,
    address: str | None = None,
    unit: UnitOfWork = ENGINE,
) -> SweepOutcome:
    """Validate a sweep file, then run or resume it into ``out_dir`` on Ray."""
    return execute(plan_from_file(path), Path(out_dir), unit=unit, workers=workers, address=address)
