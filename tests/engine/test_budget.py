"""The size-before-work estimate: whole replicas held at once, digests kept per replica, the compiled loop."""

from __future__ import annotations

import pytest

import megacluster.engine.budget as budget
from megacluster.scenario.load import load_scenario


def test_each_more_replica_adds_its_digest_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "usable_cores", lambda: 2)
    sc = load_scenario("colossus-2024")
    steps = 86_400
    a, b = budget.estimate_work(sc, 10), budget.estimate_work(sc, 11)
    per_replica = budget.DIGEST_BYTES + budget.BAND_BLOCK_STEPS * budget.BAND_STEP_BYTES
    assert b.memory_bytes - a.memory_bytes == pytest.approx(per_replica)
    one = budget.estimate_work(sc, 1)
    whole = steps * budget.REPLICA_STEP_BYTES + budget.EVENT_BYTES * one.events_per_replica
    # ten replicas on two workers: three whole replicas alive (the first, one per worker), ten digests, and
    # the job's compiled loop (ten replicas load it)
    assert a.memory_bytes - one.memory_bytes == pytest.approx(
        2 * whole + 10 * per_replica + budget.JOB_LOOP_BYTES
    )
    assert b.seconds > a.seconds > one.seconds


def test_the_compiled_job_loop_counts_from_its_replica_threshold() -> None:
    """Below ``JOB_COMPILED_MIN_REPLICAS`` the Python loop's cost per event; from it on, loading the compiled
    loop once and its cost per event."""
    sc = load_scenario("colossus-2024")
    n = budget.JOB_COMPILED_MIN_REPLICAS
    below, at = budget.estimate_work(sc, n - 1), budget.estimate_work(sc, n)
    events, steps = below.events_per_replica, below.steps
    assert below.seconds == pytest.approx(
        budget.SETUP_SECONDS
        + (n - 1) * (steps * budget.COMPILED_STEP_SECONDS + events * budget.EVENT_SECONDS)
    )
    assert at.seconds == pytest.approx(
        budget.SETUP_SECONDS
        + budget.JOB_LOOP_SECONDS
        + n * (steps * budget.COMPILED_STEP_SECONDS + events * budget.COMPILED_EVENT_SECONDS)
    )


def test_the_compiled_loop_counts_only_for_long_runs() -> None:
    long = budget.estimate_work(load_scenario("colossus-2024"), 1)
    short = budget.estimate_work(load_scenario("colossus-2024", {"simulation.horizon_days": 10}), 1)
    fixed = budget.BASE_BYTES + budget.COMPILED_LOOP_BYTES
    assert long.steps >= budget.COMPILED_MIN_STEPS > short.steps
    assert long.memory_bytes > fixed and short.memory_bytes < fixed


def test_a_spool_larger_than_the_temporary_folders_room_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of several replicas spool every replica's events and FLOP curve to TMPDIR: a run whose spool
    would not fit is refused before it starts, naming the folder, the estimate and the free space."""
    from megacluster.errors import InputError

    sc = load_scenario("colossus-2024")
    one, many = budget.estimate_work(sc, 1), budget.estimate_work(sc, 1_000)
    assert one.disk_bytes == 0.0  # one replica spools nothing
    per_replica = one.events_per_replica * budget.SPOOL_EVENT_BYTES + one.steps * budget.SPOOL_STEP_BYTES
    assert many.disk_bytes == pytest.approx(1_000 * per_replica)
    huge = dict.fromkeys(("max_memory_bytes", "max_seconds"), 1e30)
    monkeypatch.setattr(budget, "temp_free_bytes", lambda: many.disk_bytes / budget.DISK_SHARE * 1.01)
    budget.check_work(many, **huge)  # fits
    monkeypatch.setattr(
        budget, "temp_free_bytes", lambda: many.disk_bytes
    )  # fits, but not with room to spare
    with pytest.raises(InputError, match=r"TMPDIR.*would spool ~\d\.\d GiB .* which has \d\.\d GiB free"):
        budget.check_work(many, **huge)
