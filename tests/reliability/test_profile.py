"""The job's running GPUs and progress over a timeline, per repair deficit: known values by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from megacluster.reliability.profile import (
    HAZARD_BAND,
    Profile,
    ProfileCache,
    Timeline,
    band_change_index,
    banded,
    next_index,
)

# six steps of 10 s; the job holds 16, 16, 0, 8, 8, 24 GPUs in replicas of 8 at 1 FLOP/s per GPU (step 1: 2)
EDGES = np.arange(7) * 10.0
HELD = np.array([16, 16, 0, 8, 8, 24])
RATE = HELD * np.array([1.0, 2.0, 1.0, 1.0, 1.0, 1.0])


def _timeline() -> Timeline:
    return Timeline.build(EDGES, RATE, HELD, 8)


def test_timeline_runs_of_equal_gpus() -> None:
    tl = _timeline()
    assert tl.run_start.tolist() == [0, 2, 3, 5, 6]
    assert tl.run_of.tolist() == [0, 0, 1, 2, 2, 3]
    assert tl.run_gpus.tolist() == [16, 0, 8, 24]
    assert tl.run_full.tolist() == [16, 0, 8, 24]
    assert tl.per_gpu_rate.tolist() == [1.0, 2.0, 0.0, 1.0, 1.0, 1.0]
    assert tl.per_gpu_cum.tolist() == [0.0, 10.0, 30.0, 30.0, 40.0, 50.0, 60.0]


def test_timeline_full_job_is_whole_replicas() -> None:
    tl = Timeline.build(np.arange(3) * 1.0, np.full(2, 1.0), np.array([12, 20]), 8)
    assert tl.run_full.tolist() == [8, 16]


def test_progress_at_full_strength() -> None:
    p = Profile(_timeline(), 0)
    assert [p.eff(k) for k in range(6)] == [16, 16, 0, 8, 8, 24]
    assert [p.accept(k) for k in range(6)] == [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    # 16 GPUs x (10 s x 1 + 10 s x 2) = 480 FLOP by t = 20; nothing in step 2; 8 GPUs x 20 s; 24 x 10 s
    assert p.run_cum.tolist() == [0.0, 480.0, 480.0, 640.0, 880.0]
    assert p.progress(5.0, 0) == 80.0
    assert p.progress(15.0, 1) == 160.0 + 160.0
    assert p.progress(25.0, 2) == 480.0
    assert p.progress(45.0, 4) == 480.0 + 8 * 15.0
    np.testing.assert_array_equal(
        p.progress_v(np.array([5.0, 45.0, 55.0]), np.array([0, 4, 5])), [80, 600, 760]
    )


def test_progress_with_a_deficit_sheds_whole_replicas() -> None:
    p = Profile(_timeline(), 8)
    assert [p.eff(k) for k in range(6)] == [8, 8, 0, 0, 0, 16]
    assert [p.accept(k) for k in range(6)] == [0.5, 0.5, 0.0, 0.0, 0.0, pytest.approx(2 / 3)]
    assert p.run_cum.tolist() == [0.0, 240.0, 240.0, 240.0, 400.0]
    assert p.progress(55.0, 5) == 240.0 + 16 * 5.0


def test_time_of_inverts_progress() -> None:
    p = Profile(_timeline(), 0)
    assert p.time_of(80.0, 0.0) == 5.0
    assert p.time_of(320.0, 0.0) == 15.0
    assert p.time_of(480.0, 0.0) == 20.0  # reached at the end of step 1, before the idle step
    assert p.time_of(560.0, 0.0) == 40.0  # 80 more at 8 GPUs from t = 30
    assert p.time_of(880.0, 0.0) == 60.0
    assert math.isinf(p.time_of(880.001, 0.0))
    assert p.time_of(0.0, 12.0) == 12.0  # never before the given instant
    assert p.time_of(80.0, 7.0) == 7.0


def test_next_steps_without_and_with_gpus() -> None:
    p = Profile(_timeline(), 0)
    assert [p.next_zero_step(k) for k in range(6)] == [2, 2, 2, None, None, None]
    assert [p.next_running_step(k) for k in range(6)] == [0, 1, 3, 3, 4, 5]
    assert [p.next_change_step(k) for k in range(6)] == [2, 2, 3, 5, 5, None]
    short = Profile(_timeline(), 16)  # only the last run keeps a replica
    assert [short.next_running_step(k) for k in range(6)] == [5] * 6
    assert [short.next_zero_step(k) for k in range(6)] == [0, 1, 2, 3, 4, None]
    constant = Profile(Timeline.build(EDGES[:3], np.ones(2), np.array([8, 8]), 8), 0)
    assert constant.next_change_step(0) is None
    assert constant.next_zero_step(0) is None
    assert constant.next_running_step(1) == 1
    once = Profile(Timeline.build(EDGES[:4], np.ones(3), np.array([8, 8, 16]), 8), 0)  # one change
    assert [once.next_change_step(k) for k in range(3)] == [2, 2, None]


def test_profiles_are_built_once_per_deficit() -> None:
    cache = ProfileCache(_timeline())
    assert cache.get(8) is cache.get(8)
    assert cache.get(8).deficit == 8 and cache.get(0).deficit == 0


def test_bands_round_down_to_one_percent_steps() -> None:
    values = np.array([1.0, 1.005, 1.0101, 1.03, 2.0])
    levels = banded(values)
    assert levels[0] == pytest.approx(1.0) and levels[1] == pytest.approx(1.0)
    assert levels[2] == pytest.approx(1.01)
    assert np.all(levels <= values * (1 + 1e-12)) and np.all(levels > values / math.exp(HAZARD_BAND))
    assert band_change_index(values).tolist() == [2, 3, 4]
    assert band_change_index(np.ones(4)).size == 0
    with pytest.raises(ValueError, match="positive"):
        banded(np.array([1.0, 0.0]))


def test_next_index() -> None:
    idx = np.array([2, 5, 9])
    assert [next_index(idx, k) for k in (0, 2, 3, 9, 10)] == [2, 2, 5, 9, None]
    assert next_index(np.array([], dtype=np.intp), 0) is None
    assert [next_index(np.array([3]), k) for k in (0, 3, 4)] == [3, 3, None]
