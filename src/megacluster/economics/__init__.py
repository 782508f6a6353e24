"""Economics: what a campus costs and what to build.

- ``finance``: capital recovery factor, annuities (pure functions).
- ``assumptions``: the cost catalog (``catalog/data/costs.toml``) with a scenario's ``[economics]`` overrides.
- ``tco``: the total cost of ownership of a run, cost per GPU-hour and per 1e24 FLOP, stranded compute.
- ``network`` / ``solve``: the least-cost build as a PyPSA network solved with HiGHS (imported only by
  ``megacluster optimize``; PyPSA is the optional extra ``megacluster[optimize]``).

A model package: it imports the ground floor, the catalog and other models' plain types only.
"""

from megacluster.economics.assumptions import CostAssumptions, cost_assumptions
from megacluster.economics.config import EconomicsConfig, OptimizeConfig, OwnershipRule, ReserveRule
from megacluster.economics.finance import annuity_usd_per_year, capital_recovery_factor
from megacluster.economics.tco import TcoSummary, campus_tco

__all__ = [
    "CostAssumptions",
    "EconomicsConfig",
    "OptimizeConfig",
    "OwnershipRule",
    "ReserveRule",
    "TcoSummary",
    "annuity_usd_per_year",
    "campus_tco",
    "capital_recovery_factor",
    "cost_assumptions",
]
