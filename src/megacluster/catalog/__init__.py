"""Catalogs of hardware and sites: data files in ``catalog/data`` with a source for every number.

Each catalog is a TOML file whose top-level tables are entries keyed by id. Every entry has a
``source`` table naming where each number comes from. The loaders return frozen, typed models.
"""

from megacluster.catalog.hardware import Accelerator, ModelShape
from megacluster.catalog.plant import (
    Battery,
    Climate,
    Generator,
    Server,
)
from megacluster.catalog.regions import Co2Convention, Region
from megacluster.catalog.store import (
    accelerators,
    batteries,
    climates,
    generators,
    get,
    models,
    raw_catalog,
    regions,
    servers,
)

__all__ = [
    "Accelerator",
    "Battery",
    "Climate",
    "Co2Convention",
    "Generator",
    "ModelShape",
    "Region",
    "Server",
    "accelerators",
    "batteries",
    "climates",
    "generators",
    "get",
    "models",
    "raw_catalog",
    "regions",
    "servers",
]
