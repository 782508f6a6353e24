"""The presets of the 2025-2026 campuses: sourced, they run end to end and write their report, the plant's
invariants hold (energy balance, powered <= installed, served <= supply), and at full build they hold the GPUs
they declare. The README's freshness note names the newest source of each."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from new_presets import NEW_PRESETS
from preset_tags import TAG, untagged_lines

from cli.entry import invoke
from megacluster.engine.simulate import simulate
from megacluster.results.assemble import Results
from megacluster.scenario.distributions import sampled_scenarios
from megacluster.scenario.load import load_scenario, preset_names
from megacluster.scenario.presets import preset_text

README = Path(__file__).resolve().parents[2] / "README.md"
NEWEST = re.compile(r"Newest source: (\d{4}-\d{2}(?:-\d{2})?)")


@pytest.mark.parametrize("name", NEW_PRESETS)
def test_loads_and_every_number_has_a_source_tag(name: str) -> None:
    assert name in preset_names()
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.description
    assert untagged_lines(preset_text(name)) == []


@pytest.mark.parametrize("name", NEW_PRESETS)
def test_uncertain_fields_are_sourced_distributions_whose_samples_validate(name: str) -> None:
    """Thin public records: the most uncertain inputs are distributions, each with a tagged source; a run
    takes their medians; every Latin-hypercube sample is a valid scenario with the declared field changed."""
    scenario = load_scenario(name)
    assert len(scenario.uncertain) >= 2
    assert all(TAG.search(u.distribution.source) for u in scenario.uncertain)
    samples, matrix = sampled_scenarios(scenario, 8, seed=1)
    assert matrix.shape == (8, len(scenario.uncertain))
    assert all(len(set(matrix[:, j])) > 1 for j in range(matrix.shape[1]))  # each drawn at several values
    assert {s.total_gpus() for s in samples} != {scenario.total_gpus()}  # a GPU count among them


def test_the_tag_check_catches_an_untagged_number() -> None:
    text = (
        '[[fleet]]\naccelerator = "gb200"  # [S] a source\ncount = 5\n# [A] guess\ninstall_end = 2026-01-01\n'
    )
    assert untagged_lines(text) == ["count = 5"]


@pytest.mark.parametrize("name", NEW_PRESETS)
def test_runs_end_to_end_with_the_invariants(name: str, short_runs: dict[str, Results]) -> None:
    ts = short_runs[name].timeseries
    served = ts["grid_mw"] + ts["generators_mw"] + ts["battery_mw"]
    np.testing.assert_allclose(served, ts["facility_power_mw"], rtol=1e-9, atol=1e-6)
    assert (ts["gpus_powered"] <= ts["gpus_installed"]).all()
    assert (ts["facility_power_mw"] <= ts["supply_capacity_mw"] + 1e-6).all()
    assert (ts["battery_soc_mwh"] >= -1e-9).all()
    assert ts["gpus_installed"].max() > 0 and ts["facility_power_mw"].max() > 0


@pytest.mark.parametrize("name", NEW_PRESETS)
def test_runs_from_the_command_line_and_writes_its_report(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    done = invoke(["run", name, "--days", "120", "--step", "1d", "--out", str(out), "--json"])
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["scenario"] == name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'class="figure-data"' in html
    assert {"summary.json", "timeseries.parquet", "report.html"} <= {p.name for p in out.iterdir()}


@pytest.mark.parametrize("name", NEW_PRESETS)
def test_full_build_holds_the_declared_fleet(name: str) -> None:
    scenario = load_scenario(name, {"simulation.step": "1d"})
    summary = simulate(scenario, seed=0).summary
    assert summary.gpus_installed_peak == pytest.approx(scenario.total_gpus(), rel=0.01)
    assert summary.facility_power_peak_mw <= summary.supply_capacity_peak_mw + 1e-6
    assert summary.energy_mwh.total > 0


def test_readme_freshness_note_names_each_presets_newest_source() -> None:
    readme = README.read_text(encoding="utf-8")
    for name in NEW_PRESETS:
        found = NEWEST.search(preset_text(name))
        assert found, f"{name}: no 'Newest source: YYYY-MM[-DD]' line"
        rows = [line for line in readme.splitlines() if line.startswith(f"| `{name}` | {found.group(1)}")]
        assert rows, f"{name}: README's freshness table does not give {found.group(1)}"
