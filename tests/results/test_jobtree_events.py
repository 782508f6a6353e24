"""A replica's event table built on arrays (``jobtree.job_event_columns``) equals the pandas build it
replaced, to the value, dtype and row order, on the pinned and random jobs of the job-loop tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from megacluster.reliability import JobLoop, run_job
from megacluster.reliability.jobdata import JobResult
from megacluster.reliability.kinds import EventKind
from megacluster.reliability.restart import PART_NAMES
from megacluster.results.jobtree import job_event_columns, job_event_frame
from reliability.test_job_kernel import random_job
from reliability.test_job_loop_identical import CASES


def _pandas_frame(job: JobResult) -> pd.DataFrame:
    """The table as the pandas build made it: events and restart rows concatenated, sorted stably."""
    events = pd.DataFrame({k: np.asarray(v) for k, v in job.events.items()})
    for name, column in job.event_details.items():
        events[name] = np.asarray(column)
    restarts = pd.DataFrame(
        {
            "time_s": np.asarray(job.restart_log.get("time_s", [])),
            "kind": EventKind.RESTART.value,
            "cause": np.asarray(job.restart_log.get("cause", []), dtype=str),
            "gpus_affected": np.asarray(job.restart_log.get("gpus", []), dtype=np.int64),
            "work_lost_s": 0.0,
            "replicas": np.asarray(job.restart_log.get("replicas", []), dtype=np.int64),
            "blast": "",
        }
    )
    for name in ("restart_s", *PART_NAMES):
        restarts[name] = np.asarray(job.restart_log.get(name, []), dtype=np.float64)
        events[name] = 0.0
    events["order"] = 0
    restarts["order"] = 1
    frame = pd.concat([events, restarts], ignore_index=True) if len(restarts) else events
    frame = frame.sort_values(["time_s", "order"], kind="stable").drop(columns="order")
    return frame.reset_index(drop=True)


def _check(job: JobResult) -> None:
    pd.testing.assert_frame_equal(job_event_frame(job), _pandas_frame(job), check_exact=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_pinned_jobs_give_the_same_event_table(case: str) -> None:
    build, seed = CASES[case]
    _check(run_job(build(), np.random.default_rng(seed)))


@pytest.mark.parametrize("seed", range(20))
def test_random_jobs_give_the_same_event_table(seed: int) -> None:
    _check(run_job(random_job(seed), np.random.default_rng(seed), JobLoop.COMPILED))


def test_replicas_whose_times_have_other_resolutions_share_events_parquet(tmp_path: Path) -> None:
    # pandas gives replica 0's round times whole-microsecond resolution and replica 1's nanoseconds: both
    # must fit the file's schema (its first part's, with nanosecond times)
    import pyarrow.parquet as pq

    from megacluster.results.assemble import ReplicaDigest
    from megacluster.results.eventlog import EventLog

    def digest(times: list[float]) -> ReplicaDigest:
        n = len(times)
        events = pd.DataFrame(
            {
                "time_s": np.asarray(times),
                "kind": np.full(n, EventKind.FAILURE.value),
                "gpus_affected": np.ones(n, dtype=np.int64),
            }
        )
        return ReplicaDigest(tree={}, cumulative_flop=None, events=events)

    log = EventLog(pd.Timestamp("2024-07-01", tz="UTC"))
    log.keep(0, digest([60.0, 120.0]))
    log.keep(1, digest([60.000000001, 3600.123456789]))
    log.write(tmp_path / "events.parquet", lambda table: table)
    times = pq.read_table(tmp_path / "events.parquet").column("time").to_pylist()
    assert [t.value for t in pd.to_datetime(times)][-1] == pd.Timestamp("2024-07-01T01:00:00.123456789").value
    log.close()


def _spooled_both_ways(columns: dict[str, Any], tmp_path: Path) -> None:
    """A replica's spool part and kept rows from its arrays (``EventColumns``) equal those from its frame."""
    import pyarrow.feather as feather

    from megacluster.results.assemble import ReplicaDigest
    from megacluster.results.eventlog import EventColumns, Spool, spooled

    origin = pd.Timestamp("2024-07-01 05:00", tz="UTC")
    frame_way, arrays_way = Spool(tmp_path / "frame", origin), Spool(tmp_path / "arrays", origin)
    for spool in (frame_way, arrays_way):
        spool.folder.mkdir()
    events = EventColumns(columns)
    a, rows_a = spooled(frame_way, 3, ReplicaDigest(tree={}, cumulative_flop=None, events=events.frame()))
    b, rows_b = spooled(arrays_way, 3, ReplicaDigest(tree={}, cumulative_flop=None, events=events))
    assert rows_a == rows_b == len(events)
    table_a, table_b = feather.read_table(frame_way.part(3)), feather.read_table(arrays_way.part(3))
    assert table_b.schema.equals(table_a.schema.remove_metadata(), check_metadata=True)
    assert table_b.equals(table_a.replace_schema_metadata(None))
    pd.testing.assert_frame_equal(b.events, a.events, check_exact=True)  # the finish row: index, dtypes too


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_replicas_events_spool_alike_from_arrays_and_from_its_frame(case: str, tmp_path: Path) -> None:
    build, seed = CASES[case]
    _spooled_both_ways(job_event_columns(run_job(build(), np.random.default_rng(seed))), tmp_path)


def test_a_log_without_a_finish_row_spools_alike_both_ways(tmp_path: Path) -> None:
    build, seed = CASES["finishes"]
    columns = job_event_columns(run_job(build(), np.random.default_rng(seed)))
    unfinished = columns["kind"] != EventKind.FINISH.value
    assert 0 < unfinished.sum() < len(unfinished)
    _spooled_both_ways({k: v[unfinished] for k, v in columns.items()}, tmp_path)
