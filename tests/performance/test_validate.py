"""Regression: the shipped published runs stay within the accuracy target."""

from __future__ import annotations

from megacluster.performance.validate import read_runs, validate_runs


def test_validate_meets_target() -> None:
    report = validate_runs()
    assert len(report.runs) == 34
    assert report.median_abs_error <= 0.10
    assert report.max_abs_error <= 0.25
    for r in report.runs:
        assert r.error == r.predicted_step_time_s / r.measured_step_time_s - 1


def test_every_row_is_a_valid_spec() -> None:
    specs = read_runs()
    assert len({s.id for s in specs}) == len(specs)
    assert all(s.tp and s.pp and s.dp for s in specs)
