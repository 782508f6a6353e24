"""The unit of work of a sweep: one scenario, one seed, one flat row of figures.

Everything here is pure (no global state, no files): Ray may run it in any worker, in any order, twice.
"""

from __future__ import annotations

import json
import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from megacluster.scenario.schema import Scenario
from megacluster.sweep.spec import ScalarValue

UnitOfWork = Callable[[Scenario, int], Mapping[str, Any]]
"""``(scenario, seed) -> flat figures``; :func:`simulate_point` in production, a stand-in in tests."""

KEY_COLUMNS = ("point", "replica", "seed", "error")
"""Columns every row of the results table starts with."""


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested dict as one level with dotted names; lists become JSON text, numpy scalars Python ones."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            out[name] = json.dumps(value, default=str)
        elif hasattr(value, "item") and callable(value.item):
            out[name] = value.item()
        elif isinstance(value, float) and not math.isfinite(value):
            out[name] = None
        elif value is None or isinstance(value, bool | int | float | str):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def simulate_point(scenario: Scenario | Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Simulate one replica of a scenario and return its summary flattened with dotted names.

    ``scenario`` is a validated :class:`Scenario` or a scenario dict (validated here). [-]
    """
    from megacluster.engine.simulate import simulate
    from megacluster.scenario.load import scenario_from_dict

    model = scenario if isinstance(scenario, Scenario) else scenario_from_dict(scenario, "sweep point")
    results = simulate(model, seed=seed, replicas=1, swings=False)  # the sub-second swings: per run, not here
    return flatten(results.summary.model_dump(mode="json"))


class EngineUnit:
    """The production unit of work: :func:`simulate_point`, the per-scenario set-up shared by the replicas
    of one task.

    ``prepare(scenario)`` builds the time grid, the fleets and the job's throughput (the performance model's
    layout search, often the most expensive part of a short run) once, and returns ``seed -> figures`` that
    gives exactly what ``simulate_point(scenario, seed)`` gives (tests/sweep check it). Holds no state.
    """

    def __call__(self, scenario: Scenario, seed: int) -> dict[str, Any]:
        return simulate_point(scenario, seed)

    def prepare(self, scenario: Scenario) -> Callable[[int], dict[str, Any]]:
        """One replica per call, the set-up done once. [-]"""
        import numpy as np

        from megacluster.engine.simulate import prepare

        prepared = prepare(scenario)

        def one(seed: int) -> dict[str, Any]:
            (child,) = np.random.SeedSequence(seed).spawn(1)
            run = prepared.replica(np.random.default_rng(child))
            return flatten(prepared.results([run], seed, swings=False).summary.model_dump(mode="json"))

        return one


ENGINE = EngineUnit()
"""The default unit of work of :func:`megacluster.sweep.runner.execute`."""


def _error_text(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run_replicas(
    unit: UnitOfWork,
    scenario: Scenario,
    point: int,
    values: Mapping[str, ScalarValue],
    replicas: Sequence[int],
    seeds: Sequence[int],
) -> list[dict[str, Any]]:
    """One task: several replicas of one point. A replica that raises gives a row with its error."""
    rows: list[dict[str, Any]] = []
    single: Callable[[int], Mapping[str, Any]] | None = None
    setup_error: str | None = None
    prepare = getattr(unit, "prepare", None)
    if callable(prepare):
        try:
            single = prepare(scenario)
        except Exception as exc:
            setup_error = _error_text(exc)
    for replica, seed in zip(replicas, seeds, strict=True):
        row: dict[str, Any] = {"point": point, "replica": replica, "seed": seed, "error": None}
        row.update(values)
        if setup_error is not None:
            row["error"] = setup_error
            rows.append(row)
            continue
        try:
            figures = single(seed) if single is not None else unit(scenario, seed)
        except Exception as exc:
            row["error"] = _error_text(exc)
        else:
            for name, value in figures.items():
                row[name if name not in row else f"out.{name}"] = value
        rows.append(row)
    return rows


def error_rows(
    point: int, values: Mapping[str, ScalarValue], replicas: Sequence[int], seeds: Sequence[int], message: str
) -> list[dict[str, Any]]:
    """Rows for replicas whose task died as a whole (worker lost, not picklable, ...)."""
    return [
        {"point": point, "replica": r, "seed": s, "error": message, **values}
        for r, s in zip(replicas, seeds, strict=True)
    ]
