"""N+1 sizing's grid (power/sizing.py): what one transformer or feeder out leaves, by hand."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from megacluster.power.config import PermitPeriod
from megacluster.power.sizing import n_minus_1_grid, sizing_limits
from megacluster.power.totals import PermitExceedance, PermitKind, PermitLimit

from .helpers import scenario


def test_n_plus_1_limits_every_grid_step_to_one_element_out() -> None:
    # 3 x 60 MVA x 0.95 = 171 MW; one out: 114 MW. Steps of 100 and 150 MW: 100 stays, 150 is cut to 114
    link = {"transformers": 3, "transformer_mva": 60.0, "power_factor": 0.95}
    grid = [{"from": "2024-01-01", "mw": 100.0}, {"from": "2024-06-01", "mw": 150.0}]
    power = scenario(power={"grid": grid, "interconnect": link}).power
    firm = n_minus_1_grid(power)
    assert [s.mw for s in firm.grid] == pytest.approx([100.0, 114.0])
    assert [s.start for s in firm.grid] == [s.start for s in power.grid]
    assert firm.interconnect is None  # the limit is in the schedule now: not applied twice
    # feeders bind when they carry less: 2 x 80 MW, one out leaves 80 MW
    feeders = {**link, "feeders": 2, "feeder_mw": 80.0}
    assert n_minus_1_grid(scenario(power={"grid": grid, "interconnect": feeders}).power).grid[1].mw == 80.0
    assert power.generators == firm.generators and power.battery == firm.battery


def test_n_plus_1_needs_the_interconnect() -> None:
    msg = r"^sizing for N\+1 needs \[power.interconnect\] \(transformers, feeders\) to take one out$"
    with pytest.raises(ValueError, match=msg):
        n_minus_1_grid(scenario().power)


def _exceeded(kind: PermitKind, limit: float, value: float, window: PermitPeriod) -> PermitExceedance:
    return PermitExceedance(
        fleet=0, unit="smt-130", year=2025, kind=kind, limit=limit, value=value,
        first_exceeded="2025-03-01T00:00", window=window,
    )  # fmt: skip


def _run(*exceeded: PermitExceedance, fuel: float = 1e6, nox: float = 160.0, curtailed: int = 0) -> Any:
    """A run's permit report, fuel, NOx and curtailed steps (half-hour steps)."""
    return SimpleNamespace(
        permit=SimpleNamespace(exceedances=exceeded, fleets=()),
        fuel_mmbtu=np.array([fuel / 2, fuel / 2]),
        nox_t=np.array([nox / 2, nox / 2]),
        curtailed=np.arange(8) < curtailed,
        dt_s=1800.0,
    )


def test_why_a_reported_plant_is_not_a_solution() -> None:
    nox = _exceeded(PermitKind.NOX_T, 80.0, 100.0, PermitPeriod.ROLLING_12_MONTHS)
    starts = _exceeded(PermitKind.STARTS, 300.0, 400.0, PermitPeriod.CALENDAR_YEAR)
    lines = sizing_limits(_run(nox, starts, curtailed=6), 4, "smt-130")
    # 160 t NOx from 1e6 MMBtu: 160 / 1e6 / 0.45359237e-3 = 0.3527 lb/MMBtu; 80/100 of it meets the cap
    rate = 160.0 / 1e6 / 0.45359237e-3
    assert lines == [
        "NOx: 4 x smt-130 would reach 100.0 t over a rolling 12 months window against the permit's cap of "
        f"80.0 t (first passed 2025-03-01T00:00); meeting it takes a NOx factor of at most {rate * 0.8:.4f} "
        f"lb/MMBtu (the units': {rate:.4f}; AP-42 with SCR: 0.0099)",
        "start-ups: 4 x smt-130 would reach 400.0 over a calendar year window against the permit's cap of "
        "300.0 (first passed 2025-03-01T00:00)",
        "capacity: 4 x smt-130 still leave GPUs capped or off for 3.0 h",
    ]
    # without fuel burnt there is no factor to name
    (line,) = sizing_limits(_run(nox, fuel=0.0), 4, "smt-130")
    assert line.endswith("(first passed 2025-03-01T00:00)")
    # nothing exceeded in 'report' and nothing curtailed: the caps only bite in 'respect' mode
    assert sizing_limits(_run(), 4, "smt-130") == [
        "the permit's caps curtail the campus in 'respect' mode (no cap exceeded in 'report')"
    ]


def test_a_partial_permit_window_is_named_with_the_plant() -> None:
    # half a year under the permit at 140 t a year, against 78.9 t per 12 months
    half = PermitLimit(
        kind=PermitKind.NOX_T,
        cap=78.9,
        worst=70.0,
        worst_window_end="2025-12",
        per_year=140.0,
        years_in_force=0.5,
    )
    run = _run()
    run.permit.fleets = (SimpleNamespace(limits=(half,)),)
    assert sizing_limits(run, 4, "smt-130") == [
        "NOx: 4 x smt-130 would reach 140.0 t a year at the rate of the 6.0 months the run spends under the "
        "permit (worst partial window 70.0) against the permit's cap of 78.9 t per 12 months"
    ]
