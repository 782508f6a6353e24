"""Gas generators: heat rate over load and ambient, derating, fuel, emissions, outages. Pure functions."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster.power import constants as k
from megacluster.units import BTU_PER_KWH_PER_MMBTU_PER_MWH, KG_PER_T, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_PL_X = np.array(k.PARTLOAD_LOAD_FRACTION)
_PL_EFF = np.array(k.PARTLOAD_RELATIVE_EFFICIENCY)


def partload_heat_rate_factor(load_fraction: float | FloatArray) -> FloatArray:
    """Heat rate at a part load relative to full load: 1 / relative efficiency (TransiEnt curve). [-]"""
    x = np.clip(np.asarray(load_fraction, dtype=np.float64), _PL_X[0], 1.0)
    return np.asarray(1.0 / np.interp(x, _PL_X, _PL_EFF), dtype=np.float64)


def partload_factor_scalar(load_fraction: float) -> float:
    """Scalar twin of :func:`partload_heat_rate_factor` for the dispatch loop. [-]"""
    x = min(max(load_fraction, k.PARTLOAD_LOAD_FRACTION[0]), 1.0)
    xs = k.PARTLOAD_LOAD_FRACTION
    ys = k.PARTLOAD_RELATIVE_EFFICIENCY
    for i in range(1, len(xs)):
        if x <= xs[i]:
            w = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            return 1.0 / (ys[i - 1] + w * (ys[i] - ys[i - 1]))
    return 1.0


def ambient_output_factor(ambient_c: float | FloatArray, derate_per_c: float = k.DERATE_PER_C) -> FloatArray:
    """Available output relative to the ISO rating: linear loss above 15 °C, held at the rating below. [-]"""
    t = np.asarray(ambient_c, dtype=np.float64)
    factor = 1.0 - derate_per_c * (t - k.ISO_AMBIENT_C)
    return np.asarray(np.clip(factor, 0.0, k.MAX_AMBIENT_OUTPUT_FACTOR), dtype=np.float64)


def ambient_heat_rate_factor(ambient_c: float | FloatArray) -> FloatArray:
    """Full-load heat rate relative to ISO: +0.33 %/K above 15 °C (and better below). [-]"""
    t = np.asarray(ambient_c, dtype=np.float64)
    return np.asarray(1.0 + k.HEAT_RATE_PER_C * (t - k.ISO_AMBIENT_C), dtype=np.float64)


def fuel_mmbtu(
    output_mw: float | FloatArray,
    duration_h: float,
    heat_rate_btu_per_kwh: float | FloatArray,
    load_fraction: float | FloatArray = 1.0,
    ambient_c: float | FloatArray = k.ISO_AMBIENT_C,
) -> FloatArray:
    """Fuel burnt (HHV) producing ``output_mw`` for ``duration_h`` at a load fraction and ambient. [MMBtu]

    1,000 Btu/kWh = 1 MMBtu/MWh, so fuel = MW x h x heat rate / 1,000 x part-load x ambient factors.
    """
    mwh = np.asarray(output_mw, dtype=np.float64) * duration_h
    hr = np.asarray(heat_rate_btu_per_kwh, dtype=np.float64) / BTU_PER_KWH_PER_MMBTU_PER_MWH
    return np.asarray(
        mwh * hr * partload_heat_rate_factor(load_fraction) * ambient_heat_rate_factor(ambient_c),
        dtype=np.float64,
    )


def co2_t(fuel: float | FloatArray, kg_per_mmbtu: float = k.CO2_KG_PER_MMBTU) -> FloatArray:
    """CO2 from burning natural gas (HHV factor). [t]"""
    return np.asarray(np.asarray(fuel, dtype=np.float64) * kg_per_mmbtu / KG_PER_T, dtype=np.float64)


def nox_t(fuel: float | FloatArray, lb_per_mmbtu: float) -> FloatArray:
    """NOx from burning natural gas with an AP-42 factor. [t]"""
    return np.asarray(np.asarray(fuel, dtype=np.float64) * lb_per_mmbtu * k.LB_T, dtype=np.float64)


def outage_down_units(
    seed: int,
    fleet_index: int,
    n_units: int,
    n_steps: int,
    dt_s: float,
    outage_rate: float,
    mean_repair_h: float,
) -> IntArray:
    """Units on forced outage at each step: each unit alternates exponential up and down times. [-]

    Each unit draws from its own generator seeded by (seed, fleet, unit), so adding units never changes the
    outages of the others (a property the sizing bisection relies on). Mean up time = MTTR x (1 - FOR) / FOR.
    """
    down = np.zeros(n_steps + 1, dtype=np.int64)
    if outage_rate <= 0.0 or n_units == 0 or n_steps == 0:
        return down[:n_steps]
    mttr_steps = mean_repair_h * SECONDS_PER_HOUR / dt_s
    mttf_steps = mttr_steps * (1.0 - outage_rate) / outage_rate
    for unit in range(n_units):
        rng = np.random.default_rng([seed, fleet_index, unit])
        t = 0.0
        up = rng.random() >= outage_rate
        while t < n_steps:
            count = 64
            ups = rng.exponential(mttf_steps, count)
            downs = rng.exponential(mttr_steps, count)
            seq = np.empty(2 * count)
            if up:
                seq[0::2], seq[1::2] = ups, downs
            else:
                seq[0::2], seq[1::2] = downs, ups
            edges = t + np.cumsum(seq)
            starts = np.concatenate(([t], edges[:-1]))
            # intervals that are down: odd positions when starting up, even when starting down
            sel = slice(1, None, 2) if up else slice(0, None, 2)
            a = np.clip(np.ceil(starts[sel]), 0, n_steps).astype(np.int64)
            b = np.clip(np.ceil(edges[sel]), 0, n_steps).astype(np.int64)
            np.add.at(down, a, 1)
            np.add.at(down, b, -1)
            t = float(edges[-1])
        # the state after the last block alternates back to the same parity (even count): unchanged
    return np.cumsum(down)[:n_steps]
