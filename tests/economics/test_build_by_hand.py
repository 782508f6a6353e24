"""The least-cost build's wiring on tiny sites whose optimum is worked out by hand (PyPSA + HiGHS)."""

from __future__ import annotations

import pytest

from megacluster.economics.site import PermitGroup
from megacluster.units import KG_PER_T

from .tiny import battery, site, unit

pytest.importorskip("pypsa")
pytest.importorskip("highspy")

from megacluster.economics.solve import solve_site


def test_screening_curve_of_two_generators() -> None:
    """11 hours of 10 MW with a 20 MW hour and no grid. Base: 1,000 USD/MW, 20 USD/MWh; peaker: 100 USD/MW,
    200 USD/MWh. A MW of base for the one peak hour costs 1,020 against the peaker's 300; a MW of peaker
    for all
    11 hours 2,300 against the base's 1,220: 10 MW of each, 10,000 + 2,200 + 1,000 + 2,000 = 15,200 USD."""
    load = [10.0] * 5 + [20.0] + [10.0] * 5
    base = unit("base", 11, 1_000.0, 2.0)
    peak = unit("peak", 11, 100.0, 20.0)
    _, result = solve_site(site(load, [0.0] * 11, (base, peak)), "tiny")
    built = {f.candidate: f for f in result.generators}
    assert built["base"].capacity_mw == pytest.approx(10.0, rel=1e-4)
    assert built["peak"].capacity_mw == pytest.approx(10.0, rel=1e-4)
    assert built["base"].energy_mwh == pytest.approx(110.0, rel=1e-4)
    assert built["peak"].energy_mwh == pytest.approx(10.0, rel=1e-4)
    assert result.costs.total == pytest.approx(15_200.0, rel=1e-4)
    assert result.costs.generator_capital == pytest.approx(11_000.0, rel=1e-4)
    assert result.costs.fuel == pytest.approx(4_200.0, rel=1e-4)
    assert result.energy_mwh.unserved == pytest.approx(0.0, abs=1e-3)
    assert result.gpus.powered_mean == pytest.approx(result.gpus.target_mean)


def test_battery_shifts_grid_energy_into_the_hour_without_grid() -> None:
    """Load 10 MW for 3 hours; the grid (10 USD/MWh) carries 30 MW in the first two, nothing in the third.
    A battery (100 USD/MW, 50 USD/MWh, 81 % round trip) serves the third hour: 10 MW at the bus, 10 / 0.9 =
    11.11 MWh stored, 11.11 / 0.9 = 12.35 MWh charged over two hours (<= 10 MW each). Cost 100 x 10 +
    50 x 11.11 + 10 x (20 + 12.35) = 1,879.0 USD, against 5,000 + 200 for a peaker (200 USD/MW, 300
    USD/MWh)."""
    peak = unit("peak", 3, 200.0, 30.0)
    tiny = site([10.0, 10.0, 10.0], [30.0, 30.0, 0.0], (peak,), battery(3, 100.0, 50.0))
    _, result = solve_site(tiny, "tiny")
    assert result.generators == ()
    assert result.battery is not None
    assert result.battery.power_mw == pytest.approx(10.0, rel=1e-4)
    assert result.battery.energy_mwh == pytest.approx(10.0 / 0.9, rel=1e-4)
    assert result.energy_mwh.battery_discharge == pytest.approx(10.0, rel=1e-4)
    assert result.energy_mwh.battery_charge == pytest.approx(10.0 / 0.81, rel=1e-4)
    assert result.energy_mwh.grid == pytest.approx(20.0 + 10.0 / 0.81, rel=1e-4)
    assert result.costs.total == pytest.approx(1_000.0 + 500.0 / 0.9 + 10.0 * (20.0 + 10.0 / 0.81), rel=1e-4)
    assert result.emissions_t.co2_grid == pytest.approx(result.energy_mwh.grid * 400.0 / KG_PER_T, rel=1e-6)


def test_lost_load_is_left_unserved_only_when_cheaper_than_any_build() -> None:
    """With the value of lost load at 150 USD/MWh and the only unit at 1,000 USD/MW, a 10 MW hour with no grid
    is cheaper left unserved (1,500 USD) than served (10,000 + fuel)."""
    from .tiny import snapshots

    assert len(snapshots(1)) == 1
    dear = unit("dear", 1, 1_000.0, 1.0)
    tiny = site([10.0], [0.0], (dear,))
    cheap_voll = tiny.__class__(**{**tiny.__dict__, "voll_usd_per_mwh": tiny.voll_usd_per_mwh * 0 + 150.0})
    _, result = solve_site(cheap_voll, "tiny")
    assert result.generators == ()
    assert result.energy_mwh.unserved == pytest.approx(10.0, rel=1e-6)
    assert result.costs.stranded_compute == pytest.approx(1_500.0, rel=1e-6)
    assert result.gpus.powered_mean == pytest.approx(0.0, abs=1e-6)
    assert result.gpus.stranded_gpu_hours == pytest.approx(10_000.0, rel=1e-6)


def _nox_site(nox_t: float) -> object:
    """Four hours of 10 MW; the grid carries 20 MW in the first three and nothing in the last. A permitted
    unit (50 USD/MW, 20 USD/MWh, 0.00907 t NOx per MWh) or a battery (100 USD/MW, 50 USD/MWh) covers it."""
    gen = unit("turbine", 4, 50.0, 2.0, permit="turbine")
    permit = PermitGroup("turbine", nox_t_per_year=nox_t, starts_per_year=None, max_units=None)
    return site([10.0] * 4, [20.0, 20.0, 20.0, 0.0], (gen,), battery(4, 100.0, 50.0), permits=(permit,))


def test_a_tighter_nox_cap_moves_the_build_to_the_battery_and_grid() -> None:
    """Loose cap: the turbine (700 USD) serves the last hour. Half its NOx: the battery, charged from the
    grid,
    serves the rest, and the grid carries more energy."""
    _, loose = solve_site(_nox_site(1.0), "tiny")  # type: ignore[arg-type]
    nox_10_mwh = 10.0 * 2.0 * 10.0 * 0.45359237e-3
    _, tight = solve_site(_nox_site(nox_10_mwh / 2.0), "tiny")  # type: ignore[arg-type]
    assert loose.energy_mwh.generators == pytest.approx(10.0, rel=1e-4)
    assert loose.battery is None or loose.battery.power_mw == pytest.approx(0.0, abs=1e-4)
    assert tight.emissions_t.nox == pytest.approx(nox_10_mwh / 2.0, rel=1e-4)
    assert tight.energy_mwh.generators == pytest.approx(5.0, rel=1e-4)
    assert tight.battery is not None and tight.battery.power_mw == pytest.approx(5.0, rel=1e-4)
    assert tight.energy_mwh.grid > loose.energy_mwh.grid + 5.0
    assert tight.costs.total > loose.costs.total
