"""The built wheel, installed alone in a clean virtual environment, runs the flagship from another folder;
the base install leaves out the heavy extras and says how to get them; the licence and the bibliography
travel inside the wheel.

Needs uv (``scripts/test`` installs it) and the package registry or uv's cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _uv() -> str:
    found = shutil.which("uv")
    if found is None:
        if os.environ.get("CI"):
            raise AssertionError("uv is missing: scripts/test installs it")
        pytest.skip("uv is not installed")
    return found


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}}
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the clean venv's bin folder) with the base install only."""
    uv = _uv()
    work = tmp_path_factory.mktemp("wheel")
    built = _run([uv, "build", "--wheel", "--out-dir", str(work / "dist"), str(ROOT)], cwd=work)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((work / "dist").glob("megacluster-*.whl"))
    venv = work / "venv"
    made = _run([uv, "venv", "--python", sys.executable, str(venv)], cwd=work)
    assert made.returncode == 0, made.stderr[-2000:]
    done = _run([uv, "pip", "install", "--python", str(venv / "bin" / "python"), str(wheel)], cwd=work)
    assert done.returncode == 0, done.stderr[-2000:]
    return wheel, venv / "bin"


def test_the_wheel_carries_licence_bibliography_presets_and_types(installed: tuple[Path, Path]) -> None:
    names = zipfile.ZipFile(installed[0]).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names[-10:]
    for part in ("megacluster/sources/facts.md", "megacluster/py.typed", "megacluster/scenario/presets/"):
        assert any(part in n for n in names), part


def test_the_flagship_runs_from_another_folder(installed: tuple[Path, Path], tmp_path: Path) -> None:
    bin_dir = installed[1]
    ran = _run(
        [str(bin_dir / "megacluster"), "run", "colossus-2024", "--days", "10", "--step", "1h", "--json"],
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert json.loads(ran.stdout)["scenario"] == "colossus-2024"
    assert (tmp_path / "runs" / "colossus-2024" / "report.html").is_file()
    cited = _run([str(bin_dir / "megacluster"), "sources", "facts.md", "5.1"], cwd=tmp_path)
    assert cited.returncode == 0 and "Llama 3" in cited.stdout


def test_the_base_install_says_how_to_get_the_extras(installed: tuple[Path, Path], tmp_path: Path) -> None:
    bin_dir = installed[1]
    python = str(bin_dir / "python")
    probe = "import importlib.util as u; print(u.find_spec('ray'), u.find_spec('fastapi'))"
    missing = _run([python, "-c", probe], cwd=tmp_path)
    assert missing.stdout.strip() == "None None", missing.stdout
    (tmp_path / "s.toml").write_text(
        'name = "s"\nbase = "colossus-2024"\n[design]\nkind = "grid"\n'
        '[[design.parameters]]\nfield = "simulation.seed"\nvalues = [1]\n'
        '[fixed]\n"simulation.horizon_days" = 2\n',
        encoding="utf-8",
    )
    small = _run([str(bin_dir / "megacluster"), "sweep", "s.toml", "--out", "small"], cwd=tmp_path)
    assert small.returncode == 0, small.stderr  # a small sweep runs on local processes, no Ray needed
    assert (tmp_path / "small" / "results.parquet").is_file()
    on_ray = _run([str(bin_dir / "megacluster"), "sweep", "s.toml", "--address", "127.0.0.1:9"], cwd=tmp_path)
    assert on_ray.returncode == 2 and "megacluster[sweep]" in on_ray.stderr, on_ray.stderr
    serve = _run([str(bin_dir / "megacluster"), "serve"], cwd=tmp_path, timeout=60)
    assert serve.returncode == 2 and "megacluster[web]" in serve.stderr, serve.stderr
