"""Time aggregation of the least-cost build (``economics.resample``): block means weighing their hours, the
N-1 reserve on each block's worst hour, rolling permit windows in hours, the automatic resolution, and a tiny
build whose inputs are constant within each block solving to the same figures at 3 h as hourly."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.economics.config import Resolution
from megacluster.economics.network import rolling_windows
from megacluster.economics.resample import AUTO_MAX_SNAPSHOTS, aggregate, resolution_h
from megacluster.economics.site import PermitGroup

from .tiny import battery, site, unit


def test_automatic_resolution_is_hourly_up_to_122_days_and_three_hours_for_a_year() -> None:
    assert resolution_h(Resolution.AUTO, 120 * 24) == 1
    assert resolution_h(Resolution.AUTO, 122 * 24) == 1
    assert resolution_h(Resolution.AUTO, 200 * 24) == 2
    assert resolution_h(Resolution.AUTO, 365 * 24) == 3
    assert resolution_h(Resolution.AUTO, 366 * 24) == 3
    assert resolution_h(Resolution.AUTO, 3 * 8784) == 6  # past every step: the coarsest
    assert -(-365 * 24 // resolution_h(Resolution.AUTO, 365 * 24)) <= AUTO_MAX_SNAPSHOTS
    assert resolution_h(Resolution.H1, 365 * 24) == 1
    assert resolution_h(Resolution.H6, 24) == 6


def test_blocks_average_their_hours_and_weigh_them() -> None:
    g = unit("a", 7, 0.0, 1.0, output_factor=np.array([1.0, 0.9, 0.8, 1.0, 1.0, 1.0, 0.7]))
    hourly = site(
        [1.0, 2.0, 3.0, 4.0, 4.0, 4.0, 10.0],
        [5.0] * 7,
        (g,),
        voll_usd_per_mwh=np.array([100.0, 100.0, 400.0, 1.0, 1.0, 1.0, 9.0]),
    )
    three = aggregate(hourly, 3)
    np.testing.assert_array_equal(three.weights_h, [3.0, 3.0, 1.0])  # the last block has one hour
    assert three.hours == hourly.hours == 7.0
    assert three.step_h == 3.0
    np.testing.assert_allclose(three.load_mw, [2.0, 4.0, 10.0])
    np.testing.assert_allclose(three.peak_load_mw, [3.0, 4.0, 10.0])
    np.testing.assert_allclose(three.reserve_load_mw, [3.0, 4.0, 10.0])
    # the value of lost load is weighted by the load: a block's lost load costs what its hours' would
    np.testing.assert_allclose(three.voll_usd_per_mwh, [(100 + 200 + 1200) / 6.0, 1.0, 9.0])
    c = three.generators[0]
    np.testing.assert_allclose(c.output_factor, [0.9, 1.0, 0.7])
    np.testing.assert_allclose(c.firm, [0.8, 1.0, 0.7])  # the reserve counts the block's worst hour
    np.testing.assert_array_equal(three.snapshots, hourly.snapshots[[0, 3, 6]])
    assert aggregate(hourly, 1) is hourly
    with pytest.raises(ValueError, match="snapshot length"):
        aggregate(hourly, 5)
    with pytest.raises(ValueError, match="hourly"):
        aggregate(three, 3)


def test_rolling_windows_count_hours_not_snapshots() -> None:
    days = 400
    hours = np.datetime64("2025-01-01T00", "h") + np.arange(days * 24).astype("timedelta64[h]")
    hourly = rolling_windows(np.ones(days * 24), hours.astype("datetime64[M]"), 8760)
    blocks = hours[::3]
    three = rolling_windows(np.full(days * 8, 3.0), blocks.astype("datetime64[M]"), 8760)
    assert len(three) == len(hourly)
    for h, t in zip(hourly, three, strict=True):
        assert (t.start * 3, t.stop * 3) == (h.start, h.stop)
    assert rolling_windows(np.full(100, 3.0), blocks[:100].astype("datetime64[M]"), 8760) == [slice(0, 100)]


pytest.importorskip("pypsa")
pytest.importorskip("highspy")


def test_a_build_constant_within_its_blocks_solves_alike_at_three_hours(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from megacluster.economics.solve import solve_site

    load = [2.0] * 3 + [6.0] * 3 + [3.0] * 3 + [1.0] * 3
    grid = [3.0] * 3 + [0.0] * 3 + [3.0] * 6
    gens = (unit("cheap", 12, 30.0, 1.0, permit="p"), unit("dear", 12, 5.0, 4.0))
    tiny = site(
        load,
        grid,
        gens,
        battery(12, 20.0, 2.0),
        permits=(PermitGroup("p", nox_t_per_year=0.02, starts_per_year=None, max_units=None),),
    )
    _, one = solve_site(tiny, "hourly")
    _, three = solve_site(aggregate(tiny, 3), "3h")
    solver_out, solver_err = capfd.readouterr()  # what HiGHS writes to the file descriptors themselves
    assert "ERROR" not in solver_out + solver_err  # no solver fallback notice on the user's terminal
    assert three.step_h == 3.0 and one.step_h == 1.0
    assert three.solver.snapshots == 4 and one.solver.snapshots == 12
    assert three.hours == one.hours == 12
    assert three.costs.total == pytest.approx(one.costs.total, rel=1e-6)
    for field in ("load", "grid", "generators", "battery_discharge", "unserved"):
        assert getattr(three.energy_mwh, field) == pytest.approx(getattr(one.energy_mwh, field), abs=1e-5)
    assert three.emissions_t.nox == pytest.approx(one.emissions_t.nox, rel=1e-6)
    permitted = one.emissions_t.nox_by_permit["p"]
    assert permitted == pytest.approx(0.02, rel=1e-6)  # the cap binds: MW x hours x t/MWh summed
    assert three.emissions_t.nox_by_permit["p"] == pytest.approx(permitted, rel=1e-6)
