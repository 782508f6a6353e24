"""Catalog models of compute: accelerators and model shapes. Units are in the field names."""

from __future__ import annotations

from pydantic import Field

from megacluster.catalog.base import CatalogEntry


class Accelerator(CatalogEntry):
    """One accelerator (GPU or TPU chip)."""

    bf16_dense_tflops: float = Field(gt=0)
    fp16_dense_tflops: float = Field(gt=0)
    fp8_dense_tflops: float | None = Field(default=None, gt=0)
    hbm_gb: float = Field(gt=0)
    hbm_bandwidth_tb_s: float = Field(gt=0)
    tdp_w: float = Field(gt=0)
    scaleup_bandwidth_gb_s: float = Field(gt=0)
    scaleup_domain_gpus: int = Field(ge=1)

    def peak_flop_s(self, precision: str) -> float:
        """Dense peak throughput at a precision (``bf16``, ``fp16`` or ``fp8``). [FLOP/s]"""
        table = {
            "bf16": self.bf16_dense_tflops,
            "fp16": self.fp16_dense_tflops,
            "fp8": self.fp8_dense_tflops,
        }
        value = table.get(precision)
        if value is None:
            raise ValueError(f"{self.id} has no {precision} peak")
        return value * 1e12


class ModelShape(CatalogEntry):
    """A decoder-only transformer's shape (names as in the published-runs format): the one model-shape type,
    for catalog entries and for shapes given inline in a scenario (``[training.model]``)."""

    id: str = Field(default="inline", description="Catalog id ('inline' for a scenario's own shape)")
    name: str = Field(default="inline model", description="Readable name")
    params_b: float = Field(gt=0, le=1e5, description="Total parameters [billions]")
    layers: int = Field(ge=1, le=10_000, description="Transformer layers [-]")
    hidden: int = Field(ge=1, le=1_000_000, description="Model width d_model [-]")
    heads: int = Field(ge=1, le=10_000, description="Attention (query) heads [-]")
    kv_heads: int | None = Field(default=None, ge=1, le=10_000, description="Key/value heads (GQA) [-]")
    ffn_hidden: int = Field(ge=1, le=10_000_000, description="FFN inner width [-]")
    seq_len: int = Field(ge=1, le=10_000_000, description="Training sequence length [tokens]")
    vocab: int = Field(ge=1, le=10_000_000, description="Vocabulary size [tokens]")
    moe_experts: int | None = Field(default=None, ge=1, le=100_000, description="Routed experts per layer")
    moe_top_k: int | None = Field(default=None, ge=1, le=1_000, description="Routed experts per token")
    moe_ffn_hidden: int | None = Field(
        default=None, ge=1, le=10_000_000, description="FFN width of one expert [-]"
    )
    active_params_b: float | None = Field(
        default=None, gt=0, le=1e5, description="Active parameters per token (MoE) [billions]"
    )
