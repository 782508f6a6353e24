"""``megacluster sensitivity``: a scenario's uncertain fields (Morris, Sobol), a finished sweep, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli.entry import invoke
from megacluster.sweep.designs import scaled_points
from megacluster.sweep.spec import RangeParameter


def test_morris_ranks_the_flop_target_first(uncertain_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    res = invoke(
        [
            "sensitivity",
            str(uncertain_path),
            "--method",
            "morris",
            "--samples",
            "12",
            "--outputs",
            "finish_day,goodput",
            "--out",
            str(out),
        ]
    )
    assert res.code == 0, res.stderr
    table = pd.read_csv(out / "sensitivity.csv")
    finish = table[table["output"] == "training.finish_day"]
    assert finish.iloc[0]["input"] == "training.target_flop"
    assert {"mu_star", "mu_star_conf"} <= set(table.columns)
    meta = json.loads((out / "sensitivity.json").read_text())
    assert meta["runs"] == 12 and meta["method"] == "morris"
    html = (out / "report.html").read_text()
    assert "chart-sensitivity-0" in html and "sensitivity-table" in html
    assert "training.target_flop" in res.stdout


def test_sobol_prints_first_and_total_indices(uncertain_path: Path, tmp_path: Path) -> None:
    res = invoke(
        [
            "sensitivity",
            str(uncertain_path),
            "--samples",
            "16",
            "--outputs",
            "finish_day",
            "--out",
            str(tmp_path / "s"),
        ]
    )
    assert res.code == 0, res.stderr
    assert "ST" in res.stdout and "S1" in res.stdout and "±95%" in res.stdout
    table = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert len(table) == 2 and table.iloc[0]["input"] == "training.target_flop"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--outputs", "finish_day,no_such_figure"], "no_such_figure"),
        (["--method", "fast"], "sobol or morris"),
        (["--max-time", "1s", "--samples", "100000"], "over the time limit"),
    ],
)
def test_bad_requests_exit_2_before_any_work(
    uncertain_path: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    res = invoke(["sensitivity", str(uncertain_path), *args, "--out", str(tmp_path / "s")])
    assert res.code == 2
    assert expected in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_scenario_without_uncertain_fields_is_refused(small_scenario_path: Path, tmp_path: Path) -> None:
    res = invoke(["sensitivity", str(small_scenario_path), "--out", str(tmp_path / "s")])
    assert res.code == 2 and "no uncertain fields" in res.stderr


def _fake_sweep(folder: Path) -> None:
    """A finished sweep folder as the sweep writes it: manifest.json and results.parquet (2 replicas)."""
    params = [
        RangeParameter(field="a.x", min=0.0, max=1.0),
        RangeParameter(field="b.y", min=0.0, max=1.0),
        RangeParameter(field="c.z", min=1, max=8, integer=True),
    ]
    points = scaled_points("latin_hypercube", params, 200, seed=5)
    rows = []
    for i, p in enumerate(points):
        for r in range(2):
            y = 10 * p["a.x"] + p["b.y"] ** 2 + 0.01 * r  # type: ignore[operator]
            rows.append({"point": i, "replica": r, "seed": r, "error": None, **p, "training.finish_day": y})
    folder.mkdir()
    spec = {"design": {"kind": "latin_hypercube", "parameters": [p.model_dump() for p in params]}}
    (folder / "manifest.json").write_text(json.dumps({"spec": spec}), encoding="utf-8")
    pd.DataFrame(rows).to_parquet(folder / "results.parquet")


def test_sensitivity_on_a_finished_sweep_folder(tmp_path: Path) -> None:
    _fake_sweep(tmp_path / "sweep")
    res = invoke(
        ["sensitivity", str(tmp_path / "sweep"), "--outputs", "finish_day", "--out", str(tmp_path / "s")]
    )
    assert res.code == 0, res.stderr
    table = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert table.iloc[0]["input"] == "a.x" and table.iloc[0]["S1"] > 0.8  # 10 x: ~99% of the variance
    assert (table.iloc[1:]["S1"].abs() < 0.1).all()


def test_space_filling_designs_stay_in_range_and_stratify() -> None:
    params = [
        RangeParameter(field="x", min=2.0, max=4.0),
        RangeParameter(field="n", min=1, max=4, integer=True),
    ]
    for kind in ("latin_hypercube", "sobol"):
        pts = scaled_points(kind, params, 16, seed=1)
        xs = np.array([p["x"] for p in pts], float)
        assert xs.min() >= 2.0 and xs.max() <= 4.0
        assert sorted({p["n"] for p in pts}) == [1, 2, 3, 4]
        assert sorted(np.floor((xs - 2.0) / 2.0 * 16).astype(int)) == list(range(16))  # one per stratum
    assert scaled_points("sobol", params, 8, seed=1) == scaled_points("sobol", params, 8, seed=1)


@pytest.mark.parametrize("kind", ["latin_hypercube", "sobol"])
def test_sweep_files_take_space_filling_designs(tmp_path: Path, small_scenario_path: Path, kind: str) -> None:
    from megacluster.sweep.plan import plan_from_file

    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'name = "s"\nbase = "{small_scenario_path}"\nseed = 3\n[design]\nkind = "{kind}"\nsamples = 8\n'
        '[[design.parameters]]\nfield = "power.generators[0].count"\nmin = 0\nmax = 3\ninteger = true\n'
        '[[design.parameters]]\nfield = "reliability.restart_s"\nmin = 300\nmax = 3000\n',
        encoding="utf-8",
    )
    plan = plan_from_file(sweep)
    assert len(plan.points) == 8
    restarts = sorted(p.scenario.reliability.restart_s for p in plan.points)
    assert sorted(np.floor((np.array(restarts) - 300) / 2700 * 8).astype(int)) == list(range(8))
    assert {p.scenario.power.generators[0].count for p in plan.points} <= {0, 1, 2, 3}
