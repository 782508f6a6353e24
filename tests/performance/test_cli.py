"""The estimate, plan and validate commands, and every kind of bad input (exit 2, field named)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from megacluster.cli.performance import register
from megacluster.performance.validate import default_runs_path

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _row(run_id: str) -> dict[str, str]:
    with default_runs_path().open(encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["id"] == run_id)


def _toml_value(key: str, value: str) -> str:
    ints = {
        "layers",
        "hidden",
        "heads",
        "kv_heads",
        "ffn_hidden",
        "seq_len",
        "vocab",
        "gpus",
        "tp",
        "pp",
        "dp",
        "cp",
        "ep",
        "virtual_stages",
        "micro_batch",
        "global_batch",
        "zero_stage",
        "moe_experts",
        "moe_top_k",
        "moe_ffn_hidden",
    }
    floats = {"params_b", "measured_step_time_s"}
    if key in ints:
        return str(int(value))
    if key in floats:
        return str(float(value))
    if key == "sequence_parallel":
        return value.lower()
    return json.dumps(value)


def write_spec(tmp_path: Path, row: dict[str, str], **changes: object) -> Path:
    lines = []
    data: dict[str, object] = {k: v for k, v in row.items() if v != ""}
    data.update(changes)
    for key, value in data.items():
        if value is None:
            continue
        lines.append(f"{key} = {_toml_value(key, str(value))}")
    path = tmp_path / "SPEC.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_estimate_json_matches_the_published_row(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("K22-T5-2b"))
    res = runner.invoke(app, ["estimate", str(spec), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    for key in (
        "step_time_s",
        "tokens_per_s",
        "tflops_per_gpu",
        "mfu",
        "memory_per_gpu_gib",
        "fits",
        "breakdown",
    ):
        assert key in out
    assert out["step_time_s"] == pytest.approx(13.75, rel=0.10)
    assert out["fits"] is True
    assert {"compute", "tp_comm", "bubble", "dp_comm"} <= set(out["breakdown"])


def test_estimate_text(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("NEMO4-15B-1"))
    res = runner.invoke(app, ["estimate", str(spec)])
    assert res.exit_code == 0, res.output
    assert "breakdown" in res.output and "micro_batch" in res.output  # names the knobs it chose


def test_plan_json_ranks_by_step_time(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("K22-T5-2b"), tp=None, pp=None, dp=None, virtual_stages=None)
    res = runner.invoke(app, ["plan", str(spec), "--gpus", "128", "--top", "3", "--json"])
    assert res.exit_code == 0, res.output
    plans = json.loads(res.output)["plans"]
    assert len(plans) == 3
    times = [p["step_time_s"] for p in plans]
    assert times == sorted(times)
    for p in plans:
        lay = p["layout"]
        assert lay["tp"] * lay["pp"] * lay["dp"] * lay["cp"] == 128 and p["fits"]


def test_plan_text(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("MPT-BENCH-13B"))
    res = runner.invoke(app, ["plan", str(spec)])
    assert res.exit_code == 0, res.output
    assert "plan" in res.output


def test_validate_json(app: typer.Typer) -> None:
    res = runner.invoke(app, ["validate", "--json", "--max-median-error", "0.10"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {"runs", "median_abs_error", "max_abs_error"}
    assert set(out["runs"][0]) == {"id", "predicted_step_time_s", "measured_step_time_s", "error"}
    assert out["median_abs_error"] <= 0.10


def test_validate_markdown_is_the_docs_table(app: typer.Typer) -> None:
    res = runner.invoke(app, ["validate", "--markdown"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0] == "| run | predicted [s] | measured [s] | error | predicted MFU |"
    assert lines[2].startswith("| N21-T1-1 | 3.674 | 3.528 | +4.2% |")
    assert lines[-1].startswith("Median \\|error\\| **") and "over 37 runs" in lines[-1]


def test_calibrate_out_must_be_a_new_file_in_an_existing_folder(app: typer.Typer, tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(default_runs_path().read_text(encoding="utf-8"), encoding="utf-8")
    for out, expected in ((tmp_path, "not a folder"), (tmp_path / "no" / "o.toml", "does not exist")):
        res = runner.invoke(app, ["calibrate", "--runs", str(runs), "--out", str(out)])
        assert res.exit_code == 2 and expected in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv"]  # nothing written


def test_validate_fails_a_tight_target(app: typer.Typer) -> None:
    res = runner.invoke(app, ["validate", "--max-median-error", "0.001"])
    assert res.exit_code == 1
    assert "median" in res.output


def test_validate_other_csv(app: typer.Typer, tmp_path: Path) -> None:
    text = default_runs_path().read_text(encoding="utf-8").splitlines()
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(text[:3]) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", "--runs", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)["runs"]) == 2


BAD = [
    ({"dp": 2}, "gpus"),  # degrees do not multiply to the GPU count
    ({"tp": 7, "dp": 1, "gpus": 448}, "tp"),  # heads not divisible by tp
    ({"pp": 128, "tp": 1, "dp": 1, "gpus": 128, "virtual_stages": 1}, "pp"),  # more stages than layers
    ({"global_batch": 63, "micro_batch": 2}, "global_batch"),  # not divisible by dp x micro-batch
    ({"gpu": "h100-pcie"}, "gpu"),  # unknown accelerator
    ({"recompute": "sometimes"}, "recompute"),
    ({"precision": "fp8", "gpu": "a100-sxm4-80gb"}, "precision"),
    ({"layers": -3}, "layers"),
    ({"colour": "blue"}, "colour"),  # not a column
    ({"ep": 2}, "ep"),  # expert parallel on a dense model
]


@pytest.mark.parametrize(("changes", "field"), BAD)
def test_bad_spec_exits_2_naming_the_field(
    app: typer.Typer, tmp_path: Path, changes: dict[str, object], field: str
) -> None:
    spec = write_spec(tmp_path, _row("K22-T5-2b"), **changes)
    res = runner.invoke(app, ["estimate", str(spec)])
    assert res.exit_code == 2, res.output
    assert f"field '{field}'" in res.output


def test_unknown_accelerator_lists_choices(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("K22-T5-2b"), gpu="h100-sxn")
    res = runner.invoke(app, ["estimate", str(spec)])
    assert res.exit_code == 2
    assert "did you mean 'h100-sxm'" in res.output and "a100-sxm4-80gb" in res.output


def test_plan_with_nothing_that_fits_says_why(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("N21-T1-10"), tp=None, pp=None, dp=None)
    res = runner.invoke(app, ["plan", str(spec), "--gpus", "8"])
    assert res.exit_code == 2
    assert "fits in memory" in res.output


def test_plan_with_no_valid_degrees_says_why(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("K22-T5-1a"), tp=None, pp=None, dp=None, global_batch=3)
    res = runner.invoke(app, ["plan", str(spec), "--gpus", "97"])
    assert res.exit_code == 2
    assert "field 'gpus'" in res.output and "global_batch" in res.output


def test_missing_file_and_bad_toml(app: typer.Typer, tmp_path: Path) -> None:
    res = runner.invoke(app, ["estimate", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2 and "not found" in res.output
    bad = tmp_path / "bad.toml"
    bad.write_text("layers = [\n", encoding="utf-8")
    res = runner.invoke(app, ["estimate", str(bad)])
    assert res.exit_code == 2 and "TOML" in res.output


def test_estimate_needs_degrees(app: typer.Typer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, _row("K22-T5-1a"), tp=None, pp=None, dp=None)
    res = runner.invoke(app, ["estimate", str(spec)])
    assert res.exit_code == 2 and "field 'tp'" in res.output


def test_validate_csv_missing_a_column(app: typer.Typer, tmp_path: Path) -> None:
    lines = default_runs_path().read_text(encoding="utf-8").splitlines()
    path = tmp_path / "runs.csv"
    path.write_text(
        "\n".join([lines[0].replace(",vocab,", ",vocabulary,"), lines[1]]) + "\n", encoding="utf-8"
    )
    res = runner.invoke(app, ["validate", "--runs", str(path)])
    assert res.exit_code == 2 and "field 'vocab'" in res.output
