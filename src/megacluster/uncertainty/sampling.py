"""Latin-hypercube quantiles over replicas, and which sampled input drives an output (rank correlation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]
from scipy.stats import qmc  # type: ignore[import-untyped]


def lhs_quantiles(n: int, d: int, seed: int) -> npt.NDArray[np.float64]:
    """An n x d Latin hypercube in [0, 1): each input's n values fall one in each of n equal strata. [-]"""
    if n < 1 or d < 1:
        raise ValueError("need at least one sample and one input")
    return np.asarray(qmc.LatinHypercube(d=d, seed=np.random.default_rng([seed, 0x1A7])).random(n))


@dataclass(frozen=True)
class Driver:
    """One input's hold on an output across the samples. [-]"""

    field: str
    rho: float
    """Spearman rank correlation between the input and the output across samples. [-]"""
    share: float
    """rho² over the sum of rho² of all inputs: a rough share of the output's spread. [-]"""


def rank_drivers(fields: Sequence[str], inputs: npt.ArrayLike, output: npt.ArrayLike) -> list[Driver]:
    """Inputs ranked by |Spearman rho| with the output (scipy.stats.spearmanr), strongest first; samples
    whose output is NaN (e.g. never finished) are ranked last among outputs (+inf). [-]"""
    x = np.asarray(inputs, float)
    y = np.asarray(output, float)
    y = np.where(np.isnan(y), np.inf, y)
    if x.ndim != 2 or x.shape[1] != len(fields) or len(y) != x.shape[0]:
        raise ValueError("inputs must be samples x fields and output one value per sample")
    rhos = []
    for j in range(x.shape[1]):
        if len(y) < 3 or np.ptp(x[:, j]) == 0 or np.all(y == y[0]):
            rhos.append(0.0)
            continue
        rho = float(stats.spearmanr(x[:, j], y).statistic)
        rhos.append(0.0 if np.isnan(rho) else rho)
    r2 = np.square(rhos)
    total = float(r2.sum())
    out = [
        Driver(field=f, rho=r, share=(float(s) / total if total > 0 else 0.0))
        for f, r, s in zip(fields, rhos, r2, strict=True)
    ]
    return sorted(out, key=lambda d: -abs(d.rho))
