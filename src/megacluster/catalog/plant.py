"""Catalog models of the plant: servers, generators, batteries, climates. Units are in the field names."""

from __future__ import annotations

from pydantic import Field

from megacluster.catalog.base import CatalogEntry


class Server(CatalogEntry):
    """A GPU server (node): GPUs per server and the power of everything but the GPUs."""

    accelerator: str
    gpus_per_server: int = Field(ge=1)
    max_power_kw: float = Field(gt=0)
    non_gpu_power_w: float = Field(ge=0)
    non_gpu_idle_fraction: float = Field(ge=0, le=1)
    servers_per_rack: int = Field(ge=1)


class Generator(CatalogEntry):
    """An on-site generating unit burning natural gas."""

    rating_mw: float = Field(gt=0)
    heat_rate_btu_per_kwh_hhv: float = Field(gt=0)
    co2_kg_per_mmbtu: float = Field(ge=0)
    nox_lb_per_mmbtu: float = Field(ge=0)


class Battery(CatalogEntry):
    """A battery storage unit."""

    power_mw: float = Field(gt=0)
    energy_mwh: float = Field(gt=0)
    round_trip_efficiency: float = Field(gt=0, le=1)


class Climate(CatalogEntry):
    """Monthly normals of daily maximum and minimum temperature at a site."""

    latitude_deg: float = Field(ge=-90, le=90)
    tmax_c: tuple[float, ...] = Field(min_length=12, max_length=12)
    tmin_c: tuple[float, ...] = Field(min_length=12, max_length=12)
