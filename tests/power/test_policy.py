"""The power policy: cap or idle blocks, whichever gives more training throughput per MW (power/policy.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from megacluster.power.phases import fit_demand
from megacluster.power.policy import (
    JobAllotment,
    PowerPolicy,
    best_cap_fraction,
    target_cap_fraction,
    throughput_per_kw,
)
from megacluster.power.state import Campus


def _campus(policy: PowerPolicy, exponent: float, fixed_w: float, idle_w: float) -> Campus:
    """1,000 GPUs of 700 W slope in blocks of 8, at PUE 1 in the tests."""
    return Campus(
        installed=[[1000]],
        slope_w=[700.0],
        fixed_w=[fixed_w],
        load_fraction=1.0,
        cap_enabled=True,
        cap_min_fraction=0.6,
        block_gpus=8,
        idle_w=[idle_w],
        policy=policy,
        exponent=exponent,
    )


def _throughput(
    policy: PowerPolicy, exponent: float, fixed_w: float, idle_w: float, target_mw: float
) -> float:
    """GPU-equivalents the campus runs within ``target_mw``: powered GPUs x (cap / load) ** exponent."""
    campus = _campus(policy, exponent, fixed_w, idle_w)
    served, cap = fit_demand(campus, 0, target_mw, 1.0)
    assert served <= target_mw + 1e-9
    return campus.powered[0][0] * min(cap, 1.0) ** exponent


def test_best_cap_has_the_closed_form() -> None:
    # c* = a (F - q) / ((1 - a) s): 0.8 x 150 / (0.2 x 700) = 0.857, inside [0.6, 1]
    assert best_cap_fraction(700.0, 350.0, 200.0, 1.0, 0.6, 0.8) == pytest.approx(0.8 * 150 / (0.2 * 700))
    assert best_cap_fraction(700.0, 300.0, 200.0, 1.0, 0.6, 0.8) == 0.6  # 0.571 clamped up to the deepest cap
    assert best_cap_fraction(700.0, 500.0, 0.0, 1.0, 0.6, 0.866) == 1.0  # 4.0 clamped down: never cap
    assert best_cap_fraction(700.0, 500.0, 100.0, 1.0, 0.6, 1.0) == 1.0  # linear curve: idling wins
    assert target_cap_fraction(PowerPolicy.CAP_FIRST, 700.0, 500.0, 0.0, 1.0, 0.6, 0.866) == 0.6
    assert target_cap_fraction(PowerPolicy.IDLE_FIRST, 700.0, 500.0, 0.0, 1.0, 0.6, 0.866) == 1.0


@pytest.mark.parametrize(
    ("fixed", "idle", "a"), [(350.0, 200.0, 0.8), (500.0, 0.0, 0.6), (457.0, 424.0, 0.866)]
)
def test_best_cap_has_the_most_throughput_per_kw(fixed: float, idle: float, a: float) -> None:
    grid = np.linspace(0.6, 1.0, 4001)
    per_kw = throughput_per_kw(grid, 700.0, fixed, idle, 1.0, a)
    assert best_cap_fraction(700.0, fixed, idle, 1.0, 0.6, a) == pytest.approx(
        grid[np.argmax(per_kw)], abs=2e-4
    )


def test_idling_wins_when_capping_costs_more_throughput_per_mw() -> None:
    # throughput linear in the cap (a = 1) and idled GPUs drawing nothing: a watt cut by capping costs more
    # throughput than a watt cut by idling, so 'best' idles whole blocks and runs the rest uncapped
    args = {"exponent": 1.0, "fixed_w": 500.0, "idle_w": 0.0, "target_mw": 0.9}
    best = _throughput(PowerPolicy.BEST, **args)
    assert best == pytest.approx(_throughput(PowerPolicy.IDLE_FIRST, **args))
    assert best > _throughput(PowerPolicy.CAP_FIRST, **args) * 1.05
    campus = _campus(PowerPolicy.BEST, 1.0, 500.0, 0.0)
    assert fit_demand(campus, 0, 0.9, 1.0)[1] == 1.0 and campus.powered[0][0] < 1000


def test_capping_wins_when_idled_blocks_still_draw_most_of_their_power() -> None:
    # a concave curve (a = 0.5) and idled GPUs drawing 450 of 500 W fixed: idling frees little; 'best' caps
    args = {"exponent": 0.5, "fixed_w": 500.0, "idle_w": 450.0, "target_mw": 1.0}
    best = _throughput(PowerPolicy.BEST, **args)
    assert best == pytest.approx(_throughput(PowerPolicy.CAP_FIRST, **args))
    assert best > _throughput(PowerPolicy.IDLE_FIRST, **args) * 1.05
    campus = _campus(PowerPolicy.BEST, 0.5, 500.0, 450.0)
    assert fit_demand(campus, 0, 1.0, 1.0)[1] < 1.0 and campus.powered[0][0] == 1000


def test_idled_blocks_draw_their_idle_power() -> None:
    # idle_first at 0.9 MW: p GPUs at 1.2 kW and 1000 - p idle at 0.2 kW -> p = (0.9 - 0.2) / 1.0 MW = 700,
    # rounded down to whole blocks of 8: 696 run uncapped (0.8352 MW) and 304 idle (0.0608 MW)
    campus = _campus(PowerPolicy.IDLE_FIRST, 0.866, 500.0, 200.0)
    served, cap = fit_demand(campus, 0, 0.9, 1.0)
    assert campus.powered[0][0] == 696 and cap == 1.0
    assert served == pytest.approx(696 * 1.2e-3 + 304 * 0.2e-3)
    # switched off instead (no idle draw): 750 fit, 744 in whole blocks
    off = _campus(PowerPolicy.IDLE_FIRST, 0.866, 500.0, 0.0)
    fit_demand(off, 0, 0.9, 1.0)
    assert off.powered[0][0] == 744


@settings(max_examples=300, deadline=None)
@given(
    allot=st.lists(st.floats(0.0, 3e6), min_size=1, max_size=30),
    held=st.integers(0, 2000),
    fixed=st.floats(100.0, 800.0),
    idle_share=st.floats(0.0, 1.0),
    a=st.floats(0.3, 1.5),
    policy=st.sampled_from(list(PowerPolicy)),
    replica=st.sampled_from([1, 8, 64, 192]),
)
def test_the_job_never_draws_more_than_its_allotment(
    allot: list[float],
    held: int,
    fixed: float,
    idle_share: float,
    a: float,
    policy: PowerPolicy,
    replica: int,
) -> None:
    n = len(allot)
    hold = np.full(n, held // replica * replica, dtype=np.int64)
    share = JobAllotment(
        allot_w=np.asarray(allot),
        held_gpus=hold,
        slope_w=700.0,
        fixed_w=fixed,
        idle_w=fixed * idle_share,
        load=1.0,
        cap_min=0.6,
        exponent=a,
        policy=policy,
    )
    most, prefer = share.replicas(replica)
    assert np.all(prefer <= most) and np.all(most * replica <= hold)
    for replicas in (most, prefer):
        gpus = replicas * replica
        runs = gpus > 0
        drawn = share.draw_w(gpus)
        assert np.all(drawn[runs] <= share.allot_w[runs] * (1 + 1e-9) + 1e-6)
        assert np.all(share.cap_at_many(gpus)[runs] >= 0.6 - 1e-9)
    fit_floor, fit_uncapped = share.gpus_that_fit()
    assert np.all(fit_uncapped <= fit_floor + 1e-9)
