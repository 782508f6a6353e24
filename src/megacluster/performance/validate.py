"""Predict every run of a published-measurements CSV and compare with the measured step time. [-]"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from megacluster.errors import InputError, read_text_file
from megacluster.performance.estimator import estimate
from megacluster.performance.overlay import Overlay
from megacluster.performance.spec import TrainingSpec, spec_from_mapping

_HEADER = (
    "id,source,model,params_b,layers,hidden,heads,kv_heads,ffn_hidden,seq_len,vocab,moe_experts,moe_top_k,"
    "moe_ffn_hidden,gpu,gpus,tp,pp,dp,cp,ep,virtual_stages,micro_batch,global_batch,recompute,"
    "sequence_parallel,zero_stage,precision,measured_step_time_s,derivation"
)
COLUMNS: tuple[str, ...] = tuple(_HEADER.split(","))


@dataclass(frozen=True)
class RunResult:
    """One validated run. [s]"""

    id: str
    predicted_step_time_s: float
    measured_step_time_s: float
    error: float
    mfu: float
    chosen: dict[str, Any]


@dataclass(frozen=True)
class ValidationReport:
    """All runs and the summary errors (error = predicted / measured - 1). [-]"""

    runs: list[RunResult]
    median_abs_error: float
    max_abs_error: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of `megacluster validate --json`. [-]"""
        return {
            "runs": [
                {
                    "id": r.id,
                    "predicted_step_time_s": r.predicted_step_time_s,
                    "measured_step_time_s": r.measured_step_time_s,
                    "error": r.error,
                }
                for r in self.runs
            ],
            "median_abs_error": self.median_abs_error,
            "max_abs_error": self.max_abs_error,
        }


def default_runs_path() -> Path:
    """The shipped published_runs.csv. [-]"""
    return Path(str(resources.files("megacluster.performance").joinpath("data", "published_runs.csv")))


def read_runs(csv_path: str | Path | None = None) -> list[TrainingSpec]:
    """Specs of every row of a published-runs CSV (blank = None). [-]"""
    path = Path(csv_path) if csv_path is not None else default_runs_path()
    text = read_text_file(path, "published-runs table (CSV)")
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(str(path), missing[0], f"column missing; the header must be: {','.join(COLUMNS)}")
    specs = []
    for n, row in enumerate(reader, start=2):
        if not row.get("measured_step_time_s", "").strip():
            raise InputError(f"{path}:{n}", "measured_step_time_s", "a measured step time is required")
        specs.append(spec_from_mapping(dict(row), f"{path}:{n}", need_layout=True))
    if not specs:
        raise InputError(str(path), None, "no runs in the file")
    return specs


def validate_runs(csv_path: str | Path | None = None, overlay: Overlay | None = None) -> ValidationReport:
    """Predict every run (with a calibration overlay, if given) and summarise the step-time errors. [-]"""
    results = []
    for spec in read_runs(csv_path):
        est = estimate(spec, overlay=overlay)
        measured = float(spec.measured_step_time_s or 0.0)
        results.append(
            RunResult(
                id=spec.id,
                predicted_step_time_s=est.step_time_s,
                measured_step_time_s=measured,
                error=est.step_time_s / measured - 1.0,
                mfu=est.mfu,
                chosen=est.chosen,
            )
        )
    errs = np.abs([r.error for r in results])
    return ValidationReport(results, float(np.median(errs)), float(np.max(errs)))
