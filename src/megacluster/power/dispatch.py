"""The step-by-step dispatch: the only sequential part of the plant (battery state, unit commitment, permits).

Everything that does not depend on the previous step is precomputed as arrays here; the step loop runs
either in plain Python (``loop.py``, one function of ``phases.py`` per physical phase) or compiled
(``kernel.py``, the same arithmetic; from ``COMPILED_MIN_STEPS`` steps on), with the same results to the
last bit. Per step:

1. commit units ahead of need: finished start-ups come online, forced outages trip running units; looking
   ahead over a start-up and ramp (the install schedule and the weather are known), units start when the
   sources ahead of the generators in the merit order cannot cover the residual demand (the battery counts
   only above its reserve, and only for what it can carry through a start-up), plus any spinning reserve;
   they stop only when the sources ahead, without the battery, suffice (never under a start-up cap); a
   battery below its reserve is refilled;
2. fit the demand: the facility power served is the demand limited by supply and by cooling; short of it the
   GPUs are capped (down to the deepest cap), then whole blocks are idled;
3. merit order: sources serve in order, except that running units serve before the battery;
4. minimum load: running units are held at their minimum stable load (grid import, battery discharge, then
   battery charging absorb the excess, else units stop and the campus re-fits);
5. charge: spare grid and running generator output charge the battery;
6. split output: the generators' output over fleets, with fuel and the permits' NOx;
7. state of charge: :meth:`~megacluster.power.battery.BatteryState.advance`.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from megacluster.power.battery import BatteryParams, BatteryState
from megacluster.power.config import PermitMode, Source
from megacluster.power.constants import COMPILED_MIN_STEPS
from megacluster.power.loop import Plan, run_steps
from megacluster.power.periods import month_index, permit_boundaries
from megacluster.power.phases import BATTERY, DEFAULT_ORDER, GENERATORS, GRID
from megacluster.power.policy import PowerPolicy
from megacluster.power.state import Campus, Units
from megacluster.units import MW_PER_W, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FleetDemand:
    """One GPU fleet's per-GPU power terms and installed count."""

    installed: IntArray
    """Installed GPUs per step. [-]"""
    slope_w: float
    """IT watts per GPU per unit of cap fraction. [W]"""
    fixed_w: float
    """IT watts per powered GPU independent of the cap. [W]"""
    idle_w: float = 0.0
    """IT watts of an idled GPU. [W]"""


@dataclass(frozen=True)
class GenFleetInputs:
    """One generator fleet, precomputed per step."""

    unit_cap_mw: FloatArray
    """Derated capacity of one unit; 0 outside the fleet's dates. [MW]"""
    available_units: IntArray
    """Units neither on forced outage nor outside their dates. [-]"""
    fuel_mmbtu_per_mwh: FloatArray
    """Full-load heat rate at the ambient (HHV). [MMBtu/MWh]"""
    min_load_fraction: float
    """Minimum stable load / unit capacity. [-]"""
    ramp_mw_per_step: float
    """Up-ramp of one unit within a step. [MW]"""
    startup_steps: int
    """Steps from start command to synchronised output. [-]"""
    nox_t_per_mmbtu: float
    """NOx per fuel. [t/MMBtu]"""
    nox_cap_t: float | None = None
    """Yearly NOx cap under a permit. [t]"""
    starts_cap: int | None = None
    """Yearly start-ups under a permit. [-]"""
    permit_mode: PermitMode = PermitMode.RESPECT
    permit_from_step: int = 0
    """Step at which the permit takes effect (0: from the start). [-]"""
    rolling: bool = True
    """Permit caps over rolling 12-month windows (else calendar years)."""


@dataclass(frozen=True)
class DispatchInputs:
    """Everything the loop needs, per step."""

    dt_s: float
    grid_cap_mw: FloatArray
    pue: FloatArray
    it_max_mw: FloatArray
    """IT power the cooling plant can remove. [MW]"""
    fleets: tuple[FleetDemand, ...]
    load_fraction: float
    cap_enabled: bool
    cap_min_fraction: float
    block_gpus: int
    battery: BatteryParams | None
    battery_power_mw: FloatArray
    """Battery power limit per step (0 before it is available). [MW]"""
    initial_soc_mwh: float
    generators: tuple[GenFleetInputs, ...]
    merit_order: tuple[Source, ...]
    charge_from_generators: bool
    year_index: IntArray
    """Calendar year of each step (permit periods). [-]"""
    month_index: IntArray | None = None
    """Month of each step, counted from January 1970: permit windows roll at each change (None: they follow
    ``year_index``). [-]"""
    spinning_reserve_units: int = 0
    """Largest units kept running beyond the need (1 = N+1). [-]"""
    policy: PowerPolicy = PowerPolicy.CAP_FIRST
    """How a shortfall is met: cap or idle blocks (``policy.py``)."""
    cap_exponent: float = 1.0
    """Throughput = (cap / load) ** exponent, for the 'best' policy. [-]"""
    exposure_per_gpu: float = 0.0
    """Time lost to interruptions per second of running, per running GPU, for the 'best' policy. [1/GPU]"""


@dataclass
class DispatchOutputs:
    """Per-step results of the loop."""

    served_mw: FloatArray
    demand_full_mw: FloatArray
    grid_mw: FloatArray
    battery_mw: FloatArray
    soc_mwh: FloatArray
    cap_fraction: FloatArray
    supply_capacity_mw: FloatArray
    gen_mw: FloatArray
    """Per fleet, shape (n_gen_fleets, n). [MW]"""
    units_on: IntArray
    """Per fleet. [-]"""
    fuel_mmbtu: FloatArray
    """Per fleet. [MMBtu]"""
    starts: IntArray
    """Per fleet, start-ups commanded at each step. [-]"""
    powered: IntArray
    """Per GPU fleet. [-]"""
    notes: list[str] = field(default_factory=list)


class LoopKernel(enum.StrEnum):
    """Which step loop runs the dispatch (both give the same results to the last bit)."""

    AUTO = "auto"
    """The compiled loop from ``COMPILED_MIN_STEPS`` steps on, else the Python loop."""
    PYTHON = "python"
    """The interpreted reference loop (``loop.run_steps``)."""
    COMPILED = "compiled"
    """The numba loop (``kernel.py``)."""


_SOURCE_INDEX = {Source.GRID: GRID, Source.GENERATORS: GENERATORS, Source.BATTERY: BATTERY}


def demand_full_mw(inp: DispatchInputs) -> FloatArray:
    """Facility power every installed GPU would draw uncapped, at each step. [MW]"""
    n = len(inp.grid_cap_mw)
    slope = np.zeros(n)
    fixed = np.zeros(n)
    for f in inp.fleets:
        slope += f.installed.astype(np.float64) * f.slope_w
        fixed += f.installed.astype(np.float64) * f.fixed_w
    return np.asarray(inp.pue * (slope * inp.load_fraction + fixed) * MW_PER_W, dtype=np.float64)


def service_order(merit: tuple[Source, ...]) -> tuple[int, ...]:
    """The order sources serve in once units run: the merit order, except that running units serve before a
    battery ahead of them (it then bridges start-ups instead of cycling). [-]"""
    order = list(merit)
    if merit.index(Source.BATTERY) < merit.index(Source.GENERATORS):
        order.remove(Source.BATTERY)
        order.insert(order.index(Source.GENERATORS) + 1, Source.BATTERY)
    indices = tuple(_SOURCE_INDEX[s] for s in order)
    return DEFAULT_ORDER if indices == DEFAULT_ORDER else indices


def lead_steps(generators: tuple[GenFleetInputs, ...]) -> int:
    """Steps from a start command to a unit's full output, plus one: how far commitment looks ahead. [-]"""
    lead = 1
    for g in generators:
        peak_cap = float(g.unit_cap_mw.max(initial=0.0))
        ramp_steps = math.ceil(peak_cap / g.ramp_mw_per_step) if g.ramp_mw_per_step > 0 else 0
        lead = max(lead, g.startup_steps + ramp_steps + 1)
    return lead


def residual_ahead_mw(
    inp: DispatchInputs, demand_mw: FloatArray, cool_max_mw: FloatArray, lead: int
) -> FloatArray:
    """Demand the generators must cover (after the grid, when it comes first), at its highest over the next
    ``lead`` steps: the install schedule and the weather are known in advance. [MW]"""
    merit = inp.merit_order
    grid_first = merit.index(Source.GRID) < merit.index(Source.GENERATORS)
    residual = np.minimum(demand_mw, cool_max_mw) - (inp.grid_cap_mw if grid_first else 0.0)
    if len(residual) and lead > 1:
        padded = np.concatenate((residual, np.full(lead - 1, residual[-1])))
        residual = np.lib.stride_tricks.sliding_window_view(padded, lead).max(axis=1)
    return np.asarray(residual, dtype=np.float64)


def units_of(g: GenFleetInputs, per_step: bool = True) -> Units:
    """A generator fleet's inputs as the loop's :class:`Units` (permit caps enforced only in 'respect');
    without ``per_step`` its per-step lists are left empty (the compiled loop reads the arrays). [-]"""
    respect = g.permit_mode is PermitMode.RESPECT
    caps = (
        g.starts_cap if g.starts_cap is not None and respect else -1,
        g.nox_cap_t if g.nox_cap_t is not None and respect else -1.0,
    )
    in_force = g.permit_from_step <= 0
    return Units(
        unit_mw=g.unit_cap_mw.tolist() if per_step else [],
        available=g.available_units.tolist() if per_step else [],
        heat_rate=g.fuel_mmbtu_per_mwh.tolist() if per_step else [],
        min_load_fraction=g.min_load_fraction,
        ramp_mw_per_step=g.ramp_mw_per_step,
        startup_steps=g.startup_steps,
        nox_t_per_mmbtu=g.nox_t_per_mmbtu,
        starts_cap=caps[0] if in_force else -1,
        nox_cap_t=caps[1] if in_force else -1.0,
        keep_running=g.starts_cap is not None and in_force,
        track_nox=g.nox_cap_t is not None,
        permit_from=g.permit_from_step,
        caps=caps,
        keep_when_in_force=g.starts_cap is not None,
        rolling=g.rolling,
        in_force=in_force,
    )


def _plan(inp: DispatchInputs, demand_full: FloatArray) -> Plan:
    """The loop's per-step inputs and constants. [MW, h]"""
    dt_h = inp.dt_s / SECONDS_PER_HOUR
    cool_max = inp.it_max_mw * inp.pue
    lead = lead_steps(inp.generators)
    merit = inp.merit_order
    unit_peak = max((float(g.unit_cap_mw.max(initial=0.0)) for g in inp.generators), default=0.0)
    months = month_index(inp.year_index, inp.month_index)
    return Plan(
        demand_mw=demand_full,
        cool_max_mw=cool_max,
        ahead_mw=residual_ahead_mw(inp, demand_full, cool_max, lead),
        grid_mw=inp.grid_cap_mw,
        pue=inp.pue,
        battery_power_mw=inp.battery_power_mw,
        years=permit_boundaries(months, [g.permit_from_step for g in inp.generators]),
        months=months,
        order=service_order(merit),
        battery_first=merit.index(Source.BATTERY) < merit.index(Source.GENERATORS),
        unit_peak_mw=unit_peak,
        reserve_mw=inp.spinning_reserve_units * unit_peak,
        lead_h=lead * dt_h,
        dt_h=dt_h,
        charge_from_generators=inp.charge_from_generators,
    )


def _campus(inp: DispatchInputs, per_step: bool) -> Campus:
    """The GPU fleets as the loop's :class:`Campus` (without ``per_step``: no per-step lists). [-]"""
    return Campus(
        installed=[f.installed.tolist() if per_step else [] for f in inp.fleets],
        slope_w=[f.slope_w for f in inp.fleets],
        fixed_w=[f.fixed_w for f in inp.fleets],
        load_fraction=inp.load_fraction,
        cap_enabled=inp.cap_enabled,
        cap_min_fraction=inp.cap_min_fraction,
        block_gpus=inp.block_gpus,
        idle_w=[f.idle_w for f in inp.fleets],
        policy=inp.policy,
        exponent=inp.cap_exponent,
        exposure_per_gpu=inp.exposure_per_gpu,
    )


def run_dispatch(inp: DispatchInputs, kernel: LoopKernel = LoopKernel.AUTO) -> DispatchOutputs:
    """Run the sequential dispatch over all steps, on the compiled loop (``kernel.py``) or the Python one
    (``loop.run_steps``): the same results to the last bit. [MW, MWh, MMBtu]"""
    n = len(inp.grid_cap_mw)
    demand_full = demand_full_mw(inp)
    plan = _plan(inp, demand_full)
    compiled = _compiled(kernel, n)
    campus = _campus(inp, per_step=not compiled)
    units = [units_of(g, per_step=not compiled) for g in inp.generators]
    for u in units:
        u.month = int(plan.months[0]) if n else 0
        u.rolling = u.rolling and inp.month_index is not None
    battery = (
        BatteryState.start(inp.battery, plan.dt_h, inp.initial_soc_mwh)
        if inp.battery is not None
        else BatteryState.none(plan.dt_h)
    )
    if compiled:
        from megacluster.power.compiled import run_compiled  # imports numba: only when it runs

        flows, gen, on, fuel, starts, powered = run_compiled(plan, campus, units, battery, inp)
        return DispatchOutputs(
            served_mw=flows[0],
            demand_full_mw=demand_full,
            grid_mw=flows[1],
            battery_mw=flows[2],
            soc_mwh=flows[3],
            cap_fraction=flows[4],
            supply_capacity_mw=flows[5],
            gen_mw=gen,
            units_on=on,
            fuel_mmbtu=fuel,
            starts=starts,
            powered=powered,
        )
    served, grid, batt, soc, cap, supply = run_steps(plan, campus, units, battery)
    ng = len(units)
    return DispatchOutputs(
        served_mw=np.array(served),
        demand_full_mw=demand_full,
        grid_mw=np.array(grid),
        battery_mw=np.array(batt),
        soc_mwh=np.array(soc),
        cap_fraction=np.array(cap),
        supply_capacity_mw=np.array(supply),
        gen_mw=np.array([u.output_by_step for u in units], dtype=np.float64).reshape(ng, n),
        units_on=np.array([u.on_by_step for u in units], dtype=np.int64).reshape(ng, n),
        fuel_mmbtu=np.array([u.fuel_by_step for u in units], dtype=np.float64).reshape(ng, n),
        starts=np.array([u.starts_by_step for u in units], dtype=np.int64).reshape(ng, n),
        powered=np.array(campus.powered, dtype=np.int64).reshape(len(inp.fleets), n),
    )


def _compiled(kernel: LoopKernel, steps: int) -> bool:
    """Whether the compiled loop runs: asked for, or 'auto' on a run long enough to repay loading it. [-]"""
    if kernel is LoopKernel.AUTO:
        return steps >= COMPILED_MIN_STEPS
    return kernel is LoopKernel.COMPILED
