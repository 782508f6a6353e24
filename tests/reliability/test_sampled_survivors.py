"""Behaviours that surviving mutants of the sampled mutation run showed untested
(docs/mutation/reliability.md): a cause table of one interruption, integer FLOP rates, the restart log of a
job that never restarted, a layout that fits exactly at the deepest cap."""

from __future__ import annotations

import numpy as np

from megacluster.power.policy import JobAllotment
from megacluster.reliability.causes import CauseTable, Domain, FailureCause, llama3_causes
from megacluster.reliability.jobdata import JobInputs
from megacluster.reliability.layout import Layouts
from megacluster.reliability.ledger import Ledger


def _cause(cause_id: str, count: int) -> FailureCause:
    return FailureCause(
        id=cause_id, label=cause_id, count=count, domain=Domain.GPU, takes_node_out=True, source="test"
    )


def test_a_table_of_a_single_interruption_gives_it_every_share() -> None:
    table = CauseTable(window=llama3_causes().window, causes=(_cause("gpu", 1), _cause("nic", 0)))
    assert table.shares().tolist() == [1.0, 0.0]
    assert table.shares(disabled=("gpu",)).tolist() == [0.0, 0.0]  # nothing left to share


def test_integer_flop_rates_are_kept_as_floats() -> None:
    inputs = JobInputs(
        step_start_s=np.arange(4) * 60.0,
        dt_s=60.0,
        flop_rate=np.full(4, 10**15, dtype=np.int64),
        job_gpus=np.full(4, 8),
        replica_gpus=8,
        target_flop=1e18,
        start_s=0.0,
    )
    assert inputs.flop_rate.dtype == np.float64 and inputs.flop_rate.tolist() == [1e15] * 4


def test_the_restart_log_of_a_job_that_never_restarted_has_typed_empty_columns() -> None:
    log = Ledger(start_s=0.0, n_causes=1).restarts()
    assert log["cause"].dtype == object and log["cause"].size == 0  # names (ledger.names)
    assert log["time_s"].dtype == np.float64 and log["replicas"].dtype == np.int64


def test_a_layout_that_fits_exactly_at_the_deepest_cap_runs_capped() -> None:
    """8 GPUs of 500 W at the deepest cap (700 W uncapped) on exactly 4,000 W: they fit only capped, and the
    time counts as capped even though the fit is exact (no tolerance turns it into 'does not fit')."""
    n, dt = 6, 60.0
    allotment = JobAllotment(
        allot_w=np.full(n, 8 * 500.0),
        held_gpus=np.full(n, 8),
        slope_w=500.0,
        fixed_w=200.0,
        idle_w=0.0,
        load=1.0,
        cap_min=0.6,
        exponent=1.0,
    )
    inputs = JobInputs(
        step_start_s=np.arange(n) * dt,
        dt_s=dt,
        flop_rate=np.full(n, 1e15),
        job_gpus=np.full(n, 8),
        replica_gpus=8,
        target_flop=1e30,
        start_s=0.0,
        power=allotment,
    )
    layouts = Layouts(inputs)
    assert layouts.fit_floor[0] == 8.0 and layouts.fit_uncapped[0] < 8.0
    assert layouts.capped_s(8, 0.0, 3 * dt) == 3 * dt  # a short span (the list path)
    assert layouts.capped_s(8, 0.0, n * dt) == n * dt
