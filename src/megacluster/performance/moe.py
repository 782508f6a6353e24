"""Mixture-of-experts layers from first principles: router, token dispatch and combine, grouped expert GEMMs,
shared experts, expert tensor parallelism and the all-to-all over the scale-up domain and the network. [s]

Experts are laid out as Megatron-Core's "MoE parallel folding" does: the ``tp x cp x dp`` ranks of one
pipeline stage are regrouped into ``etp`` (innermost) x ``ep`` x expert data parallel. Each rank routes its
own tokens (``tok / tp`` of a micro-batch under sequence parallelism) to ``top_k`` experts; a rank holds ``E /
ep`` experts, each split ``etp`` ways, and receives ``tok / tp x top_k x ep x etp / E`` rows per expert when
routing is balanced, times the load imbalance on the busiest rank. Dropless routing is assumed (every token is
computed; a capacity factor would cap the imbalance at the factor).

Error class addressed (issue 18): MoE in FP8 on Blackwell predicted 35-55 % too fast and MoE with wide expert
parallelism on Hopper off by -25 %..+70 %: small per-expert GEMMs, the all-to-all at its achieved bandwidth
over NVLink and the network, the permutation traffic and the host-side launches were not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from megacluster.performance.comms import all_to_all_time, local_members, overlap_exposed
from megacluster.performance.kernels import KERNELS_DISPATCH, KERNELS_ROUTER, gemm_time
from megacluster.performance.layout import FloatArray, Layout, MoeDispatcher
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry

MOE_IMBALANCE = 1.1
"""Tokens on the busiest expert-parallel rank relative to the mean, per MoE layer. [-] [S] DeepSeek-V3
technical report (arXiv 2412.19437) sec. 2.1.2/4.5: auxiliary-loss-free balancing keeps experts balanced over
a batch, not per micro-batch; MegaBlocks (Gale et al. 2022, Fig. 3) measures per-batch imbalance of ~1.1-1.5
with aux-loss balancing. [A] 1.1 on a rank of several experts (imbalance averages over them); benchmarks that
force balanced routing use 1.0 (`moe_imbalance`)."""

PERMUTE_PASSES = 4.0
"""Copies of each routed token per MoE layer forward besides the all-to-alls with the NCCL dispatcher: permute
before dispatch and after it, unpermute before combine and after it (the weighted sum); DeepEP-class kernels
fuse the global ones (half). [1] [P] Megatron-LM docs/discussions/deepseek-v3-gb200-optimization.md sec.
2.1.1: the AlltoAll dispatcher 'requires one global and one local permute before and after EP communication';
'The Flex Dispatcher of DeepEP or HybridEP fuses the global permute into the communication kernel'."""

NCCL_ALLTOALL_FACTOR = 0.75
"""NCCL all-to-all bandwidth relative to a ring collective's on the same links (Megatron's alltoall
dispatcher). [-] [A] between DeepEP's ~0.9 of line rate (params.ALLTOALL_EFFICIENCY) and the ~0.5 that
nccl-tests' alltoall reaches across nodes without PXN; 0.75 of the ring efficiency."""


@dataclass(frozen=True)
class MoeCost:
    """One MoE FFN for one micro-batch on one GPU (forward), and what it launches. [s, 1]"""

    ffn: FloatArray  # expert and shared-expert GEMMs, router GEMM [s]
    dispatch: FloatArray  # router element-wise work and token permutations (memory-bound) [s]
    a2a: FloatArray  # one dispatch + one combine all-to-all, exposed part [s]
    kernels: FloatArray  # kernels launched [1]
    f_act: float  # active FFN width per token (top-k + shared experts) [1]


def expert_rows(g: Geometry, lay: Layout, tok: FloatArray, imbalance: float) -> FloatArray:
    """Rows of one local expert's GEMMs on the busiest rank for one micro-batch. [tokens]"""
    return tok / lay.tp * g.top_k * lay.ep * lay.etp / g.experts * imbalance


def dispatch_time(
    g: Geometry,
    hw: Hardware,
    lay: Layout,
    copies: FloatArray,
    dispatcher: MoeDispatcher,
    fp8_dispatch: bool,
) -> FloatArray:
    """One dispatch plus one combine of ``copies`` routed token copies leaving one GPU. [s]

    NCCL all-to-all sends every copy to its expert's rank (inside the scale-up domain over NVLink, beyond it
    over the NIC). DeepEP-class kernels send a token once to each other domain it is routed to (at most the
    model's group limit: DeepSeek-V3 routes to experts of at most 4 of 8 groups) and forward it over NVLink
    there; the two transfers pipeline. Dispatch is FP8 with the blockwise recipe (DeepEP), BF16 otherwise;
    combine BF16."""
    h = float(g.hidden)
    k_loc = local_members(lay.ep, lay.etp, hw.domain_gpus)
    if dispatcher == MoeDispatcher.ALLTOALL:
        one = all_to_all_time(copies * h * 2.0, lay.ep, k_loc, hw) / NCCL_ALLTOALL_FACTOR
        return np.asarray(2.0 * one, dtype=np.float64)
    domains = np.ceil(lay.ep / k_loc - 1e-9)
    reach = (domains - 1.0) * (1.0 - (1.0 - 1.0 / domains) ** g.top_k)
    if g.group_topk:
        reach = np.minimum(reach, g.group_topk * (domains - 1.0) / domains)
    per_token = copies / g.top_k  # tokens this GPU routes (imbalance included)
    up = hw.scaleup_bytes_s * hw.alltoall_efficiency
    out = hw.scaleout_bytes_s * hw.alltoall_efficiency
    intra_copies = copies * (k_loc - 1.0) / k_loc
    total = np.zeros_like(copies)
    for elem in (1.0 if fp8_dispatch else 2.0, 2.0):  # dispatch, combine
        intra = intra_copies * h * elem / up + hw.scaleup_latency_s
        inter = np.where(domains > 1, per_token * reach * h * elem / out + hw.scaleout_latency_s, 0.0)
        total = total + np.maximum(intra, inter)
    return np.asarray(np.where(lay.ep > 1, total, 0.0), dtype=np.float64)


def moe_forward(
    g: Geometry,
    hw: Hardware,
    lay: Layout,
    tok: FloatArray,
    rates: tuple[float, float, float, float],
    imbalance: float,
    dispatch: tuple[MoeDispatcher, bool] = (MoeDispatcher.DEEPEP, False),
) -> MoeCost:
    """Forward of one MoE FFN on one GPU: grouped expert GEMMs (one pair per local expert, rows per expert on
    the roofline), shared experts (tensor-parallel like a dense FFN), router, permutations and all-to-alls.
    ``rates`` = (expert GEMM rate [FLOP/s], 16-bit GEMM rate [FLOP/s], HBM rate [B/s], GEMM operand bytes).
    [s]"""
    rate, rate16, hbm, elem = rates
    h, t, et = float(g.hidden), lay.tp, lay.etp
    gm = 2.0 if g.gated else 1.0
    local = g.experts / lay.ep
    rows = expert_rows(g, lay, tok, imbalance)
    width = g.moe_ffn / et
    experts = local * (
        gemm_time(rows, gm * width, h, rate, hbm, elem) + gemm_time(rows, h, width, rate, hbm, elem)
    )
    shared_w = g.shared_experts * g.moe_ffn / t
    shared = np.where(
        shared_w > 0,
        gemm_time(tok, gm * shared_w, h, rate, hbm, elem) + gemm_time(tok, h, shared_w, rate, hbm, elem),
        0.0,
    )
    routed_tok = tok / t  # tokens this rank routes (sequence-parallel share)
    router = gemm_time(routed_tok, np.full_like(t, float(g.experts)), h, rate16, hbm, 2.0)
    # router element-wise: scores, softmax/sigmoid, top-k, probabilities in fp32 (~4 passes of 4 B)
    scores = 16.0 * routed_tok * g.experts / hbm
    copies = routed_tok * g.top_k * imbalance
    passes = PERMUTE_PASSES if dispatch[0] == MoeDispatcher.ALLTOALL else PERMUTE_PASSES / 2.0
    permute = passes * 2.0 * copies * h * 2.0 / hbm  # read + write of BF16 rows
    a2a = dispatch_time(g, hw, lay, copies, dispatch[0], dispatch[1])
    kernels = KERNELS_ROUTER + KERNELS_DISPATCH + 3.0 * (g.shared_experts > 0) + 2.0 * local
    return MoeCost(
        ffn=experts + shared + router,
        dispatch=scores + permute,
        a2a=a2a,
        kernels=np.asarray(kernels, dtype=np.float64),
        f_act=float((g.top_k + g.shared_experts) * g.moe_ffn),
    )


def expert_overlap(
    hw: Hardware, a2a: FloatArray, compute: FloatArray, overlap: bool
) -> tuple[FloatArray, FloatArray]:
    """Exposed all-to-alls of one MoE layer (forward, backward; the backward moves as much as the forward).
    Overlapped (DualPipe's paired forward and backward chunks; Megatron's EP overlap): hidden behind another
    micro-batch's forward and backward compute of the layer, slowing it. [s]"""
    if not overlap:
        return a2a, a2a
    total = 2.0 * a2a
    hidden = overlap_exposed(total, compute, hw.overlap_slowdown)
    return 0.5 * hidden, 0.5 * hidden
