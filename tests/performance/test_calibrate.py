"""`megacluster calibrate` (issue 18 item 6): a bounded least-squares fit of one accelerator's and
network's efficiencies to measured runs, with identifiability, leave-one-out errors and an overlay every
command loads."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from cli.entry import invoke  # the real `megacluster` entry point, in-process
from megacluster.cli.performance import register
from megacluster.errors import InputError
from megacluster.performance.calibrate import (
    _overlay_for,
    _predict,
    _prepare,
    calibrate,
    choose_parameters,
)
from megacluster.performance.estimator import estimate
from megacluster.performance.overlay import load_overlay, overlay_from_mapping, overlay_to_toml
from megacluster.performance.spec import TrainingSpec
from megacluster.performance.validate import COLUMNS, read_runs, validate_runs

runner = CliRunner()
TRUTH = {"gemm_efficiency": 0.70, "scaleout_efficiency": 0.60}
"""The 'cluster' the synthetic runs come from: known values away from the catalog's (0.80, 0.85)."""


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _synthetic_specs() -> list[TrainingSpec]:
    """Six GPT-style runs on A100 (ib-hdr200) whose step times mix compute and data-parallel traffic."""
    out = []
    for i, (layers, hidden, tp, dp, gb) in enumerate(
        [(24, 2048, 1, 32, 64), (24, 2048, 2, 16, 32), (32, 4096, 4, 16, 64), (32, 4096, 8, 8, 64),
         (40, 5120, 8, 32, 64), (48, 6144, 8, 64, 128)]
    ):  # fmt: skip
        out.append(
            TrainingSpec(
                id=f"syn-{i}",
                params_b=12 * layers * hidden**2 / 1e9,
                layers=layers,
                hidden=hidden,
                heads=hidden // 128,
                ffn_hidden=4 * hidden,
                seq_len=2048,
                vocab=51200,
                gpu="a100-sxm4-80gb",
                gpus=tp * dp,
                tp=tp,
                pp=1,
                dp=dp,
                cp=1,
                ep=1,
                virtual_stages=1,
                micro_batch=1,
                global_batch=gb,
                recompute="full",
                sequence_parallel=tp > 1,
                zero_stage=0,
                precision="bf16",
                fused_attention=True,
                dp_overlap=False,
            )
        )
    rows = _prepare(out)
    measured = _predict(rows, _overlay_for("a100-sxm4-80gb", "ib-hdr200", TRUTH))
    return [
        s.model_copy(update={"measured_step_time_s": float(t)}) for s, t in zip(out, measured, strict=True)
    ]


def _write_csv(path: Path, specs: list[TrainingSpec]) -> Path:
    extra = ["fused_attention", "dp_overlap"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*COLUMNS, *extra])
        writer.writeheader()
        for s in specs:
            data = s.model_dump(mode="json")
            writer.writerow({k: "" if data.get(k) is None else data[k] for k in [*COLUMNS, *extra]})
    return path


def test_round_trip_recovers_the_parameters_that_made_the_runs() -> None:
    specs = _synthetic_specs()
    result = calibrate(specs, params=list(TRUTH), file="synthetic")
    for name, value in TRUTH.items():
        assert result.fitted[name] == pytest.approx(value, rel=0.02)
    assert max(abs(e) for e in result.error_after_fit) < 1e-3
    assert max(abs(e) for e in result.error_loo) < 0.02  # each run predicted from the other five
    assert np.median(np.abs(result.error_before)) > 0.05  # the catalog's values did not describe them


def test_automatic_choice_keeps_what_the_rows_identify() -> None:
    specs = _synthetic_specs()
    result = calibrate(specs, file="synthetic", leave_one_out=False)
    # dense BF16 runs without MoE, overlap or FP8 cannot say anything about those parameters
    for name in ("fp8_gemm_efficiency", "alltoall_efficiency", "overlap_slowdown"):
        assert name in result.unidentifiable
    assert 1 <= len(result.fitted) <= len(specs) // 2
    assert "gemm_efficiency" in result.fitted  # the most informative direction of compute-bound runs
    assert np.median(np.abs(result.error_after_fit)) < np.median(np.abs(result.error_before))


def test_refuses_more_parameters_than_rows_support() -> None:
    specs = _synthetic_specs()[:3]
    with pytest.raises(InputError) as exc:
        calibrate(specs, params=["gemm_efficiency", "scaleout_efficiency", "hbm_efficiency"], file="r.csv")
    assert exc.value.field == "--params"
    assert "3 runs support at most 2 fitted parameter(s)" in exc.value.expected
    with pytest.raises(InputError) as exc:
        calibrate(specs[:1], file="r.csv")
    assert exc.value.field == "--runs"


def test_names_parameters_the_rows_cannot_identify() -> None:
    specs = _synthetic_specs()
    with pytest.raises(InputError) as exc:
        calibrate(specs, params=["gemm_efficiency", "fp8_gemm_efficiency"], file="r.csv")
    assert exc.value.field == "--params" and "fp8_gemm_efficiency" in exc.value.expected
    with pytest.raises(InputError) as exc:
        calibrate(specs, params=["warp_speed"], file="r.csv")
    assert "not calibratable" in exc.value.expected


def test_pivoted_qr_drops_a_parameter_that_repeats_another() -> None:
    jac = np.array([[1.0, 2.0, 0.0], [0.5, 1.0, 0.0], [0.2, 0.4, 0.0]])  # b = 2 a; c moves nothing
    fit, dead, more = choose_parameters(jac, ["a", "b", "c"], limit=2)
    assert len(fit) == 1 and set(dead) == {"c", ({"a", "b"} - set(fit)).pop()} and more == []


def test_one_accelerator_at_a_time() -> None:
    specs = read_runs()
    with pytest.raises(InputError) as exc:
        calibrate(specs, file="published_runs.csv")
    assert exc.value.field == "--accelerator" and "a100-sxm4-80gb" in exc.value.expected
    with pytest.raises(InputError) as exc:
        calibrate(specs, accelerator="a100-sxm4-80gb", file="published_runs.csv")
    assert exc.value.field == "--network"  # its rows are on selene-2021 and the default network


def test_held_out_split_of_the_shipped_rows_improves_for_the_fitted_accelerator() -> None:
    # the A100 rows measured on Selene: fit on every other row, judge on the rest
    mine = [s for s in read_runs() if s.gpu == "a100-sxm4-80gb" and s.network == "selene-2021"]
    train, test = mine[0::2], mine[1::2]
    result = calibrate(train, "a100-sxm4-80gb", "selene-2021", leave_one_out=False)
    rows = _prepare(test)
    measured = np.array([float(s.measured_step_time_s or 0.0) for s in test])
    before = np.abs(_predict(rows, None) / measured - 1.0)
    after = np.abs(
        _predict(rows, _overlay_for("a100-sxm4-80gb", "selene-2021", result.fitted)) / measured - 1
    )
    assert np.mean(after) < np.mean(before)
    assert np.median(after) <= np.median(before)


def test_overlays_round_trip_and_bad_ones_name_the_field(tmp_path: Path) -> None:
    overlay = overlay_from_mapping({"accelerators": {"h100-sxm": {"gemm_efficiency": 0.6}}})
    path = tmp_path / "o.toml"
    path.write_text(overlay_to_toml(overlay), encoding="utf-8")
    assert load_overlay(path).accelerators == {"h100-sxm": {"gemm_efficiency": 0.6}}  # type: ignore[union-attr]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"accelerators": {"h100-sxm": {"gemm_efficiency": 1.5}}}, "accelerators.h100-sxm.gemm_efficiency"),
        ({"accelerators": {"h100-sxn": {"gemm_efficiency": 0.5}}}, "accelerators.h100-sxn"),
        ({"networks": {"ib-ndr400": {"warp": 1}}}, "networks.ib-ndr400.warp"),
        ({"gpus": {}}, "gpus"),
    ]
    for data, field in bad:
        with pytest.raises(InputError) as exc:
            overlay_from_mapping(data, "o.toml")
        assert exc.value.field == field


def test_calibrate_cli_writes_an_overlay_that_every_command_loads(app: typer.Typer, tmp_path: Path) -> None:
    runs = _write_csv(tmp_path / "mine.csv", _synthetic_specs())
    out = tmp_path / "my-cluster.toml"
    res = runner.invoke(
        app,
        [
            "calibrate",
            "--runs",
            str(runs),
            "--out",
            str(out),
            "--params",
            "gemm_efficiency,scaleout_efficiency",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "leave-one-out" in res.output and "not identifiable" in res.output
    overlay = load_overlay(out)
    assert overlay is not None and overlay.calibration["rows"] == [f"syn-{i}" for i in range(6)]
    assert overlay.accelerators["a100-sxm4-80gb"]["gemm_efficiency"] == pytest.approx(0.70, rel=0.02)
    # validate with and without the overlay
    plain = validate_runs(runs)
    fitted = validate_runs(runs, overlay)
    assert fitted.median_abs_error < 0.005 < plain.median_abs_error
    res = runner.invoke(app, ["validate", "--runs", str(runs), "--efficiency", str(out), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["median_abs_error"] < 0.005
    # estimate and plan accept it too
    spec = read_runs(runs)[0]
    assert estimate(spec, overlay=overlay).step_time_s != estimate(spec).step_time_s
    # an existing file is not replaced without --force
    res = runner.invoke(app, ["calibrate", "--runs", str(runs), "--out", str(out)])
    assert res.exit_code == 2 and "--force" in res.output


def test_calibrate_replaces_only_its_own_overlay(app: typer.Typer, tmp_path: Path) -> None:
    """--force replaces an overlay megacluster wrote; a user's file of that name is never replaced, and no
    staging file is left beside it."""
    runs = _write_csv(tmp_path / "mine.csv", _synthetic_specs())
    args = ["calibrate", "--runs", str(runs), "--params", "gemm_efficiency"]
    mine = tmp_path / "notes.toml"
    mine.write_bytes(b"# my own notes\nkeep = true\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    for extra in ([], ["--force"]):
        res = runner.invoke(app, [*args, "--out", str(mine), *extra])
        assert res.exit_code == 2 and "not written by megacluster" in res.output, res.output
        assert mine.read_bytes() == b"# my own notes\nkeep = true\n"
    link = tmp_path / "link.toml"
    link.symlink_to(mine)
    res = runner.invoke(app, [*args, "--out", str(link), "--force"])
    assert res.exit_code == 2 and link.is_symlink() and mine.read_bytes().startswith(b"# my own")
    out = tmp_path / "overlay.toml"
    assert runner.invoke(app, [*args, "--out", str(out)]).exit_code == 0
    first = out.read_bytes()
    assert runner.invoke(app, [*args, "--out", str(out), "--force"]).exit_code == 0
    assert out.read_bytes() == first and (out.stat().st_mode & 0o777) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "link.toml", "overlay.toml"])


def test_a_scenario_loads_its_overlay(tmp_path: Path) -> None:
    from megacluster.engine.training import job_throughput
    from megacluster.scenario.load import load_scenario

    slow = tmp_path / "slow.toml"
    slow.write_text("[accelerators.h100-sxm]\ngemm_efficiency = 0.3\n", encoding="utf-8")
    changes = {"training.job_gpus": 1024, "simulation.horizon_days": 1}
    base = load_scenario("llama3-meta-24k", changes)
    tuned = load_scenario("llama3-meta-24k", {**changes, "performance.efficiency": str(slow)})
    assert tuned.performance is not None and tuned.performance.efficiency == str(slow)
    assert job_throughput(tuned)[0].mfu < 0.75 * job_throughput(base)[0].mfu
    with pytest.raises(InputError) as exc:
        load_scenario("llama3-meta-24k", {**changes, "performance.efficiency": str(tmp_path / "none.toml")})
    assert "performance.efficiency" in str(exc.value)


def test_every_command_takes_the_overlay_through_the_real_entry_point(tmp_path: Path) -> None:
    spec = tmp_path / "gpt.toml"
    spec.write_text(
        "params_b = 1.7\nlayers = 24\nhidden = 2304\nheads = 24\nffn_hidden = 9216\nseq_len = 2048\n"
        "vocab = 51200\n"
        'gpu = "a100-sxm4-80gb"\ngpus = 32\ntp = 1\npp = 1\ndp = 32\ncp = 1\nmicro_batch = 16\n'
        'global_batch = 512\nrecompute = "full"\nzero_stage = 0\nprecision = "fp16"\n',
        encoding="utf-8",
    )
    slow = tmp_path / "slow.toml"
    slow.write_text("[accelerators.a100-sxm4-80gb]\ngemm_efficiency = 0.4\n", encoding="utf-8")
    for command in (["estimate", str(spec), "--json"], ["plan", str(spec), "--top", "1", "--json"]):
        plain, tuned = invoke(command), invoke([*command, "--efficiency", str(slow)])
        assert plain.code == 0 and tuned.code == 0, plain.stderr + tuned.stderr

        def step_s(text: str) -> float:
            data = json.loads(text)
            return float((data["plans"][0] if "plans" in data else data)["step_time_s"])

        assert step_s(tuned.stdout) > 1.5 * step_s(plain.stdout)  # half the matmul rate: much slower
    # a missing overlay is bad input for every command: exit 2, the option named, nothing written
    out = tmp_path / "run-out"
    for command in (
        ["estimate", str(spec)],
        ["validate"],
        ["run", "llama3-meta-24k", "--days", "1", "--out", str(out)],
    ):
        res = invoke([*command, "--efficiency", str(tmp_path / "none.toml")])
        assert res.code == 2, (command, res.stdout, res.stderr)
        assert "none.toml" in res.stderr + res.stdout
    assert not out.exists()
