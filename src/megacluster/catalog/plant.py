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
    cpu_w: float | None = Field(default=None, ge=0)
    memory_w: float | None = Field(default=None, ge=0)
    nic_w: float | None = Field(default=None, ge=0)
    nvswitch_w: float | None = Field(default=None, ge=0)
    local_storage_w: float | None = Field(default=None, ge=0)
    fan_w: float | None = Field(default=None, ge=0)
    psu_efficiency: float | None = Field(default=None, gt=0.5, le=1)

    def has_components(self) -> bool:
        """True when the server's non-GPU power is given component by component."""
        parts = (self.cpu_w, self.memory_w, self.nic_w, self.nvswitch_w, self.local_storage_w, self.fan_w)
        return all(p is not None for p in parts) and self.psu_efficiency is not None

    def components_dc_w(self) -> float:
        """Sum of the non-GPU components at full load, before power-supply losses. [W]"""
        parts = (self.cpu_w, self.memory_w, self.nic_w, self.nvswitch_w, self.local_storage_w, self.fan_w)
        return float(sum(p or 0.0 for p in parts))


class Generator(CatalogEntry):
    """An on-site generating unit burning natural gas."""

    rating_mw: float = Field(gt=0)
    heat_rate_btu_per_kwh_hhv: float = Field(gt=0)
    co2_kg_per_mmbtu: float = Field(ge=0)
    nox_lb_per_mmbtu: float = Field(ge=0)
    nox_control: str = Field(default="uncontrolled", pattern="^(uncontrolled|dln|scr)$")
    min_load_fraction: float = Field(default=0.5, ge=0, le=1)
    startup_s: float = Field(default=600.0, ge=0)
    ramp_fraction_per_min: float = Field(default=0.2, gt=0)
    forced_outage_rate: float = Field(default=0.05, ge=0, lt=1)
    inertia_h_s: float | None = Field(default=None, gt=0, le=30, description="Inertia constant [s]")
    governor_droop: float | None = Field(default=None, gt=0, le=0.2, description="Speed droop [-]")
    governor_actuator_s: float | None = Field(default=None, ge=0, le=30, description="Actuator lag [s]")
    governor_turbine_s: float | None = Field(default=None, ge=0, le=60, description="Turbine lag [s]")
    governor_rate_pu_per_s: float | None = Field(default=None, gt=0, le=10, description="Valve rate [1/s]")
    load_step_fraction: float | None = Field(
        default=None, gt=0, le=1, description="Largest load step accepted, fraction of rating [-]"
    )


class Battery(CatalogEntry):
    """A battery storage unit."""

    power_mw: float = Field(gt=0)
    energy_mwh: float = Field(gt=0)
    round_trip_efficiency: float = Field(gt=0, le=1)


class Climate(CatalogEntry):
    """Monthly normals of daily maximum and minimum temperature at a site."""

    latitude_deg: float = Field(ge=-90, le=90)
    utc_offset_h: float = Field(ge=-12, le=14, description="Local standard time minus UTC [h]")
    tmax_c: tuple[float, ...] = Field(min_length=12, max_length=12)
    tmin_c: tuple[float, ...] = Field(min_length=12, max_length=12)
    design_drybulb_c: float | None = None
    design_wetbulb_c: float | None = None
    region: str | None = Field(default=None, description="Grid region catalog id of the site")
    elevation_m: float | None = Field(default=None, ge=-500, le=6000, description="Station elevation [m]")
    drybulb_0p4_c: float | None = Field(default=None, description="ASHRAE 0.4 % cooling dry-bulb [°C]")
    wetbulb_0p4_c: float | None = Field(default=None, description="Its mean coincident wet-bulb [°C]")
    drybulb_max_mean_c: float | None = Field(default=None, description="Mean annual maximum dry-bulb [°C]")
    wetbulb_evap_0p4_c: float | None = Field(default=None, description="0.4 % evaporation wet-bulb [°C]")
    heatwave_name: str | None = Field(default=None, description="The sourced extreme heat event")
    heatwave_month: int | None = Field(default=None, ge=1, le=12)
    heatwave_first_day: int | None = Field(default=None, ge=1, le=31)
    heatwave_days: int | None = Field(default=None, ge=1, le=60)
    heatwave_peak_day: int | None = Field(default=None, ge=1, le=31)
    heatwave_threshold_c: float | None = Field(default=None, description="Every day's maximum at least [°C]")
    heatwave_peak_c: float | None = Field(default=None, description="The event's highest temperature [°C]")
