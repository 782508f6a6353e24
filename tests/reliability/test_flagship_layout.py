"""On the flagship (colossus-2024 as shipped) the job changes its replica count only at restarts, and the
summary reports how often it did (issue 12, "Done when")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from megacluster.engine.simulate import simulate
from megacluster.results.assemble import Results
from megacluster.scenario.load import load_scenario


@pytest.fixture(scope="module")
def flagship() -> Results:
    return simulate(load_scenario("colossus-2024"))


def changes_outside_restarts(gpus: np.ndarray, edges_s: np.ndarray, restarts: pd.DataFrame) -> list[int]:
    """Steps where ``gpus`` (sampled at each step's end) changes between two non-zero values while no restart
    is under way: no restart [time_s, time_s + restart_s] overlaps the step."""
    starts = restarts["time_s"].to_numpy()
    ends = starts + restarts["restart_s"].to_numpy()
    order = np.argsort(starts)
    starts, ends = starts[order], ends[order]
    latest_end = np.maximum.accumulate(ends)
    bad = []
    for k in np.flatnonzero((gpus[1:] != gpus[:-1]) & (gpus[1:] > 0) & (gpus[:-1] > 0)) + 1:
        lo, hi = edges_s[k], edges_s[k + 1]  # gpus[k] is sampled at hi, gpus[k - 1] at lo
        j = int(np.searchsorted(starts, hi, side="right")) - 1  # last restart starting by hi
        if j < 0 or latest_end[j] <= lo:
            bad.append(int(k))
    return bad


def test_every_change_of_the_replica_count_coincides_with_a_restart(flagship: Results) -> None:
    ts, ev = flagship.timeseries, flagship.events
    t = (ts["time"] - ts["time"].iloc[0]).dt.total_seconds().to_numpy()
    dt = float(t[1] - t[0])
    edges = np.append(t, t[-1] + dt)
    restarts = ev[ev["kind"] == "restart"]
    layout = ts["job_gpus"].to_numpy()
    running = ts["job_running_gpus"].to_numpy()
    assert np.unique(layout[layout > 0]).size > 10, "the job changes size on the flagship"
    assert changes_outside_restarts(layout, edges, restarts) == []
    assert changes_outside_restarts(running, edges, restarts) == []
    # the layout's size is a whole number of replicas, the restart rows say on how many
    rg = int(np.gcd.reduce(layout[layout > 0]))
    assert rg > 1 and np.all(restarts["gpus_affected"].to_numpy() == restarts["replicas"].to_numpy() * rg)


def test_the_count_of_resizes_is_reported(flagship: Results) -> None:
    training = flagship.summary.training
    assert training is not None
    restarts = flagship.events[flagship.events["kind"] == "restart"]
    assert training.restarts == len(restarts)
    # the sampled running size changes at most once per resize; each resize is a restart, not every restart
    running = flagship.timeseries["job_running_gpus"].to_numpy()
    sizes = running[running > 0]
    seen = int(np.count_nonzero(sizes[1:] != sizes[:-1]))
    assert 0 < seen <= training.resizes < training.restarts
    assert training.lost_hours_by_cause is not None and training.lost_hours_by_cause.reshard > 0
