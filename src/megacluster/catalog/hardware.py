"""Catalog models of compute: accelerators and model shapes. Units are in the field names."""

from __future__ import annotations

from pydantic import Field

from megacluster.catalog import shapes
from megacluster.catalog.base import CatalogEntry


class Accelerator(CatalogEntry):
    """One accelerator (GPU or TPU chip)."""

    bf16_dense_tflops: float = Field(gt=0)
    fp16_dense_tflops: float = Field(gt=0)
    fp8_dense_tflops: float | None = Field(default=None, gt=0)
    fp4_dense_tflops: float | None = Field(default=None, gt=0)
    """Dense FP4 peak, where the vendor publishes one (Blackwell, CDNA 4); inference and FP4 training only:
    the training precisions of a scenario stop at fp8. [TFLOP/s]"""
    hbm_gb: float = Field(gt=0)
    hbm_bandwidth_tb_s: float = Field(gt=0)
    tdp_w: float = Field(gt=0)
    scaleup_bandwidth_gb_s: float = Field(gt=0)
    scaleup_domain_gpus: int = Field(ge=1)

    def peak_flop_s(self, precision: str) -> float:
        """Dense peak throughput at a precision (``bf16``, ``fp16``, ``fp8`` or ``fp4``). [FLOP/s]"""
        table = {
            "bf16": self.bf16_dense_tflops,
            "fp16": self.fp16_dense_tflops,
            "fp8": self.fp8_dense_tflops,
            "fp4": self.fp4_dense_tflops,
        }
        value = table.get(precision)
        if value is None:
            raise ValueError(f"{self.id} has no {precision} peak")
        return value * 1e12


class ModelShape(CatalogEntry):
    """A decoder-only transformer's shape (names as in the published-runs format): the one model-shape type,
    for catalog entries and for shapes given inline in a scenario (``[training.model]``).

    Parameter counts and FLOP per token are derived from the shape (``total_params``, ``active_params``,
    ``model_flop_per_token``); ``params_b`` and ``active_params_b`` are only the declared public figures, kept
    to check the shape against (``declared_mismatch``)."""

    id: str = Field(default="inline", description="Catalog id ('inline' for a scenario's own shape)")
    name: str = Field(default="inline model", description="Readable name")
    params_b: float | None = Field(
        default=None, gt=0, le=1e5, description="Declared total parameters, to check the shape [billions]"
    )
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
        default=None, gt=0, le=1e5, description="Declared active parameters per token (MoE) [billions]"
    )
    head_dim: int | None = Field(
        default=None, ge=1, le=100_000, description="Width of one head (default hidden/heads) [-]"
    )
    ffn_gated: bool | None = Field(
        default=None, description="Gated FFN (SwiGLU); default: inferred from params_b"
    )
    tied_embeddings: bool | None = Field(default=None, description="Input and output embeddings shared")
    moe_shared_experts: int | None = Field(
        default=None, ge=0, le=1_000, description="Shared experts per MoE layer [-]"
    )
    moe_dense_layers: int | None = Field(
        default=None, ge=0, le=10_000, description="Leading dense layers of an MoE [-]"
    )
    q_lora_rank: int | None = Field(default=None, ge=1, le=1_000_000, description="MLA query latent rank [-]")
    kv_lora_rank: int | None = Field(
        default=None, ge=1, le=1_000_000, description="MLA key/value latent rank [-]"
    )
    qk_rope_dim: int | None = Field(
        default=None, ge=0, le=100_000, description="MLA decoupled RoPE width [-]"
    )
    v_head_dim: int | None = Field(default=None, ge=1, le=100_000, description="MLA value head width [-]")

    def dims(self) -> shapes.Dims:
        """The shape as integers; gating and tying as given, else nearest the declared count. [-]"""
        base = shapes.declared_dims(self)
        declared = self.params_b * 1e9 if self.params_b is not None else None
        return shapes.resolve_switches(base, declared, self.ffn_gated, self.tied_embeddings)

    def total_params(self) -> float:
        """All parameters, derived from the shape. [1]"""
        return shapes.total_params(self.dims())

    def active_params(self) -> float:
        """Parameters one token uses (MoE: top-k and shared experts), derived from the shape. [1]"""
        return shapes.active_params(self.dims())

    def model_flop_per_token(self) -> float:
        """Model FLOP per trained token at the training sequence length (3 x forward). [FLOP]"""
        return shapes.model_flop_per_token(self.dims(), self.seq_len)

    def declared_mismatch(self) -> dict[str, float]:
        """Derived / declared - 1 for each declared count (``params_b``, ``active_params_b``). [-]"""
        out: dict[str, float] = {}
        if self.params_b is not None:
            out["params_b"] = self.total_params() / (self.params_b * 1e9) - 1.0
        if self.active_params_b is not None:
            out["active_params_b"] = self.active_params() / (self.active_params_b * 1e9) - 1.0
        return out
