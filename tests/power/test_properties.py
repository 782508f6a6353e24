"""Invariants of the plant over random scenarios (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from power.helpers import h100_fleet, run_plant, scenario, times

MERIT = st.permutations(["grid", "battery", "generators"])


@st.composite
def plants(draw: st.DrawFn) -> dict[str, Any]:
    grid = [{"from": "2024-01-01", "mw": draw(st.floats(0, 60))}]
    if draw(st.booleans()):
        grid.append({"from": "2024-07-02", "mw": draw(st.floats(0, 120))})
    gens = []
    for _ in range(draw(st.integers(0, 2))):
        gens.append(
            {
                "rating_mw": draw(st.floats(0.5, 20)),
                "count": draw(st.integers(0, 6)),
                "min_load_fraction": draw(st.floats(0, 0.9)),
                "startup_s": draw(st.sampled_from([0.0, 300.0, 900.0, 3600.0])),
                "ramp_mw_per_min": draw(st.floats(0.1, 50)),
                "forced_outage_rate": draw(st.sampled_from([0.0, 0.05, 0.3])),
                "mean_repair_h": draw(st.floats(0.5, 48)),
                "nox_control": draw(st.sampled_from(["uncontrolled", "dln", "scr"])),
                "permit": draw(
                    st.sampled_from(
                        [
                            None,
                            {"nox_t_per_year": 0.05, "starts_per_year": 3, "mode": "respect"},
                            {"nox_t_per_year": 0.05, "mode": "report"},
                        ]
                    )
                ),
            }
        )
    power: dict[str, Any] = {"grid": grid, "generators": gens, "merit_order": draw(MERIT)}
    power["charge_from_generators"] = draw(st.booleans())
    power["cap"] = {"enabled": draw(st.booleans()), "min_fraction": draw(st.floats(0.3, 1.0))}
    if draw(st.booleans()):
        energy = draw(st.floats(1, 200))
        lo = draw(st.floats(0, 0.5))
        power["battery"] = {
            "power_mw": energy * draw(st.floats(0.1, 4.0)),
            "energy_mwh": energy,
            "round_trip_efficiency": draw(st.floats(0.5, 1.0)),
            "initial_soc_fraction": draw(st.floats(0, 1)),
            "soc_min_fraction": lo,
            "soc_max_fraction": draw(st.floats(lo + 0.05, 1.0)),
            "available_from": draw(st.sampled_from([None, "2024-07-02"])),
        }
    cooling = draw(st.sampled_from(["constant_pue", "chiller_tower", "chiller_air", "dry_cooler"]))
    facility: dict[str, Any] = {"cooling": cooling}
    if draw(st.booleans()):
        facility["cooling_capacity_mw"] = draw(st.floats(1, 100))
    return {"power": power, "facility": facility}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plant=plants(),
    step_s=st.sampled_from([60.0, 300.0, 1800.0]),
    block=st.sampled_from([1, 8, 512, 4096]),
    gpus=st.lists(st.integers(0, 60_000), min_size=2, max_size=5),
    seed=st.integers(0, 2**31),
    climate=st.sampled_from(["memphis", "abilene", "yakima"]),
)
def test_invariants(
    plant: dict[str, Any], step_s: float, block: int, gpus: list[int], seed: int, climate: str
) -> None:
    sc = scenario(power=plant["power"], facility=plant["facility"], site={"climate": climate})
    tt = times(start="2024-07-01", days=2.0 if step_s > 60 else 0.5, step_s=step_s)
    n = len(tt)
    inst = np.repeat(np.asarray(gpus), -(-n // len(gpus)))[:n]
    r = run_plant(sc, tt, step_s, h100_fleet(inst), block, np.random.default_rng(seed))
    fac = r.facility_power_mw
    scale = np.maximum(1.0, np.abs(fac))
    # energy balance every step
    assert np.all(np.abs(r.grid_mw + r.generators_mw + r.battery_mw - fac) <= 1e-9 * scale)
    # never more drawn than supply, nor than the demand
    assert np.all(fac <= r.supply_capacity_mw + 1e-9 * scale)
    assert np.all(fac <= r.demand_full_mw + 1e-9 * scale)
    assert np.all(r.unserved_mw >= 0)
    # powered GPUs within installed
    assert np.all(r.gpus_powered <= r.gpus_installed) and np.all(r.gpus_powered >= 0)
    assert np.all((r.gpu_power_cap_fraction > 0) & (r.gpu_power_cap_fraction <= 1))
    # state of charge within limits
    b = sc.power.battery
    if b is not None:
        e = b.total_energy_mwh()
        assert np.all(r.battery_soc_mwh >= b.soc_min_fraction * e - 1e-9)
        assert np.all(r.battery_soc_mwh <= b.soc_max_fraction * e + 1e-9)
        assert np.all(np.abs(r.battery_mw) <= b.total_power_mw() + 1e-9)
    else:
        assert np.all(r.battery_mw == 0)
    # grid within its interconnect, emissions non-negative
    assert np.all(r.grid_mw >= -1e-12) and np.all(r.generators_mw >= -1e-12)
    assert np.all(r.nox_t >= 0) and np.all(r.fuel_mmbtu >= 0)
    assert np.all(r.grid_mw <= max(s.mw for s in sc.power.grid) + 1e-9)
    for i, g in enumerate(sc.power.generators):
        if g.permit is not None and g.permit.mode.value == "respect":
            if g.permit.nox_t_per_year is not None:
                assert r.nox_t_by_fleet[i].sum() <= g.permit.nox_t_per_year + 1e-9
            if g.permit.starts_per_year is not None:
                assert r.generator_starts_by_fleet[i].sum() <= g.permit.starts_per_year
    assert r.permit.respected or any(
        g.permit is not None and g.permit.mode.value == "report" for g in sc.power.generators
    )
