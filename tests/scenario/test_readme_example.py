"""The README's scenario example is a valid scenario."""

from __future__ import annotations

import re
from pathlib import Path

from megacluster.scenario.load import load_scenario

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_scenario_example_loads(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## A scenario") :]
    example = re.search(r"```toml\n(.*?)```", section, re.S)
    assert example is not None
    path = tmp_path / "example.toml"
    path.write_text(example.group(1), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "colossus-2024-more-turbines"
    assert scenario.simulation.replicas == 20
    assert [g.unit for g in scenario.power.generators] == ["smt-130"]
    assert scenario.total_gpus() == 100_000
