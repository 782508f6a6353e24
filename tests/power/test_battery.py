"""The battery state: state-of-charge arithmetic and limits, against values worked by hand."""

from __future__ import annotations

import pytest

from megacluster.power.battery import BatteryParams, BatteryState

# 2 MW / 4 MWh, 81 % round trip: 90 % each way; kept between 0.4 and 4.0 MWh; reserve 2.0 MWh
P = BatteryParams(
    power_mw=2.0,
    energy_mwh=4.0,
    round_trip_efficiency=0.81,
    soc_min_mwh=0.4,
    soc_max_mwh=4.0,
    reserve_mwh=2.0,
)


def _at(soc_mwh: float, dt_h: float = 1.0) -> BatteryState:
    return BatteryState.start(P, dt_h, soc_mwh)


def test_one_way_efficiency_is_the_square_root_of_the_round_trip() -> None:
    assert P.one_way_efficiency == pytest.approx(0.9)
    assert _at(4.0).efficiency == pytest.approx(0.9)


def test_charging_stores_the_one_way_share() -> None:
    # charging 1.5 MW for 0.5 h at a 64 % round trip (80 % one way) stores 1.5 x 0.5 x 0.8 = 0.6 MWh
    p = BatteryParams(
        power_mw=2.0, energy_mwh=4.0, round_trip_efficiency=0.64, soc_min_mwh=0.0, soc_max_mwh=4.0
    )
    b = BatteryState.start(p, 0.5, 1.0)
    assert b.advance(0.0, 1.5) == pytest.approx(1.6)
    assert b.soc_mwh == pytest.approx(1.6)


def test_discharging_takes_more_than_it_delivers() -> None:
    # delivering 2 MW for 1 h at 90 % one way takes 2 / 0.9 = 2.222 MWh out of storage
    b = _at(4.0)
    assert b.advance(2.0, 0.0) == pytest.approx(4.0 - 2.0 / 0.9)
    # charging back 2 MW for 1 h stores 1.8 MWh
    assert b.advance(0.0, 2.0) == pytest.approx(4.0 - 2.0 / 0.9 + 1.8)


def test_a_full_cycle_returns_the_round_trip_efficiency() -> None:
    # deliver 1 MWh, then refill the same storage energy at 1 MW: it takes 1 / 0.81 h, i.e. 1/0.81 MWh drawn
    out = _at(4.0)
    out.advance(1.0, 0.0)
    back = BatteryState.start(P, 1.0 / 0.81, out.soc_mwh)
    assert back.advance(0.0, 1.0) == pytest.approx(4.0)


def test_state_of_charge_stays_within_its_limits() -> None:
    b = _at(1.0)
    assert b.advance(5.0, 0.0) == pytest.approx(0.4)  # more than it holds: held at the minimum
    b = _at(3.9)
    assert b.advance(0.0, 5.0) == pytest.approx(4.0)  # more than its room: held at the maximum


def test_start_holds_the_initial_state_and_reserve_within_the_limits() -> None:
    assert _at(10.0).soc_mwh == 4.0 and _at(-1.0).soc_mwh == 0.4
    low = BatteryParams(
        power_mw=1.0,
        energy_mwh=4.0,
        round_trip_efficiency=0.81,
        soc_min_mwh=1.0,
        soc_max_mwh=3.0,
        reserve_mwh=0.2,
    )
    assert BatteryState.start(low, 1.0, 2.0).reserve_mwh == 1.0
    with pytest.raises(ValueError, match=r"^dt_h must be positive$"):
        BatteryState.start(P, 0.0, 1.0)


def test_discharge_and_charge_limits() -> None:
    # at 1.0 MWh, 0.6 MWh above the minimum: 0.6 x 0.9 = 0.54 MW over an hour
    dis, chg, _ = _at(1.0).limits_mw(2.0, 1.0)
    assert dis == pytest.approx(0.54) and chg == 2.0
    # at 3.91 MWh, 0.09 MWh of room: 0.09 / 0.9 = 0.1 MW over an hour
    dis, chg, _ = _at(3.91).limits_mw(2.0, 1.0)
    assert dis == 2.0 and chg == pytest.approx(0.1)
    # empty and full
    assert _at(0.4).limits_mw(2.0, 1.0)[0] == 0.0
    assert _at(4.0).limits_mw(2.0, 1.0)[1] == 0.0
    # over a quarter hour the power rating binds: 3.5 MWh of room / (0.9 x 0.25 h) = 15.6 MW > 2 MW
    assert _at(0.5, 0.25).limits_mw(2.0, 1.0)[1] == 2.0
    # before the battery exists (rating 0 at this step) it can do nothing
    assert _at(2.0).limits_mw(0.0, 1.0) == (0.0, 0.0, 0.0)


def test_draining_exactly_the_discharge_limit_lands_on_the_minimum() -> None:
    b = _at(1.0, 0.5)
    dis, _, _ = b.limits_mw(2.0, 1.0)
    assert dis == pytest.approx(0.6 * 0.9 / 0.5)
    assert b.advance(dis, 0.0) == pytest.approx(0.4)


def test_firm_power_counts_only_the_energy_above_the_reserve() -> None:
    # 4.0 MWh, reserve 2.0: 2.0 x 0.9 = 1.8 MWh deliverable, held for 2 h = 0.9 MW
    assert _at(4.0).limits_mw(2.0, 2.0)[2] == pytest.approx(0.9)
    assert _at(4.0).limits_mw(0.5, 2.0)[2] == 0.5  # within the power rating
    assert _at(2.0).limits_mw(2.0, 2.0)[2] == 0.0  # at the reserve: nothing firm


def test_no_battery_has_no_limits_and_never_moves() -> None:
    b = BatteryState.none(1.0)
    assert b.limits_mw(0.0, 1.0) == (0.0, 0.0, 0.0)
    assert b.soc_mwh == 0.0 and b.reserve_mwh == 0.0
