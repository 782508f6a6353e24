"""IT demand bottom-up: GPU power versus load and cap, server components, network and storage per GPU.

Pure functions. A powered GPU's share of the IT load is ``slope x min(load, cap) + fixed`` [W], where
``slope`` is the GPU's TDP seen at the wall (through the power supplies) and ``fixed`` is everything else
per GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.power.config import DemandConfig, IdledBlocks
from megacluster.power.constants import FRONTEND_NETWORK_FRACTION
from megacluster.units import W_PER_MW

FloatArray = npt.NDArray[np.float64]


def gpu_power_w(
    tdp_w: float, load_fraction: float | FloatArray, cap_fraction: float | FloatArray
) -> FloatArray:
    """GPU board power: its load, limited by its power cap (both as fractions of TDP). [W]"""
    return np.asarray(tdp_w * np.minimum(load_fraction, cap_fraction), dtype=np.float64)


def throughput_factor(
    cap_fraction: float | FloatArray, load_fraction: float | FloatArray, exponent: float
) -> FloatArray:
    """Training throughput of a capped GPU relative to uncapped: (cap / load) ** exponent. [-]"""
    cap = np.asarray(cap_fraction, dtype=np.float64)
    load = np.asarray(load_fraction, dtype=np.float64)
    ratio = np.clip(cap / np.maximum(load, 1e-12), 0.0, 1.0)
    return np.asarray(ratio**exponent, dtype=np.float64)


def network_w_per_gpu(cfg: DemandConfig) -> float:
    """Switch ports and optics of a non-blocking Clos fabric at 400G per GPU, plus the frontend share. [W]

    Per GPU and tier there is one 400G link: ``2 x tiers - 1`` switch ports (down and up on every tier but the
    top) and ``2 x tiers`` optical ends (both ends of each link), each 400G counting half an 800G port/module.
    """
    ports = (2 * cfg.network_tiers - 1) * 0.5 * cfg.switch_w_per_800g_port
    optics = 2 * cfg.network_tiers * 0.5 * cfg.optics_w_per_800g
    return float((ports + optics) * (1.0 + FRONTEND_NETWORK_FRACTION))


@dataclass(frozen=True)
class GpuPowerModel:
    """Per-GPU IT power of one fleet: ``slope_w x min(load, cap) + fixed_w``."""

    slope_w: float
    """GPU TDP at the wall (divided by the power-supply efficiency). [W]"""
    fixed_w: float
    """Server non-GPU share, network and storage per GPU. [W]"""
    load_fraction: float
    """Uncapped GPU draw in training / TDP. [-]"""
    idle_w: float = 0.0
    """IT power of an idled GPU (kept allocated), its host share and its network and storage. [W]"""

    def per_gpu_w(self, cap_fraction: float | FloatArray = 1.0) -> FloatArray:
        """IT power per powered GPU at a cap (fraction of TDP). [W]"""
        return np.asarray(self.slope_w * np.minimum(self.load_fraction, cap_fraction) + self.fixed_w)


def gpu_power_model(
    accelerator: catalog.Accelerator, server: catalog.Server, cfg: DemandConfig
) -> GpuPowerModel:
    """Build the per-GPU power model from the catalog components. [W]"""
    per_gpu_network_storage = network_w_per_gpu(cfg) + cfg.storage_w_per_gpu
    if server.has_components():
        eff = float(server.psu_efficiency or 1.0)
        slope = accelerator.tdp_w / eff
        server_share = server.components_dc_w() / eff / server.gpus_per_server
    else:
        slope = accelerator.tdp_w
        server_share = server.non_gpu_power_w / server.gpus_per_server
    idle_w = 0.0
    if cfg.idled_blocks is IdledBlocks.IDLE:
        idle_w = cfg.gpu_idle_fraction * slope + server_share * server.non_gpu_idle_fraction
        idle_w += per_gpu_network_storage
    return GpuPowerModel(
        slope_w=slope,
        fixed_w=server_share + per_gpu_network_storage,
        load_fraction=cfg.gpu_load_fraction,
        idle_w=idle_w,
    )


def it_breakdown_mw(
    accelerator: catalog.Accelerator, server: catalog.Server, cfg: DemandConfig, gpus: int
) -> dict[str, float]:
    """IT load of ``gpus`` GPUs at full training load, by component (for the README comparison). [MW]"""
    eff = float(server.psu_efficiency or 1.0) if server.has_components() else 1.0
    n_servers = gpus / server.gpus_per_server
    gpu = gpus * accelerator.tdp_w * cfg.gpu_load_fraction / W_PER_MW
    if server.has_components():
        parts = {
            "cpus": float(server.cpu_w or 0.0),
            "memory": float(server.memory_w or 0.0),
            "nics": float(server.nic_w or 0.0),
            "nvswitch": float(server.nvswitch_w or 0.0),
            "local_storage": float(server.local_storage_w or 0.0),
            "fans": float(server.fan_w or 0.0),
        }
    else:
        parts = {"server_non_gpu": server.non_gpu_power_w * eff}
    out = {"gpus": gpu}
    for name, watts in parts.items():
        out[name] = n_servers * watts / W_PER_MW
    dc_total = sum(out.values())
    out["psu_losses"] = dc_total / eff - dc_total
    out["network"] = gpus * network_w_per_gpu(cfg) / W_PER_MW
    out["storage"] = gpus * cfg.storage_w_per_gpu / W_PER_MW
    out["total"] = sum(v for key, v in out.items() if key != "total")
    return out
