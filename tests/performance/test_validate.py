"""Validation against the published runs: the shipped table meets the accuracy target, and the report's
errors and summary statistics are what their names say (checked against the CSV and hand-worked numbers)."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

from megacluster.errors import InputError
from megacluster.performance.validate import COLUMNS, default_runs_path, read_runs, validate_runs

N21_T1_1_PREDICTED_S = 3.674426630247699
"""The model's step time for N21-T1-1 (GPT 1.7B on 32 A100, Narayanan et al. 2021 Table 1). [s]"""


def _shipped_rows() -> list[dict[str, str]]:
    with default_runs_path().open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_runs(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_validate_meets_target() -> None:
    report = validate_runs()
    rows = _shipped_rows()
    measured = {row["id"]: float(row["measured_step_time_s"]) for row in rows}
    assert [r.id for r in report.runs] == [row["id"] for row in rows] and len(rows) == 34
    for r in report.runs:
        assert r.measured_step_time_s == measured[r.id]  # the published value, read from the CSV
        assert r.predicted_step_time_s > 0 and 0 < r.mfu < 1
    abs_errors = [abs(r.predicted_step_time_s / measured[r.id] - 1) for r in report.runs]
    assert report.median_abs_error == pytest.approx(statistics.median(abs_errors), rel=1e-12)
    assert report.max_abs_error == pytest.approx(max(abs_errors), rel=1e-12)
    assert report.median_abs_error <= 0.10
    assert report.max_abs_error <= 0.25


def test_error_of_a_row_is_predicted_over_measured_minus_one() -> None:
    run = next(r for r in validate_runs().runs if r.id == "N21-T1-1")
    assert run.measured_step_time_s == 3.528  # Narayanan et al. 2021, Table 1 (derivation in the CSV)
    assert run.predicted_step_time_s == pytest.approx(N21_T1_1_PREDICTED_S, rel=1e-9)
    assert run.error == pytest.approx(3.674426630247699 / 3.528 - 1, rel=1e-9)  # +4.15 %
    assert run.error == pytest.approx(0.0415041469, rel=1e-8)


def test_median_and_max_over_known_errors(tmp_path: Path) -> None:
    # one published run, re-measured at times that make the errors exactly +10 %, -20 %, +5 %, -2 %, +30 %
    base = next(row for row in _shipped_rows() if row["id"] == "N21-T1-1")
    errors = [0.10, -0.20, 0.05, -0.02, 0.30]
    rows = [
        {**base, "id": f"r{i}", "measured_step_time_s": repr(N21_T1_1_PREDICTED_S / (1 + e))}
        for i, e in enumerate(errors)
    ]
    report = validate_runs(_write_runs(tmp_path / "runs.csv", rows))
    assert [r.id for r in report.runs] == ["r0", "r1", "r2", "r3", "r4"]
    assert [r.error for r in report.runs] == pytest.approx(errors, rel=1e-9)
    assert report.median_abs_error == pytest.approx(0.10, rel=1e-9)  # median of 2, 5, 10, 20, 30 %
    assert report.max_abs_error == pytest.approx(0.30, rel=1e-9)
    as_dict = report.to_dict()
    assert as_dict["median_abs_error"] == report.median_abs_error
    assert as_dict["max_abs_error"] == report.max_abs_error
    assert as_dict["runs"][1] == {
        "id": "r1",
        "predicted_step_time_s": report.runs[1].predicted_step_time_s,
        "measured_step_time_s": float(rows[1]["measured_step_time_s"]),
        "error": report.runs[1].error,
    }


def test_every_row_is_a_valid_spec() -> None:
    specs = read_runs()
    assert len({s.id for s in specs}) == len(specs)
    assert all(s.tp and s.pp and s.dp for s in specs)


def test_bad_tables_name_the_problem(tmp_path: Path) -> None:
    base = next(row for row in _shipped_rows() if row["id"] == "N21-T1-1")
    no_time = _write_runs(tmp_path / "no_time.csv", [{**base, "measured_step_time_s": " "}])
    with pytest.raises(InputError, match=r"measured_step_time_s.*a measured step time is required") as exc:
        read_runs(no_time)
    assert ":2" in str(exc.value)  # the line of the row
    with pytest.raises(InputError, match="no runs in the file"):
        read_runs(_write_runs(tmp_path / "empty.csv", []))
    short = tmp_path / "short.csv"
    short.write_text("id,source\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"model.*column missing"):
        read_runs(short)
