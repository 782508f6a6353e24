"""One configuration: fill the unpublished knobs, evaluate, and report. [-]"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from megacluster.performance.layout import RECOMPUTE_CODES, Execution, Layout, MoeDispatcher, ParallelLayout
from megacluster.performance.overlay import Overlay
from megacluster.performance.params import Hardware, hardware
from megacluster.performance.spec import Geometry, TrainingSpec, check_spec, default_etp, geometry
from megacluster.performance.step_time import BREAKDOWN_KEYS, evaluate
from megacluster.units import GIB, Precision

MEMORY_KINDS = ("weights", "grads", "optimizer", "activations", "workspace")


@dataclass(frozen=True)
class Estimate:
    """Predicted performance of one configuration; units in the names, breakdown in seconds. [s]"""

    step_time_s: float
    tokens_per_s: float
    tflops_per_gpu: float
    mfu: float
    memory_per_gpu_gib: float
    fits: bool
    breakdown: dict[str, float]
    layout: ParallelLayout
    chosen: dict[str, Any] = field(default_factory=dict)
    hfu: float = 0.0
    memory_gib: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the figures, the step's terms (seconds and share of the step; they add up to the
        step time) and the memory by kind. [-]"""
        return {
            "step_time_s": self.step_time_s,
            "tokens_per_s": self.tokens_per_s,
            "tflops_per_gpu": self.tflops_per_gpu,
            "mfu": self.mfu,
            "memory_per_gpu_gib": self.memory_per_gpu_gib,
            "fits": self.fits,
            "breakdown": self.breakdown,
            "breakdown_share": {k: v / self.step_time_s for k, v in self.breakdown.items()},
            "layout": self.layout.model_dump(mode="json"),
            "chosen_defaults": self.chosen,
            "hfu": self.hfu,
            "memory_gib": self.memory_gib,
        }


def estimate_from_arrays(out: dict[str, np.ndarray], lay: Layout, i: int, chosen: dict[str, Any]) -> Estimate:
    """The Estimate of configuration i of an evaluated batch. [-]"""
    return Estimate(
        step_time_s=float(out["step_time_s"][i]),
        tokens_per_s=float(out["tokens_per_s"][i]),
        tflops_per_gpu=float(out["tflops_per_gpu"][i]),
        mfu=float(out["mfu"][i]),
        memory_per_gpu_gib=float(out["memory_bytes"][i] / GIB),
        fits=bool(out["fits"][i] > 0),
        breakdown={k: float(out[k][i]) for k in BREAKDOWN_KEYS},
        layout=ParallelLayout.from_row(lay.row(i)),
        chosen=chosen,
        hfu=float(out["hfu"][i]),
        memory_gib={k: float(out[f"memory_{k}_bytes"][i] / GIB) for k in MEMORY_KINDS},
    )


@functools.lru_cache(maxsize=4096)
def divisors(n: int) -> tuple[int, ...]:
    """Every divisor of ``n`` (n >= 1), ascending: pairs ``(d, n // d)`` up to the square root (the search
    asks for the divisors of GPU counts up to ~10^6, hundreds of times). [1]"""
    low, high = [], []
    d = 1
    while d * d <= n:
        if n % d == 0:
            low.append(d)
            if d != n // d:
                high.append(n // d)
        d += 1
    return (*low, *reversed(high))


INTERLEAVE_ABOVE_BUBBLE = 0.25
"""Bubble fraction (pp - 1) / micro-batches above which an unpublished pipeline schedule is taken to be
interleaved. [-] [A] Plain 1F1B is every framework's default (Megatron interleaves only when told to;
DeepSpeed and PyTorch pipelines cannot); operators turn interleaving on when a quarter or more of the step
would idle (Llama 3 at 16K GPUs: 16 micro-batches on 16 stages). Issue 18: the fastest interleaving for every
blank made deep A100 pipelines (PP >= 35, m >= 4 pp) ~30 % too fast."""


def default_virtual_stages(layers: int, pp: int, sequences_per_rank: int) -> list[int]:
    """Interleaving degrees to try for an unpublished schedule: plain 1F1B unless its bubble (at one sequence
    per micro-batch) would exceed a quarter of the step, then every degree up to 8. [1]"""
    if pp <= 1 or (pp - 1) / max(sequences_per_rank, 1) <= INTERLEAVE_ABOVE_BUBBLE:
        return [1]
    return [v for v in range(1, 9) if pp * v <= layers]


def candidate_layouts(spec: TrainingSpec, hw: Hardware) -> tuple[Layout, list[str]]:
    """All layouts that fill the spec's blank knobs (degrees must be given). [-]"""
    tp, pp, dp = spec.tp or 1, spec.pp or 1, spec.dp or 1
    cp, ep = spec.cp or 1, spec.ep or 1
    blanks: list[str] = []
    per_rank = spec.global_batch // dp
    mbs = [spec.micro_batch] if spec.micro_batch else [d for d in divisors(per_rank) if d <= 64]
    vs = [spec.virtual_stages] if spec.virtual_stages else default_virtual_stages(spec.layers, pp, per_rank)
    rcs = [RECOMPUTE_CODES[spec.recompute.value]] if spec.recompute else [0, 1, 2]
    sps = [int(spec.sequence_parallel)] if spec.sequence_parallel is not None else ([0, 1] if tp > 1 else [0])
    zs = [spec.zero_stage] if spec.zero_stage is not None else [0, 1, 2, 3]
    fused = hw.fused_attention if spec.fused_attention is None else spec.fused_attention
    for name, given in (
        ("micro_batch", spec.micro_batch),
        ("virtual_stages", spec.virtual_stages),
        ("recompute", spec.recompute),
        ("sequence_parallel", spec.sequence_parallel),
        ("zero_stage", spec.zero_stage),
    ):
        if given is None:
            blanks.append(name)
    rows = list(itertools.product(mbs, vs, rcs, sps, zs))
    cols = np.array(rows, dtype=np.float64)
    zero = cols[:, 4]
    overlap = zero >= 1 if spec.dp_overlap is None else np.full(len(rows), spec.dp_overlap)
    lay = Layout.build(
        tp=tp,
        pp=pp,
        dp=dp,
        cp=cp,
        ep=ep,
        v=cols[:, 1],
        mb=cols[:, 0],
        gb=spec.global_batch,
        recompute=cols[:, 2],
        sp=cols[:, 3],
        zero=zero,
        dp_overlap=overlap,
        fused=float(fused),
        etp=float(default_etp(tp, cp, dp, ep, spec.etp)),
    )
    return lay, blanks


def best_index(out: dict[str, np.ndarray]) -> int:
    """Fastest configuration that fits in memory (fastest overall if none fits). [-]"""
    step = out["step_time_s"]
    fits = out["fits"] > 0
    if fits.any():
        return int(np.argmin(np.where(fits, step, np.inf)))
    return int(np.argmin(step))


def resolve(
    spec: TrainingSpec, file: str | None = None, overlay: Overlay | None = None
) -> tuple[Geometry, Hardware]:
    """Geometry and hardware of a spec (with a calibration overlay's values, if one is given). [-]"""
    g = geometry(spec)
    hw = hardware(spec.gpu, spec.network, file, spec.scaleout_gb_s_per_gpu, overlay)
    return g, hw


def execution(spec: TrainingSpec) -> Execution:
    """How the spec's software runs: precision, FP8 recipe, MoE balance and overlap, CUDA graphs. [-]"""
    return Execution(
        precision=Precision(spec.precision).value,
        fp8_recipe=spec.fp8_recipe,
        moe_imbalance=spec.moe_imbalance,
        moe_overlap=bool(spec.moe_overlap),
        cuda_graphs=bool(spec.cuda_graphs),
        tp_overlap=bool(spec.tp_overlap),
        moe_dispatcher=spec.moe_dispatcher or MoeDispatcher.DEEPEP,
    )


def estimate(spec: TrainingSpec, file: str | None = None, overlay: Overlay | None = None) -> Estimate:
    """Predict one configuration; unpublished knobs get the framework default (interleaving) or the fastest
    value that fits (micro-batch, recompute, sequence parallelism, ZeRO stage; see `chosen`). [-]"""
    check_spec(spec, file, need_layout=True)
    g, hw = resolve(spec, file, overlay)
    lay, blanks = candidate_layouts(spec, hw)
    out = evaluate(g, hw, lay, spec.precision, execution(spec))
    i = best_index(out)
    est = estimate_from_arrays(out, lay, i, {})
    resolved = est.layout.model_dump(mode="json")
    chosen = {name: resolved[name] for name in blanks}
    return Estimate(**{**est.__dict__, "chosen": chosen})
