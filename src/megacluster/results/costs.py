"""A run's cost figures: what each replica used, handed to the economics model (``economics.tco``), and the
cost paragraph of the terminal text. Numbers come from the replica's arrays and the scenario only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from megacluster.economics.assumptions import cost_assumptions
from megacluster.economics.tco import FLOP_UNIT, GeneratorUse, GpuFleetUse, RunUse, TcoSummary, campus_tco
from megacluster.fleet import installed_gpus
from megacluster.power.constants import NOX_LB_PER_MMBTU
from megacluster.results.format import fmt
from megacluster.results.replica import ReplicaRun
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, TimeGrid

SCR_SLACK = 1.0 + 1e-9
"""A fleet whose NOx factor is at or below the SCR factor (AP-42) counts as having SCR. [-]"""


def _available_s(grid: TimeGrid, start: Any, until: Any) -> float:
    """Seconds of the run between ``start`` (None: the run's start) and the end of ``until`` (None: the run's
    end). [s]"""
    lo = 0.0 if start is None else max(0.0, grid.seconds_at(start))
    hi = grid.horizon_s if until is None else min(grid.horizon_s, grid.seconds_at(until) + SECONDS_PER_DAY)
    return max(0.0, hi - lo)


def _gpu_fleets(run: ReplicaRun, scenario: Scenario, grid: TimeGrid) -> tuple[GpuFleetUse, ...]:
    """Installed and delivered GPUs of each delivery (delivered = powered x throughput factor)."""
    plant = run.plant
    tput = np.asarray(plant.throughput_factor, dtype=np.float64)
    powered = np.asarray(plant.gpus_powered_by_fleet, dtype=np.float64)
    out = []
    for i, delivery in enumerate(scenario.fleet):
        installed = installed_gpus(
            grid.start_s,
            delivery.count,
            grid.seconds_at(delivery.install_start),
            grid.seconds_at(delivery.install_end) + SECONDS_PER_DAY - 1.0,
            delivery.server_entry().gpus_per_server,
        ).astype(np.float64)
        out.append(GpuFleetUse(delivery.accelerator, installed, powered[i] * tput))
    return tuple(out)


def _generators(run: ReplicaRun, scenario: Scenario, grid: TimeGrid) -> tuple[GeneratorUse, ...]:
    dt_h = grid.dt_s / SECONDS_PER_HOUR
    last_day = (
        dt.datetime.combine(grid.start, dt.time()) + dt.timedelta(seconds=grid.horizon_s - 1.0)
    ).date()
    out = []
    for i, g in enumerate(scenario.power.generators):
        energy = float(np.sum(run.plant.generators_mw_by_fleet[i])) * dt_h
        out.append(
            GeneratorUse(
                unit=g.unit,
                capacity_mw=g.count * g.unit_rating_mw(),
                available_s=_available_s(grid, g.available_from, g.available_until),
                energy_mwh=energy,
                leaves=g.available_until is not None and g.available_until < last_day,
                scr=g.nox_rate() <= NOX_LB_PER_MMBTU["scr"] * SCR_SLACK,
            )
        )
    return tuple(out)


def run_use(run: ReplicaRun, scenario: Scenario, grid: TimeGrid) -> RunUse:
    """What one replica used and spent, as the economics model takes it."""
    p = run.plant
    dt_h = grid.dt_s / SECONDS_PER_HOUR
    months = np.asarray(p.times).astype("datetime64[M]")
    grid_mw = np.asarray(p.grid_mw, dtype=np.float64)
    monthly_peak = tuple(float(grid_mw[months == m].max()) for m in np.unique(months))
    battery = scenario.power.battery
    job = run.job
    pue = np.maximum(np.asarray(p.pue, dtype=np.float64), 1e-9)
    return RunUse(
        start=grid.start,
        dt_s=grid.dt_s,
        fleets=_gpu_fleets(run, scenario, grid),
        facility_it_mw=float(np.max(np.asarray(p.demand_full_mw) / pue, initial=0.0)),
        grid_steps=tuple((grid.seconds_at(s.start), s.mw) for s in scenario.power.grid),
        generators=_generators(run, scenario, grid),
        battery_mw=battery.total_power_mw() if battery else 0.0,
        battery_mwh=battery.total_energy_mwh() if battery else 0.0,
        battery_available_s=_available_s(grid, battery.available_from, None) if battery else 0.0,
        grid_cost_usd=float(np.sum(p.grid_cost_usd)),
        fuel_cost_usd=float(np.sum(p.fuel_cost_usd)),
        co2_t=float(np.sum(p.co2_t)),
        grid_monthly_peak_mw=monthly_peak,
        job_gpu_hours=float(np.sum(run.job_gpus * np.asarray(p.throughput_factor))) * dt_h if job else None,
        useful_flop=float(job.cumulative_flop[-1]) if job is not None and len(job.cumulative_flop) else None,
    )


def tco_tree(run: ReplicaRun, scenario: Scenario, grid: TimeGrid) -> dict[str, Any]:
    """One replica's TCO block as the summary's JSON tree."""
    tco = campus_tco(run_use(run, scenario, grid), cost_assumptions(scenario.economics))
    return tco.model_dump(mode="json")


def _musd(value: float) -> str:
    return f"${value / 1e6:,.1f} M"


def cost_lines(tco: TcoSummary) -> list[str]:
    """The run's cost in plain words: total and split, per GPU-hour and per 1e24 FLOP, stranded compute, and
    the assumptions that move them most."""
    c, o, s, a = tco.capital_charge_usd, tco.operating_usd, tco.stranded, tco.assumptions
    lines = [
        f"Over {tco.span_days:.0f} days the campus cost {_musd(tco.total_usd)} "
        f"({_musd(tco.total_usd_per_year)} "
        f"a year): capital charge {_musd(c.total)} (GPU servers {_musd(c.gpus)}, network {_musd(c.network)}, "
        f"buildings {_musd(c.facility)}, grid {_musd(c.grid)}, generators {_musd(c.generators)}, battery "
        f"{_musd(c.battery)}), generator rent {_musd(o.generator_rentals)}, grid energy and fuel "
        f"{_musd(o.grid_energy + o.fuel)}, other operating "
        f"{_musd(o.total - o.generator_rentals - o.grid_energy - o.fuel)}.",
        f"{fmt(tco.cost_per_gpu_hour_usd, ',.2f')} USD per GPU-hour delivered"
        + (
            f"; {_musd(tco.cost_per_1e24_flop_usd)} per {FLOP_UNIT:.0e} model FLOP the training job "
            "committed."
            if tco.cost_per_1e24_flop_usd is not None
            else "."
        ),
    ]
    if s.gpu_hours > 0:
        lines.append(
            f"Stranded compute: {s.gpu_hours / 24:,.0f} GPU-days idle or capped for lack of power or "
            "cooling cost "
            f"{_musd(s.cost_usd)} of GPU capital ({_musd(s.cost_usd_per_day_mean)} a day on average, "
            f"{_musd(s.cost_usd_per_day_peak)} on {s.peak_day}) at {fmt(s.gpu_usd_per_gpu_day, ',.2f')} USD "
            "per GPU-day."
        )
    prices = ", ".join(f"{k} ${v:,.0f}" for k, v in a.gpu_usd_per_gpu.items())
    lines.append(
        f"Assumptions: GPU servers {prices} per GPU + {a.network_fraction:.0%} network, "
        f"{min(a.gpu_life_years.values(), default=0):g}-year life at {a.discount_rate:.0%}; buildings "
        f"${a.facility_usd_per_mw_it / 1e6:,.1f} M per MW of IT ({a.facility_it_mw:,.0f} MW); generators "
        f"{', '.join(a.generator_ownership) or 'none'} (costs.toml, [economics])."
    )
    return lines
