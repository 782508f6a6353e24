"""What the job's inputs (reliability/jobdata.py) refuse, each with its whole message, and what they accept at
the edges."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from megacluster.reliability.jobdata import JobInputs


def _inputs(**change: Any) -> JobInputs:
    args: dict[str, Any] = {
        "step_start_s": np.arange(10) * 60.0,
        "dt_s": 60.0,
        "flop_rate": np.full(10, 1e15),
        "job_gpus": np.full(10, 8),
        "replica_gpus": 8,
        "target_flop": 1e18,
        "start_s": 0.0,
    }
    args.update(change)
    return JobInputs(**args)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"step_start_s": np.array([])}, "step_start_s must be a non-empty 1-D array"),
        ({"step_start_s": np.zeros((2, 5))}, "step_start_s must be a non-empty 1-D array"),
        ({"flop_rate": np.full(9, 1e15)}, "step_start_s, flop_rate and job_gpus must have the same length"),
        ({"job_gpus": np.full(11, 8)}, "step_start_s, flop_rate and job_gpus must have the same length"),
        ({"dt_s": 0.0}, "dt_s must be a positive number of seconds, got 0.0"),
        ({"dt_s": -60.0}, "dt_s must be a positive number of seconds, got -60.0"),
        ({"dt_s": math.inf}, "dt_s must be a positive number of seconds, got inf"),
        ({"step_start_s": np.r_[np.arange(9) * 60.0, np.nan]}, "step_start_s must be finite"),
        ({"step_start_s": np.arange(10) * 61.0}, "step_start_s must be contiguous steps of dt_s"),
        ({"flop_rate": np.r_[np.full(9, 1e15), -1.0]}, "flop_rate must be finite and non-negative"),
        ({"flop_rate": np.r_[np.full(9, 1e15), np.inf]}, "flop_rate must be finite and non-negative"),
        ({"job_gpus": np.r_[np.full(9, 8), -8]}, "job_gpus must be non-negative integers"),
        ({"job_gpus": np.r_[np.full(9, 8.0), 7.5]}, "job_gpus must be non-negative integers"),
        ({"replica_gpus": 0}, "replica_gpus must be at least 1, got 0"),
        ({"target_flop": 0.0}, "target_flop must be a positive number, got 0.0"),
        ({"target_flop": math.nan}, "target_flop must be a positive number, got nan"),
        ({"start_s": -1.0}, "start_s must be finite and not before the first step"),
        ({"start_s": math.inf}, "start_s must be finite and not before the first step"),
        ({"checkpoint_bytes": -1.0}, "checkpoint_bytes must be a finite non-negative number"),
        ({"checkpoint_bytes": math.inf}, "checkpoint_bytes must be a finite non-negative number"),
        (
            {"replica_flop_rate": np.array([0.0])},
            "replica_flop_rate must list finite non-negative rates for 0..R replicas",
        ),
        (
            {"replica_flop_rate": np.array([0.0, -1.0])},
            "replica_flop_rate must list finite non-negative rates for 0..R replicas",
        ),
        (
            {"site_event_rate_per_s": np.zeros(9)},
            "site_event_rate_per_s must be finite, non-negative, one value per step",
        ),
        (
            {"site_event_rate_per_s": np.r_[np.zeros(9), -1e-6]},
            "site_event_rate_per_s must be finite, non-negative, one value per step",
        ),
    ],
)
def test_bad_inputs_are_refused_with_their_message(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.").replace("(", r"\(") + "$"):
        _inputs(**change)


def test_edges_that_are_accepted_and_the_arrays_it_keeps() -> None:
    one = _inputs(step_start_s=np.array([0.0]), flop_rate=np.array([1e15]), job_gpus=np.array([8]))
    assert one.step_start_s.tolist() == [0.0]
    half = _inputs(step_start_s=np.arange(10) * 0.5, dt_s=0.5)  # sub-second steps
    assert half.dt_s == 0.5
    kept = _inputs(
        step_start_s=list(range(0, 600, 60)),
        flop_rate=[1e15] * 10,
        job_gpus=np.full(10, 8.0),
        replica_flop_rate=[0.0, 1e15],
        site_event_rate_per_s=[0] * 10,
        checkpoint_bytes=0.0,
        start_s=59.0,
    )
    assert kept.step_start_s.dtype == np.float64 and kept.flop_rate.dtype == np.float64
    assert kept.job_gpus.dtype == np.int64 and kept.job_gpus.tolist() == [8] * 10
    assert isinstance(kept.replica_flop_rate, np.ndarray) and kept.replica_flop_rate.dtype == np.float64
    assert isinstance(kept.site_event_rate_per_s, np.ndarray)
    assert kept.site_event_rate_per_s.dtype == np.float64
