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
    ep: int = Field(default=1, ge=1, le=100_000, description="Expert-parallel degree (within DP) [-]")
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
)


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

    @classmethod
    def build(cls, **columns: Any) -> Layout:
        """Layouts from scalars or arrays, broadcast to one length. [-]"""
        missing = [k for k in LAYOUT_KEYS if k not in columns]
        if missing:
            raise ValueError(f"layout columns missing: {missing}")
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

    def micro_batches(self) -> FloatArray:
        """Micro-batches per pipeline per step (a ragged last one counts whole). [1]"""
        return np.ceil(self.gb / (self.dp * self.mb) - 1e-9)
