"""The smoothing controller and the GPU ramp limits: energy is conserved, bounds hold, ramps are limited."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from megacluster.transients.config import SmoothingController
from megacluster.transients.storage import StorageSpec, ramp_limit, smooth

DT = 0.02


def swing(n: int = 6000, low: float = 60.0, high: float = 100.0) -> np.ndarray:
    t = np.arange(n) * DT
    return np.where((t % 3.0) < 2.5, high, low)


@settings(max_examples=60, deadline=None)
@given(
    load=arrays(np.float64, st.integers(2, 600), elements=st.floats(0.0, 200.0)),
    power=st.floats(0.0, 150.0),
    energy=st.floats(0.0, 0.05),
    rte=st.floats(0.5, 1.0),
    response=st.floats(0.0, 1.0),
    low_pass=st.booleans(),
)
def test_energy_is_conserved_through_the_controller(
    load: np.ndarray, power: float, energy: float, rte: float, response: float, low_pass: bool
) -> None:
    spec = StorageSpec(
        power_mw=power,
        energy_mwh=energy,
        round_trip_efficiency=rte,
        controller=SmoothingController.LOW_PASS if low_pass else SmoothingController.RAMP_LIMITER,
        ramp_mw_per_s=0.5,
        time_constant_s=5.0,
        response_s=response,
        restore_s=60.0,
    )
    run = smooth(load, DT, spec)
    # charge - discharge - losses = change of the state of charge
    assert run.charge_mwh - run.discharge_mwh - run.losses_mwh == pytest.approx(run.soc_change_mwh, abs=1e-9)
    assert run.losses_mwh >= -1e-12
    # the source takes what the store does not
    np.testing.assert_allclose(run.grid_mw + run.storage_mw, load, atol=1e-9)
    # bounds
    assert np.all(run.soc_mwh >= -1e-12) and np.all(run.soc_mwh <= energy + 1e-12)
    assert np.all(np.abs(run.storage_mw) <= power + 1e-9)
    # the ledger matches the power series
    to_mwh = DT / 3600.0
    assert run.discharge_mwh == pytest.approx(float(np.sum(np.clip(run.storage_mw, 0, None))) * to_mwh)
    assert run.charge_mwh == pytest.approx(float(np.sum(np.clip(-run.storage_mw, 0, None))) * to_mwh)


def test_losses_follow_the_round_trip_efficiency() -> None:
    spec = StorageSpec(power_mw=100.0, energy_mwh=10.0, round_trip_efficiency=0.81, ramp_mw_per_s=0.1)
    run = smooth(swing(), DT, spec)
    eta = math.sqrt(0.81)
    expected = run.charge_mwh * (1 - eta) + run.discharge_mwh * (1 / eta - 1)
    assert run.losses_mwh == pytest.approx(expected, rel=1e-12)


def test_an_ample_instant_store_holds_the_grid_to_its_ramp() -> None:
    spec = StorageSpec(power_mw=100.0, energy_mwh=10.0, ramp_mw_per_s=0.2, response_s=0.0)
    run = smooth(swing(), DT, spec)
    assert run.saturated_samples == 0
    assert np.max(np.abs(np.diff(run.grid_mw))) <= 0.2 * DT + 1e-9
    assert np.ptp(run.grid_mw) < 0.2 * np.ptp(swing())


def test_an_empty_store_passes_the_load_through() -> None:
    spec = StorageSpec(power_mw=0.0, energy_mwh=0.0, ramp_mw_per_s=0.2)
    run = smooth(swing(), DT, spec)
    np.testing.assert_allclose(run.grid_mw, swing())
    assert run.discharge_mwh == run.charge_mwh == 0.0


@settings(max_examples=60, deadline=None)
@given(
    demand=arrays(np.float64, st.integers(2, 500), elements=st.floats(0.0, 100.0)),
    up=st.one_of(st.none(), st.floats(0.1, 1000.0)),
    down=st.one_of(st.none(), st.floats(0.1, 1000.0)),
    hold=st.floats(0.0, 0.2),
)
def test_ramp_limits_hold_and_the_energy_adds_up(
    demand: np.ndarray, up: float | None, down: float | None, hold: float
) -> None:
    out = ramp_limit(demand, DT, up, down, hold)
    steps = np.diff(out.power_mw)
    if up is not None:
        assert np.all(steps <= up * DT + 1e-9)
    if down is not None:
        assert np.all(-steps <= down * DT + 1e-9)
    to_mwh = DT / 3600.0
    diff = out.power_mw - demand
    assert out.burnt_mwh == pytest.approx(float(np.sum(np.clip(diff, 0, None))) * to_mwh, abs=1e-12)
    assert out.withheld_mwh == pytest.approx(float(np.sum(np.clip(-diff, 0, None))) * to_mwh, abs=1e-12)


def test_without_limits_the_draw_is_untouched() -> None:
    out = ramp_limit(swing(), DT, None, None)
    np.testing.assert_array_equal(out.power_mw, swing())
    assert out.burnt_mwh == out.withheld_mwh == 0.0
