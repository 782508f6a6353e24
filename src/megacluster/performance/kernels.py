"""Kernel-level costs shared by the step-time phases: a matrix multiply on the roofline, FP8 quantisation, and
the kernel counts that set the GPU's launch gaps and the host CPU's launch time. [s, 1]"""

from __future__ import annotations

import numpy as np

from megacluster.performance.layout import FloatArray, Fp8Recipe, Num

GEMM_TILE_ROWS = 128.0
"""Rows of one GEMM output tile: a multiply's row count is rounded up to it (tile quantisation). [1]
[P] CUTLASS/cuBLAS Hopper and Blackwell tensor-core GEMMs use 128-row CTA tiles (NVIDIA CUTLASS documentation,
'Efficient GEMM in CUDA'); DeepGEMM (deepseek-ai) pads each expert's rows to its 128-row block."""

KERNELS_FWD_PER_LAYER = 20.0
"""Kernels per dense layer forward (norms, GEMMs, attention, activation, residuals). [1] [A] counted from the
Megatron-Core transformer layer: 2 norms, 4 GEMMs, RoPE, attention, activation, 2 residual adds, bias-dropout
fusions and the tensor-parallel collectives; the backward launches about twice as many."""
KERNELS_FP8_PER_LINEAR = 2.0
"""Extra forward kernels per FP8 linear layer: the amax/scale update and the input quantisation. [1] [A]
Transformer Engine's current-scaling recipe computes the amax, then casts (NVIDIA Transformer Engine docs)."""
KERNELS_ROUTER = 31.0
"""Kernels of one MoE router forward (scores, top-k, probabilities, auxiliary loss) after fusion. [1]
[P] Megatron-LM docs/discussions/deepseek-v3-gb200-optimization.md sec. 2.1.4: 'reducing the total number of
kernels in the router part from 72 to 31'."""
KERNELS_DISPATCH = 10.0
"""Kernels of one MoE token dispatch and combine forward besides the all-to-alls (permute, unpermute, counts,
padding). [1] [A] the permute/unpermute pair, the token-count exchange and its host copy, padding for FP8."""

QUANT_BYTES = {
    Fp8Recipe.TENSORWISE: 6.0,
    Fp8Recipe.BLOCKWISE: 4.0,
    Fp8Recipe.MXFP8: 4.0,
}
"""HBM bytes moved per element quantised to FP8, by recipe. [B] [D] Every recipe reads the BF16 element (2 B)
and writes an FP8 copy for the forward GEMM (1 B) and a transposed (Hopper) or column-wise (MX) one for the
weight-gradient GEMM (1 B): 4 B. Tensor-wise current scaling reads the tensor once more for its amax first (+2
B): 6 B (NVIDIA Transformer Engine docs, 'Current scaling'). Block scales (1 per 128 or per 32 elements) add
under 1/32 B: neglected."""


def gemm_time(m: Num, n: Num, k: Num, rate: float, hbm: float, elem: float) -> FloatArray:
    """Time of one matrix multiply (m x k) @ (k x n) on the roofline: FLOP at the achieved rate plus operand
    traffic at the achieved HBM bandwidth; rows rounded up to whole tiles. [s]"""
    rows = np.ceil(np.asarray(m, dtype=np.float64) / GEMM_TILE_ROWS - 1e-9) * GEMM_TILE_ROWS
    flop_s = 2.0 * rows * n * k / rate
    traffic_s = elem * (m * k + k * n) / hbm + 2.0 * m * n / hbm
    return np.asarray(flop_s + traffic_s, dtype=np.float64)
