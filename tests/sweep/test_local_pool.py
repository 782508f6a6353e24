"""Small sweeps without ``--address`` run on local processes, not Ray: same rows, failures recorded."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from sweep_fakes import CountingUnit, calls

from megacluster.sweep import execute, plan_from_file
from megacluster.sweep.runner import LOCAL_MAX_TASKS, uses_ray

QUIET = Console(quiet=True)

SWEEP = """
name = "local"
base = "tiny.toml"
seed = 3
replicas = 2
replicas_per_task = 1
[design]
kind = "grid"
[[design.parameters]]
field = "power.generators[0].count"
values = [1, 2, 3]
"""


def _ray_running() -> bool:
    ray = sys.modules.get("ray")
    return bool(ray is not None and ray.is_initialized())


def test_executor_choice() -> None:
    assert uses_ray("127.0.0.1:6379", 1)
    assert uses_ray(None, LOCAL_MAX_TASKS + 1)
    assert uses_ray(None, 1) == _ray_running()


def test_small_sweep_runs_on_local_processes(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    if _ray_running():
        pytest.skip("this process is connected to Ray: the sweep would use it")
    path, log = write_sweep(SWEEP), tmp_path / "calls.log"
    first = execute(plan_from_file(path), tmp_path / "a", unit=CountingUnit(log), workers=2, console=QUIET)
    assert len(first.results) == 6 and first.results["error"].isna().all()
    assert calls(log) == 6 and first.tasks_run == 6
    assert "ray" not in sys.modules or not _ray_running()
    again = execute(plan_from_file(path), tmp_path / "b", unit=CountingUnit(log), workers=1, console=QUIET)
    assert again.results.equals(first.results)  # the number of workers does not change the rows


def test_a_dead_local_worker_loses_only_its_task(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    if _ray_running():
        pytest.skip("this process is connected to Ray: the sweep would use it")
    path, log = write_sweep(SWEEP), tmp_path / "calls.log"
    unit = CountingUnit(log, crash_at=2, fail_at=3)
    table = execute(plan_from_file(path), tmp_path / "out", unit=unit, workers=2, console=QUIET).results
    errors = table.set_index(["point", "replica"])["error"]
    crashed = table[table["power.generators[0].count"] == 2]["error"]
    assert crashed.str.startswith("task failed: worker process died").all() and len(crashed) == 2
    raised = table[table["power.generators[0].count"] == 3]["error"]
    assert raised.str.startswith("RuntimeError: boom").all()
    assert table[table["power.generators[0].count"] == 1]["error"].isna().all()
    assert len(errors) == 6
