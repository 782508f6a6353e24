"""A Geometry from its main fields given in one fixed order, for tests that list many shapes in a row."""

from __future__ import annotations

from megacluster.performance.spec import Geometry


def shape_of(
    layers: int, hidden: int, heads: int, kv_heads: int, head_dim: int, ffn: int, gated: bool, seq: int,
    vocab: int, experts: int, top_k: int, moe_ffn: int, tied: bool,
) -> Geometry:  # fmt: skip
    """The Geometry with these fields (the rest at their defaults). [-]"""
    return Geometry(
        layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads, head_dim=head_dim, ffn=ffn, gated=gated,
        seq=seq, vocab=vocab, experts=experts, top_k=top_k, moe_ffn=moe_ffn, tied=tied,
    )  # fmt: skip
