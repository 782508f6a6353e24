"""The flat training spec: one field per column of the published-runs format, loading and checks. [-]"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from megacluster.catalog import accelerators, shapes
from megacluster.errors import InputError, input_error_from, read_text_file, unknown_choice_message
from megacluster.performance.layout import Fp8Recipe, MoeDispatcher, Recompute
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
    # shape extras: MoE and multi-head latent attention (DeepSeek-V2/V3)
    moe_shared_experts: int | None = Field(default=None, ge=0, le=1_000)
    moe_dense_layers: int | None = Field(default=None, ge=0, le=10_000)
    q_lora_rank: int | None = Field(default=None, ge=1, le=10_000_000)
    kv_lora_rank: int | None = Field(default=None, ge=1, le=10_000_000)
    qk_rope_dim: int | None = Field(default=None, ge=0, le=10_000_000)
    v_head_dim: int | None = Field(default=None, ge=1, le=10_000_000)
    # execution extras
    etp: int | None = Field(
        default=None, ge=1, le=10_000_000, description="Expert tensor-parallel degree [-]"
    )
    fp8_recipe: Fp8Recipe | None = None
    moe_overlap: bool | None = None
    moe_imbalance: float | None = Field(default=None, ge=1.0, le=100.0)
    cuda_graphs: bool | None = None
    tp_overlap: bool | None = None
    moe_dispatcher: MoeDispatcher | None = None
    moe_group_topk: int | None = Field(default=None, ge=1, le=10_000)

    def has_layout(self) -> bool:
        """Whether all four main parallel degrees are given. [-]"""
        return None not in (self.tp, self.pp, self.dp)


@dataclass(frozen=True, kw_only=True)
class Geometry(shapes.Dims):
    """A transformer's shape as the performance model reads it: the catalog's one model-shape type
    (:class:`megacluster.catalog.shapes.Dims`, whose parameter arithmetic it uses) with the sequence length
    and the MoE routing's group limit. [-]"""

    seq: int
    """Tokens per sequence. [1]"""
    group_topk: int = 0
    """A token's experts lie in at most this many expert groups (0: no limit). [1]"""

    @property
    def dims(self) -> shapes.Dims:
        """The shape as the catalog's parameter arithmetic takes it (a Geometry is one). [-]"""
        return self

    def params(self) -> float:
        """Total parameters. [1]"""
        return shapes.total_params(self)

    def active_params(self) -> float:
        """Parameters used per token (MoE: top-k and shared experts). [1]"""
        return shapes.active_params(self)


def count_params(g: Geometry, gated: bool, tied: bool) -> float:
    """Parameters of a decoder-only transformer with this shape and these switches. [1]"""
    return shapes.total_params(dataclasses.replace(g, gated=gated, tied=tied))


def geometry(spec: TrainingSpec) -> Geometry:
    """The spec's shape; gating and tying are inferred from params_b when not given. [-]"""
    base = shapes.declared_dims(spec)
    d = shapes.resolve_switches(base, spec.params_b * BILLION, spec.ffn_gated, spec.tied_embeddings)
    return Geometry(**dataclasses.asdict(d), seq=spec.seq_len, group_topk=spec.moe_group_topk or 0)


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
        etp = default_etp(tp, cp, spec.dp, ep, spec.etp)
        if (tp * cp * spec.dp) % (ep * etp):
            raise InputError(
                file,
                "ep",
                f"ep*etp = {ep}*{etp} must divide tp*cp*dp = {tp * cp * spec.dp} (MoE parallel folding)",
            )
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
    if spec.moe_ffn_hidden and spec.etp and spec.moe_ffn_hidden % spec.etp:
        raise InputError(
            file, "etp", f"moe_ffn_hidden ({spec.moe_ffn_hidden}) must be divisible by etp={spec.etp}"
        )
    if spec.moe_dense_layers and spec.moe_dense_layers >= spec.layers:
        raise InputError(file, "moe_dense_layers", f"must be below layers={spec.layers}")
    if (spec.kv_lora_rank is None) != (spec.qk_rope_dim is None):
        raise InputError(
            file, "kv_lora_rank", "multi-head latent attention needs kv_lora_rank and qk_rope_dim"
        )
    if spec.virtual_stages and spec.virtual_stages > 1 and pp * spec.virtual_stages > spec.layers:
        raise InputError(
            file,
            "virtual_stages",
            f"pp*virtual_stages={pp * spec.virtual_stages} exceeds layers={spec.layers}",
        )
    if spec.virtual_stages and spec.virtual_stages > 1 and pp == 1:
        raise InputError(file, "virtual_stages", "interleaving needs pp > 1")


def default_etp(tp: int, cp: int, dp: int, ep: int, etp: int | None) -> int:
    """Expert tensor-parallel degree: as given, else Megatron-Core's default (= tp) where the expert groups
    fit the attention ranks (ep x tp divides tp x cp x dp), else 1. [-]"""
    if etp is not None:
        return etp
    return tp if (cp * dp) % ep == 0 else 1


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
