"""The job's power allotment (power/policy.py) worked by hand: caps, replicas, draw and the policies' gain.

One allotment throughout: 1,000 GPUs held, 700 W per unit of cap, 500 W fixed per running GPU, 200 W per
idled GPU, uncapped at load 1.0, deepest cap 0.6, throughput (cap / load) ** 0.6. ``N`` GPUs running at cap
``c`` and the rest idle draw ``N (700 c + 500) + (1000 - N) 200`` W, so ``N`` fit an allotment ``A`` at
``c = (A - 200,000 - 300 N) / (700 N)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.power.policy import (
    JobAllotment,
    PowerPolicy,
    best_cap_fraction,
    fleet_it_w,
    gain_over,
    gains_over,
    target_cap_fraction,
    throughput_per_kw,
)

A = 0.6  # throughput exponent of the allotment below
ALLOT_W = [1.0e6, 0.888e6, 0.6e6, 1.2e6]
# 800 GPUs: c = (A - 440,000) / 560,000 = 1.0, 0.8, 0.2857 (below the deepest cap), 1.357 (above load)


def _share(
    allot_w: list[float] | None = None,
    policy: PowerPolicy = PowerPolicy.BEST,
    **kw: float | bool,
) -> JobAllotment:
    allot = np.asarray(ALLOT_W if allot_w is None else allot_w, dtype=np.float64)
    args: dict[str, float | bool] = {
        "slope_w": 700.0,
        "fixed_w": 500.0,
        "idle_w": 200.0,
        "load": 1.0,
        "cap_min": 0.6,
        "exponent": A,
    }
    args.update(kw)
    return JobAllotment(
        allot_w=allot,
        held_gpus=np.full(allot.size, 1000, dtype=np.int64),
        policy=policy,
        **args,  # type: ignore[arg-type]
    )


def test_cap_that_fits_the_allotment() -> None:
    assert _share().cap_at(800) == pytest.approx([1.0, 0.8, 160_000 / 560_000, 760_000 / 560_000])
    # 1,000 GPUs: c = (A - 500,000) / 700,000
    assert _share().cap_at(1000) == pytest.approx([500 / 700, 388 / 700, 100 / 700, 1.0])
    assert np.all(_share().cap_at(0) == np.inf) and np.all(_share().cap_at(-8) == np.inf)
    # without a cap-dependent draw a layout either fits (any cap) or does not (-1)
    flat = _share([0.5e6, 0.3e6], slope_w=0.0)
    assert flat.cap_at(800).tolist() == [np.inf, -1.0]  # 440,000 W needed at any cap


def test_deepest_cap_a_layout_may_sit_at() -> None:
    assert _share().floor_cap() == 0.6
    assert _share(load=0.5).floor_cap() == 0.5  # a load below the deepest cap is the floor
    assert _share(cap_enabled=False).floor_cap() == 1.0  # without capping: uncapped only


def test_running_a_layout_per_step() -> None:
    factor, fits, capped = _share().run_at(800)
    assert fits.tolist() == [True, True, False, True]
    assert capped.tolist() == [False, True, False, False]
    assert factor == pytest.approx([1.0, 0.8**A, 0.0, 1.0])
    # without capping only the uncapped steps run
    factor, fits, capped = _share(cap_enabled=False).run_at(800)
    assert fits.tolist() == [True, False, False, True] and not capped.any()
    assert factor.tolist() == [1.0, 0.0, 0.0, 1.0]
    # throughput is relative to the uncapped draw: at load 0.9 a cap of 0.72 runs at 0.8 ** A
    factor, fits, capped = _share([200_000 + 800 * (700 * 0.72 + 300)], load=0.9).run_at(800)
    assert fits.all() and capped.all() and factor == pytest.approx([0.8**A])


def test_throughput_factor_at_chosen_steps() -> None:
    share = _share()
    steps = np.array([0, 1, 2, 3], dtype=np.intp)
    # clamped to [deepest cap, load]: the 0.29 step counts at 0.6, the 1.36 step at 1
    assert share.factor_at(800, steps) == pytest.approx([1.0, 0.8**A, 0.6**A, 1.0])
    assert share.factor_at(800, np.array([1], dtype=np.intp)) == pytest.approx([0.8**A])
    assert share.factor_at(0, steps).tolist() == [1.0] * 4
    assert _share(slope_w=0.0).factor_at(800, steps).tolist() == [1.0] * 4
    assert _share(load=0.9).factor_at(800, np.array([1], dtype=np.intp)) == pytest.approx([(0.8 / 0.9) ** A])


def test_most_gpus_that_fit() -> None:
    share = _share([1.0e6, 0.888e6, 0.6e6, 1.2e6, 0.15e6])
    # uncapped: 1,000 W more per running GPU than per idled one
    assert share.most_gpus(1.0) == pytest.approx([800, 688, 400, 1000, 0])
    assert share.most_gpus(1.3) == pytest.approx([800, 688, 400, 1000, 0])  # no cap above the load
    # at the deepest cap: 720 W more
    assert share.most_gpus(0.6) == pytest.approx([1000, 688_000 / 720, 400_000 / 720, 1000, 0])
    assert share.gpus_that_fit()[0] == pytest.approx(share.most_gpus(0.6))
    assert share.gpus_that_fit()[1] == pytest.approx(share.most_gpus(1.0))
    # a running GPU that draws less than an idled one: every held GPU fits
    assert _share([0.5e6], slope_w=0.0, fixed_w=100.0).most_gpus(1.0).tolist() == [1000.0]


def test_each_policy_aims_at_its_cap() -> None:
    # 'best': c* = a (F - q) / ((1 - a) s) = 0.6 x 300 / (0.4 x 700) = 0.643
    assert _share().target_caps() == pytest.approx([180 / 280] * 4)
    assert _share(policy=PowerPolicy.CAP_FIRST).target_caps().tolist() == [0.6] * 4
    assert _share(policy=PowerPolicy.IDLE_FIRST).target_caps().tolist() == [1.0] * 4
    assert _share(cap_enabled=False).target_caps().tolist() == [1.0] * 4
    # the failures of every running GPU push the best cap up: gap = 300 + 1e-4 x (A - 200,000)
    gaps = 300.0 + 1e-4 * (np.asarray(ALLOT_W) - 200_000)
    exposed = _share(exposure_per_gpu=1e-4).target_caps()
    assert exposed == pytest.approx(np.clip(0.6 * gaps / 280, 0.6, 1.0))
    assert exposed[0] == pytest.approx(0.6 * 380 / 280)
    # a linear curve never caps, unless a running GPU draws less than an idled one
    assert _share(exponent=1.0).target_caps().tolist() == [1.0] * 4
    assert _share(exponent=1.0, fixed_w=100.0).target_caps().tolist() == [0.6] * 4
    assert _share(slope_w=0.0).target_caps().tolist() == [1.0] * 4
    assert _share(exponent=0.99, cap_min=0.7).target_caps().tolist() == [1.0] * 4  # c* far above load


def test_whole_replicas_per_policy() -> None:
    allot = [1.0e6, 0.888e6, 0.6e6, 1.2e6, 290_000, 150_000]
    # at the deepest cap: 1000, 955.6, 555.6, 1000, 125, 0 GPUs fit -> replicas of 100
    most = [10, 9, 5, 10, 1, 0]
    m, prefer = _share(allot, PowerPolicy.IDLE_FIRST).replicas(100)
    assert m.tolist() == most
    # idle first: uncapped 800, 688, 400, 1000, 90, 0 GPUs fit; one capped replica rather than none
    assert prefer.tolist() == [8, 6, 4, 10, 1, 0]
    m, prefer = _share(allot, PowerPolicy.CAP_FIRST).replicas(100)
    assert m.tolist() == most and prefer.tolist() == most
    # 'best' (c* = 0.643): 1000 GPUs fit at 0.714 >= c* (all run); elsewhere GPUs at c*, 750 W more each
    m, prefer = _share(allot).replicas(100)
    assert m.tolist() == most and prefer.tolist() == [10, 9, 5, 10, 1, 0]
    m, prefer = _share([0.6e6]).replicas(100)  # 400,000 / 750 = 533 at c*: 5 replicas, not 6
    assert prefer.tolist() == [5]
    # never more replicas than the GPUs held
    share = JobAllotment(
        allot_w=np.array([5e6]),
        held_gpus=np.array([1050], dtype=np.int64),
        slope_w=700.0,
        fixed_w=500.0,
        idle_w=200.0,
        load=1.0,
        cap_min=0.6,
        exponent=A,
    )
    assert [r.tolist() for r in share.replicas(100)] == [[10], [10]]


def test_cap_for_a_per_step_number_of_gpus() -> None:
    caps = _share().cap_at_many(np.array([800, 1000, 0, 800], dtype=np.int64))
    assert caps[[0, 1, 3]] == pytest.approx([1.0, 388 / 700, 760_000 / 560_000])
    assert caps[2] == np.inf


def test_the_job_draws_its_allotment_or_less() -> None:
    share = _share()
    drawn = share.draw_w(np.array([800, 800, 0, 800], dtype=np.int64))
    # 800 at caps 1.0 and 0.8 draw the allotment; nothing running: 1,000 idle x 200 W; above the load the
    # GPUs run uncapped and leave the rest of the allotment unused
    assert drawn == pytest.approx([1.0e6, 0.888e6, 200_000, 1.0e6])
    assert share.draw_w(np.array([1000, 0, 0, 1000], dtype=np.int64))[[0, 3]] == pytest.approx([1.0e6, 1.2e6])


def test_fleet_it_power() -> None:
    out = fleet_it_w(
        powered=np.array([800, 1000, 0], dtype=np.int64),
        installed=np.array([1000, 1000, 1000], dtype=np.int64),
        cap_fraction=np.array([0.8, 1.2, 1.0]),
        slope_w=700.0,
        fixed_w=500.0,
        idle_w=200.0,
        load=1.0,
    )
    # 800 x (560 + 500) + 200 x 200; 1000 x 1200 (the cap above the load counts at the load); all idle
    assert out == pytest.approx([888_000, 1_200_000, 200_000])


def test_throughput_per_kw_beyond_an_idled_gpu() -> None:
    out = throughput_per_kw(np.array([0.8, 1.0, 1.2]), 700.0, 500.0, 200.0, 1.0, A)
    assert out == pytest.approx([0.8**A / 0.86, 1.0, 1.0])
    assert throughput_per_kw(0.45, 700.0, 500.0, 200.0, 0.9, 0.5) == pytest.approx(0.5**0.5 / 0.615)


def test_gain_of_one_policy_over_another() -> None:
    # step 0 (1 MW): cap first runs 1,000 GPUs at 5/7, idle first 800 uncapped; step 1 (1.2 MW): both run
    # all 1,000 uncapped. The gain counts the steps that differ only.
    cap_first = _share([1.0e6, 1.2e6], PowerPolicy.CAP_FIRST)
    gain, share = gain_over(cap_first, 100, PowerPolicy.IDLE_FIRST)
    assert gain == pytest.approx(1000 * (5 / 7) ** A / 800 - 1) and share == 0.5
    idle_first = _share([1.0e6, 1.2e6], PowerPolicy.IDLE_FIRST)
    gain, share = gain_over(idle_first, 100, PowerPolicy.CAP_FIRST)
    assert gain == pytest.approx(800 / (1000 * (5 / 7) ** A) - 1) and share == 0.5
    assert gain_over(cap_first, 100, PowerPolicy.CAP_FIRST) == (0.0, 0.0)
    # nothing runs under either: no gain, no step differs
    assert gain_over(_share([0.15e6], PowerPolicy.CAP_FIRST), 100, PowerPolicy.IDLE_FIRST) == (0.0, 0.0)
    # each running GPU's failures cost goodput 1 / (1 + GPUs x 1e-3): the larger layout loses
    exposed = _share([1.0e6], PowerPolicy.CAP_FIRST, exposure_per_gpu=1e-3)
    gain, share = gain_over(exposed, 100, PowerPolicy.IDLE_FIRST)
    assert gain == pytest.approx((1000 * (5 / 7) ** A / 2.0) / (800 / 1.8) - 1) and share == 1.0
    # the other policy keeps every other figure of the allotment (here: capping disabled)
    off = _share([1.0e6], PowerPolicy.IDLE_FIRST, cap_enabled=False)
    assert gain_over(off, 100, PowerPolicy.CAP_FIRST) == (0.0, 0.0)


def _gain_on_every_step(allotment: JobAllotment, other: PowerPolicy) -> tuple[float, float]:
    """The gain computed on every step, as ``gains_over`` did before it left out the uncapped steps."""
    from megacluster.power.policy import _policy_throughput, _with_policy

    mine = _policy_throughput(allotment, 100)
    theirs = _policy_throughput(_with_policy(allotment, other), 100)
    differ = np.abs(mine - theirs) > 1e-9 * np.maximum(mine, 1.0)
    base = float(theirs[differ].sum())
    gain = float(mine[differ].sum()) / base - 1.0 if base > 0 else 0.0
    return gain, float(differ.mean())


@pytest.mark.parametrize("seed", range(12))
def test_gains_over_the_open_steps_equal_the_gains_over_every_step(seed: int) -> None:
    # random allotments from idle to ample, some held counts not a whole number of replicas, exposure or none
    rng = np.random.default_rng(seed)
    n = 500
    for policy in PowerPolicy:
        allot = _share(
            list(rng.uniform(0.1e6, 1.4e6, n)), policy, exposure_per_gpu=float(rng.choice([0, 1e-4]))
        )
        held = rng.choice([0, 50, 999, 1000], n).astype(np.int64)
        allot = JobAllotment(**{**allot.__dict__, "held_gpus": held})
        others = tuple(p for p in PowerPolicy if p is not policy)
        assert gains_over(allot, 100, others) == tuple(_gain_on_every_step(allot, o) for o in others)


def test_best_cap_at_the_edges_of_its_formula() -> None:
    # the failures a running GPU brings raise the best cap: a (F - q + exposure) / ((1 - a) s)
    assert best_cap_fraction(700.0, 300.0, 200.0, 1.0, 0.3, 0.6, exposure_w=40.0) == pytest.approx(
        0.6 * 140 / 280
    )
    assert target_cap_fraction(
        PowerPolicy.BEST, 700.0, 300.0, 200.0, 1.0, 0.3, 0.6, exposure_w=40.0
    ) == pytest.approx(0.6 * 140 / 280)
    assert best_cap_fraction(700.0, 300.0, 200.0, 1.0, 0.1, 0.6, exposure_w=-40.0) == pytest.approx(
        0.6 * 100 / 280
    )  # a negative exposure counts as none
    # no cap-dependent draw: nothing to gain by capping
    assert best_cap_fraction(0.0, 300.0, 200.0, 1.0, 0.6, 0.6) == 1.0
    # a linear (or steeper) curve: uncapped while a running GPU draws at least an idled one's power, else the
    # deepest cap
    assert best_cap_fraction(700.0, 200.0, 200.0, 1.0, 0.6, 1.0) == 1.0
    assert best_cap_fraction(700.0, 100.0, 200.0, 1.0, 0.6, 1.0) == 0.6
    assert best_cap_fraction(0.5, 100.0, 200.0, 1.0, 0.6, 1.0) == 0.6
    assert best_cap_fraction(700.0, 100.0, 200.0, 0.5, 0.6, 1.5) == 0.5  # the load below the deepest cap


def test_allotment_edges() -> None:
    # one GPU: 1,000,000 - 200,000 - 300 = 799,700 W over 700 W per unit of cap
    assert _share().cap_at(1) == pytest.approx((np.asarray(ALLOT_W) - 200_300.0) / 700.0)
    # no cap-dependent draw and exactly enough power: it fits
    assert _share([440_000.0], slope_w=0.0).cap_at(800).tolist() == [np.inf]
    # a running GPU that draws what an idled one does: every held GPU fits, however little is spare
    assert _share([200_500.0], slope_w=0.0, fixed_w=200.0).most_gpus(1.0).tolist() == [1000.0]
    assert _share([200_200.0], slope_w=0.0, fixed_w=200.5).most_gpus(1.0) == pytest.approx([400.0])
    # 'best' below the deepest cap (c* = 0.6 x 150 / 280 = 0.32) and for a convex curve: clamped
    assert _share(fixed_w=350.0).target_caps().tolist() == [0.6] * 4
    assert _share(exponent=1.5).target_caps().tolist() == [1.0] * 4
    assert _share(exponent=1.0, fixed_w=200.0).target_caps().tolist() == [1.0] * 4  # no gap: uncapped
    # budget beyond the idle draw, never negative: a 150 kW allotment counts as none
    gap = _share([150_000.0], exposure_per_gpu=0.1).target_caps()
    assert gap == pytest.approx([0.6 * 300 / 280])
    # no GPUs running: factor 1 even where the allotment is below the idle draw
    assert _share([150_000.0]).factor_at(0, np.array([0], dtype=np.intp)).tolist() == [1.0]
    assert _share().factor_at(1, np.array([0], dtype=np.intp)) == pytest.approx([1.0])
    assert _share([200_400.0]).factor_at(1, np.array([0], dtype=np.intp)) == pytest.approx([0.6**A])
    assert _share().draw_w(np.array([1, 0, 0, 0], dtype=np.int64))[0] == pytest.approx(1200 + 999 * 200)
    assert _share().cap_at_many(np.array([1, 0, 0, 0], dtype=np.int64))[0] == pytest.approx(799_700 / 700)


def test_one_replica_rather_than_none_not_two() -> None:
    # deepest cap 0.2: 440 W more per running GPU than idled, 1,000 uncapped; 95 kW spare fits 215 GPUs at
    # the deepest cap (2 replicas of 100) and 95 uncapped (none): idle first runs one capped replica
    m, prefer = _share([295_000.0], PowerPolicy.IDLE_FIRST, cap_min=0.2).replicas(100)
    assert m.tolist() == [2] and prefer.tolist() == [1]


def test_gain_counts_throughput_relative_to_the_uncapped_draw() -> None:
    # load 0.9: cap first runs 1,000 GPUs at (1e6 - 500,000) / 700,000 = 0.714 of TDP, i.e. 0.794 of the
    # uncapped draw; idle first runs (1e6 - 200,000) / (630 + 300) = 860 -> 800 GPUs uncapped
    cap_first = _share([1.0e6], PowerPolicy.CAP_FIRST, load=0.9)
    gain, share = gain_over(cap_first, 100, PowerPolicy.IDLE_FIRST)
    assert gain == pytest.approx(1000 * (5 / 7 / 0.9) ** A / 800 - 1) and share == 1.0
