"""Parallel layouts: the one typed layout (:class:`ParallelLayout`, as scenarios, specs and results give it)
and arrays of layouts for the vectorised model (:class:`Layout`, one element per configuration). [-]"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from megacluster.units import Frozen


class Recompute(enum.StrEnum):
    """Activation recomputation."""

    NONE = "none"
    SELECTIVE = "selective"
    FULL = "full"


class Fp8Recipe(enum.StrEnum):
    """How FP8 GEMM operands are scaled (Transformer Engine / torchao recipes)."""

    TENSORWISE = "tensorwise"
    """One scale per tensor, delayed (amax history) or current scaling; Hopper's native FP8."""
    BLOCKWISE = "blockwise"
    """1x128 activation and 128x128 weight blocks (DeepSeek-V3); on Hopper the scales are applied on CUDA
    cores after each tile."""
    MXFP8 = "mxfp8"
    """1x32 blocks with E8M0 scales (OCP MX), applied inside Blackwell's tensor cores."""


class MoeDispatcher(enum.StrEnum):
    """How MoE tokens reach their experts."""

    ALLTOALL = "alltoall"
    """NCCL all-to-all (Megatron's alltoall dispatcher): one BF16 copy per routed expert, explicit global and
    local permutations around it."""
    DEEPEP = "deepep"
    """DeepEP/HybridEP-class kernels (Megatron's flex dispatcher): one copy per destination scale-up domain,
    forwarded inside it over NVLink, permutation fused into the kernels, FP8 dispatch with the blockwise
    recipe."""


RECOMPUTE_CODES: dict[str, int] = {"none": 0, "selective": 1, "full": 2}
"""Integer codes of :class:`Recompute` in the layout arrays. [-]"""
RECOMPUTE_NAMES = {v: k for k, v in RECOMPUTE_CODES.items()}


class ParallelLayout(Frozen):
    """A training job's parallel layout: replicas of ``tp x pp x cp`` GPUs, ``dp`` of them.

    As a scenario gives it, ``dp``, ``global_batch``, ``sequence_parallel``, ``dp_overlap`` and
    ``fused_attention`` may be left out (the model derives them); as results give it, every field is set.
    """

    tp: int = Field(default=1, ge=1, le=100_000, description="Tensor-parallel degree [-]")
    pp: int = Field(default=1, ge=1, le=100_000, description="Pipeline-parallel degree [-]")
    dp: int | None = Field(default=None, ge=1, le=10_000_000, description="Data-parallel replicas [-]")
    cp: int = Field(default=1, ge=1, le=100_000, description="Context-parallel degree [-]")
    ep: int = Field(default=1, ge=1, le=100_000, description="Expert-parallel degree [-]")
    etp: int | None = Field(
        default=None, ge=1, le=100_000, description="Expert tensor-parallel degree (default: derived) [-]"
    )
    virtual_stages: int = Field(default=1, ge=1, le=10_000, description="Interleaved chunks per stage [-]")
    micro_batch: int = Field(default=1, ge=1, le=1_000_000, description="Sequences per micro-batch [-]")
    global_batch: int | None = Field(
        default=None, ge=1, le=10_000_000, description="Sequences per optimizer step [-]"
    )
    recompute: Recompute = Field(default=Recompute.SELECTIVE, description="Activation recomputation")
    sequence_parallel: bool | None = Field(default=None, description="Sequence parallelism with TP")
    zero_stage: int = Field(default=1, ge=0, le=3, description="ZeRO stage of optimizer sharding [-]")
    dp_overlap: bool | None = Field(default=None, description="Overlap data-parallel collectives")
    fused_attention: bool | None = Field(default=None, description="FlashAttention-class kernels")

    def replica_gpus(self) -> int:
        """GPUs in one data-parallel replica: tp x pp x cp. [-]"""
        return self.tp * self.pp * self.cp

    @classmethod
    def from_row(cls, row: dict[str, int]) -> ParallelLayout:
        """A resolved layout from one row of integer codes of :class:`Layout`. [-]"""
        return cls(
            tp=row["tp"],
            pp=row["pp"],
            dp=row["dp"],
            cp=row["cp"],
            ep=row["ep"],
            etp=row["etp"] if row.get("etp") is not None and row["ep"] > 1 else None,
            virtual_stages=row["v"],
            micro_batch=row["mb"],
            global_batch=row["gb"],
            recompute=Recompute(RECOMPUTE_NAMES[row["recompute"]]),
            sequence_parallel=bool(row["sp"]),
            zero_stage=row["zero"],
            dp_overlap=bool(row["dp_overlap"]),
            fused_attention=bool(row["fused"]),
        )


FloatArray = NDArray[np.float64]
Num = FloatArray | float  # an array of configurations, or one value for all of them

LAYOUT_KEYS = (
    "tp",
    "pp",
    "dp",
    "cp",
    "ep",
    "v",
    "mb",
    "gb",
    "recompute",
    "sp",
    "zero",
    "dp_overlap",
    "fused",
    "etp",
)
"""Columns of :class:`Layout`; ``etp`` may be left out of :meth:`Layout.build` (then derived)."""


@dataclass(frozen=True)
class Layout:
    """Parallel layouts as float arrays of equal length (codes: recompute 0 none/1 selective/2 full). [-]"""

    tp: FloatArray
    pp: FloatArray
    dp: FloatArray
    cp: FloatArray
    ep: FloatArray
    v: FloatArray
    mb: FloatArray
    gb: FloatArray
    recompute: FloatArray
    sp: FloatArray
    zero: FloatArray
    dp_overlap: FloatArray
    fused: FloatArray
    etp: FloatArray

    @classmethod
    def build(cls, **columns: Any) -> Layout:
        """Layouts from scalars or arrays, broadcast to one length; ``etp`` left out = the default
        (Megatron-Core: = tp where ep x tp divides tp x cp x dp, else 1). [-]"""
        missing = [k for k in LAYOUT_KEYS if k not in columns and k != "etp"]
        if missing:
            raise ValueError(f"layout columns missing: {missing}")
        if columns.get("etp") is None:
            tp, cp, dp, ep = (np.asarray(columns[k], dtype=np.float64) for k in ("tp", "cp", "dp", "ep"))
            columns = {**columns, "etp": np.where(np.mod(cp * dp, ep) == 0, tp, 1.0)}
        arrays = np.broadcast_arrays(
            *[np.atleast_1d(np.asarray(columns[k], dtype=np.float64)) for k in LAYOUT_KEYS]
        )
        return cls(**{k: np.ascontiguousarray(a) for k, a in zip(LAYOUT_KEYS, arrays, strict=True)})

    def __len__(self) -> int:
        """Number of configurations. [1]"""
        return int(self.tp.shape[0])

    def take(self, index: NDArray[np.intp] | slice) -> Layout:
        """A subset of the configurations. [-]"""
        return Layout(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def row(self, i: int) -> dict[str, int]:
        """Configuration i as a dict of integers. [-]"""
        return {f.name: int(getattr(self, f.name)[i]) for f in fields(self)}

    def gpus(self) -> FloatArray:
        """GPUs per configuration. [1]"""
        return self.tp * self.pp * self.dp * self.cp

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()`` once per key for these layouts (a cache beside the frozen fields). [-]"""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def micro_batches(self) -> FloatArray:
        """Micro-batches per pipeline per step (a ragged last one counts whole); computed once. [1]"""
        cached = self.__dict__.get("_micro_batches")
        if cached is None:
            cached = np.ceil(self.gb / (self.dp * self.mb) - 1e-9)
            self.__dict__["_micro_batches"] = cached  # a cache, not a field: the dataclass stays frozen
        return cached


@dataclass(frozen=True)
class Execution:
    """How the software runs every layout of a batch: precision and FP8 recipe, MoE routing balance and
    all-to-all overlap, CUDA graphs, tensor-parallel communication overlapped with GEMMs (userbuffers). None =
    the accelerator's default recipe. [-]"""

    precision: str = "bf16"
    fp8_recipe: Fp8Recipe | None = None
    moe_imbalance: float | None = None
    moe_overlap: bool = False
    cuda_graphs: bool = False
    tp_overlap: bool = False
    moe_dispatcher: MoeDispatcher = MoeDispatcher.DEEPEP
