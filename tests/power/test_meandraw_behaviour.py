"""Behaviour of the mean-draw model worked by hand: a phase profile's mean under a cap and a floor, and the
peak-to-mean difference taken off the grid first, then off the generators with their fuel."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.power.config import DemandConfig
from megacluster.power.dispatch import DispatchOutputs, FleetDemand
from megacluster.power.meandraw import (
    DrawProfile,
    mean_outputs,
    peak_minus_mean_mw,
    scenario_profile,
)


def test_profile_mean_by_hand() -> None:
    profile = DrawProfile(shares=(0.5, 0.3, 0.2), levels=(1.0, 0.4, 0.1))
    assert float(profile.mean_fraction(1.0)) == pytest.approx(0.5 + 0.12 + 0.02)
    # a cap at 0.5: the compute phase is held at 0.5
    assert float(profile.mean_fraction(0.5)) == pytest.approx(0.25 + 0.12 + 0.02)
    # a cap below every level: the cap
    assert float(profile.mean_fraction(0.05)) == pytest.approx(0.05)
    np.testing.assert_allclose(profile.mean_fraction(np.array([1.0, 0.5])), [0.64, 0.39])
    assert profile.mean_fraction(np.array([1.0])).dtype == np.float64


def test_profile_floor_raises_the_low_phases() -> None:
    profile = DrawProfile(shares=(0.5, 0.5), levels=(1.0, 0.2), floor=0.6)
    assert float(profile.mean_fraction(1.0)) == pytest.approx(0.5 + 0.3)
    # the floor never lifts the draw above the cap
    assert float(profile.mean_fraction(0.4)) == pytest.approx(0.4)
    assert float(profile.mean_fraction(0.7)) == pytest.approx(0.5 * 0.7 + 0.5 * 0.6)


def test_bad_profiles_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^a draw profile needs one level per phase share$"):
        DrawProfile(shares=(1.0,), levels=(0.5, 0.5))
    with pytest.raises(ValueError, match=r"^a draw profile needs one level per phase share$"):
        DrawProfile(shares=(), levels=())
    with pytest.raises(ValueError, match=r"^phase shares must be non-negative and add up to 1$"):
        DrawProfile(shares=(0.5, 0.4), levels=(1.0, 0.5))
    with pytest.raises(ValueError, match=r"^phase shares must be non-negative and add up to 1$"):
        DrawProfile(shares=(1.5, -0.5), levels=(1.0, 0.5))
    DrawProfile(shares=(0.5, 0.5 + 1e-7), levels=(1.0, 0.5))  # rounding is tolerated
    idle = DrawProfile(shares=(0.0, 1.0), levels=(0.2, 1.0))  # a phase that takes no time is allowed
    assert float(idle.mean_fraction(1.0)) == pytest.approx(1.0)


def test_measured_and_flat_profiles() -> None:
    measured = DrawProfile.measured()
    assert float(measured.mean_fraction(1.0)) == pytest.approx(0.88)
    assert "7.75 kW" in measured.source
    flat = DrawProfile.flat(0.7, "here")
    assert (flat.shares, flat.levels, flat.source) == ((1.0,), (0.7,), "here")
    assert scenario_profile(DemandConfig()) is None
    set_ = scenario_profile(DemandConfig(gpu_mean_fraction=0.8))
    assert set_ is not None
    assert float(set_.mean_fraction(1.0)) == pytest.approx(0.8)
    assert set_.source == "scenario [power.demand] gpu_mean_fraction"


def _outputs(
    grid: list[float], gen: list[list[float]], powered: list[list[int]], cap: list[float]
) -> DispatchOutputs:
    n = len(grid)
    gen_mw = np.array(gen, dtype=np.float64).reshape(-1, n)
    return DispatchOutputs(
        served_mw=np.array(grid) + gen_mw.sum(axis=0),
        demand_full_mw=np.zeros(n),
        grid_mw=np.array(grid, dtype=np.float64),
        battery_mw=np.zeros(n),
        soc_mwh=np.zeros(n),
        cap_fraction=np.array(cap, dtype=np.float64),
        supply_capacity_mw=np.zeros(n),
        gen_mw=gen_mw,
        units_on=np.zeros((gen_mw.shape[0], n), dtype=np.int64),
        fuel_mmbtu=gen_mw * 8.0,
        starts=np.zeros((gen_mw.shape[0], n), dtype=np.int64),
        powered=np.array(powered, dtype=np.int64),
    )


DEMAND = (FleetDemand(installed=np.array([0]), slope_w=1000.0, fixed_w=0.0),)
HALF = DrawProfile(shares=(1.0,), levels=(0.5,))


def test_peak_minus_mean_by_hand() -> None:
    # 100,000 GPUs x 1 kW slope x (1.0 - 0.5) x PUE 1.2 = 60 MW; a cap at 0.8 leaves 0.3 of the slope
    out = _outputs([100.0, 100.0], [[0.0, 0.0]], [[100_000, 100_000]], [1.0, 0.8])
    gap = peak_minus_mean_mw(out, DEMAND, HALF, 1.0, np.array([1.2, 1.2]))
    np.testing.assert_allclose(gap, [60.0, 36.0])
    # the load below the cap sets the peak
    gap_load = peak_minus_mean_mw(out, DEMAND, HALF, 0.6, np.array([1.0, 1.0]))
    np.testing.assert_allclose(gap_load, [10.0, 10.0])


def test_mean_comes_off_the_grid_then_the_generators() -> None:
    # step 0: the grid covers the whole 50 MW gap; step 1: 20 MW from the grid, 30 MW off the generators
    out = _outputs([80.0, 20.0], [[40.0, 60.0], [0.0, 60.0]], [[100_000, 100_000]], [1.0, 1.0])
    mean = mean_outputs(out, DEMAND, HALF, 1.0, np.ones(2))
    np.testing.assert_allclose(mean.grid_mw, [30.0, 0.0])
    np.testing.assert_allclose(mean.gen_mw, [[40.0, 45.0], [0.0, 45.0]])
    np.testing.assert_allclose(mean.fuel_mmbtu, [[320.0, 360.0], [0.0, 360.0]])
    np.testing.assert_allclose(mean.served_mw, out.served_mw - 50.0)
    # the peak-basis outputs are untouched
    np.testing.assert_allclose(out.grid_mw, [80.0, 20.0])


def test_a_gap_larger_than_grid_and_generators_leaves_no_negative_flows() -> None:
    # exporting grid (negative) is not cut; generators are cut to zero at most
    out = _outputs([-10.0], [[20.0]], [[100_000]], [1.0])
    mean = mean_outputs(out, DEMAND, HALF, 1.0, np.ones(1))
    np.testing.assert_allclose(mean.grid_mw, [-10.0])
    np.testing.assert_allclose(mean.gen_mw, [[0.0]])
    np.testing.assert_allclose(mean.fuel_mmbtu, [[0.0]])
    np.testing.assert_allclose(mean.served_mw, out.served_mw - 20.0)


def test_no_generators_and_no_gap() -> None:
    out = _outputs([50.0], [], [[0]], [1.0])
    mean = mean_outputs(out, DEMAND, HALF, 1.0, np.ones(1))
    np.testing.assert_allclose(mean.grid_mw, [50.0])
    np.testing.assert_allclose(mean.served_mw, [50.0])
    full = DrawProfile(shares=(1.0,), levels=(1.0,))
    out2 = _outputs([50.0], [[30.0]], [[100_000]], [1.0])
    same = mean_outputs(out2, DEMAND, full, 1.0, np.ones(1))
    np.testing.assert_allclose(same.gen_mw, out2.gen_mw)
    np.testing.assert_allclose(same.grid_mw, out2.grid_mw)


def test_every_fleets_gpus_count_in_the_gap() -> None:
    two = (
        FleetDemand(installed=np.array([0]), slope_w=1000.0, fixed_w=0.0),
        FleetDemand(installed=np.array([0]), slope_w=500.0, fixed_w=0.0),
    )
    out = _outputs([100.0], [[0.0]], [[100_000], [40_000]], [1.0])
    # (100,000 x 1 kW + 40,000 x 0.5 kW) x 0.5 = 60 MW
    np.testing.assert_allclose(peak_minus_mean_mw(out, two, HALF, 1.0, np.ones(1)), [60.0])


def test_idle_or_small_generators_are_cut_without_nan() -> None:
    # generators committed at zero output: nothing to cut, no 0/0
    out = _outputs([0.0], [[0.0]], [[100_000]], [1.0])
    mean = mean_outputs(out, DEMAND, HALF, 1.0, np.ones(1))
    np.testing.assert_array_equal(mean.gen_mw, [[0.0]])
    np.testing.assert_array_equal(mean.fuel_mmbtu, [[0.0]])
    # half a megawatt of generation is cut to zero by a larger gap
    small = _outputs([0.0], [[0.5]], [[100_000]], [1.0])
    cut = mean_outputs(small, DEMAND, HALF, 1.0, np.ones(1))
    np.testing.assert_allclose(cut.gen_mw, [[0.0]])
    np.testing.assert_allclose(cut.served_mw, [0.0])
