"""Sweeps on a local Ray: results, failures recorded, resume after a kill, determinism."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from sweep_fakes import CountingUnit, calls

from megacluster.sweep import execute, plan_from_file
from megacluster.sweep.store import PARTS

# one Ray at a time: under pytest-xdist (-n) the Ray modules share one worker (--dist loadgroup)
pytestmark = [pytest.mark.usefixtures("ray_local"), pytest.mark.slow, pytest.mark.xdist_group("ray")]

GRID = """
name = "grid"
base = "tiny.toml"
seed = 5
replicas = 3
replicas_per_task = 2
[fixed]
"simulation.horizon_days" = 2
[design]
kind = "grid"
[[design.parameters]]
field = "power.generators[0].count"
values = [1, 2, 3, 4]
[[design.parameters]]
field = "facility.pue"
values = [1.1, 1.3]
"""

QUIET = Console(quiet=True)


def _run(path: Path, out: Path, log: Path, fail_at: int | None = None) -> pd.DataFrame:
    outcome = execute(plan_from_file(path), out, unit=CountingUnit(log, fail_at), workers=2, console=QUIET)
    return outcome.results


def test_grid_sweep_writes_one_row_per_point_and_replica(
    write_sweep: Callable[[str], Path], tmp_path: Path
) -> None:
    out, log = tmp_path / "out", tmp_path / "calls.log"
    outcome = execute(
        plan_from_file(write_sweep(GRID)), out, unit=CountingUnit(log), workers=2, console=QUIET
    )
    table = outcome.results
    assert len(table) == 8 * 3 and calls(log) == 24
    assert list(table.columns[:6]) == [
        "point",
        "replica",
        "seed",
        "error",
        "power.generators[0].count",
        "facility.pue",
    ]
    assert table["error"].isna().all()
    # the grid: first parameter varies slowest
    firsts = table.groupby("point").first()
    assert list(firsts["power.generators[0].count"]) == [1, 1, 2, 2, 3, 3, 4, 4]
    assert list(firsts["facility.pue"]) == [1.1, 1.3] * 4
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), table, check_dtype=False)
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 8
    assert {
        "supply_capacity_peak_mw.p10",
        "supply_capacity_peak_mw.p50",
        "supply_capacity_peak_mw.p90",
    } <= set(summary.columns)
    assert (summary["gpus_powered_mean.p10"] <= summary["gpus_powered_mean.p90"]).all()
    assert "training.finished.share" in summary.columns
    # finish_day missing for 1-2 generators (never finished): percentiles are NaN, not a made-up number
    assert summary.loc[summary["power.generators[0].count"] <= 2, "training.finish_day.p50"].isna().all()
    assert (out / "summary.csv").is_file()


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(
    write_sweep: Callable[[str], Path], tmp_path: Path
) -> None:
    table = _run(write_sweep(GRID), tmp_path / "out", tmp_path / "calls.log", fail_at=3)
    failed = table[table["error"].notna()]
    assert set(failed["power.generators[0].count"]) == {3}
    assert len(failed) == 2 * 3
    assert failed["error"].str.contains("RuntimeError: boom at 3 generators").all()
    assert table[table["error"].isna()]["supply_capacity_peak_mw"].notna().all()
    summary = pd.read_parquet(tmp_path / "out" / "summary.parquet")
    assert list(summary["replicas_failed"]) == [0, 0, 0, 0, 3, 3, 0, 0]


def test_a_crashed_worker_is_recorded_and_the_sweep_goes_on(
    write_sweep: Callable[[str], Path], tmp_path: Path
) -> None:
    text = GRID.replace("replicas_per_task = 2", "replicas_per_task = 3").replace("[1.1, 1.3]", "[1.1]")
    path, log = write_sweep(text), tmp_path / "calls.log"
    unit = CountingUnit(log, crash_at=2)  # one task dies (a worker restart costs seconds)
    table = execute(plan_from_file(path), tmp_path / "out", unit=unit, workers=2, console=QUIET).results
    failed = table[table["error"].notna()]
    assert set(failed["power.generators[0].count"]) == {2} and len(failed) == 3
    assert failed["error"].str.startswith("task failed: ").all()
    assert table[table["error"].isna()]["supply_capacity_peak_mw"].notna().all()


def test_resume_after_a_kill_skips_finished_work(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    path, out, log = write_sweep(GRID), tmp_path / "out", tmp_path / "calls.log"
    full = _run(path, out, log)
    # a kill half-way: only some tasks' part files exist, the final tables were never written,
    # and a temporary file of an interrupted write lies around
    parts = sorted((out / PARTS).glob("*.json"))
    assert len(parts) == 8 * 2
    for part in parts[::2]:
        part.unlink()
    for name in ("results.parquet", "summary.parquet", "summary.csv"):
        (out / name).unlink()
    (out / PARTS / ".p000001-r00000-00001.json.x.tmp").write_text("{", encoding="utf-8")
    kept = {p.name: p.read_bytes() for p in parts[1::2]}
    lost_rows = 24 - sum(len(pd.read_json(p)) for p in parts[1::2])
    before = calls(log)
    outcome = execute(plan_from_file(path), out, unit=CountingUnit(log), workers=2, console=QUIET)
    assert calls(log) - before == lost_rows == outcome.rows_computed
    assert outcome.rows_reused == 24 - lost_rows
    for name, data in kept.items():  # finished parts untouched
        assert (out / PARTS / name).read_bytes() == data
    assert not list((out / PARTS).glob(".*.tmp"))
    pd.testing.assert_frame_equal(outcome.results, full)
    # a third run has nothing left to do
    again = execute(plan_from_file(path), out, unit=CountingUnit(log), workers=2, console=QUIET)
    assert again.rows_computed == 0 and calls(log) - before == lost_rows
    pd.testing.assert_frame_equal(again.results, full)


def test_resume_can_retry_failed_replicas(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    path, out, log = write_sweep(GRID), tmp_path / "out", tmp_path / "calls.log"
    _run(path, out, log, fail_at=4)
    plan = plan_from_file(path)
    outcome = execute(plan, out, unit=CountingUnit(log), workers=2, retry_failed=True, console=QUIET)
    assert outcome.rows_computed == 6 and outcome.rows_failed == 0


def test_same_sweep_same_seed_same_table(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    path = write_sweep(GRID)
    first = _run(path, tmp_path / "a", tmp_path / "a.log")
    second = _run(path, tmp_path / "b", tmp_path / "b.log")
    pd.testing.assert_frame_equal(first, second)
    # nor does the batching of replicas into tasks change anything
    rebatched = write_sweep(GRID.replace("replicas_per_task = 2", "replicas_per_task = 3"), "rebatched.toml")
    pd.testing.assert_frame_equal(first, _run(rebatched, tmp_path / "d", tmp_path / "d.log"))
    # another seed gives other replicas
    other = write_sweep(GRID.replace("seed = 5", "seed = 6"), "other.toml")
    third = _run(other, tmp_path / "c", tmp_path / "c.log")
    assert not first["seed"].equals(third["seed"])


def test_random_design_is_seeded_and_within_bounds(
    write_sweep: Callable[[str], Path], tmp_path: Path
) -> None:
    text = """
    name = "rnd"
    base = "tiny.toml"
    seed = 9
    replicas = 2
    [design]
    kind = "random"
    samples = 6
    [[design.parameters]]
    field = "power.generators[0].count"
    min = 1
    max = 5
    integer = true
    [[design.parameters]]
    field = "facility.pue"
    min = 1.1
    max = 1.4
    """
    path = write_sweep(text)
    table = _run(path, tmp_path / "a", tmp_path / "a.log")
    assert len(table) == 12
    assert table["power.generators[0].count"].between(1, 5).all()
    assert table["facility.pue"].between(1.1, 1.4).all()
    again = _run(path, tmp_path / "b", tmp_path / "b.log")
    pd.testing.assert_frame_equal(table, again)


def test_another_sweep_cannot_reuse_the_folder(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    from megacluster.errors import InputError

    out = tmp_path / "out"
    _run(write_sweep(GRID), out, tmp_path / "a.log")
    other = write_sweep(GRID.replace("replicas = 3", "replicas = 4"), "other.toml")
    with pytest.raises(InputError, match="another sweep"):
        execute(plan_from_file(other), out, unit=CountingUnit(tmp_path / "b.log"), console=QUIET)


def _settled_calls(log: Path, quiet_s: float = 2.0, limit_s: float = 60.0) -> int:
    """The unit's calls once the log has stopped growing for ``quiet_s``: Ray cancels a killed driver's tasks
    asynchronously, and one already running on this module's cluster may still finish and log its call. [-]"""
    seen, since, deadline = calls(log), time.monotonic(), time.monotonic() + limit_s
    while time.monotonic() - since < quiet_s and time.monotonic() < deadline:
        time.sleep(0.1)
        now = calls(log)
        if now != seen:
            seen, since = now, time.monotonic()
    return seen


def test_a_real_kill_loses_nothing_and_recomputes_nothing_finished(
    write_sweep: Callable[[str], Path], tmp_path: Path
) -> None:
    """SIGKILL a sweep process half-way, then run it again into the same folder.

    The killed process joins this module's Ray through ``address``, as ``--address`` joins a cluster."""
    import ray

    path = write_sweep(GRID.replace("replicas_per_task = 2", "replicas_per_task = 1"))
    out, log = tmp_path / "out", tmp_path / "calls.log"
    script = Path(__file__).with_name("sweep_fakes.py")
    address = ray.get_runtime_context().gcs_address
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(out), str(log), address])
    try:
        deadline = time.monotonic() + 60
        while len(list((out / PARTS).glob("p*.json"))) < 5:
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("the sweep did not get going")
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    before = _settled_calls(log)  # the killed driver's tasks still running on the shared Ray end first
    finished = {p.name: p.read_bytes() for p in (out / PARTS).glob("p*.json")}
    assert 5 <= len(finished) < 24
    assert not (out / "results.parquet").exists()
    outcome = execute(plan_from_file(path), out, unit=CountingUnit(log), workers=2, console=QUIET)
    assert outcome.rows_reused == len(finished)
    assert calls(log) - before == outcome.rows_computed == 24 - len(finished)
    for name, data in finished.items():
        assert (out / PARTS / name).read_bytes() == data
    reference = _run(path, tmp_path / "ref", tmp_path / "ref.log")
    pd.testing.assert_frame_equal(outcome.results, reference)


def test_cli_sweep_with_the_engine_prints_the_summary(
    write_sweep: Callable[[str], Path], tmp_path: Path
) -> None:
    """End to end: the command, the real simulator, Ray local, the printed P10/P50/P90 table."""
    import typer
    from typer.testing import CliRunner

    from megacluster.cli.sweep import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    text = GRID.replace("replicas = 3", "replicas = 2").replace("values = [1, 2, 3, 4]", "values = [0, 4]")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(write_sweep(text)), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "P50 [P10–P90]" in result.output and "gpus_powered_mean" in result.output
    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == 4 * 2 and table["error"].isna().all()
    assert {"training.goodput", "energy_mwh.total", "emissions_t.co2"} <= set(table.columns)
    # more generators, more powered GPUs (1 MW of grid alone cannot run 1,024 GPUs)
    means = table.groupby("power.generators[0].count")["gpus_powered_mean"].mean()
    assert means[4] > means[0]
    again = CliRunner().invoke(app, ["sweep", str(write_sweep(text)), "--out", str(out), "--quiet"])
    assert again.exit_code == 0 and "0 replicas run, 8 reused" in again.output
