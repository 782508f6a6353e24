"""The Python face of megacluster: load a scenario, simulate it, read the results as pandas, write a report.

    >>> from megacluster import load_scenario, simulate
    >>> scenario = load_scenario("colossus-2024", overrides={"simulation.horizon_days": 30})
    >>> results = simulate(scenario, seed=0)
    >>> results.summary.energy_mwh.total            # typed summary, units in the field descriptions [MWh]
    >>> results.timeseries[["time", "gpus_powered"]]  # pandas, one row per step, UTC timestamps
    >>> results.to_report("colossus.html")          # the self-contained HTML report

Every function raises :class:`megacluster.errors.InputError` (with the file, the field and what was
expected) on bad input, as the command line does.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from megacluster.errors import InputError
from megacluster.results.assemble import Results as _Results
from megacluster.scenario.schema import Scenario


@dataclass(frozen=True)
class Results(_Results):
    """A run's results: ``summary`` (the typed :class:`megacluster.results.summary.Summary`),
    ``timeseries`` and ``events`` (pandas DataFrames with UTC timestamps), and the resolved ``scenario``."""

    def to_report(self, path: str | Path) -> Path:
        """Write the self-contained HTML report (it opens offline) to the file ``path``, atomically. [-]"""
        from megacluster.report.html import render_report

        target = Path(path)
        if target.is_dir():
            raise InputError(str(target), None, "is a folder; give the report's file name, e.g. report.html")
        text = render_report(self)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def write(self, out_dir: str | Path, force: bool = False) -> Path:
        """Write the run's output folder (summary.json, Parquet files, scenario.toml, report.html) with the
        command line's rules: a new or empty folder, or an earlier megacluster run with ``force``. [-]"""
        from megacluster.report.html import render_report
        from megacluster.results.outdir import OutputKind, check_output, output_lock, write_output
        from megacluster.results.writers import write_run_files

        target = check_output(Path(out_dir), default=Path("runs") / self.scenario.name, kind=OutputKind.RUN,
                              force=force)  # fmt: skip
        with output_lock(target):
            write_output(target, lambda folder: write_run_files(self, folder, {"report.html": render_report}))
        return target.path


def load_scenario(path_or_preset: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A validated scenario from a TOML file or a preset name, with optional dotted overrides such as
    ``{"simulation.horizon_days": 30, "power.generators[0].count": 20}``."""
    from megacluster.scenario.load import load_scenario as _load

    return _load(path_or_preset, overrides)


def simulate(scenario: Scenario, seed: int | None = None, replicas: int | None = None) -> Results:
    """Simulate a scenario (the same seed gives the same results); ``seed`` and ``replicas`` default to the
    scenario's ``[simulation]`` values. Work that would not fit in memory is refused before it starts."""
    from megacluster.engine.budget import check_work, estimate_work
    from megacluster.engine.simulate import simulate as _simulate

    check_work(estimate_work(scenario, replicas))
    raw = _simulate(scenario, seed=seed, replicas=replicas)
    return Results(
        scenario=raw.scenario,
        summary=raw.summary,
        timeseries=raw.timeseries,
        events=raw.all_events(),  # every replica's events, in memory (the run spooled them to disk)
        swings=raw.swings,
    )
