"""Hardware parameters of the performance model: accelerator efficiency and networks, from the catalog. [-]"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from megacluster.catalog import accelerators, raw_catalog
from megacluster.errors import InputError, unknown_choice_message
from megacluster.units import GB, SECONDS_PER_US, TB, TERA


class AcceleratorEfficiency(BaseModel):
    """Achieved-efficiency parameters of one accelerator (catalog/data/efficiency.toml). [-]"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    gemm_efficiency: float = Field(gt=0, le=1)
    hbm_efficiency: float = Field(gt=0, le=1)
    kernel_overhead_us: float = Field(ge=0)
    fused_attention: bool
    memory_usable_fraction: float = Field(gt=0, le=1)
    overlap_slowdown: float = Field(ge=0, lt=1)
    default_network: str
    source: dict[str, str]


class Network(BaseModel):
    """A scale-out network and the collective efficiency on it (catalog/data/networks.toml). [-]"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    scaleout_gb_s_per_gpu: float = Field(gt=0)
    scaleout_efficiency: float = Field(gt=0, le=1)
    scaleout_latency_us: float = Field(ge=0)
    scaleout_rails_per_collective: int = Field(ge=1)
    scaleup_efficiency: float = Field(gt=0, le=1)
    scaleup_latency_us: float = Field(ge=0)
    source: dict[str, str]


@cache
def efficiencies() -> dict[str, AcceleratorEfficiency]:
    """Efficiency entries by accelerator id. [-]"""
    out: dict[str, AcceleratorEfficiency] = {}
    for key, entry in raw_catalog("efficiency").items():
        try:
            out[key] = AcceleratorEfficiency.model_validate({"id": key, **entry})
        except ValidationError as exc:
            raise InputError("catalog/data/efficiency.toml", key, str(exc)) from exc
    return out


@cache
def networks() -> dict[str, Network]:
    """Networks by id. [-]"""
    out: dict[str, Network] = {}
    for key, entry in raw_catalog("networks").items():
        try:
            out[key] = Network.model_validate({"id": key, **entry})
        except ValidationError as exc:
            raise InputError("catalog/data/networks.toml", key, str(exc)) from exc
    return out


@dataclass(frozen=True)
class Hardware:
    """Everything the model needs about one accelerator on one network (bytes, FLOP/s, s). [-]"""

    accelerator: str
    network: str
    peak16_flop_s: float
    peak8_flop_s: float
    hbm_bytes: float
    hbm_bytes_s: float
    gemm_efficiency: float
    hbm_efficiency: float
    kernel_overhead_s: float
    fused_attention: bool
    usable_fraction: float
    overlap_slowdown: float
    scaleup_bytes_s: float
    scaleup_efficiency: float
    scaleup_latency_s: float
    domain_gpus: int
    scaleout_bytes_s: float
    scaleout_efficiency: float
    scaleout_latency_s: float
    scaleout_rails: int

    def gemm_peak_flop_s(self, precision: str) -> float:
        """Dense matrix-multiply peak at a precision. [FLOP/s]"""
        return self.peak8_flop_s if precision == "fp8" else self.peak16_flop_s


def hardware(
    accelerator_id: str,
    network_id: str | None = None,
    file: str | None = None,
    scaleout_gb_s_per_gpu: float | None = None,
) -> Hardware:
    """Hardware parameters for an accelerator and a network (default: the accelerator's). [-]"""
    accs = accelerators()
    if accelerator_id not in accs:
        raise InputError(file, "gpu", unknown_choice_message("accelerator", accelerator_id, accs))
    effs = efficiencies()
    if accelerator_id not in effs:
        raise InputError(file, "gpu", unknown_choice_message("accelerator", accelerator_id, effs))
    acc = accs[accelerator_id]
    eff = effs[accelerator_id]
    nets = networks()
    net_id = network_id or eff.default_network
    if net_id not in nets:
        raise InputError(file, "network", unknown_choice_message("network", net_id, nets))
    net = nets[net_id]
    out_gb_s = scaleout_gb_s_per_gpu if scaleout_gb_s_per_gpu is not None else net.scaleout_gb_s_per_gpu
    peak16 = acc.peak_flop_s("bf16")
    peak8 = acc.fp8_dense_tflops * TERA if acc.fp8_dense_tflops is not None else 0.0
    return Hardware(
        accelerator=accelerator_id,
        network=net_id,
        peak16_flop_s=peak16,
        peak8_flop_s=peak8,
        hbm_bytes=acc.hbm_gb * GB,
        hbm_bytes_s=acc.hbm_bandwidth_tb_s * TB,
        gemm_efficiency=eff.gemm_efficiency,
        hbm_efficiency=eff.hbm_efficiency,
        kernel_overhead_s=eff.kernel_overhead_us * SECONDS_PER_US,
        fused_attention=eff.fused_attention,
        usable_fraction=eff.memory_usable_fraction,
        overlap_slowdown=eff.overlap_slowdown,
        # the catalog quotes the bidirectional total; a ring uses one direction per link
        scaleup_bytes_s=acc.scaleup_bandwidth_gb_s * GB / 2.0,
        scaleup_efficiency=net.scaleup_efficiency,
        scaleup_latency_s=net.scaleup_latency_us * SECONDS_PER_US,
        domain_gpus=acc.scaleup_domain_gpus,
        scaleout_bytes_s=out_gb_s * GB,
        scaleout_efficiency=net.scaleout_efficiency,
        scaleout_latency_s=net.scaleout_latency_us * SECONDS_PER_US,
        scaleout_rails=net.scaleout_rails_per_collective,
    )
