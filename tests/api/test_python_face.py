"""The Python face: ``from megacluster import load_scenario, simulate`` as the README documents it, the
notebook example, and the command line's conventions (version, -h, progress on a terminal only)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import megacluster
from megacluster import InputError, load_scenario, simulate
from megacluster.results.outdir import MARKER

ROOT = Path(__file__).resolve().parents[2]


def test_version_and_lazy_names() -> None:
    assert megacluster.__version__ and megacluster.__version__ != "unknown"
    assert set(megacluster.__all__) >= {"load_scenario", "simulate", "Results", "__version__"}
    with pytest.raises(AttributeError):
        _ = megacluster.no_such_name  # type: ignore[attr-defined]


def test_load_simulate_read_and_report(tmp_path: Path) -> None:
    scenario = load_scenario(
        "colossus-2024", overrides={"simulation.horizon_days": 30, "simulation.step": "1h"}
    )
    results = simulate(scenario, seed=3)
    assert results.summary.seed == 3 and results.summary.energy_mwh.total > 0
    assert isinstance(results.timeseries["time"].dtype, pd.DatetimeTZDtype)
    assert str(results.timeseries["time"].dt.tz) == "UTC"
    # the simulation clock starts at local (Memphis, UTC-6) midnight: 06:00 UTC
    assert results.timeseries["time"].iloc[0] == pd.Timestamp("2024-07-01T06:00", tz="UTC")
    report = results.to_report(tmp_path / "r" / "report.html")
    assert report.read_text("utf-8").startswith("<!DOCTYPE html>")
    again = simulate(scenario, seed=3)
    pd.testing.assert_frame_equal(results.timeseries, again.timeseries)


def test_write_follows_the_output_rules(tmp_path: Path) -> None:
    results = simulate(
        load_scenario("colossus-2024", {"simulation.horizon_days": 2, "simulation.step": "1h"})
    )
    out = results.write(tmp_path / "run")
    assert (out / MARKER).is_file() and (out / "summary.json").is_file()
    with pytest.raises(InputError, match="--force"):
        results.write(tmp_path / "run")
    results.write(tmp_path / "run", force=True)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a megacluster output"):
        results.write(tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


def test_bad_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="horizon_days"):
        load_scenario("colossus-2024", {"simulation.horizon_days": -1})


@pytest.mark.slow
def test_the_notebook_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "notebook.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "report written to" in done.stdout and "training:" in done.stdout


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "megacluster.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version_and_short_help() -> None:
    for flag in ("--version", "-V"):
        assert _cli(flag).stdout.strip() == f"megacluster {megacluster.__version__}"
    help_text = _cli("run", "-h").stdout
    assert "--set FIELD=VALUE" in help_text and "[simulation]" in help_text
    assert "<bool>" not in help_text and "--json" in help_text


TINY = """
name = "tiny"
[simulation]
start = 2024-07-01
horizon_days = 20
step = "10min"
replicas = 6
[[fleet]]
accelerator = "h100-sxm"
count = 512
install_start = 2024-07-01
install_end = 2024-07-01
[power]
grid = [ { from = 2024-07-01, mw = 5 } ]
[training]
model = "gpt3-175b"
target_flop = 1e24
job_gpus = 512
[training.layout]
tp = 8
pp = 8
"""


def _run_in_pty(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the command line with stdout and stderr on a pseudo-terminal; everything it wrote."""
    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "megacluster.cli", *args], stdout=secondary, stderr=secondary, cwd=cwd, env=env
    )
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=60)
    os.close(main)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_progress_on_a_terminal_and_not_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    code, screen = _run_in_pty(["run", "tiny.toml"], tmp_path)
    assert code == 0, screen[-2000:]
    assert "simulating tiny" in screen and "/6" in screen  # the bar, with its count of replicas
    assert "report.html" in screen
    piped = subprocess.run(
        [sys.executable, "-m", "megacluster.cli", "run", "tiny.toml", "--force", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert piped.returncode == 0 and piped.stderr == ""  # no bar when stderr is no terminal
    assert piped.stdout.lstrip().startswith("{")  # --json: stdout holds the summary only
