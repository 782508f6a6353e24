"""What the least-cost build is asked, as plain data: the campus's hourly load and the value of its lost load,
the grid on its schedule, the candidate generator fleets, the battery and solar candidates, the permits and
the carbon constraint. The engine fills these from a scenario (``engine/optimize.py``); ``economics.network``
turns them into a PyPSA network. Arrays have one value per snapshot: an hour, or a block of hours
(``economics.resample``) whose length ``snapshot_hours`` gives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.catalog.costs import Ownership
from megacluster.economics.config import ReserveRule

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PermitGroup:
    """An air permit shared by candidate fleets (a fleet and its SCR variant): caps per rolling year."""

    name: str
    nox_t_per_year: float | None
    """NOx cap per rolling year. [t]"""
    starts_per_year: int | None
    """Start-ups per rolling year. [-]"""
    max_units: int | None
    """Units the permit covers. [-]"""


@dataclass(frozen=True)
class GeneratorCandidate:
    """A generator class the build may use, in whole units of ``rating_mw``."""

    name: str
    unit: str | None
    """Catalog id (None: given by its rating)."""
    fleet_index: int | None
    """The scenario fleet it comes from (None: none)."""
    rating_mw: float
    """ISO rating of one unit. [MW]"""
    ownership: Ownership
    available: BoolArray
    """Whether it may run at each snapshot (its dates). [-]"""
    output_factor: FloatArray
    """Output per unit of rating at the snapshot's ambient (derating). [-]"""
    heat_rate_mmbtu_per_mwh: FloatArray
    """Full-load heat rate at the snapshot's ambient, HHV. [MMBtu/MWh]"""
    co2_kg_per_mmbtu: float
    nox_lb_per_mmbtu: float
    min_load_fraction: float
    """Minimum stable load of a running unit. [-]"""
    capital_usd_per_mw: float
    """A bought unit's capital charge and fixed O&M over the modelled span. [USD/MW]"""
    rental_usd_per_mw_month: float
    """A rented unit's rent. [USD/MW-month]"""
    variable_om_usd_per_mwh: float
    """Variable O&M (0 for a rented unit: the rent includes it). [USD/MWh]"""
    max_units: int | None = None
    """Most units that may be built (None: no limit). [-]"""
    permit: str | None = None
    """Name of its permit group."""
    scr: bool = False
    """Whether this candidate carries selective catalytic reduction."""
    firm_factor: FloatArray | None = None
    """Output per unit of rating in the hottest hour of each snapshot, for the N-1 reserve (None: the
    ``output_factor``). [-]"""

    @property
    def firm(self) -> FloatArray:
        """Output per unit of rating the N-1 reserve counts on at each snapshot. [-]"""
        return self.output_factor if self.firm_factor is None else self.firm_factor


@dataclass(frozen=True)
class BatteryCandidate:
    """A battery sized in power and energy."""

    usd_per_mw: float
    """Capital charge and fixed O&M of a MW over the modelled span. [USD/MW]"""
    usd_per_mwh: float
    """Capital charge of a MWh over the modelled span. [USD/MWh]"""
    round_trip_efficiency: float
    soc_min_fraction: float
    max_c_rate_per_h: float
    """Largest power / energy. [1/h]"""
    available: BoolArray
    min_power_mw: float = 0.0
    min_energy_mwh: float = 0.0


@dataclass(frozen=True)
class SolarCandidate:
    """Solar PV with an hourly output profile."""

    usd_per_mw: float
    """Capital charge and fixed O&M of a MW AC over the modelled span. [USD/MW]"""
    profile: FloatArray
    """Output per MW AC at each snapshot. [-]"""


@dataclass(frozen=True)
class SiteInputs:
    """Everything the least-cost build of one campus needs."""

    snapshots: npt.NDArray[np.datetime64]
    """Hour starts, local standard time."""
    load_mw: FloatArray
    """Facility power the target GPUs draw at full training power, at its peak. [MW]"""
    mean_gap_mw: FloatArray
    """Facility power of the GPUs at their peak draw above their mean draw (``power.meandraw``): the build
    is dispatched for the peak, energy is counted at the mean. [MW]"""
    gpus: FloatArray
    """GPUs in that load. [-]"""
    voll_usd_per_mwh: FloatArray
    """Value of lost load: the stranded GPUs' capital charge per MWh they would have drawn. [USD/MWh]"""
    grid_cap_mw: FloatArray
    grid_price_usd_per_mwh: FloatArray
    grid_co2_kg_per_mwh: FloatArray
    fuel_price_usd_per_mmbtu: float
    generators: tuple[GeneratorCandidate, ...]
    permits: tuple[PermitGroup, ...]
    battery: BatteryCandidate | None
    solar: SolarCandidate | None
    co2_price_usd_per_t: float = 0.0
    co2_cap_t: float | None = None
    reserve: ReserveRule = ReserveRule.LARGEST_UNIT
    grid_first: bool = True
    """The grid serves all it can before any generator runs (the scenario's merit order)."""
    whole_units: bool = True
    peak_load_mw: FloatArray | None = None
    """The largest hour's load within each snapshot, for the N-1 reserve (None: ``load_mw``). [MW]"""
    snapshot_hours: FloatArray | None = None
    """Hours each snapshot stands for (PyPSA's snapshot weightings); None: one hour each. [h]"""

    @property
    def weights_h(self) -> FloatArray:
        """Hours each snapshot stands for. [h]"""
        if self.snapshot_hours is None:
            return np.ones(len(self.snapshots))
        return self.snapshot_hours

    @property
    def reserve_load_mw(self) -> FloatArray:
        """Load the N-1 reserve covers at each snapshot: its largest hour. [MW]"""
        return self.load_mw if self.peak_load_mw is None else self.peak_load_mw

    @property
    def hours(self) -> float:
        """Span modelled. [h]"""
        return float(self.weights_h.sum())

    @property
    def step_h(self) -> float:
        """Length of a full snapshot (the resolution solved at). [h]"""
        return float(self.weights_h.max(initial=1.0))
