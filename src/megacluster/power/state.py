"""What the dispatch loop carries from step to step: each generator fleet (:class:`Units`), the GPU fleets
(:class:`Campus`), and a step's power flows (:class:`Flows`). The phases in ``phases.py`` read and move them.

Per-step inputs are held as Python lists and the state as plain attributes: the loop runs once per step.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from megacluster.power.generators import partload_factor_scalar
from megacluster.power.policy import PowerPolicy

ROLLING_MONTHS = 12
"""Months of a rolling permit window. [-]"""

MONTHS_PER_YEAR = 12

PARTLOAD_STEPS = 1000
"""Resolution of the part-load heat-rate table the loop looks up (0.1 % of load). [-]"""

partload_factor = [partload_factor_scalar(i / PARTLOAD_STEPS) for i in range(PARTLOAD_STEPS + 1)]
"""Part-load heat-rate factor at load i / PARTLOAD_STEPS, i = 0..PARTLOAD_STEPS. [-]"""


@dataclass(slots=True)
class Units:
    """One generator fleet in the dispatch: its limits at each step, the state it carries from step to step,
    and its record."""

    unit_mw: list[float]
    """Derated capacity of one unit at each step; 0 outside the fleet's dates. [MW]"""
    available: list[int]
    """Units neither on forced outage nor outside their dates, at each step. [-]"""
    heat_rate: list[float]
    """Full-load fuel per output at each step's ambient (HHV). [MMBtu/MWh]"""
    min_load_fraction: float
    """Minimum stable load / unit capacity. [-]"""
    ramp_mw_per_step: float
    """Up-ramp of one unit within a step. [MW]"""
    startup_steps: int
    """Steps from start command to synchronised output. [-]"""
    nox_t_per_mmbtu: float = 0.0
    """NOx per fuel. [t/MMBtu]"""
    starts_cap: int = -1
    """Yearly start-ups the permit allows, enforced; -1: none. [-]"""
    nox_cap_t: float = -1.0
    """Yearly NOx the permit allows, enforced; -1: none. [t]"""
    keep_running: bool = False
    """Never stop a unit: under a start-up cap every start counts."""
    track_nox: bool = False
    """Count the year's NOx (a permit caps it, enforced or reported)."""
    on: int = 0
    """Units synchronised. [-]"""
    starting: deque[int] = field(default_factory=deque)
    """Step at which each unit being started synchronises. [-]"""
    output_mw: float = 0.0
    """Output of the last step (the ramp starts from it). [MW]"""
    cap_mw: float = 0.0
    """Most output this step. [MW]"""
    min_mw: float = 0.0
    """Least output this step (minimum stable load of the running units). [MW]"""
    nox_year_t: float = 0.0
    """NOx so far this calendar year. [t]"""
    starts_year: int = 0
    """Start-ups so far this calendar year. [-]"""
    blocked: bool = False
    """Stopped for the rest of the permit period by the NOx cap."""
    permit_from: int = 0
    """Step at which the permit takes effect: nothing before it counts or is capped. [-]"""
    caps: tuple[int, float] = (-1, -1.0)
    """(start-ups, NOx) the permit enforces once in force; -1: none. [-, t]"""
    keep_when_in_force: bool = False
    """Never stop a unit once the permit (with a start-up cap) is in force."""
    rolling: bool = True
    """Caps over rolling 12-month windows (else calendar years)."""
    in_force: bool = True
    """Whether the permit is in force. [-]"""
    month: int = 0
    """Month (since 1970-01) of the last step seen. [-]"""
    nox_months: deque[float] = field(default_factory=deque)
    """NOx of the last (up to) eleven whole months of the window. [t]"""
    starts_months: deque[int] = field(default_factory=deque)
    """Start-ups of the last (up to) eleven whole months of the window. [-]"""
    heat_rate_at_min: float = field(init=False)
    """Part-load heat-rate factor at minimum load (the worst the fleet burns). [-]"""
    output_by_step: list[float] = field(init=False)
    """Record: output at each step. [MW]"""
    on_by_step: list[int] = field(init=False)
    """Record: units running at each step. [-]"""
    fuel_by_step: list[float] = field(init=False)
    """Record: fuel burnt at each step (HHV). [MMBtu]"""
    starts_by_step: list[int] = field(init=False)
    """Record: start-ups commanded at each step. [-]"""

    def __post_init__(self) -> None:
        n = len(self.unit_mw)
        if len(self.available) != n or len(self.heat_rate) != n:
            raise ValueError("unit_mw, available and heat_rate need one value per step")
        self.heat_rate_at_min = partload_factor_scalar(self.min_load_fraction)
        self.output_by_step = [0.0] * n
        self.on_by_step = [0] * n
        self.fuel_by_step = [0.0] * n
        self.starts_by_step = [0] * n

    def new_year(self) -> None:
        """A calendar year begins: the permit's counts start again. [-]"""
        self.nox_year_t = 0.0
        self.starts_year = 0
        self.blocked = False

    def new_period(self, t: int, month: int) -> None:
        """A permit boundary at step ``t`` of month ``month``: the permit takes effect (counts start from
        zero), or a month begins (a rolling window drops its oldest month; a calendar year starts again).
        ``nox_year_t`` and ``starts_year`` always hold the totals of the current window. [-]"""
        if not self.in_force:
            if t >= self.permit_from:
                self.nox_months.clear()
                self.starts_months.clear()
                self.new_year()
                self.starts_cap, self.nox_cap_t = self.caps
                self.keep_running = self.keep_when_in_force
                self.in_force = True
            self.month = month
            return
        if month == self.month:
            return
        if self.rolling:
            self.nox_months.append(self.nox_year_t - sum(self.nox_months))
            self.starts_months.append(self.starts_year - sum(self.starts_months))
            if len(self.nox_months) > ROLLING_MONTHS - 1:
                self.nox_year_t -= self.nox_months.popleft()
                self.starts_year -= self.starts_months.popleft()
            self.blocked = False
        elif month // MONTHS_PER_YEAR != self.month // MONTHS_PER_YEAR:
            self.new_year()
        self.month = month


@dataclass(slots=True)
class Campus:
    """The GPU fleets in the dispatch: installed GPUs at each step, per-GPU power terms, how the campus is
    curtailed, and the record of powered GPUs."""

    installed: list[list[int]]
    """Per fleet, installed GPUs at each step. [-]"""
    slope_w: list[float]
    """Per fleet, IT watts per GPU per unit of cap fraction. [W]"""
    fixed_w: list[float]
    """Per fleet, IT watts per powered GPU independent of the cap. [W]"""
    load_fraction: float
    """Uncapped GPU draw / TDP. [-]"""
    cap_enabled: bool
    cap_min_fraction: float
    """Deepest cap / TDP. [-]"""
    block_gpus: int
    """GPUs idled together. [-]"""
    idle_w: list[float] = field(default_factory=list)
    """Per fleet, IT watts of an idled GPU (empty: idled GPUs draw nothing). [W]"""
    policy: PowerPolicy = PowerPolicy.CAP_FIRST
    """How a shortfall is met: the cap GPUs run at before whole blocks idle (``policy.py``)."""
    exponent: float = 1.0
    """Throughput = (cap / load) ** exponent, for the 'best' policy. [-]"""
    exposure_per_gpu: float = 0.0
    """Time lost to interruptions per second of running, per running GPU, for the 'best' policy. [1/GPU]"""
    powered: list[list[int]] = field(init=False)
    """Record: per fleet, powered GPUs at each step (installed unless curtailed). [-]"""

    def __post_init__(self) -> None:
        if not (len(self.installed) == len(self.slope_w) == len(self.fixed_w)):
            raise ValueError("installed, slope_w and fixed_w need one entry per fleet")
        if self.block_gpus < 1:
            raise ValueError("block_gpus must be at least 1")
        if not self.idle_w:
            self.idle_w = [0.0] * len(self.installed)
        if len(self.idle_w) != len(self.installed):
            raise ValueError("idle_w needs one entry per fleet")
        self.powered = [list(steps) for steps in self.installed]


class Flows(NamedTuple):
    """The power flows of a step. [MW]"""

    served_mw: float
    """Facility power served. [MW]"""
    grid_mw: float
    generators_mw: float
    discharge_mw: float
    charge_mw: float
    cap_fraction: float
    """GPU power cap / TDP; 1 = uncapped. [-]"""
