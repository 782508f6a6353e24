"""Distributions in scenarios: medians, quantiles, truncation to the field's bounds, validation."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from megacluster.errors import InputError
from megacluster.scenario.distributions import sampled_scenarios
from megacluster.scenario.load import scenario_from_dict
from megacluster.uncertainty.distributions import (
    Choice,
    LogNormal,
    Normal,
    Triangular,
    median_of,
    quantiles,
    spread_of,
)
from megacluster.uncertainty.sampling import lhs_quantiles, rank_drivers

from .conftest import small_data


def test_lognormal_keeps_its_p10_and_p90() -> None:
    dist = LogNormal(dist="lognormal", p10=150, p90=1800)
    assert median_of(dist) == pytest.approx(math.sqrt(150 * 1800))
    assert spread_of(dist) == pytest.approx((150, 1800))


def test_normal_is_truncated_to_the_bounds() -> None:
    dist = Normal(dist="normal", p10=0.2, p90=1.2)
    x = quantiles(dist, np.linspace(0, 0.999, 200), low=0.0, high=1.0)
    assert x.min() >= 0.0 and x.max() <= 1.0
    # the truncated median sits below the untruncated 0.7 (more mass cut above 1 than below 0)
    assert median_of(dist, 0.0, 1.0) < 0.7


def test_triangular_and_choice_medians() -> None:
    assert median_of(Triangular(dist="triangular", low=0, mode=5, high=10)) == pytest.approx(5.0)
    dates = (dt.date(2024, 11, 1), dt.date(2024, 9, 1), dt.date(2025, 1, 1))
    choice = Choice(dist="choice", values=dates)
    assert median_of(choice) == dt.date(2024, 11, 1)  # the middle date, whatever the order given
    assert Choice(dist="choice", values=(1.0, 2.0), weights=(9.0, 1.0)).at([0.5]) == [1.0]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 40), d=st.integers(1, 4), seed=st.integers(0, 2**31))
def test_latin_hypercube_fills_every_stratum(n: int, d: int, seed: int) -> None:
    u = lhs_quantiles(n, d, seed)
    for j in range(d):
        assert sorted(np.floor(u[:, j] * n).astype(int)) == list(range(n))


def test_scenario_lifts_distributions_to_medians() -> None:
    s = scenario_from_dict(small_data(), "t.toml")
    assert s.training is not None
    assert s.training.target_flop == pytest.approx(1e23)
    assert s.power.generators[0].count == 1
    assert [u.field for u in s.uncertain] == [
        "power.generators[0].count",
        "training.target_flop",
        "reliability.restart_s",
    ]


def test_samples_are_validated_whole_numbers_within_bounds() -> None:
    s = scenario_from_dict(small_data(), "t.toml")
    samples, numeric = sampled_scenarios(s, 12, seed=1)
    counts = [x.power.generators[0].count for x in samples]
    assert all(isinstance(c, int) and 0 <= c <= 3 for c in counts)
    assert all(not x.uncertain for x in samples)
    assert numeric.shape == (12, 3)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"dist": "lognormal", "p10": 5.0, "p90": 1.0}, "p90 must be greater than p10"),
        ({"dist": "gamma", "a": 1.0}, "lognormal, normal, uniform, triangular, choice"),
        ({"dist": "uniform", "low": 2.0, "high": 3.0}, "no mass inside the field's bounds"),
    ],
)
def test_bad_distributions_name_file_and_field(table: dict[str, object], expected: str) -> None:
    data = small_data()
    data["training"]["mfu"] = table  # mfu is bounded to (0, 1]
    with pytest.raises(InputError) as err:
        scenario_from_dict(data, "t.toml")
    assert "t.toml" in str(err.value) and "training" in str(err.value) and expected in str(err.value)


def test_run_settings_and_dates_cannot_take_a_continuous_distribution() -> None:
    data = small_data()
    data["simulation"]["horizon_days"] = {"dist": "uniform", "low": 10, "high": 20}
    with pytest.raises(InputError, match="run's own settings"):
        scenario_from_dict(data, "t.toml")
    data = small_data()
    data["fleet"][0]["install_end"] = {"dist": "uniform", "low": 1, "high": 2}
    with pytest.raises(InputError, match="date field takes only"):
        scenario_from_dict(data, "t.toml")


def test_a_sample_the_scenario_refuses_is_an_input_error() -> None:
    data = small_data()
    # the job may not exceed the fleet: a choice that sometimes asks for more GPUs than delivered
    data["training"]["job_gpus"] = {"dist": "choice", "values": [2048, 2048, 8192]}
    s = scenario_from_dict(data, "t.toml")
    with pytest.raises(InputError, match="a sample drew"):
        sampled_scenarios(s, 6, seed=0)


def test_rank_drivers_finds_the_input_that_moves_the_output() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((50, 3))
    y = 5 * x[:, 2] + 0.1 * rng.random(50)
    ranked = rank_drivers(["a", "b", "c"], x, y)
    assert ranked[0].field == "c" and ranked[0].rho > 0.9
    assert sum(d.share for d in ranked) == pytest.approx(1.0)
