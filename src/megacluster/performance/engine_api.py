"""What the simulation engine asks of the performance model: job throughput on the GPUs it holds. [FLOP/s]"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from megacluster.catalog import ModelShape
from megacluster.errors import InputError
from megacluster.performance.estimator import resolve
from megacluster.performance.layout import RECOMPUTE_CODES, Layout, ParallelLayout
from megacluster.performance.memory import checkpoint_bytes as checkpoint_size
from megacluster.performance.overlay import Overlay
from megacluster.performance.params import Hardware
from megacluster.performance.plan import fastest, search_space
from megacluster.performance.spec import Geometry, TrainingSpec, geometry
from megacluster.performance.step_time import evaluate
from megacluster.units import GIB


@dataclass(frozen=True, eq=False)
class JobPerformance:
    """A training job's performance on its parallel layout. Units in the names. [-]"""

    model_flop_per_s: float
    mfu: float
    layout: ParallelLayout
    checkpoint_bytes: float
    memory_per_gpu_gib: float
    replica_gpus: int
    step_time_s: float
    tokens_per_s: float
    job_gpus: int
    throughput_by_replicas: NDArray[np.float64] = field(repr=False)

    def model_flop_per_s_at(self, gpus: NDArray[Any]) -> NDArray[np.float64]:
        """Job throughput with only `gpus` GPUs: fewer data-parallel replicas, same global batch. [FLOP/s]"""
        g = np.asarray(gpus, dtype=np.float64)
        replicas = np.floor(np.maximum(g, 0.0) / self.replica_gpus).astype(np.int64)
        replicas = np.minimum(replicas, self.throughput_by_replicas.shape[0] - 1)
        return np.asarray(self.throughput_by_replicas[replicas], dtype=np.float64)


def spec_for_model(
    shape: ModelShape, accelerator_id: str, job_gpus: int, global_batch: int, precision: str
) -> TrainingSpec:
    """A flat spec of a catalog model without a layout; the shape's parameter count is derived from it. [-]"""
    d = shape.dims()
    return TrainingSpec(
        id=shape.id,
        model=shape.name,
        params_b=shape.total_params() / 1e9,
        layers=shape.layers,
        hidden=shape.hidden,
        heads=shape.heads,
        kv_heads=shape.kv_heads,
        ffn_hidden=shape.ffn_hidden,
        seq_len=shape.seq_len,
        vocab=shape.vocab,
        moe_experts=shape.moe_experts,
        moe_top_k=shape.moe_top_k,
        moe_ffn_hidden=shape.moe_ffn_hidden,
        head_dim=shape.head_dim,
        ffn_gated=d.gated,
        tied_embeddings=d.tied,
        moe_shared_experts=shape.moe_shared_experts,
        moe_dense_layers=shape.moe_dense_layers,
        q_lora_rank=shape.q_lora_rank,
        kv_lora_rank=shape.kv_lora_rank,
        qk_rope_dim=shape.qk_rope_dim,
        v_head_dim=shape.v_head_dim,
        gpu=accelerator_id,
        gpus=job_gpus,
        global_batch=global_batch,
        precision=precision,
    )


def _given_layout(
    g: Geometry, hw: Hardware, layout: ParallelLayout, job_gpus: int, global_batch: int
) -> Layout:
    """A scenario's layout as a one-element Layout (checked; blanks derived). [-]"""
    tp, pp, cp = layout.tp, layout.pp, layout.cp
    replica = layout.replica_gpus()
    if replica > job_gpus:
        raise InputError(None, "layout", f"tp*pp*cp = {replica} exceeds the job's {job_gpus} GPUs")
    if g.heads % tp:
        raise InputError(None, "layout.tp", f"attention heads ({g.heads}) must be divisible by tp={tp}")
    if pp > g.layers:
        raise InputError(None, "layout.pp", f"pipeline stages ({pp}) exceed the layers ({g.layers})")
    zero = layout.zero_stage
    return Layout.build(
        tp=tp,
        pp=pp,
        dp=layout.dp if layout.dp is not None else job_gpus // replica,
        cp=cp,
        ep=layout.ep,
        v=layout.virtual_stages,
        mb=layout.micro_batch,
        gb=global_batch,
        recompute=RECOMPUTE_CODES[layout.recompute.value],
        sp=float(layout.sequence_parallel if layout.sequence_parallel is not None else tp > 1),
        zero=zero,
        dp_overlap=float(layout.dp_overlap if layout.dp_overlap is not None else zero >= 1),
        fused=float(hw.fused_attention),
        etp=layout.etp,
    )


def job_performance(
    shape: ModelShape,
    accelerator_id: str,
    job_gpus: int,
    global_batch: int,
    precision: str,
    layout: ParallelLayout | None = None,
    overlay: Overlay | None = None,
) -> JobPerformance:
    """Throughput, MFU, memory and checkpoint size of a job; layout None = the best planned layout; a
    calibration overlay replaces catalog efficiencies. [-]"""
    if job_gpus < 1:
        raise InputError(None, "job_gpus", "must be >= 1")
    spec = spec_for_model(shape, accelerator_id, job_gpus, global_batch, precision)
    g, hw = resolve(spec, None, overlay)
    if hw.gemm_peak_flop_s(precision) <= 0:
        raise InputError(None, "precision", f"{accelerator_id} has no {precision} peak; valid: bf16, fp16")
    if layout is None:
        space = search_space(g, hw, job_gpus, global_batch, ragged=True)
        best = fastest(g, hw, space, precision)
        if best.size == 0:
            raise InputError(None, "job_gpus", f"no layout of {shape.id} fits in {accelerator_id} memory")
        chosen = space.take(best[:1])
    else:
        chosen = _given_layout(g, hw, layout, job_gpus, global_batch)
    row = chosen.row(0)
    replica = row["tp"] * row["pp"] * row["cp"]
    dp_job = row["dp"]
    # throughput for every number of replicas 0..dp_job, made non-decreasing
    reps = np.arange(1, dp_job + 1, dtype=np.float64)
    cols = {k: np.full(dp_job, float(v)) for k, v in row.items()}
    cols["dp"] = reps
    lay_all = Layout.build(**{**cols, "ep": np.minimum(cols["ep"], reps)})
    res = evaluate(g, hw, lay_all, precision)
    flop_s = res["model_flop"] / res["step_time_s"]
    table = np.concatenate([[0.0], np.maximum.accumulate(flop_s)])
    job = evaluate(g, hw, chosen, precision)
    job_flop_s = float(table[-1])
    peak = hw.gemm_peak_flop_s(precision)
    return JobPerformance(
        model_flop_per_s=job_flop_s,
        mfu=job_flop_s / (job_gpus * peak),
        layout=ParallelLayout.from_row({**row, "dp": dp_job}),
        checkpoint_bytes=checkpoint_size(g),
        memory_per_gpu_gib=float(job["memory_bytes"][0] / GIB),
        replica_gpus=replica,
        step_time_s=float(job["step_time_s"][0]),
        tokens_per_s=float(job["tokens_per_s"][0]),
        job_gpus=job_gpus,
        throughput_by_replicas=table,
    )


def geometry_of(shape: ModelShape) -> Geometry:
    """The inferred geometry of a catalog model shape. [-]"""
    return geometry(spec_for_model(shape, "h100-sxm", 8, 8, "bf16"))
