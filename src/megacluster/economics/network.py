"""The campus as a PyPSA network: one bus with the campus load, the grid on its dated schedule, candidate
generator fleets (extendable in whole units), a battery extendable in power and energy, optional solar, and a
'stranded compute' generator whose marginal cost is the value of lost load.

``build_network(site)`` returns the network and a :class:`Layout` naming what each component stands for;
``add_constraints(n, site, layout)`` adds, to the linopy model PyPSA built, what PyPSA does not have: the air
permits (NOx and start-ups per rolling year, units per permit), the clustered unit commitment that carries
minimum load and start-ups, the battery's equal charge and discharge power, the CO2 cap and the N-1 reserve.
PyPSA, linopy and xarray are imported inside the functions: they belong to the optional extra
``megacluster[optimize]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from megacluster.catalog.costs import Ownership
from megacluster.economics.finance import AVERAGE_MONTH_DAYS
from megacluster.economics.site import FloatArray, GeneratorCandidate, SiteInputs
from megacluster.units import HOURS_PER_DAY, KG_PER_T

if TYPE_CHECKING:
    import pandas as pd
    import pypsa

BUS = "campus"
GRID = "grid"
STRANDED = "stranded compute"
SOLAR = "solar"
BATTERY_STORE = "battery"
CHARGE = "battery charge"
DISCHARGE = "battery discharge"
MMBTU_PER_MWH = 3.412141633
"""[P] definition: 1 MWh = 3.412 MMBtu (1 kWh = 3,412.14 Btu): a heat rate of 3.412 is 100 % efficiency."""
LB_T = 0.45359237e-3
"""[P] definition: one pound = 0.45359237 kg. [t/lb]"""
HOURS_PER_MONTH = AVERAGE_MONTH_DAYS * HOURS_PER_DAY
"""Hours in an average month (rents are per month, charged by the hour). [h]"""


@dataclass(frozen=True)
class GeneratorBlock:
    """One PyPSA generator of a candidate: the whole span (bought) or one calendar month (rented)."""

    name: str
    candidate: GeneratorCandidate
    month: str | None
    """YYYY-MM of a rental block; None for a bought candidate."""
    p_max_pu: FloatArray
    """Available output per MW of rating at each snapshot. [-]"""


@dataclass(frozen=True)
class Layout:
    """What each PyPSA component of the network stands for."""

    blocks: tuple[GeneratorBlock, ...]
    battery: bool
    solar: bool


def _month_masks(snapshots: np.ndarray[Any, Any]) -> list[tuple[str, np.ndarray[Any, Any]]]:
    months = np.asarray(snapshots).astype("datetime64[M]")
    return [(str(m), months == m) for m in np.unique(months)]


def generator_blocks(site: SiteInputs) -> tuple[GeneratorBlock, ...]:
    """The PyPSA generators of every candidate: one for a bought fleet, one per calendar month for a rented
    fleet (so that the build says how many units to rent in which month)."""
    blocks = []
    masks = _month_masks(site.snapshots)
    for c in site.generators:
        base = np.where(c.available, c.output_factor, 0.0)
        if c.ownership is Ownership.BUY:
            blocks.append(GeneratorBlock(f"gen {c.name}", c, None, base))
            continue
        for month, mask in masks:
            p_max = np.where(mask, base, 0.0)
            if p_max.max(initial=0.0) > 0:
                blocks.append(GeneratorBlock(f"gen {c.name} @{month}", c, month, p_max))
    return tuple(blocks)


def block_capital_usd_per_mw(block: GeneratorBlock, weights_h: FloatArray) -> float:
    """What a MW of a block costs over the span: a bought unit's capital charge, or a month's rent charged by
    the hour of the month that lies in the span (``weights_h``: hours per snapshot). [USD/MW]"""
    c = block.candidate
    if block.month is None:
        return c.capital_usd_per_mw
    hours = float(np.sum(weights_h[block.p_max_pu > 0]))
    return c.rental_usd_per_mw_month * min(1.0, hours / HOURS_PER_MONTH)


def block_marginal_usd_per_mwh(block: GeneratorBlock, site: SiteInputs) -> FloatArray:
    """Fuel, variable O&M and the carbon price per MWh at each snapshot. [USD/MWh]"""
    c = block.candidate
    hr = c.heat_rate_mmbtu_per_mwh
    co2_t_per_mwh = hr * c.co2_kg_per_mmbtu / KG_PER_T
    vom = c.variable_om_usd_per_mwh if block.month is None else 0.0
    return np.asarray(hr * site.fuel_price_usd_per_mmbtu + vom + co2_t_per_mwh * site.co2_price_usd_per_t)


def build_network(site: SiteInputs) -> tuple[pypsa.Network, Layout]:
    """The PyPSA network of the campus (one bus; snapshots of one hour, or of the hours ``site.weights_h``
    gives: PyPSA's snapshot weightings, so that the objective and the battery's energy stay per hour)."""
    import pandas as pd
    import pypsa

    index = pd.DatetimeIndex(np.asarray(site.snapshots).astype("datetime64[ns]"), name="snapshot")
    n = pypsa.Network(name="megacluster least-cost build")
    n.set_snapshots(cast("Sequence[Any]", index))  # PyPSA's stubs say Sequence; it takes an Index
    for column in ("objective", "stores", "generators"):
        n.snapshot_weightings[column] = site.weights_h
    mean_hr = float(
        np.mean([float(np.mean(c.heat_rate_mmbtu_per_mwh)) for c in site.generators] or [MMBTU_PER_MWH])
    )
    gas_co2_kg = float(np.mean([c.co2_kg_per_mmbtu for c in site.generators] or [0.0]))
    n.add("Carrier", "gas", co2_emissions=gas_co2_kg / KG_PER_T * MMBTU_PER_MWH, nice_name="natural gas")
    n.add("Carrier", GRID, co2_emissions=float(np.mean(site.grid_co2_kg_per_mwh)) / KG_PER_T)
    for name in ("electricity", "battery", SOLAR, STRANDED):
        n.add("Carrier", name)
    n.add("Bus", BUS, carrier="electricity")
    n.add("Load", BUS, bus=BUS, p_set=pd.Series(site.load_mw, index))
    grid_nom = max(float(np.max(site.grid_cap_mw, initial=0.0)), 1e-6)
    grid_cost = site.grid_price_usd_per_mwh + site.grid_co2_kg_per_mwh / KG_PER_T * site.co2_price_usd_per_t
    n.add(
        "Generator",
        GRID,
        bus=BUS,
        carrier=GRID,
        p_nom=grid_nom,
        p_max_pu=pd.Series(site.grid_cap_mw / grid_nom, index),
        marginal_cost=pd.Series(grid_cost, index),
    )
    load_nom = max(float(np.max(site.load_mw, initial=0.0)), 1e-6)
    n.add(
        "Generator",
        STRANDED,
        bus=BUS,
        carrier=STRANDED,
        p_nom=load_nom,
        p_max_pu=pd.Series(site.load_mw / load_nom, index),
        marginal_cost=pd.Series(site.voll_usd_per_mwh, index),
    )
    blocks = generator_blocks(site)
    for block in blocks:
        _add_block(n, index, block, site, mean_hr)
    _add_battery(n, index, site)
    if site.solar is not None:
        n.add(
            "Generator",
            SOLAR,
            bus=BUS,
            carrier=SOLAR,
            p_nom_extendable=True,
            p_max_pu=pd.Series(site.solar.profile, index),
            capital_cost=site.solar.usd_per_mw,
        )
    return n, Layout(blocks=blocks, battery=site.battery is not None, solar=site.solar is not None)


def _add_block(
    n: pypsa.Network, index: pd.DatetimeIndex, block: GeneratorBlock, site: SiteInputs, mean_hr: float
) -> None:
    import pandas as pd

    c = block.candidate
    n.add(
        "Generator",
        block.name,
        bus=BUS,
        carrier="gas",
        p_nom_extendable=True,
        p_nom_max=c.rating_mw * c.max_units if c.max_units is not None else np.inf,
        p_max_pu=pd.Series(block.p_max_pu, index),
        capital_cost=block_capital_usd_per_mw(block, site.weights_h),
        marginal_cost=pd.Series(block_marginal_usd_per_mwh(block, site), index),
        efficiency=MMBTU_PER_MWH / float(np.mean(c.heat_rate_mmbtu_per_mwh) or mean_hr),
    )


def battery_leg(round_trip_efficiency: float) -> float:
    """One-way efficiency of a battery's charger and discharger: the square root of its round trip. [-]"""
    return float(np.sqrt(round_trip_efficiency))


def _add_battery(n: pypsa.Network, index: pd.DatetimeIndex, site: SiteInputs) -> None:
    import pandas as pd

    b = site.battery
    if b is None:
        return
    leg = battery_leg(b.round_trip_efficiency)
    avail = pd.Series(b.available.astype(np.float64), index)
    n.add("Bus", BATTERY_STORE, carrier="battery")
    n.add(
        "Store",
        BATTERY_STORE,
        bus=BATTERY_STORE,
        carrier="battery",
        e_nom_extendable=True,
        e_nom_min=b.min_energy_mwh,
        e_cyclic=True,
        e_min_pu=b.soc_min_fraction,
        capital_cost=b.usd_per_mwh,
    )
    for name, bus0, bus1, cost in (
        (CHARGE, BUS, BATTERY_STORE, b.usd_per_mw),
        (DISCHARGE, BATTERY_STORE, BUS, 0.0),
    ):
        n.add(
            "Link",
            name,
            bus0=bus0,
            bus1=bus1,
            carrier="battery",
            efficiency=leg,
            p_nom_extendable=True,
            p_nom_min=b.min_power_mw,
            p_max_pu=avail,
            capital_cost=cost,
        )


# --- constraints PyPSA does not have
# --------------------------------------------------------------------------


def rolling_windows(weights_h: FloatArray, months: np.ndarray[Any, Any], hours_per_year: int) -> list[slice]:
    """Snapshot windows a per-year cap applies to: the whole span when it is a year or less, else every
    365-day window that starts on a month boundary (and the last one); ``weights_h`` are the hours each
    snapshot stands for. [-]"""
    n_snapshots = len(weights_h)
    ends = np.cumsum(weights_h)  # hours from the start to each snapshot's end
    if n_snapshots == 0 or ends[-1] <= hours_per_year + 1e-9:
        return [slice(0, n_snapshots)]
    begins = ends - weights_h

    def upto(hour: float) -> int:
        """Snapshots that end by ``hour``. [-]"""
        return int(np.searchsorted(ends, hour + 1e-9, side="right"))

    starts = [0] + [int(i) for i in np.nonzero(months[1:] != months[:-1])[0] + 1]
    windows = [
        slice(s, upto(begins[s] + hours_per_year))
        for s in starts
        if begins[s] + hours_per_year <= ends[-1] + 1e-9
    ]
    last = int(np.searchsorted(begins, ends[-1] - hours_per_year - 1e-9, side="left"))
    windows.append(slice(last, n_snapshots))
    return windows
