"""The replica runner: the same seed gives the same results whatever the number of workers, and the
lean path (each replica reduced to its digest) gives exactly what the old all-arrays path gave."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from megacluster.engine.budget import JOB_COMPILED_MIN_REPLICAS, PARALLEL_MIN_REPLICAS
from megacluster.engine.replicas import auto_workers, job_loop, replica_generators, run_replicas
from megacluster.engine.simulate import prepare, simulate
from megacluster.errors import InputError
from megacluster.reliability.job import JobLoop
from megacluster.results.assemble import Results
from megacluster.results.eventlog import PLAIN_COLUMNS
from megacluster.scenario.load import load_scenario

REPLICAS = 4


def _same(a: Results, b: Results) -> None:
    assert a.summary.model_dump(mode="json") == b.summary.model_dump(mode="json")
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.all_events(), b.all_events())  # spooled or not: the same whole log


@pytest.fixture(scope="module")
def serial(small_scenario_path: Path) -> Results:
    return simulate(load_scenario(small_scenario_path), seed=7, replicas=REPLICAS, workers=1, swings=False)


def test_lean_path_equals_the_all_arrays_path(small_scenario_path: Path, serial: Results) -> None:
    """Every replica kept whole and assembled at the end (the previous method, the job on the Python loop) =
    digests as they finish (four replicas: the job on the compiled loop)."""
    prepared = prepare(load_scenario(small_scenario_path))
    runs = [prepared.replica(rng) for rng in replica_generators(7, REPLICAS)]
    _same(prepared.results(runs, 7, swings=False), serial)


def test_runs_of_several_replicas_use_the_compiled_job_loop() -> None:
    assert job_loop(1) is job_loop(JOB_COMPILED_MIN_REPLICAS - 1) is JobLoop.PYTHON
    assert job_loop(REPLICAS) is job_loop(1000) is JobLoop.COMPILED


def test_two_workers_give_the_same_results_as_one(small_scenario_path: Path, serial: Results) -> None:
    ticks: list[int] = []
    parallel = simulate(
        load_scenario(small_scenario_path),
        seed=7,
        replicas=REPLICAS,
        workers=2,
        swings=False,
        on_replica=lambda: ticks.append(1),
    )
    _same(parallel, serial)
    pd.testing.assert_frame_equal(parallel.events, serial.events)
    assert len(ticks) == REPLICAS
    assert parallel.all_events()["replica"].nunique() == REPLICAS


def test_the_run_keeps_the_first_replicas_events_and_every_finish(serial: Results) -> None:
    """In memory: replica 0's whole log and the others' finish rows; the rest is in the spooled log."""
    kept, whole = serial.events, serial.all_events()
    assert serial.event_log is not None and serial.event_log.rows == len(whole)
    pd.testing.assert_frame_equal(
        kept[kept["replica"] == 0].reset_index(drop=True),
        whole[whole["replica"] == 0].reset_index(drop=True),
    )
    others = whole[(whole["replica"] > 0) & (whole["kind"] == "finish")].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept[kept["replica"] > 0].reset_index(drop=True), others)
    assert len(whole) > len(kept)


def test_the_spool_folder_is_removed_with_the_log(small_scenario_path: Path) -> None:
    run = simulate(load_scenario(small_scenario_path), seed=3, replicas=2, workers=1, swings=False)
    assert run.event_log is not None
    folder = run.event_log.folder
    assert folder.name.startswith("megacluster-events-") and any(folder.iterdir())
    del run
    import gc

    gc.collect()
    assert not folder.exists()


def test_another_seed_gives_other_replicas(small_scenario_path: Path, serial: Results) -> None:
    other = simulate(load_scenario(small_scenario_path), seed=8, replicas=REPLICAS, workers=1, swings=False)
    bands = "cumulative_flop_p50"
    same_bands = np.array_equal(other.timeseries[bands].to_numpy(), serial.timeseries[bands].to_numpy())
    assert not same_bands or not other.events.equals(serial.events)


def test_replica_bands_are_ordered(serial: Results) -> None:
    ts = serial.timeseries
    assert (ts["cumulative_flop_p10"] <= ts["cumulative_flop_p50"] + 1e-6).all()
    assert (ts["cumulative_flop_p50"] <= ts["cumulative_flop_p90"] + 1e-6).all()
    assert serial.summary.replicas == REPLICAS


def test_auto_workers_uses_no_pool_for_few_replicas() -> None:
    assert auto_workers(1) == 1
    assert auto_workers(PARALLEL_MIN_REPLICAS - 1) == 1
    assert 1 <= auto_workers(1000) <= 1000


def test_bad_counts_are_input_errors(small_scenario_path: Path) -> None:
    prepared = prepare(load_scenario(small_scenario_path))
    with pytest.raises(InputError):
        run_replicas(prepared, 0, 0)
    with pytest.raises(InputError):
        run_replicas(prepared, 0, 2, workers=0)


def test_flop_bands_by_blocks_equal_the_bands_of_the_whole_stack() -> None:
    from megacluster.results.assemble import BAND_BLOCK_STEPS, flop_bands

    rng = np.random.default_rng(5)
    n = 2 * BAND_BLOCK_STEPS + 123  # a partial last block
    curves = [np.cumsum(rng.exponential(1e20, size=n)) for _ in range(17)]
    whole = np.percentile(np.vstack(curves), (10, 50, 90), axis=0)
    np.testing.assert_array_equal(flop_bands(curves, n), whole)


def test_spooled_curves_give_the_bands_of_the_curves_in_memory(tmp_path: Path) -> None:
    """The replicas' FLOP curves read back from the spool a block at a time give the same bands, to the bit,
    as the curves held in memory."""
    from megacluster.results.assemble import BAND_BLOCK_STEPS, ReplicaDigest, flop_bands
    from megacluster.results.eventlog import Spool, SpooledCurve, spooled

    rng = np.random.default_rng(9)
    n = BAND_BLOCK_STEPS + 77
    curves = [np.cumsum(rng.exponential(1e20, size=n)) for _ in range(11)]
    spool = Spool(tmp_path, pd.Timestamp("2024-01-01", tz="UTC"))
    events = pd.DataFrame({"time_s": [1.0], "kind": ["finish"]})
    held = []
    for i, curve in enumerate(curves):
        digest, rows = spooled(spool, i, ReplicaDigest(tree={}, cumulative_flop=curve, events=events))
        assert isinstance(digest.cumulative_flop, SpooledCurve) and rows == 1
        held.append(digest.cumulative_flop)
    np.testing.assert_array_equal(held[3][:], curves[3])
    np.testing.assert_array_equal(flop_bands(held, n), flop_bands(curves, n))
    with pytest.raises(ValueError, match="plain slices"):
        held[0][::2]
    held[0].path.write_bytes(b"")
    with pytest.raises(OSError, match="0 of 5 steps"):
        held[0][0:5]


def test_a_run_of_several_replicas_spools_their_curves(small_scenario_path: Path) -> None:
    from megacluster.engine.replicas import run_replicas
    from megacluster.engine.simulate import event_log
    from megacluster.results.eventlog import SpooledCurve

    prepared = prepare(load_scenario(small_scenario_path))
    log = event_log(prepared.scenario, prepared.grid)
    done = run_replicas(prepared, 7, 3, workers=1, log=log)
    assert all(isinstance(d.cumulative_flop, SpooledCurve) for d in done.digests)
    assert sorted(p.name for p in log.folder.glob("curve-*")) == [f"curve-00000{i}.f8" for i in range(3)]


def test_events_parquet_from_the_spool_holds_every_replicas_rows(serial: Results, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from megacluster.results.writers import write_run_files

    write_run_files(serial, tmp_path)
    table = pq.read_table(tmp_path / "events.parquet")
    pd.testing.assert_frame_equal(table.to_pandas(), serial.all_events())
    assert table.schema.field("work_lost_s").metadata[b"unit"] == b"s"
    assert table.schema.metadata[b"scenario"] == serial.summary.scenario.encode()
    # the columns of nearly all distinct values are written plain, the others dictionary-encoded
    group = pq.ParquetFile(tmp_path / "events.parquet").metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings for i in range(group.num_columns)}
    assert all("RLE_DICTIONARY" not in encodings[name] for name in PLAIN_COLUMNS)
    assert "RLE_DICTIONARY" in encodings["kind"] and "RLE_DICTIONARY" in encodings["restart_s"]


def test_events_parquet_in_several_row_groups_holds_the_same_rows(
    serial: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    import megacluster.results.eventlog as eventlog
    from megacluster.results.writers import write_run_files

    monkeypatch.setattr(eventlog, "ROW_GROUP_ROWS", 3)  # a group every few rows: whole replicas gathered
    write_run_files(serial, tmp_path)
    found = pq.ParquetFile(tmp_path / "events.parquet")
    assert found.metadata.num_row_groups == REPLICAS  # each replica's rows reach 3: one replica a group
    pd.testing.assert_frame_equal(found.read().to_pandas(), serial.all_events())


def test_a_failed_events_copy_fails_the_write(
    serial: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from megacluster.results.eventlog import EventLog
    from megacluster.results.writers import write_run_files

    def broken(self: EventLog, path: Path, to_table: object, key: object = None) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(EventLog, "write", broken)
    with pytest.raises(OSError, match="disk full"):  # from the thread that copies the events
        write_run_files(serial, tmp_path)


def test_stale_spools_of_dead_runs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    import subprocess
    import sys

    from megacluster.results.eventlog import SPOOL_PREFIX, remove_stale_spools

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)  # a process that has ended
    stale = tmp_path / f"{SPOOL_PREFIX}{pid}-abc"
    stale.mkdir()
    (stale / "replica-000000.arrow").write_bytes(b"x")
    (stale / "replica-000001.parquet").write_bytes(b"x")  # a part of an earlier version's spool
    (stale / "curve-000000.f8").write_bytes(b"x")
    (stale / "events-prepared.parquet").write_bytes(b"x")  # the log written ahead, cut short
    users = tmp_path / f"{SPOOL_PREFIX}{pid}-mine"  # the same name pattern with a user's file in it
    users.mkdir()
    (users / "notes.txt").write_text("keep me")
    (users / "replica-000000.arrow").write_bytes(b"z")
    alive = tmp_path / f"{SPOOL_PREFIX}{os.getpid()}-xyz"  # a live run's spool
    alive.mkdir()
    (alive / "replica-000001.arrow").write_bytes(b"y")
    other = tmp_path / "megacluster-events-notapid"
    other.mkdir()
    assert remove_stale_spools(tmp_path) == [stale]
    assert not stale.exists()
    assert (users / "notes.txt").read_text() == "keep me" and alive.exists() and other.exists()


def test_an_unwritable_temporary_folder_is_a_clear_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from megacluster.results.eventlog import EventLog

    monkeypatch.setattr(tempfile, "tempdir", "/proc/megacluster-no-such-folder")
    with pytest.raises(InputError, match=r"TMPDIR.*writable temporary folder"):
        EventLog(pd.Timestamp("2024-01-01", tz="UTC"))
