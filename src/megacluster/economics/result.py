"""The least-cost build as a typed result (``optimize.json``): what to build and from when, its cost split,
energy by source, emissions, the GPUs it keeps running, and, when asked, how the simulator agrees with it."""

from __future__ import annotations

from pydantic import Field

from megacluster.economics.tco import Record


class BuiltFleet(Record):
    """One candidate generator fleet in the least-cost build."""

    candidate: str = Field(
        description="Candidate name (the scenario fleet or catalog class, '+scr' with SCR)"
    )
    unit: str | None = Field(description="Generator catalog id (None: given by its rating)")
    ownership: str = Field(description="rent (per month) or buy")
    rating_mw: float = Field(description="ISO rating of one unit [MW]")
    units: float = Field(description="Units built (bought) or the most rented in any month [-]")
    capacity_mw: float = Field(description="units x rating [MW]")
    monthly_units: dict[str, float] = Field(
        default_factory=dict, description="Rented units by month YYYY-MM [-]"
    )
    available_from: str | None = Field(default=None, description="First day the fleet may run (ISO)")
    available_until: str | None = Field(default=None, description="Last day the fleet may run (ISO)")
    energy_mwh: float = Field(description="Energy produced [MWh]")
    capacity_factor: float = Field(description="Energy / (capacity x hours it was on site) [-]")
    starts: float | None = Field(
        default=None, description="Start-ups (clustered commitment; None: not modelled)"
    )
    nox_t: float = Field(description="NOx [t]")
    co2_t: float = Field(description="CO2 [t]")
    scr: bool = Field(description="Whether it carries selective catalytic reduction")
    capital_usd: float = Field(description="Capital charge (bought) or rent over the span [USD]")
    fuel_usd: float = Field(description="Fuel [USD]")
    om_usd: float = Field(description="Variable O&M (bought units) [USD]")


class BuiltStorage(Record):
    """The battery in the least-cost build."""

    power_mw: float = Field(description="Charge and discharge power [MW]")
    energy_mwh: float = Field(description="Energy capacity [MWh]")
    available_from: str | None = Field(default=None, description="First day it may run (ISO)")
    discharge_mwh: float = Field(description="Energy delivered [MWh]")
    charge_mwh: float = Field(description="Energy taken in [MWh]")
    capital_usd: float = Field(description="Capital charge and fixed O&M over the span [USD]")


class BuiltSolar(Record):
    """Solar PV in the least-cost build."""

    capacity_mw: float = Field(description="AC capacity [MW]")
    energy_mwh: float = Field(description="Energy produced [MWh]")
    capacity_factor: float = Field(description="Mean output of its profile [-]")
    capital_usd: float = Field(description="Capital charge and fixed O&M over the span [USD]")


class CostSplit(Record):
    """The build's cost over the span: the optimiser's objective, part by part. [USD]"""

    generator_capital: float = Field(description="Capital charge and fixed O&M of bought units [USD]")
    generator_rent: float = Field(description="Rent of rented units [USD]")
    battery: float = Field(description="Battery capital charge and fixed O&M [USD]")
    solar: float = Field(description="Solar capital charge and fixed O&M [USD]")
    fuel: float = Field(description="Generator fuel [USD]")
    generator_om: float = Field(description="Variable O&M of bought units [USD]")
    grid_energy: float = Field(description="Grid energy at its dated price [USD]")
    co2_price: float = Field(description="Carbon price on grid and on-site CO2 [USD]")
    stranded_compute: float = Field(
        description="Unserved load at the value of lost load (GPU capital idle) [USD]"
    )
    total: float = Field(description="The sum: the least cost found [USD]")


class EnergySplit(Record):
    """Energy over the span, by source. [MWh]"""

    load: float = Field(description="Facility energy the target GPUs would draw [MWh]")
    grid: float = Field(description="From the grid [MWh]")
    generators: float = Field(description="From on-site generators [MWh]")
    battery_discharge: float = Field(description="Delivered by the battery [MWh]")
    battery_charge: float = Field(description="Taken in by the battery [MWh]")
    solar: float = Field(description="From solar PV [MWh]")
    unserved: float = Field(description="Load left unserved (GPUs idle) [MWh]")


class EmissionSplit(Record):
    """Emissions over the span. [t]"""

    co2_grid: float = Field(description="CO2 of grid energy [t]")
    co2_generators: float = Field(description="CO2 of on-site generation [t]")
    nox: float = Field(description="NOx of on-site generation [t]")
    nox_by_permit: dict[str, float] = Field(default_factory=dict, description="NOx by permit group [t]")


class GpusKept(Record):
    """The GPUs the build keeps running (unserved load idles GPUs pro rata)."""

    target_mean: float = Field(description="Mean GPUs in the load [-]")
    powered_mean: float = Field(description="Mean GPUs powered [-]")
    powered_min: float = Field(description="Fewest GPUs powered in any hour [-]")
    stranded_gpu_hours: float = Field(description="GPU-hours idle for lack of power [GPU-h]")
    hours_short: float = Field(description="Hours with any load unserved [h]")


class SolverReport(Record):
    """How the solve went."""

    solver: str = Field(description="Solver")
    status: str = Field(description="Solver status")
    condition: str = Field(description="Termination condition")
    seconds: float = Field(description="Time to build and solve the model [s]")
    objective_usd: float = Field(description="Cost of the build (whole units), as in costs.total [USD]")
    relaxed_objective_usd: float = Field(
        description="Least cost with fractional units: a lower bound on any build's cost [USD]"
    )
    snapshots: int = Field(description="Snapshots modelled (hours, or blocks of step_h hours) [-]")
    variables: int = Field(description="Variables of the model [-]")
    constraints: int = Field(description="Constraints of the model [-]")


class SourceCheck(Record):
    """One source's energy: optimiser against simulator."""

    source: str
    optimiser_mwh: float = Field(description="The LP's hourly energy [MWh]")
    simulator_mwh: float = Field(
        description="The simulation's energy (5-minute steps, commitment, outages) [MWh]"
    )
    difference_of_load: float = Field(description="(simulator - optimiser) / load energy [-]")


class SimulationCheck(Record):
    """The build fed back into the simulator (``megacluster run``) over the same span."""

    step_s: float = Field(description="Simulation step [s]")
    seed: int = Field(description="Seed of the forced outages")
    sources: tuple[SourceCheck, ...]
    worst_difference_of_load: float = Field(
        description="Largest |difference| of any source, share of load [-]"
    )
    tolerance_of_load: float = Field(description="What the agreement is judged against [-]")
    agrees: bool = Field(description="Every source within the tolerance")
    gpus_powered_mean: float = Field(description="Mean GPUs the simulation kept powered [-]")
    curtailed_hours: float = Field(description="Hours the simulation capped or idled GPUs [h]")
    permit_exceedances: int = Field(description="Permit exceedances the simulation reported [-]")


class OptimizeResult(Record):
    """``megacluster optimize``: the least-cost build of a scenario."""

    scenario: str = Field(description="Scenario name")
    start_date: str = Field(description="First hour modelled (ISO)")
    hours: int = Field(description="Hours modelled [h]")
    step_h: float = Field(
        default=1.0, description="Snapshot length solved at (time aggregation; 1: hourly) [h]"
    )
    value_of_lost_load_usd_per_mwh: float = Field(description="Mean value of lost load [USD/MWh]")
    co2_price_usd_per_t: float = Field(description="Carbon price [USD/t]")
    co2_cap_t: float | None = Field(default=None, description="CO2 cap over the span [t]")
    generators: tuple[BuiltFleet, ...]
    battery: BuiltStorage | None = None
    solar: BuiltSolar | None = None
    costs: CostSplit
    energy_mwh: EnergySplit
    emissions_t: EmissionSplit
    gpus: GpusKept
    solver: SolverReport
    relaxations: tuple[str, ...] = Field(description="What the LP simplifies, in words")
    check: SimulationCheck | None = Field(default=None, description="The build fed back into the simulator")
