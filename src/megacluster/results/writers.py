"""Writing a run's results atomically: a whole folder appears, or nothing does."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from megacluster._version import __version__
from megacluster.results.assemble import Results, scenario_sha256
from megacluster.results.columns import EVENTS_COLUMNS, TIMESERIES_COLUMNS, arrow_table, with_metadata
from megacluster.results.eventlog import EventLog
from megacluster.results.outdir import FILE_MODE
from megacluster.results.summary import SCHEMA_VERSION, Summary
from megacluster.scenario.load import scenario_to_toml
from megacluster.scenario.schema import Scenario


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types (numpy scalars and arrays, NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):
        return to_jsonable(obj.tolist())
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, float) and obj in (float("inf"), float("-inf")):
        return None
    return obj


def summary_json(results: Results) -> str:
    """The summary as JSON text."""
    return json.dumps(to_jsonable(results.summary.model_dump(mode="json")), indent=2) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_run_files(
    results: Results,
    folder: Path,
    extra_files: dict[str, Callable[[Results], str]] | None = None,
) -> None:
    """Write summary.json, timeseries.parquet, events.parquet, scenario.toml (+ extra text files) into
    ``folder`` — a staging folder of :func:`megacluster.results.outdir.write_output`, which makes the whole
    folder appear atomically. [-]"""
    import pyarrow.parquet as pq

    (folder / "summary.json").write_text(summary_json(results), encoding="utf-8")
    provenance = file_provenance(results.summary)
    # the events (every replica's: ~2.6 million rows for 100 flagship replicas) are copied on a thread while
    # this one writes the rest: Arrow reads, encodes and writes them without the interpreter's lock, so the
    # copy overlaps the report's charts (~1 s each for 100 flagship replicas; docs/replicas.md)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="megacluster-events") as thread:
        events = thread.submit(_write_events, results, folder / "events.parquet", provenance)
        pq.write_table(
            arrow_table(results.timeseries, TIMESERIES_COLUMNS, provenance), folder / "timeseries.parquet"
        )
        (folder / "scenario.toml").write_text(scenario_to_toml(results.scenario), encoding="utf-8")
        for name, render in (extra_files or {}).items():
            (folder / name).write_text(render(results), encoding="utf-8")
        events.result()


def file_provenance(summary: Summary) -> dict[str, str]:
    """What the Parquet files of a run carry in their metadata: the version, the scenario and its hash, the
    seed. [-]"""
    return {
        "megacluster_version": summary.megacluster_version,
        "summary_schema_version": summary.schema_version,
        "scenario": summary.scenario,
        "scenario_sha256": summary.scenario_sha256,
        "seed": str(summary.seed),
    }


def expected_provenance(scenario: Scenario, seed: int) -> dict[str, str]:
    """:func:`file_provenance` of the run of ``scenario`` from ``seed``, known before the run is assembled
    (what its summary will say). [-]"""
    return {
        "megacluster_version": __version__,
        "summary_schema_version": SCHEMA_VERSION,
        "scenario": scenario.name,
        "scenario_sha256": scenario_sha256(scenario),
        "seed": str(seed),
    }


def _key(provenance: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The key events.parquet is written ahead for (``EventLog.prepare``): its provenance. [-]"""
    return tuple(sorted(provenance.items()))


def _events_table(provenance: dict[str, str]) -> Callable[[Any], Any]:
    """A replica's Arrow table of events as events.parquet holds it: units, meanings, provenance. [-]"""
    return lambda table: with_metadata(table, EVENTS_COLUMNS, provenance)


def prepare_events_file(log: EventLog, scenario: Scenario, seed: int) -> None:
    """Start writing events.parquet from ``log`` (every replica's events are in) while the run is assembled:
    :func:`write_run_files` then moves it into the output folder (``EventLog.prepare``). [-]"""
    provenance = expected_provenance(scenario, seed)
    log.prepare(_events_table(provenance), _key(provenance))


def _write_events(results: Results, path: Path, provenance: dict[str, str]) -> None:
    """events.parquet: the spooled log one replica at a time (or the file written ahead for this provenance),
    or the events in memory. [-]"""
    import pyarrow.parquet as pq

    if results.event_log is not None:  # every replica's events, one replica at a time
        results.event_log.write(path, _events_table(provenance), _key(provenance))
    else:
        pq.write_table(arrow_table(results.events, EVENTS_COLUMNS, provenance), path)
