"""Battery model: a full cycle by hand."""

from __future__ import annotations

import math

import pytest

from megacluster.power.battery import BatteryParams, charge_limit_mw, discharge_limit_mw, next_soc_mwh

P = BatteryParams(power_mw=2.0, energy_mwh=4.0, round_trip_efficiency=0.81, soc_min_mwh=0.4, soc_max_mwh=4.0)


def test_cycle_by_hand() -> None:
    # one-way efficiency sqrt(0.81) = 0.9. Discharge 2 MW for 1 h from 4.0 MWh: storage loses 2.222 MWh
    soc = next_soc_mwh(4.0, 2.0, 0.0, P, 1.0)
    assert soc == pytest.approx(4.0 - 2.0 / 0.9)
    # recharge the 2.2222 MWh: at 2 MW the storage gains 1.8 MWh per hour
    soc2 = next_soc_mwh(soc, 0.0, 2.0, P, 1.0)
    assert soc2 == pytest.approx(soc + 1.8)
    # energy drawn to refill / energy delivered = (2.2222 / 0.9) / 2 = 1 / 0.81
    assert pytest.approx(1 / 0.81) == (2.0 / 0.9 / 0.9) / 2.0


def test_limits_respect_soc_bounds() -> None:
    assert discharge_limit_mw(0.4, P, 1.0) == 0.0
    assert discharge_limit_mw(1.0, P, 1.0) == pytest.approx(0.6 * 0.9)
    assert charge_limit_mw(4.0, P, 1.0) == 0.0
    assert charge_limit_mw(3.91, P, 1.0) == pytest.approx(0.09 / 0.9)
    assert charge_limit_mw(0.5, P, 0.25) == 2.0
    # draining exactly the discharge limit lands on the minimum
    lim = discharge_limit_mw(1.0, P, 0.5)
    assert next_soc_mwh(1.0, lim, 0.0, P, 0.5) == pytest.approx(0.4)
    assert P.one_way_efficiency == pytest.approx(math.sqrt(0.81))
