"""The least-cost build as terminal text: the build table, the cost and energy lines, the simulator check."""

from __future__ import annotations

from rich.table import Table

from megacluster.economics.result import OptimizeResult, SimulationCheck


def _m(value: float) -> str:
    return f"${value / 1e6:,.1f} M"


def _months(monthly: dict[str, float]) -> str:
    shown = [f"{m} x{round(u)}" for m, u in sorted(monthly.items()) if round(u) > 0]
    return ", ".join(shown) if shown else "none"


def build_table(result: OptimizeResult) -> Table:
    """One row per built fleet, the battery and solar. [units, MW, GWh, t]"""
    table = Table(title="What to build", show_header=True)
    for col in (
        "what",
        "paid",
        "units",
        "MW",
        "when",
        "GWh",
        "cap. factor",
        "NOx t",
        "CO2 kt",
        "capital/rent",
    ):
        table.add_column(col, justify="left" if col in ("what", "paid", "when") else "right")
    for f in result.generators:
        when = _months(f.monthly_units) if f.monthly_units else f"{f.available_from} to {f.available_until}"
        table.add_row(
            f.candidate,
            f.ownership,
            f"{f.units:,.1f}" if f.units != round(f.units) else f"{round(f.units):,}",
            f"{f.capacity_mw:,.1f}",
            when,
            f"{f.energy_mwh / 1e3:,.1f}",
            f"{f.capacity_factor:.0%}",
            f"{f.nox_t:,.1f}",
            f"{f.co2_t / 1e3:,.1f}",
            _m(f.capital_usd),
        )
    b = result.battery
    if b is not None and b.power_mw > 0:
        table.add_row(
            "battery",
            "buy",
            "-",
            f"{b.power_mw:,.1f}",
            f"from {b.available_from} ({b.energy_mwh:,.0f} MWh)",
            f"{b.discharge_mwh / 1e3:,.1f}",
            "-",
            "-",
            "-",
            _m(b.capital_usd),
        )
    s = result.solar
    if s is not None and s.capacity_mw > 0:
        table.add_row(
            "solar",
            "buy",
            "-",
            f"{s.capacity_mw:,.1f}",
            "all span",
            f"{s.energy_mwh / 1e3:,.1f}",
            f"{s.capacity_factor:.0%}",
            "-",
            "-",
            _m(s.capital_usd),
        )
    return table


def summary_lines(result: OptimizeResult) -> list[str]:
    """Cost split, energy by source, emissions, GPUs kept running, solver and the LP's simplifications."""
    c, e, em, g = result.costs, result.energy_mwh, result.emissions_t, result.gpus
    return [
        f"Least cost {_m(c.total)}: generators {_m(c.generator_capital)} bought + {_m(c.generator_rent)} "
        "rented, "
        f"battery {_m(c.battery)}, solar {_m(c.solar)}, fuel {_m(c.fuel)}, O&M {_m(c.generator_om)}, grid "
        "energy "
        f"{_m(c.grid_energy)}, CO2 price {_m(c.co2_price)}, stranded compute {_m(c.stranded_compute)} "
        f"(unserved load at {result.value_of_lost_load_usd_per_mwh:,.0f} USD/MWh of idle GPU capital).",
        f"Energy: load {e.load / 1e3:,.1f} GWh = grid {e.grid / 1e3:,.1f} + generators "
        f"{e.generators / 1e3:,.1f} "
        f"+ battery {e.battery_discharge / 1e3:,.1f} (charged {e.battery_charge / 1e3:,.1f}) + solar "
        f"{e.solar / 1e3:,.1f} + unserved {e.unserved / 1e3:,.1f} GWh.",
        f"Emissions: CO2 {(em.co2_grid + em.co2_generators) / 1e3:,.1f} kt "
        f"({em.co2_generators / 1e3:,.1f} kt "
        f"on site), NOx {em.nox:,.1f} t"
        + (
            " (" + ", ".join(f"{k} {v:,.1f} t" for k, v in em.nox_by_permit.items()) + ")"
            if em.nox_by_permit
            else ""
        )
        + ".",
        f"GPUs kept running: {g.powered_mean:,.0f} of {g.target_mean:,.0f} on average (fewest "
        f"{g.powered_min:,.0f}); "
        f"{g.stranded_gpu_hours:,.0f} GPU-hours idle in {g.hours_short:,.0f} short hours.",
        f"Solved by {result.solver.solver} in {result.solver.seconds:,.1f} s ({result.solver.condition}; "
        f"{result.solver.variables:,} variables, {result.solver.constraints:,} constraints, "
        f"{result.solver.snapshots:,} snapshots of {result.step_h:g} h).",
        "The LP simplifies: " + "; ".join(result.relaxations) + ".",
    ]


def check_table(check: SimulationCheck) -> Table:
    """Energy by source, optimiser against simulator."""
    verdict = "agree" if check.agrees else "differ"
    table = Table(
        title=f"The build in the simulator ({check.step_s:g}-s steps, seed {check.seed}): {verdict} within "
        f"{check.tolerance_of_load:.0%} of the load",
        show_header=True,
    )
    for col in ("source", "optimiser GWh", "simulator GWh", "difference, share of load"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for s in check.sources:
        table.add_row(
            s.source,
            f"{s.optimiser_mwh / 1e3:,.2f}",
            f"{s.simulator_mwh / 1e3:,.2f}",
            f"{s.difference_of_load:+.2%}",
        )
    return table
