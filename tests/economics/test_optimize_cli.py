"""``megacluster optimize`` end to end on a shortened horizon: the least-cost build of colossus-2025, its
NetCDF network, and the build fed back into the simulator within the stated tolerance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.entry import invoke
from megacluster.economics.constants import CHECK_TOLERANCE_OF_LOAD

pytest.importorskip("pypsa")
pytest.importorskip("highspy")

SHORT = ["--start", "2025-07-01", "--days", "3"]
"""Three July days: grid, the permitted turbines and the Megapacks all on site, the NOx permit in force."""


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("opt") / "c25"
    result = invoke(["optimize", "colossus-2025", *SHORT, "--check", "--json", "--out", str(out)])
    assert result.code == 0, result.stderr
    return json.loads(result.stdout), out


def test_build_keeps_the_gpus_powered(solved: tuple[dict[str, Any], Path]) -> None:
    data, _ = solved
    gpus = data["gpus"]
    assert gpus["powered_mean"] >= 0.999 * gpus["target_mean"]
    energy = data["energy_mwh"]
    supplied = energy["grid"] + energy["generators"] + energy["battery_discharge"] + energy["solar"]
    assert supplied - energy["battery_charge"] + energy["unserved"] == pytest.approx(energy["load"], rel=1e-4)
    assert data["costs"]["total"] == pytest.approx(data["solver"]["objective_usd"])
    assert data["solver"]["relaxed_objective_usd"] <= data["costs"]["total"] * (1 + 1e-6)
    for fleet in data["generators"]:
        assert fleet["units"] == round(fleet["units"])  # whole units
    permit = data["emissions_t"]["nox_by_permit"]
    assert permit and all(v <= 78.9 + 1e-6 for v in permit.values())


def test_simulator_agrees_on_energy_by_source(solved: tuple[dict[str, Any], Path]) -> None:
    data, _ = solved
    check = data["check"]
    assert check["tolerance_of_load"] == CHECK_TOLERANCE_OF_LOAD
    assert {s["source"] for s in check["sources"]} >= {"grid", "generators", "battery discharge", "unserved"}
    for source in check["sources"]:
        assert abs(source["difference_of_load"]) <= CHECK_TOLERANCE_OF_LOAD, source
    assert check["agrees"]
    assert check["gpus_powered_mean"] >= 0.99 * data["gpus"]["target_mean"]


def test_writes_a_network_an_analyst_can_open(solved: tuple[dict[str, Any], Path]) -> None:
    import pypsa

    data, out = solved
    assert json.loads((out / "optimize.json").read_text()) == data
    assert "megacluster run" in (out / "build.toml").read_text()
    n = pypsa.Network(str(out / "network.nc"))
    assert len(n.snapshots) == data["hours"] == 72
    assert "stranded compute" in n.generators.index
    shed = float(n.generators_t.p["stranded compute"].sum())
    assert shed == pytest.approx(data["energy_mwh"]["unserved"], abs=1e-3)
    # the network is dispatched for the GPUs' peak draw; optimize.json counts energy at their mean draw
    assert float(n.generators_t.p["grid"].sum()) >= data["energy_mwh"]["grid"]


def test_a_build_too_big_is_refused_before_it_starts(tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = invoke(["optimize", "colossus-2025", "--max-time", "1s", "--out", str(out)])
    assert result.code == 2
    assert "least-cost build would need" in result.stderr and "snapshots x" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_bad_dispatch_rule_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = invoke(["optimize", "colossus-2025", *SHORT, "--dispatch", "cheapest", "--out", str(out)])
    assert result.code == 2
    assert not out.exists()


def test_three_hour_blocks_agree_with_the_simulator_and_the_hourly_build(
    solved: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    hourly, _ = solved
    out = tmp_path / "c25-3h"
    args = ["optimize", "colossus-2025", *SHORT, "--resolution", "3h", "--check", "--json", "--out", str(out)]
    result = invoke(args)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["step_h"] == 3.0 and data["hours"] == 72 and data["solver"]["snapshots"] == 24
    assert hourly["step_h"] == 1.0
    # the simulation still runs at the scenario's step, and agrees within the stated tolerance
    assert data["check"]["step_s"] == hourly["check"]["step_s"] < 3600.0
    assert data["check"]["agrees"], data["check"]
    assert data["energy_mwh"]["load"] == pytest.approx(hourly["energy_mwh"]["load"], rel=1e-9)
    assert data["costs"]["total"] == pytest.approx(hourly["costs"]["total"], rel=0.02)
    import pypsa

    n = pypsa.Network(str(out / "network.nc"))
    assert float(n.snapshot_weightings["objective"].sum()) == pytest.approx(72.0)


def test_a_bad_resolution_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = invoke(["optimize", "colossus-2025", *SHORT, "--resolution", "5h", "--out", str(out)])
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
