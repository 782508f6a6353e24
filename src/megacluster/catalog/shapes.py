"""Parameter counts and model FLOP of a decoder-only transformer, derived from its shape: the one place where
a shape becomes a number of parameters. [1, FLOP]

Parts: attention (grouped-query, or DeepSeek's multi-head latent attention when ``kv_lora_rank`` is set), the
feed-forward network (dense, gated or not; or routed experts with shared experts and a router), two norms per
layer, and the embedding and output matrices (tied or not). A mixture-of-experts model may keep its first
``dense_layers`` layers dense (DeepSeek-V3: 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Dims:
    """The integers of a shape (0 for an absent part) and its two switches. [-]"""

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    gated: bool
    vocab: int
    tied: bool
    experts: int = 0
    top_k: int = 0
    moe_ffn: int = 0
    shared_experts: int = 0
    dense_layers: int = 0
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_rope_dim: int = 0
    v_head_dim: int = 0

    @property
    def mla(self) -> bool:
        """Whether attention is multi-head latent attention (DeepSeek-V2/V3). [-]"""
        return self.kv_lora_rank > 0

    @property
    def qk_dim(self) -> int:
        """Width of one query/key head: head_dim, plus the decoupled RoPE part under MLA. [1]"""
        return self.head_dim + (self.qk_rope_dim if self.mla else 0)

    @property
    def v_dim(self) -> int:
        """Width of one value head. [1]"""
        return self.v_head_dim if self.mla and self.v_head_dim else self.head_dim

    @property
    def moe_layers(self) -> int:
        """Layers whose FFN is a mixture of experts. [1]"""
        return max(self.layers - self.dense_layers, 0) if self.experts else 0


def attention_matrices(d: Dims) -> list[tuple[int, int]]:
    """(in, out) widths of every projection matrix of one attention block. [1]"""
    h, a = d.hidden, d.heads
    if d.mla:
        q = [(h, d.q_lora_rank), (d.q_lora_rank, a * d.qk_dim)] if d.q_lora_rank else [(h, a * d.qk_dim)]
        kv = [(h, d.kv_lora_rank + d.qk_rope_dim), (d.kv_lora_rank, a * (d.head_dim + d.v_dim))]
        return [*q, *kv, (a * d.v_dim, h)]
    width_q, width_kv = a * d.head_dim, d.kv_heads * d.head_dim
    return [(h, width_q + 2 * width_kv), (width_q, h)]


def attention_splits(d: Dims) -> list[tuple[int, int, str | None]]:
    """(in, out, tensor-parallel split) of every projection matrix of one attention block: head-sharded
    matrices split their output ('out', column-parallel) or input ('in', row-parallel); MLA's down-projections
    to the latent ranks are replicated (None). [1]"""
    mats = attention_matrices(d)
    if not d.mla:
        return [(mats[0][0], mats[0][1], "out"), (mats[1][0], mats[1][1], "in")]
    out: list[tuple[int, int, str | None]] = []
    for i, o in mats[:-1]:
        out.append((i, o, None if i == d.hidden else "out"))
    out.append((mats[-1][0], mats[-1][1], "in"))
    return out


def attention_params(d: Dims) -> float:
    """Parameters of one attention block (projections; MLA adds its two latent norms). [1]"""
    mats = sum(i * o for i, o in attention_matrices(d))
    return float(mats + (d.q_lora_rank + d.kv_lora_rank if d.mla else 0))


def ffn_mats(d: Dims) -> int:
    """Matrices of one FFN: 3 gated (SwiGLU), 2 otherwise. [1]"""
    return 3 if d.gated else 2


def dense_ffn_params(d: Dims) -> float:
    """Parameters of one dense FFN. [1]"""
    return float(ffn_mats(d) * d.hidden * d.ffn)


def expert_params(d: Dims) -> float:
    """Parameters of one expert. [1]"""
    return float(ffn_mats(d) * d.hidden * d.moe_ffn)


def moe_layer_params(d: Dims) -> tuple[float, float]:
    """Parameters of one MoE FFN: (router + shared experts, routed experts). [1]"""
    return float(d.hidden * d.experts) + d.shared_experts * expert_params(d), d.experts * expert_params(d)


def embedding_params(d: Dims) -> float:
    """Input embedding plus output matrix (one matrix when tied). [1]"""
    return float(d.vocab * d.hidden * (1 if d.tied else 2))


def total_params(d: Dims) -> float:
    """All parameters. [1]"""
    per_layer = attention_params(d) + 2.0 * d.hidden
    shared, routed = moe_layer_params(d)
    dense = d.layers - d.moe_layers
    return (
        d.layers * per_layer
        + dense * dense_ffn_params(d)
        + d.moe_layers * (shared + routed)
        + (embedding_params(d))
    )


def active_params(d: Dims) -> float:
    """Parameters one token uses: all but the routed experts it is not sent to. [1]"""
    return total_params(d) - d.moe_layers * (d.experts - d.top_k) * expert_params(d)


def layer_forward_flop_per_token(d: Dims, seq: int, moe: bool) -> dict[str, float]:
    """Forward FLOP of one layer per token by part: projections, attention core (full, non-causal, the
    Megatron convention), FFN (top-k experts, shared experts and router when ``moe``). [FLOP]"""
    proj = 2.0 * sum(i * o for i, o in attention_matrices(d))
    core = 2.0 * seq * d.heads * (d.qk_dim + d.v_dim)  # QK^T and attention x V
    if moe:
        ffn = 2.0 * (d.top_k + d.shared_experts) * expert_params(d) + 2.0 * d.hidden * d.experts
    else:
        ffn = 2.0 * dense_ffn_params(d)
    return {"proj": proj, "core": core, "ffn": ffn}


def model_flop_per_token(d: Dims, seq: int) -> float:
    """Model FLOP per token (forward + backward = 3 x forward, no recompute: the MFU convention). [FLOP]"""
    dense_layers = d.layers - d.moe_layers
    dense = sum(layer_forward_flop_per_token(d, seq, moe=False).values())
    moe = sum(layer_forward_flop_per_token(d, seq, moe=True).values()) if d.moe_layers else 0.0
    logits = 2.0 * d.hidden * d.vocab
    return 3.0 * (dense_layers * dense + d.moe_layers * moe + logits)


class ShapeFields(Protocol):
    """The shape fields a catalog model and a training spec both declare, read-only (None: not given)."""

    @property
    def layers(self) -> int: ...

    @property
    def hidden(self) -> int: ...

    @property
    def heads(self) -> int: ...

    @property
    def kv_heads(self) -> int | None: ...

    @property
    def head_dim(self) -> int | None: ...

    @property
    def ffn_hidden(self) -> int: ...

    @property
    def vocab(self) -> int: ...

    @property
    def moe_experts(self) -> int | None: ...

    @property
    def moe_top_k(self) -> int | None: ...

    @property
    def moe_ffn_hidden(self) -> int | None: ...

    @property
    def moe_shared_experts(self) -> int | None: ...

    @property
    def moe_dense_layers(self) -> int | None: ...

    @property
    def q_lora_rank(self) -> int | None: ...

    @property
    def kv_lora_rank(self) -> int | None: ...

    @property
    def qk_rope_dim(self) -> int | None: ...

    @property
    def v_head_dim(self) -> int | None: ...


def declared_dims(src: ShapeFields) -> Dims:
    """The integers of a declared shape, with the defaults of the parts not given (gating and tying off:
    :func:`resolve_switches` decides them). [-]"""
    return Dims(
        layers=src.layers,
        hidden=src.hidden,
        heads=src.heads,
        kv_heads=src.kv_heads or src.heads,
        head_dim=src.head_dim or max(1, src.hidden // src.heads),
        ffn=src.ffn_hidden,
        gated=False,
        vocab=src.vocab,
        tied=False,
        experts=src.moe_experts or 0,
        top_k=src.moe_top_k or (1 if src.moe_experts else 0),
        moe_ffn=src.moe_ffn_hidden or src.ffn_hidden,
        shared_experts=src.moe_shared_experts or 0,
        dense_layers=src.moe_dense_layers or 0,
        q_lora_rank=src.q_lora_rank or 0,
        kv_lora_rank=src.kv_lora_rank or 0,
        qk_rope_dim=src.qk_rope_dim or 0,
        v_head_dim=src.v_head_dim or 0,
    )


def resolve_switches(
    base: Dims, declared_params: float | None, gated: bool | None, tied: bool | None
) -> Dims:
    """The shape with FFN gating and embedding tying set: as given, else the combination whose parameter count
    is nearest the declared one, else neither (a plain GPT FFN, untied). [-]"""
    gateds = [gated] if gated is not None else [False, True]
    tieds = [tied] if tied is not None else [True, False]
    if declared_params is None:
        return Dims(**{**base.__dict__, "gated": gateds[0], "tied": tieds[-1]})

    def error(switches: tuple[bool, bool]) -> float:
        trial = Dims(**{**base.__dict__, "gated": switches[0], "tied": switches[1]})
        return abs(total_params(trial) - float(declared_params or 0.0))

    best = min(((g, t) for g in gateds for t in tieds), key=error)
    return Dims(**{**base.__dict__, "gated": best[0], "tied": best[1]})
