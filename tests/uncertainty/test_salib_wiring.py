"""The SALib wiring against the Ishigami function's known indices (Ishigami & Homma 1990; values from
Saltelli et al. 2008, and SALib's own tests)."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.test_functions import Ishigami

from megacluster.uncertainty.salib import Method, analyze, base_for, runs_for, sample

NAMES = ["x1", "x2", "x3"]
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def _ishigami(u: np.ndarray) -> np.ndarray:
    return Ishigami.evaluate(-np.pi + 2.0 * np.pi * u)


def test_sobol_indices_match_ishigami() -> None:
    u = sample(Method.SOBOL, NAMES, 2048, seed=1)
    assert u.shape == (runs_for(Method.SOBOL, 3, 2048), 3)
    rows = {r["input"]: r for r in analyze(Method.SOBOL, NAMES, u, _ishigami(u), seed=1)}
    for name in NAMES:
        assert rows[name]["S1"] == pytest.approx(S1[name], abs=0.04)
        assert rows[name]["ST"] == pytest.approx(ST[name], abs=0.04)
        assert rows[name]["ST_conf"] > 0


def test_sobol_ranking_is_by_total_index() -> None:
    u = sample(Method.SOBOL, NAMES, 512, seed=2)
    ranked = [r["input"] for r in analyze(Method.SOBOL, NAMES, u, _ishigami(u), seed=2)]
    assert ranked == ["x1", "x2", "x3"]


def test_morris_screens_the_ishigami_inputs() -> None:
    u = sample(Method.MORRIS, NAMES, 100, seed=3)
    rows = analyze(Method.MORRIS, NAMES, u, _ishigami(u), seed=3)
    by = {r["input"]: r for r in rows}
    # x3 acts only through its interaction with x1; x1 and x2 have the larger elementary effects
    assert min(by["x1"]["mu_star"], by["x2"]["mu_star"]) > 0
    assert by["x2"]["mu_star"] > 0.5 * by["x3"]["mu_star"]


def test_given_data_recovers_the_ishigami_first_order_indices() -> None:
    u = np.random.default_rng(4).random((4000, 3))
    rows = {r["input"]: r for r in analyze(Method.GIVEN_DATA, NAMES, u, _ishigami(u), seed=4)}
    for name in NAMES:
        assert rows[name]["S1"] == pytest.approx(S1[name], abs=0.05)


def test_budget_arithmetic() -> None:
    assert base_for(Method.SOBOL, 5, 256) == 32  # 256 // 7 = 36 -> power of two 32
    assert runs_for(Method.SOBOL, 5, 32) == 224 <= 256
    assert base_for(Method.MORRIS, 5, 256) == 42
    with pytest.raises(ValueError):
        runs_for(Method.GIVEN_DATA, 3, 10)
