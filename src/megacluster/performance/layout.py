"""Arrays of parallel layouts: one element per configuration. [-]"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
