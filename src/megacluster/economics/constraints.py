"""Constraints the least-cost build needs beyond PyPSA's own, added to the linopy model PyPSA built.

- **Clustered unit commitment** (a documented relaxation, after Palmintier & Webster 2014): for each
  fleet whose permit caps start-ups, a continuous 'units online' variable u_t <= units built, output
  between u_t x min load and u_t x available rating, and start-ups s_t >= u_t - u_(t-1). The units built
  are made whole afterwards (``economics.solve``: rounded up, then dispatched again); their hour-by-hour
  commitment stays continuous.
- **Air permits**: NOx (output x hours x heat rate x NOx factor) and start-ups summed over every rolling
  365-day window (the whole span when it is a year or less), and the units a permit covers.
- **Battery**: one power rating at the campus bus for charge (the charger's input) and discharge (the
  discharger's output, its input x the one-way efficiency), as PyPSA-Eur couples them; power at most
  ``max_c_rate_per_h`` x energy.
- **CO2 cap** over the span: grid energy x its hourly intensity + fuel x the fleets' CO2 factor.
- **N-1 reserve**: in every hour the grid alone cannot carry the load, the firm capacity (grid, built units at
  their derated output, battery power) exceeds the served load by the largest candidate unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from megacluster.economics.config import ReserveRule
from megacluster.economics.network import (
    BATTERY_STORE,
    CHARGE,
    DISCHARGE,
    GRID,
    LB_T,
    STRANDED,
    GeneratorBlock,
    Layout,
    battery_leg,
    rolling_windows,
)
from megacluster.economics.site import SiteInputs
from megacluster.units import HOURS_PER_YEAR, KG_PER_T

if TYPE_CHECKING:
    import pypsa


def _var(n: pypsa.Network, variable: str, name: str) -> Any:
    """One component's slice of a linopy variable, without its ``name`` coordinate."""
    return n.model[variable].sel(name=name, drop=True)


def capacity(n: pypsa.Network, component: str, name: str) -> Any:
    """The capacity of a component: its linopy variable when it is extendable, else its fixed value.
    [MW or MWh]"""
    attr = "e_nom" if component == "Store" else "p_nom"
    variable = f"{component}-{attr}"
    if variable in n.model.variables and name in n.model.variables[variable].indexes["name"]:
        return _var(n, variable, name)
    table = {"Generator": n.generators, "Link": n.links, "Store": n.stores}[component]
    return float(table.at[name, attr])


def _series(n: pypsa.Network, values: Any) -> Any:
    """An xarray DataArray over the model's snapshots."""
    import xarray as xr

    return xr.DataArray(
        np.asarray(values, dtype=np.float64), coords={"snapshot": n.snapshots}, dims="snapshot"
    )


def add_constraints(n: pypsa.Network, site: SiteInputs, layout: Layout) -> None:
    """Add the permits, the clustered commitment, the battery coupling, the CO2 cap and the reserve to
    ``n.model`` (call after PyPSA built it, before it is solved)."""
    starts = _clustered_commitment(n, site, layout)
    _permits(n, site, layout, starts)
    _battery(n, site, layout)
    _co2_cap(n, site, layout)
    _reserve(n, site, layout)
    _grid_first(n, site)


def _clustered_commitment(n: pypsa.Network, site: SiteInputs, layout: Layout) -> dict[str, Any]:
    """Units online and start-ups of each bought block whose permit caps start-ups; their start-up variables
    by block name. [-]"""
    m = n.model
    capped = {p.name for p in site.permits if p.starts_per_year is not None}
    out: dict[str, Any] = {}
    for block in layout.blocks:
        c = block.candidate
        if c.permit not in capped:
            continue
        p = _var(n, "Generator-p", block.name)
        p_nom = capacity(n, "Generator", block.name)
        on = m.add_variables(lower=0, coords=[n.snapshots], name=f"units_on {block.name}")
        up = m.add_variables(lower=0, coords=[n.snapshots], name=f"start_ups {block.name}")
        m.add_constraints(on * c.rating_mw - p_nom <= 0, name=f"units_on_le_built {block.name}")
        m.add_constraints(
            p - on * _series(n, c.rating_mw * block.p_max_pu) <= 0, name=f"output_le_online {block.name}"
        )
        floor = c.rating_mw * c.min_load_fraction * (block.p_max_pu > 0)
        m.add_constraints(p - on * _series(n, floor) >= 0, name=f"output_ge_min_load {block.name}")
        first = np.zeros(len(n.snapshots), dtype=bool)
        first[0] = True
        m.add_constraints(
            up - on + on.shift(snapshot=1) >= 0,
            name=f"start_ups_ge_rise {block.name}",
            mask=_series(n, ~first).astype(bool),
        )
        out[block.name] = up
    return out


def _nox_coefficients(block: GeneratorBlock) -> np.ndarray[Any, Any]:
    """NOx per MWh of a block at each snapshot. [t/MWh]"""
    c = block.candidate
    return np.asarray(c.heat_rate_mmbtu_per_mwh * c.nox_lb_per_mmbtu * LB_T)


def _permits(n: pypsa.Network, site: SiteInputs, layout: Layout, starts: dict[str, Any]) -> None:
    m = n.model
    months = np.asarray(site.snapshots).astype("datetime64[M]")
    windows = rolling_windows(site.weights_h, months, int(HOURS_PER_YEAR))
    for permit in site.permits:
        blocks = [b for b in layout.blocks if b.candidate.permit == permit.name]
        if not blocks:
            continue
        units = [capacity(n, "Generator", b.name) / b.candidate.rating_mw for b in blocks]
        if permit.max_units is not None and not all(isinstance(u, float) for u in units):
            m.add_constraints(sum(units) <= permit.max_units, name=f"permit units {permit.name}")
        for w, window in enumerate(windows):
            hours = _in(n, window) * site.weights_h  # MW x h = MWh within the window
            if permit.nox_t_per_year is not None:
                nox = sum(
                    (_var(n, "Generator-p", b.name) * _series(n, _nox_coefficients(b) * hours)).sum()
                    for b in blocks
                )
                m.add_constraints(nox <= permit.nox_t_per_year, name=f"permit nox {permit.name} {w}")
            ups = [starts[b.name] for b in blocks if b.name in starts]
            if permit.starts_per_year is not None and ups:
                total = sum((u * _series(n, _in(n, window))).sum() for u in ups)
                m.add_constraints(total <= permit.starts_per_year, name=f"permit starts {permit.name} {w}")


def _in(n: pypsa.Network, window: slice) -> np.ndarray[Any, Any]:
    """1 within the window, 0 elsewhere. [-]"""
    mask = np.zeros(len(n.snapshots))
    mask[window] = 1.0
    return mask


def _battery(n: pypsa.Network, site: SiteInputs, layout: Layout) -> None:
    if not layout.battery or site.battery is None:
        return
    m = n.model
    charge, discharge = capacity(n, "Link", CHARGE), capacity(n, "Link", DISCHARGE)
    energy = capacity(n, "Store", BATTERY_STORE)
    if isinstance(charge, float) and isinstance(discharge, float):
        return  # a fixed battery: its sizes already satisfy these
    leg = battery_leg(site.battery.round_trip_efficiency)
    # the charger's input and the discharger's output (both at the campus bus) share one power rating
    m.add_constraints(charge - leg * discharge == 0, name="battery power")
    m.add_constraints(leg * discharge - site.battery.max_c_rate_per_h * energy <= 0, name="battery c-rate")


def _co2_cap(n: pypsa.Network, site: SiteInputs, layout: Layout) -> None:
    if site.co2_cap_t is None:
        return
    m = n.model
    hours = site.weights_h  # MW x h = MWh
    total = (_var(n, "Generator-p", GRID) * _series(n, site.grid_co2_kg_per_mwh / KG_PER_T * hours)).sum()
    for b in layout.blocks:
        c = b.candidate
        coeff = c.heat_rate_mmbtu_per_mwh * c.co2_kg_per_mmbtu / KG_PER_T * hours
        total = total + (_var(n, "Generator-p", b.name) * _series(n, coeff)).sum()
    m.add_constraints(total <= site.co2_cap_t, name="co2 cap")


def _reserve(n: pypsa.Network, site: SiteInputs, layout: Layout) -> None:
    """Firm capacity >= served load + the largest available candidate unit, where the grid alone falls
    short of the load. [MW]"""
    if site.reserve is ReserveRule.NONE or not layout.blocks:
        return
    m = n.model
    largest = np.zeros(len(n.snapshots))
    for c in site.generators:
        largest = np.maximum(largest, np.where(c.available, c.rating_mw, 0.0))
    load = site.reserve_load_mw  # each snapshot's largest hour when hours are aggregated
    need = (load > site.grid_cap_mw) & (largest > 0)
    if not need.any():
        return
    firm_mw = np.zeros(len(n.snapshots))
    firm: Any = _var(n, "Generator-p", STRANDED)
    for b in layout.blocks:
        cap = capacity(n, "Generator", b.name)
        firm_pu = np.where(b.p_max_pu > 0, b.candidate.firm, 0.0)  # the block's hottest hour
        if isinstance(cap, float):
            firm_mw += cap * firm_pu
        else:
            firm = firm + cap * _series(n, firm_pu)
    if layout.battery and site.battery is not None:
        avail = site.battery.available.astype(np.float64) * battery_leg(site.battery.round_trip_efficiency)
        power = capacity(n, "Link", DISCHARGE)  # at its input: x the one-way efficiency at the campus bus
        if isinstance(power, float):
            firm_mw += power * avail
        else:
            firm = firm + power * _series(n, avail)
    need_mw = _series(n, load - site.grid_cap_mw + largest - firm_mw)
    m.add_constraints(firm >= need_mw, name="reserve n-1", mask=_series(n, need).astype(bool))


def _grid_first(n: pypsa.Network, site: SiteInputs) -> None:
    """The grid serves min(capacity, load) before any other source, less what is left unserved. [MW]"""
    if not site.grid_first:
        return
    m = n.model
    floor = np.minimum(site.grid_cap_mw, site.load_mw)
    grid = _var(n, "Generator-p", GRID)
    shed = _var(n, "Generator-p", STRANDED)
    m.add_constraints(grid + shed >= _series(n, floor), name="grid first")
