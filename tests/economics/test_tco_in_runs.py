"""Every run's summary carries the TCO block, and the report shows its cost breakdown chart."""

from __future__ import annotations

from functools import lru_cache

import pytest

from megacluster.engine.simulate import simulate
from megacluster.results.assemble import Results
from megacluster.scenario.load import load_scenario


@lru_cache(maxsize=1)
def _early_colossus() -> Results:
    """colossus-2024 to mid-September at hourly steps: GPUs arrive on 8 MW of grid and the mobile turbines."""
    overrides = {"simulation.horizon_days": 75.0, "simulation.step": 3600.0}
    return simulate(load_scenario("colossus-2024", overrides))


def test_summary_carries_the_tco_block() -> None:
    tco = _early_colossus().summary.tco
    assert tco is not None
    assert tco.span_days == pytest.approx(75.0)
    parts = tco.capital_charge_usd.model_dump()
    assert parts["gpus"] > 0 and parts["network"] > 0
    assert tco.operating_usd.generator_rentals > 0  # the mobile fleet is rented
    assert tco.total_usd == pytest.approx(tco.capital_charge_usd.total + tco.operating_usd.total, rel=1e-9)
    assert tco.stranded.cost_usd > 0  # GPUs wait for power before the 150 MW substation
    assert tco.stranded.cost_usd_per_day_peak >= tco.stranded.cost_usd_per_day_mean
    assert tco.assumptions.discount_rate == pytest.approx(0.08)


def test_report_shows_the_cost_breakdown() -> None:
    from megacluster.report.html import render_report

    page = render_report(_early_colossus())
    assert 'id="costs"' in page
    assert "chart-costs" in page and "chart-stranded" in page
    assert "GPU servers (capital charge)" in page
