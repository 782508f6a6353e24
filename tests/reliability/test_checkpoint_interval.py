"""Young and Daly against published worked values; write time; the policy's bounds."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from megacluster.performance.memory import checkpoint_bytes_for
from megacluster.reliability.checkpoint import (
    AutoMethod,
    CheckpointMode,
    CheckpointPolicy,
    daly_expected_wall_s,
    daly_interval_s,
    write_time_s,
    young_interval_s,
)

MIN = 60.0


@pytest.mark.parametrize(
    ("mtti_min", "expected_min", "tol_min"),
    [(24 * 60, 117.0, 0.5), (6 * 60, 57.0, 0.5), (15, 9.1, 0.05)],
)
def test_daly_worked_examples(mtti_min: float, expected_min: float, tol_min: float) -> None:
    # [P] Daly, FGCS 22 (2006), abstract: R = 10 min, delta = 5 min (facts.md 5.4); R does not enter eq. 37
    tau = float(daly_interval_s(5 * MIN, mtti_min * MIN)) / MIN
    assert tau == pytest.approx(expected_min, abs=tol_min)


def test_young_formula() -> None:
    assert float(young_interval_s(5 * MIN, 24 * 60 * MIN)) == pytest.approx(120 * MIN)
    assert float(young_interval_s(0.0, 3600.0)) == 0.0


def test_daly_falls_back_to_mtti_when_cost_is_large() -> None:
    assert float(daly_interval_s(3000.0, 1000.0)) == 1000.0


def test_daly_is_vectorised() -> None:
    out = daly_interval_s(np.array([300.0, 300.0]), np.array([86400.0, 900.0]))
    assert out.shape == (2,)
    assert out[0] > out[1]


def test_daly_close_to_exact_optimum_of_expected_wall_time() -> None:
    # the optimum of Daly's exact expected-wall-time model, found numerically, vs the eq. 37 estimate
    for mtti in (900.0, 3600.0, 6 * 3600.0):
        best = minimize_scalar(
            lambda tau, m=mtti: float(daly_expected_wall_s(1.0, tau, 60.0, 300.0, m)),
            bounds=(1.0, 10 * mtti),
            method="bounded",
            options={"xatol": 1e-6},
        ).x
        assert float(daly_interval_s(60.0, mtti)) == pytest.approx(best, rel=0.02)


def test_write_time_from_size_and_bandwidth() -> None:
    size = checkpoint_bytes_for(405e9)  # 14 B per parameter
    assert size == pytest.approx(5.67e12)
    assert write_time_s(size, 2.0) == pytest.approx(2.835)


@pytest.mark.parametrize("bad", [-1.0, math.nan])
def test_write_time_rejects_bad_size(bad: float) -> None:
    with pytest.raises(ValueError, match="checkpoint size"):
        write_time_s(bad, 2.0)


def test_policy_auto_uses_current_mtti_and_floors() -> None:
    sync = CheckpointPolicy(CheckpointMode.SYNC, write_s=60.0, stall_s=60.0, fixed_interval_s=None)
    assert sync.interval_s(3600.0) == pytest.approx(float(daly_interval_s(60.0, 3600.0)))
    assert sync.interval_s(4 * 3600.0) > sync.interval_s(3600.0)  # fewer failures, longer interval
    assert sync.interval_s(math.inf) == sync.max_interval_s
    assert sync.interval_s(1e-6) == sync.min_interval_s
    young = CheckpointPolicy(
        CheckpointMode.SYNC, write_s=60.0, stall_s=60.0, fixed_interval_s=None, auto_method=AutoMethod.YOUNG
    )
    assert young.interval_s(3600.0) == pytest.approx(math.sqrt(2 * 60 * 3600))
    # asynchronous: the background write must end before the next snapshot
    asyn = CheckpointPolicy(CheckpointMode.ASYNC, write_s=600.0, stall_s=1.0, fixed_interval_s=None)
    assert asyn.interval_s(3600.0) == 600.0
    fixed = CheckpointPolicy(CheckpointMode.SYNC, write_s=60.0, stall_s=60.0, fixed_interval_s=1800.0)
    assert fixed.interval_s(10.0) == 1800.0


def test_daly_expected_wall_time_worked_value() -> None:
    # T = M e^(R/M) (e^((tau + delta)/M) - 1) Ts / tau with M = 1 h, R = 10 min, tau = 20 min, delta = 5 min
    m, r, tau, delta, ts = 3600.0, 600.0, 1200.0, 300.0, 36_000.0
    expected = m * math.exp(r / m) * (math.exp((tau + delta) / m) - 1.0) * ts / tau
    got = float(daly_expected_wall_s(ts, tau, delta, r, m))
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx(65_949.27, rel=1e-6)
    # no interruptions in the limit: the wall time tends to the solve time plus the checkpoints
    assert float(daly_expected_wall_s(ts, tau, delta, r, 1e12)) == pytest.approx(ts * (tau + delta) / tau)


def test_daly_interval_at_the_cost_boundary() -> None:
    # delta = 2M exactly: the formula no longer applies and tau = M
    assert float(daly_interval_s(2000.0, 1000.0)) == 1000.0
    # just below: eq. 37 with x = delta / 2M = 0.999
    x = 1999.0 / 2000.0
    expected = math.sqrt(2 * 1999.0 * 1000.0) * (1 + math.sqrt(x) / 3 + x / 9) - 1999.0
    assert float(daly_interval_s(1999.0, 1000.0)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, -2.0, math.nan])
def test_write_time_rejects_bad_bandwidth(bad: float) -> None:
    with pytest.raises(ValueError, match="bandwidth"):
        write_time_s(1e12, bad)


def test_write_time_of_nothing_is_zero() -> None:
    assert write_time_s(0.0, 2.0) == 0.0
    assert write_time_s(7e12, 7.0) == pytest.approx(1.0)


def test_policy_daly_scalar_matches_the_vector_form() -> None:
    policy = CheckpointPolicy(CheckpointMode.SYNC, write_s=300.0, stall_s=300.0, fixed_interval_s=None)
    for mtti in (700.0, 3600.0, 24 * 3600.0):
        assert policy.interval_s(mtti) == pytest.approx(float(daly_interval_s(300.0, mtti)), rel=1e-12)
    # cost above 2 M: the interval is M (here floored by the stall itself)
    assert policy.interval_s(100.0) == 300.0
    cheap = CheckpointPolicy(CheckpointMode.SYNC, write_s=1.0, stall_s=1.0, fixed_interval_s=None)
    assert cheap.interval_s(0.4) == 60.0  # M = 0.4 s < delta / 2, floored to the minimum interval


def test_policy_clamps_to_its_bounds() -> None:
    policy = CheckpointPolicy(
        CheckpointMode.SYNC, write_s=10.0, stall_s=10.0, fixed_interval_s=None, max_interval_s=1000.0
    )
    assert policy.interval_s(1e9) == 1000.0
    assert policy.interval_s(math.inf) == 1000.0
    young = CheckpointPolicy(
        CheckpointMode.SYNC, 10.0, 10.0, None, auto_method=AutoMethod.YOUNG, min_interval_s=200.0
    )
    assert young.interval_s(1000.0) == 200.0  # sqrt(2 x 10 x 1000) = 141 s, raised to the floor
    assert young.interval_s(5000.0) == pytest.approx(math.sqrt(2 * 10 * 5000.0))
    asyn = CheckpointPolicy(CheckpointMode.ASYNC, write_s=300.0, stall_s=10.0, fixed_interval_s=None)
    assert asyn.interval_s(3600.0) == 300.0  # Daly gives 262 s: the background write must finish first
    assert asyn.interval_s(36_000.0) == pytest.approx(float(daly_interval_s(10.0, 36_000.0)))  # stall as cost


def test_slow_storage_is_accepted() -> None:
    assert write_time_s(1e12, 0.5) == pytest.approx(2.0)  # 1 TB at 0.5 TB/s


def test_formulas_are_quiet_at_a_zero_mtti() -> None:
    # no failures-free time at all: Daly falls back to M = 0 without numpy warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(daly_interval_s(60.0, 0.0)) == 0.0
        assert daly_interval_s(np.array([60.0, 0.0]), np.array([0.0, 0.0])).tolist() == [0.0, 0.0]
