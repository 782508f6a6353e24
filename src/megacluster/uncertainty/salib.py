"""Global sensitivity with SALib (Herman & Usher 2017, JOSS 2(9):97): the samples, in the unit hypercube, and
the indices. No estimator is written here; this module only wires SALib's samplers and analysers.

Samples live in [0, 1)^d; the caller maps them through each input's quantile function (so any distribution
works, truncated to its field's bounds), runs the model, and hands the outputs back.
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

MORRIS_LEVELS = 4
"""[A] Morris grid levels: SALib's default, the usual choice (Saltelli et al. 2008, Global Sensitivity
Analysis: The Primer, ch. 3). [-]"""

CONF_LEVEL = 0.95
"""[A] Confidence level of the bootstrap intervals SALib reports. [-]"""

UNIT_TOP = 1.0 - 1e-12
"""Samples are clipped below 1 so every quantile function stays finite. [-]"""


class Method(enum.StrEnum):
    """A global sensitivity method: Sobol (variance-based, first-order and total), Morris (elementary
    effects, screening), RBD-FAST (first-order only, from given data such as a finished sweep)."""

    SOBOL = "sobol"
    MORRIS = "morris"
    GIVEN_DATA = "rbd_fast"


COLUMNS: dict[Method, tuple[str, str, str, str]] = {
    Method.SOBOL: ("S1", "S1_conf", "ST", "ST_conf"),
    Method.MORRIS: ("mu_star_scaled", "mu_star_conf_scaled", "mu_star", "mu_star_conf"),
    Method.GIVEN_DATA: ("S1", "S1_conf", "S1", "S1_conf"),
}
"""Per method: the first index and its CI, then the ranking index and its CI (the tornado's bar). [-]"""


def problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib's problem over the unit hypercube. [-]"""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def runs_for(method: Method, inputs: int, base: int) -> int:
    """Model runs a design of ``base`` samples needs: N(d+2) for Sobol (first-order and total indices),
    r(d+1) for Morris. [-]"""
    if method is Method.SOBOL:
        return base * (inputs + 2)
    if method is Method.MORRIS:
        return base * (inputs + 1)
    raise ValueError(f"{method.value} analyses given data; it has no sampling design")


def base_for(method: Method, inputs: int, runs: int) -> int:
    """The largest base sample a budget of ``runs`` model runs affords (a power of two for Sobol, whose
    sequence balances only there; at least 2 either way). [-]"""
    per = inputs + 2 if method is Method.SOBOL else inputs + 1
    base = max(2, runs // per)
    return 2 ** int(np.floor(np.log2(base))) if method is Method.SOBOL else base


def sample(method: Method, names: Sequence[str], base: int, seed: int) -> npt.NDArray[np.float64]:
    """The design in [0, 1)^d: Saltelli's Sobol-sequence scheme or Morris trajectories. [-]"""
    from SALib.sample import morris, sobol  # type: ignore[import-untyped]

    prob = problem(names)
    if method is Method.SOBOL:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # SALib's note on non-power-of-2 bases
            x = sobol.sample(prob, base, calc_second_order=False, seed=seed)
    elif method is Method.MORRIS:
        x = morris.sample(prob, base, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        raise ValueError(f"{method.value} analyses given data; it has no sampling design")
    return np.clip(np.asarray(x, float), 0.0, UNIT_TOP)


def analyze(
    method: Method,
    names: Sequence[str],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    seed: int,
    bounds: Sequence[tuple[float, float]] | None = None,
) -> list[dict[str, float | str]]:
    """One row per input: the method's first index and ranking index with their confidence intervals
    (columns :data:`COLUMNS`), ranked by the ranking index, largest first. ``bounds`` (given data only):
    the inputs' ranges when x is not in the unit hypercube. [-]"""
    from SALib.analyze import morris, rbd_fast, sobol  # type: ignore[import-untyped]

    prob = problem(names)
    if bounds is not None:
        prob["bounds"] = [list(b) for b in bounds]
    yy = np.asarray(y, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method is Method.SOBOL:
            res = sobol.analyze(prob, yy, calc_second_order=False, conf_level=CONF_LEVEL, seed=seed)
        elif method is Method.MORRIS:
            res = morris.analyze(
                prob, np.asarray(x, float), yy, conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=seed
            )
            scale = float(np.std(yy)) or 1.0
            res["mu_star_scaled"] = np.asarray(res["mu_star"]) / scale
            res["mu_star_conf_scaled"] = np.asarray(res["mu_star_conf"]) / scale
        else:
            res = rbd_fast.analyze(prob, np.asarray(x, float), yy, conf_level=CONF_LEVEL, seed=seed)
    cols = COLUMNS[method]
    rows: list[dict[str, float | str]] = [
        {"input": name, **{c: float(np.asarray(res[c])[i]) for c in cols}} for i, name in enumerate(names)
    ]
    return sorted(rows, key=lambda r: -float(np.nan_to_num(float(r[cols[2]]), nan=-np.inf)))
