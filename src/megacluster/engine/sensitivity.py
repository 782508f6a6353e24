"""Global sensitivity of a scenario's outputs to its uncertain assumptions (the ``{ dist = ... }`` fields).

SALib draws the design in the unit hypercube (uncertainty/salib.py); each row maps through every field's
quantile function (truncated to the field's bounds, as in a run), is validated as a scenario, and runs as one
replica. Every run shares the seed (common random numbers), so the indices measure the assumptions, not the
failure noise. Runs use a coarse step (1 h unless asked) and no sub-second swings to keep ~256 runs of a
flagship within minutes; the budget (engine/budget.py) refuses oversized work before it starts.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import typing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from megacluster.engine.budget import WorkEstimate, estimate_work
from megacluster.engine.replicas import auto_workers
from megacluster.engine.simulate import simulate
from megacluster.errors import InputError
from megacluster.results.summary import Summary
from megacluster.scenario.distributions import values_at, with_values
from megacluster.scenario.schema import Scenario
from megacluster.uncertainty.salib import Method, analyze, base_for, runs_for, sample
from megacluster.units import SECONDS_PER_HOUR

DEFAULT_OUTPUTS = ("finish_day", "cost_usd", "emissions_t.co2", "goodput")
"""Outputs analysed when none are named (names of summary.json figures; ``training.`` may be left out). [-]"""

SENSITIVITY_STEP_S = SECONDS_PER_HOUR
"""[A] Time step of the sensitivity runs unless asked otherwise: the flagship's finish day moves by ~0.4 d
between 5-minute and 1-hour steps (238.5 vs 238.2, measured), small against the spreads analysed. [s]"""


TAIL = 0.005
"""[A] The design spans each input's 0.5th to 99.5th percentile: Morris's grid reaches the unit cube's
faces, which are the infinite tails of a log-normal or normal (a zero FLOP target, say). [-]"""


def _numeric(annotation: Any) -> bool:
    args = typing.get_args(annotation) or (annotation,)
    return any(a in (float, int) for a in args)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    args = typing.get_args(annotation) or (annotation,)
    return next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)


def output_path(name: str) -> str:
    """The dotted summary.json path of an output (``finish_day`` -> ``training.finish_day``, ``cost_usd`` ->
    ``cost_usd.total``); InputError (exit 2) for a name the summary does not have as a number. [-]"""
    for candidate in (name, f"training.{name}"):
        model: type[BaseModel] | None = Summary
        annotation: Any = None
        for part in candidate.split("."):
            if model is None or part not in model.model_fields:
                annotation = None
                break
            annotation = model.model_fields[part].annotation
            model = _model_of(annotation)
        if annotation is None:
            continue
        if _numeric(annotation):
            return candidate
        if model is not None and "total" in model.model_fields:
            return f"{candidate}.total"
    numbers = sorted(n for n, f in Summary.model_fields.items() if _numeric(f.annotation))
    raise InputError(
        "--outputs",
        name,
        f"not a number in summary.json; use e.g. {', '.join(DEFAULT_OUTPUTS)} or a top-level figure such as "
        f"{', '.join(numbers[:6])} (docs/summary.schema.json lists them all)",
    )


def value_at(tree: dict[str, Any], dotted: str) -> float:
    """A figure of a summary dict (NaN where the run has none, e.g. an unfinished job's finish day). [-]"""
    node: Any = tree
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return float(node) if isinstance(node, int | float) else float("nan")


@dataclass(frozen=True)
class SensitivityResult:
    """A finished analysis: the design, every run's outputs, and the ranked indices per output."""

    method: Method
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    base: int
    runs: int
    step_s: float
    values: list[list[Any]]
    """Each run's input values (the fields' own units). [-]"""
    y: dict[str, npt.NDArray[np.float64]]
    """Each output's value per run (NaN: not reached, e.g. never finished). [output's unit]"""
    rows: list[dict[str, float | str]]
    """One row per output x input, ranked within each output. [-]"""
    unfinished: int = 0
    """Runs whose job had not finished by the horizon (their finish day is the horizon: a lower bound). [-]"""


def sensitivity_work(scenario: Scenario, runs: int) -> WorkEstimate:
    """Memory and time of ``runs`` one-replica runs, one after the other, for the budget check. [B], [s]"""
    one = estimate_work(scenario, replicas=1)
    return dataclasses.replace(one, replicas=runs, seconds=one.seconds * runs, runs_label="model runs")


def coarse(scenario: Scenario, step_s: float | None) -> Scenario:
    """The scenario the runs use: one replica at ``step_s`` (default the coarser of 1 h and its own). [-]"""
    sim = scenario.simulation
    step = max(sim.step, SENSITIVITY_STEP_S) if step_s is None else step_s
    return scenario.model_copy(update={"simulation": sim.model_copy(update={"step": step, "replicas": 1})})


def plan(scenario: Scenario, method: Method, runs: int) -> tuple[int, int]:
    """The base sample and the runs it takes within a budget of ``runs``; InputError without uncertain
    fields. [-]"""
    if not scenario.uncertain:
        raise InputError(
            None,
            "uncertain",
            "the scenario has no uncertain fields; give some as { dist = ... } (docs/uncertainty.md)",
        )
    base = base_for(method, len(scenario.uncertain), runs)
    return base, runs_for(method, len(scenario.uncertain), base)


def _one(scenario: Scenario, fields: Sequence[str], row: Sequence[Any], paths: Sequence[str]) -> list[float]:
    res = simulate(with_values(scenario, fields, row), replicas=1, swings=False, workers=1)
    tree = res.summary.model_dump(mode="json")
    return [value_at(tree, p) for p in paths]


def run_sensitivity(
    scenario: Scenario,
    outputs: Sequence[str],
    base: int,
    method: Method,
    *,
    workers: int | None = None,
    on_run: Callable[[], None] | None = None,
) -> SensitivityResult:
    """Sample, run (in parallel on the local cores when ``workers`` allows) and analyse. ``scenario`` is
    the one the runs use (see :func:`coarse`); ``base`` from :func:`plan`. [-]"""
    paths = [output_path(o) for o in outputs]
    fields = [u.field for u in scenario.uncertain]
    seed = scenario.simulation.seed
    u = sample(method, fields, base, seed)
    values = values_at(scenario, np.clip(u, TAIL, 1.0 - TAIL))
    for row in {tuple(map(str, v)): v for v in values}.values():  # validate before any run
        with_values(scenario, fields, row)
    n = auto_workers(len(values)) if workers is None else max(1, min(workers, len(values)))
    out: list[list[float]] = []
    if n == 1:
        for row in values:
            out.append(_one(scenario, fields, row, paths))
            if on_run is not None:
                on_run()
    else:
        with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("forkserver")) as pool:
            for result in pool.map(
                _one, *zip(*[(scenario, fields, row, paths) for row in values], strict=True)
            ):
                out.append(result)
                if on_run is not None:
                    on_run()
    y_all = np.asarray(out, float).reshape(len(values), len(paths))
    horizon = scenario.simulation.horizon_days
    unfinished = 0
    rows: list[dict[str, float | str]] = []
    y: dict[str, npt.NDArray[np.float64]] = {}
    for k, path in enumerate(paths):
        col = y_all[:, k]
        if path.endswith("finish_day"):
            unfinished = int(np.isnan(col).sum())
            col = np.where(np.isnan(col), horizon, col)
        y[path] = col
        for r in analyze(method, fields, u, np.nan_to_num(col), seed):
            rows.append({"output": path, **r})
    return SensitivityResult(
        method,
        tuple(fields),
        tuple(paths),
        base,
        len(values),
        scenario.simulation.step,
        values,
        y,
        rows,
        unfinished,
    )


def column_for(name: str, columns: Sequence[str]) -> str:
    """The results-table column of an output (``finish_day`` -> ``training.finish_day``); InputError. [-]"""
    for candidate in (name, f"training.{name}", f"{name}.total", f"training.{name}.total"):
        if candidate in columns:
            return candidate
    raise InputError("--outputs", name, "not a figure of this sweep's results table")


def from_given_data(
    fields: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    frame: Any,
    outputs: Sequence[str],
    seed: int = 0,
) -> SensitivityResult:
    """First-order indices (RBD-FAST) from a finished sweep's points: inputs joined to outputs. [-]"""
    cols = [column_for(o, list(frame.columns)) for o in outputs]
    x = frame[list(fields)].to_numpy(float)
    if len(x) < 2 * len(fields) + 2:
        raise InputError(
            "sweep", None, f"{len(x)} points are too few for {len(fields)} inputs; use a larger design"
        )
    rows: list[dict[str, float | str]] = []
    y = {}
    for c in cols:
        col = frame[c].to_numpy(float)
        y[c] = col
        for r in analyze(Method.GIVEN_DATA, fields, x, np.nan_to_num(col), seed, bounds=bounds):
            rows.append({"output": c, **r})
    return SensitivityResult(
        Method.GIVEN_DATA, tuple(fields), tuple(cols), len(x), len(x), float("nan"), x.tolist(), y, rows
    )
