"""The compiled dispatch loop (power/kernel.py) gives the Python loop's results to the last bit.

Random campuses, plants, batteries, permits and merit orders, tight enough that every phase acts: supply
short of demand (caps and idled blocks under each policy), units started ahead of rises and stopped, start-up
delays and forced outages, minimum load displacing the grid and the battery, the battery charged from spare
grid and generators, NOx and start-up caps over rolling and calendar windows, permits taking effect mid-run.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from megacluster.power.battery import BatteryParams
from megacluster.power.config import PermitMode, Source
from megacluster.power.dispatch import (
    DispatchInputs,
    DispatchOutputs,
    FleetDemand,
    GenFleetInputs,
    LoopKernel,
    run_dispatch,
)
from megacluster.power.policy import PowerPolicy

FIELDS = (
    "served_mw",
    "demand_full_mw",
    "grid_mw",
    "battery_mw",
    "soc_mwh",
    "cap_fraction",
    "supply_capacity_mw",
    "gen_mw",
    "units_on",
    "fuel_mmbtu",
    "starts",
    "powered",
)
MERITS = list(itertools.permutations((Source.GRID, Source.GENERATORS, Source.BATTERY)))


def _steps(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """A random walk of piecewise-constant levels in [low, high]. [-]"""
    levels = rng.uniform(low, high, size=-(-n // 40))
    return np.repeat(levels, 40)[:n]


def _generators(rng: np.random.Generator, n: int, count: int) -> tuple[GenFleetInputs, ...]:
    out = []
    for _ in range(count):
        unit = float(rng.uniform(2.0, 20.0))
        units = int(rng.integers(1, 8))
        avail = np.minimum(units, np.maximum(0, units - rng.poisson(0.3, size=n))).astype(np.int64)
        late = int(rng.integers(0, n // 4))  # a fleet that comes later, or full from the start
        avail[:late] = 0 if rng.random() < 0.3 else avail[0]
        permit = rng.random() < 0.6
        out.append(
            GenFleetInputs(
                unit_cap_mw=unit * rng.uniform(0.85, 1.0, size=n),
                available_units=avail,
                fuel_mmbtu_per_mwh=rng.uniform(8.0, 12.0, size=n),
                min_load_fraction=float(rng.uniform(0.0, 0.6)),
                ramp_mw_per_step=float(rng.uniform(0.2, 1.5) * unit),
                startup_steps=int(rng.integers(0, 4)),
                nox_t_per_mmbtu=float(rng.uniform(1e-5, 1e-3)),
                nox_cap_t=float(rng.uniform(0.5, 20.0)) if permit and rng.random() < 0.7 else None,
                starts_cap=int(rng.integers(1, 30)) if permit and rng.random() < 0.5 else None,
                permit_mode=PermitMode.RESPECT if rng.random() < 0.7 else PermitMode.REPORT,
                permit_from_step=int(rng.integers(0, n)) if rng.random() < 0.4 else 0,
                rolling=bool(rng.random() < 0.6),
            )
        )
    return tuple(out)


def random_inputs(seed: int, n: int = 1500) -> DispatchInputs:
    """A random plant of ``n`` one-hour steps spanning several months and a new year. [-]"""
    rng = np.random.default_rng(seed)
    n_fleets = int(rng.integers(1, 4))
    fleets = tuple(
        FleetDemand(
            installed=np.sort(rng.integers(0, 40_000, size=n)).astype(np.int64)
            if rng.random() < 0.5
            else np.full(n, int(rng.integers(1_000, 40_000)), dtype=np.int64),
            slope_w=float(rng.uniform(300.0, 900.0)),
            fixed_w=float(rng.uniform(100.0, 600.0)),
            idle_w=float(rng.uniform(0.0, 150.0)) if rng.random() < 0.7 else 0.0,
        )
        for _ in range(n_fleets)
    )
    battery = None
    power = np.zeros(n)
    if rng.random() < 0.7:
        energy = float(rng.uniform(5.0, 200.0))
        battery = BatteryParams(
            power_mw=float(rng.uniform(2.0, 60.0)),
            energy_mwh=energy,
            round_trip_efficiency=float(rng.uniform(0.8, 0.95)),
            soc_min_mwh=0.1 * energy,
            soc_max_mwh=energy,
            reserve_mwh=float(rng.uniform(0.0, 0.5)) * energy,
        )
        power = np.full(n, battery.power_mw)
        power[: int(rng.integers(0, n // 3))] = 0.0  # not yet there
    # a new month every 100 steps (15 months), from November
    months = (2024 - 1970) * 12 + 10 + (np.arange(n) // 100)
    peak = sum(float(f.installed.max() * (f.slope_w + f.fixed_w)) for f in fleets) * 1e-6
    return DispatchInputs(
        dt_s=3600.0,
        grid_cap_mw=_steps(rng, n, 0.0, 0.9 * peak),
        pue=_steps(rng, n, 1.05, 1.5),
        it_max_mw=_steps(rng, n, 0.5 * peak, 1.2 * peak),
        fleets=fleets,
        load_fraction=float(rng.uniform(0.7, 1.0)),
        cap_enabled=bool(rng.random() < 0.8),
        cap_min_fraction=float(rng.uniform(0.4, 0.8)),
        block_gpus=int(rng.choice([8, 64, 512])),
        battery=battery,
        battery_power_mw=power,
        initial_soc_mwh=0.0 if battery is None else float(rng.uniform(0.0, battery.energy_mwh)),
        generators=_generators(rng, n, int(rng.integers(0, 4))),
        merit_order=MERITS[int(rng.integers(len(MERITS)))],
        charge_from_generators=bool(rng.random() < 0.5),
        year_index=(months // 12 + 1970).astype(np.int64),
        month_index=months.astype(np.int64) if rng.random() < 0.7 else None,
        spinning_reserve_units=int(rng.integers(0, 2)),
        policy=list(PowerPolicy)[int(rng.integers(3))],
        cap_exponent=float(rng.uniform(0.3, 1.2)),
        exposure_per_gpu=float(rng.uniform(0.0, 1e-5)),
    )


def _same(a: DispatchOutputs, b: DispatchOutputs) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape and x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("seed", range(60))
def test_compiled_loop_equals_the_python_loop(seed: int) -> None:
    inp = random_inputs(seed)
    _same(run_dispatch(inp, LoopKernel.COMPILED), run_dispatch(inp, LoopKernel.PYTHON))


def test_the_random_plants_exercise_every_phase() -> None:
    """The cases above are not trivial: across them, supply is short, units start and stop, caps and idled
    blocks both happen, the battery charges and discharges (the permit code is exercised too: changing
    its window length, cap test or start-up cap makes the comparison fail)."""
    seen = dict.fromkeys(("short", "capped", "idled", "started", "charge", "discharge"), False)
    for seed in range(60):
        inp = random_inputs(seed)
        out = run_dispatch(inp, LoopKernel.PYTHON)
        seen["short"] |= bool((out.served_mw < out.demand_full_mw - 1e-6).any())
        seen["capped"] |= bool((out.cap_fraction < 1.0).any())
        seen["idled"] |= bool((out.powered < np.array([f.installed for f in inp.fleets])).any())
        seen["started"] |= bool(out.starts.sum() > 0)
        seen["charge"] |= bool((out.battery_mw < 0).any())
        seen["discharge"] |= bool((out.battery_mw > 0).any())
    assert all(seen.values()), seen


def test_auto_picks_the_python_loop_for_short_runs_and_both_agree_on_the_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import megacluster.power.dispatch as dispatch

    inp = random_inputs(3, n=300)
    monkeypatch.setattr(dispatch, "COMPILED_MIN_STEPS", 10**9)
    short = run_dispatch(inp)
    monkeypatch.setattr(dispatch, "COMPILED_MIN_STEPS", 1)
    long = run_dispatch(inp)
    _same(short, long)
    assert dispatch._compiled(LoopKernel.AUTO, 1) and not dispatch._compiled(LoopKernel.PYTHON, 10**9)


def _edge_inputs(**changes: Any) -> DispatchInputs:
    base = random_inputs(7, n=120)
    return DispatchInputs(**{**base.__dict__, **changes})


def test_no_generators_and_no_battery() -> None:
    inp = _edge_inputs(generators=(), battery=None, battery_power_mw=np.zeros(120))
    _same(run_dispatch(inp, LoopKernel.COMPILED), run_dispatch(inp, LoopKernel.PYTHON))
