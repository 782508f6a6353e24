"""Fixtures of the sweep tests: one local Ray instance per test module, tiny scenarios, sweep files."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import sweep_fakes


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    """A local Ray with 2 CPUs for the whole module (starting Ray costs seconds)."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"  # workers run this interpreter; no uv env per session
    import ray
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sweep_fakes)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    """A folder holding the tiny scenario as ``tiny.toml``."""
    (tmp_path / "tiny.toml").write_text(textwrap.dedent(sweep_fakes.TINY), encoding="utf-8")
    return tmp_path


@pytest.fixture
def write_sweep(sweep_dir: Path) -> Callable[[str], Path]:
    """Write a sweep file next to the tiny scenario."""

    def _write(text: str, name: str = "sweep.toml") -> Path:
        path = sweep_dir / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
