"""From a sweep spec to validated points and tasks, before any work starts."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from megacluster.errors import InputError
from megacluster.scenario.load import read_scenario_dict, scenario_from_dict, set_dotted
from megacluster.scenario.schema import Scenario
from megacluster.sweep.spec import LoadedSweep, ScalarValue, SweepSpec, describe, point_seed


@dataclass(frozen=True)
class Point:
    """One point of the design: its index, the values of the varied fields and the validated scenario."""

    index: int
    values: dict[str, ScalarValue]
    scenario: Scenario


@dataclass(frozen=True)
class Task:
    """Some replicas of one point, run together by one worker."""

    point: int
    replicas: tuple[int, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class SweepPlan:
    """Everything needed to run a sweep: the spec, its label, the validated points."""

    spec: SweepSpec
    label: str
    points: tuple[Point, ...]

    @property
    def fields(self) -> list[str]:
        """The varied fields, in the design's order."""
        return [p.field for p in self.spec.design.parameters]

    def tasks(self, done: set[tuple[int, int]] | None = None) -> list[Task]:
        """Tasks for every (point, replica) not in ``done``, ``replicas_per_task`` at a time."""
        done = done or set()
        chunk = self.spec.chunk()
        out: list[Task] = []
        for point in self.points:
            todo = [r for r in range(self.spec.replicas) if (point.index, r) not in done]
            for start in range(0, len(todo), chunk):
                reps = tuple(todo[start : start + chunk])
                seeds = tuple(point_seed(self.spec.seed, point.index, r) for r in reps)
                out.append(Task(point=point.index, replicas=reps, seeds=seeds))
        return out


def _apply(data: dict[str, Any], overrides: dict[str, ScalarValue], label: str, fixed: bool) -> None:
    for dotted, value in overrides.items():
        try:
            set_dotted(data, dotted, value, label)
        except InputError as exc:
            raise InputError(label, _where(dotted, fixed), exc.expected) from None
        except (TypeError, KeyError, AttributeError):
            raise InputError(
                label, _where(dotted, fixed), "this path does not lead to a table in the scenario"
            ) from None


def _where(dotted: str, fixed: bool) -> str:
    """How a message names an override: ``fixed["a.b"]`` or the varied field itself."""
    return f'fixed["{dotted}"]' if fixed else dotted


def plan_sweep(loaded: LoadedSweep) -> SweepPlan:
    """Expand the design and build every point's scenario; the first bad point raises InputError.

    Building each scenario checks that every varied field exists (with the nearest valid name when not),
    and that every value is valid for it, before any simulation starts.
    """
    spec, label = loaded.spec, loaded.label
    try:
        base, _ = read_scenario_dict(loaded.base_source)
    except InputError as exc:
        raise InputError(label, "base", str(exc)) from None
    _apply(base, dict(spec.fixed), label, fixed=True)
    try:
        scenario_from_dict(copy.deepcopy(base), "scenario")
    except InputError as exc:
        raise InputError(
            label, "fixed", f"the base scenario with the fixed overrides is invalid: {exc}"
        ) from None
    points = []
    for index, values in enumerate(spec.design.points(spec.seed)):
        data = copy.deepcopy(base)
        _apply(data, values, label, fixed=False)
        try:
            scenario = scenario_from_dict(data, "scenario")
        except InputError as exc:
            culprit = next((k for k in values if exc.field and k.startswith(exc.field)), None)
            field = culprit or "design"
            raise InputError(label, field, f"point {index} ({describe(values)}): {exc}") from None
        points.append(Point(index=index, values=dict(values), scenario=scenario))
    return SweepPlan(spec=spec, label=label, points=tuple(points))


def plan_from_file(path: str | Path) -> SweepPlan:
    """Read, validate and expand a sweep file."""
    from megacluster.sweep.spec import load_sweep

    return plan_sweep(load_sweep(path))
