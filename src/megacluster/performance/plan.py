"""Search every parallel layout of a job and rank the ones that fit by step time. [-]"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import NDArray

from megacluster.errors import InputError
from megacluster.performance.estimator import Estimate, divisors, estimate_from_arrays, execution, resolve
from megacluster.performance.layout import FloatArray, Layout
from megacluster.performance.memory import fits_in_memory
from megacluster.performance.overlay import Overlay
from megacluster.performance.params import Hardware
from megacluster.performance.spec import Geometry, TrainingSpec, check_spec
from megacluster.performance.step_time import CHUNK, evaluate
from megacluster.units import GIB

MAX_TP = 64
MAX_CP = 32
MAX_VIRTUAL = 8
MAX_MICRO_BATCH = 16


def _divisors(n: int, limit: int | None = None) -> list[int]:
    """Divisors of n up to limit, ascending. [1]"""
    top = n if limit is None else min(n, limit)
    return [d for d in divisors(n) if d <= top]


def _pipeline_choices(layers: int, gpus_left: int, ragged: bool) -> list[int]:
    """Pipeline degrees to try. [1]"""
    if not ragged:
        return _divisors(gpus_left, layers)
    powers = {2**i for i in range(12) if 2**i <= min(layers, gpus_left)}
    return sorted(powers | {d for d in _divisors(layers) if d <= gpus_left})


def degree_combos(g: Geometry, gpus: int, global_batch: int, ragged: bool = False) -> list[tuple[int, ...]]:
    """Valid (tp, pp, cp, dp, ep) for a GPU count. [-]

    Exact: tp*pp*cp*dp = gpus and dp divides the global batch. Ragged (for the engine):
    dp = gpus // (tp*pp*cp), leftover GPUs idle, and the last micro-batch of a rank may be partial.
    """
    out: list[tuple[int, ...]] = []
    for tp in _divisors(g.heads, MAX_TP):
        if (not ragged and gpus % tp) or tp > gpus:
            continue
        for pp in _pipeline_choices(g.layers, gpus // tp, ragged):
            if not ragged and (gpus // tp) % pp:
                continue
            left = gpus // (tp * pp)
            cps = [c for c in (1, 2, 4, 8, 16, 32) if c <= left] if ragged else _divisors(left, MAX_CP)
            for cp in cps:
                if g.seq % cp:
                    continue
                dp = gpus // (tp * pp * cp)
                if dp < 1 or (not ragged and global_batch % dp) or dp > global_batch:
                    continue
                # MoE parallel folding: expert-parallel groups may span the tp x cp x dp ranks of a stage (the
                # common divisors of those ranks and the experts)
                eps = list(divisors(math.gcd(tp * cp * dp, g.experts))) if g.experts else [1]
                out.extend((tp, pp, cp, dp, ep) for ep in eps)
    return out


def _heads(g: Geometry, combos: list[tuple[int, ...]]) -> NDArray[np.float64]:
    """(tp, pp, cp, dp, ep, v) rows: every degree combination with every valid interleaving. [-]"""
    rows = [
        (*c, v)
        for c, v in itertools.product(combos, range(1, MAX_VIRTUAL + 1))
        if v == 1 or (c[1] > 1 and c[1] * v <= g.layers)
    ]
    return np.array(rows, dtype=np.float64).reshape(-1, 6)


def search_space(g: Geometry, hw: Hardware, gpus: int, global_batch: int, ragged: bool = False) -> Layout:
    """Every layout: degrees x interleaving x micro-batch x recompute x ZeRO (SP on when tp > 1). [-]"""
    combos = degree_combos(g, gpus, global_batch, ragged)
    if not combos:
        raise InputError(
            None,
            "gpus",
            f"no tp*pp*cp*dp = {gpus} with tp dividing heads={g.heads}, pp <= layers={g.layers}, "
            f"cp dividing seq_len={g.seq} and dp dividing global_batch={global_batch}",
        )
    heads = _heads(g, combos)
    dp = heads[:, 3]
    # micro-batch choices per head: divisors (<= MAX_MICRO_BATCH) of the sequences per data-parallel rank
    per_rank = np.maximum(global_batch // dp.astype(np.int64), 1)
    uniq, which = np.unique(per_rank, return_inverse=True)
    table = np.zeros((uniq.size, MAX_MICRO_BATCH), dtype=np.float64)
    n_mb = np.zeros(uniq.size, dtype=np.int64)
    for u, r in enumerate(uniq):
        ds = _divisors(int(r), MAX_MICRO_BATCH)
        table[u, : len(ds)] = ds
        n_mb[u] = len(ds)
    # sequence parallelism is on whenever tp > 1: in this model it never costs time and always saves memory
    counts = n_mb[which] * 3 * 4
    owner = np.repeat(np.arange(heads.shape[0]), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local = np.arange(owner.size) - np.repeat(starts, counts)
    zero = local % 4
    rest = local // 4
    rc = rest % 3
    mb = table[which[owner], rest // 3]
    h = heads[owner]
    return Layout.build(
        tp=h[:, 0],
        pp=h[:, 1],
        cp=h[:, 2],
        dp=h[:, 3],
        ep=h[:, 4],
        v=h[:, 5],
        mb=mb,
        gb=float(global_batch),
        recompute=rc.astype(np.float64),
        sp=(h[:, 0] > 1).astype(np.float64),
        zero=zero.astype(np.float64),
        dp_overlap=(zero >= 1).astype(np.float64),
        fused=float(hw.fused_attention),
    )


def rank(out: dict[str, FloatArray], top: int) -> NDArray[np.intp]:
    """Indices of the `top` fastest layouts that fit. [-]"""
    step = np.where(out["fits"] > 0, out["step_time_s"], np.inf)
    k = min(top, int(np.isfinite(step).sum()))
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    part = np.argpartition(step, k - 1)[:k]
    return part[np.argsort(step[part], kind="stable")]


def fastest(g: Geometry, hw: Hardware, space: Layout, precision: str) -> NDArray[np.intp]:
    """Index of the fastest layout of ``space`` that fits (empty if none); among layouts of the same step
    time, the one that needs the least memory per GPU (the most headroom), then the first. Evaluated one
    chunk at a time so that only a chunk's outputs are held: the engine's search space has ~10^5-10^6
    layouts, whose outputs held whole peaked at ~0.5 GB. Only the layouts that fit are evaluated (the memory
    model alone says which): 54 % of the flagship's 954,240 layouts, a search ~25 % shorter. [-]"""
    fit = np.concatenate(
        [
            i + np.flatnonzero(fits_in_memory(g, hw, space.take(slice(i, i + CHUNK)), precision))
            for i in range(0, len(space), CHUNK)
        ]
        or [np.zeros(0, dtype=np.intp)]
    )
    best: tuple[float, float, int] = (np.inf, np.inf, -1)
    for i in range(0, fit.size, CHUNK):
        index = fit[i : i + CHUNK]
        part = evaluate(g, hw, space.take(index), precision)
        step = part["step_time_s"]
        low = float(step.min())
        if low > best[0]:
            continue
        tied = np.flatnonzero(step == low)
        j = int(tied[np.argmin(part["memory_bytes"][tied])])
        best = min(best, (low, float(part["memory_bytes"][j]), int(index[j])))
    return np.array([best[2]] if best[2] >= 0 else [], dtype=np.intp)


def plan(
    spec: TrainingSpec,
    gpus: int | None = None,
    top: int = 5,
    file: str | None = None,
    overlay: Overlay | None = None,
) -> list[Estimate]:
    """The `top` fastest layouts that fit for `gpus` GPUs at the spec's global batch. [-]"""
    if top < 1:
        raise InputError(file, "--top", "must be >= 1")
    n = gpus if gpus is not None else spec.gpus
    if n < 1:
        raise InputError(file, "--gpus", "must be >= 1")
    check_spec(
        spec.model_copy(
            update={
                "tp": None,
                "pp": None,
                "dp": None,
                "cp": None,
                "ep": None,
                "virtual_stages": None,
                "gpus": n,
            }
        ),
        file,
        need_layout=False,
    )
    g, hw = resolve(spec, file, overlay)
    lay = search_space(g, hw, n, spec.global_batch)
    out = evaluate(g, hw, lay, spec.precision, execution(spec))
    best = rank(out, top)
    if best.size == 0:
        need = float(np.min(out["memory_bytes"])) / GIB
        have = hw.hbm_bytes * hw.usable_fraction / GIB
        raise InputError(
            file,
            "gpus",
            f"none of {len(lay)} layouts fits in memory: the smallest needs {need:.1f} GiB per GPU, "
            f"{spec.gpu} offers {have:.1f} GiB; use more GPUs or a GPU with more memory",
        )
    return [estimate_from_arrays(out, lay, int(i), {}) for i in best]
