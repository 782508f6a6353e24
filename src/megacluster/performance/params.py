"""Hardware parameters of the performance model: accelerator efficiency and networks, from the catalog, with
an optional overlay of a user's own calibration (``megacluster calibrate``). [-]"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from megacluster.catalog import accelerators, raw_catalog
from megacluster.errors import InputError, unknown_choice_message
from megacluster.performance.layout import Fp8Recipe
from megacluster.units import GB, GIB, SECONDS_PER_US, TB, TERA

if TYPE_CHECKING:
    from megacluster.performance.overlay import Overlay

HOST_OVERHEAD_US = 6.0
"""CPU time to issue one GPU kernel from an eager PyTorch/Megatron stack: Python, framework dispatch,
allocator and the CUDA launch. [us] [S] Megatron-LM docs/discussions/deepseek-v3-gb200-optimization.md
(NVIDIA, 2025): 'a simple torch.empty will not call any CUDA kernel, but it will generate a few microseconds
of overhead on the host side'; the CUDA launch alone is ~2-4 us (CUDA C++ Best Practices Guide). 6 us per
launched kernel, framework logic included: [A] the middle of that range; calibrated per cluster with
`megacluster calibrate`."""


class AcceleratorEfficiency(BaseModel):
    """Achieved-efficiency parameters of one accelerator (catalog/data/efficiency.toml). [-]"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    gemm_efficiency: float = Field(gt=0, le=1, description="Large 16-bit GEMMs: fraction of dense peak [-]")
    hbm_efficiency: float = Field(gt=0, le=1, description="Streaming kernels: fraction of HBM bandwidth [-]")
    kernel_overhead_us: float = Field(ge=0, le=1000, description="GPU idle gap per kernel [us]")
    fused_attention: bool
    memory_usable_fraction: float = Field(gt=0, le=1)
    overlap_slowdown: float = Field(ge=0, lt=1)
    default_network: str
    fp8_gemm_efficiency: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Large FP8 GEMMs: fraction of FP8 dense peak (default: as 16-bit) [-]",
    )
    host_overhead_us: float | None = Field(
        default=None, ge=0, le=1000, description="Host CPU time per launched kernel (default 6 us) [us]"
    )
    default_fp8_recipe: Fp8Recipe | None = Field(
        default=None, description="FP8 scaling recipe when a spec names none (default: tensorwise)"
    )
    source: dict[str, str] = Field(default_factory=dict)


class Network(BaseModel):
    """A scale-out network and the collective efficiency on it (catalog/data/networks.toml). [-]"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    scaleout_gb_s_per_gpu: float = Field(gt=0)
    scaleout_efficiency: float = Field(gt=0, le=1)
    scaleout_latency_us: float = Field(ge=0, le=10_000)
    scaleout_rails_per_collective: int = Field(ge=1)
    scaleup_efficiency: float = Field(gt=0, le=1)
    scaleup_latency_us: float = Field(ge=0, le=10_000)
    alltoall_efficiency: float | None = Field(
        default=None, gt=0, le=1, description="MoE dispatch kernels: fraction of line rate (default 0.9) [-]"
    )
    source: dict[str, str] = Field(default_factory=dict)


ALLTOALL_EFFICIENCY = 0.9
"""Achieved bandwidth of DeepEP/HybridEP-class MoE dispatch and combine kernels, as a fraction of the line
rate of the links they cross (NVLink inside a scale-up domain, the NIC beyond it). [-] [P] DeepEP README
(deepseek-ai/DeepEP, 2025), H800: internode dispatch/combine 43-47 GB/s of the 50 GB/s RDMA NIC, intranode
153-158 GB/s of the ~160 GB/s NVLink bottleneck: ~0.9. (Megatron-LM docs/discussions/
deepseek-v3-gb200-optimization.md reports DeepEP at 400/190 GB/s of 900 GB/s on GB200 EP32 before HybridEP,
which 'can fully release the performance potential of the NVL72 architecture'.)"""


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
    fp8_gemm_efficiency: float = 0.0
    host_overhead_s: float = HOST_OVERHEAD_US * SECONDS_PER_US
    alltoall_efficiency: float = ALLTOALL_EFFICIENCY
    default_fp8_recipe: Fp8Recipe = Fp8Recipe.TENSORWISE

    def gemm_peak_flop_s(self, precision: str) -> float:
        """Dense matrix-multiply peak at a precision. [FLOP/s]"""
        return self.peak8_flop_s if precision == "fp8" else self.peak16_flop_s

    def gemm_rate_flop_s(self, precision: str) -> float:
        """Achieved rate of large matrix multiplies at a precision: peak x efficiency. [FLOP/s]"""
        if precision == "fp8":
            return self.peak8_flop_s * (self.fp8_gemm_efficiency or self.gemm_efficiency)
        return self.peak16_flop_s * self.gemm_efficiency


def hardware(
    accelerator_id: str,
    network_id: str | None = None,
    file: str | None = None,
    scaleout_gb_s_per_gpu: float | None = None,
    overlay: Overlay | None = None,
) -> Hardware:
    """Hardware parameters for an accelerator and a network (default: the accelerator's), with a calibration
    overlay's values in place of the catalog's where it gives them. [-]"""
    accs = accelerators()
    if accelerator_id not in accs:
        raise InputError(file, "gpu", unknown_choice_message("accelerator", accelerator_id, accs))
    effs = efficiencies()
    if accelerator_id not in effs:
        raise InputError(file, "gpu", unknown_choice_message("accelerator", accelerator_id, effs))
    acc = accs[accelerator_id]
    eff = overlay.accelerator(effs[accelerator_id]) if overlay else effs[accelerator_id]
    nets = networks()
    net_id = network_id or eff.default_network
    if net_id not in nets:
        raise InputError(file, "network", unknown_choice_message("network", net_id, nets))
    net = overlay.network(nets[net_id]) if overlay else nets[net_id]
    out_gb_s = scaleout_gb_s_per_gpu if scaleout_gb_s_per_gpu is not None else net.scaleout_gb_s_per_gpu
    peak8 = acc.fp8_dense_tflops * TERA if acc.fp8_dense_tflops is not None else 0.0
    return Hardware(
        accelerator=accelerator_id,
        network=net_id,
        peak16_flop_s=acc.peak_flop_s("bf16"),
        peak8_flop_s=peak8,
        # [D] vendors' 'GB' of HBM are GiB: stacks of 2^n-Gbit dies (H100 SXM: 5 x 16 GiB; nvidia-smi reports
        # 81,559 MiB on an 'H100 80GB' and 81,920 MiB on an 'A100 80GB')
        hbm_bytes=acc.hbm_gb * GIB,
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
        fp8_gemm_efficiency=eff.fp8_gemm_efficiency or eff.gemm_efficiency,
        host_overhead_s=(eff.host_overhead_us if eff.host_overhead_us is not None else HOST_OVERHEAD_US)
        * SECONDS_PER_US,
        alltoall_efficiency=net.alltoall_efficiency or ALLTOALL_EFFICIENCY,
        default_fp8_recipe=eff.default_fp8_recipe or Fp8Recipe.TENSORWISE,
    )
