"""FLOP of a decoder-only transformer: model FLOP (for MFU) and hardware FLOP (with recompute). [FLOP]

The per-token arithmetic is the catalog's (``catalog.shapes``), so a model's FLOP per token, parameter counts
and checkpoint size all follow from one shape.
"""

from __future__ import annotations

import numpy as np

from megacluster.catalog import shapes
from megacluster.performance.layout import FloatArray
from megacluster.performance.spec import Geometry


def layer_forward_flop_per_token(g: Geometry) -> dict[str, float]:
    """Forward FLOP of one layer per token, by part (full, non-causal attention as in Megatron); of a MoE
    layer when the model has experts. [FLOP]"""
    return shapes.layer_forward_flop_per_token(g.dims, g.seq, moe=bool(g.experts))


def logits_forward_flop_per_token(g: Geometry) -> float:
    """Forward FLOP of the output (logit) layer per token. [FLOP]"""
    return 2.0 * g.hidden * g.vocab


def model_flop_per_step(g: Geometry, global_batch: FloatArray | float) -> FloatArray:
    """Model FLOP of one optimizer step: forward + backward, no recompute (the MFU convention). [FLOP]"""
    per_token = shapes.model_flop_per_token(g.dims, g.seq)
    return np.atleast_1d(np.asarray(per_token * np.asarray(global_batch, dtype=np.float64) * g.seq))


def _forward_flop_of_layers(g: Geometry) -> tuple[float, float]:
    """Forward FLOP per token of all layers and of their attention cores. [FLOP]"""
    d = g.dims
    dense = shapes.layer_forward_flop_per_token(d, g.seq, moe=False)
    moe = shapes.layer_forward_flop_per_token(d, g.seq, moe=True) if d.moe_layers else dense
    n_dense = d.layers - d.moe_layers
    total = n_dense * sum(dense.values()) + d.moe_layers * sum(moe.values())
    return total, d.layers * dense["core"]


def hardware_flop_per_step(
    g: Geometry, global_batch: FloatArray | float, recompute: FloatArray | float
) -> FloatArray:
    """Hardware FLOP of a step: model FLOP + recomputed forward (full) or attention (selective). [FLOP]"""
    layers, core = _forward_flop_of_layers(g)
    rc = np.asarray(recompute, dtype=np.float64)
    extra = np.where(rc >= 2, layers, np.where(rc >= 1, core, 0.0))
    tokens = np.asarray(global_batch, dtype=np.float64) * g.seq
    return np.atleast_1d(model_flop_per_step(g, global_batch) + extra * tokens)


def narayanan_eq3_flop(batch: float, seq: int, layers: int, hidden: int, vocab: int) -> float:
    """Narayanan et al. 2021 Eq. 3: F = 96·B·s·l·h²·(1 + s/6h + V/16lh), full recompute included. [FLOP]"""
    return 96.0 * batch * seq * layers * hidden**2 * (1 + seq / (6 * hidden) + vocab / (16 * layers * hidden))
