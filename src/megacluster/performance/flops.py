"""FLOP of a decoder-only transformer: model FLOP (for MFU) and hardware FLOP (with recompute). [FLOP]"""

from __future__ import annotations

import numpy as np

from megacluster.performance.layout import FloatArray
from megacluster.performance.spec import Geometry


def layer_forward_flop_per_token(g: Geometry) -> dict[str, float]:
    """Forward FLOP of one layer per token, by part (full, non-causal attention as in Megatron). [FLOP]"""
    h = g.hidden
    q = g.heads * g.head_dim
    kv = g.kv_heads * g.head_dim
    mats = 3 if g.gated else 2
    proj = 2.0 * h * (q + 2 * kv) + 2.0 * q * h
    core = 2.0 * 2.0 * g.seq * q  # QK^T and attention x V
    dense_ffn = 2.0 * mats * h * g.ffn
    ffn = 2.0 * g.top_k * mats * h * g.moe_ffn + 2.0 * h * g.experts if g.experts else dense_ffn
    return {"proj": proj, "core": core, "ffn": ffn}


def logits_forward_flop_per_token(g: Geometry) -> float:
    """Forward FLOP of the output (logit) layer per token. [FLOP]"""
    return 2.0 * g.hidden * g.vocab


def model_flop_per_step(g: Geometry, global_batch: FloatArray | float) -> FloatArray:
    """Model FLOP of one optimizer step: forward + backward, no recompute (the MFU convention). [FLOP]"""
    parts = layer_forward_flop_per_token(g)
    fwd = g.layers * sum(parts.values()) + logits_forward_flop_per_token(g)
    return np.atleast_1d(
        np.asarray(3.0 * fwd * np.asarray(global_batch, dtype=np.float64) * g.seq, dtype=np.float64)
    )


def hardware_flop_per_step(
    g: Geometry, global_batch: FloatArray | float, recompute: FloatArray | float
) -> FloatArray:
    """Hardware FLOP of a step: model FLOP + recomputed forward (full) or attention (selective). [FLOP]"""
    parts = layer_forward_flop_per_token(g)
    rc = np.asarray(recompute, dtype=np.float64)
    extra = np.where(
        rc >= 2, g.layers * sum(parts.values()), np.where(rc >= 1, g.layers * parts["core"], 0.0)
    )
    tokens = np.asarray(global_batch, dtype=np.float64) * g.seq
    return np.atleast_1d(model_flop_per_step(g, global_batch) + extra * tokens)


def narayanan_eq3_flop(batch: float, seq: int, layers: int, hidden: int, vocab: int) -> float:
    """Narayanan et al. 2021 Eq. 3: F = 96·B·s·l·h²·(1 + s/6h + V/16lh), full recompute included. [FLOP]"""
    return 96.0 * batch * seq * layers * hidden**2 * (1 + seq / (6 * hidden) + vocab / (16 * layers * hidden))
