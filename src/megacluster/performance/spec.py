"""The flat training spec: one field per column of the published-runs format, loading and checks. [-]"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from megacluster.catalog import accelerators
from megacluster.errors import InputError, input_error_from, read_text_file, unknown_choice_message
from megacluster.performance.layout import Recompute
from megacluster.units import BILLION, Precision


class TrainingSpec(BaseModel):
    """One training configuration; blank (None) knobs are chosen by the model. Units in the names. [-]"""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str = "spec"
    source: str = ""
    model: str = ""
    params_b: float = Field(gt=0, le=1e5, description="Total parameters (MoE: total). [1e9]")
    layers: int = Field(ge=1, le=10_000)
    hidden: int = Field(ge=1, le=1_000_000)
    heads: int = Field(ge=1, le=10_000)
    kv_heads: int | None = Field(default=None, ge=1, le=10_000)
    ffn_hidden: int = Field(ge=1, le=10_000_000)
    seq_len: int = Field(ge=1, le=10_000_000, description="Sequence length. [tokens]")
    vocab: int = Field(ge=1, le=10_000_000)
    moe_experts: int | None = Field(default=None, ge=1, le=10_000_000)
    moe_top_k: int | None = Field(default=None, ge=1, le=10_000_000)
    moe_ffn_hidden: int | None = Field(default=None, ge=1, le=10_000_000)
    gpu: str
    gpus: int = Field(ge=1, le=10_000_000)
    tp: int | None = Field(default=None, ge=1, le=10_000_000)
    pp: int | None = Field(default=None, ge=1, le=10_000_000)
    dp: int | None = Field(default=None, ge=1, le=10_000_000)
    cp: int | None = Field(default=None, ge=1, le=10_000_000)
    ep: int | None = Field(default=None, ge=1, le=10_000_000)
    virtual_stages: int | None = Field(default=None, ge=1, le=10_000_000)
    micro_batch: int | None = Field(default=None, ge=1, le=10_000_000)
    global_batch: int = Field(ge=1, le=10_000_000, description="Sequences per optimizer step. [sequences]")
    recompute: Recompute | None = None
    sequence_parallel: bool | None = None
    zero_stage: int | None = Field(default=None, ge=0, le=3)
    precision: Precision = Precision.BF16
    measured_step_time_s: float | None = Field(default=None, gt=0)
    derivation: str = ""
    # optional extras (not columns of the published format)
    network: str | None = None
    head_dim: int | None = Field(default=None, ge=1, le=10_000_000)
    ffn_gated: bool | None = None
    tied_embeddings: bool | None = None
    fused_attention: bool | None = None
    dp_overlap: bool | None = None
    scaleout_gb_s_per_gpu: float | None = Field(default=None, gt=0)

    def has_layout(self) -> bool:
        """Whether all four main parallel degrees are given. [-]"""
        return None not in (self.tp, self.pp, self.dp)


@dataclass(frozen=True)
class Geometry:
    """A transformer's shape with the inferred details (head width, gating, embedding tying). [-]"""

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    gated: bool
    seq: int
    vocab: int
    experts: int
    top_k: int
    moe_ffn: int
    tied: bool

    def params(self) -> float:
        """Total parameters. [1]"""
        return count_params(self, self.gated, self.tied)

    def active_params(self) -> float:
        """Parameters used per token (MoE: top-k experts). [1]"""
        if self.experts == 0:
            return self.params()
        mats = 3 if self.gated else 2
        per_layer_inactive = (self.experts - self.top_k) * mats * self.hidden * self.moe_ffn
        return self.params() - self.layers * per_layer_inactive


def count_params(g: Geometry, gated: bool, tied: bool) -> float:
    """Parameters of a decoder-only transformer with this shape. [1]"""
    h = g.hidden
    q = g.heads * g.head_dim
    kv = g.kv_heads * g.head_dim
    attn = h * (q + 2 * kv) + q * h
    mats = 3 if gated else 2
    ffn = g.experts * mats * h * g.moe_ffn + h * g.experts if g.experts else mats * h * g.ffn
    embed = g.vocab * h * (1 if tied else 2)
    return float(g.layers * (attn + ffn + 2 * h) + embed)


def geometry(spec: TrainingSpec) -> Geometry:
    """The spec's shape; gating and tying are inferred from params_b when not given. [-]"""
    base = Geometry(
        layers=spec.layers,
        hidden=spec.hidden,
        heads=spec.heads,
        kv_heads=spec.kv_heads or spec.heads,
        head_dim=spec.head_dim or max(1, spec.hidden // spec.heads),
        ffn=spec.ffn_hidden,
        gated=False,
        seq=spec.seq_len,
        vocab=spec.vocab,
        experts=spec.moe_experts or 0,
        top_k=spec.moe_top_k or (1 if spec.moe_experts else 0),
        moe_ffn=spec.moe_ffn_hidden or spec.ffn_hidden,
        tied=False,
    )
    target = spec.params_b * BILLION
    best: tuple[float, bool, bool] | None = None
    for gated in [spec.ffn_gated] if spec.ffn_gated is not None else [False, True]:
        for tied in [spec.tied_embeddings] if spec.tied_embeddings is not None else [True, False]:
            err = abs(count_params(base, gated, tied) - target)
            if best is None or err < best[0]:
                best = (err, gated, tied)
    if best is None:  # pragma: no cover - the loops always run
        raise InputError(None, "params_b", "could not infer the FFN type")
    return Geometry(**{**base.__dict__, "gated": best[1], "tied": best[2]})


def check_spec(spec: TrainingSpec, file: str | None = None, need_layout: bool = True) -> None:
    """Raise InputError naming the field when a spec is inconsistent. [-]"""
    accs = accelerators()
    if spec.gpu not in accs:
        raise InputError(file, "gpu", unknown_choice_message("accelerator", spec.gpu, accs))
    if spec.precision == "fp8" and accs[spec.gpu].fp8_dense_tflops is None:
        raise InputError(file, "precision", f"{spec.gpu} has no fp8 peak; valid: bf16, fp16")
    kv = spec.kv_heads or spec.heads
    if spec.heads % kv:
        raise InputError(file, "kv_heads", f"must divide heads={spec.heads}, got {kv}")
    if (spec.moe_experts is None) != (spec.moe_top_k is None):
        raise InputError(file, "moe_top_k", "give both moe_experts and moe_top_k, or neither")
    if spec.moe_experts and spec.moe_top_k and spec.moe_top_k > spec.moe_experts:
        raise InputError(file, "moe_top_k", f"must be <= moe_experts={spec.moe_experts}")
    if need_layout and not spec.has_layout():
        missing = [n for n in ("tp", "pp", "dp") if getattr(spec, n) is None]
        raise InputError(file, missing[0], "a parallel degree is required here (use `plan` to search)")
    tp, pp, cp, ep = spec.tp or 1, spec.pp or 1, spec.cp or 1, spec.ep or 1
    if spec.heads % tp:
        raise InputError(file, "tp", f"attention heads ({spec.heads}) must be divisible by tp={tp}")
    if pp > spec.layers:
        raise InputError(file, "pp", f"pipeline stages ({pp}) exceed the layers ({spec.layers})")
    if spec.seq_len % cp:
        raise InputError(file, "cp", f"seq_len ({spec.seq_len}) must be divisible by cp={cp}")
    if spec.dp is not None:
        if tp * pp * spec.dp * cp != spec.gpus:
            raise InputError(
                file,
                "gpus",
                f"tp*pp*dp*cp = {tp}*{pp}*{spec.dp}*{cp} = {tp * pp * spec.dp * cp} != gpus={spec.gpus}",
            )
        if spec.dp % ep:
            raise InputError(file, "ep", f"ep={ep} must divide dp={spec.dp}")
        mb = spec.micro_batch or 1
        if spec.global_batch % (spec.dp * mb):
            raise InputError(
                file,
                "global_batch",
                f"{spec.global_batch} is not divisible by dp*micro_batch = {spec.dp * mb}",
            )
    elif spec.gpus % (tp * pp * cp):
        raise InputError(file, "gpus", f"gpus={spec.gpus} is not divisible by tp*pp*cp={tp * pp * cp}")
    if ep > 1 and not spec.moe_experts:
        raise InputError(file, "ep", "expert parallelism needs moe_experts")
    if spec.moe_experts and spec.moe_experts % ep:
        raise InputError(file, "ep", f"moe_experts ({spec.moe_experts}) must be divisible by ep={ep}")
    if spec.virtual_stages and spec.virtual_stages > 1 and pp * spec.virtual_stages > spec.layers:
        raise InputError(
            file,
            "virtual_stages",
            f"pp*virtual_stages={pp * spec.virtual_stages} exceeds layers={spec.layers}",
        )
    if spec.virtual_stages and spec.virtual_stages > 1 and pp == 1:
        raise InputError(file, "virtual_stages", "interleaving needs pp > 1")


def spec_from_mapping(
    data: dict[str, Any], file: str | None = None, need_layout: bool = True
) -> TrainingSpec:
    """A checked TrainingSpec from a flat mapping (TOML table or CSV row); blanks become None. [-]"""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
            if key == "sequence_parallel":
                if value.lower() not in ("true", "false"):
                    raise InputError(file, key, f"expected true or false, got '{value}'")
                value = value.lower() == "true"
        clean[key] = value
    try:
        spec = TrainingSpec.model_validate(clean)
    except ValidationError as exc:
        raise input_error_from(exc, file, TrainingSpec) from None
    check_spec(spec, file, need_layout=need_layout)
    return spec


def load_spec(path: str | Path, need_layout: bool = False) -> TrainingSpec:
    """Load a flat SPEC.toml (keys = published-runs columns). [-]"""
    p = Path(path)
    try:
        data = tomllib.loads(read_text_file(p, "training spec (TOML)"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(p), None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(str(p), None, "nested too deeply; a SPEC.toml is flat") from None
    nested = [k for k, v in data.items() if isinstance(v, dict)]
    if nested:
        raise InputError(str(p), nested[0], "a SPEC.toml is flat: one key per column, no tables")
    return spec_from_mapping(data, str(p), need_layout=need_layout)
