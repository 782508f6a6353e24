"""The sequential dispatch on plants of two or three steps, every flow worked by hand.

The campus is 1,000 GPUs of 700 W at the cap slope and 500 W fixed at a PUE of 1: 1.2 MW uncapped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from megacluster.power.battery import BatteryParams
from megacluster.power.config import PermitMode, Source
from megacluster.power.dispatch import (
    DispatchInputs,
    FleetDemand,
    GenFleetInputs,
    demand_full_mw,
    lead_steps,
    residual_ahead_mw,
    run_dispatch,
    service_order,
    units_of,
)
from megacluster.power.phases import BATTERY, DEFAULT_ORDER, GENERATORS, GRID

DEFAULT_MERIT = (Source.GRID, Source.BATTERY, Source.GENERATORS)


def _gens(n: int, unit_mw: float = 1.0, units: int = 2, **kw: Any) -> GenFleetInputs:
    """``units`` of ``unit_mw``, 10 MMBtu/MWh, 50 % minimum load, full output within a step, no start-up."""
    args: dict[str, Any] = {
        "unit_cap_mw": np.full(n, unit_mw),
        "available_units": np.full(n, units, dtype=np.int64),
        "fuel_mmbtu_per_mwh": np.full(n, 10.0),
        "min_load_fraction": 0.5,
        "ramp_mw_per_step": unit_mw,
        "startup_steps": 0,
        "nox_t_per_mmbtu": 0.001,
    }
    args.update(kw)
    return GenFleetInputs(**args)


def _inputs(grid: list[float], gpus: list[int] | None = None, **kw: Any) -> DispatchInputs:
    n = len(grid)
    args: dict[str, Any] = {
        "dt_s": 3600.0,
        "grid_cap_mw": np.asarray(grid, dtype=np.float64),
        "pue": np.ones(n),
        "it_max_mw": np.full(n, 100.0),
        "fleets": (
            FleetDemand(
                installed=np.asarray(gpus or [1000] * n, dtype=np.int64), slope_w=700.0, fixed_w=500.0
            ),
        ),
        "load_fraction": 1.0,
        "cap_enabled": True,
        "cap_min_fraction": 0.6,
        "block_gpus": 8,
        "battery": None,
        "battery_power_mw": np.zeros(n),
        "initial_soc_mwh": 0.0,
        "generators": (),
        "merit_order": DEFAULT_MERIT,
        "charge_from_generators": True,
        "year_index": np.full(n, 2024, dtype=np.int64),
    }
    args.update(kw)
    return DispatchInputs(**args)


def _balance(out: Any) -> np.ndarray:
    return out.grid_mw + out.gen_mw.sum(axis=0) + out.battery_mw - out.served_mw


# --- the pure pieces ---------------------------------------------------------------------------------------


def test_demand_of_every_installed_gpu() -> None:
    # two fleets at a PUE of 1.5 and a load of 0.8: 1.5 x (1,000 x (700 x 0.8 + 500) + 10 x (100 x 0.8 + 20))
    inp = _inputs(
        [0.0, 0.0],
        pue=np.full(2, 1.5),
        load_fraction=0.8,
        fleets=(
            FleetDemand(installed=np.array([1000, 0]), slope_w=700.0, fixed_w=500.0),
            FleetDemand(installed=np.array([10, 10]), slope_w=100.0, fixed_w=20.0),
        ),
    )
    assert demand_full_mw(inp) == pytest.approx([1.5 * (1.06e6 + 1000) * 1e-6, 1.5 * 1000 * 1e-6])


def test_service_order_puts_running_units_before_the_battery() -> None:
    assert service_order(DEFAULT_MERIT) is DEFAULT_ORDER
    assert service_order((Source.GRID, Source.GENERATORS, Source.BATTERY)) is DEFAULT_ORDER
    assert service_order((Source.BATTERY, Source.GRID, Source.GENERATORS)) == (GRID, GENERATORS, BATTERY)
    assert service_order((Source.BATTERY, Source.GENERATORS, Source.GRID)) == (GENERATORS, BATTERY, GRID)
    assert service_order((Source.GENERATORS, Source.GRID, Source.BATTERY)) == (GENERATORS, GRID, BATTERY)
    assert service_order((Source.GENERATORS, Source.BATTERY, Source.GRID)) == (GENERATORS, BATTERY, GRID)


def test_lead_steps_cover_start_up_and_ramp() -> None:
    assert lead_steps(()) == 1
    # 2 steps to start, 10 MW at 4 MW per step: 3 steps of ramp, plus the step itself
    assert lead_steps((_gens(3, unit_mw=10.0, ramp_mw_per_step=4.0, startup_steps=2),)) == 6
    # the slowest fleet sets the lead; a ramp of 0 counts no ramp steps
    fleets = (_gens(3, startup_steps=1), _gens(3, unit_mw=10.0, ramp_mw_per_step=0.0, startup_steps=4))
    assert lead_steps(fleets) == 5
    # an exact multiple of the ramp is not rounded up
    assert lead_steps((_gens(3, unit_mw=8.0, ramp_mw_per_step=4.0),)) == 3


def test_residual_ahead_is_the_highest_over_the_lead() -> None:
    demand = np.array([1.0, 5.0, 2.0, 3.0, 1.0])
    cool = np.array([9.0, 4.0, 9.0, 9.0, 9.0])
    inp = _inputs([1.0] * 5)
    # grid first: demand within cooling, less the grid: 0, 3, 1, 2, 0; over 2 steps (the last held)
    assert residual_ahead_mw(inp, demand, cool, 2) == pytest.approx([3.0, 3.0, 2.0, 2.0, 0.0])
    assert residual_ahead_mw(inp, demand, cool, 1) == pytest.approx([0.0, 3.0, 1.0, 2.0, 0.0])
    # generators ahead of the grid: the grid does not count
    gen_first = _inputs([1.0] * 5, merit_order=(Source.GENERATORS, Source.GRID, Source.BATTERY))
    assert residual_ahead_mw(gen_first, demand, cool, 3) == pytest.approx([4.0, 4.0, 3.0, 3.0, 1.0])
    empty = _inputs([])
    assert len(residual_ahead_mw(empty, np.zeros(0), np.zeros(0), 3)) == 0


def test_units_of_enforces_caps_only_in_respect_mode() -> None:
    g = _gens(2, nox_cap_t=5.0, starts_cap=3)
    u = units_of(g)
    assert (u.nox_cap_t, u.starts_cap, u.keep_running, u.track_nox) == (5.0, 3, True, True)
    assert u.unit_mw == [1.0, 1.0] and u.available == [2, 2] and u.heat_rate == [10.0, 10.0]
    assert (u.min_load_fraction, u.ramp_mw_per_step, u.startup_steps, u.nox_t_per_mmbtu) == (
        0.5,
        1.0,
        0,
        0.001,
    )
    r = units_of(_gens(2, nox_cap_t=5.0, starts_cap=3, permit_mode=PermitMode.REPORT))
    assert (r.nox_cap_t, r.starts_cap, r.keep_running, r.track_nox) == (-1.0, -1, True, True)
    free = units_of(_gens(2))
    assert (free.nox_cap_t, free.starts_cap, free.keep_running, free.track_nox) == (-1.0, -1, False, False)


# --- whole runs --------------------------------------------------------------------------------------------


def test_grid_only_then_capped() -> None:
    # 2 MW of grid serves the 1.2 MW; at 1 MW the GPUs are capped to (1.0 - 0.5) / 0.7 = 0.714 of TDP
    out = run_dispatch(_inputs([2.0, 1.0]))
    assert out.served_mw == pytest.approx([1.2, 1.0]) and out.grid_mw == pytest.approx([1.2, 1.0])
    assert out.cap_fraction == pytest.approx([1.0, 0.5 / 0.7])
    assert out.demand_full_mw == pytest.approx([1.2, 1.2])
    assert out.supply_capacity_mw == pytest.approx([2.0, 1.0])
    assert out.powered.tolist() == [[1000, 1000]]
    assert out.battery_mw.tolist() == [0.0, 0.0] and out.soc_mwh.tolist() == [0.0, 0.0]
    assert out.gen_mw.shape == (0, 2) and out.starts.shape == (0, 2)


def test_cooling_limits_like_supply() -> None:
    # plenty of grid, but the cooling plant carries only 0.4 MW of IT: the campus idles whole blocks
    out = run_dispatch(_inputs([5.0], [1000], it_max_mw=np.array([0.4])))
    assert out.served_mw[0] <= 0.4 + 1e-12 and out.powered[0, 0] < 1000 and out.powered[0, 0] % 8 == 0


def test_battery_discharges_then_recharges_from_spare_grid() -> None:
    # 1 MW / 2 MWh battery, 81 % round trip (0.9 each way), 0.2..2.0 MWh, half-hour steps, from 1.0 MWh.
    # Step 0: 1 MW of grid, the battery gives the other 0.2 MW: 0.2 x 0.5 h / 0.9 = 0.1111 MWh out.
    # Step 1: 2 MW of grid, 0.8 MW spare charges it: 0.8 x 0.5 h x 0.9 = 0.36 MWh in.
    battery = BatteryParams(
        power_mw=1.0, energy_mwh=2.0, round_trip_efficiency=0.81, soc_min_mwh=0.2, soc_max_mwh=2.0
    )
    out = run_dispatch(
        _inputs(
            [1.0, 2.0],
            dt_s=1800.0,
            battery=battery,
            battery_power_mw=np.array([1.0, 1.0]),
            initial_soc_mwh=1.0,
        )
    )
    assert out.served_mw == pytest.approx([1.2, 1.2])
    assert out.grid_mw == pytest.approx([1.0, 2.0]) and out.battery_mw == pytest.approx([0.2, -0.8])
    assert out.soc_mwh == pytest.approx([1.0 - 0.2 * 0.5 / 0.9, 1.0 - 0.2 * 0.5 / 0.9 + 0.36])
    # supply: grid + what the battery can give (its 1 MW rating binds)
    assert out.supply_capacity_mw == pytest.approx([2.0, 3.0])
    assert _balance(out) == pytest.approx([0.0, 0.0])


def test_a_battery_not_yet_there_neither_gives_nor_takes() -> None:
    battery = BatteryParams(
        power_mw=1.0, energy_mwh=2.0, round_trip_efficiency=0.81, soc_min_mwh=0.2, soc_max_mwh=2.0
    )
    out = run_dispatch(
        _inputs([1.0, 1.0], battery=battery, battery_power_mw=np.array([0.0, 1.0]), initial_soc_mwh=1.0)
    )
    # step 0: no battery yet, the campus is capped to the grid's 1 MW and the state of charge stays put
    assert out.served_mw[0] == pytest.approx(1.0) and out.battery_mw[0] == 0.0 and out.soc_mwh[0] == 1.0
    # step 1: it gives the missing 0.2 MW over the hour: 0.2 / 0.9 MWh out
    assert out.served_mw[1] == pytest.approx(1.2) and out.battery_mw[1] == pytest.approx(0.2)
    assert out.soc_mwh[1] == pytest.approx(1.0 - 0.2 / 0.9)


def test_generators_cover_what_the_grid_cannot() -> None:
    # 0.5 MW of grid; two 1 MW units (0.5 MW minimum each). One unit covers the 0.7 MW residual and runs at
    # 70 % load: relative efficiency 0.905 (TransiEnt) -> 0.7 MWh x 10 / 0.905 MMBtu
    out = run_dispatch(_inputs([0.5, 0.5], generators=(_gens(2),)))
    assert out.served_mw == pytest.approx([1.2, 1.2]) and out.grid_mw == pytest.approx([0.5, 0.5])
    assert out.gen_mw[0] == pytest.approx([0.7, 0.7]) and out.units_on[0].tolist() == [1, 1]
    assert out.fuel_mmbtu[0] == pytest.approx([0.7 * 10 / 0.905] * 2)
    # the first step starts with its units running: no start-up counted
    assert out.starts[0].tolist() == [0, 0]
    # supply: grid + both available units
    assert out.supply_capacity_mw == pytest.approx([2.5, 2.5])
    assert _balance(out) == pytest.approx([0.0, 0.0])


def test_units_run_ahead_of_a_rise_and_stop_after_it() -> None:
    # 1,000 GPUs, then 2,000 (2.4 MW), then 1,000 again, 0.5 MW of grid, three 1 MW units with a one-step
    # start-up. Looking ahead over start-up and ramp (3 steps), the 1.9 MW residual at step 1 needs 2 units
    # from step 0: they hold their 1 MW minimum there, displacing 0.3 MW of grid import; after the rise one
    # unit stops and the other carries the 0.7 MW residual
    gens = _gens(3, units=3, startup_steps=1)
    out = run_dispatch(_inputs([0.5, 0.5, 0.5], [1000, 2000, 1000], generators=(gens,)))
    assert out.served_mw == pytest.approx([1.2, 2.4, 1.2]) and np.all(out.cap_fraction == 1.0)
    assert out.units_on[0].tolist() == [2, 2, 1] and out.starts[0].tolist() == [0, 0, 0]
    assert out.gen_mw[0] == pytest.approx([1.0, 1.9, 0.7])
    assert out.grid_mw == pytest.approx([0.2, 0.5, 0.5])
    assert _balance(out) == pytest.approx([0.0, 0.0, 0.0])


def test_a_unit_started_later_synchronises_after_its_start_up() -> None:
    # the rise comes at step 2: at step 0 one unit suffices; the second is commanded a start-up and ramp ahead
    # (step 0 already sees step 2 within its 3-step lead, but the first step starts with its units running)
    gens = _gens(4, units=3, startup_steps=1)
    out = run_dispatch(_inputs([0.5] * 4, [1000, 1000, 1000, 1000], generators=(gens,)))
    assert out.units_on[0].tolist() == [1, 1, 1, 1] and out.starts[0].sum() == 0
    gens = _gens(5, units=3, startup_steps=1)
    out = run_dispatch(_inputs([0.5] * 5, [1000, 1000, 1000, 1000, 2000], generators=(gens,)))
    # step 2 sees the 1.9 MW residual of step 4: a second unit is commanded and runs from step 3
    assert out.starts[0].tolist() == [0, 0, 1, 0, 0]
    assert out.units_on[0].tolist() == [1, 1, 1, 2, 2]
    assert out.served_mw == pytest.approx([1.2, 1.2, 1.2, 1.2, 2.4])
    assert out.gen_mw[0, 4] == pytest.approx(1.9)


def test_minimum_load_displaces_grid_import() -> None:
    # generators ahead of the grid: one 2 MW unit at its 1 MW minimum carries 1 MW, the grid only 0.2 MW...
    # with 1,000 GPUs (1.2 MW) the unit runs at 1.2 MW and the grid gives nothing
    merit = (Source.GENERATORS, Source.GRID, Source.BATTERY)
    out = run_dispatch(_inputs([5.0, 5.0], generators=(_gens(2, unit_mw=2.0, units=1),), merit_order=merit))
    assert out.gen_mw[0] == pytest.approx([1.2, 1.2]) and out.grid_mw == pytest.approx([0.0, 0.0])
    # 500 GPUs (0.6 MW) are below the 1 MW minimum: the unit cannot run, the grid serves it
    out = run_dispatch(
        _inputs([5.0, 5.0], [500, 500], generators=(_gens(2, unit_mw=2.0, units=1),), merit_order=merit)
    )
    assert out.gen_mw[0] == pytest.approx([0.0, 0.0]) and out.grid_mw == pytest.approx([0.6, 0.6])
    assert out.units_on[0].tolist() == [0, 0]


def test_spinning_reserve_keeps_a_spare_unit_running() -> None:
    # N+1: the 0.7 MW residual needs one unit; a second runs as reserve and both share the output at 0.5 MW
    # minimum each: 0.7 MW cannot hold 1.0 MW of minimum, so the grid steps back to 0.2 MW
    out = run_dispatch(_inputs([0.5, 0.5], generators=(_gens(2),), spinning_reserve_units=1))
    assert out.units_on[0].tolist() == [2, 2]
    assert out.gen_mw[0] == pytest.approx([1.0, 1.0]) and out.grid_mw == pytest.approx([0.2, 0.2])
    assert _balance(out) == pytest.approx([0.0, 0.0])


def test_a_new_year_resets_the_start_up_count() -> None:
    # one start-up a year, 1 MW units, no grid: 0, 0.6, 1.08 and 1.56 MW of demand. At step 0 there is nothing
    # to hold a unit's minimum; the unit started at step 1 is 2024's only start; on 1 January 2025 the count
    # starts again and a second unit is started for the 1.56 MW ahead
    gens = _gens(4, units=2, starts_cap=1)
    out = run_dispatch(
        _inputs(
            [0.0] * 4,
            [0, 500, 900, 1300],
            generators=(gens,),
            year_index=np.array([2024, 2024, 2025, 2025]),
        )
    )
    assert out.starts[0].tolist() == [0, 1, 1, 0] and out.units_on[0].tolist() == [0, 1, 2, 2]
    assert out.served_mw == pytest.approx([0.0, 0.6, 1.08, 1.56]) and np.all(out.cap_fraction == 1.0)
    assert _balance(out) == pytest.approx(np.zeros(4))
